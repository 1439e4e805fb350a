"""Exercises of notebook 10, "Caching a 204: heuristic freshness".

``10.heuristic-lifetime`` checks the arithmetic of the heuristic RFC 9111
§4.2.2 suggests. ``10.predict-reuse`` asks a real RFC 9111 cache, hishel in
RFC mode with storage in memory, so it judges predictions against what a
cache did, not against the wording of an answer.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any

from .._server import serve
from . import exercise

__all__ = ["PREDICTED_PATHS", "memory_cache", "second_get"]

_DAY = 24 * 3600
_BASE = 1_795_000_000
"""A fixed instant (in November 2026) the lifetime cases are dated from."""

# -- 10.heuristic-lifetime -------------------------------------------------------------

# (seconds Last-Modified lies before Date, or None for no Last-Modified; expected; what)
_LIFETIME_CASES: tuple[tuple[int | None, float | None, str], ...] = (
    (10 * _DAY, 86_400, "Last-Modified 10 days before Date"),
    (_DAY, 8_640, "Last-Modified 1 day before Date"),
    (30 * 60, 180, "Last-Modified 30 minutes before Date"),
    (0, 0, "Last-Modified equal to Date"),
    (-3600, 0, "Last-Modified 1 hour after Date (a clock problem)"),
    (None, None, "no Last-Modified at all (last_modified is None)"),
)


@exercise(
    "10.heuristic-lifetime",
    "write heuristic_lifetime(date, last_modified): the RFC's suggested heuristic, in seconds",
    "parse both HTTP dates with email.utils.parsedate_to_datetime and return 10% of the "
    "seconds from Last-Modified to Date, or 0 when that interval is not positive; with "
    "last_modified None the suggested heuristic has nothing to measure, so return None "
    "(not 0, which would decide 'stale at once': RFC 9111 §4.2.2 leaves that to each cache)",
    nudge="The fraction, and what it is a fraction of, are in the RFC 9111 §4.2.2 quote above.",
)
def _heuristic_lifetime(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with the function heuristic_lifetime itself (no parentheses)"]
    problems = []
    date = formatdate(_BASE, usegmt=True)
    for before, expected, what in _LIFETIME_CASES:
        last_modified = None if before is None else formatdate(_BASE - before, usegmt=True)
        got = answer(date, last_modified)
        if expected is None:
            if got is not None:
                problems.append(f"{what}: you returned {got!r}; return None, because the "
                                "suggested heuristic has nothing to measure")
        elif isinstance(got, bool) or not isinstance(got, (int, float)) or math.isnan(got):
            problems.append(f"{what}: you returned {got!r}; return a number of seconds")
        elif abs(got - expected) > 1:
            problems.append(f"{what}: you returned {got!r}; expected {expected} seconds")
    return problems


# -- a real cache ----------------------------------------------------------------------


@contextmanager
def memory_cache(*, shared: bool = True) -> Iterator[Any]:
    """An httpx client behind hishel's RFC 9111 cache, stored in memory only.

    ``shared`` makes it a shared cache (a proxy's) or a private one (a
    browser's). Nothing is written to disk, and no proxy from the environment
    is used, so requests to the course's server stay on loopback.
    """
    import hishel
    from hishel.httpx import CacheClient

    storage = hishel.SqliteStorage(connection=sqlite3.connect(":memory:",
                                                              check_same_thread=False))
    client = CacheClient(storage=storage, rfc=hishel.CacheOptions(shared=shared),
                         trust_env=False)
    try:
        yield client
    finally:
        client.close()


def second_get(url: str, *, shared: bool = True) -> tuple[Any, Any]:
    """GET ``url`` twice through a new, empty cache; return both responses.

    Each one's ``extensions["caching"]`` says what the cache did: whether it
    stored the response, and whether it answered from its store.
    """
    with memory_cache(shared=shared) as client:
        first = client.get(url)
        return first, client.get(url)


# -- 10.predict-reuse ------------------------------------------------------------------

PREDICTED_PATHS = ("/cache/max-age/60", "/cache/max-age/0", "/status/205", "/status/204")
"""The routes whose second GET the learner predicts."""

_WHY = {
    "/cache/max-age/60": "max-age=60 makes it fresh for a minute, and an explicit lifetime "
                         "rules out any heuristic (RFC 9111 §4.2.1, §4.2.2)",
    "/cache/max-age/0": "max-age=0 is an explicit lifetime of zero: stale at once, so the "
                        "cache asks the server before reusing it (RFC 9111 §4.2.4)",
    "/status/205": "205 is not heuristically cacheable (RFC 9110 §15.1) and nothing in the "
                   "response allows storing it (RFC 9111 §3), so hishel did not store it",
    "/status/204": "hishel stored it (204 is heuristically cacheable), but it has no "
                   "Last-Modified and hishel's heuristic needs one, so the copy was stale at "
                   "once; the RFC would let a cache use another heuristic (RFC 9111 §4.2.2): "
                   "this is hishel's choice",
}


def _answered_from_store(path: str) -> bool:
    """Whether hishel, as a shared cache, answers a second GET of ``path`` from its store."""
    _, second = second_get(serve().url + path)
    caching = second.extensions["caching"]
    # A revalidated answer came from the server (a 304 or a new response).
    return bool(caching["from_cache"]) and not caching["revalidated"]


@exercise(
    "10.predict-reuse",
    "predict, for each route, whether hishel's RFC 9111 cache answers the second GET itself",
    "explicit freshness (max-age) comes first, and zero seconds of it means stale at once; "
    "without it, only a heuristically cacheable status (RFC 9110 §15.1) or one marked "
    "public may get a heuristic lifetime, and each cache picks its own heuristic: hishel's "
    "needs a Last-Modified",
    nudge="Think of each route's fields: which give a lifetime, and which give hishel's "
          "heuristic something to work from?",
)
def _predict_reuse(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["answer with a dict from each route to True (from the store) or False"]
    missing = [path for path in PREDICTED_PATHS if not isinstance(answer.get(path), bool)]
    if missing:
        return ["predict True or False for " + ", ".join(missing)]
    problems = []
    for path in PREDICTED_PATHS:
        if answer[path] != _answered_from_store(path):
            said = "from its store" if answer[path] else "by asking the server"
            problems.append(f"{path}: you said hishel answers the second GET {said}; it does "
                            f"not, because {_WHY[path]}")
    return problems
