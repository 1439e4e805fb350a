"""Solutions to the exercises of notebooks/05-caching-a-204.ipynb."""

from __future__ import annotations

from email.utils import parsedate_to_datetime


def heuristic_lifetime(date: str, last_modified: str) -> float:
    """Seconds of heuristic freshness: 10% of the time from Last-Modified to Date.

    RFC 9111 §4.2.2 suggests the fraction; a Last-Modified that is not before
    Date gives nothing to work from, so no heuristic freshness.
    """
    interval = parsedate_to_datetime(date) - parsedate_to_datetime(last_modified)
    return max(interval.total_seconds(), 0) * 0.10


# RFC 9111 §5.2.2.5: no-store forbids every cache, shared or private, to store it.
stop_reuse = ("Cache-Control", "no-store")

reuse_or_not = {
    "/cache/heuristic": True,
    "/cache/max-age/60": True,
    "/cache/max-age/0": False,
    "/cache/no-store": False,
    "/status/204": False,
}

SOLUTIONS = {
    "05.heuristic-lifetime": heuristic_lifetime,
    "05.stop-reuse": stop_reuse,
    "05.reuse-or-not": reuse_or_not,
}
