"""Exercises of notebook 12, *CORS: a 204 across origins*.

Each judge mounts the learner's handler on the shared embedded server, where
its reply is sent as written, and reads that reply twice: as a browser would,
with the Fetch standard's rules in :mod:`nocontent._cors` (written once,
there), and as the checker does, with RFC 9110 and RFC 9112.

Messages hold no ports, dates or timings: the same answer gets the same words.
"""

from __future__ import annotations

from typing import Any

from .._checker import Level, Report, check
from .._cors import (
    cors_check,
    exposed_header_names,
    preflight_problems,
    unsafe_request_header_names,
)
from .._store import etag_for
from . import exercise, mounted

__all__ = ["ORIGIN", "PREFLIGHT", "WANTED"]

ORIGIN = "https://editor.example"
"""The origin of the page that wants to save a document on the course server."""

WANTED = (("Content-Type", "application/json"), ("If-Match", '"v1"'))
"""The fields of the PUT the page wants to send: both make a preflight necessary."""

PREFLIGHT = (
    ("Origin", ORIGIN),
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", ",".join(unsafe_request_header_names(WANTED))),
)
"""The preflight for that PUT (Fetch: the CORS-unsafe names, lower-cased, sorted, joined by ",")."""

_GRACE = 0.1
"""Seconds the checker keeps listening after a reply, for stray bytes (a mounted handler's
reply goes out in one write, so they come at once if at all)."""


def _serious(report: Report) -> list[str]:
    """The checker's MUST and SHOULD findings, one sentence each."""
    return [f"the checker: {f.rule.level} {f.rule.id} ({f.rule.rfc}): {f.rule.message}; "
            f"on the wire: {f.detail}"
            for f in report.findings if f.rule.level is not Level.INFO]


def _framed(report: Report) -> bool:
    response = report.exchange.response
    return response is not None and any(
        name.lower() in ("content-length", "transfer-encoding") for name, _ in response.headers)


@exercise(
    "12.legacy-preflight",
    "answer the preflight for legacy browsers: 200 with Content-Length: 0, breaking no rule",
    "Keep the Access-Control-Allow-* fields, but answer status 200: Content-Length: 0 is "
    "forbidden only on 1xx and 204 (RFC 9110 §8.6), and on a 200 it is the length that ends "
    "the response. The Fetch standard accepts any ok status, 200 to 299, for a preflight.",
    nudge="Look at the saga above: which ok status may carry Content-Length: 0?",
)
def _legacy_preflight(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function that takes a Request and returns a Response"]
    with mounted("/exercises/11/legacy-preflight", answer) as (url, errors):
        report = check(url, "OPTIONS", PREFLIGHT, grace=_GRACE)
    if errors:
        return errors[:1]
    response = report.exchange.response
    if response is None:
        return [f"no response came back: {report.exchange.error}"]
    problems = []
    if response.status != 200:
        problems.append(f"your handler answered {response.status}; the old browsers this task "
                        "is for choke on a 204 preflight, so answer 200 (the cors middleware's "
                        "optionsSuccessStatus: 200)")
    elif not _framed(report):
        problems.append("your 200 has no Content-Length, so it ends only when the server closes "
                        "the connection (RFC 9112 §6.3, last rule): send Content-Length: 0")
    problems += [f"a browser would refuse it: {problem}" for problem in preflight_problems(
        response.status, response.headers, origin=ORIGIN, method="PUT", request_headers=WANTED)]
    return problems + _serious(report)


SAVED = b'{"title": "Saved from another origin"}'
"""What the judge of 12.expose-etag sends in its cross-origin PUT."""


@exercise(
    "12.expose-etag",
    "answer a cross-origin PUT with a 204 whose ETag the page's script can read",
    "Keep the 204, its ETag (etag_for(request.body)) and Access-Control-Allow-Origin, and add "
    "Access-Control-Expose-Headers: ETag. ETag is not a CORS-safelisted response-header name, "
    "so a script on another origin reads it only when that field lists it; "
    "Access-Control-Allow-Headers is about request fields and exposes nothing.",
    nudge="Look at which response fields a cross-origin script may read, in the last section.",
)
def _expose_etag(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function that takes a Request and returns a Response"]
    fields = (("Origin", ORIGIN), *WANTED)
    with mounted("/exercises/11/expose-etag", answer) as (url, errors):
        report = check(url, "PUT", fields, SAVED, grace=_GRACE)
    if errors:
        return errors[:1]
    response = report.exchange.response
    if response is None:
        return [f"no response came back: {report.exchange.error}"]
    problems = []
    if response.status != 204:
        problems.append(f"the PUT got {response.status}; the page already holds the bytes it "
                        "sent, so answer 204 No Content (RFC 9110 §9.3.4, §15.3.5)")
    failure = cors_check(response.headers, ORIGIN)
    if failure:
        problems.append(f"the browser's CORS check fails ({failure}), so the page's fetch() "
                        "rejects and the script sees nothing at all")
    tag = response.header("ETag")
    if tag is None:
        problems.append("your reply has no ETag: send etag_for(request.body), the tag of the "
                        "bytes as stored (RFC 9110 §9.3.4)")
    elif tag != etag_for(SAVED):
        problems.append(f"the ETag {tag} is not the tag of the bytes sent, "
                        f"{etag_for(SAVED)}: use etag_for(request.body)")
    readable = exposed_header_names(response.headers)
    if tag is not None and "etag" not in readable:
        shown = f"only {', '.join(readable)}" if readable else "none"
        problems.append(f"of the fields of your reply, a script on {ORIGIN} can read {shown}. "
                        "ETag is not a CORS-safelisted response-header name, so list it in "
                        "Access-Control-Expose-Headers (Fetch, CORS filtered response)")
        if "etag" in (response.header("Access-Control-Allow-Headers") or "").lower():
            problems.append("Access-Control-Allow-Headers tells a preflight which request fields "
                            "may be sent; it exposes no response field")
    return problems + _serious(report)
