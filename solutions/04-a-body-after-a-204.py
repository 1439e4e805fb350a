"""Solutions to the exercises of notebooks/04-a-body-after-a-204.ipynb."""

from __future__ import annotations

# What httpx 0.28.1 (h11 0.16.0) gets for its second request on the same connection,
# sent at once after each broken 204. h11 keeps the bytes after the 204 as the start
# of the next response: nothing for content-length-zero, "null" and "0\r\n\r\n" glued
# to the real status line (an error), and a complete fake 200 for smuggle.
HTTPX_NEXT = {
    "body": "error",
    "body-late": "error",  # null arrives 0.3 s later, after the second request went out
    "content-length-zero": "real",
    "chunked": "error",
    "smuggle": "fake",
}

VIOLATIONS = {
    "B",  # 204 with Content-Length (RFC 9110 §8.6), even 0
    # not C: a 304 to a conditional GET may carry the 200's Content-Length (RFC 9110 §8.6)
    "E",  # bytes after the empty line that ends a 204 (RFC 9110 §15.3.5)
    "H",  # 204 with Transfer-Encoding (RFC 9112 §6.1), and a stray last-chunk after it
    "I",  # content in a 205 (RFC 9110 §15.3.6)
}

SOLUTIONS = {
    "04.httpx-next": HTTPX_NEXT,
    "04.violations": VIOLATIONS,
}
