"""Solutions to the exercises of notebooks/01-what-204-means.ipynb."""

from __future__ import annotations

from typing import Any

NEIGHBOURS = {
    "autosave": 204,  # done, and the editor already shows the stored text
    "comment": 201,  # a new resource now exists at a URL the server chose
    "transcode": 202,  # accepted, but the work is not done yet
    "survey": 205,  # done; the client should clear its form
    "echo": 200,  # the client asked for the stored representation back
}

PREFER = {"Prefer": "return=representation"}


def safe_json(response: Any) -> Any:
    """The decoded JSON of an httpx (or requests) response, or None when there is no content.

    204 and 205 never carry content (RFC 9110 §15.3.5, §15.3.6), and any other
    status may arrive with an empty body too, so look before decoding.
    """
    if response.status_code in (204, 205) or not response.content:
        return None
    return response.json()


SOLUTIONS = {
    "01.neighbours": NEIGHBOURS,
    "01.prefer": PREFER,
    "01.safe-json": safe_json,
}
