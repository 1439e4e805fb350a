"""Worked answers to the exercises of notebooks/04-staying-on-the-page.ipynb."""

from __future__ import annotations

from typing import Any


def apply_save(editor: dict[str, Any], response: Any) -> dict[str, Any]:
    """The editor's state after the server answered its save; the text is never touched."""
    if 200 <= response.status_code < 300:
        # RFC 9110 §15.3.5: the fields describe the document after the save. No ETag
        # means the server does not vouch for our bytes (RFC 9110 §9.3.4): forget the old one.
        return {**editor, "etag": response.headers.get("ETag"), "saved": True}
    # 412 (someone else saved first) or any other failure: nothing was saved, the old
    # ETag still names the version this text started from.
    return {**editor, "saved": False}


def echo_cost(body: bytes, content_type: str) -> int:
    """Extra bytes of a 200 echo (return=representation) over a 204 (return=minimal)."""
    status = len("200 OK") - len("204 No Content")
    preference = len("return=representation") - len("return=minimal")
    only_in_echo = len(f"Content-Type: {content_type}\r\n") + len(
        f"Content-Length: {len(body)}\r\n"
    )
    return status + preference + only_in_echo + len(body)


SOLUTIONS = {
    "04.apply-save": apply_save,
    "04.echo-cost": echo_cost,
}
