"""Worked answers to the exercises of notebooks/09-automated-transfer.ipynb."""

from __future__ import annotations

from typing import Any

import httpx


def sync_one(url: str, body: bytes, etag: str) -> dict[str, Any]:
    """Push one document; say whether it was saved, and what the server now holds."""
    answer = httpx.put(url, content=body,
                       headers={"If-Match": etag, "Prefer": "return=minimal"})
    if answer.status_code == 412:
        # Someone else saved first: nothing was written (RFC 9110 §13.1.1), and the server
        # holds a version we have not seen, so its tag and bytes are unknown here.
        return {"saved": False, "etag": None, "content": None}
    answer.raise_for_status()
    if "ETag" in answer.headers:
        # A validator on a successful PUT: the bytes were stored as sent (RFC 9110 §9.3.4),
        # whether the server answered 204, or 200 with an echo we do not need to read.
        return {"saved": True, "etag": answer.headers["ETag"], "content": body}
    # Saved, but no validator: perhaps as sent, perhaps not (§9.3.4 forbids a false promise,
    # it does not require a true one). Only a GET tells what the server holds now.
    current = httpx.get(url)
    current.raise_for_status()
    return {"saved": True, "etag": current.headers.get("ETag"), "content": current.content}


SOLUTIONS = {
    "09.sync-one": sync_one,
}
