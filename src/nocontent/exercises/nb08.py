"""Exercises of notebook 08, *Staying on the page*.

The judge works live: it saves a document of its own on the shared embedded
server and hands the learner's code the real answers. RFC 9110 §15.3.5: the
user agent applies "any new or updated metadata in the response to its active
representation"; §9.3.4: a validator on a successful PUT means the bytes were
stored as sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._http import Request, Response
from .._server import serve
from . import exercise

__all__: list[str] = []

DOCUMENT = "exercise-07-editor"
"""The document the judge saves, so the notebook's own documents are never touched."""
TIDY = "/exercise/07-tidy"
"""Where the judge mounts a save endpoint that reformats what it stores."""


def _tidy(request: Request) -> Response:
    """A save endpoint that stores a reformatted copy, so it honestly sends no ETag (§9.3.4)."""
    return Response(status=204)


def _problems(case: str, editor: dict[str, Any], result: Any, want_etag: str | None,
              want_saved: bool) -> list[str]:
    if not isinstance(result, dict):
        return [f"{case}: apply_save() should return the editor's state (a dict); "
                f"it returned {type(result).__name__}"]
    problems = []
    if result.get("text") != editor["text"]:
        problems.append(f"{case}: the editor's text changed to {result.get('text')!r}; the "
                        "answer to a save has no content, so keep the text the user sees")
    if result.get("etag") != want_etag:
        problems.append(f"{case}: the editor's etag is {result.get('etag')!r}, it should be "
                        f"{want_etag!r}")
    if result.get("saved") is not want_saved:
        problems.append(f"{case}: saved is {result.get('saved')!r}, it should be {want_saved}")
    return problems


@exercise(
    "08.apply-save",
    "Write apply_save(editor, response): the editor's state after the answer to its save",
    "Never touch editor['text']: the answer has no content to replace it with. After a 2xx, "
    "the response's ETag (None when it has none) names what the server now holds, and "
    "saved is True; with no ETag the server does not vouch for your bytes (RFC 9110 §9.3.4), "
    "so the old tag must go. After a 412 nothing was written: keep the old etag, saved is "
    "False.",
    nudge="Look again at what the editor took from each 204 in the section above, and ask "
    "what a 412 and a 204 without an ETag tell it.",
)
def _apply_save(apply_save: Callable[[dict[str, Any], Any], Any]) -> list[str]:
    if not callable(apply_save):
        return ["the answer should be a function apply_save(editor, response)"]
    import httpx  # the structured view; imported here so the package itself needs nothing

    server = serve()
    url = f"{server.url}/docs/{DOCUMENT}"
    tidy_url = server.mount(TIDY, _tidy)
    text = "Draft two: the text the user sees, sent as it is.\n"
    problems: list[str] = []
    try:
        with httpx.Client() as client:
            first = client.put(url, content=b"Draft one.\n").headers["ETag"]
            editor = {"text": text, "etag": first, "saved": False}

            saved = client.put(url, content=text.encode(), headers={"If-Match": first})
            problems += _problems("after a 204 with an ETag", editor,
                                  apply_save(dict(editor), saved), saved.headers["ETag"], True)

            # Same old If-Match, other bytes: the stored version is no longer `first`.
            refused = client.put(url, content=b"Draft three.\n", headers={"If-Match": first})
            problems += _problems("after a 412", editor, apply_save(dict(editor), refused),
                                  first, False)

            untagged = client.put(tidy_url, content=text.encode())
            problems += _problems("after a 204 without an ETag", editor,
                                  apply_save(dict(editor), untagged), None, True)
    finally:
        server.unmount(TIDY)
    return problems
