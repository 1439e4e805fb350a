"""Exercises of notebook 02, "On the wire"."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from .._checker import check
from .._http import Request, Response
from .._server import serve
from .._wire import build_request, exchange
from . import exercise

__all__ = ["SUSPECTS"]


# -- 02.end-of-204 ------------------------------------------------------------------


def _streams() -> Iterator[tuple[str, bytes, int]]:
    """(what, bytes read from one connection, where the 204 in them ends), captured live."""
    server = serve()
    url = f"{server.url}/docs/exercise-02"
    two = build_request("PUT", url, body=b"v1\n") + build_request("GET", url)
    for what, path, method, raw, grace in (
        ("/misbehave/body", "/misbehave/body", "GET", None, 0.1),
        ("/misbehave/chunked", "/misbehave/chunked", "GET", None, 0.1),
        ("/misbehave/smuggle", "/misbehave/smuggle", "GET", None, 0.1),
        ("/misbehave/content-length-zero", "/misbehave/content-length-zero", "GET", None, 0.1),
        ("a clean 204 with a pipelined 200 after it", "/docs/exercise-02", "PUT", two, 0.3),
    ):
        if raw is not None:
            exchange(url, "PUT", body=b"v0\n")  # the document exists, so the PUT answers 204
        ex = exchange(server.url + path, method, raw=raw, grace=grace)
        yield what, ex.received + ex.leftover, len(ex.received)


@exercise(
    "02.end-of-204",
    "Write end_of_204(stream): the offset of the first byte after a 204 at the start of stream",
    "A 204 ends at the first empty line after its header fields, whatever those fields say "
    "(RFC 9112 §6.3): look for CR LF CR LF and do not trust Content-Length.",
)
def _end_of_204(answer: Any) -> list[str]:
    if not callable(answer):
        return ["the answer should be your function end_of_204 itself (no parentheses)"]
    problems = []
    for what, stream, end in _streams():
        try:
            got = answer(stream)
        except Exception as exc:
            problems.append(f"for {what} it raised {type(exc).__name__}: {exc}")
            continue
        if got is None:
            return ["end_of_204 returned None: it needs a return statement"]
        if got != end:
            problems.append(f"for {what} it returned {got!r}, but the 204 ends at offset {end} "
                            f"(the next bytes are {stream[end:end + 12]!r})")
    return problems


# -- 02.frame-length ----------------------------------------------------------------

_LENGTH_CASES: tuple[tuple[int, str, tuple[tuple[str, str], ...], int | None], ...] = (
    (204, "PUT", (), 0),
    (204, "GET", (("Content-Length", "4"),), 0),
    (204, "DELETE", (("Transfer-Encoding", "chunked"),), 0),
    (103, "GET", (("Link", "</style.css>; rel=preload"),), 0),
    (304, "GET", (("ETag", '"v2"'), ("Content-Length", "120")), 0),
    (200, "HEAD", (("Content-Length", "40"),), 0),
    (200, "GET", (("Content-Length", "40"),), 40),
    (404, "GET", (("content-length", "24"),), 24),
    (205, "POST", (("Content-Length", "0"),), 0),
    (205, "POST", (("Content-Length", "2"),), 2),
    (200, "GET", (("Transfer-Encoding", "chunked"),), None),
    (200, "GET", (("Content-Type", "text/plain"),), None),
)


@exercise(
    "02.frame-length",
    "Write frame_length(status, method, headers): how many content bytes follow the header section",
    "RFC 9112 §6.3 lists its rules by precedence: first the responses that end at the "
    "header section whatever their fields say, then Transfer-Encoding, then Content-Length.",
)
def _frame_length(answer: Any) -> list[str]:
    if not callable(answer):
        return ["the answer should be your function frame_length itself (no parentheses)"]
    problems = []
    nones = 0
    for status, method, headers, expected in _LENGTH_CASES:
        shown = ", ".join(f"{name}: {value}" for name, value in headers) or "no fields"
        case = f"{status} to {method} with {shown}"
        try:
            got = answer(status, method, list(headers))
        except Exception as exc:
            problems.append(f"for a {case} it raised {type(exc).__name__}: {exc}")
            continue
        nones += got is None
        if got != expected or (expected is not None and type(got) is not int):
            problems.append(f"for a {case} it returned {got!r}, expected {expected!r}")
    if nones == len(_LENGTH_CASES):
        return ["frame_length returned None every time: it needs a return statement"]
    return problems


# -- 02.violations ------------------------------------------------------------------

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
"""Canned responses for exercise 02.violations, exactly as a server would write them
(the embedded server adds only Date and Server)."""


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
        url = server.mount(f"/exercise/02/suspect/{letter}", _fixed(_as_response(raw)))
        if not check(url, grace=0.1).passed:
            found.add(letter)
    return found


@exercise(
    "02.violations",
    "Which of the canned responses break a framing rule? Answer with a set of letters",
    "Three rules decide: no Content-Length and no Transfer-Encoding on a 204 (RFC 9110 §8.6, "
    "RFC 9112 §6.1), and no content after a 204, 304 or 205 (RFC 9110 §15.3.5, §15.3.6). "
    "A 304 may carry Content-Length; other fields such as Content-Type are fine.",
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
