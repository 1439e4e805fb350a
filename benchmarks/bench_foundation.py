"""Foundation figures: start-up to the first 204, and 204 round trips on keep-alive.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_foundation.py [--starts 50] [--trips 2000]

Targets from the foundation issue: ``serve()`` to the first 204 received in
20 ms median or less; a 204 round trip on a keep-alive httpx client in 1 ms
median or less. Figures vary with the machine, so it prints what it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import time

import httpx

import nocontent

PUT = b"PUT /docs/welcome HTTP/1.1\r\nHost: bench\r\nContent-Length: 2\r\n\r\nhi"


def first_204_ms() -> float:
    """Milliseconds from calling serve() to the first 204 read from a raw socket."""
    start = time.perf_counter()
    server = nocontent.serve()
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(PUT)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += sock.recv(4096)
    elapsed = (time.perf_counter() - start) * 1000
    server.stop()
    assert reply.startswith(b"HTTP/1.1 204 "), reply[:40]
    return elapsed


def round_trips_ms(count: int) -> list[float]:
    """Milliseconds per PUT answered with 204, on one keep-alive httpx connection."""
    server = nocontent.serve()
    url = f"{server.url}/docs/welcome"
    times = []
    with httpx.Client() as client:
        client.put(url, content=b"warm-up")
        for _ in range(count):
            start = time.perf_counter()
            response = client.put(url, content=b"hi")
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 204
    server.stop()
    return times


def raw_round_trips_ms(count: int) -> list[float]:
    """Milliseconds per PUT answered with 204 on one keep-alive raw socket (no client library)."""
    server = nocontent.serve()
    times = []
    with socket.create_connection((server.host, server.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(count):
            start = time.perf_counter()
            sock.sendall(PUT)
            reply = b""
            while not reply.endswith(b"\r\n\r\n"):
                reply += sock.recv(4096)
            times.append((time.perf_counter() - start) * 1000)
    server.stop()
    assert reply.startswith(b"HTTP/1.1 204 "), reply[:40]
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {sys.version.split()[0]}, httpx {httpx.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=50)
    parser.add_argument("--trips", type=int, default=2000)
    args = parser.parse_args()
    starts = [first_204_ms() for _ in range(args.starts)]
    trips = round_trips_ms(args.trips)
    raw = raw_round_trips_ms(args.trips)
    p99 = statistics.quantiles(trips, n=100)[98]
    print(f"machine: {machine()}")
    print(f"serve() to first 204  median {statistics.median(starts):7.3f} ms   "
          f"max {max(starts):7.3f} ms   (n={len(starts)}, target <= 20 ms median)")
    print(f"204 round trip (httpx) median {statistics.median(trips):7.3f} ms   "
          f"p99 {p99:7.3f} ms   (n={len(trips)}, target <= 1 ms median)")
    print(f"204 round trip (raw)   median {statistics.median(raw):7.3f} ms   "
          f"(n={len(raw)}: the server's share; the rest of the httpx figure is the client)")


if __name__ == "__main__":
    main()
