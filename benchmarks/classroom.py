"""Classroom scale: N learners at once, each running the whole course in one kernel.

Run on demand (``tests/test_classroom.py`` runs a small version):

    .venv/bin/python benchmarks/classroom.py [--kernels 8] [--notebooks 00 03 ...] [--json]

With ``--kernels 1`` it times the whole course in one kernel (issue 14: at most 30 s
on 2 cores; ``benchmarks/peers.py --course-only`` times it with a fresh kernel each).

Each learner gets one ipykernel kernel, started in ``notebooks/``, and runs every
notebook there in order in that kernel (``--notebooks`` picks some by number),
cell by cell through nbclient, all learners at the same time. Then:

1. each kernel reports ``nocontent.serve().port``, its process id and its peak
   resident memory (VmHWM from /proc);
2. each learner PUTs ``/docs/learner-N`` into its own server;
3. once all have, each lists its own documents: it must find its own and nobody
   else's, and from outside, ``GET /docs/learner-N`` must be 200 on learner N's
   port only.

It prints a table (or, with ``--json``, one JSON object) and exits with status 1
unless every learner passed, every server had its own port, and nothing crossed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LOOPBACK = "127.0.0.1,localhost,::1"
CELL_TIMEOUT = 600

REPORT = """
import json, os, nocontent
server = nocontent.serve()
with open("/proc/self/status") as status:
    fields = dict(line.split(":", 1) for line in status)
print(json.dumps({"port": server.port, "pid": os.getpid(),
                  "peak_kb": int(fields["VmHWM"].split()[0]),
                  "rss_kb": int(fields["VmRSS"].split()[0])}))
"""
WRITE = """
reply = nocontent.exchange(server.url + "/docs/learner-{number}", "PUT",
                           [("Content-Type", "text/plain")], b"learner {number}\\n")
print(json.dumps({{"status": reply.status}}))
"""
LIST = """
print(json.dumps({"names": nocontent.serve().app.store.names()}))
"""


@dataclass
class Learner:
    number: int
    seconds: dict[str, float] = field(default_factory=dict)  # per notebook
    failures: list[str] = field(default_factory=list)
    port: int = 0
    pid: int = 0
    peak_mb: float = 0.0
    rss_mb: float = 0.0
    learner_documents: list[str] = field(default_factory=list)  # learner-N names in its store
    seen_from_outside: list[int] = field(default_factory=list)  # ports that have its document

    @property
    def passed(self) -> bool:
        return not self.failures


def pick(numbers: list[str]) -> list[Path]:
    every = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))
    if not numbers:
        return every
    chosen = [p for p in every if any(p.name.startswith(n + "-") for n in numbers)]
    if len(chosen) != len(numbers):
        sys.exit(f"no notebook for some of {numbers} among {[p.name for p in every]}")
    return chosen


async def run_code(manager: AsyncKernelManager, code: str) -> dict:
    """Run ``code`` in the kernel; the JSON object its last printed line holds."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = NotebookClient(notebook, km=manager, timeout=60)
    try:
        await client.async_execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    text = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    return json.loads(text.strip().splitlines()[-1])


async def run_course(learner: Learner, manager: AsyncKernelManager,
                     notebooks: list[Path]) -> None:
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT,
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        started = time.perf_counter()
        try:
            await client.async_execute()
        except (CellExecutionError, DeadKernelError, TimeoutError) as exc:
            first = str(exc).strip().splitlines()
            learner.failures.append(f"{path.name}: {first[-1] if first else type(exc).__name__}")
        finally:
            learner.seconds[path.name] = time.perf_counter() - started
            if client.kc is not None:
                client.kc.stop_channels()
        if not await manager.is_alive():
            learner.failures.append(f"{path.name}: the kernel died")
            return


async def classroom(kernels: int, notebooks: list[Path]) -> tuple[list[Learner], float]:
    learners = [Learner(number) for number in range(kernels)]
    managers = [AsyncKernelManager(kernel_name="python3") for _ in learners]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(m.start_kernel(cwd=str(NOTEBOOKS)) for m in managers))
        await asyncio.gather(*(run_course(learner, manager, notebooks)
                               for learner, manager in zip(learners, managers, strict=True)))
        wall = time.perf_counter() - started
        alive = [(learner, manager) for learner, manager in zip(learners, managers, strict=True)
                 if await manager.is_alive()]
        for learner, manager in alive:  # one at a time: measuring, not loading
            report = await run_code(manager, REPORT)
            learner.port, learner.pid = report["port"], report["pid"]
            learner.peak_mb, learner.rss_mb = report["peak_kb"] / 1024, report["rss_kb"] / 1024
        writes = await asyncio.gather(*(run_code(manager, WRITE.format(number=learner.number))
                                        for learner, manager in alive))
        for (learner, _), write in zip(alive, writes, strict=True):
            if write["status"] not in (200, 201, 204):
                learner.failures.append(f"PUT /docs/learner-{learner.number}: {write['status']}")
        listings = await asyncio.gather(*(run_code(manager, LIST) for _, manager in alive))
        for (learner, _), listing in zip(alive, listings, strict=True):
            learner.learner_documents = [n for n in listing["names"] if n.startswith("learner-")]
        for learner in learners:
            for other in learners:
                if other.port and await asyncio.to_thread(has_document, other.port, learner):
                    learner.seen_from_outside.append(other.port)
    finally:
        await asyncio.gather(*(m.shutdown_kernel(now=True) for m in managers
                               if m.has_kernel), return_exceptions=True)
    return learners, wall


def has_document(port: int, learner: Learner) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", f"/docs/learner-{learner.number}")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    finally:
        conn.close()


def verdict(learners: list[Learner]) -> dict[str, bool]:
    ports = [learner.port for learner in learners]
    return {
        "all passed": all(learner.passed for learner in learners),
        "own ports": all(ports) and len(set(ports)) == len(ports),
        "no cross-talk": all(
            learner.learner_documents == [f"learner-{learner.number}"]
            and learner.seen_from_outside == [learner.port] for learner in learners),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = ""
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        memory = f", {total_kb / 1024 / 1024:.1f} GiB RAM"
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}){memory}, "
            f"Python {sys.version.split()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=8)
    parser.add_argument("--notebooks", nargs="*", default=[],
                        help="notebook numbers such as 00 03 (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    for name in ("NO_PROXY", "no_proxy"):  # as course.py does: loopback never via a proxy
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), LOOPBACK]))
    notebooks = pick(args.notebooks)
    # The kernels record solved exercises in a throwaway file, not the author's own progress.
    with tempfile.TemporaryDirectory(prefix="nocontent-progress-") as progress:
        os.environ["NOCONTENT_PROGRESS"] = os.path.join(progress, "progress.json")
        learners, wall = asyncio.run(classroom(args.kernels, notebooks))
    checks = verdict(learners)
    if args.json:
        print(json.dumps({"machine": machine(), "kernels": args.kernels, "wall_seconds": wall,
                          "notebooks": [p.name for p in notebooks], **checks,
                          "learners": [asdict(learner) for learner in learners]}))
    else:
        print(f"machine: {machine()}")
        print(f"{args.kernels} kernels at once, each running {len(notebooks)} notebooks in order "
              f"({notebooks[0].name} .. {notebooks[-1].name})")
        print(f"{'learner':<8} {'result':<6} {'port':>6} {'course s':>9} {'slowest notebook':<44} "
              f"{'peak RSS MB':>11}")
        for learner in learners:
            slowest = max(learner.seconds, key=learner.seconds.get, default="")
            took = f"{slowest} {learner.seconds.get(slowest, 0):.1f} s" if slowest else ""
            print(f"{learner.number:<8} {'pass' if learner.passed else 'FAIL':<6} "
                  f"{learner.port:>6} {sum(learner.seconds.values()):>9.1f} {took:<44} "
                  f"{learner.peak_mb:>11.1f}")
            for failure in learner.failures:
                print(f"         {failure}")
        print(f"wall time {wall:.1f} s; " + "; ".join(
            f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items()))
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
