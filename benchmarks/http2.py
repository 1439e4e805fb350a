"""HTTP/2 round trips: nocontent's h2c against hypercorn's, both loaded by h2load.

Each server runs in a process of its own and answers ``GET /status/204`` over
cleartext HTTP/2 with prior knowledge (nocontent: its real route; hypercorn:
a minimal ASGI app that answers 204 to anything). ``h2load`` (Debian's
nghttp2-client) sends the requests on one connection, one stream at a time
(``-c 1 -m 1``), so each request is a full round trip. Blocks alternate
between the servers, in a rotated order, and each server's figure is the
median over its blocks of h2load's mean "time for request".

Run: ``.venv/bin/python benchmarks/http2.py [--blocks 10] [--requests 4000]``
(about a minute). It prints a Markdown table and the machine it ran on.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

NOCONTENT = """
import sys
import nocontent
server = nocontent.Server(port={port})
print("ready", flush=True)
sys.stdin.read()
server.stop()
"""

HYPERCORN = """
import asyncio, socket, sys
from hypercorn.asyncio import serve
from hypercorn.config import Config

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({{"type": "lifespan.startup.complete"}})
            elif message["type"] == "lifespan.shutdown":
                await send({{"type": "lifespan.shutdown.complete"}})
                return
    await send({{"type": "http.response.start", "status": 204, "headers": []}})
    await send({{"type": "http.response.body", "body": b""}})

async def main():
    listener = socket.create_server(("127.0.0.1", {port}), backlog=128)
    config = Config()
    config.bind = [f"fd://{{listener.fileno()}}"]  # bound before "ready" is printed
    config.accesslog = None
    config.errorlog = None
    config.keep_alive_max_requests = 10**9  # its default (1000) ends the connection early
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin, stop.set)
    print("ready", flush=True)
    await serve(app, config, shutdown_trigger=stop.wait)

asyncio.run(main())
"""

SERVERS = {"nocontent": NOCONTENT, "hypercorn": HYPERCORN}


@dataclass
class Block:
    mean_us: float
    rps: float
    failed: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    code = textwrap.dedent(SERVERS[name]).format(port=port)
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":  # printed once the port is bound
        raise RuntimeError(f"{name} did not start")
    return process, port


def stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_MEAN = re.compile(r"time for request:\s+\S+\s+\S+\s+(\S+)")
_RPS = re.compile(r"finished in \S+, ([\d.]+) req/s")
_FAILED = re.compile(r"requests: .*?(\d+) failed")


def _microseconds(text: str) -> float:
    value = float(re.match(r"[\d.]+", text).group())  # type: ignore[union-attr]
    unit = text[len(re.match(r"[\d.]+", text).group()):]  # type: ignore[union-attr]
    return value * {"us": 1, "ms": 1000, "s": 1_000_000}[unit]


def h2load(port: int, requests: int) -> Block:
    out = subprocess.run(
        ["h2load", "-n", str(requests), "-c", "1", "-m", "1",
         f"http://127.0.0.1:{port}/status/204"],
        capture_output=True, text=True, check=True, timeout=300).stdout
    mean, rps, failed = _MEAN.search(out), _RPS.search(out), _FAILED.search(out)
    if not (mean and rps and failed):
        raise RuntimeError(f"could not read h2load's output:\n{out}")
    return Block(_microseconds(mean.group(1)), float(rps.group(1)), int(failed.group(1)))


def versions() -> str:
    h2load_version = subprocess.run(["h2load", "--version"], capture_output=True,
                                    text=True).stdout.strip()
    packages = ", ".join(f"{name} {importlib.metadata.version(name)}"
                         for name in ("nocontent", "h2", "hypercorn"))
    return (f"{platform.system()} {platform.release()} ({platform.machine()}), "
            f"{os.cpu_count()} CPUs; Python {platform.python_version()}; {packages}; "
            f"{h2load_version}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    if shutil.which("h2load") is None:
        sys.exit("h2load is missing: apt-get install nghttp2-client")
    running = {name: start(name) for name in SERVERS}
    results: dict[str, list[Block]] = {name: [] for name in SERVERS}
    try:
        for _, port in running.values():
            h2load(port, 500)  # warm up
        names = list(SERVERS)
        for block in range(args.blocks):
            order = names[block % 2:] + names[: block % 2]
            for name in order:
                results[name].append(h2load(running[name][1], args.requests))
    finally:
        for process, _ in running.values():
            stop(process)
    if any(block.failed for blocks in results.values() for block in blocks):
        print("some requests failed: the figures below are not comparable", file=sys.stderr)
    base = statistics.median(b.mean_us for b in results["hypercorn"])
    print(versions())
    print(f"{args.blocks} blocks of {args.requests} requests each, h2load -c 1 -m 1\n")
    print("| server | median of mean µs | best block µs | req/s (median) | failed "
          "| vs hypercorn |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, blocks in results.items():
        median = statistics.median(b.mean_us for b in blocks)
        print(f"| {name} | {median:.0f} | {min(b.mean_us for b in blocks):.0f} "
              f"| {statistics.median(b.rps for b in blocks):,.0f} "
              f"| {sum(b.failed for b in blocks)} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
