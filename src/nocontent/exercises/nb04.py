"""Exercises of notebook 04, *Staying on the page*.

The judges work live: they save documents on the shared embedded server and
hand the learner's code the real answers (RFC 9110 §15.3.5; RFC 7240 §4.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._http import Request, Response
from .._server import serve
from .._wire import exchange
from . import exercise

__all__: list[str] = []

# -- 04.apply-save ------------------------------------------------------------------


def _tidy(request: Request) -> Response:
    """Stands in for a save endpoint that reformats what it stores: 204, and no ETag."""
    return Response(status=204)


def _editor_problems(case: str, editor: dict[str, Any], result: Any, want_etag: Any,
                     want_saved: bool) -> list[str]:
    if not isinstance(result, dict):
        return [f"{case}: apply_save() should return the editor's state (a dict); "
                f"it returned {type(result).__name__}"]
    problems = []
    if result.get("text") != editor["text"]:
        problems.append(f"{case}: the editor's text changed; a save answer has no content, so "
                        "keep the text the user is editing exactly as it is")
    if result.get("etag") != want_etag:
        problems.append(f"{case}: the editor's etag is {result.get('etag')!r}, it should be "
                        f"{want_etag!r}")
    if result.get("saved") is not want_saved:
        problems.append(f"{case}: saved is {result.get('saved')!r}, it should be {want_saved}")
    return problems


@exercise(
    "04.apply-save",
    "Write apply_save(editor, response): update an editor's state from the answer to its save",
    "Never touch editor['text']. After a 2xx, the ETag of the response (or None when it has "
    "none) describes what the server now holds, and saved is True. After a 412, nothing "
    "was saved: keep the old etag and set saved to False.",
)
def _apply_save(apply_save: Callable[[dict[str, Any], Any], Any]) -> list[str]:
    if not callable(apply_save):
        return ["the answer should be a function apply_save(editor, response)"]
    import httpx  # the structured view; imported here so the package itself needs nothing

    server = serve()
    url = f"{server.url}/docs/exercise-04-editor"
    tidy_url = server.mount("/exercise/04-tidy", _tidy)
    problems: list[str] = []
    try:
        with httpx.Client() as client:
            etag = client.put(url, content=b"draft 1\n").headers["ETag"]
            # The user kept typing while the save was on its way: the text is longer
            # than what was sent, and must survive.
            editor = {"text": "draft 2, and a few more words typed during the save",
                      "etag": etag, "saved": False}

            ok = client.put(url, content=b"draft 2", headers={"If-Match": etag})
            result = apply_save(dict(editor), ok)
            problems += _editor_problems("after a 204 with an ETag", editor, result,
                                         ok.headers.get("ETag"), True)

            refused = client.put(url, content=b"draft 3", headers={"If-Match": etag})
            result = apply_save(dict(editor), refused)
            problems += _editor_problems("after a 412", editor, result, etag, False)

            untagged = client.put(tidy_url, content=b"draft 2")
            result = apply_save(dict(editor), untagged)
            problems += _editor_problems("after a 204 without an ETag", editor, result, None,
                                         True)
    finally:
        server.unmount("/exercise/04-tidy")
    return problems


# -- 04.echo-cost -------------------------------------------------------------------

_ECHO_CASES = (
    (b"", "text/plain"),
    (b"x", "text/markdown; charset=utf-8"),
    (b'{"n": 12345}', "application/json"),
    (bytes(range(256)) * 40, "application/octet-stream"),
)


def _received(url: str, body: bytes, content_type: str, prefer: str) -> int:
    headers = [("Content-Type", content_type), ("Prefer", prefer)]
    return len(exchange(url, "PUT", headers, body, grace=0).received)


@exercise(
    "04.echo-cost",
    "Write echo_cost(body, content_type): how many more bytes a 200 echo costs than a 204",
    "Print both answers to one PUT with nocontent.exchange and compare them line by line: "
    "the status line, Preference-Applied, and what only the echo carries (a Content-Type "
    "line, a Content-Length line, the body). Count the \\r\\n at the end of each line.",
)
def _echo_cost(echo_cost: Callable[[bytes, str], Any]) -> list[str]:
    if not callable(echo_cost):
        return ["the answer should be a function echo_cost(body, content_type)"]
    url = f"{serve().url}/docs/exercise-04-echo"
    problems = []
    for body, content_type in _ECHO_CASES:
        exchange(url, "PUT", [("Content-Type", content_type)], body, grace=0)  # it exists now
        minimal = _received(url, body, content_type, "return=minimal")
        echoed = _received(url, body, content_type, "return=representation")
        predicted = echo_cost(body, content_type)
        if predicted != echoed - minimal:
            problems.append(f"for a {len(body)}-byte body of {content_type}, you predicted "
                            f"{predicted!r} extra bytes; the wire shows {echoed - minimal}")
    return problems
