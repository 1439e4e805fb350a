"""No lost writes: concurrent conditional PUTs (and DELETEs) on one document.

Run on demand (``tests/test_concurrency.py`` runs the same code at a smaller size):

    .venv/bin/python benchmarks/lost_writes.py [--writers 16] [--attempts 50] [--deleters 4]

Each writer keeps one keep-alive connection and repeats: PUT new content with
``If-Match`` set to the ETag it last saw; on 412 it GETs the document to see the
current ETag. Deleters do the same with ``DELETE`` + ``If-Match``; a writer that
last saw no document creates it with ``If-None-Match: *``. Every success names the
exact version it replaced, so the successes must form chains from version to
version; :func:`explain` checks that they do and that the chains end in the
document the server holds. Two successes from one version would be a lost write.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from nocontent import Document, Server

ABSENT = "absent"
"""The state "no document"; a PUT conditioned on it sends ``If-None-Match: *``."""
ALLOWED = {
    ("PUT", "version"): {204, 412},  # replaced, or the version was not current
    ("PUT", ABSENT): {201, 412},  # created, or it exists after all
    ("DELETE", "version"): {204, 404, 412},  # deleted, gone already, or not current
}


@dataclass(frozen=True)
class Attempt:
    """One conditional request and what came of it."""

    actor: str
    method: str
    condition: str  # the ETag sent in If-Match, or ABSENT
    status: int
    etag: str | None  # the new ETag, after a successful PUT
    body: bytes

    @property
    def succeeded(self) -> bool:
        return self.status in (201, 204)

    @property
    def after(self) -> str:
        """The state this attempt left behind, when it succeeded."""
        return ABSENT if self.method == "DELETE" else str(self.etag)


@dataclass
class Explanation:
    """How the successes chain from the first state to the last, and what went wrong."""

    problems: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    writes: int = 0
    deletes: int = 0
    chains: int = 0
    last_chain: int = 0  # writes on the chain that ends in the final document


def race(server: Server, name: str, writers: int, attempts: int,
         deleters: int = 0) -> list[Attempt]:
    """Run the writers and deleters at once against ``/docs/{name}``; every attempt."""
    path = f"/docs/{name}"
    start = threading.Barrier(writers + deleters)
    results: list[list[Attempt]] = []

    def actor(label: str, method: str) -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        done: list[Attempt] = []
        results.append(done)

        def current() -> str:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.getheader("ETag") if response.status == 200 else ABSENT

        seen = current()
        start.wait()  # all have read before any writes: the first round collides for sure
        for number in range(attempts):
            if method == "DELETE" and seen == ABSENT:
                seen = current()  # nothing to delete that it knows of
                continue
            body = f"{label}, attempt {number}\n".encode() if method == "PUT" else b""
            headers = {"If-None-Match": "*"} if seen == ABSENT else {"If-Match": seen}
            conn.request(method, path, body=body if method == "PUT" else None, headers=headers)
            response = conn.getresponse()
            response.read()
            etag = response.getheader("ETag") if method == "PUT" else None
            attempt = Attempt(label, method, seen, response.status, etag, body)
            done.append(attempt)
            seen = attempt.after if attempt.succeeded else current()
        conn.close()

    threads = [threading.Thread(target=actor, args=(f"writer {n}", "PUT"))
               for n in range(writers)]
    threads += [threading.Thread(target=actor, args=(f"deleter {n}", "DELETE"))
                for n in range(deleters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [attempt for done in results for attempt in done]


def explain(attempts: list[Attempt], initial: Document | None,
            final: Document | None) -> Explanation:
    """Check that the successful attempts explain the change from ``initial`` to ``final``.

    Each success started from one state (a version, or no document) and left one.
    Versions have unique ETags (every body differs), so following "left" to
    "started from" links gives chains: from the initial version, and from each
    creation. All successes must lie on them, at most one success may start from
    any version, exactly one chain may stay open (none when the document is gone at
    the end), and that chain's last write must be the final document.
    """
    found = Explanation(statuses=Counter(a.status for a in attempts))
    for attempt in attempts:
        kind = ABSENT if attempt.condition == ABSENT else "version"
        if attempt.status not in ALLOWED[attempt.method, kind]:
            found.problems.append(f"{attempt}: status not allowed")
    successes = [a for a in attempts if a.succeeded]
    found.writes = sum(a.method == "PUT" for a in successes)
    found.deletes = sum(a.method == "DELETE" for a in successes)
    following: dict[str, Attempt] = {}
    for attempt in successes:
        if attempt.condition == ABSENT:
            continue
        if attempt.condition in following:
            found.problems.append(f"two successes from version {attempt.condition}: "
                                  f"{following[attempt.condition]} and {attempt} (a lost write)")
        following[attempt.condition] = attempt
    # (state, its version, its body, writes on the chain so far); a creation is version 1
    starts = [(a.after, 1, a.body, 1) for a in successes if a.condition == ABSENT]
    if initial is not None:
        starts.append((initial.etag, initial.version, initial.body, 0))
    visited = sum(a.condition == ABSENT for a in successes)
    open_ends: list[tuple[str, int, bytes]] = []
    for state, version, body, length in starts:
        while state in following:
            step = following[state]
            visited += 1
            state, version, body = step.after, version + 1, step.body
            length += 1
        if state != ABSENT:
            open_ends.append((state, version, body))
            found.last_chain = length
    found.chains = len(starts)
    if visited != len(successes):
        found.problems.append(f"{len(successes) - visited} successes replaced a version "
                              "that no chain reaches")
    if final is None:
        if open_ends:
            found.problems.append(f"the document is gone, yet chains end in {open_ends}")
        return found
    if len(open_ends) != 1:
        found.problems.append(f"{len(open_ends)} open chains for one final document")
        return found
    etag, version, body = open_ends[0]
    if (etag, version) != (final.etag, final.version):
        found.problems.append(f"the chains end at {etag} (version {version}), the store "
                              f"holds {final.etag} (version {final.version})")
    if body != final.body:
        found.problems.append("the final content is not the last successful write")
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {sys.version.split()[0]}")


def run(label: str, writers: int, attempts: int, deleters: int) -> list[str]:
    with Server() as server:
        server.app.store.put("race", b"seed\n", "text/plain", lambda current: None)
        initial = server.app.store.get("race")
        started = time.perf_counter()
        attempts_made = race(server, "race", writers, attempts, deleters)
        seconds = time.perf_counter() - started
        final = server.app.store.get("race")
    found = explain(attempts_made, initial, final)
    statuses = " ".join(f"{status}x{count}" for status, count in sorted(found.statuses.items()))
    return [label, f"{writers}+{deleters}", str(len(attempts_made)), statuses,
            str(found.writes), str(found.deletes), str(found.last_chain),
            "gone" if final is None else str(final.version),
            "yes" if not found.problems else "NO: " + found.problems[0][:60],
            f"{len(attempts_made) / seconds:,.0f}/s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--attempts", type=int, default=50)
    parser.add_argument("--deleters", type=int, default=4)
    args = parser.parse_args()
    rows = [
        ["run", "writers+deleters", "attempts", "statuses", "writes", "deletes", "last chain",
         "final version", "explained", "attempts/s"],
        run("PUT If-Match", args.writers, args.attempts, 0),
        run("PUT vs DELETE", args.writers, args.attempts, args.deleters),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"machine: {machine()}")
    print(f"{args.attempts} attempts per actor on one document (seeded at version 1). "
          "'last chain': the writes since the\ninitial version or the last re-creation, which "
          "the document's version must count; 'explained': every\nsuccess lies on a chain of "
          "versions and the last one ends in the stored document.")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if any(row[8] != "yes" for row in rows[1:]):
        sys.exit(1)


if __name__ == "__main__":
    main()
