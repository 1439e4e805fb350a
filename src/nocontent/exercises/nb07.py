"""Exercises of notebook 07, the *Capstone*: handlers graded live, on the wire.

The learner writes a handler (a :class:`~nocontent.Request` in, a
:class:`~nocontent.Response` out). Each judge mounts it at a private path of
the shared embedded server, where it is sent as written (only Date and Server
are added), sends real requests with the wire view, and reports each problem
with the RFC section it breaks. Framing problems come from the checker
(:func:`nocontent.judge`), so the rules live in one place.

Handlers that keep documents take a second argument, ``store``: a dict from
request target to the stored bytes. The judge passes a fresh one on every
run, so grading does not depend on what the learner did before.

Messages hold no ports, dates or timings: the same answer gets the same words.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._checker import Level, judge
from .._http import Request, Response, header_values
from .._server import serve
from .._store import etag_for
from .._wire import Exchange, exchange, exchange_twice
from . import exercise

__all__ = ["NEXT", "ORIGIN"]

NEXT = "/status/200"
"""What the judge asks for second on the same connection, to see where the first reply ended."""

ORIGIN = "https://editor.example"
"""The Origin the judge's CORS preflight comes from."""

_TEXT = ("Content-Type", "text/plain; charset=utf-8")


class _Stop(Exception):
    """The handler failed; its one problem says why, and grading stops there."""


@contextmanager
def _mounted(
    name: str, handler: Callable[..., Any], store: dict[str, bytes] | None = None
) -> Iterator[tuple[str, str, list[str]]]:
    """Mount ``handler`` at ``/exercise/07-{name}``; yields (url, path, errors).

    ``errors`` collects what went wrong inside the handler (an exception, or
    a return value that is not a Response); the server then answers 500.
    """
    server = serve()
    path = f"/exercise/07-{name}"
    errors: list[str] = []

    def graded(request: Request) -> Response:
        try:
            result = handler(request) if store is None else handler(request, store)
        except Exception as exc:
            errors.append(f"your handler raised {type(exc).__name__}: {exc} while answering "
                          f"{request.method}; the server sent 500 Internal Server Error instead")
            raise
        if not isinstance(result, Response):
            errors.append(f"your handler returned {type(result).__name__} for {request.method}; "
                          "return a nocontent.Response, such as Response(status=204)")
            raise TypeError("not a Response")
        return result

    url = server.mount(path, graded)
    try:
        yield url, path, errors
    finally:
        server.unmount(path)


def _shape_problem(answer: Any, arguments: int) -> str | None:
    """Why ``answer`` cannot be called as this task's handler, or None."""
    shape = "handler(request)" if arguments == 1 else "handler(request, store)"
    if not callable(answer):
        return f"the answer should be a function called as {shape} that returns a Response"
    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*range(arguments))
    except TypeError:
        return (f"this task calls your handler as {shape}, but "
                f"{getattr(answer, '__name__', 'it')}{signature} cannot be called that way")
    return None


def _wire_problems(
    ex: Exchange, errors: list[str], notes: dict[str, str] | None = None
) -> list[str]:
    """What the checker finds at MUST or SHOULD level, as sentences; stops on a handler error.

    ``notes`` adds a task's own remark to the sentence of a rule id.
    """
    if errors:
        raise _Stop(errors[0])
    problems = []
    for finding in judge(ex).findings:
        if finding.rule.level is Level.INFO:
            continue
        rule = finding.rule
        what = f"your {ex.status} to {ex.method}" if ex.response else f"your reply to {ex.method}"
        note = (notes or {}).get(rule.id)
        problems.append(f"{what} breaks a rule: {rule.message} ({rule.rfc}). "
                        f"On the wire: {finding.detail}" + (f". {note}" if note else ""))
    return problems


def _send(
    url: str, errors: list[str], method: str, headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"", notes: dict[str, str] | None = None,
) -> tuple[Exchange, list[str]]:
    """Send one request, then ``GET NEXT`` on the same connection; the reply and its problems.

    The second request is how a keep-alive client finds out where the first
    reply ended: bytes left after it are read as the start of the next reply.
    """
    first, second = exchange_twice(url, method, headers, body, then=NEXT, pause=0.05)
    problems = _wire_problems(first, errors, notes)
    if first.response is not None and not first.closed and second.status != 200:
        why = second.error or f"it got {second.status}"
        problems.append(
            f"the next request on the same connection (GET {NEXT}) could not be read: {why}. "
            "Whatever follows the end of a reply is taken as the start of the next one "
            "(RFC 9112 §6.3)"
        )
    return first, problems


def _get(url: str, errors: list[str]) -> Exchange:
    found = exchange(url, grace=0)
    if errors:
        raise _Stop(errors[0])
    return found


def _status_line(ex: Exchange) -> str:
    response = ex.response
    if response is None:
        return "no response"
    return f"{response.status} {response.reason}".rstrip()


def _unique(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))


def _graded(judge_fn: Callable[[Any], list[str]]) -> Callable[[Any], list[str]]:
    """Turn a handler failure (:class:`_Stop`) into the single problem it names."""

    def run(answer: Any) -> list[str]:
        try:
            return _unique(judge_fn(answer))
        except _Stop as stop:
            return [str(stop)]

    run.__name__ = judge_fn.__name__
    run.__doc__ = judge_fn.__doc__
    return run


# -- 07.delete-204 ------------------------------------------------------------------


@exercise(
    "07.delete-204",
    "Answer DELETE with a clean 204: the document goes, nothing follows the header section",
    "Remove store[request.target], then return Response(status=204) with no Content-Length, "
    "no Transfer-Encoding and no body: a 204 ends at the empty line after its header fields.",
)
@_graded
def _delete_204(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    with _mounted("delete-204", answer, store) as (url, path, errors):
        store[path] = b"A draft nobody needs any more.\n"
        reply, problems = _send(url, errors, "DELETE")
        if reply.response is not None and reply.status != 204:
            problems.insert(0, (
                f"DELETE got {_status_line(reply)}; once the document is gone and there is "
                "nothing more to say, answer 204 No Content (RFC 9110 §9.3.5, §15.3.5)"))
        if path in store:
            problems.append("the document is still in the store after DELETE: remove "
                            "store[request.target] before you answer (RFC 9110 §9.3.5)")
    return problems


# -- 07.put-etag --------------------------------------------------------------------


@exercise(
    "07.put-etag",
    "Answer PUT with 204 and the ETag of exactly the bytes you stored",
    "Store request.body exactly as it arrived (no strip, no reformatting), compute "
    "etag_for() from those new bytes, and return Response(status=204, headers=(('ETag', "
    "tag),)). The GET branch may stay as it is.",
)
@_graded
def _put_etag(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    sent = b"  Second draft: keep my spaces and my newline.\n"
    with _mounted("put-etag", answer, store) as (url, path, errors):
        store[path] = b"First draft.\n"
        reply, problems = _send(url, errors, "PUT", [_TEXT], sent)
        if reply.response is None:
            return problems
        if reply.status != 204:
            problems.insert(0, (
                f"PUT got {_status_line(reply)}; the document existed and the client already "
                "has the bytes it sent, so answer 204 No Content (RFC 9110 §9.3.4, §15.3.5)"))
        tag = reply.response.header("ETag")
        if tag is None:
            problems.append("your reply to PUT has no ETag, so the editor cannot tell which "
                            "version it now holds: send the ETag of the new representation "
                            "(RFC 9110 §15.3.5, §8.8.3)")
        after = _get(url, errors)
        if after.status != 200 or after.response is None:
            problems.append(f"the GET after the PUT got {_status_line(after)}; keep the GET "
                            "branch of the starter, which answers 200 with the stored bytes")
            return problems
        if after.response.body != sent:
            problems.append(
                f"the judge sent {sent!r} but GET now returns {after.response.body!r}: the "
                "server changed the content. An ETag on a PUT reply promises the bytes were "
                "stored without any change (RFC 9110 §9.3.4), so store request.body as it is")
        now = after.response.header("ETag")
        if tag is not None and now is not None and tag != now:
            problems.append(
                f"your 204 says ETag {tag}, but the GET that follows says {now}: after a PUT, "
                "the ETag must describe the new representation, not the old one "
                "(RFC 9110 §15.3.5, §9.3.4)")
    return problems


# -- 07.if-match --------------------------------------------------------------------


@exercise(
    "07.if-match",
    "Honour If-Match: 412 for a stale tag with nothing written, 204 for the current one",
    "Read If-Match before you touch the store. If it is present, is not *, and is not "
    "etag_for(the current bytes), return 412 and leave the store alone; otherwise store "
    "request.body and answer 204 with the new ETag.",
)
@_graded
def _if_match(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    original = b"Version one, as both editors loaded it.\n"
    with _mounted("if-match", answer, store) as (url, path, errors):
        store[path] = original
        loaded = _get(url, errors)
        current = loaded.response.header("ETag") if loaded.response else None
        if loaded.status != 200 or current is None:
            return [f"the first GET got {_status_line(loaded)} without an ETag; keep the GET "
                    "branch of the starter, which answers 200 with the ETag of the stored bytes"]
        problems: list[str] = []

        stale = etag_for(b"Version zero, long gone.\n")
        reply, found = _send(url, errors, "PUT", [_TEXT, ("If-Match", stale)],
                             b"An edit based on an old copy.\n")
        problems += found
        if reply.response is not None and reply.status != 412:
            problems.append(f"a PUT with a stale If-Match ({stale}) got {_status_line(reply)}; "
                            "the condition is false, so answer 412 Precondition Failed "
                            "(RFC 9110 §13.1.1, §15.5.13)")
        if store.get(path) != original:
            problems.append("the PUT with a stale If-Match changed the stored document: when "
                            "the condition is false the server MUST NOT perform the method, so "
                            "check If-Match before writing (RFC 9110 §13.1.1)")

        store[path] = original
        edit = b"Version two, from the editor who saved first.\n"
        reply, found = _send(url, errors, "PUT", [_TEXT, ("If-Match", current)], edit)
        problems += found
        if reply.response is not None and reply.status != 204:
            problems.append(f"a PUT with the current ETag in If-Match got {_status_line(reply)}; "
                            "the condition is true, so store the bytes and answer 204 "
                            "(RFC 9110 §13.1.1, §9.3.4)")
        elif store.get(path) != edit:
            problems.append("a PUT with the current ETag in If-Match answered 204 but did not "
                            "store the bytes as sent (RFC 9110 §9.3.4)")
        elif reply.response is not None and reply.response.header("ETag") in (None, current):
            problems.append("the 204 to a successful PUT should carry the new ETag, so the "
                            "editor can send it in its next If-Match (RFC 9110 §15.3.5)")

        store[path] = original
        reply, found = _send(url, errors, "PUT", [_TEXT, ("If-Match", "*")],
                             b"Any current version will do.\n")
        problems += found
        if reply.response is not None and reply.status != 204:
            problems.append(f"a PUT with If-Match: * got {_status_line(reply)}; * matches any "
                            "current representation and the document exists, so answer 204 "
                            "(RFC 9110 §13.1.1)")
    return problems


# -- 07.cors-preflight --------------------------------------------------------------


def _listed(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


@exercise(
    "07.cors-preflight",
    "Answer a CORS preflight with 204 and the Access-Control-Allow-* fields it asks for",
    "Send Access-Control-Allow-Origin (the request's Origin, or *), put the method from "
    "Access-Control-Request-Method in Access-Control-Allow-Methods and every name from "
    "Access-Control-Request-Headers in Access-Control-Allow-Headers, and answer 204 with no "
    "Content-Length.",
)
@_graded
def _cors_preflight(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 1):
        return [problem]
    asked_method, asked_headers = "PUT", "content-type, if-match"
    preflight = [("Origin", ORIGIN), ("Access-Control-Request-Method", asked_method),
                 ("Access-Control-Request-Headers", asked_headers)]
    with _mounted("cors-preflight", answer) as (url, _path, errors):
        reply, problems = _send(url, errors, "OPTIONS", preflight, notes={
            "204-content-length": "On a preflight this began as a workaround for a Safari "
                                  "hang (expressjs/cors#120); a clean 204 needs no length",
        })
    response = reply.response
    if response is None:
        return problems
    if not 200 <= response.status <= 299:
        problems.insert(0, (
            f"the preflight got {_status_line(reply)}; a browser only goes on to send the real "
            "request after an ok status, 200 to 299 (Fetch standard, CORS-preflight fetch)"))
    elif response.status != 204:
        problems.insert(0, (
            f"the preflight got {_status_line(reply)}; browsers accept any 2xx, but this task "
            "asks for 204 No Content: a preflight answer has nothing to send "
            "(RFC 9110 §15.3.5)"))
    origins = header_values(response.headers, "access-control-allow-origin")
    if not origins:
        problems.append("there is no Access-Control-Allow-Origin, so the browser blocks the "
                        f"request from {ORIGIN} (Fetch standard, CORS protocol)")
    elif len(origins) > 1:
        problems.append(f"Access-Control-Allow-Origin is sent {len(origins)} times; a browser "
                        "needs exactly one value (Fetch standard, CORS check)")
    elif origins[0].strip() not in (ORIGIN, "*"):
        problems.append(f"Access-Control-Allow-Origin is {origins[0]!r}, but the request came "
                        f"from {ORIGIN!r}: send that origin, or * (Fetch standard, CORS check)")
    methods = _listed(response.header("Access-Control-Allow-Methods"))
    if asked_method not in methods and "*" not in methods:
        shown = ", ".join(methods) if methods else "no Access-Control-Allow-Methods at all"
        problems.append(f"the browser asked to send {asked_method} but your answer allows "
                        f"{shown}: list {asked_method} in Access-Control-Allow-Methods "
                        "(Fetch standard, CORS-preflight fetch)")
    allowed = {name.lower() for name in _listed(response.header("Access-Control-Allow-Headers"))}
    missing = [name for name in _listed(asked_headers) if name not in allowed]
    if missing and "*" not in allowed:
        problems.append(f"the browser asked to send the header fields {asked_headers!r}, but "
                        f"your answer does not allow {', '.join(missing)}: list them in "
                        "Access-Control-Allow-Headers (Fetch standard, CORS-preflight fetch)")
    return problems
