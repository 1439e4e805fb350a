"""The frame view's data: HTTP/2 and HTTP/3 frames and the exchange that holds them. No I/O.

A :class:`FrameExchange` is what ``nocontent.exchange(url, http_version=2)``
(or 3) returns: every frame that went each way, in order, and the response
read out of them by :func:`response_of`. The frames are decoded from bytes by
:mod:`nocontent._frame_decode` and captured by :mod:`nocontent._frame_client`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._http import Headers, WireResponse

__all__ = [
    "CONNECTION", "PREFACE", "Frame", "FrameExchange", "H3Item", "StreamChunk", "response_of",
]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The client connection preface (RFC 9113 §3.4)."""
CONNECTION = -1
"""The stream of a QUIC connection-level event such as CONNECTION_CLOSE: none."""


@dataclass(frozen=True, kw_only=True)
class Frame:
    """One frame of an HTTP/2 or HTTP/3 exchange, as it went over the connection.

    Attributes:
        sent: True for a frame the client sent, False for one it received.
        type: the frame type, such as ``HEADERS`` or ``DATA``; in parentheses for
            what is not a frame of the HTTP version but is shown in its place: the
            HTTP/2 ``(preface)``, an HTTP/3 ``(stream type)``, ``(QPACK)``
            instructions, or the QUIC ``(RESET_STREAM)`` and ``(CONNECTION_CLOSE)``.
        stream: the stream identifier (0 for the HTTP/2 connection itself;
            :data:`CONNECTION` for a QUIC event of the whole connection, which has
            no stream, since HTTP/3's first request stream is 0).
        flags: the flags set, such as ``("END_STREAM", "END_HEADERS")``. HTTP/3
            frames have none; ``FIN`` marks the last frame before the QUIC stream
            was closed, which is how HTTP/3 ends a message (RFC 9114 §4.1).
        length: the payload length the frame header declares.
        fields: the decoded field lines of a HEADERS frame (with its
            CONTINUATIONs), names exactly as they arrived.
        data: the payload of a DATA frame (or of a frame the view cannot decode).
        note: the decoded payload of other frames (settings, error codes), in words.
        raw: the exact bytes of the frame, header included.
    """

    sent: bool
    type: str
    stream: int
    flags: tuple[str, ...] = ()
    length: int = 0
    fields: Headers = ()
    data: bytes = b""
    note: str = ""
    raw: bytes = b""

    def line(self) -> str:
        """One line: direction, type, stream, length, flags and note."""
        arrow = ">>>" if self.sent else "<<<"
        size = f"length {self.length:<5}" if self.raw else " " * 12
        stream = "-" if self.stream == CONNECTION else self.stream
        text = f"{arrow} {self.type:<18} stream {stream:<3} {size}"
        extra = " ".join((*self.flags, self.note)).strip()
        return f"{text} {extra}".rstrip()

    def __str__(self) -> str:
        lines = [self.line()]
        lines += [f"      {name}: {value}" for name, value in self.fields]
        if self.data and self.type == "DATA":
            more = f" ... ({len(self.data)} bytes)" if len(self.data) > 60 else ""
            lines.append(f"      {self.data[:60]!r}{more}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StreamChunk:
    """Bytes of one HTTP/3 stream, as QUIC delivered them (before they are split into frames).

    Attributes:
        sent: True for bytes the client sent.
        stream: the QUIC stream id.
        data: the bytes.
        fin: whether the stream ended after them.
    """

    sent: bool
    stream: int
    data: bytes
    fin: bool = False


H3Item = StreamChunk | Frame
"""What an HTTP/3 capture holds: stream bytes, or a QUIC event shown as a :class:`Frame`."""


# -- the response in the frames ---------------------------------------------------------


def _status(fields: Headers) -> int | None:
    values = [value for name, value in fields if name == ":status"]
    if len(values) != 1 or not (values[0].isascii() and values[0].isdigit()):
        return None
    return int(values[0])


def _ends(frame: Frame) -> bool:
    return "END_STREAM" in frame.flags or "FIN" in frame.flags


def response_of(frames: Sequence[Frame], stream: int,
                version: int) -> tuple[WireResponse | None, str | None]:
    """The response received on ``stream``, or None and why there is none.

    Interim (1xx) header sections are passed over; the first final one is the
    header section, DATA after it the content, a HEADERS frame after that the
    trailer section (RFC 9113 §8.1, RFC 9114 §4.1).
    """
    mine = [f for f in frames if not f.sent and f.stream == stream]
    for frame in frames:
        if frame.sent:
            continue
        if frame.type in ("RST_STREAM", "(RESET_STREAM)") and frame.stream == stream:
            return None, f"the server reset the stream: {frame.note}"
        closed = frame.type in ("GOAWAY", "(CONNECTION_CLOSE)") and "NO_ERROR" not in frame.note
        if closed and not any(_ends(f) for f in mine):
            return None, f"the server closed the connection: {frame.note}"
    head: Frame | None = None
    body = bytearray()
    trailers: Headers = ()
    last: Frame | None = None
    for frame in mine:
        if frame.type == "HEADERS" and head is None:
            status = _status(frame.fields)
            if status is None:
                return None, "a HEADERS frame without one valid :status"
            if status >= 200 or _ends(frame):
                head = frame
        elif frame.type == "HEADERS":
            trailers = frame.fields
        elif frame.type == "DATA" and head is not None:
            body += frame.data
        if head is not None:
            last = frame
        if _ends(frame):
            break
    if head is None:
        return None, "no final response header section arrived"
    if last is None or not _ends(last):
        return None, ("the stream did not end: no END_STREAM" if version == 2
                      else "the stream did not end: no FIN")
    status = _status(head.fields) or 0
    where = {"HEADERS": "the HEADERS frame", "DATA": "a DATA frame"}.get(last.type, last.type)
    if last is not head and last.type == "HEADERS":
        where = "the trailer section's HEADERS frame"
    framing = (f"END_STREAM on {where}" if version == 2
               else f"the QUIC stream closed (FIN) after {where}")
    start = mine.index(head)
    raw = b"".join(f.raw for f in mine[start: mine.index(last) + 1])
    response = WireResponse(
        version=f"HTTP/{version}", status=status, reason="",
        headers=tuple((n, v) for n, v in head.fields if not n.startswith(":")),
        body=bytes(body), framing=framing, trailers=trailers, raw=raw,
    )
    return response, None


@dataclass(frozen=True, kw_only=True)
class FrameExchange:
    """One request over HTTP/2 or HTTP/3 and every frame that went each way.

    Attributes:
        version: 2 or 3.
        protocol: how the connection was made: ``h2c`` (cleartext, prior
            knowledge), ``h2`` (TLS, ALPN) or ``h3`` (QUIC).
        url: the URL asked for.
        method: the request's method.
        stream: the request's stream id.
        request_fields: the request's field lines as sent, pseudo-header fields first.
        frames: every frame, both ways, in the order seen.
        response: the response read from the frames, or None.
        error: why there is no response, in words.
    """

    version: int
    protocol: str
    url: str
    method: str
    stream: int
    request_fields: Headers
    frames: tuple[Frame, ...]
    response: WireResponse | None
    error: str | None

    unrequested = False
    """Always False: a stream cannot carry bytes that answer no request (see :class:`Exchange`)."""

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    @property
    def sent(self) -> bytes:
        """The raw bytes of every frame the client sent, in order."""
        return b"".join(f.raw for f in self.frames if f.sent)

    @property
    def received(self) -> bytes:
        """The raw bytes of every frame the client received, in order."""
        return b"".join(f.raw for f in self.frames if not f.sent)

    def on_stream(self) -> tuple[Frame, ...]:
        """The frames of the request's own stream, both ways."""
        return tuple(f for f in self.frames if f.stream == self.stream)

    def __str__(self) -> str:
        how = {"h2c": "cleartext TCP, prior knowledge", "h2": "TLS, ALPN h2",
               "h3": "QUIC, ALPN h3"}.get(self.protocol, self.protocol)
        lines = [f"HTTP/{self.version} ({how}): {self.method} {self.url}, stream {self.stream}"]
        lines += [str(frame) for frame in self.frames]
        if self.error:
            lines.append(f"!!! {self.error}")
        return "\n".join(lines)
