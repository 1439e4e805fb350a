"""Solutions to the exercises of notebooks/02-on-the-wire.ipynb."""

from __future__ import annotations


def end_of_204(stream: bytes) -> int:
    """Where the 204 at the start of ``stream`` ends: just after the first empty line.

    RFC 9112 §6.3 rule 1: a 204 ends at the empty line after its header
    fields, regardless of Content-Length or Transfer-Encoding.
    """
    return stream.index(b"\r\n\r\n") + 4


def frame_length(status: int, method: str, headers: list[tuple[str, str]]) -> int | None:
    """How many content bytes follow the header section (RFC 9112 §6.3), or None.

    None means the header section does not say: chunked content (the chunks
    decide) or content that runs until the connection closes.
    """
    if method.upper() == "HEAD" or 100 <= status < 200 or status in (204, 304):
        return 0
    fields = {name.lower(): value for name, value in headers}
    if "transfer-encoding" in fields:
        return None
    if "content-length" in fields:
        return int(fields["content-length"])
    return None


VIOLATIONS = {
    "B",  # 204 with Content-Length (RFC 9110 §8.6), even 0
    "E",  # 204 followed by content: the {} is read as the next response
    "H",  # 204 with Transfer-Encoding (RFC 9112 §6.1) and a stray last-chunk
    "I",  # 205 with content (RFC 9110 §15.3.6)
}

SOLUTIONS = {
    "02.end-of-204": end_of_204,
    "02.frame-length": frame_length,
    "02.violations": VIOLATIONS,
}
