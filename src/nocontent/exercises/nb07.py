"""Exercises of notebook 07, *Two editors, one document: conditional writes*.

Every judge works live on the shared embedded server, on documents named
after the exercise: it calls the learner's code, changes the document
behind its back where the exercise says so, and looks at what the server
stored or answered (RFC 9110 §9.2.2, §13.1.1, §13.1.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._server import serve
from .._store import etag_for
from .._wire import Exchange, exchange
from . import exercise

__all__ = ["CONFLICT"]

CONFLICT = "conflict"
"""What a save returns when the server answers 412 Precondition Failed."""

_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def _put(url: str, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Exchange:
    return exchange(url, "PUT", [_TEXT, *headers], body, grace=0)


def _as_pair(value: Any) -> tuple[str, str] | None:
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(part, str) for part in value)):
        return value[0], value[1]
    return None


# -- 07.save ------------------------------------------------------------------------


@exercise(
    "07.save",
    "Write save(url, body, etag): a PUT that replaces only the version you edited",
    "Send If-Match with the ETag you were given. A 204 carries the ETag of what is now "
    "stored: return it. A 412 means someone else saved first: return \"conflict\".",
    nudge="Look again at how Bob's second save was refused above.",
)
def _save(save: Any) -> list[str]:
    if not callable(save):
        return ["the answer should be a function save(url, body, etag)"]
    server = serve()
    name = "exercise-06-save"
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
                        f"it returned {outcome!r:.60}")
    return problems


# -- 07.retry -----------------------------------------------------------------------

_LOST_AFTER = "answer lost after the server applied it"
_LOST_BEFORE = "request lost before it reached the server"


def _lossy_client(loss: str, meanwhile: Callable[[], object] | None
                  ) -> tuple[Any, list[tuple[str, str | None]]]:
    """An httpx client whose first request is lost as ``loss`` says; later ones go through.

    ``_LOST_AFTER``: the request reaches the server and is applied, then
    ``meanwhile()`` runs (another editor, say) and the client gets
    httpx.ReadError instead of the answer. ``_LOST_BEFORE``: the client gets
    httpx.ConnectError and nothing is sent. Returns the client, and the
    list it fills with the (method, If-Match) of every request it is asked to send.
    """
    import httpx  # the structured view; imported here so the package itself needs nothing

    class Lossy(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.seen: list[tuple[str, str | None]] = []

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.seen.append((request.method, request.headers.get("If-Match")))
            if len(self.seen) > 1:
                return self.inner.handle_request(request)
            if loss == _LOST_BEFORE:
                raise httpx.ConnectError("the connection failed (simulated)", request=request)
            response = self.inner.handle_request(request)
            response.read()
            response.close()
            if meanwhile is not None:
                meanwhile()
            raise httpx.ReadError("the connection closed before the answer arrived "
                                  "(simulated)", request=request)

        def close(self) -> None:
            self.inner.close()

    transport = Lossy()
    return httpx.Client(transport=transport), transport.seen


@exercise(
    "07.retry",
    "Write save(client, url, body, etag): a conditional PUT that survives a lost answer",
    "Catch httpx.TransportError around client.put(...) and send the very same PUT again, "
    "If-Match included (RFC 9110 §9.2.2: PUT is idempotent). Then a 204 means your change "
    "is stored (now, or already by the first try: §13.1.1), so return its ETag; a 412 means "
    "another editor saved in between: return \"conflict\".",
    nudge="Look again at what the server answered the retried PUT above, and why.",
)
def _retry(save: Any) -> list[str]:
    if not callable(save):
        return ["the answer should be a function save(client, url, body, etag)"]
    server = serve()
    name = "exercise-06-retry"
    url = f"{server.url}/docs/{name}"
    other = b"another editor's change, saved while the answer was lost\n"
    scenarios = (
        (_LOST_AFTER, None, "saved"),
        (_LOST_BEFORE, None, "saved"),
        (_LOST_AFTER, lambda: _put(url, other), "conflict"),
    )
    problems: list[str] = []
    for loss, meanwhile, outcome in scenarios:
        etag = _put(url, b"the version you started from\n").response.header("ETag")
        mine = b"your edit\n"
        where = loss + (", then another editor saved" if meanwhile else "")
        client, seen = _lossy_client(loss, meanwhile)
        with client:
            try:
                result = save(client, url, mine, etag)
            except Exception as exc:  # the learner's code may let the loss through
                problems.append(f"{where}: save() raised {type(exc).__name__} ({exc}); catch "
                                "httpx.TransportError and send the same PUT again")
                continue
        puts = [tag for method, tag in seen if method == "PUT"]
        stored = serve().app.store.get(name)
        wrong = [tag for tag in puts if tag != etag]
        if wrong:
            problems.append(f"{where}: a PUT went out with If-Match {wrong[0]!r}, not the tag "
                            f"you were given, {etag}; retry the very same request")
        if len(puts) < 2:
            problems.append(f"{where}: save() sent {len(puts)} PUT; after a lost answer, send it "
                            "again")
        if outcome == "saved":
            if stored is None or stored.body != mine:
                problems.append(f"{where}: the server does not hold your bytes afterwards")
            elif result != stored.etag:
                problems.append(f"{where}: save() returned {result!r:.60}; the retry's 204 "
                                f"carried the ETag of your bytes, {stored.etag}: return it")
        else:
            if stored is None or stored.body != other:
                problems.append(f"{where}: the other editor's change was overwritten (a lost "
                                "update)")
            if result != CONFLICT:
                problems.append(f"{where}: save() should return {CONFLICT!r}; it returned "
                                f"{result!r:.60}")
    return problems


# -- 07.pick-precondition -----------------------------------------------------------

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
    "07.pick-precondition",
    "Pick the precondition field for 'create only if absent' and 'replace only if it exists'",
    "Both use the wildcard *, which stands for any current representation. One precondition "
    "field with * holds only when one exists, the other only when none does (RFC 9110 "
    "§13.1.1, §13.1.2).",
    nudge="Look again at the section just above: which field made the second create fail?",
)
def _pick(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["the answer should be a dict from each situation to a pair "
                "('Field-Name', 'value')"]
    server = serve()
    name = "exercise-06-precondition"
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
