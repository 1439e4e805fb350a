"""Worked answers to the exercises of notebooks/08-staying-on-the-page.ipynb."""

from __future__ import annotations

from typing import Any


def apply_save(editor: dict[str, Any], response: Any) -> dict[str, Any]:
    """The editor's state after the server answered its save; the text is never touched."""
    if 200 <= response.status_code < 300:
        # RFC 9110 §15.3.5: apply the new metadata to the representation on screen. No ETag
        # means the server does not vouch for the bytes it holds (§9.3.4): forget the old tag.
        return {**editor, "etag": response.headers.get("ETag"), "saved": True}
    # 412 (someone else saved first) or any other failure: nothing was written, and the old
    # ETag still names the version this text was based on.
    return {**editor, "saved": False}


SOLUTIONS = {
    "08.apply-save": apply_save,
}
