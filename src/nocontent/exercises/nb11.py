"""Exercises of notebook 11, "Caches, revalidation and changes", and its notice board.

:func:`notice_board` is the small resource the notebook changes through a
cache. ``11.stop-reuse`` mounts a 204 carrying the learner's fields and asks
hishel's RFC 9111 cache, as a shared and as a private cache, what it does with
them. ``11.revalidate`` serves a one-document resource that honours
If-None-Match and counts what it sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from .._http import Request, Response, field_value_problem, token_problem
from .._server import serve
from .._store import etag_for
from . import exercise
from .nb10 import memory_cache

__all__ = ["STOP_REUSE_CASES", "notice_board"]

_DAY = 24 * 3600
_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def notice_board(text: bytes = b"Meeting at 10.\n") -> Callable[[Request], Response]:
    """A handler for one notice, to mount with ``server.mount``; each call makes a new board.

    ``GET`` and ``HEAD``: 200 with the notice and ``Cache-Control: max-age=3600``,
    or 404 once it is deleted. ``PUT``: the request content becomes the notice,
    answered 204. ``DELETE``: the notice is gone, answered 204. Any other
    method: 405 with ``Allow``. Every response is framed with Content-Length.
    """
    notice = [text]
    allow = "GET, HEAD, PUT, DELETE"

    def handler(request: Request) -> Response:
        if request.method == "PUT":
            notice[:] = [request.body]
            return Response(status=204)
        if request.method == "DELETE":
            notice.clear()
            return Response(status=204)
        if request.method not in ("GET", "HEAD"):
            return Response(status=405, headers=(("Allow", allow), ("Content-Length", "0")))
        if not notice:
            return Response(status=404, headers=(("Content-Length", "0"),))
        return Response(status=200, body=notice[0] if request.method == "GET" else b"",
                        headers=(_TEXT, ("Cache-Control", "max-age=3600"),
                                 ("Content-Length", str(len(notice[0])))))

    return handler

# -- 11.stop-reuse ---------------------------------------------------------------------

STOP_REUSE_CASES = ("never stored", "stored, but checked first")
"""What the learner's two fields must do to a ten-day-old 204, in every cache."""

_CACHES = ((True, "a shared cache (a proxy's)"), (False, "a private cache (a browser's)"))

_NEVER_STALE = frozenset({"no-cache", "must-revalidate"})
"""Directives that forbid every cache to reuse a stored response unasked (RFC 9111 §4.2.4).

Unqualified ``no-cache`` (§5.2.2.4) and ``must-revalidate`` (§5.2.2.2); a
response that is merely stale, such as ``max-age=0``, may still be served by a
cache that "is disconnected".
"""


def _forbids_stale(field: tuple[str, str]) -> bool:
    """Whether ``field`` is a Cache-Control carrying one of :data:`_NEVER_STALE`."""
    name, value = field
    return (name.lower() == "cache-control"
            and bool({part.strip().lower() for part in value.split(",")} & _NEVER_STALE))


def _pair_problem(case: str, pair: Any) -> str | None:
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        return (f"{case!r}: answer with a pair of strings (field name, value), such as "
                '("Cache-Control", "...")')
    problem = token_problem("the field name", pair[0]) or field_value_problem(pair[1])
    if problem:
        return f"{case!r}: {problem}"
    if pair[0].lower() in ("content-length", "transfer-encoding"):
        return (f"{case!r}: {pair[0]} is a framing field, and a 204 must not carry it "
                "(RFC 9110 §8.6, RFC 9112 §6.1); caching is controlled by other fields")
    return None


def _through_caches(field: tuple[str, str]) -> list[tuple[str, bool, int]]:
    """For each kind of cache: (kind, whether it stored the 1st response, requests at the server).

    Two GETs go through a new cache to a mounted 204 with a ten-day-old
    Last-Modified (heuristically fresh for a day) and ``field``.
    """
    path = "/exercises/10/stop-reuse"
    calls: list[str] = []

    def handler(request: Request) -> Response:
        calls.append(request.method)
        modified = formatdate(time.time() - 10 * _DAY, usegmt=True)
        return Response(status=204, headers=(("Last-Modified", modified), field))

    url = serve().mount(path, handler)
    found = []
    try:
        for shared, kind in _CACHES:
            before = len(calls)
            with memory_cache(shared=shared) as client:
                stored = client.get(url).extensions["caching"]["stored"]
                client.get(url)
            found.append((kind, bool(stored), len(calls) - before))
    finally:
        serve().unmount(path)
    return found


@exercise(
    "11.stop-reuse",
    "choose a response field for each case: a 204 never stored, and one stored but checked first",
    'answer {"never stored": (name, value), "stored, but checked first": (name, value)}. '
    "RFC 9111 §5.2.2 lists the response directives of Cache-Control: no-store forbids storing "
    "(§5.2.2.5); no-cache lets a cache store the response but not reuse it without asking the "
    "server (§5.2.2.4). private is not enough: a private cache may still store and reuse it. "
    "Nor is max-age=0 alone: a stale response may still be served by a cache that is "
    "disconnected (§4.2.4)",
    nudge="The section above compared two directives of Cache-Control: one for each case.",
)
def _stop_reuse(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["answer with a dict from each case to a (name, value) pair: "
                + ", ".join(repr(case) for case in STOP_REUSE_CASES)]
    problems = [problem for case in STOP_REUSE_CASES
                if (problem := _pair_problem(case, answer.get(case)))]
    if problems:
        return problems
    for case in STOP_REUSE_CASES:
        name, value = answer[case]
        measured = len(problems)
        for kind, stored, reached in _through_caches((name, value)):
            if reached < 2:
                problems.append(f"{case!r}: with {name}: {value}, {kind} answered the second GET "
                                "from its store, without asking the server")
            elif case == "never stored" and stored:
                problems.append(f"{case!r}: with {name}: {value}, {kind} asked the server again, "
                                "but it had stored the 204")
            elif case != "never stored" and not stored:
                problems.append(f"{case!r}: with {name}: {value}, {kind} did not store the 204 "
                                "at all")
        if case != "never stored" and len(problems) == measured and not _forbids_stale(
                (name, value)):
            problems.append(f"{case!r}: with {name}: {value}, hishel asked the server, but no "
                            "directive forbids reuse unasked: a cache \"MUST NOT generate a stale "
                            "response unless it is disconnected or doing so is explicitly "
                            "permitted by the client or origin server\" (RFC 9111 §4.2.4), so a "
                            "disconnected cache may still reuse it")
    return problems


# -- 11.revalidate ---------------------------------------------------------------------


def _document_server(state: dict[str, Any]) -> Callable[[Request], Response]:
    """A one-document server that honours If-None-Match and logs the statuses it sent."""

    def handler(request: Request) -> Response:
        body = state["body"]
        tag = etag_for(body)
        asked = request.header("if-none-match") or ""
        # Weak comparison (RFC 9110 §13.1.2): W/ does not matter.
        tags = [t.strip().removeprefix("W/") for t in asked.split(",")]
        if tag in tags or asked.strip() == "*":
            state["sent"].append(304)
            return Response(status=304, headers=(("ETag", tag),))
        state["sent"].append(200)
        return Response(status=200, headers=(_TEXT, ("ETag", tag),
                                             ("Content-Length", str(len(body)))), body=body)

    return handler


@exercise(
    "11.revalidate",
    "write revalidate(url, etag, body): the current (etag, body), downloaded only if it changed",
    "GET the URL with If-None-Match set to the ETag of your copy. A 304 has no content: your "
    "copy is current, so return (etag, body) as you had them. A 200 brings the new ETag and "
    "bytes: return those.",
    nudge="The If-None-Match section above shows the request, and both answers it can get.",
)
def _revalidate(revalidate: Callable[[str, str, bytes], Any]) -> list[str]:
    if not callable(revalidate):
        return ["answer with the function revalidate itself (no parentheses)"]
    path = "/exercises/10/revalidate"
    state: dict[str, Any] = {"body": b"the copy you already have\n", "sent": []}
    url = serve().mount(path, _document_server(state))
    problems = []
    try:
        cached = state["body"]
        result = revalidate(url, etag_for(cached), cached)
        if not state["sent"]:
            return ["revalidate() sent no request to url: GET it, with If-None-Match"]
        if state["sent"] != [304]:
            problems.append(f"with a current copy the server answered {state['sent']}, not one "
                            "304: send If-None-Match with your ETag, so that it need not send "
                            "the document again")
        if result != (etag_for(cached), cached):
            problems.append("when your copy is current, return (etag, body) as you had them; "
                            f"got {result!r:.80}")
        state["body"], state["sent"] = b"someone changed it\n", []
        result = revalidate(url, etag_for(cached), cached)
        if state["sent"] != [200]:
            problems.append(f"after a change the server answered {state['sent']}; one GET with "
                            "If-None-Match is enough")
        if result != (etag_for(state["body"]), state["body"]):
            problems.append("after a change, return the new ETag and the new bytes of the 200; "
                            f"got {result!r:.80}")
    finally:
        serve().unmount(path)
    return problems
