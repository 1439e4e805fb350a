"""Exercises of notebook 03, "On the wire: where a 204 ends"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._server import serve
from .._wire import build_request, exchange
from . import exercise

# -- 03.end-of-204 ------------------------------------------------------------------


def _streams() -> Iterator[tuple[str, bytes, int]]:
    """(what, bytes read from one connection, where the 204 in them ends), captured live.

    The clean case pipelines a PUT and a GET on the exercise's own document, so
    the notebook's documents are never touched.
    """
    server = serve()
    url = f"{server.url}/docs/exercise-03"
    exchange(url, "PUT", body=b"v0\n")  # the document exists, so the next PUT answers 204
    two = build_request("PUT", url, body=b"v1\n") + build_request("GET", url)
    captured = [("a clean 204 with a pipelined 200 behind it",
                 exchange(url, "PUT", raw=two, grace=0.3))]
    for kind in ("body", "chunked", "smuggle", "content-length-zero"):
        captured.append((f"/misbehave/{kind}",
                         exchange(f"{server.url}/misbehave/{kind}", grace=0.1)))
    for what, ex in captured:
        yield what, ex.received + ex.leftover, len(ex.received)


@exercise(
    "03.end-of-204",
    "Write end_of_204(stream): the offset of the first byte after a 204 at the start of stream",
    "RFC 9112 §6.3 ends a 204 at the first empty line after its header fields, \"regardless "
    "of the header fields present in the message\": find the first CR LF CR LF and return "
    "the offset just after it, whatever Content-Length or Transfer-Encoding say.",
    nudge="Look again at where the pipelined 200 started in the section above.",
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


# -- 03.frame-length ----------------------------------------------------------------

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
    (205, "PUT", (), None),
    (200, "GET", (("Transfer-Encoding", "chunked"),), None),
    (200, "GET", (("transfer-encoding", "gzip, chunked"),), None),
    (200, "GET", (("Content-Type", "text/plain"),), None),
)


@exercise(
    "03.frame-length",
    "Write frame_length(status, method, headers): how many content bytes follow the header section",
    "RFC 9112 §6.3 lists its rules by precedence. First: a reply to HEAD and any 1xx, 204 or "
    "304 ends at the empty line whatever its fields say (RFC 9110 §15.3.5 for 204, §15.4.5 "
    "for 304), so 0. Then Transfer-Encoding: the chunks decide, so None. Then Content-Length: "
    "its number. Nothing left: the content runs until the connection closes, so None. A 205 "
    "is framed like any other response (RFC 9110 §15.3.6 only forbids content in it).",
    nudge="Look again at the four ways a response can end, in the order of the table above.",
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
