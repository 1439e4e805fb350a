"""Solutions to the exercises of notebooks/10-caching-a-204.ipynb."""

from __future__ import annotations

from email.utils import parsedate_to_datetime


def heuristic_lifetime(date: str, last_modified: str | None) -> float | None:
    """Seconds of freshness by the heuristic RFC 9111 §4.2.2 suggests, or None.

    10% of the interval from Last-Modified to Date ("A typical setting of this
    fraction might be 10%"). A Last-Modified that is not before Date gives an
    interval of nothing, so 0. Without Last-Modified this heuristic has nothing
    to measure: None, since another heuristic might still give a lifetime.
    """
    if last_modified is None:
        return None
    interval = parsedate_to_datetime(date) - parsedate_to_datetime(last_modified)
    return max(interval.total_seconds(), 0) * 0.10


predict_reuse = {
    "/cache/max-age/60": True,  # a minute of explicit freshness
    "/cache/max-age/0": False,  # explicit, and stale at once
    "/status/205": False,  # not heuristically cacheable, nothing allows storing it
    "/status/204": False,  # stored, but hishel's heuristic needs Last-Modified
}

SOLUTIONS = {
    "10.heuristic-lifetime": heuristic_lifetime,
    "10.predict-reuse": predict_reuse,
}
