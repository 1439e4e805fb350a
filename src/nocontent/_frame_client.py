"""The frame view's client: one request over HTTP/2 or HTTP/3, every frame kept.

Like the HTTP/1.1 wire view, it forgives nothing: it sends exactly the frames
written here, keeps every byte that comes back, and leaves the judging to
the checker. It speaks just enough of each protocol to get one answer. Over
HTTP/2 it acknowledges the server's SETTINGS, answers its PINGs and opens the
flow-control windows as content arrives. Over HTTP/3 its control stream's
SETTINGS allow the server no dynamic QPACK table (RFC 9204 §3.2.3), so that
every field block can be decoded on its own and shown.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import pylsqpack
from aioquic.buffer import encode_uint_var
from aioquic.h3.connection import FrameType, Setting, StreamType, encode_frame, encode_settings
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import (
    ConnectionTerminated,
    HandshakeCompleted,
    StopSendingReceived,
    StreamDataReceived,
    StreamReset,
)
from aioquic.quic.packet import QuicErrorCode
from h2.settings import SettingCodes
from hpack import Encoder
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)
from hyperframe.frame import Frame as HyperFrame

from ._frame_decode import decode_h2, decode_h3, error_name
from ._frame_reply import CONNECTION_SPECIFIC
from ._frames import CONNECTION, PREFACE, Frame, FrameExchange, H3Item, StreamChunk, response_of
from ._http import Headers, field_value_problem, token_problem
from ._wire import GRACE, LocalProtocolError

__all__ = ["frame_exchange", "request_fields"]

MAX_CONTENT = 65535
"""The most content the view sends: what the initial flow-control windows allow
(RFC 9113 §6.9.2), so it never has to wait for the server to open them."""
FRAME_SIZE = 16384
"""SETTINGS_MAX_FRAME_SIZE's initial value (RFC 9113 §6.5.2): no frame sent is larger."""


def _target(url: str, version: int) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"expected an http:// or https:// URL, got {url!r}")
    if version == 3 and parts.scheme != "https":
        raise LocalProtocolError(
            "HTTP/3 is for https:// URLs: it runs over QUIC, which always uses TLS "
            "(RFC 9114 §3.1.2); for HTTP/3 use serve(tls=True)")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, target


def request_fields(method: str, url: str, headers: Sequence[tuple[str, str]] = (),
                   body: bytes = b"", *, version: int = 2) -> Headers:
    """The request's field lines: pseudo-header fields first (RFC 9113 §8.3.1), then ``headers``.

    Names are sent in lowercase, as both versions require (RFC 9113 §8.2, RFC
    9114 §4.2); a content-length is added for content, or for POST, PUT and
    PATCH. Raises :class:`LocalProtocolError`, before anything is sent, for an
    invalid method, field name or value, or a connection-specific field.
    """
    scheme, host, port, target = _target(url, version)
    problem = token_problem("method", method)
    for name, value in headers:
        if problem:
            break
        problem = token_problem("field name", name)
        if not problem and name.lower() in CONNECTION_SPECIFIC:
            problem = (f"{name} is connection-specific: HTTP/{version} messages MUST NOT carry "
                       "it (RFC 9113 §8.2.2, RFC 9114 §4.2)")
        if not problem and name.lower() == "te" and value.strip().lower() != "trailers":
            problem = "TE may only be 'trailers' in HTTP/2 and HTTP/3 (RFC 9113 §8.2.2)"
        if not problem and (problem := field_value_problem(value)):
            problem = f"{name}: {problem}"
        if not problem and value != value.strip(" \t"):
            problem = f"{name}: a field value MUST NOT start or end with a space (RFC 9113 §8.2.1)"
    if not problem and any(ch <= " " or ch > "~" for ch in target):
        problem = f"the request target {target!r} has a space or non-ASCII; percent-encode it"
    if problem:
        raise LocalProtocolError(problem)
    if len(body) > MAX_CONTENT:
        raise LocalProtocolError(f"the frame view sends at most {MAX_CONTENT} bytes of content")
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    fields: Headers = ((":method", method), (":scheme", scheme), (":authority", authority),
                       (":path", target), *((n.lower(), v) for n, v in headers))
    names = {name.lower() for name, _ in headers}
    if (body or method in ("POST", "PUT", "PATCH")) and "content-length" not in names:
        fields += (("content-length", str(len(body))),)
    return fields


def _ca_file(port: int, ca_file: str | None) -> str | None:
    if ca_file is not None:
        return ca_file
    from ._tls import running_ca_file

    return running_ca_file(port)


# -- HTTP/2 ---------------------------------------------------------------------------


def _h2_request(fields: Headers, body: bytes) -> bytes:
    """The client's opening: preface, SETTINGS, then the request on stream 1."""
    settings = SettingsFrame(0, settings={SettingCodes.ENABLE_PUSH: 0})
    block = Encoder().encode(list(fields))
    pieces = [block[i: i + FRAME_SIZE] for i in range(0, len(block), FRAME_SIZE)] or [b""]
    first = HeadersFrame(1, data=pieces[0])
    if not body:
        first.flags.add("END_STREAM")
    frames: list[HyperFrame] = [settings, first]
    frames += [ContinuationFrame(1, data=piece) for piece in pieces[1:]]
    frames[-1].flags.add("END_HEADERS")
    for start in range(0, len(body), FRAME_SIZE):
        data = DataFrame(1, data=body[start: start + FRAME_SIZE])
        if start + FRAME_SIZE >= len(body):
            data.flags.add("END_STREAM")
        frames.append(data)
    return PREFACE + b"".join(frame.serialize() for frame in frames)


def _complete_frames(buffer: bytearray) -> list[HyperFrame]:
    """Take the complete frames off the front of ``buffer``."""
    found = []
    while len(buffer) >= 9:
        frame, length = HyperFrame.parse_frame_header(memoryview(bytes(buffer[:9])))
        if len(buffer) < 9 + length:
            break
        frame.parse_body(memoryview(bytes(buffer[9: 9 + length])))
        del buffer[: 9 + length]
        found.append(frame)
    return found


def _h2_replies(frames: list[HyperFrame], unacked: list[int]) -> tuple[bytes, bool]:
    """What the client must send back, and whether stream 1 has ended (or can no longer)."""
    replies: list[HyperFrame] = []
    ended = False
    for frame in frames:
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            replies.append(SettingsFrame(0, flags=["ACK"]))
        elif isinstance(frame, PingFrame) and "ACK" not in frame.flags:
            replies.append(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]))
        elif isinstance(frame, DataFrame) and frame.flow_controlled_length:
            unacked[0] += frame.flow_controlled_length
        if frame.stream_id == 1 and ("END_STREAM" in frame.flags
                                     or isinstance(frame, RstStreamFrame)):
            ended = True
        if isinstance(frame, GoAwayFrame):
            ended = True
    if unacked[0] >= 32768 and not ended:  # reopen both windows before they run dry
        replies += [WindowUpdateFrame(0, window_increment=unacked[0]),
                    WindowUpdateFrame(1, window_increment=unacked[0])]
        unacked[0] = 0
    return b"".join(frame.serialize() for frame in replies), ended


def _connect_h2(scheme: str, host: str, port: int, timeout: float,
                ca_file: str | None) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if scheme == "http":
        return sock
    context = ssl.create_default_context(cafile=_ca_file(port, ca_file))
    context.set_alpn_protocols(["h2"])
    try:
        tls = context.wrap_socket(sock, server_hostname=host)
    except OSError:
        sock.close()
        raise
    if tls.selected_alpn_protocol() != "h2":
        tls.close()
        raise LocalProtocolError(f"the server did not agree to h2 in ALPN ({host}:{port})")
    return tls


def _h2_exchange(url: str, method: str, fields: Headers, body: bytes, grace: float,
                 timeout: float, ca_file: str | None) -> FrameExchange:
    scheme, host, port, _ = _target(url, 2)
    chunks: list[tuple[bool, bytes]] = []
    buffer = bytearray()
    unacked = [0]
    problem: str | None = None
    with _connect_h2(scheme, host, port, timeout, ca_file) as sock:
        opening = _h2_request(fields, body)
        chunks.append((True, opening))
        sock.sendall(opening)
        until = time.monotonic() + timeout
        ended = False
        while (left := until - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            except OSError as exc:
                problem = f"connection failed: {exc}"
                break
            if not data:
                break
            chunks.append((False, data))
            buffer += data
            try:
                reply, done = _h2_replies(_complete_frames(buffer), unacked)
            except HyperframeError:
                break  # the view shows the unreadable bytes
            if reply:
                chunks.append((True, reply))
                sock.sendall(reply)
            if done and not ended:
                ended, until = True, time.monotonic() + grace
        if not ended and problem is None:
            problem = f"no complete response within {timeout} s"
    frames = decode_h2(chunks)
    response, error = response_of(frames, 1, 2)
    if response is None and problem and "did not end" in (error or ""):
        error = problem
    return FrameExchange(version=2, protocol="h2" if scheme == "https" else "h2c", url=url,
                         method=method, stream=1, request_fields=fields, frames=tuple(frames),
                         response=response, error=error)


# -- HTTP/3 ---------------------------------------------------------------------------


def _quic_close(event: ConnectionTerminated, sent: bool = False) -> Frame:
    if event.frame_type is None:  # an application close: an HTTP/3 error code
        note = error_name(event.error_code, 3)
    else:
        try:
            note = f"{QuicErrorCode(event.error_code).name} (0x{event.error_code:x})"
        except ValueError:
            note = f"0x{event.error_code:x}"
    if event.reason_phrase:
        note += f", {event.reason_phrase!r}"
    return Frame(sent=sent, type="(CONNECTION_CLOSE)", stream=CONNECTION, note=note)


class _H3Client:
    """One QUIC connection, one request; every stream's bytes kept in order."""

    def __init__(self, host: str, port: int, timeout: float, ca_file: str | None) -> None:
        config = QuicConfiguration(is_client=True, alpn_protocols=["h3"], server_name=host,
                                   idle_timeout=timeout)
        ca = _ca_file(port, ca_file)
        if ca:
            config.load_verify_locations(cafile=ca)
        self.quic = QuicConnection(configuration=config)
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.address = info[4]
        self.sock = socket.socket(info[0], socket.SOCK_DGRAM)
        self.items: list[H3Item] = []
        self.stream: int | None = None
        self.ended = False
        self.closed = False

    def send(self, stream: int, data: bytes, end: bool) -> None:
        self.items.append(StreamChunk(True, stream, data, end))
        self.quic.send_stream_data(stream, data, end_stream=end)

    def request(self, fields: Headers, body: bytes) -> None:
        control = self.quic.get_next_available_stream_id(is_unidirectional=True)
        settings = {Setting.QPACK_MAX_TABLE_CAPACITY: 0, Setting.QPACK_BLOCKED_STREAMS: 0}
        self.send(control, encode_uint_var(StreamType.CONTROL)
                  + encode_frame(FrameType.SETTINGS, encode_settings(settings)), False)
        self.stream = stream = self.quic.get_next_available_stream_id()
        encoded = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in fields]
        try:
            _, block = pylsqpack.Encoder().encode(stream, encoded)
        except (ValueError, RuntimeError) as exc:  # pylsqpack: "... too long", "... failed"
            raise LocalProtocolError(f"the HTTP/3 client's QPACK encoder refused these "
                                     f"fields ({exc}); send fewer or shorter ones") from None
        self.send(stream, encode_frame(FrameType.HEADERS, block), not body)
        if body:
            self.send(stream, encode_frame(FrameType.DATA, body), True)

    def events(self, fields: Headers, body: bytes) -> None:
        while (event := self.quic.next_event()) is not None:
            if isinstance(event, HandshakeCompleted):
                self.request(fields, body)
            elif isinstance(event, StreamDataReceived):
                self.items.append(StreamChunk(False, event.stream_id, event.data,
                                              event.end_stream))
                self.ended |= event.stream_id == self.stream and event.end_stream
            elif isinstance(event, (StreamReset, StopSendingReceived)):
                kind = "(RESET_STREAM)" if isinstance(event, StreamReset) else "(STOP_SENDING)"
                self.items.append(Frame(sent=False, type=kind, stream=event.stream_id,
                                        note=error_name(event.error_code, 3)))
                self.ended |= event.stream_id == self.stream and isinstance(event, StreamReset)
            elif isinstance(event, ConnectionTerminated):
                self.items.append(_quic_close(event))
                self.closed = True

    def flush(self) -> None:
        for data, address in self.quic.datagrams_to_send(now=time.monotonic()):
            self.sock.sendto(data, address)

    def run(self, fields: Headers, body: bytes, grace: float, timeout: float) -> str | None:
        """Connect, send the request, read until the stream ends and ``grace`` passes."""
        self.quic.connect(self.address, now=time.monotonic())
        until = time.monotonic() + timeout
        ended_at: float | None = None
        while not self.closed and (now := time.monotonic()) < until:
            self.flush()
            timer = self.quic.get_timer()
            wait = min(until, timer if timer is not None else until) - now
            self.sock.settimeout(max(wait, 0.001))
            try:
                data, address = self.sock.recvfrom(65536)
                self.quic.receive_datagram(data, address, now=time.monotonic())
            except TimeoutError:
                pass
            timer = self.quic.get_timer()
            if timer is not None and time.monotonic() >= timer:
                self.quic.handle_timer(now=time.monotonic())
            self.events(fields, body)
            if self.ended and ended_at is None:
                ended_at, until = time.monotonic(), time.monotonic() + grace
        if not self.closed:
            self.quic.close(error_code=0x100)  # H3_NO_ERROR (RFC 9114 §8.1)
            self.flush()
            self.items.append(Frame(sent=True, type="(CONNECTION_CLOSE)", stream=CONNECTION,
                                    note=error_name(0x100, 3)))
        if self.stream is None:
            return "the QUIC handshake did not complete" if not self.closed else None
        return None if ended_at is not None else f"no complete response within {timeout} s"


def _h3_exchange(url: str, method: str, fields: Headers, body: bytes, grace: float,
                 timeout: float, ca_file: str | None) -> FrameExchange:
    _, host, port, _ = _target(url, 3)
    client = _H3Client(host, port, timeout, ca_file)
    try:
        problem = client.run(fields, body, grace, timeout)
    finally:
        client.sock.close()
    frames = decode_h3(client.items)
    stream = client.stream if client.stream is not None else 0
    response, error = response_of(frames, stream, 3)
    if response is None and problem and (error is None or "did not end" in error
                                         or "no final" in error):
        error = problem
    return FrameExchange(version=3, protocol="h3", url=url, method=method, stream=stream,
                         request_fields=fields, frames=tuple(frames), response=response,
                         error=error)


def frame_exchange(url: str, method: str = "GET", headers: Sequence[tuple[str, str]] = (),
                   body: bytes = b"", *, http_version: int = 2, grace: float = GRACE,
                   timeout: float = 5.0, ca_file: str | None = None) -> FrameExchange:
    """Send one request over HTTP/2 (h2c on http://, h2 on https://) or HTTP/3; keep every frame.

    ``ca_file`` is the CA to trust for https://; by default the CA of the
    :func:`nocontent.serve` TLS server on that port when there is one, else the
    system's. After the response's stream ends the client keeps listening for
    ``grace`` seconds, for frames sent after it. Raises
    :class:`nocontent.LocalProtocolError` for a request it will not send, and
    :class:`OSError` when the server cannot be reached or its certificate is
    not trusted.
    """
    if http_version not in (2, 3):
        raise LocalProtocolError(f"http_version is 1, 2 or 3, not {http_version!r}")
    fields = request_fields(method, url, headers, body, version=http_version)
    run = _h2_exchange if http_version == 2 else _h3_exchange
    return run(url, method, fields, body, grace, timeout, ca_file)
