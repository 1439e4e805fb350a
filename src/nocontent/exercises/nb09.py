"""Exercises of notebook 09, *Automated transfer*.

The judge mounts three small save endpoints on the shared embedded server,
one per way a server may answer ``Prefer: return=minimal`` (RFC 7240 §4.2:
"The determination of what constitutes an appropriate minimal response is
solely at the discretion of the server"), and runs the learner's
``sync_one`` against each, then against a stale entity tag.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .._http import Request, Response
from .._server import serve
from .._store import etag_for
from . import exercise

__all__: list[str] = []

KEEP, TIDY, ECHO = "keep", "tidy", "echo"
MOUNTS = {mode: f"/exercise/08-{mode}" for mode in (KEEP, TIDY, ECHO)}
"""Where each endpoint is mounted while the judge runs."""
FIRST = b'{"title": "Shopping", "items": ["bread"]}'
SECOND = b'{"title": "Shopping", "items": ["bread", "coffee"]}'
THIRD = b'{"title": "Shopping", "items": ["tea"]}'


def _tidy(body: bytes) -> bytes:
    """What the tidying endpoint stores: the JSON re-indented, keys sorted."""
    return json.dumps(json.loads(body), indent=2, sort_keys=True).encode() + b"\n"


def _text(status: int, message: str) -> Response:
    body = f"{message}\n".encode()
    return Response(status=status, headers=(("Content-Type", "text/plain; charset=utf-8"),
                                            ("Content-Length", str(len(body)))), body=body)


class _Endpoint:
    """One document behind a save endpoint that answers a PUT in its own way.

    ``keep`` stores the bytes as sent and honours ``return=minimal`` (204 with
    the ETag); ``tidy`` stores a reformatted copy, so it sends no validator
    (RFC 9110 §9.3.4) and the client must GET; ``echo`` ignores the
    preference and answers 200 with the stored bytes and their ETag. Every
    mode honours If-Match with a strong comparison, and GET returns the
    document. Mounted handlers are sent as written: lengths are set here.
    """

    def __init__(self, mode: str, body: bytes) -> None:
        self.mode = mode
        self.body = body
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        etag = etag_for(self.body)
        if request.method == "GET":
            return Response(status=200, headers=(
                ("Content-Type", "application/json"), ("ETag", etag),
                ("Content-Length", str(len(self.body)))), body=self.body)
        if request.method != "PUT":
            return _text(405, "405 Method Not Allowed: GET or PUT")
        wanted = request.header("if-match")
        if wanted is not None and wanted.strip() != etag:
            return _text(412, f"412 Precondition Failed: If-Match {wanted} is not the current "
                         f"ETag {etag}; nothing was written")
        self.body = _tidy(request.body) if self.mode == TIDY else request.body
        applied = (("Preference-Applied", "return=minimal"),)
        if self.mode == KEEP:
            return Response(status=204, headers=(("ETag", etag_for(self.body)), *applied))
        if self.mode == TIDY:
            return Response(status=204, headers=applied)
        return Response(status=200, headers=(
            ("Content-Type", "application/json"), ("ETag", etag_for(self.body)),
            ("Content-Length", str(len(self.body)))), body=self.body)


def _sent_problems(case: str, endpoint: _Endpoint, body: bytes, etag: str,
                   gets: tuple[int, int]) -> list[str]:
    """What is wrong with the requests ``sync_one`` sent in one case.

    ``gets`` is the fewest and the most GET requests the case calls for.
    """
    puts = [r for r in endpoint.requests if r.method == "PUT"]
    sent_gets = sum(r.method == "GET" for r in endpoint.requests)
    if len(puts) != 1:
        return [f"{case}: sync_one sent {len(puts)} PUT requests; it should send one"]
    put = puts[0]
    problems = []
    if put.body != body:
        problems.append(f"{case}: the PUT carried {put.body!r}, not the body to sync")
    if put.header("if-match") != etag:
        problems.append(f"{case}: the PUT had If-Match {put.header('if-match')!r}; send the "
                        f"ETag you were given, {etag!r}, so no one else's change is overwritten")
    if "return=minimal" not in (put.header("prefer") or "").replace(" ", "").lower():
        problems.append(f"{case}: the PUT did not ask for Prefer: return=minimal")
    fewest, most = gets
    if most == 0 and sent_gets:
        problems.append(f"{case}: sync_one sent a GET it did not need: an ETag on the answer "
                        "to a PUT says the server stored your bytes as sent (RFC 9110 §9.3.4)")
    elif sent_gets > most:
        problems.append(f"{case}: sync_one sent {sent_gets} GET requests; one is enough")
    if sent_gets < fewest:
        problems.append(f"{case}: the 204 had no ETag, so you cannot know whether the server "
                        "stored your bytes as sent; GET the document to learn what it holds and "
                        "its ETag")
    return problems


def _shown(value: Any) -> str:
    """A value for a message: long bytes cut short, with their length."""
    if isinstance(value, bytes) and len(value) > 24:
        return f"{value[:20]!r}... ({len(value)} bytes)"
    return repr(value)


def _result_problems(case: str, result: Any, want: dict[str, Any]) -> list[str]:
    if not isinstance(result, dict):
        return [f"{case}: sync_one should return a dict with saved, etag and content; "
                f"it returned {type(result).__name__}"]
    return [f"{case}: {key} is {_shown(result.get(key))}, it should be {_shown(value)}"
            for key, value in want.items() if result.get(key) != value]


@exercise(
    "09.sync-one",
    "Write sync_one(url, body, etag): push one document, then say what the server holds",
    "PUT the body with If-Match: etag and Prefer: return=minimal. 412: nothing was written "
    "and the server holds a version you have not seen: return saved False, etag None and "
    "content None (or GET the URL and return what it holds). Any 2xx with an ETag: the server "
    "stored your bytes as sent (RFC 9110 §9.3.4), whatever the status and whatever came back; "
    "return saved True, that ETag and your own body. A 2xx without an ETag: saved, perhaps as "
    "sent, perhaps not (§9.3.4 forbids a false promise but asks for no true one), so GET the "
    "URL and return its ETag and content.",
    nudge="Decide by the status and the ETag field, not by whether the answer is a 204.",
)
def _sync_one(sync_one: Callable[[str, bytes, str], Any]) -> list[str]:
    if not callable(sync_one):
        return ["the answer should be a function sync_one(url, body, etag)"]
    server = serve()
    before = etag_for(FIRST)
    problems: list[str] = []
    cases = [
        ("a 204 with an ETag", KEEP, SECOND, (0, 0),
         {"saved": True, "etag": etag_for(SECOND), "content": SECOND}),
        ("a 204 without an ETag", TIDY, SECOND, (1, 1),
         {"saved": True, "etag": etag_for(_tidy(SECOND)), "content": _tidy(SECOND)}),
        ("a 200 echo that ignored Prefer", ECHO, SECOND, (0, 0),
         {"saved": True, "etag": etag_for(SECOND), "content": SECOND}),
    ]
    endpoints = {mode: _Endpoint(mode, FIRST) for mode in MOUNTS}
    urls = {mode: server.mount(path, endpoints[mode]) for mode, path in MOUNTS.items()}
    try:
        for case, mode, body, gets, want in cases:
            result = sync_one(urls[mode], body, before)
            problems += _sent_problems(f"after {case}", endpoints[mode], body, before, gets)
            problems += _result_problems(f"after {case}", result, want)
        # The keep endpoint now holds SECOND: the old tag is stale. After the 412 the client
        # does not know what the server holds (None), unless it asked with a GET.
        stale = endpoints[KEEP]
        stale.requests.clear()
        result = sync_one(urls[KEEP], THIRD, before)
        case = "after a 412 (someone else saved first)"
        problems += _sent_problems(case, stale, THIRD, before, (0, 1))
        asked = any(r.method == "GET" for r in stale.requests)
        want = {"saved": False, "etag": etag_for(SECOND) if asked else None,
                "content": SECOND if asked else None}
        if isinstance(result, dict) and result.get("etag") == before:
            del want["etag"]  # explained here rather than as a bare "should be None"
            problems.append(f"{case}: etag is {before}, the tag you sent, of a version the "
                            "server no longer holds; after a 412 the current tag is unknown "
                            "(None) unless you GET it")
        problems += _result_problems(case, result, want)
        if stale.body != SECOND:
            problems.append(f"{case}: the document changed; a refused save writes nothing")
    finally:
        for path in MOUNTS.values():
            server.unmount(path)
    return problems
