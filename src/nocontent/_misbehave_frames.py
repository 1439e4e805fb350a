"""Deliberately broken 204s for HTTP/2 and HTTP/3, for teaching. Served only under ``/misbehave/``.

Each kind is written frame by frame, exactly as listed: the server adds no
field and corrects no flag. The same kinds serve both versions; where
HTTP/2 says END_STREAM, HTTP/3 closes the QUIC stream (its FIN).
"""

from __future__ import annotations

from ._frame_reply import DataPart, FrameReply, HeadersPart, Part
from ._http import Headers

__all__ = ["FRAME_KINDS", "frame_misbehave"]

FRAME_KINDS: dict[str, str] = {
    "body": ("204 HEADERS without END_STREAM, then a DATA frame of 4 bytes, null, that ends "
             "the stream"),
    "content-length-zero": "204 HEADERS with content-length: 0 and END_STREAM",
    "content-length": "204 HEADERS with content-length: 4 and END_STREAM, and no DATA",
    "trailers": "204 HEADERS without END_STREAM, then a trailer section (HEADERS, END_STREAM)",
    "transfer-encoding": "204 HEADERS with transfer-encoding: chunked, a connection-specific field",
}
"""Each kind of broken 204 over HTTP/2 and HTTP/3, described in one line.

What each breaks:

- ``body``: content in a 204, which "cannot contain content or trailers"
  (RFC 9110 §15.3.5); in HTTP/2 the response is malformed, for "the presence
  of extraneous frames" (RFC 9113 §8.1.1).
- ``content-length-zero`` and ``content-length``: "A server MUST NOT send a
  Content-Length header field in any response with a status code of 1xx
  (Informational) or 204 (No Content)" (RFC 9110 §8.6). The framing is not
  broken: a response "defined to have no content ... MAY have a non-zero
  content-length header field, even though no content is included in DATA
  frames" (RFC 9113 §8.1.1; likewise RFC 9114 §4.1.2).
- ``trailers``: a trailer section in a 204 (RFC 9110 §15.3.5).
- ``transfer-encoding``: "Any message containing connection-specific header
  fields MUST be treated as malformed" (RFC 9113 §8.2.2, RFC 9114 §4.2).
"""


def frame_misbehave(kind: str, common: Headers) -> FrameReply | None:
    """The frames for ``kind``, or None for an unknown kind; ``common`` is Date and Server."""
    head: Headers = ((":status", "204"), *common)
    parts: tuple[Part, ...]
    if kind == "body":
        parts = (HeadersPart(head, False), DataPart(b"null", True))
    elif kind == "content-length-zero":
        parts = (HeadersPart((*head, ("content-length", "0")), True),)
    elif kind == "content-length":
        parts = (HeadersPart((*head, ("content-length", "4")), True),)
    elif kind == "trailers":
        parts = (HeadersPart(head, False), HeadersPart((("x-checksum", "none"),), True))
    elif kind == "transfer-encoding":
        parts = (HeadersPart((*head, ("transfer-encoding", "chunked")), True),)
    else:
        return None
    return FrameReply(status=204, parts=parts)
