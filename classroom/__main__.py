"""A classroom rehearsal: the course on a real JupyterHub, on this machine.

usage: python3 course.py classroom [--learners N] [--notebooks NN ...] [--keep | --stop]
                                   [--shared] [--no-browser] [--json]

Starts JupyterHub (classroom/jupyterhub_config.py) with its proxy, makes a Unix account
per learner (as root; otherwise, or with --shared, every learner runs as you and they are
not kept apart), and for every learner at once: logs in through the hub, starts the
learner's server through the hub's REST API, follows the course's nbgitpuller link
(pulling from a clone of this repository: no network), and runs every notebook in the
learner's kernels through the hub. Learner 1 does it in Chromium, through JupyterLab and
the editor page behind jupyter-server-proxy; the others over HTTP and the kernel
protocol (classroom/learner.py). With two or more accounts, learner 1 then tries to read
and change learner 2's documents (classroom/isolation.py).

It prints a report (every learner's result, time to first cell, memory of the server and
of its largest kernel), then stops everything it started and removes the accounts; it
exits with status 1 unless every learner passed and, with accounts, nothing crossed.
--keep leaves the hub running for you to try in a browser; --stop stops a kept hub.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from . import browser, hub, isolation, measure
from .learner import Report, Session, course_link

STATE = Path(tempfile.gettempdir()) / f"nocontent-classroom-{os.getuid()}"
"""Where a rehearsal keeps its hub's state, the course repository and shared homes."""


def say(message: str) -> None:
    print(f"classroom: {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, object]:
    """The machine, as the report describes it."""
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"system": f"{platform.system()} {platform.release()}", "cpus": os.cpu_count(),
            "cpu": model or platform.machine(), "memory_gib": round(total_kb / 2**20, 1),
            "python": platform.python_version(),
            # Other work on the machine slows the class down: the load when it started.
            "load_average": round(os.getloadavg()[0], 2)}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    proxy = json.loads((hub.HERE / "node_modules" / "configurable-http-proxy" /
                        "package.json").read_text())["version"]
    return {"jupyterhub": version("jupyterhub"), "configurable-http-proxy": proxy,
            "jupyterlab": version("jupyterlab"), "nbgitpuller": version("nbgitpuller"),
            "jupyter-server-proxy": version("jupyter-server-proxy")}


# -- one learner --------------------------------------------------------------------------------


class Measurer:
    """Samples a learner's server and kernels; keeps the peaks."""

    def __init__(self, the_hub: hub.Hub, report: Report) -> None:
        self.hub, self.report, self.pid = the_hub, report, 0

    def __call__(self) -> None:
        if not self.pid:
            state = self.hub.user_api(self.report.name)["servers"][""].get("state") or {}
            self.pid = state.get("pid", 0)
        if self.pid:
            found = measure.sample(self.pid)
            self.report.server_mb = max(self.report.server_mb, found.server_mb)
            self.report.kernel_mb = max(self.report.kernel_mb, found.kernel_mb)
            self.report.cpu_seconds = max(self.report.cpu_seconds, found.cpu_seconds)


def over_http(report: Report, session: Session, password: str, link: str,
              chosen: list[str], measurer: Measurer) -> None:
    started = time.monotonic()
    session.log_in(password)
    report.seconds["login"] = time.monotonic() - started
    session.take_token()
    session.start_server()
    report.seconds["server"] = time.monotonic() - started
    session.pull(link)
    report.seconds["pull"] = time.monotonic() - started

    def first_cell() -> None:
        report.seconds.setdefault("first cell", time.monotonic() - started)

    for path in pick(session.notebooks(), chosen):
        began = time.monotonic()
        failures, session_id = session.run_notebook(path, first_cell)
        report.notebooks[path.rsplit("/", 1)[-1]] = time.monotonic() - began
        report.failures += failures
        measurer()
        session.close_session(session_id)


def pick(paths: list[str], chosen: list[str]) -> list[str]:
    """The notebooks numbered in ``chosen`` (all when it is empty); a number with no
    notebook is a failure, so that a mistyped number cannot pass by running nothing."""
    if not chosen:
        return paths
    picked = [p for p in paths if any(p.rsplit("/", 1)[-1].startswith(n + "-") for n in chosen)]
    if len(picked) != len(chosen):
        raise AssertionError(f"no notebook for some of {chosen} in the pulled course")
    return picked


def take_course(report: Report, session: Session, the_hub: hub.Hub, link: str,
                chosen: list[str], in_chromium: bool) -> None:
    measurer = Measurer(the_hub, report)
    try:
        if in_chromium:
            browser.rehearse(report, session, the_hub.password, link, measurer,
                             lambda paths: pick(paths, chosen))
        else:
            over_http(report, session, the_hub.password, link, chosen, measurer)
        measurer()
    except Exception as exc:  # one learner's failure is reported, the class goes on
        report.failures.append(f"{type(exc).__name__}: {exc}")


# -- the whole class ----------------------------------------------------------------------------


def prepare_home(home: Path, owner: tuple[int, int] | None) -> None:
    """The Chromium learner's JupyterLab settings, owned by the learner."""
    for path, text in browser.lab_settings(home).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if owner is not None:
        for path in [home / ".jupyter", *(home / ".jupyter").rglob("*")]:
            os.chown(path, *owner)


def rehearse(args: argparse.Namespace) -> dict:
    """Set everything up, let the class take the course, check isolation; the findings."""
    reason = hub.can_make_accounts()
    accounts = "shared" if args.shared or reason else "unix"
    if accounts == "shared":
        say(f"without Unix accounts ({'--shared' if args.shared else reason}): every learner "
            "runs as you, so they are not kept apart and isolation is not checked")
    names = [f"nc-learner-{number}" for number in range(1, args.learners + 1)]
    no_browser = "" if args.no_browser else browser.unavailable()

    say("installing configurable-http-proxy if needed")
    proxy = hub.install_proxy()
    environment = hub.user_environment(say) if accounts == "unix" else hub.own_environment()
    (STATE / "hub").mkdir(mode=0o700, parents=True)
    STATE.chmod(0o755)  # the course repository and git config below are for every learner
    repository = hub.publish_course(STATE / "course")
    the_hub = hub.Hub(state=str(STATE / "hub"), learners=names, accounts=accounts,
                      environment=str(environment), proxy=str(proxy), repository=repository,
                      git_config=str(hub.git_config(STATE, STATE / "course" / "nocontent")))
    the_hub.save()  # from here on, --stop (or the clean-up below) knows what to undo
    homes = {}
    for name in names:
        if accounts == "unix":
            say(f"making the account {name}")
            account = hub.make_account(name)
            homes[name], owner = Path(account.pw_dir), (account.pw_uid, account.pw_gid)
        else:
            homes[name], owner = STATE / "hub" / "home" / name, None
        if name == names[0] and not args.no_browser:
            prepare_home(homes[name], owner)
    say(f"starting JupyterHub at {the_hub.url}")
    the_hub.start()
    link = course_link(the_hub.url, repository)

    reports = [Report(name) for name in names]
    sessions = [Session(the_hub.url, name) for name in names]
    if no_browser:
        reports[0].failures.append(f"the Chromium learner could not run: {no_browser}")
    say(f"{len(names)} learner(s) take the course at once")
    started = time.monotonic()
    threads = [threading.Thread(target=take_course, args=(
                   report, session, the_hub, link, args.notebooks,
                   report is reports[0] and not (args.no_browser or no_browser)))
               for report, session in zip(reports, sessions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started

    kept_apart = None
    if accounts == "unix" and len(names) >= 2:
        say(f"{names[0]} tries to read and change {names[1]}'s documents")
        try:
            kept_apart = asdict(isolation.check(sessions[0], sessions[1], str(homes[names[1]])))
        except Exception as exc:
            kept_apart = {"failures": [f"{type(exc).__name__}: {exc}"]}
    for session in sessions:
        session.close()
    # The hub's log goes with everything else at the end: keep its last lines if anything
    # failed, for the report.
    log = "" if all(report.passed for report in reports) else the_hub.log_tail(40)
    return {"hub_log": log, "date": time.strftime("%Y-%m-%d"), "machine": machine(),
            "versions": versions(), "accounts": accounts,
            "hub": the_hub.url, "link": link, "wall_seconds": wall,
            "learners": [{**asdict(r), "passed": r.passed, "memory_mb": r.memory_mb}
                         for r in reports],
            "isolation": kept_apart}


def summary(found: dict) -> dict:
    """The figures docs/instructors.md and config.yaml use, from one rehearsal's findings."""
    learners = found["learners"]
    memory = [learner["server_mb"] + learner["kernel_mb"] for learner in learners]
    first = [learner["seconds"].get("first cell", 0.0) for learner in learners]
    cpus = found["machine"]["cpus"]
    return {
        "command": f"python3 course.py classroom --learners {len(learners)}",
        "date": found["date"], "machine": found["machine"], "versions": found["versions"],
        "learners": len(learners), "passed": sum(learner["passed"] for learner in learners),
        "in_chromium": sum(learner["way"] == "chromium" for learner in learners),
        "notebooks": max(len(learner["notebooks"]) for learner in learners),
        "wall_seconds": round(found["wall_seconds"], 1),
        "time_to_first_cell_s": {"median": round(statistics.median(first), 1),
                                 "max": round(max(first), 1)},
        "memory_per_learner_mib": {"median": round(statistics.median(memory), 1),
                                   "max": round(max(memory), 1),
                                   "server_max": round(max(x["server_mb"] for x in learners), 1),
                                   "kernel_max": round(max(x["kernel_mb"] for x in learners), 1)},
        "cpu_seconds_per_learner": {
            "median": round(statistics.median(x["cpu_seconds"] for x in learners), 1),
            "max": round(max(x["cpu_seconds"] for x in learners), 1)},
        "learners_per_core": round(len(learners) / cpus, 2),
        "learners_per_gib": round(1024 / max(memory), 1),
        "isolation_checked": bool(found["isolation"])
                             and not found["isolation"].get("failures"),
    }


def passed(found: dict) -> bool:
    return (all(learner["passed"] for learner in found["learners"])
            and not (found["isolation"] or {}).get("failures"))


def tear_down() -> None:
    """Stop the hub (it stops the learners' servers and its proxy), remove the accounts
    the rehearsal made and everything in STATE."""
    settings = STATE / "hub" / "settings.json"
    if settings.exists():
        the_hub = hub.Hub.load(settings)
        the_hub.stop()
        if the_hub.accounts == "unix":
            for name in the_hub.learners:
                hub.remove_account(name)
    shutil.rmtree(STATE, ignore_errors=True)


def kept() -> hub.Hub | None:
    settings = STATE / "hub" / "settings.json"
    if settings.exists():
        the_hub = hub.Hub.load(settings)
        if the_hub.pid and hub.alive(the_hub.pid):
            return the_hub
    return None


# -- the report ---------------------------------------------------------------------------------


def show(found: dict) -> None:
    info, names = found["machine"], found["versions"]
    print(f"machine: {info['system']}, {info['cpus']} CPUs ({info['cpu']}), "
          f"{info['memory_gib']} GiB RAM, Python {info['python']}, "
          f"load average {info['load_average']} at the start")
    print("hub: " + ", ".join(f"{name} {version}" for name, version in names.items()))
    accounts = ("one Unix account each" if found["accounts"] == "unix"
                else "all as one user (not kept apart)")
    learners = found["learners"]
    print(f"{len(learners)} learner(s) at once, {accounts}; seconds from login:")
    print(f"{'learner':<14} {'way':<9} {'result':<6} {'server':>7} {'pull':>6} "
          f"{'1st cell':>9} {'course':>7} {'server MiB':>10} {'kernel MiB':>10} {'CPU s':>6}")
    for learner in learners:
        seconds = learner["seconds"]
        row = [f"{seconds.get(step, float('nan')):.1f}" for step in ("server", "pull",
                                                                       "first cell")]
        course = sum(learner["notebooks"].values())
        print(f"{learner['name']:<14} {learner['way']:<9} "
              f"{'pass' if learner['passed'] else 'FAIL':<6} {row[0]:>7} {row[1]:>6} "
              f"{row[2]:>9} {course:>7.1f} {learner['server_mb']:>10.1f} "
              f"{learner['kernel_mb']:>10.1f} {learner['cpu_seconds']:>6.1f}")
        for failure in learner["failures"]:
            print(f"    {failure}")
    print(f"notebooks per learner: {max(len(x['notebooks']) for x in learners)}; "
          f"wall time {found['wall_seconds']:.1f} s")
    kept_apart = found["isolation"]
    if kept_apart is None:
        print("isolation: not checked (it needs two learners with Unix accounts)")
    elif kept_apart.get("failures"):
        print("isolation: FAILED")
        for failure in kept_apart["failures"]:
            print(f"    {failure}")
    else:
        print(f"isolation: {kept_apart['a']} could not read or change {kept_apart['b']}'s "
              f"documents: direct GET and PUT closed unread, files refused; through its own "
              f"proxy {kept_apart['own_proxy']['GET'].split()[0]} and "
              f"{kept_apart['own_proxy']['PUT'].split()[0]}; through {kept_apart['b']}'s "
              f"proxy {kept_apart['their_proxy']}. {kept_apart['b']}'s server refused "
              f"{kept_apart['refused']} connection(s) and still served its owner "
              f"({kept_apart['owner']['status']}).")
    if found["hub_log"]:
        print("the end of JupyterHub's log:\n" + found["hub_log"])
    print("result: " + ("every learner passed" if passed(found) else "FAILED"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 course.py classroom",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=8, help="how many (default 8)")
    parser.add_argument("--notebooks", nargs="*", default=[],
                        help="notebook numbers such as 00 03 (default: every notebook)")
    parser.add_argument("--keep", action="store_true", help="leave the hub running")
    parser.add_argument("--stop", action="store_true", help="stop a hub left by --keep")
    parser.add_argument("--shared", action="store_true",
                        help="no Unix accounts, even as root (learners are not kept apart)")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium learner")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--record", metavar="FILE",
                        help="also write the summary figures there (classroom/measured.json)")
    args = parser.parse_args(argv)
    if args.learners < 1:
        parser.error("--learners must be 1 or more")
    if not sys.platform.startswith("linux"):
        say("the rehearsal runs on Linux (it reads memory from /proc)")
        return 2
    if args.stop:
        tear_down()
        say("stopped")
        return 0
    running = kept()
    if running is not None:
        say(f"a hub left by --keep runs at {running.url}: stop it first with --stop")
        return 2
    tear_down()  # whatever an interrupted rehearsal left
    found = None
    try:
        found = rehearse(args)
    except hub.SetupError as exc:
        say(str(exc))
    finally:
        if found is None or not args.keep:
            tear_down()
    if found is None:
        return 1
    if args.json:
        print(json.dumps(found))
    else:
        show(found)
    if args.record and passed(found):
        Path(args.record).write_text(json.dumps(summary(found), indent=1) + "\n")
    if args.keep:
        the_hub = hub.Hub.load(STATE / "hub" / "settings.json")
        say(f"the hub runs at {the_hub.url}; log in as {', '.join(the_hub.learners)} with "
            f"the password {the_hub.password}; the course link: {found['link']}\n"
            "stop it with: python3 course.py classroom --stop")
    return 0 if passed(found) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
