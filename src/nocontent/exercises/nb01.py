"""Exercises of notebook 01, "What 204 means"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import exercise

__all__ = ["SITUATIONS", "STATUS_LINES"]

# -- 01.neighbours ------------------------------------------------------------------

SITUATIONS: dict[str, str] = {
    "autosave": "An editor autosaved a document the user is still editing; "
                "the stored text is exactly what the editor shows.",
    "comment": "A new comment was stored under a URL the server chose.",
    "transcode": "A video was accepted for transcoding, which will finish some time later.",
    "survey": "A survey form was submitted; the form should go back to how it was served, "
              "ready for the next answer.",
    "echo": "A client replaced a document and asked to get the stored document back.",
}
"""The situations of exercise 01.neighbours, by key (the notebook shows them as comments)."""

_BEST = {"autosave": 204, "comment": 201, "transcode": 202, "survey": 205, "echo": 200}
_PROMISES = {
    200: "200 OK carries the result in its content (RFC 9110 §15.3.1)",
    201: "201 Created says a new resource now exists (RFC 9110 §15.3.2)",
    202: "202 Accepted says the processing has not been completed (RFC 9110 §15.3.3)",
    204: "204 No Content says it is done and there is nothing more to send "
         "(RFC 9110 §15.3.5)",
    205: "205 Reset Content asks the client to reset the view that sent the request to "
         "how it was served (RFC 9110 §15.3.6)",
}


@exercise(
    "01.neighbours",
    "Pick the status code for each situation",
    "Ask of each situation, in this order: is the work done yet (if not, 202)? Did it "
    "create a new resource (201)? Is there content the client wants back (200)? Should "
    "the form that sent it go back to how it was served (205)? If none of these, it is "
    "done with nothing to send: 204.",
    nudge="Look again at the table and the diagram in \"204 among its neighbours\".",
)
def _neighbours(answer: Any) -> list[str]:
    if not isinstance(answer, Mapping):
        return ["the answer should be a dict from situation key to status code, "
                'such as {"autosave": 200, ...}']
    problems = []
    missing = [key for key in SITUATIONS if answer.get(key, ...) is ...]
    if missing:
        problems.append(f"no status code yet for: {', '.join(missing)}")
    extra = [str(key) for key in answer if key not in SITUATIONS]
    if extra:
        problems.append(f"unknown situation keys: {', '.join(extra)}")
    for key, best in _BEST.items():
        if key in missing:
            continue
        given = answer[key]
        if isinstance(given, bool) or not isinstance(given, int):
            problems.append(f"{key}: {given!r} is not a status code (write a number, "
                            "such as 200)")
        elif given != best:
            promise = _PROMISES.get(given, f"{given} is not one of 200, 201, 202, 204, 205")
            problems.append(f"{key}: {given} does not fit; {promise}")
    return problems


# -- 01.status-line -----------------------------------------------------------------

STATUS_LINES: tuple[tuple[bytes, bool, str], ...] = (
    (b"HTTP/1.1 204 No Content", True, "the registered phrase"),
    (b"HTTP/1.1 204 NO CONTENT", True, "Werkzeug 3.1.9 writes it in capitals"),
    (b"HTTP/1.1 204 Nothing Here", True, "a phrase of the server's own"),
    (b"HTTP/1.1 204 ", True, "no phrase at all, which RFC 9112 §4 allows"),
    (b"HTTP/1.0 204 No Content", True, "an HTTP/1.0 server"),
    (b"HTTP/1.1 200 No Content", False, "a 200 whose phrase says something else"),
    (b"HTTP/1.1 205 Reset Content", False, "a 205, which is not a 204"),
)
"""(status line, whether it is a 204, what is special about it) for 01.status-line."""


@exercise(
    "01.status-line",
    "Write is_no_content(status_line): True when a status line says 204, whatever its phrase",
    "RFC 9112 §4: the status line is version SP status-code SP [reason-phrase], and \"A "
    "client SHOULD ignore the reason-phrase content\". Split the line on spaces and "
    "compare the second part, the three-digit code, with b\"204\".",
    nudge="Look again at the three status lines the wire view read in the section above.",
)
def _status_line(answer: Any) -> list[str]:
    if not callable(answer):
        return ["the answer should be your function is_no_content itself (no parentheses)"]
    problems = []
    for line, expected, what in STATUS_LINES:
        try:
            got = answer(line)
        except Exception as exc:
            problems.append(f"for {line!r} ({what}) it raised {type(exc).__name__}: {exc}")
            continue
        if got is None:
            return ["is_no_content returned None: it needs a return statement"]
        if bool(got) != expected:
            problems.append(f"for {line!r} ({what}) it returned {got!r}, "
                            f"expected {expected}")
    return problems
