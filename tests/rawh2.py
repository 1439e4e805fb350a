"""A strict raw-socket HTTP/2 client for the live tests, independent of nocontent's frame view.

It writes frames with hyperframe and hpack and reads them back the same way,
so a bug in nocontent's own decoder (``_frame_decode``) cannot hide a bug in
the server. Each read is a blocking ``recv`` bounded by :data:`TIMEOUT`.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from hpack import Decoder, Encoder
from hyperframe.frame import (
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)

TIMEOUT = 5.0
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


@dataclass
class Seen:
    """A frame read back: the hyperframe object, and the decoded fields of a HEADERS frame."""

    frame: Frame
    fields: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return type(self.frame).__name__.removesuffix("Frame")

    @property
    def flags(self) -> set[str]:
        return set(self.frame.flags)


def headers_frame(encoder: Encoder, stream: int, method: str, path: str,
                  extra: list[tuple[str, str]] | None = None, *,
                  end_stream: bool = True) -> HeadersFrame:
    """A HEADERS frame for a request (END_HEADERS set), its fields encoded by ``encoder``."""
    fields = [(":method", method), (":scheme", "http"), (":authority", "nocontent.test"),
              (":path", path), *(extra or [])]
    frame = HeadersFrame(stream, data=encoder.encode(fields))
    frame.flags.add("END_HEADERS")
    if end_stream:
        frame.flags.add("END_STREAM")
    return frame


class H2:
    """One HTTP/2 connection (h2c), opened with the preface and an empty SETTINGS frame."""

    def __init__(self, server: Any, timeout: float = TIMEOUT,
                 sock: socket.socket | None = None) -> None:
        """Connect to ``server``, or use ``sock`` (already connected, such as h2 over TLS)."""
        self.sock = sock or socket.create_connection((server.host, server.port), timeout=timeout)
        self.encoder, self.decoder = Encoder(), Decoder()
        self.buffer = bytearray()
        self.next_stream = 1
        self.sock.sendall(PREFACE + SettingsFrame(0).serialize())

    def __enter__(self) -> H2:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, *frames: Frame) -> None:
        self.sock.sendall(b"".join(frame.serialize() for frame in frames))

    def headers(self, method: str, path: str, extra: list[tuple[str, str]] | None = None,
                *, end_stream: bool = True) -> HeadersFrame:
        """A HEADERS frame opening the next stream (END_HEADERS set)."""
        frame = headers_frame(self.encoder, self.next_stream, method, path, extra,
                              end_stream=end_stream)
        self.next_stream += 2
        return frame

    def read(self) -> Seen:
        """The next frame; SETTINGS and PING are acknowledged as they arrive."""
        while True:
            if len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(bytes(self.buffer[:9])))
                if len(self.buffer) >= 9 + length:
                    frame.parse_body(memoryview(bytes(self.buffer[9: 9 + length])))
                    del self.buffer[: 9 + length]
                    return self._seen(frame)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buffer += chunk

    def _seen(self, frame: Frame) -> Seen:
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.send(SettingsFrame(0, flags=["ACK"]))
        if isinstance(frame, PingFrame) and "ACK" not in frame.flags:
            self.send(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]))
        fields = []
        if isinstance(frame, HeadersFrame):
            fields = [(n.decode(), v.decode()) for n, v in self.decoder.decode(frame.data,
                                                                                raw=True)]
        return Seen(frame, fields)

    def response(self, stream: int) -> list[Seen]:
        """Every frame on ``stream`` up to the one that ends it (END_STREAM or RST_STREAM)."""
        found = []
        while True:
            seen = self.read()
            if isinstance(seen.frame, GoAwayFrame):
                raise AssertionError(f"GOAWAY, error code {seen.frame.error_code}")
            if seen.frame.stream_id != stream:
                continue
            found.append(seen)
            if "END_STREAM" in seen.flags or isinstance(seen.frame, RstStreamFrame):
                return found

    def until(self, kind: type[Frame]) -> Seen:
        """Read frames until one of ``kind``; raises EOFError if the server closes first."""
        while True:
            seen = self.read()
            if isinstance(seen.frame, kind):
                return seen


def get(server: Any, path: str, method: str = "GET",
        extra: list[tuple[str, str]] | None = None, body: bytes = b"") -> list[Seen]:
    """One request on a new connection; the frames of its response."""
    with H2(server) as conn:
        frames: list[Frame] = [conn.headers(method, path, extra, end_stream=not body)]
        if body:
            frames.append(DataFrame(1, data=body, flags=["END_STREAM"]))
        conn.send(*frames)
        return conn.response(1)


def status(frames: list[Seen]) -> int:
    return int(dict(frames[0].fields)[":status"])
