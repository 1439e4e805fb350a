"""Exercises of notebook 04, "When a server sends a body anyway"."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from .._checker import check
from .._http import Request, Response
from .._misbehave import KINDS
from .._server import serve
from . import exercise

__all__ = ["OUTCOMES", "REQUEST_FIELDS", "SUSPECTS"]


# -- 04.httpx-next ------------------------------------------------------------------

OUTCOMES = ("real", "fake", "error")
"""What a second request can get: the real document, another answer, or an exception."""


def _second_answer(base_url: str, kind: str) -> tuple[str, str]:
    """What httpx's second request on one connection gets after ``/misbehave/{kind}``.

    One ``httpx.Client`` (one connection) sends ``GET /misbehave/{kind}``, then
    at once ``GET /docs/welcome``. Returns the outcome (one of
    :data:`OUTCOMES`) and what was received, in words.
    """
    import httpx  # the course's client; nocontent itself needs no third-party package

    with httpx.Client(base_url=base_url) as client:
        real = client.get("/docs/welcome").content
    with httpx.Client(base_url=base_url) as client:
        client.get(f"/misbehave/{kind}")
        try:
            response = client.get("/docs/welcome")
        except httpx.HTTPError as exc:
            return "error", f"{type(exc).__name__}: {exc}"
    outcome = "real" if response.content == real else "fake"
    return outcome, f"{response.status_code} {response.content[:40]!r}"


@exercise(
    "04.httpx-next",
    "Predict what httpx's second request on the same connection gets after each broken 204",
    "httpx parses with h11, which frames the 204 correctly and keeps whatever followed it in "
    "its buffer, as the start of the next response. So ask, for each kind, what those bytes "
    "are: nothing (Content-Length: 0 sends none), bytes that are no status line (null, the "
    "last-chunk 0), or a complete response (the smuggled 200).",
    nudge="For each kind, look at what the wire view showed left on the connection.",
)
def _httpx_next(answer: Any) -> list[str]:
    if not isinstance(answer, Mapping):
        return ['the answer should be a dict such as {"body": "error", ...}, one entry per kind']
    missing = [kind for kind in KINDS if answer.get(kind) in (None, ...)]
    if missing:
        return [f"no prediction yet for {', '.join(missing)}"]
    unknown = sorted(str(kind) for kind in answer if kind not in KINDS)
    if unknown:
        return [f"there is no kind {', '.join(unknown)}; the kinds are {', '.join(KINDS)}"]
    bad = [kind for kind in KINDS if answer[kind] not in OUTCOMES]
    if bad:
        return [f"the prediction for {kind} is {answer[kind]!r}; write one of "
                f"{', '.join(repr(o) for o in OUTCOMES)}" for kind in bad]
    url = serve().url
    problems = []
    for kind in KINDS:
        outcome, seen = _second_answer(url, kind)
        if answer[kind] != outcome:
            problems.append(f"{kind}: you predicted {answer[kind]!r}; httpx got {outcome!r} "
                            f"({seen})")
    return problems


# -- 04.violations ------------------------------------------------------------------

SUSPECTS: dict[str, bytes] = {
    "A": b'HTTP/1.1 204 No Content\r\nETag: "v7"\r\n\r\n',
    "B": b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    "C": b'HTTP/1.1 304 Not Modified\r\nETag: "v7"\r\nContent-Length: 40\r\n\r\n',
    "D": b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n",
    "E": b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n{}",
    "F": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "G": b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n",
    "H": b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "I": b"HTTP/1.1 205 Reset Content\r\nContent-Length: 2\r\n\r\n{}",
}
"""Canned answers to a GET for exercise 04.violations, exactly as a handler writes them
(the embedded server adds only Date and Server)."""

REQUEST_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "C": (("If-None-Match", '"v7"'),),
}
"""The request fields of the GET a suspect answers, where there are any. C's 304 answers a
conditional GET: RFC 9110 §15.4.5 defines 304 for "a conditional GET or HEAD request", and
§8.6 allows its Content-Length "in a 304 (Not Modified) response to a conditional GET request"
(with the length the 200 would have had; C's document has 40 bytes)."""


def _as_response(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = tuple((name, value.strip()) for name, _, value in
                   (line.partition(":") for line in lines))
    return Response(status=int(status_line.split()[1]), headers=fields, body=body)


def _fixed(response: Response) -> Callable[[Request], Response]:
    return lambda request: response


def _violations() -> set[str]:
    """The suspects that break a MUST, as the checker finds when each is served live."""
    server = serve()
    found = set()
    for letter, raw in SUSPECTS.items():
        url = server.mount(f"/exercise/04/suspect/{letter}", _fixed(_as_response(raw)))
        if not check(url, headers=REQUEST_FIELDS.get(letter, ()), grace=0.1).passed:
            found.add(letter)
    return found


@exercise(
    "04.violations",
    "Which of the canned responses break a framing rule? Answer with a set of letters",
    "Four rules decide: no Content-Length on a 204 (RFC 9110 §8.6), not even 0; no "
    "Transfer-Encoding on a 204 (RFC 9112 §6.1); no bytes after the empty line that ends a "
    "204 (RFC 9110 §15.3.5) or a 304 (RFC 9110 §15.4.5); no content in a 205 (RFC 9110 "
    "§15.3.6), which is framed like any response, so Content-Length: 0 is right there. A 304 "
    "to a conditional GET may carry the Content-Length the 200 would have (RFC 9110 §8.6); "
    "Content-Type breaks nothing.",
    nudge="Look again at which fields the checker reported for each /misbehave/ kind.",
)
def _violations_judge(answer: Any) -> list[str]:
    if isinstance(answer, str) or not isinstance(answer, Collection):
        return ['the answer should be a set of letters, such as {"A", "C"}']
    chosen = {str(letter).strip().upper() for letter in answer}
    unknown = sorted(chosen - set(SUSPECTS))
    if unknown:
        return [f"there is no suspect {', '.join(unknown)}; the letters are A to I"]
    truth = _violations()
    problems = [f"{letter} breaks no MUST rule: the checker passes it"
                for letter in sorted(chosen - truth)]
    missed = len(truth - chosen)
    if missed:
        problems.append(f"{missed} violation{'s' if missed > 1 else ''} still missing from "
                        "your set")
    return problems
