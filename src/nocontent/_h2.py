"""The embedded server's HTTP/2: one connection, on the ``h2`` library (sans-I/O).

:class:`H2Session` is the protocol: bytes in, complete requests out, frames
to send; it owns the HTTP/2 limits. :func:`serve_h2` is the I/O around it,
run in the connection's thread by :class:`nocontent.Server`, for h2c (prior
knowledge, RFC 9113 §3.3) and for h2 over TLS alike.

Limits, beyond those h2 keeps itself (a field block that exceeds its limit,
CONTINUATION floods, flow control):

- at most :data:`MAX_STREAMS` concurrent streams, announced in
  SETTINGS_MAX_CONCURRENT_STREAMS; h2 answers a HEADERS frame beyond it with
  GOAWAY PROTOCOL_ERROR, treating the stream error of RFC 9113 §5.1.2 as a
  connection error, which §5.4.1 allows;
- streams the client resets (RST_STREAM) and SETTINGS and PING frames are
  paid from a :class:`Budget` each; a client that overspends (the rapid-reset
  attack, CVE-2023-44487, or a SETTINGS or PING flood) gets GOAWAY
  ENHANCE_YOUR_CALM and the connection closes (RFC 9113 §10.5: "An endpoint
  MAY treat activity that is suspicious as a connection error (Section 5.4.1)
  of type ENHANCE_YOUR_CALM");
- a header section over :data:`MAX_HEAD` (announced in
  SETTINGS_MAX_HEADER_LIST_SIZE) gets 431 (RFC 9113 §10.5.1), one over
  :data:`MAX_FIELD_BLOCK` a GOAWAY from h2; content over :data:`MAX_BODY` gets
  413; every stream's content together is held to :data:`MAX_BUFFERED`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    PingReceived,
    RemoteSettingsChanged,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError
from h2.settings import SettingCodes, Settings

from ._app import App, Reply, common_fields
from ._frame_reply import DataPart, FrameReply, HeadersPart, Part, frames_for, text_reply
from ._http import MAX_BODY, MAX_BUFFERED, MAX_HEAD, Headers, Request, Response
from ._server import close_gently

__all__ = ["PREFACE", "Budget", "H2Session", "Ready", "serve_h2"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The client connection preface (RFC 9113 §3.4): how an h2c connection opens."""
MAX_STREAMS = 100
"""SETTINGS_MAX_CONCURRENT_STREAMS: "It is recommended that this value be no smaller than 100"."""
MAX_FIELD_BLOCK = 4 * MAX_HEAD
"""The largest field section h2 decodes (as RFC 9113 §6.5.2 counts it); beyond it, GOAWAY."""
RESETS = (200, 100.0)
"""Streams a client may reset: a burst of 200, then 100 a second."""
CONTROL_FRAMES = (500, 200.0)
"""SETTINGS and PING frames a client may send: a burst of 500, then 200 a second."""
IDLE_TIMEOUT = 15.0
"""Seconds a connection with no request under way may stay silent."""
READ_TIMEOUT = 10.0
"""Seconds a client has, while a request is under way, between two reads."""
RECORD_BYTES = 4096
"""How many bytes of a stream's frames a record keeps."""


class Budget:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` a second. Pure: time is passed in."""

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst, self.rate = burst, rate
        self._tokens = float(burst)
        self._then = now

    def spend(self, now: float, count: int = 1) -> bool:
        """Take ``count`` tokens; False when there were not enough (the budget is overspent)."""
        self._tokens = min(self.burst, self._tokens + (now - self._then) * self.rate)
        self._then = now
        self._tokens -= count
        return self._tokens >= 0


@dataclass(eq=False)
class _Stream:
    """A request being received."""

    fields: Headers
    body: bytearray = field(default_factory=bytearray)
    ended: bool = False
    refusal: Response | None = None


@dataclass(frozen=True, kw_only=True)
class Ready:
    """A request to answer.

    Attributes:
        stream_id: its stream.
        request: the request, as the routes see it (version ``HTTP/2``).
        raw: the frames it came in (HEADERS, CONTINUATION, DATA), cut to :data:`RECORD_BYTES`.
        refusal: the answer the session chose itself (413, 431), if any: the
            request is then not for the routes.
    """

    stream_id: int
    request: Request
    raw: bytes
    refusal: Response | None = None


def _request(fields: Headers, body: bytes) -> Request:
    """The request the routes see: pseudo-header fields become the method and target;
    ``:authority`` becomes a Host field when the request has none (RFC 9113 §8.3.1)."""
    pseudo = {name: value for name, value in fields if name.startswith(":")}
    headers = tuple((name, value) for name, value in fields if not name.startswith(":"))
    authority = pseudo.get(":authority")
    if authority and not any(name == "host" for name, _ in headers):
        headers = (("host", authority), *headers)
    return Request(method=pseudo.get(":method", ""), target=pseudo.get(":path", ""),
                   version="HTTP/2", headers=headers, body=body)


class H2Session:
    """The server side of one HTTP/2 connection, with no I/O.

    Feed it what the client sent with :meth:`receive`; answer each
    :class:`Ready` request with :meth:`respond`; send what :meth:`output`
    returns. When :attr:`closing` is set, send the output and close.
    """

    def __init__(self, now: float) -> None:
        # Replies go out as the FrameReply lists them: render_frames already lowercases
        # names and drops connection-specific fields, and /misbehave/ must be able to send
        # what h2 would otherwise strip or refuse.
        self._conn = H2Connection(H2Configuration(
            client_side=False, header_encoding=None, validate_outbound_headers=False,
            normalize_outbound_headers=False))
        self._conn.local_settings = Settings(client=False, initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
            SettingCodes.MAX_HEADER_LIST_SIZE: MAX_HEAD,
        })
        self._conn.initiate_connection()
        self._streams: dict[int, _Stream] = {}
        self._waiting: dict[int, list[Part]] = {}  # frames held back by flow control
        self._frames = bytearray()  # received bytes not yet split into frames
        self._raw: dict[int, bytearray] = {}  # each open request's frames, for its record
        self._out = bytearray()
        self._preface = len(PREFACE)
        self._buffered = 0
        self._resets = Budget(*RESETS, now)
        self._control = Budget(*CONTROL_FRAMES, now)
        self._refusing = False  # our GOAWAY is queued: no more answers
        self.closing = False
        """True once the connection is ending (GOAWAY sent or received)."""
        self.reason = ""
        """Why the connection is ending, in words."""

    @property
    def busy(self) -> bool:
        """True while a request is part-way received."""
        return any(not stream.ended for stream in self._streams.values())

    def output(self) -> bytes:
        """The bytes to send now (each call returns them once)."""
        data = bytes(self._out) + self._conn.data_to_send()
        self._out.clear()
        return data

    def goaway(self, code: ErrorCodes, reason: str) -> None:
        """End the connection with GOAWAY ``code``."""
        if not self._refusing:
            self._conn.close_connection(error_code=code)
            self._refusing = self.closing = True
            self.reason = reason

    def receive(self, data: bytes, now: float) -> list[Ready]:
        """Take bytes the client sent; returns the requests now complete, in order."""
        if self._refusing:
            return []
        self._keep_raw(data)
        # h2 puts its decoder's limit back to the advertised one whenever our
        # SETTINGS are acknowledged; decode up to MAX_FIELD_BLOCK, answer 431 beyond MAX_HEAD.
        self._conn.decoder.max_header_list_size = MAX_FIELD_BLOCK
        try:
            events = self._conn.receive_data(data)
        except ProtocolError as exc:  # h2 has queued GOAWAY with the right error code
            self._refusing = self.closing = True
            self.reason = f"{type(exc).__name__}: {exc}"
            return []
        ready: dict[int, Ready] = {}
        for event in events:
            if isinstance(event, RequestReceived):
                self._opened(event)
            elif isinstance(event, DataReceived):
                self._data(event)
            elif isinstance(event, StreamEnded):
                item = self._ended(event.stream_id)
                if item is not None:
                    ready[event.stream_id] = item
            elif isinstance(event, StreamReset):
                self._reset(event, ready, now)
            elif isinstance(event, (PingReceived, RemoteSettingsChanged)):
                if not self._control.spend(now):
                    self.goaway(ErrorCodes.ENHANCE_YOUR_CALM, "SETTINGS or PING flood")
            elif isinstance(event, WindowUpdated):
                self._flush()
            elif isinstance(event, ConnectionTerminated):  # requests already sent are answered
                self.closing, self.reason = True, f"GOAWAY from the client ({event.error_code!r})"
        for stream_id, stream in self._streams.items():
            if stream.refusal is not None and stream_id not in ready:
                ready[stream_id] = self._ready(stream_id, stream)
        for stream_id in [s for s in self._raw if s not in self._streams]:
            del self._raw[stream_id]  # a HEADERS frame h2 did not take as a new request
        return [] if self._refusing else list(ready.values())

    def respond(self, stream_id: int, reply: FrameReply) -> bytes:
        """Queue ``reply`` on ``stream_id``; returns the bytes it became (for the record).

        A request not yet complete when it is answered (a refusal) has its stream
        reset with NO_ERROR after the response, as RFC 9113 §8.1 allows.
        """
        stream = self._streams.pop(stream_id, None)
        self._raw.pop(stream_id, None)
        if stream is not None:
            self._buffered -= len(stream.body)
        self._out += self._conn.data_to_send()
        self._waiting[stream_id] = list(reply.parts)
        try:
            self._flush(stream_id)
        except ProtocolError:  # h2 closed the connection (the client's GOAWAY came with it)
            self._waiting.pop(stream_id, None)
            self.closing = True
            return b""
        if stream is not None and not stream.ended and stream_id not in self._waiting:
            with contextlib.suppress(ProtocolError):
                self._conn.reset_stream(stream_id, ErrorCodes.NO_ERROR)
        sent = self._conn.data_to_send()
        self._out += sent
        return sent[:RECORD_BYTES]

    # -- inside -------------------------------------------------------------------

    def _keep_raw(self, data: bytes) -> None:
        """Split received bytes into frames and keep each request's frames for its record.

        Only the frame header is read (RFC 9113 §4.1: a 24-bit length, type,
        flags and a 31-bit stream identifier); h2 decodes everything else.
        """
        skip = min(self._preface, len(data))
        self._preface -= skip
        self._frames += data[skip:]
        while len(self._frames) >= 9:
            end = 9 + int.from_bytes(self._frames[:3], "big")
            if len(self._frames) < end:
                break
            kind = self._frames[3]
            stream_id = int.from_bytes(self._frames[5:9], "big") & 0x7FFFFFFF
            if kind == 0x1 and stream_id:  # HEADERS
                self._raw.setdefault(stream_id, bytearray())
            raw = self._raw.get(stream_id)
            if raw is not None and kind in (0x0, 0x1, 0x9):  # DATA, HEADERS, CONTINUATION
                raw += self._frames[: min(end, RECORD_BYTES - len(raw))]
            del self._frames[:end]

    def _opened(self, event: RequestReceived) -> None:
        fields = tuple((name.decode("latin-1"), value.decode("latin-1"))
                       for name, value in event.headers)
        stream = self._streams[event.stream_id] = _Stream(fields=fields)
        size = sum(len(name) + len(value) + 32 for name, value in fields)  # RFC 9113 §6.5.2
        if size > MAX_HEAD:
            stream.refusal = text_reply(431, f"header section of {size} bytes; the limit is "
                                      f"{MAX_HEAD} (SETTINGS_MAX_HEADER_LIST_SIZE)")

    def _data(self, event: DataReceived) -> None:
        self._conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        stream = self._streams.get(event.stream_id)
        if stream is None or stream.refusal is not None:
            return
        stream.body += event.data
        self._buffered += len(event.data)
        if len(stream.body) > MAX_BODY:
            stream.refusal = text_reply(413, f"content over {MAX_BODY} bytes")
        elif self._buffered > MAX_BUFFERED:
            self.goaway(ErrorCodes.ENHANCE_YOUR_CALM, f"over {MAX_BUFFERED} bytes of content held")

    def _ended(self, stream_id: int) -> Ready | None:
        stream = self._streams.get(stream_id)
        if stream is None:
            return None
        stream.ended = True
        return self._ready(stream_id, stream)

    def _ready(self, stream_id: int, stream: _Stream) -> Ready:
        return Ready(stream_id=stream_id, request=_request(stream.fields, bytes(stream.body)),
                     raw=bytes(self._raw.get(stream_id, b"")), refusal=stream.refusal)

    def _reset(self, event: StreamReset, ready: dict[int, Ready], now: float) -> None:
        """A reset stream is forgotten, unanswered, even if it was complete in this same read."""
        ready.pop(event.stream_id, None)
        stream = self._streams.pop(event.stream_id, None)
        if stream is not None:
            self._buffered -= len(stream.body)
        self._waiting.pop(event.stream_id, None)
        self._raw.pop(event.stream_id, None)
        if event.remote_reset and not self._resets.spend(now):
            self.goaway(ErrorCodes.ENHANCE_YOUR_CALM, "rapid reset: too many streams reset")

    def _flush(self, only: int | None = None) -> None:
        """Send what flow control allows of the frames waiting, in order."""
        for stream_id in [only] if only is not None else list(self._waiting):
            parts = self._waiting.get(stream_id, [])
            while parts:
                part = parts[0]
                if isinstance(part, HeadersPart):
                    self._conn.send_headers(stream_id, list(part.fields),
                                            end_stream=part.end_stream)
                    parts.pop(0)
                    continue
                window = min(self._conn.local_flow_control_window(stream_id),
                             self._conn.max_outbound_frame_size)
                if window <= 0 and part.data:
                    break
                chunk, rest = part.data[:window], part.data[window:]
                self._conn.send_data(stream_id, chunk, end_stream=part.end_stream and not rest)
                if rest:
                    parts[0] = DataPart(rest, part.end_stream)
                else:
                    parts.pop(0)
            if not parts:
                self._waiting.pop(stream_id, None)


Record = Callable[..., None]


def _answer(app: App, item: Ready, now: float) -> Reply | FrameReply:
    if item.refusal is not None:
        return item.refusal
    try:
        return app.handle(item.request, now)
    except Exception as exc:  # a bug in a route must not end the connection
        return text_reply(500, f"{type(exc).__name__}")


def serve_h2(sock: socket.socket, received: bytes, *, app: App, record: Record,
             stopping: threading.Event, extra: Headers = ()) -> None:
    """Serve HTTP/2 on ``sock`` until either side ends; ``received`` is what was read already.

    Each answered request is passed to ``record`` (method, target, status,
    received, sent, version="HTTP/2") before its frames are sent.
    """
    session = H2Session(time.monotonic())
    data = received
    try:
        sock.settimeout(READ_TIMEOUT)
        sock.sendall(session.output())
        while not stopping.is_set():
            now = time.time()
            for item in session.receive(data, time.monotonic()):
                common = (*common_fields(now), *extra)
                reply = frames_for(_answer(app, item, now), item.request.method, common)
                sent = session.respond(item.stream_id, reply)
                record(item.request.method, item.request.target, reply.status, item.raw, sent,
                       version="HTTP/2")
            out = session.output()
            if out:
                sock.sendall(out)
            if session.closing:
                close_gently(sock)  # the client must get to read the GOAWAY
                break
            sock.settimeout(READ_TIMEOUT if session.busy else IDLE_TIMEOUT)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                session.goaway(ErrorCodes.NO_ERROR, "timed out")
                sock.sendall(session.output())
                break
            if not data:
                break
    except OSError:
        return
