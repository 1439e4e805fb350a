"""Exercises of notebook 06, *Metadata after the action*, and the store they share.

:func:`json_store` is a one-document store that tidies the JSON it is sent,
so what it stores can differ from what arrived. The notebook mounts it with
two ways of answering a PUT; ``06.validator-or-not`` mounts it with the
learner's. ``06.trust-the-etag`` asks which of six live answers let a
client keep the bytes it sent as the current representation (RFC 9110
§9.3.4, §15.3.5; RFC 5789 §2.1).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from .._http import Request, Response
from .._server import serve
from .._store import etag_for
from .._wire import Exchange, exchange
from . import exercise

__all__ = ["Case", "json_store", "tidy", "trust_cases"]

Reply = Callable[[bytes, bytes], Response]
"""How a store answers a PUT: ``reply(sent, stored)`` after storing ``stored``."""

_JSON = ("Content-Type", "application/json")
_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def tidy(body: bytes) -> bytes:
    """JSON pretty-printed with sorted keys; bytes that are not JSON, unchanged."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def json_store(reply: Reply, start: bytes = b'{\n  "theme": "light"\n}\n'
               ) -> Callable[[Request], Response]:
    """A handler for one document that stores :func:`tidy` of what a PUT sends.

    PUT stores the tidy bytes and answers ``reply(sent, stored)``; a PUT
    whose If-Match is not the stored bytes' tag gets 412 and changes
    nothing. GET returns the stored bytes with their ETag.
    """
    state = {"body": start}
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            current = state["body"]
            if request.method != "PUT":
                return Response(status=200, body=current, headers=(
                    _JSON, ("ETag", etag_for(current)), ("Content-Length", str(len(current)))))
            if request.header("If-Match") not in (None, etag_for(current)):
                return Response(status=412, headers=(("Content-Length", "0"),))
            state["body"] = stored = tidy(request.body)
        return reply(request.body, stored)

    return handler


# -- 06.validator-or-not -------------------------------------------------------------

_VALIDATORS = ("ETag", "Last-Modified")


def _validators(exchanged: Exchange) -> list[str]:
    response = exchanged.response
    return [name for name in _VALIDATORS if response and response.header(name) is not None]


@exercise(
    "06.validator-or-not",
    "Write reply(sent, stored): the answer to a PUT, with a validator only when it is true",
    "Compare the two arguments. When stored == sent, answer 204 with "
    "(\"ETag\", etag_for(stored)): the client may keep its bytes. When they differ, answer a "
    "bare 204: RFC 9110 §9.3.4 forbids ETag and Last-Modified after a transformation.",
    nudge="Reread the RFC 9110 §9.3.4 sentence quoted above: when may a validator be sent?",
)
def _validator_or_not(reply: Any) -> list[str]:
    if not callable(reply):
        return ["the answer should be a function reply(sent, stored) that returns a Response"]
    sample = reply(b"x", b"x")
    if not isinstance(sample, Response):
        return [f"reply() returned {type(sample).__name__}; return a nocontent.Response"]
    server = serve()
    path = "/exercise/05-validator-or-not"
    url = server.mount(path, json_store(reply))
    compact = b'{"theme":"dark","autosave":true}'
    sends = {
        "compact JSON, which the store reformats": (compact, _JSON),
        "JSON already in the store's tidy form": (tidy(compact), _JSON),
        "plain text, stored as sent": (b"notes: tab\there, no newline at the end", _TEXT),
    }
    problems = []
    try:
        for what, (body, content_type) in sends.items():
            put = exchange(url, "PUT", [content_type], body, grace=0)
            got = exchange(url, grace=0).response
            if put.status is None or not 200 <= put.status < 300:
                problems.append(f"PUT of {what}: answered {put.status}; a successful PUT that "
                                "replaces the document answers 204")
                continue
            validators = _validators(put)
            same = got is not None and got.body == body
            if not same and validators:
                problems.append(f"PUT of {what}: the 204 carries {' and '.join(validators)}, "
                                "but the stored bytes differ from the sent ones (RFC 9110 "
                                "§9.3.4): send no validator")
            elif same and "ETag" not in validators:
                problems.append(f"PUT of {what}: stored exactly as sent, yet no ETag: send "
                                "etag_for(stored) so the client can keep its bytes")
            elif same and got is not None and put.response.header("ETag") != got.header("ETag"):
                problems.append(f"PUT of {what}: the 204's ETag {put.response.header('ETag')} "
                                f"is not the tag a GET reports, {got.header('ETag')}")
    finally:
        server.unmount(path)
    return problems


# -- 06.trust-the-etag ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One live request and its answer, for ``06.trust-the-etag``.

    Attributes:
        letter: the case's name in the exercise.
        what: what the client sent, in words.
        exchange: the request and the response, as exchanged.
    """

    letter: str
    what: str
    exchange: Exchange

    @property
    def keeps_its_bytes(self) -> bool:
        """RFC 9110 §9.3.4: a 2xx to PUT with a validator means "stored as sent"."""
        status = self.exchange.status or 0
        return (self.exchange.method == "PUT" and 200 <= status < 300
                and bool(_validators(self.exchange)))

    def lines(self, width: int = 0) -> str:
        """Two lines: the request (its description padded to ``width``), then the validators."""
        response = self.exchange.response
        status = f"{response.status} {response.reason}" if response else "no answer"
        fields = [f"{name}: {response.header(name)}" for name in _VALIDATORS
                  if response and response.header(name)]
        return (f"{self.letter}  {self.what:<{width}} -> {status}\n"
                f"   {' | '.join(fields) or '(no ETag, no Last-Modified)'}")

    def __str__(self) -> str:
        return self.lines()


class Cases(list[Case]):
    """The cases, printed one after another, aligned."""

    def __str__(self) -> str:
        width = max((len(case.what) for case in self), default=0)
        return "\n".join(case.lines(width) for case in self)


def _last_modified_if_unchanged(sent: bytes, stored: bytes) -> Response:
    if stored != sent:
        return Response(status=204)
    return Response(status=204, headers=(("Last-Modified", formatdate(usegmt=True)),))


def trust_cases() -> Cases:
    """Six saves made live now, each on a document of its own; see ``06.trust-the-etag``."""
    server = serve()
    docs = server.url + "/docs/exercise-05-"
    path = "/exercise/05-store"
    store = server.mount(path, json_store(_last_modified_if_unchanged))
    patch = ("Content-Type", "application/merge-patch+json")
    for name, body, content_type in (("a", b"first draft\n", _TEXT),
                                     ("c", b'{"theme": "light", "autosave": true}\n', _JSON),
                                     ("e", b"to be deleted\n", _TEXT)):
        exchange(docs + name, "PUT", [content_type], body, grace=0)
    exchange(docs + "d", "DELETE", grace=0)
    compact = b'{"theme":"dark"}'
    runs = (
        ("a", "PUT", docs + "a", _TEXT, b"second draft\n"),
        ("b", "PUT", store, _JSON, compact),
        ("c", "PATCH", docs + "c", patch, b'{"theme": "dark"}'),
        ("d", "PUT", docs + "d", _TEXT, b"a new note\n"),
        ("e", "DELETE", docs + "e", None, b""),
        ("f", "PUT", store, _JSON, tidy(compact)),
    )
    cases = Cases()
    try:
        for letter, method, url, content_type, body in runs:
            target = url.removeprefix(server.url)
            kind = {_TEXT: "text", _JSON: "JSON", patch: "a merge patch"}.get(content_type)
            what = f"{method} {len(body)} bytes of {kind} to {target}" if body else \
                f"{method} {target}"
            headers = [content_type] if content_type else []
            cases.append(Case(letter=letter, what=what,
                              exchange=exchange(url, method, headers, body, grace=0)))
    finally:
        server.unmount(path)
    return cases


_WHY = {
    "b": "no validator: the server may have transformed the bytes, so the client must GET "
         "them to know the stored representation",
    "c": "PATCH sends a change, not a representation: the ETag names bytes the server "
         "computed, which the client has never seen",
    "e": "after a DELETE there is no representation left to keep",
}
"""Why a client may not keep its bytes after these cases (the others: RFC 9110 §9.3.4)."""
_NO_PROMISE = "no 2xx to PUT with a validator promises that the bytes were stored as sent"


def _letters(answer: Any) -> set[str] | None:
    """The letters of an answer such as {"a", "b"}, ["a", "b"] or "a, b"."""
    if isinstance(answer, str):
        answer = [ch for ch in answer if ch.isalpha()]
    if not isinstance(answer, Collection) or not all(isinstance(x, str) for x in answer):
        return None
    return {letter.strip().lower() for letter in answer}


@exercise(
    "06.trust-the-etag",
    "Which answers let the client keep the bytes it sent as the current representation?",
    "Keep a letter when the request was a PUT, the answer a 2xx, and the answer carries a "
    "validator (ETag or Last-Modified): RFC 9110 §9.3.4 allows one only when the content was "
    "stored without any transformation. A PATCH sends a change, not the representation.",
    nudge="Look at the method of each request and at the validator fields of each answer.",
)
def _trust(answer: Any) -> list[str]:
    letters = _letters(answer)
    if letters is None:
        return ["the answer should be a set of letters, such as {\"a\", \"b\"}"]
    if not letters:
        return ["keep is empty: put in the letters of the answers you trust"]
    cases = trust_cases()
    known = {case.letter for case in cases}
    problems = [f"{letter!r} is none of the cases {sorted(known)}"
                for letter in sorted(letters - known)]
    # Explain each letter the learner chose wrongly; only count the ones left out, so a
    # first try does not print the answer.
    problems += [f"{case.letter}: the client may not keep its bytes here; "
                 f"{_WHY.get(case.letter, _NO_PROMISE)}"
                 for case in cases if case.letter in letters and not case.keeps_its_bytes]
    missing = [case for case in cases if case.keeps_its_bytes and case.letter not in letters]
    if missing:
        problems.append(f"{len(missing)} more of the answers let the client keep its bytes")
    return problems
