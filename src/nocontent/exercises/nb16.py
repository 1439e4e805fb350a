"""Exercises of notebook 16, the *Capstone*: handlers graded live, on the wire.

The learner writes a handler (a :class:`~nocontent.Request` in, a
:class:`~nocontent.Response` out). Each judge mounts it at a private path of
the shared embedded server, where it is sent as written (only Date and Server
are added), sends real requests on raw connections, and reports each problem
with the rule it breaks. Framing problems come from the checker
(:func:`nocontent.judge`) and CORS problems from :mod:`nocontent._cors`, so
each rule lives in one place.

Handlers that keep documents take a second argument, ``store``: a dict from
request target to the stored bytes. The judge passes a fresh one on every
run, so grading does not depend on what the learner did before.

Messages hold no ports, dates or timings: the same answer gets the same words.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .._checker import Level, judge
from .._cors import cors_check, exposed_header_names, preflight_problems
from .._store import etag_for
from .._wire import Exchange, exchange, exchange_twice
from . import exercise, mounted

__all__ = ["NEXT", "ORIGIN"]

NEXT = "/status/200"
"""What the judge asks for second on the same connection, to see where the first reply ended."""

ORIGIN = "https://editor.example"
"""The origin of the page whose requests the CORS task's judge sends."""

_TEXT = ("Content-Type", "text/plain; charset=utf-8")


class _Stop(Exception):
    """The handler failed; its one problem says why, and grading stops there."""


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


def _graded(judge_fn: Callable[[Any], list[str]]) -> Callable[[Any], list[str]]:
    """Turn a handler failure (:class:`_Stop`) into the single problem it names; drop repeats."""

    def run(answer: Any) -> list[str]:
        try:
            return list(dict.fromkeys(judge_fn(answer)))
        except _Stop as stop:
            return [str(stop)]

    run.__name__ = judge_fn.__name__
    run.__doc__ = judge_fn.__doc__
    return run


# -- 16.delete-204 ------------------------------------------------------------------


@exercise(
    "16.delete-204",
    "Answer DELETE with a clean 204: the document goes, nothing follows the header section",
    "Remove store[request.target], then return Response(status=204) with no Content-Length, "
    "no Transfer-Encoding and no body: a 204 ends at the empty line after its header fields.",
    nudge="Read the judge's sentences: each names the bytes it found and the rule they break.",
)
@_graded
def _delete_204(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    path = "/exercise/16-delete-204"
    with mounted(path, answer, store) as (url, errors):
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


# -- 16.put-etag --------------------------------------------------------------------


@exercise(
    "16.put-etag",
    "Answer PUT with 204 and the ETag of exactly the bytes you stored",
    "Store request.body exactly as it arrived (no strip, no reformatting), compute "
    "etag_for() from those new bytes, and return Response(status=204, headers=(('ETag', "
    "tag),)). The GET branch may stay as it is.",
    nudge="Compare what the judge sent with what GET returns, and when the tag is computed.",
)
@_graded
def _put_etag(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    sent = b"  Second draft: keep my spaces and my newline.\n"
    path = "/exercise/16-put-etag"
    with mounted(path, answer, store) as (url, errors):
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


# -- 16.if-match --------------------------------------------------------------------

_ORIGINAL = b"Version one, as both editors loaded it.\n"


def _conditional_put(
    url: str, path: str, store: dict[str, bytes], errors: list[str], if_match: str, body: bytes,
) -> tuple[Exchange, list[str]]:
    """Put the original document back, then send a PUT with this If-Match."""
    store[path] = _ORIGINAL
    return _send(url, errors, "PUT", [_TEXT, ("If-Match", if_match)], body)


def _refused(reply: Exchange, store: dict[str, bytes], path: str, what: str, why: str) -> list[str]:
    """The problems with a PUT that had to get 412 and leave the store alone."""
    problems = []
    if reply.response is not None and reply.status != 412:
        problems.append(f"a PUT with {what} got {_status_line(reply)}; {why}, so the condition "
                        "is false: answer 412 Precondition Failed (RFC 9110 §13.1.1, §15.5.13)")
    if store.get(path) != _ORIGINAL:
        problems.append(f"the PUT with {what} changed the stored document: when the condition is "
                        "false the server MUST NOT perform the method, so check If-Match before "
                        "writing (RFC 9110 §13.1.1)")
    return problems


def _applied(reply: Exchange, store: dict[str, bytes], path: str, what: str, why: str,
             body: bytes, current: str) -> list[str]:
    """The problems with a PUT whose condition held: 204, the bytes stored, a new ETag."""
    if reply.response is not None and reply.status != 204:
        return [f"a PUT with {what} got {_status_line(reply)}; {why}: store the bytes and "
                "answer 204 (RFC 9110 §13.1.1, §9.3.4)"]
    if store.get(path) != body:
        return [f"a PUT with {what} answered 204 but did not store the bytes as sent "
                "(RFC 9110 §9.3.4)"]
    if reply.response is not None and reply.response.header("ETag") in (None, current):
        return ["the 204 to a successful PUT should carry the new ETag, so the editor can send "
                "it in its next If-Match (RFC 9110 §15.3.5)"]
    return []


@exercise(
    "16.if-match",
    "Honour If-Match with the strong comparison: 412 for a stale or weak tag, 204 for a match",
    "Read If-Match before you touch the store. Split the field at commas into tags; the "
    "condition holds for * (the document exists) or when one listed tag is exactly "
    "etag_for(the current bytes). A W/ tag is weak and never matches under the strong "
    "comparison. If it does not hold, return 412 and leave the store alone; otherwise store "
    "request.body and answer 204 with the new ETag.",
    nudge="The judge sends four If-Match fields: read which ones your handler got wrong.",
)
@_graded
def _if_match(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    path = "/exercise/16-if-match"
    with mounted(path, answer, store) as (url, errors):
        store[path] = _ORIGINAL
        loaded = _get(url, errors)
        current = loaded.response.header("ETag") if loaded.response else None
        if loaded.status != 200 or current != etag_for(_ORIGINAL):
            return [f"the first GET got {_status_line(loaded)} with ETag {current}; keep the "
                    "GET branch of the starter, which answers 200 with the ETag of the stored "
                    "bytes"]
        problems: list[str] = []

        stale = etag_for(b"Version zero, long gone.\n")
        reply, found = _conditional_put(url, path, store, errors, stale,
                                        b"An edit based on an old copy.\n")
        problems += found + _refused(reply, store, path, f"If-Match: {stale}",
                                     "that tag is not the current one")

        weak = f"W/{current}"
        reply, found = _conditional_put(url, path, store, errors, weak,
                                        b"An edit from a cache that only had a weak tag.\n")
        problems += found + _refused(
            reply, store, path, f"If-Match: {weak}",
            "a weak tag never matches under the strong comparison If-Match uses (RFC 9110 "
            "§8.8.3.2: \"two entity tags are equivalent if both are not weak\")")

        edit = b"Version two, from the editor who saved first.\n"
        listed = f"{stale}, {current}"
        reply, found = _conditional_put(url, path, store, errors, listed, edit)
        problems += found + _applied(
            reply, store, path, f"If-Match: {listed}",
            "its second tag is the current one, and \"the condition is true if any of the "
            "listed tags match\"", edit, current)

        anything = b"Any current version will do.\n"
        reply, found = _conditional_put(url, path, store, errors, "*", anything)
        problems += found + _applied(reply, store, path, "If-Match: *",
                                     "* holds whenever the document exists (\"the condition is "
                                     "true if the origin server has a current representation\")",
                                     anything, current)
    return problems


# -- 16.cors ------------------------------------------------------------------------

_WANTED = (("Content-Type", "application/json"),)
"""The fields the page's PUT adds besides If-Match, whose value the judge learns from a GET."""

_PREFLIGHT = (
    ("Origin", ORIGIN),
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "content-type,if-match"),
)


@exercise(
    "16.cors",
    "Serve a page on another origin: a clean 204 preflight, then a 204 whose ETag it can read",
    "OPTIONS: answer 204 with no Content-Length, Access-Control-Allow-Origin (the Origin, or *), "
    "Access-Control-Allow-Methods listing PUT exactly so (methods compare case-sensitively), "
    "and Access-Control-Allow-Headers listing content-type and if-match. PUT: store the bytes, "
    "and answer 204 with their ETag, Access-Control-Allow-Origin and "
    "Access-Control-Expose-Headers: ETag.",
    nudge="Each sentence names what a browser would refuse, or what the checker found.",
)
@_graded
def _cors(answer: Any) -> list[str]:
    if problem := _shape_problem(answer, 2):
        return [problem]
    store: dict[str, bytes] = {}
    path = "/exercise/16-cors"
    with mounted(path, answer, store) as (url, errors):
        store[path] = b'{"title": "Version one"}'
        current = etag_for(store[path])
        wanted = (*_WANTED, ("If-Match", current))
        reply, problems = _send(url, errors, "OPTIONS", _PREFLIGHT, notes={
            "204-content-length": "On a preflight this began as a workaround for a Safari "
                                  "hang (expressjs/cors#120); a clean 204 needs no length",
        })
        response = reply.response
        if response is not None:
            if 200 <= response.status <= 299 and response.status != 204:
                problems.insert(0, f"the preflight got {_status_line(reply)}; browsers accept "
                                   "any ok status, but this task asks for 204 No Content: the "
                                   "answer has nothing to send (RFC 9110 §15.3.5)")
            problems += [f"a browser refuses this preflight answer: {problem}" for problem in
                         preflight_problems(response.status, response.headers, origin=ORIGIN,
                                            method="PUT", request_headers=wanted)]

        sent = b'{"title": "Version two, saved from editor.example"}'
        reply, found = _send(url, errors, "PUT", [("Origin", ORIGIN), *wanted], sent)
        problems += found
        response = reply.response
        if response is None:
            return problems
        if response.status != 204:
            problems.append(f"the PUT got {_status_line(reply)}; the document existed and the "
                            "page holds the bytes it sent: answer 204 (RFC 9110 §9.3.4)")
        failure = cors_check(response.headers, ORIGIN)
        if failure:
            problems.append(f"the browser's CORS check fails on the PUT's reply ({failure}), so "
                            "the page's fetch() rejects")
        if store.get(path) != sent:
            problems.append("the PUT did not store the bytes as sent (RFC 9110 §9.3.4)")
        tag = response.header("ETag")
        if tag != etag_for(sent):
            problems.append(f"the PUT's reply carries ETag {tag}; send etag_for(request.body), "
                            "the tag of the bytes stored (RFC 9110 §9.3.4)")
        elif "etag" not in exposed_header_names(response.headers):
            problems.append(f"a script on {ORIGIN} cannot read the ETag of your 204: it is not "
                            "a CORS-safelisted response-header name, so list it in "
                            "Access-Control-Expose-Headers (Fetch, CORS filtered response)")
    return problems
