"""Worked answers to the exercises of notebooks/07-conditional-writes.ipynb."""

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


def save_retrying(client: httpx.Client, url: str, body: bytes, etag: str) -> str:
    """Like ``save``, but sends the same PUT once more when its answer is lost.

    PUT is idempotent (RFC 9110 §9.2.2), and If-Match keeps the retry from
    overwriting another editor's change. If the first try was applied, the
    retry's precondition fails, but the server may answer 2xx because the
    change "appears to have already been applied" (§13.1.1).
    """
    for attempt in range(2):
        try:
            response = client.put(url, content=body, headers={"If-Match": etag})
            break
        except httpx.TransportError:
            if attempt:
                raise
    if response.status_code == 412:
        return "conflict"
    response.raise_for_status()
    return response.headers["ETag"]


SOLUTIONS = {
    "07.save": save,
    "07.retry": save_retrying,
    "07.pick-precondition": {
        "create only if absent": ("If-None-Match", "*"),
        "replace only if it exists": ("If-Match", "*"),
    },
}
