"""Solutions to the exercises of notebooks/11-caches-and-changes.ipynb."""

from __future__ import annotations

import httpx

stop_reuse = {
    # RFC 9111 §5.2.2.5: no cache, shared or private, may store it.
    "never stored": ("Cache-Control", "no-store"),
    # RFC 9111 §5.2.2.4: a cache may store it, but must ask the server before any reuse.
    "stored, but checked first": ("Cache-Control", "no-cache"),
}


def revalidate(url: str, etag: str, body: bytes) -> tuple[str, bytes]:
    """The current (ETag, bytes) of ``url``, downloading the bytes only if they changed."""
    response = httpx.get(url, headers={"If-None-Match": etag}, trust_env=False)
    if response.status_code == 304:  # RFC 9110 §15.4.5: the copy we hold is current
        return response.headers.get("ETag", etag), body
    response.raise_for_status()
    return response.headers["ETag"], response.content


SOLUTIONS = {
    "11.stop-reuse": stop_reuse,
    "11.revalidate": revalidate,
}
