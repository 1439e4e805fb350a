"""Exercises of notebook 05, caching a 204.

The cache exercises are judged by a real RFC 9111 cache (hishel in RFC mode,
with in-memory storage) talking to the embedded server, so they test what a
cache does, not the wording of an answer.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any

from .._http import Request, Response, field_value_problem, token_problem
from .._server import serve
from . import exercise

__all__ = ["PREDICTED_PATHS", "memory_cache", "second_request"]

_DAY = 24 * 3600
_BASE = 1_795_000_000
"""A fixed instant (in November 2026) the lifetime cases are dated from."""

# (seconds Last-Modified lies before Date, expected heuristic lifetime, what the case is)
_LIFETIME_CASES = (
    (10 * _DAY, 86_400, "Last-Modified 10 days before Date"),
    (_DAY, 8_640, "Last-Modified 1 day before Date"),
    (30 * 60, 180, "Last-Modified 30 minutes before Date"),
    (0, 0, "Last-Modified equal to Date"),
    (-3600, 0, "Last-Modified 1 hour after Date (a clock problem)"),
)


@exercise(
    "05.heuristic-lifetime",
    "write heuristic_lifetime(date, last_modified): seconds of heuristic freshness",
    "parse both IMF dates with email.utils.parsedate_to_datetime, take 10% of the interval "
    "from Last-Modified to Date, and return 0 when that interval is not positive",
)
def _heuristic_lifetime(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function heuristic_lifetime(date, last_modified)"]
    problems = []
    for before, expected, what in _LIFETIME_CASES:
        date = formatdate(_BASE, usegmt=True)
        last_modified = formatdate(_BASE - before, usegmt=True)
        got = answer(date, last_modified)
        if isinstance(got, bool) or not isinstance(got, (int, float)) or math.isnan(got):
            problems.append(f"{what}: you returned {got!r}; return a number of seconds")
        elif abs(got - expected) > 1:
            problems.append(f"{what}: you returned {got!r}; expected {expected} seconds")
    return problems


# -- a real cache ----------------------------------------------------------------------


@contextmanager
def memory_cache(*, shared: bool = True) -> Iterator[Any]:
    """An httpx client with hishel's RFC 9111 cache in front, stored in memory only.

    ``shared`` chooses a shared cache (a proxy) or a private one (a browser).
    Nothing is written to disk, and proxies from the environment are not used.
    """
    import hishel
    from hishel.httpx import CacheClient

    connection = sqlite3.connect(":memory:", check_same_thread=False)
    storage = hishel.SqliteStorage(connection=connection)
    client = CacheClient(storage=storage, rfc=hishel.CacheOptions(shared=shared),
                         trust_env=False)
    try:
        yield client
    finally:
        client.close()


def second_request(url: str, *, shared: bool = True) -> Any:
    """GET ``url`` twice through a fresh, empty cache and return the second response.

    Its ``extensions["caching"]`` says whether the cache answered it from its store.
    """
    with memory_cache(shared=shared) as client:
        client.get(url)
        return client.get(url)


@exercise(
    "05.stop-reuse",
    "choose a response field that stops every cache from reusing a 204 without asking",
    'answer with a (name, value) pair such as ("Cache-Control", "..."); RFC 9111 §5.2.2 '
    "lists the response directives, and one of them forbids storing the response at all",
)
def _stop_reuse(answer: Any) -> list[str]:
    if not (isinstance(answer, tuple) and len(answer) == 2
            and all(isinstance(part, str) for part in answer)):
        return ['answer with a pair of strings (field name, value), such as ("Vary", "Origin")']
    name, value = answer
    problem = token_problem("the field name", name) or field_value_problem(value)
    if problem:
        return [problem]
    if name.lower() in ("content-length", "transfer-encoding"):
        return [f"{name} is a framing field, and a 204 must not carry it (RFC 9110 §8.6, "
                "RFC 9112 §6.1); caching is controlled elsewhere"]
    path = "/exercises/05/stop-reuse"
    calls: list[str] = []

    def handler(request: Request) -> Response:
        calls.append(request.method)
        modified = formatdate(time.time() - 10 * _DAY, usegmt=True)
        return Response(status=204, headers=(("Last-Modified", modified), (name, value)))

    server = serve()
    url = server.mount(path, handler)
    problems = []
    try:
        for shared, kind in ((True, "a shared cache (a proxy)"),
                             (False, "a private cache (a browser's)")):
            before = len(calls)
            second = second_request(url, shared=shared)
            reached = len(calls) - before
            if second.status_code != 204:
                problems.append(f"the second response was {second.status_code}, not 204")
            elif reached < 2:
                problems.append(f"{kind} still answered the second GET from its store, without "
                                "asking the server")
    finally:
        server.unmount(path)
    return problems


# -- predict, then measure -----------------------------------------------------------------

PREDICTED_PATHS = (
    "/cache/heuristic",
    "/cache/max-age/60",
    "/cache/max-age/0",
    "/cache/no-store",
    "/status/204",
)
"""The routes whose second GET the learner predicts."""

_WHY = {
    "/cache/heuristic": "no explicit freshness, but Last-Modified is 10 days old, so the 10% "
                        "heuristic gives it a day of freshness (RFC 9111 §4.2.2)",
    "/cache/max-age/60": "max-age=60 makes it fresh for a minute (RFC 9111 §5.2.2.1)",
    "/cache/max-age/0": "max-age=0 makes it stale at once, so the cache must ask the server "
                        "again (RFC 9111 §4.2.4)",
    "/cache/no-store": "no-store forbids storing it at all (RFC 9111 §5.2.2.5)",
    "/status/204": "it has neither explicit freshness nor a Last-Modified to base a heuristic "
                   "on, so it is stale at once and the cache asks the server again",
}


@exercise(
    "05.reuse-or-not",
    "predict, for each route, whether an RFC 9111 cache serves the second GET from its store",
    "a cache reuses a response while it is fresh: explicit freshness (max-age) comes first; "
    "without it, a heuristic needs something to work from, such as Last-Modified; and "
    "no-store means it is never stored",
)
def _reuse_or_not(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["answer with a dict from each route to True (from the cache) or False"]
    problems = []
    missing = [path for path in PREDICTED_PATHS if not isinstance(answer.get(path), bool)]
    if missing:
        problems.append("predict True or False for " + ", ".join(missing))
    server = serve()
    for path in PREDICTED_PATHS:
        if path in missing:
            continue
        caching = second_request(server.url + path).extensions["caching"]
        # The server never answers these routes with 304, so a response that
        # was revalidated came from the server.
        served = bool(caching["from_cache"]) and not caching["revalidated"]
        if answer[path] != served:
            said = "from the cache" if answer[path] else "from the server"
            problems.append(f"{path}: you said the second GET is answered {said}; it is not, "
                            f"because {_WHY[path]}")
    return problems
