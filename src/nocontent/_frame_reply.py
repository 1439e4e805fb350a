"""Responses for HTTP/2 and HTTP/3: the HEADERS and DATA frames to write, in order. No I/O.

In both versions a response is a HEADERS frame (the header section), zero or
more DATA frames (the content) and optionally a second HEADERS frame (the
trailer section); the last frame ends the stream (RFC 9113 §8.1, RFC 9114
§4.1). A :class:`FrameReply` lists those frames, and the server writes them
exactly as listed. :func:`render_frames` owns the framing rules of the
compliant server for these versions, as :func:`nocontent._http.render_response`
does for HTTP/1.1; deliberately broken replies come from
:mod:`nocontent._misbehave_frames`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._framing import compliant_content
from ._http import Headers, Response
from ._replies import text

__all__ = [
    "CONNECTION_SPECIFIC",
    "DataPart",
    "FrameReply",
    "HeadersPart",
    "as_written_frames",
    "frames_for",
    "lowered",
    "render_frames",
    "text_reply",
]

CONNECTION_SPECIFIC = frozenset(
    {"connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade"}
)
"""RFC 9113 §8.2.2 (and RFC 9114 §4.2): fields an HTTP/2 or HTTP/3 message MUST NOT carry.

"This includes the Connection header field and those listed as having
connection-specific semantics in Section 7.6.1 of [HTTP] (that is,
Proxy-Connection, Keep-Alive, Transfer-Encoding, and Upgrade)."
"""


@dataclass(frozen=True)
class HeadersPart:
    """A HEADERS frame: a header section, or a trailer section when it comes after DATA.

    Attributes:
        fields: the fields in order, pseudo-header fields (``:status``) first.
        end_stream: whether this frame ends the stream (END_STREAM in HTTP/2,
            the QUIC stream's FIN in HTTP/3).
    """

    fields: Headers
    end_stream: bool


@dataclass(frozen=True)
class DataPart:
    """A DATA frame: content.

    Attributes:
        data: the bytes it carries.
        end_stream: whether this frame ends the stream.
    """

    data: bytes
    end_stream: bool


Part = HeadersPart | DataPart


@dataclass(frozen=True, kw_only=True)
class FrameReply:
    """A response as the frames to write, written exactly as given.

    Attributes:
        status: the status the first HEADERS frame claims, for the server's record.
        parts: the frames in order.
    """

    status: int
    parts: tuple[Part, ...]


def lowered(headers: Headers) -> Headers:
    """Field names in lowercase: "Field names MUST be converted to lowercase when
    constructing an HTTP/2 message" (RFC 9113 §8.2; RFC 9114 §4.2 for HTTP/3)."""
    return tuple((name.lower(), value) for name, value in headers)


def render_frames(response: Response, method: str, common: Headers = ()) -> FrameReply:
    """The frames a compliant server sends for ``response`` to ``method``.

    ``common`` comes first after ``:status`` (Date, Server). As for HTTP/1.1,
    a handler's Content-Length is replaced by the server's own where RFC 9110
    §8.6 allows one, and content is dropped where the status or the method
    forbid it; connection-specific fields are dropped too (RFC 9113 §8.2.2).
    A response with no content ends the stream on its HEADERS frame.
    """
    status = response.status
    fields = [(":status", str(status))]
    for name, value in lowered((*common, *response.headers)):
        if name != "content-length" and name not in CONNECTION_SPECIFIC:
            fields.append((name, value))
    body, length = compliant_content(status, method, response.body)
    if length is not None:
        fields.append(("content-length", str(length)))
    if not body:
        return FrameReply(status=status, parts=(HeadersPart(tuple(fields), True),))
    return FrameReply(status=status,
                      parts=(HeadersPart(tuple(fields), False), DataPart(body, True)))


def as_written_frames(response: Response) -> FrameReply:
    """The frames of ``response`` exactly as a handler wrote it, names in lowercase.

    No field is added or dropped and content is sent whatever the status, so a
    handler's mistakes reach the wire, where the checker can see them. The
    reason phrase has no place in HTTP/2 or HTTP/3 and is not sent.
    """
    fields = ((":status", str(response.status)), *lowered(response.headers))
    if not response.body:
        return FrameReply(status=response.status, parts=(HeadersPart(fields, True),))
    return FrameReply(status=response.status,
                      parts=(HeadersPart(fields, False), DataPart(response.body, True)))


def text_reply(status: int, message: str) -> Response:
    """A short plain-text answer the server chooses itself (413, 431, 500)."""
    return text(status, message)


def frames_for(reply: object, method: str, common: Headers) -> FrameReply:
    """The frames for a route's ``reply``: as given for a FrameReply, compliant for a Response.

    ``common`` (Date, Server, and for the TLS server Alt-Svc) goes into compliant
    responses only. A raw HTTP/1.1 reply has no HTTP/2 or HTTP/3 form: 500.
    """
    if isinstance(reply, FrameReply):
        return reply
    if not isinstance(reply, Response):
        reply = text_reply(500, "this route answers HTTP/1.1 only")
    return render_frames(reply, method, common)
