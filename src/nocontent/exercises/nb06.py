"""Exercises of notebook 06, 204 in the wild.

Handlers are mounted on the embedded server and sent as written, then judged
on the wire by :func:`nocontent.check`, so the judges test behaviour, not text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._checker import Level, Report, check
from .._http import Request, Response
from .._server import serve
from . import exercise

__all__ = ["PREFLIGHT"]

_GRACE = 0.1
"""Seconds the checker keeps listening after a response, for stray bytes (a mounted
handler's reply goes out in one write, so they come at once if at all)."""

PREFLIGHT = (
    ("Origin", "https://editor.example"),
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "content-type, if-match"),
)
"""The CORS preflight the judge sends: a page on editor.example wants to PUT with If-Match."""


@contextmanager
def _mounted(path: str, handler: Callable[[Request], Response]) -> Iterator[str]:
    server = serve()
    url = server.mount(path, handler)
    try:
        yield url
    finally:
        server.unmount(path)


def _serious(report: Report) -> list[str]:
    """The MUST and SHOULD findings of ``report``, one sentence each."""
    return [
        f"{f.rule.level} {f.rule.id} ({f.rule.rfc}): {f.rule.message}; evidence: {f.detail}"
        for f in report.findings
        if f.rule.level is not Level.INFO
    ]


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


def _list(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def _preflight_problems(response: Any) -> list[str]:
    """What a browser would refuse in this answer to :data:`PREFLIGHT` (Fetch standard)."""
    problems = []
    origin = dict(PREFLIGHT)["Origin"]
    allowed = response.header("Access-Control-Allow-Origin")
    if allowed is None:
        problems.append("Access-Control-Allow-Origin is missing, so the browser blocks the PUT")
    elif allowed not in (origin, "*"):
        problems.append(f"Access-Control-Allow-Origin is {allowed!r}; it must be the request's "
                        f"Origin ({origin}) or *")
    elif allowed == origin and "origin" not in _list(response.header("Vary")):
        problems.append("the answer depends on Origin, so say so with Vary: Origin, or a cache "
                        "may hand this answer to a page from another origin")
    methods = _list(response.header("Access-Control-Allow-Methods"))
    if not methods & {"put", "*"}:
        problems.append("Access-Control-Allow-Methods does not include PUT, the method the "
                        "preflight asked about")
    headers = _list(response.header("Access-Control-Allow-Headers"))
    wanted = _list(dict(PREFLIGHT)["Access-Control-Request-Headers"])
    if "*" not in headers and not wanted <= headers:
        missing = ", ".join(sorted(wanted - headers))
        problems.append(f"Access-Control-Allow-Headers does not cover {missing}, which the "
                        "preflight listed in Access-Control-Request-Headers")
    return problems


@exercise(
    "06.legacy-preflight",
    "answer a CORS preflight for legacy browsers: 200 with Content-Length: 0, breaking no rule",
    "keep the CORS fields a browser checks, but answer status 200: on a 200, Content-Length: 0 "
    "is allowed (it is only forbidden on 1xx and 204, RFC 9110 §8.6)",
)
def _legacy_preflight(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function that takes a Request and returns a Response"]
    with _mounted("/exercises/06/legacy-preflight", answer) as url:
        report = check(url, "OPTIONS", PREFLIGHT, grace=_GRACE)
    crashed = _crashed(report)
    if crashed:
        return [crashed]
    response = report.exchange.response
    if response is None:
        return _serious(report)
    problems = []
    if response.status != 200:
        problems.append(f"your handler answered {response.status}; old browsers that choke on "
                        "a 204 preflight get 200 instead (the cors middleware's "
                        "optionsSuccessStatus: 200)")
    elif response.header("Content-Length") != "0":
        problems.append("send Content-Length: 0: without it, a 200 only ends when the server "
                        "closes the connection (RFC 9112 §6.3), and those clients wait for that")
    return problems + _preflight_problems(response) + _serious(report)


# -- fix it at the edge -------------------------------------------------------------------

_ETAG = '"v2"'


def _bad_204s() -> tuple[tuple[str, Callable[[Request], Response], str | None], ...]:
    """(what, handler, a field that must survive the fix) for each broken 204 of the notebook."""

    def fixed(response: Response) -> Callable[[Request], Response]:
        return lambda request: response

    return (
        ("FastAPI's null", fixed(Response(status=204, headers=(
            ("content-length", "4"), ("content-type", "application/json")), body=b"null")), None),
        ("Symfony's {}", fixed(Response(status=204, headers=(
            ("Cache-Control", "no-cache, private"),), body=b"{}")), "Cache-Control"),
        ("Werkzeug's Content-Length: 3", fixed(Response(status=204, headers=(
            ("Content-Type", "application/json"), ("Content-Length", "3")))), None),
        ("the chunked 204", fixed(Response(status=204, headers=(
            ("Transfer-Encoding", "chunked"),), body=b"0\r\n\r\n")), None),
        ("the cors middleware's Content-Length: 0", fixed(Response(status=204, headers=(
            ("Access-Control-Allow-Origin", "*"), ("Content-Length", "0")))),
         "Access-Control-Allow-Origin"),
        ("a 204 with an ETag and a stray body", fixed(Response(status=204, headers=(
            ("ETag", _ETAG), ("Content-Length", "2")), body=b"{}")), "ETag"),
    )


@exercise(
    "06.fix-204",
    "write fix_204(handler): wrap any handler so that its 204s go out clean",
    "call the handler; if the status is 204, build a new Response with the same status and "
    "every field except Content-Length and Transfer-Encoding, and no body; return any other "
    "response unchanged",
)
def _fix_204(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function fix_204(handler) that returns a new handler"]
    problems = []
    cases = [(what, handler, keep, 204) for what, handler, keep in _bad_204s()]
    fine = Response(status=200, headers=(("Content-Type", "text/plain"), ("Content-Length", "6")),
                    body=b"hello\n")
    cases.append(("a correct 200 with content", lambda request: fine, "Content-Type", 200))
    for index, (what, handler, keep, status) in enumerate(cases):
        wrapped = answer(handler)
        if not callable(wrapped):
            return [f"fix_204(handler) returned {wrapped!r}; return a handler (a function)"]
        with _mounted(f"/exercises/06/fix-204/{index}", wrapped) as url:
            report = check(url, "DELETE", grace=_GRACE)
        crashed = _crashed(report)
        response = report.exchange.response
        if crashed or response is None:
            problems.append(f"{what}: {crashed or 'no response came back'}")
            continue
        if response.status != status:
            problems.append(f"{what}: the status became {response.status}; keep {status}")
            continue
        serious = [f.rule.id for f in report.findings if f.rule.level is not Level.INFO]
        if serious:
            problems.append(f"{what}: still breaks {', '.join(serious)}")
        if keep is not None and response.header(keep) is None:
            if status == 204:
                problems.append(f"{what}: the {keep} field is gone; a 204's other fields still "
                                "describe the resource (RFC 9110 §15.3.5), so keep them")
            else:
                problems.append(f"{what}: the {keep} field is gone; leave responses other "
                                "than 204 alone")
        if status == 200 and response.body != fine.body:
            problems.append(f"{what}: its content changed to {response.body!r}; leave "
                            "responses other than 204 alone")
    return problems
