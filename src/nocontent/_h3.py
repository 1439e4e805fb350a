"""The embedded server's HTTP/3: QUIC on UDP with ``aioquic``, in a thread of its own.

The TLS server starts one :class:`H3Server` on the same port number as its
TCP listener. It runs an asyncio event loop in one background thread; the
routes are called in that thread, like the other transports call them in
theirs, and answer with the same frames (:mod:`nocontent._frame_reply`).

Limits: QUIC's own flow control (aioquic's defaults: 1 MiB per stream in
flight, a connection window that grows as it is used), at most 128 concurrent
request streams (aioquic's MAX_STREAMS), :data:`IDLE_TIMEOUT` seconds of
silence, the same 431 and 413 answers as HTTP/1.1 and HTTP/2 for oversized
header sections and content, and, as for HTTP/2, at most :data:`MAX_BUFFERED`
bytes of content held per connection (beyond it, H3_EXCESSIVE_LOAD).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aioquic.asyncio import QuicConnectionProtocol
from aioquic.asyncio.server import QuicServer
from aioquic.h3.connection import H3_ALPN, ErrorCode, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ProtocolNegotiated, QuicEvent, StreamDataReceived, StreamReset

from ._app import App, Reply, common_fields
from ._frame_reply import FrameReply, HeadersPart, frames_for, text_reply
from ._http import MAX_BODY, MAX_BUFFERED, MAX_HEAD, Request
from ._peer import datagram_allowed

__all__ = ["H3Server"]

IDLE_TIMEOUT = 15.0
"""Seconds a QUIC connection may stay silent before it is closed."""
RECORD_BYTES = 4096
"""How many bytes of a stream's frames a record keeps."""

Record = Callable[..., None]


class _Tap:
    """The QUIC connection as H3Connection sees it, keeping the bytes written to request streams.

    H3Connection writes whole frames with ``send_stream_data``; the tap keeps
    them per stream, so that a record shows the frames of the response.
    """

    def __init__(self, quic: QuicConnection) -> None:
        self._quic = quic
        self.sent: dict[int, bytearray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._quic, name)

    def send_stream_data(self, stream_id: int, data: bytes, end_stream: bool = False) -> None:
        if stream_id % 4 == 0:  # a client-initiated bidirectional stream: a request's
            kept = self.sent.setdefault(stream_id, bytearray())
            kept += data[: max(RECORD_BYTES - len(kept), 0)]
        self._quic.send_stream_data(stream_id, data, end_stream)


@dataclass(eq=False)
class _Incoming:
    fields: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    raw: bytearray = field(default_factory=bytearray)
    refused: bool = False


def _request(fields: list[tuple[str, str]], body: bytes) -> Request:
    pseudo = {name: value for name, value in fields if name.startswith(":")}
    headers = tuple((name, value) for name, value in fields if not name.startswith(":"))
    authority = pseudo.get(":authority")
    if authority and not any(name == "host" for name, _ in headers):
        headers = (("host", authority), *headers)
    return Request(method=pseudo.get(":method", ""), target=pseudo.get(":path", ""),
                   version="HTTP/3", headers=headers, body=body)


class _Protocol(QuicConnectionProtocol):
    """One QUIC connection: HTTP/3 requests in, the routes' answers out."""

    def __init__(self, *args: Any, owner: H3Server, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner = owner
        self._tap: _Tap | None = None
        self._h3: H3Connection | None = None
        self._incoming: dict[int, _Incoming] = {}

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._tap = _Tap(self._quic)
            self._h3 = H3Connection(self._tap)  # type: ignore[arg-type]
        if self._h3 is None:
            return
        if isinstance(event, StreamDataReceived) and event.stream_id % 4 == 0:
            incoming = self._incoming.setdefault(event.stream_id, _Incoming())
            incoming.raw += event.data[: max(RECORD_BYTES - len(incoming.raw), 0)]
        if isinstance(event, StreamReset):
            self._incoming.pop(event.stream_id, None)
        for h3_event in self._h3.handle_event(event):
            if isinstance(h3_event, (HeadersReceived, DataReceived)):
                self._received(h3_event)

    def _received(self, event: HeadersReceived | DataReceived) -> None:
        try:
            self._take(event)
        except Exception:  # nothing may reach the event loop's log (a notebook's stderr)
            with contextlib.suppress(Exception):
                self._quic.reset_stream(event.stream_id, ErrorCode.H3_INTERNAL_ERROR)
                self.transmit()

    def _take(self, event: HeadersReceived | DataReceived) -> None:
        incoming = self._incoming.setdefault(event.stream_id, _Incoming())
        if incoming.refused:
            if event.stream_ended:
                del self._incoming[event.stream_id]
            return
        if isinstance(event, HeadersReceived) and not incoming.fields:
            incoming.fields = [(n.decode("latin-1"), v.decode("latin-1"))
                               for n, v in event.headers]
            size = sum(len(n) + len(v) + 32 for n, v in incoming.fields)  # RFC 9114 §4.2.2
            if size > MAX_HEAD:
                self._refuse(event.stream_id, incoming, 431,
                             f"header section of {size} bytes; the limit is {MAX_HEAD}")
                return
        elif isinstance(event, DataReceived):
            incoming.body += event.data
            if len(incoming.body) > MAX_BODY:
                self._refuse(event.stream_id, incoming, 413, f"content over {MAX_BODY} bytes")
                return
            if sum(len(i.body) for i in self._incoming.values()) > MAX_BUFFERED:
                self._quic.close(error_code=ErrorCode.H3_EXCESSIVE_LOAD,
                                 reason_phrase=f"over {MAX_BUFFERED} bytes of content held")
                self._incoming.clear()
                self.transmit()
                return
        if event.stream_ended:
            self._answer(event.stream_id, self._incoming.pop(event.stream_id))

    def _refuse(self, stream_id: int, incoming: _Incoming, status: int, message: str) -> None:
        incoming.refused = True
        incoming.body.clear()
        self._answer(stream_id, incoming, text_reply(status, message))
        incoming.raw.clear()  # recorded; the stream is kept only to drop what still comes
        # "it MAY abort reading the request stream, send a complete response, and cleanly
        # close the sending part of the stream" (RFC 9114 §4.1), with H3_NO_ERROR.
        self._quic.stop_stream(stream_id, ErrorCode.H3_NO_ERROR)

    def _answer(self, stream_id: int, incoming: _Incoming, refusal: Reply | None = None) -> None:
        assert self._h3 is not None and self._tap is not None
        request = _request(incoming.fields, bytes(incoming.body))
        now = time.time()
        reply: Reply | FrameReply
        if refusal is not None:
            reply = refusal
        else:
            try:
                reply = self._owner.app.handle(request, now)
            except Exception as exc:  # a bug in a route must not end the connection
                reply = text_reply(500, type(exc).__name__)
        common = common_fields(now)
        frames = frames_for(reply, request.method, common)
        for part in frames.parts:
            if isinstance(part, HeadersPart):
                self._h3.send_headers(stream_id, [(n.encode("latin-1"), v.encode("latin-1"))
                                                  for n, v in part.fields], part.end_stream)
            else:
                self._h3.send_data(stream_id, part.data, part.end_stream)
        sent = bytes(self._tap.sent.pop(stream_id, b""))
        self._owner.record(request.method, request.target, frames.status, bytes(incoming.raw),
                           sent, version="HTTP/3")
        self.transmit()


class _KeptApart(QuicServer):
    """aioquic's QuicServer, taking datagrams only from this Unix user's sockets.

    QUIC keeps its connections itself, on one UDP socket, so the check the TCP server
    makes on each connection (:func:`nocontent._peer.same_user`) is made here on each
    new peer address, and remembered.
    """

    def __init__(self, *, remote: bool, refused: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._remote, self._refused = remote, refused
        self._verdicts: dict[tuple[str, int], bool] = {}

    def datagram_received(self, data: bytes | str, addr: Any) -> None:
        peer = (addr[0], addr[1])
        allowed = self._verdicts.get(peer)
        if allowed is None:
            own = self._transport.get_extra_info("sockname")
            family = self._transport.get_extra_info("socket").family
            allowed = datagram_allowed(family, own, peer, self._remote)
            if len(self._verdicts) >= MAX_PEERS:
                self._verdicts.clear()
            self._verdicts[peer] = allowed
            if not allowed:
                self._refused()
        if allowed:
            super().datagram_received(data, addr)


MAX_PEERS = 4096
"""Peer addresses whose verdict the HTTP/3 server remembers; then it starts again."""


class H3Server:
    """HTTP/3 over QUIC on ``host``:``port`` (UDP), until :meth:`stop`.

    Datagrams from another Unix user's socket on this host are dropped unread and
    ``refused`` is called once for each such peer; from another machine they are served
    only when ``remote``. Raises OSError when the UDP port cannot be bound.
    """

    def __init__(self, host: str, port: int, certificates: Any, *, app: App,
                 record: Record, remote: bool = False,
                 refused: Callable[[], None] = lambda: None) -> None:
        self.app, self.record = app, record
        self._remote, self._refused = remote, refused
        self._configuration = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN,
                                                idle_timeout=IDLE_TIMEOUT)
        self._configuration.load_cert_chain(certificates.cert_file, certificates.key_file)
        self._loop = asyncio.new_event_loop()
        self._server: QuicServer | None = None
        self._error: BaseException | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(host, port),
                                        name="nocontent-h3", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    def _protocol(self, *args: Any, **kwargs: Any) -> _Protocol:
        return _Protocol(*args, owner=self, **kwargs)

    async def _serve(self, host: str, port: int) -> QuicServer:
        # As aioquic.asyncio.serve() does, with the server that keeps learners apart.
        _, server = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _KeptApart(configuration=self._configuration, create_protocol=self._protocol,
                               remote=self._remote, refused=self._refused),
            local_addr=(host, port))
        return server

    def _run(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(self._serve(host, port))
        except BaseException as exc:
            self._error = exc
            self._loop.close()
            self._started.set()
            return
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.run_until_complete(asyncio.sleep(0))  # let the transport close
            self._loop.close()

    def stop(self) -> None:
        """Close every QUIC connection and the UDP socket; wait for the thread to end."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
