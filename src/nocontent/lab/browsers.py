"""Capture the browser lab in the three engines of the web: Chromium, Firefox and WebKitGTK.

``python -m nocontent lab browsers`` starts an embedded server of its own for
each engine, opens ``/browser-lab?run=ENGINE`` in that engine, headless, and
waits until the page has reported every experiment to the server; then it
saves what arrived as ``notebooks/data/browsers/ENGINE.json``, with the
engine's version, the driver's, and the day. Nothing is downloaded: every
engine is the system's own package.

* **chromium**: Debian's ``chromium``, driven by Playwright over CDP.
* **firefox**: Debian's ``firefox-esr``, driven by puppeteer-core over
  WebDriver BiDi, from ``lab/firefox`` (``npm ci`` there installs it).
* **webkit**: WebKitGTK's MiniBrowser (Debian's ``libwebkit2gtk-4.1-0``),
  driven by Selenium through WebKitWebDriver (``webkit2gtk-driver``); it has
  no headless mode, so it runs under ``xvfb-run``.

An engine whose browser or driver is missing is skipped, with the reason;
its saved file is kept. Results carry no timings, and loopback ports are
normalised, so a fresh capture can be compared with the saved one on
everything but versions and dates (:func:`differences`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .._browserlab import EXPERIMENTS
from .._server import Server
from .._version import __version__
from .capture import normalise, refuse_unknown, today

__all__ = [
    "ENGINES",
    "FORMAT",
    "WAIT",
    "Engine",
    "capture",
    "capture_all",
    "chromium_missing",
    "chromium_path",
    "differences",
    "load_browsers",
]

FORMAT = 1
"""Version of the JSON layout of a browser capture."""
TOOL = f"nocontent {__version__} lab browsers (format {FORMAT})"
WAIT = 120.0
"""Seconds a page may take to report every experiment."""
START = 60.0
"""Seconds a driver may take to start its browser and load the page."""
FIREFOX_DRIVER = Path(__file__).parent / "firefox"
"""The npm folder with puppeteer-core (package.json, package-lock.json) and drive.mjs."""

Info = dict[str, str]
"""What a driver reports once the page has loaded: ``version``, ``driver``."""


@dataclass(frozen=True, kw_only=True)
class Engine:
    """One engine the lab drives.

    Attributes:
        name: its short name, used for the file (``chromium``, ``firefox``, ``webkit``).
        title: what the notebook calls it.
        package: the Debian package its browser comes from.
        missing: returns why it cannot run here, or None.
        session: opens a URL in the engine; yields the browser's and driver's versions.
    """

    name: str
    title: str
    package: str
    missing: Callable[[], str | None]
    session: Callable[[str], contextlib.AbstractContextManager[Info]]


def _which(*names: str, variable: str | None = None) -> str | None:
    """The first program found: ``variable`` from the environment, else ``names`` on PATH."""
    named = os.environ.get(variable) if variable else None
    if named:
        return named if Path(named).is_file() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _version_of(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


# -- Chromium: Playwright, in this process ----------------------------------------------------


def chromium_path() -> str | None:
    """The system's Chromium, or the binary ``NOCONTENT_CHROMIUM`` names; None if there is none.

    The one place the labs, the classroom rehearsal and the browser tests find it.
    """
    named = os.environ.get("NOCONTENT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        # Ubuntu's chromium-browser may be a stub that asks for the snap: it cannot run here.
        if found and not Path(found).resolve().name.endswith(".snap"):
            return found
    return None


def chromium_missing() -> str | None:
    """Why Chromium cannot be driven here (no Playwright, no browser), or None."""
    if find_spec("playwright") is None:
        return "Playwright is not installed (python3 course.py test installs it)"
    if chromium_path() is None:
        return "no chromium on PATH (apt-get install chromium, or set NOCONTENT_CHROMIUM)"
    return None


@contextlib.contextmanager
def _chromium(url: str) -> Iterator[Info]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                             args=["--no-sandbox", "--disable-gpu",
                                                   "--disable-background-networking"])
        try:
            # The TLS server's certificate is a throwaway one that no browser trusts.
            browser.new_context(ignore_https_errors=True).new_page().goto(url)
            yield {"version": browser.version,
                   "driver": f"Playwright {_version_of('playwright')} (CDP)"}
        finally:
            browser.close()


# -- Firefox and WebKitGTK: a driver in a child process ----------------------------------------


@contextlib.contextmanager
def _child(command: list[str], driver: str) -> Iterator[Info]:
    """Run a driver that prints one JSON line once the page has loaded, then waits.

    A line on its stdin tells it to close the browser. It runs in a session of
    its own, so that on any failure its whole process group (the browser, the
    driver, Xvfb) is ended.
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=errors, text=True, start_new_session=True,
                                   env={**os.environ, "SE_OFFLINE": "true"})
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None and process.stdin is not None
        out = process.stdout
        reader = threading.Thread(target=lambda: [lines.put(line) for line in out], daemon=True)
        reader.start()
        try:
            try:
                first = lines.get(timeout=START)
            except queue.Empty:
                first = ""
            if not first.strip():
                _end(process)
                errors.seek(0)
                said = errors.read().strip()[-400:] or f"exit status {process.returncode}"
                raise RuntimeError(f"{Path(command[0]).name} did not load the page: {said}")
            info = json.loads(first)
            yield {"version": str(info["version"]), "driver": driver}
            with contextlib.suppress(OSError):
                process.stdin.write("quit\n")
                process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        finally:
            _end(process)
            reader.join(timeout=10)  # it ends at the pipe's end, now that the child has
            for pipe in (process.stdin, out):
                with contextlib.suppress(OSError):
                    pipe.close()


def _end(process: subprocess.Popen[str]) -> None:
    """End the child's whole process group, if it is still running, and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _firefox_path() -> str | None:
    return _which("firefox-esr", "firefox", variable="NOCONTENT_FIREFOX")


def _puppeteer_version() -> str | None:
    found = FIREFOX_DRIVER / "node_modules" / "puppeteer-core" / "package.json"
    if not found.is_file():
        return None
    return str(json.loads(found.read_text(encoding="utf-8"))["version"])


def _firefox_missing() -> str | None:
    if shutil.which("node") is None:
        return "node not on PATH (apt-get install nodejs)"
    if _firefox_path() is None:
        return "no firefox-esr on PATH (apt-get install firefox-esr, or set NOCONTENT_FIREFOX)"
    if not (FIREFOX_DRIVER / "drive.mjs").is_file():
        return f"no {FIREFOX_DRIVER / 'drive.mjs'}: the lab runs from the course's checkout"
    if _puppeteer_version() is None:
        return f"puppeteer-core is not installed: run npm ci in {FIREFOX_DRIVER}"
    return None


def _firefox(url: str) -> contextlib.AbstractContextManager[Info]:
    command = ["node", str(FIREFOX_DRIVER / "drive.mjs"), str(_firefox_path()), url]
    return _child(command, f"puppeteer-core {_puppeteer_version()} (WebDriver BiDi)")


def _minibrowser() -> str | None:
    named = os.environ.get("NOCONTENT_MINIBROWSER")
    if named:
        return named if Path(named).is_file() else None
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser"))
    return found[0] if found else None


def _webkit_missing() -> str | None:
    if find_spec("selenium") is None:
        return "Selenium is not installed in this environment"
    if _minibrowser() is None:
        return "no WebKitGTK MiniBrowser (apt-get install libwebkit2gtk-4.1-0)"
    if shutil.which("WebKitWebDriver") is None:
        return "no WebKitWebDriver on PATH (apt-get install webkit2gtk-driver)"
    if shutil.which("xvfb-run") is None:
        return "no xvfb-run on PATH (apt-get install xvfb)"
    return None


def _webkit(url: str) -> contextlib.AbstractContextManager[Info]:
    command = ["xvfb-run", "-a", sys.executable, "-m", "nocontent.lab._webkit",
               str(_minibrowser()), str(shutil.which("WebKitWebDriver")), url]
    return _child(command, f"Selenium {_version_of('selenium')} with WebKitWebDriver, "
                           "under xvfb-run")


ENGINES: tuple[Engine, ...] = (
    Engine(name="chromium", title="Chromium", package="chromium",
           missing=chromium_missing, session=_chromium),
    Engine(name="firefox", title="Firefox ESR", package="firefox-esr",
           missing=_firefox_missing, session=_firefox),
    Engine(name="webkit", title="WebKitGTK", package="libwebkit2gtk-4.1-0",
           missing=_webkit_missing, session=_webkit),
)
"""Every engine the lab drives, in the order the notebook shows them."""

_BY_NAME = {engine.name: engine for engine in ENGINES}


# -- capturing ----------------------------------------------------------------------------


def capture(engine: Engine) -> dict[str, Any]:
    """Run the page in ``engine`` against a fresh server; the capture, ready to save.

    Raises:
        RuntimeError: the engine is missing, or its page did not report every
            experiment within :data:`WAIT` seconds.
    """
    reason = engine.missing()
    if reason:
        raise RuntimeError(reason)
    run = engine.name
    with Server() as server, _tls_server() as tls:
        url = f"{server.url}/browser-lab?run={run}" + (f"&tls={tls.port}" if tls else "")
        with engine.session(url) as info:
            complete = server.app.browser_lab.wait(run, WAIT)
        arrived = server.app.browser_lab.results_of(run)
    if not complete:
        got = sorted({entry["experiment"] for entry in arrived})
        raise RuntimeError(f"{engine.name}: the page reported {len(got)} of "
                           f"{len(EXPERIMENTS)} experiments within {WAIT:.0f} s")
    results = {entry["experiment"]: entry["result"] for entry in arrived}
    agent = arrived[0]["user_agent"]
    data = {
        "format": FORMAT,
        "tool": TOOL,
        "engine": engine.name,
        "title": engine.title,
        "package": engine.package,
        "version": info["version"],
        "driver": info["driver"],
        "user_agent": agent,
        "captured": today(),
        "results": {found.name: results[found.name] for found in EXPERIMENTS},
    }
    loaded: dict[str, Any] = json.loads(normalise(json.dumps(data)))
    return loaded


@contextlib.contextmanager
def _tls_server() -> Iterator[Server | None]:
    """The course's TLS server (HTTP/2 and HTTP/3) for the page's last two rows, if it can run.

    Without it (cryptography or aioquic missing) those rows report that they did not run.
    """
    try:
        from .._tls import TLSServer
    except ImportError:
        yield None
        return
    with TLSServer() as running:
        yield running


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def capture_all(
    directory: Path,
    only: Sequence[str] = (),
    *,
    write: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, dict[str, Any] | str]:
    """Capture each engine (or those in ``only``) and save it as ``directory/ENGINE.json``.

    Returns each engine's capture, or the reason it was skipped.
    """
    refuse_unknown("engine", only, list(_BY_NAME))
    found: dict[str, dict[str, Any] | str] = {}
    for engine in ENGINES:
        if only and engine.name not in only:
            continue
        started = time.monotonic()
        try:
            data = capture(engine)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
            found[engine.name] = str(exc)
            say(f"skipped  {engine.name}: {exc}")
            continue
        found[engine.name] = data
        where = ""
        if write:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{engine.name}.json"
            path.write_text(_dump(data), encoding="utf-8")
            where = f" -> {path}"
        say(f"captured {engine.name} {data['version']} ({time.monotonic() - started:.1f} s)"
            f"{where}")
    return found


def load_browsers(directory: Path) -> dict[str, dict[str, Any]]:
    """Every saved engine capture in ``directory``, by engine, in the lab's order."""
    found = {}
    for engine in ENGINES:
        path = directory / f"{engine.name}.json"
        if path.is_file():
            found[engine.name] = json.loads(path.read_text(encoding="utf-8"))
    return found


IGNORED = ("version", "driver", "user_agent", "captured", "tool")
"""What may change between captures of the same engine without a difference."""


def differences(saved: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """How a fresh capture differs from the saved one, versions and dates left aside."""
    problems = [f"{key}: saved {saved.get(key)!r}, now {fresh.get(key)!r}"
                for key in sorted(set(saved) | set(fresh))
                if key not in (*IGNORED, "results") and saved.get(key) != fresh.get(key)]
    old, new = saved.get("results", {}), fresh.get("results", {})
    for name in [*old, *(n for n in new if n not in old)]:
        if old.get(name) != new.get(name):
            problems.append(f"{name}: saved {json.dumps(old.get(name))}, "
                            f"now {json.dumps(new.get(name))}")
    return problems
