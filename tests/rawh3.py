"""A strict HTTP/3 client for the live tests, independent of nocontent's frame view.

QUIC is aioquic's (sans-I/O); the HTTP/3 layer is written here, small and
unforgiving: a control stream whose SETTINGS allow no dynamic QPACK table, one
request, and the response stream's frames split and decoded as they are, so a
misbehaving response is seen exactly as sent. Waits are reads bounded by a timeout.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pylsqpack
from aioquic.buffer import Buffer, BufferReadError, encode_uint_var
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ConnectionTerminated, HandshakeCompleted, StreamDataReceived

TIMEOUT = 5.0
DATA, HEADERS, SETTINGS = 0x0, 0x1, 0x4


def frame(kind: int, payload: bytes) -> bytes:
    return encode_uint_var(kind) + encode_uint_var(len(payload)) + payload


@dataclass
class H3Response:
    """The frames of one response stream: (type, payload) in order, and its decoded sections."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    sections: list[list[tuple[str, str]]] = field(default_factory=list)
    ended: bool = False

    @property
    def kinds(self) -> list[str]:
        names = {DATA: "DATA", HEADERS: "HEADERS"}
        return [names.get(kind, hex(kind)) for kind, _ in self.frames]

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.sections[0])

    @property
    def body(self) -> bytes:
        return b"".join(payload for kind, payload in self.frames if kind == DATA)


def _prefixed(value: int, bits: int, flags: int) -> bytes:
    """An integer with an N-bit prefix (RFC 9204 §4.1.1, as HPACK's RFC 7541 §5.1)."""
    top = (1 << bits) - 1
    if value < top:
        return bytes([flags | value])
    out, value = [flags | top], value - top
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def field_section(fields: list[tuple[bytes, bytes]]) -> bytes:
    """A QPACK field section of literal lines with literal names (RFC 9204 §4.5.6): no
    table, no Huffman, any size (pylsqpack's encoder refuses large sections)."""
    out = bytearray(b"\x00\x00")  # Required Insert Count 0, Base 0
    for name, value in fields:
        out += _prefixed(len(name), 3, 0x20) + name + _prefixed(len(value), 7, 0) + value
    return bytes(out)


def _split(data: bytes) -> list[tuple[int, bytes]]:
    found, buf = [], Buffer(data=data)
    while not buf.eof():
        kind, length = buf.pull_uint_var(), buf.pull_uint_var()
        found.append((kind, buf.pull_bytes(length)))
    return found


def request(server: Any, path: str, method: str = "GET", host: str = "localhost",
            extra: list[tuple[str, str]] | None = None) -> H3Response:
    """One request over a new QUIC connection; the response stream's frames once it ends."""
    config = QuicConfiguration(is_client=True, alpn_protocols=["h3"], server_name=host)
    config.load_verify_locations(cafile=server.ca_file)
    quic = QuicConnection(configuration=config)
    address = ("127.0.0.1", server.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stream: int | None = None
    received = bytearray()
    deadline = time.monotonic() + TIMEOUT
    quic.connect(address, now=time.monotonic())
    try:
        while time.monotonic() < deadline:
            for data, to in quic.datagrams_to_send(now=time.monotonic()):
                sock.sendto(data, to)
            timer = quic.get_timer()
            sock.settimeout(max(min(deadline, timer or deadline) - time.monotonic(), 0.001))
            try:
                data, _ = sock.recvfrom(65536)
                quic.receive_datagram(data, address, now=time.monotonic())
            except TimeoutError:
                if timer is not None and time.monotonic() >= timer:
                    quic.handle_timer(now=time.monotonic())
            while (event := quic.next_event()) is not None:
                if isinstance(event, HandshakeCompleted):
                    control = quic.get_next_available_stream_id(is_unidirectional=True)
                    quic.send_stream_data(control, encode_uint_var(0) + frame(SETTINGS, b""))
                    stream = quic.get_next_available_stream_id()
                    fields = [(b":method", method.encode()), (b":scheme", b"https"),
                              (b":authority", host.encode()), (b":path", path.encode()),
                              *((n.encode(), v.encode()) for n, v in extra or [])]
                    quic.send_stream_data(stream, frame(HEADERS, field_section(fields)),
                                          end_stream=True)
                elif isinstance(event, StreamDataReceived) and event.stream_id == stream:
                    received += event.data
                    if event.end_stream:
                        return _response(stream, bytes(received))
                elif isinstance(event, ConnectionTerminated):
                    raise AssertionError(f"connection closed: {event.error_code:#x}")
        raise AssertionError("no complete HTTP/3 response")
    finally:
        quic.close()
        for data, to in quic.datagrams_to_send(now=time.monotonic()):
            sock.sendto(data, to)
        sock.close()


def _response(stream: int, data: bytes) -> H3Response:
    try:
        frames = _split(data)
    except BufferReadError as exc:
        raise AssertionError(f"truncated HTTP/3 frame in {data!r}") from exc
    decoder = pylsqpack.Decoder(0, 0)
    sections = []
    for kind, payload in frames:
        if kind == HEADERS:
            _, pairs = decoder.feed_header(stream, payload)
            sections.append([(n.decode(), v.decode()) for n, v in pairs])
    return H3Response(frames=frames, sections=sections, ended=True)
