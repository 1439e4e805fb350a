"""Solutions to the exercises of notebooks/02-asking-for-nothing.ipynb."""

from __future__ import annotations

from typing import Any

PREFER = {
    "Content-Type": "text/plain; charset=utf-8",
    "Prefer": "return=representation",  # RFC 7240 §4.2
}


def safe_json(response: Any) -> Any:
    """The decoded JSON of an httpx or requests response, or None when there is no content.

    204 and 205 carry no content (RFC 9110 §15.3.5, §15.3.6) and any other status
    may arrive empty, so look before decoding. Content that is not JSON still
    raises ValueError: that is a real error, not "nothing".
    """
    if response.status_code in (204, 205) or not response.content:
        return None
    return response.json()


SOLUTIONS = {
    "02.prefer": PREFER,
    "02.safe-json": safe_json,
}
