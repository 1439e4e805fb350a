"""Deliberately broken 204s, for teaching. Served only under ``/misbehave/``.

Each kind is a list of (delay in seconds, bytes) written to the socket exactly
as given, with no framing correction; the connection stays open afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "RawReply", "misbehave"]


@dataclass(frozen=True, kw_only=True)
class RawReply:
    """Bytes the server writes as they are, bypassing its framing rules.

    Attributes:
        parts: (delay in seconds, bytes) pairs written in order.
        status: the status the bytes claim, for the server's record.
        close: whether the server closes the connection after writing them.
    """

    parts: tuple[tuple[float, bytes], ...]
    status: int
    close: bool = False


KINDS: dict[str, str] = {
    "body": "204 with Content-Length: 4 and the bytes null in the same write",
    "body-late": "204 with Content-Length: 4, and null about 300 ms after the header section",
    "content-length-zero": "204 with Content-Length: 0",
    "chunked": "204 with Transfer-Encoding: chunked and a last-chunk 0\\r\\n\\r\\n",
    "smuggle": "a clean 204 followed at once by a complete 200 OK with the body EVIL!",
}
"""Each kind of broken 204, described in one line."""

LATE = 0.3
"""Seconds ``body-late`` waits before it sends the stray body."""


def misbehave(kind: str, common: str) -> RawReply | None:
    """The raw reply for ``kind``; ``common`` is the Date and Server lines, CRLF-ended."""
    head = f"HTTP/1.1 204 No Content\r\n{common}"
    if kind == "body":
        parts = [(0.0, f"{head}Content-Length: 4\r\n\r\nnull")]
    elif kind == "body-late":
        parts = [(0.0, f"{head}Content-Length: 4\r\n\r\n"), (LATE, "null")]
    elif kind == "content-length-zero":
        parts = [(0.0, f"{head}Content-Length: 0\r\n\r\n")]
    elif kind == "chunked":
        parts = [(0.0, f"{head}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    elif kind == "smuggle":
        evil = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nEVIL!"
        parts = [(0.0, f"{head}\r\n{evil}")]
    else:
        return None
    return RawReply(parts=tuple((delay, text.encode("latin-1")) for delay, text in parts),
                    status=204)
