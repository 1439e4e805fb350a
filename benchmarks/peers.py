"""nocontent's embedded server against the servers a teacher would otherwise reach for.

Run on demand, not in the test suite; everything is measured in one run, side by
side, and reported as ratios, because the machine it runs on may be shared:

    .venv/bin/python benchmarks/peers.py [--starts 40] [--trips 4000] [--idle 5] [--no-course]
    .venv/bin/python benchmarks/peers.py --course-only [--serial] [--notebooks 00 03 ...]

Peers, each answering 204 to any request, each in a background thread:
the standard library's ``ThreadingHTTPServer``, Werkzeug's development server
(``werkzeug.serving.make_server``, as pytest-httpbin uses it) and uvicorn (``Config`` +
``Server.run()`` in a thread; off the main thread it installs no signal handlers).

1. start to first 204: from the call that starts the server to the first 204 read
   on a raw socket (stopping is not timed). Each round takes the peers in a rotated
   order, and each start waits until the threads the previous peer left (the standard
   library does not join its daemon handler threads) have ended: otherwise whoever
   comes next pays for them, which made the first peer of a round look 20% slower;
2. 204 round trips on one keep-alive raw socket: median, 99th percentile and
   throughput, in interleaved blocks so that noise falls on every peer alike
   (Werkzeug's development server closes every connection, "Connection: close",
   so it has no keep-alive figure); then one new connection per request, all peers;
3. memory and idle CPU a running embedded server adds, each measured in a fresh
   Python process;
4. the whole course, notebook by notebook, each in a fresh kernel, as ``python3
   course.py run`` runs it (``nocontent._runner``: the next kernel starts while a
   notebook runs, the last one stops while the next runs); ``--serial`` times
   each kernel's start and shutdown too, nothing overlapped; ``--course-only``
   runs just this part.
   ``benchmarks/classroom.py --kernels 1`` times the course in one kernel.

Targets (issue 6): start to first 204 no slower than the fastest peer; round-trip
median within 1.5x of the standard library; under 10 MB resident memory and
near-zero idle CPU added. Issue 14: the whole course in at most 45 s with a fresh
kernel per notebook (and at most 30 s in one kernel) on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

import uvicorn
from werkzeug.serving import make_server

import nocontent

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REQUEST = b"GET /status/204 HTTP/1.1\r\nHost: bench\r\n\r\n"
PUT = b"PUT /docs/welcome HTTP/1.1\r\nHost: bench\r\nContent-Length: 2\r\n\r\nhi"


# -- the peers ----------------------------------------------------------------------------------


class Running:
    """A started server: where it listens, and how to stop it."""

    def __init__(self, port: int, stop: Callable[[], None]) -> None:
        self.port = port
        self.stop = stop


class Handler204(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the other peers

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    do_GET = do_PUT = do_POST = do_HEAD = answer

    def log_message(self, *args: object) -> None:
        pass


def wsgi_204(environ: dict, start_response: Callable) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("204 No Content", [])
    return []


async def asgi_204(scope: dict, receive: Callable, send: Callable) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def start_nocontent() -> Running:
    server = nocontent.serve()
    return Running(server.port, server.stop)


def _in_thread(server: socketserver.BaseServer, port: int) -> Running:
    """Run a socketserver-style server's loop in a thread; stopping joins it."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return Running(port, stop)


def start_stdlib() -> Running:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler204)
    server.daemon_threads = True
    return _in_thread(server, server.server_address[1])


def start_werkzeug() -> Running:
    server = make_server("127.0.0.1", 0, wsgi_204, threaded=True)
    return _in_thread(server, server.server_port)


def start_uvicorn() -> Running:
    # The socket is bound here so its port is known at once; uvicorn takes connections
    # from its backlog as soon as its loop runs (that wait is part of what is measured).
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(asgi_204, log_level="error", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join()
        sock.close()

    return Running(sock.getsockname()[1], stop)


PEERS: dict[str, Callable[[], Running]] = {
    "nocontent serve()": start_nocontent,
    "stdlib ThreadingHTTPServer": start_stdlib,
    "werkzeug make_server": start_werkzeug,
    "uvicorn (httptools)": start_uvicorn,
}
BASELINE = "stdlib ThreadingHTTPServer"
NO_KEEP_ALIVE = {"werkzeug make_server"}
TIMEOUT = 10.0


# -- measurements ------------------------------------------------------------------------------


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data


def first_204_ms(start: Callable[[], Running]) -> float:
    began = time.perf_counter()
    running = start()
    with socket.create_connection(("127.0.0.1", running.port), timeout=TIMEOUT) as sock:
        sock.sendall(REQUEST)
        head = read_head(sock)
    elapsed = (time.perf_counter() - began) * 1000
    running.stop()
    assert head.startswith(b"HTTP/1.1 204 "), head[:60]
    return elapsed


def round_trips(sock: socket.socket, count: int, request: bytes) -> list[float]:
    """Microseconds per 204 round trip on one keep-alive socket."""
    times = []
    for _ in range(count):
        began = time.perf_counter_ns()
        sock.sendall(request)
        head = read_head(sock)
        times.append((time.perf_counter_ns() - began) / 1000)
        if not head.startswith(b"HTTP/1.1 204 ") or len(head) != head.index(b"\r\n\r\n") + 4:
            raise AssertionError(f"not a lone 204: {head[:80]!r}")
    return times


def settle(threads: int) -> None:
    """Wait (up to 2 s) until only ``threads`` threads are left, then collect garbage."""
    deadline = time.monotonic() + 2
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.001)
    gc.collect()
    time.sleep(0.005)


def measure_starts(rounds: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {name: [] for name in PEERS}
    threads = threading.active_count()
    for start in PEERS.values():  # warm: imports and lazily built state
        first_204_ms(start)
    names = list(PEERS)
    for number in range(rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            settle(threads)
            found[name].append(first_204_ms(PEERS[name]))
    return found


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def measure_trips(count: int, blocks: int = 10) -> dict[str, list[float]]:
    """Round trips on one keep-alive connection per peer, in interleaved blocks."""
    running = {name: start() for name, start in PEERS.items() if name not in NO_KEEP_ALIVE}
    sockets = {name: connect(server.port) for name, server in running.items()}
    sockets["nocontent PUT /docs"] = connect(running["nocontent serve()"].port)
    requests = {name: PUT if "PUT" in name else REQUEST for name in sockets}
    for name, sock in sockets.items():
        round_trips(sock, 200, requests[name])  # warm-up
    found: dict[str, list[float]] = {name: [] for name in sockets}
    for _ in range(blocks):
        for name, sock in sockets.items():
            found[name] += round_trips(sock, count // blocks, requests[name])
    for sock in sockets.values():
        sock.close()
    for server in running.values():
        server.stop()
    return found


def one_connection_us(port: int) -> float:
    began = time.perf_counter_ns()
    with connect(port) as sock:
        sock.sendall(REQUEST)
        head = read_head(sock)
    assert head.startswith(b"HTTP/1.1 204 "), head[:60]
    return (time.perf_counter_ns() - began) / 1000


def measure_connections(count: int, blocks: int = 10) -> dict[str, list[float]]:
    """Microseconds per 204 with a new connection each time (connect, ask, read, close)."""
    running = {name: start() for name, start in PEERS.items()}
    found: dict[str, list[float]] = {name: [] for name in running}
    for block in range(blocks + 1):
        for name, server in running.items():
            times = [one_connection_us(server.port) for _ in range(count // blocks)]
            if block:  # the first block only warms up
                found[name] += times
    for server in running.values():
        server.stop()
    return found


FOOTPRINT = r"""
import json, os, socket, sys, threading, time
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
bare = rss_kb()
import nocontent
imported = rss_kb()
idle = float(sys.argv[1])
cpu = time.process_time(); time.sleep(idle); before_cpu = time.process_time() - cpu
server = nocontent.serve()
with socket.create_connection((server.host, server.port)) as sock:  # one request, as a cell
    sock.sendall(b"GET /status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    while sock.recv(4096):
        pass
time.sleep(0.2)
serving = rss_kb()
cpu = time.process_time(); time.sleep(idle); serving_cpu = time.process_time() - cpu
keep = socket.create_connection((server.host, server.port))  # an idle keep-alive connection
keep.sendall(b"GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n"); keep.recv(4096)
cpu = time.process_time(); time.sleep(idle); open_cpu = time.process_time() - cpu
print(json.dumps({"bare_kb": bare, "imported_kb": imported, "serving_kb": serving,
                  "threads": threading.active_count(), "before_cpu": before_cpu,
                  "serving_cpu": serving_cpu, "open_cpu": open_cpu, "idle": idle}))
"""


def measure_footprint(idle: float) -> dict:
    done = subprocess.run([sys.executable, "-c", FOOTPRINT, str(idle)], capture_output=True,
                          text=True, check=True, timeout=120 + 4 * idle)
    return json.loads(done.stdout)


def pick(numbers: list[str]) -> list[Path]:
    """The notebooks whose names start with ``numbers`` (all of them when there are none)."""
    every = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))
    chosen = [p for p in every if not numbers or any(p.name.startswith(n + "-") for n in numbers)]
    if numbers and len(chosen) != len(numbers):
        sys.exit(f"no notebook for some of {numbers} among {[p.name for p in every]}")
    return chosen


async def course_times(notebooks: list[Path], serial: bool) -> list[tuple[str, float, str]]:
    """Each notebook's seconds and outcome, run as ``python3 course.py run`` runs them.

    ``serial`` times the plain way instead: start a kernel, run, shut it down and
    wait, then the next; nothing overlaps.
    """
    import nbformat
    from nbclient import NotebookClient

    from nocontent import _runner

    def outcome(problems: tuple[str, ...]) -> str:
        return "FAIL " + problems[0][:60] if problems else "pass"

    if not serial:
        with tempfile.TemporaryFile() as log:
            done = await _runner.run(notebooks, log=log, report=False)
        return [(r.notebook.name, r.seconds, outcome(r.problems)) for r in done]
    results = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        began = time.perf_counter()
        await client.async_execute()
        results.append((path.name, time.perf_counter() - began,
                        outcome(_runner.problems(notebook))))
    return results


# -- report --------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name")), cpu)
    memory = ""
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as meminfo:
            memory = f", {int(meminfo.readline().split()[1]) / 1024 / 1024:.1f} GiB RAM"
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}){memory}; "
            f"Python {sys.version.split()[0]}; nocontent {nocontent.__version__}, "
            f"werkzeug {version('werkzeug')}, uvicorn {version('uvicorn')}, "
            f"httptools {version('httptools')}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                     for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=40, help="rounds of start-to-first-204")
    parser.add_argument("--trips", type=int, default=4000, help="round trips per peer")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU sampling")
    parser.add_argument("--no-course", action="store_true", help="skip running the notebooks")
    parser.add_argument("--course-only", action="store_true", help="only run the notebooks")
    parser.add_argument("--serial", action="store_true",
                        help="time each kernel's start and shutdown too, nothing overlapped")
    parser.add_argument("--notebooks", nargs="*", default=[],
                        help="notebook numbers such as 00 03 (default: all)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # it logs every request otherwise
    # The kernels record solved exercises in a throwaway file, not the author's own progress.
    progress = tempfile.TemporaryDirectory(prefix="nocontent-progress-")
    os.environ["NOCONTENT_PROGRESS"] = os.path.join(progress.name, "progress.json")
    print(f"machine: {machine()}\n")
    verdicts = [] if args.course_only else measure_server(args)

    if not args.no_course:
        notebooks = pick(args.notebooks)
        began = time.perf_counter()
        results = asyncio.run(course_times(notebooks, args.serial))
        total = time.perf_counter() - began
        how = "serial" if args.serial else "as course.py run"
        rows = [[f"notebook (fresh kernel each, {how})", "seconds", "result"]]
        rows += [[name, f"{seconds:.1f}", outcome] for name, seconds, outcome in results]
        rows.append([f"whole course ({len(notebooks)} notebooks)", f"{total:.1f}",
                     "pass" if all(o == "pass" for *_, o in results) else "FAIL"])
        print(table(rows) + "\n")
        verdicts.append(("whole course <= 45 s, a fresh kernel each",
                         total <= 45 and rows[-1][2] == "pass", f"{total:.1f} s"))

    print(table([["target", "met", "measured"],
                 *[[what, "yes" if ok else "NO", shown] for what, ok, shown in verdicts]]))
    progress.cleanup()


def measure_server(args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    """Parts 1 to 3: print each table; return the verdicts."""
    verdicts = []
    starts = measure_starts(args.starts)
    medians = {name: statistics.median(values) for name, values in starts.items()}
    fastest_peer = min(v for name, v in medians.items() if name != "nocontent serve()")
    rows = [["start to first 204", "median ms", "p90 ms", "vs fastest peer"]]
    for name, values in starts.items():
        rows.append([name, f"{medians[name]:.2f}", f"{percentile(values, 0.9):.2f}",
                     f"{medians[name] / fastest_peer:.2f}x"])
    print(f"{table(rows)}\n({args.starts} rounds, peers in rotated order, each started on a "
          "quiet process; GET /status/204 on a raw socket)\n")
    verdicts.append(("start to first 204 <= fastest peer",
                     medians["nocontent serve()"] <= fastest_peer,
                     f"{medians['nocontent serve()'] / fastest_peer:.2f}x"))

    trips = measure_trips(args.trips)
    base = statistics.median(trips[BASELINE])
    rows = [["204 round trip, keep-alive", "median us", "p99 us", "per second", "median vs stdlib"]]
    for name, values in trips.items():
        median = statistics.median(values)
        rows.append([name, f"{median:.0f}", f"{percentile(values, 0.99):.0f}",
                     f"{len(values) / (sum(values) / 1e6):,.0f}", f"{median / base:.2f}x"])
    print(f"{table(rows)}\n({args.trips} round trips each, in 10 interleaved blocks; GET "
          "/status/204, and nocontent's PUT /docs/welcome for the cost of a real route;\n"
          "werkzeug: none, its development server closes every connection)\n")
    ratio = statistics.median(trips["nocontent serve()"]) / base
    verdicts.append(("round-trip median <= 1.5x stdlib", ratio <= 1.5, f"{ratio:.2f}x"))

    fresh = measure_connections(max(args.trips // 4, 100))
    base = statistics.median(fresh[BASELINE])
    rows = [["204, new connection each", "median us", "p99 us", "per second", "median vs stdlib"]]
    for name, values in fresh.items():
        median = statistics.median(values)
        rows.append([name, f"{median:.0f}", f"{percentile(values, 0.99):.0f}",
                     f"{len(values) / (sum(values) / 1e6):,.0f}", f"{median / base:.2f}x"])
    print(f"{table(rows)}\n({max(args.trips // 4, 100)} requests each, connect to close, "
          "in 10 interleaved blocks after one to warm up)\n")

    foot = measure_footprint(args.idle)
    added_mb = (foot["serving_kb"] - foot["imported_kb"]) / 1024
    imported_mb = (foot["imported_kb"] - foot["bare_kb"]) / 1024
    idle = f"CPU over {foot['idle']:.0f} s idle"
    rows = [["footprint (fresh process)", "value"],
            ["RSS, bare Python", f"{foot['bare_kb'] / 1024:.1f} MB"],
            ["RSS added by import nocontent", f"{imported_mb:.1f} MB"],
            ["RSS added by serve() + one request", f"{added_mb:.2f} MB"],
            ["threads with the server running", str(foot["threads"])],
            [f"{idle}, no server", f"{foot['before_cpu'] * 1000:.1f} ms"],
            [f"{idle}, server running", f"{foot['serving_cpu'] * 1000:.1f} ms"],
            [f"{idle}, + open keep-alive connection", f"{foot['open_cpu'] * 1000:.1f} ms"]]
    print(table(rows) + "\n")
    idle_share = max(foot["serving_cpu"], foot["open_cpu"]) / foot["idle"]
    verdicts.append(("RSS added < 10 MB", added_mb < 10, f"{added_mb:.2f} MB"))
    verdicts.append(("idle CPU near zero (< 0.1% of a core)", idle_share < 0.001,
                     f"{idle_share * 100:.3f}%"))

    return verdicts


if __name__ == "__main__":
    main()
