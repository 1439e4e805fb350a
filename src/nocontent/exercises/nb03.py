"""Exercises of notebook 03, *Metadata after the action*.

Every judge works live: it prepares a document on the shared embedded
server, calls the learner's code against it, and looks at what the server
stored or answered (RFC 9110 §13.1.1, §13.1.2, §15.3.5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._http import Request, Response
from .._server import serve
from .._store import etag_for
from .._wire import Exchange, exchange
from . import exercise

__all__ = ["CONFLICT"]

CONFLICT = "conflict"
"""What ``save`` returns when the server answers 412 Precondition Failed."""

_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def _put(url: str, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Exchange:
    return exchange(url, "PUT", [_TEXT, *headers], body, grace=0)


def _as_pair(value: Any) -> tuple[str, str] | None:
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(part, str) for part in value)):
        return value[0], value[1]
    return None


# -- 03.save ------------------------------------------------------------------------


@exercise(
    "03.save",
    "Write save(url, body, etag): a PUT that replaces only the version you edited",
    "Send If-Match with the ETag you were given. A 204 carries the ETag of what is now "
    "stored: return it. A 412 means someone else saved first: return \"conflict\".",
)
def _save(save: Callable[[str, bytes, str], Any]) -> list[str]:
    if not callable(save):
        return ["the answer should be a function save(url, body, etag)"]
    server = serve()
    name = "exercise-03-save"
    url = f"{server.url}/docs/{name}"
    problems = []

    first = _put(url, b"version 1\n")
    etag = first.response.header("ETag") if first.response else None
    mine = b"version 2: caf\xc3\xa9\r\n\x00\xff and three trailing spaces   "
    result = save(url, mine, etag)
    stored = server.app.store.get(name)
    if stored is None or stored.body != mine:
        problems.append("after save(url, body, etag) with the current ETag, the server does not "
                        "hold exactly the bytes of body: send them unchanged as the PUT content")
    elif result != stored.etag:
        problems.append(f"save() returned {result!r}; return the ETag of the server's 204, "
                        f"which here was {stored.etag}")

    other = b"a change another editor saved meanwhile\n"
    _put(url, other)
    outcome = save(url, b"version 3\n", etag_for(mine))  # that tag is stale now
    stored = server.app.store.get(name)
    if stored is None or stored.body != other:
        problems.append("save() with a stale ETag replaced another editor's change (a lost "
                        "update): the PUT must carry If-Match with the ETag you were given")
    if outcome != CONFLICT:
        problems.append(f"when the server answers 412, save() should return {CONFLICT!r}; "
                        f"it returned {outcome!r}")
    return problems


# -- 03.revalidate ------------------------------------------------------------------


def _document_server(state: dict[str, Any]) -> Callable[[Request], Response]:
    """A one-document server that honours If-None-Match and logs the statuses it sent."""

    def handler(request: Request) -> Response:
        body = state["body"]
        tag = etag_for(body)
        asked = request.header("if-none-match") or ""
        tags = [t.strip().removeprefix("W/") for t in asked.split(",")]
        if tag in tags or asked.strip() == "*":
            state["sent"].append(304)
            return Response(status=304, headers=(("ETag", tag),))
        state["sent"].append(200)
        return Response(status=200, headers=(_TEXT, ("ETag", tag),
                                             ("Content-Length", str(len(body)))), body=body)

    return handler


@exercise(
    "03.revalidate",
    "Write revalidate(url, etag, body): the current (etag, body), downloaded only if it changed",
    "GET the URL with If-None-Match set to the ETag of your copy. A 304 has no body: your "
    "copy is current, so return (etag, body) as you had them. A 200 brings the new ETag and "
    "bytes.",
)
def _revalidate(revalidate: Callable[[str, str, bytes], Any]) -> list[str]:
    if not callable(revalidate):
        return ["the answer should be a function revalidate(url, etag, body)"]
    server = serve()
    state: dict[str, Any] = {"body": b"the copy you already have\n", "sent": []}
    url = server.mount("/exercise/03-revalidate", _document_server(state))
    problems = []
    try:
        cached = state["body"]
        result = revalidate(url, etag_for(cached), cached)
        if not state["sent"]:
            return ["revalidate() sent no request to url: GET it, with If-None-Match"]
        if state["sent"] != [304]:
            problems.append(f"with a current copy the server answered {state['sent']}, not one "
                            "304: send If-None-Match with your ETag so it need not send the "
                            "document again")
        if result != (etag_for(cached), cached):
            problems.append(f"when your copy is current, return (etag, body) as you had them; "
                            f"got {result!r:.80}")

        state["body"], state["sent"] = b"someone changed it\n", []
        result = revalidate(url, etag_for(cached), cached)
        if state["sent"] != [200]:
            problems.append(f"after a change the server answered {state['sent']}; one GET "
                            "with If-None-Match is enough")
        if result != (etag_for(state["body"]), state["body"]):
            problems.append("after a change, return the new ETag and the new bytes from the 200; "
                            f"got {result!r:.80}")
    finally:
        server.unmount("/exercise/03-revalidate")
    return problems


# -- 03.pick-precondition -----------------------------------------------------------

_CASES = {
    # case: (expected status when absent, expected status when present)
    "create only if absent": (201, 412),
    "replace only if it exists": (412, 204),
}


def _try_precondition(url: str, name: str, field: tuple[str, str]) -> tuple[int | None, ...]:
    """PUT with ``field`` to an absent, then to a present document; statuses and outcomes."""
    store = serve().app.store
    exchange(url, "DELETE", grace=0)
    absent = _put(url, b"written by the conditional PUT\n", [field]).status
    created = store.get(name) is not None
    _put(url, b"the existing document\n")
    present = _put(url, b"written by the conditional PUT\n", [field]).status
    current = store.get(name)
    replaced = current is not None and current.body != b"the existing document\n"
    return absent, int(created), present, int(replaced)


@exercise(
    "03.pick-precondition",
    "Pick the precondition field for 'create only if absent' and 'replace only if it exists'",
    "Both use the wildcard *, which stands for any current representation. One precondition "
    "field with * holds only when one exists, the other only when none does (RFC 9110 "
    "§13.1.1, §13.1.2).",
)
def _pick(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["the answer should be a dict from each situation to a pair "
                "('Field-Name', 'value')"]
    server = serve()
    name = "exercise-03-precondition"
    url = f"{server.url}/docs/{name}"
    problems = []
    for case, (want_absent, want_present) in _CASES.items():
        field = _as_pair(answer.get(case))
        if field is None:
            problems.append(f"{case!r}: choose a field, as a pair such as ('If-Match', '\"tag\"')")
            continue
        absent, created, present, replaced = _try_precondition(url, name, field)
        shown = f"{field[0]}: {field[1]}"
        if absent != want_absent:
            what = "created it" if created else "created nothing"
            problems.append(f"{case!r}: with {shown}, a PUT to an absent document got {absent} "
                            f"and {what}; it should get {want_absent}")
        if present != want_present:
            what = "replaced it" if replaced else "left it unchanged"
            problems.append(f"{case!r}: with {shown}, a PUT to an existing document got "
                            f"{present} and {what}; it should get {want_present}")
    return problems
