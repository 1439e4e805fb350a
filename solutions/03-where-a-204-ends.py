"""Solutions to the exercises of notebooks/03-where-a-204-ends.ipynb."""

from __future__ import annotations


def end_of_204(stream: bytes) -> int:
    """Where the 204 at the start of ``stream`` ends: just after the first empty line.

    RFC 9112 §6.3, first rule: a 204 "is always terminated by the first empty
    line after the header fields, regardless of the header fields present in
    the message". Content-Length and Transfer-Encoding are not consulted.
    """
    return stream.index(b"\r\n\r\n") + 4


def frame_length(status: int, method: str, headers: list[tuple[str, str]]) -> int | None:
    """How many content bytes follow the header section (RFC 9112 §6.3), or None.

    None means the header section does not say: chunked content (the chunks
    decide) or content that runs until the server closes the connection.
    """
    if method.upper() == "HEAD" or 100 <= status < 200 or status in (204, 304):
        return 0
    names = {name.lower(): value for name, value in headers}
    if "transfer-encoding" in names:
        return None
    if "content-length" in names:
        return int(names["content-length"])
    return None


SOLUTIONS = {
    "03.end-of-204": end_of_204,
    "03.frame-length": frame_length,
}
