"""Worked answers to the exercises of notebooks/03-metadata-after-the-action.ipynb."""

from __future__ import annotations

import httpx


def save(url: str, body: bytes, etag: str) -> str:
    """PUT ``body`` only if the server still holds the version tagged ``etag``.

    Returns the ETag of the new representation, or "conflict" when someone
    else saved first (412 Precondition Failed, RFC 9110 §13.1.1).
    """
    response = httpx.put(url, content=body, headers={"If-Match": etag})
    if response.status_code == 412:
        return "conflict"
    response.raise_for_status()
    # RFC 9110 §15.3.5: the ETag on the 204 belongs to the representation just stored.
    return response.headers["ETag"]


def revalidate(url: str, etag: str, body: bytes) -> tuple[str, bytes]:
    """The current (ETag, bytes) of ``url``, downloading the bytes only if they changed."""
    response = httpx.get(url, headers={"If-None-Match": etag})
    if response.status_code == 304:  # RFC 9110 §15.4.5: the copy we hold is current
        return response.headers.get("ETag", etag), body
    response.raise_for_status()
    return response.headers["ETag"], response.content


SOLUTIONS = {
    "03.save": save,
    "03.revalidate": revalidate,
    "03.pick-precondition": {
        "create only if absent": ("If-None-Match", "*"),
        "replace only if it exists": ("If-Match", "*"),
    },
}
