"""Exercises of notebook 13, what real servers send.

``13.which-sent`` is judged against the lab's saved captures (the bytes each
framework really sent); ``13.fix-204`` mounts the learner's wrapper around
broken handlers on the embedded server and judges what reaches the wire with
:func:`nocontent.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._checker import Level, Report, check
from .._http import Request, Response
from .._server import serve
from ..lab.capture import exchange_of
from ..lab.show import fate, saved_captures
from . import exercise

__all__ = ["MISTAKES"]

MISTAKES: dict[str, tuple[str, str]] = {
    "Go net/http": ("go-net-http", "mistake"),
    "Node.js http": ("node-http", "mistake"),
    "Symfony, no prepare()": ("symfony", "mistake-unprepared"),
    "Python http.server": ("python-http-server", "mistake"),
    "Flask": ("flask", "mistake"),
    "uvicorn with h11": ("starlette-uvicorn-h11", "mistake-content-length"),
    "uvicorn with httptools": ("starlette-uvicorn-httptools", "mistake-content-length"),
}
"""The mistaken 204s whose fate the learner predicts: label -> (setup, case) in the captures."""


def _case(framework: str, name: str) -> dict[str, Any]:
    return next(c for c in saved_captures()[framework]["cases"] if c["case"] == name)


@exercise(
    "13.which-sent",
    "predict which of seven mistaken 204s put their body on the wire",
    "a body reaches the wire only when nothing between the handler and the socket knows that a "
    "204 has no content: some frameworks drop it, some refuse it with an error, some send "
    "whatever the handler wrote; the sections after this exercise show each capture",
    nudge="Read each handler and ask who writes its bytes to the socket.",
)
def _which_sent(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["answer with a dict from each label to True (the body went out) or False"]
    missing = [label for label in MISTAKES if not isinstance(answer.get(label), bool)]
    if missing:
        return [f"predict True or False for: {', '.join(missing)}"]
    problems = []
    for label, (framework, name) in MISTAKES.items():
        case = _case(framework, name)
        sent = bool(exchange_of(case).leftover)
        if answer[label] != sent:
            said = "went out" if answer[label] else "stayed off the wire"
            problems.append(f"{label}: you said the body {said}; the capture says: {fate(case)}")
    return problems


# -- fix it at the edge ---------------------------------------------------------------------

_GRACE = 0.1
"""Seconds the checker keeps listening after a response, for stray bytes (a mounted
handler's reply goes out in one write, so they come at once if at all)."""


@contextmanager
def _mounted(path: str, handler: Callable[[Request], Response]) -> Iterator[str]:
    server = serve()
    url = server.mount(path, handler)
    try:
        yield url
    finally:
        server.unmount(path)


def _crashed(report: Report) -> str | None:
    """Why the handler failed, when the server had to answer 500 for it."""
    response = report.exchange.response
    if response is None or response.status != 500:
        return None
    body = response.body.decode("latin-1", "replace")
    if body.startswith("500 Internal Server Error: "):
        name = body.split(": ", 1)[1].strip()
        return (f"your handler raised {name} (it must return a nocontent.Response), "
                "so the server answered 500")
    return None


def _answering(response: Response) -> Callable[[Request], Response]:
    return lambda request: response


_BROKEN: tuple[tuple[str, Response, str | None], ...] = (
    ("FastAPI's null (before 0.79.0)", Response(status=204, headers=(
        ("content-length", "4"), ("content-type", "application/json")), body=b"null"), None),
    ("Symfony's {} without prepare()", Response(status=204, headers=(
        ("Cache-Control", "no-cache, private"),), body=b"{}"), "Cache-Control"),
    ("Werkzeug's old Content-Length: 3", Response(status=204, headers=(
        ("Content-Type", "application/json"), ("Content-Length", "3"))), None),
    ("a chunked 204", Response(status=204, headers=(
        ("Transfer-Encoding", "chunked"),), body=b"0\r\n\r\n"), None),
    ("a 204 with Content-Length: 0", Response(status=204, headers=(
        ("Access-Control-Allow-Origin", "*"), ("Content-Length", "0"))),
     "Access-Control-Allow-Origin"),
    ("a 204 with an ETag and a stray body", Response(status=204, headers=(
        ("ETag", '"v2"'), ("Content-Length", "2")), body=b"{}"), "ETag"),
)
"""(what, its response, a field that must survive the fix) for each broken 204."""

_FINE = Response(status=200, headers=(("Content-Type", "text/plain"), ("Content-Length", "6")),
                 body=b"hello\n")


@exercise(
    "13.fix-204",
    "write fix_204(handler): wrap any handler so that its 204s go out clean",
    "call the handler; if the status is 204, build a new Response with the same status and "
    "every field except Content-Length and Transfer-Encoding, and no body; return any other "
    "response unchanged",
    nudge="Look at which fields and bytes the checker still finds, and which ones must stay.",
)
def _fix_204(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function fix_204(handler) that returns a new handler"]
    cases = [(what, response, keep, 204) for what, response, keep in _BROKEN]
    cases.append(("a correct 200 with content", _FINE, "Content-Type", 200))
    problems = []
    for index, (what, response, keep, status) in enumerate(cases):
        wrapped = answer(_answering(response))
        if not callable(wrapped):
            return [f"fix_204(handler) returned {wrapped!r}; return a handler (a function)"]
        with _mounted(f"/exercises/12/fix-204/{index}", wrapped) as url:
            report = check(url, "DELETE", grace=_GRACE)
        crashed = _crashed(report)
        got = report.exchange.response
        if crashed or got is None:
            problems.append(f"{what}: {crashed or 'no response came back'}")
            continue
        if got.status != status:
            problems.append(f"{what}: the status became {got.status}; keep {status}")
            continue
        serious = [f.rule.id for f in report.findings if f.rule.level is not Level.INFO]
        if serious:
            problems.append(f"{what}: still breaks {', '.join(serious)}")
        if keep is not None and got.header(keep) is None:
            problems.append(
                f"{what}: the {keep} field is gone; a 204's other fields still describe the "
                "resource (RFC 9110 §15.3.5), so keep them" if status == 204 else
                f"{what}: the {keep} field is gone; leave responses other than 204 alone")
        if status == 200 and got.body != _FINE.body:
            problems.append(f"{what}: its content changed to {got.body!r}; leave responses "
                            "other than 204 alone")
    return problems
