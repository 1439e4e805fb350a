"""The embedded HTTP/1.1 server: sockets and threads around :class:`nocontent._app.App`.

A connection that opens with the HTTP/2 preface is handed to
:func:`nocontent._h2.serve_h2` in the same thread; ``serve(tls=True)`` starts a
:class:`nocontent._tls.TLSServer`, which adds TLS and HTTP/3.

One thread accepts; each connection gets a thread that reads requests,
asks the app, and writes replies, keeping the connection alive between them.
Nothing here prints: what happened is kept in :attr:`Server.exchanges`.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import selectors
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

from . import _quiet
from ._app import App, Handler, Reply, common_fields
from ._http import (
    MAX_BODY,
    Headers,
    ProtocolError,
    RemoteProtocolError,
    Request,
    Response,
    header_values,
    last_header,
    parse_chunked,
    parse_request_head,
    reason_phrase,
    render_response,
    request_body_length,
    split_request_head,
)
from ._misbehave import RawReply
from ._peer import same_user

__all__ = ["Record", "Server", "serve"]

MAX_CONNECTIONS = 256
"""Connections served at once; more get 503 and are closed."""
IDLE_TIMEOUT = 15.0
"""Seconds a keep-alive connection may wait for its next request."""
READ_TIMEOUT = 10.0
"""Seconds a client has to finish sending a request once it has started."""
MAX_CHUNKED = 2 * MAX_BODY
"""Largest chunked content the server reads, as sent (chunk sizes and extensions included)."""
RECORD_LIMIT = 200
"""How many exchanges :attr:`Server.exchanges` keeps."""
RECORD_BYTES = 4096
"""How many bytes of each request and reply a record keeps."""


@dataclass(frozen=True, kw_only=True)
class Record:
    """One exchange the server took part in.

    Attributes:
        method: the request method (empty when the request could not be parsed).
        target: the request target.
        status: the status the server sent.
        received: the request bytes, cut to :data:`RECORD_BYTES`; over HTTP/2 and
            HTTP/3, the frames of the request's stream.
        sent: the reply bytes, cut to :data:`RECORD_BYTES`; over HTTP/2 and HTTP/3,
            the frames of the response.
        version: the protocol: ``"HTTP/1.1"`` (for HTTP/1.0 too), ``"HTTP/2"`` or ``"HTTP/3"``.
    """

    method: str
    target: str
    status: int
    received: bytes
    sent: bytes
    version: str = "HTTP/1.1"


class _Closed(Exception):
    """The connection is done: the peer left, timed out, or the server stops."""


class _Connection:
    """Reads requests from one socket, with deadlines, into a buffer."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.stopping = stopping
        self.read = 0  # bytes read in all, told to the wire view when nothing is pending
        self.key = _quiet.key_of(sock, server_side=True)
        _quiet.report(self.key, None)

    def fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.stopping.is_set():
            raise _Closed
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, OSError) as exc:
            raise _Closed from exc
        if not chunk:
            raise _Closed
        self.read += len(chunk)
        self.buffer += chunk

    def _read_chunked(self, end: int, deadline: float) -> tuple[bytes, int]:
        """The decoded chunked content after ``end``, and how many bytes it used.

        Decoding starts over from the first chunk each time, so it is tried only
        when the content may be complete (it always ends with an empty line) or
        has doubled since the last try: trying after every read took time
        quadratic in the number of chunks.
        """
        tried = 0
        while True:
            size = len(self.buffer) - end
            if size > MAX_CHUNKED:
                raise RemoteProtocolError(f"chunked content over {MAX_CHUNKED} bytes as sent", 413)
            if size >= 2 * tried or self.buffer.find(b"\r\n\r\n", end + max(tried - 3, 0)) >= 0:
                decoded = parse_chunked(bytes(self.buffer[end:]), MAX_BODY)
                if decoded is not None:
                    return decoded[0], decoded[2]
                tried = size
            self.fill(deadline)

    def read_request(self) -> tuple[Request, bytes]:
        """The next request and its exact bytes; raises _Closed or RemoteProtocolError."""
        deadline = time.monotonic() + IDLE_TIMEOUT
        if not self.buffer:  # all answered: the wire view need not wait for more
            _quiet.report(self.key, self.read)
            try:
                while not self.buffer:
                    self.fill(deadline)
            finally:
                _quiet.report(self.key, None)
        deadline = time.monotonic() + READ_TIMEOUT
        while (end := split_request_head(self.buffer)) is None:
            self.fill(deadline)
        method, target, version, headers = parse_request_head(bytes(self.buffer[:end]))
        length = request_body_length(headers)
        expect = (last_header(headers, "expect") or "").lower()
        if length != 0 and expect == "100-continue" and len(self.buffer) == end:
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # RFC 9110 §10.1.1
        if length is None:
            body, used = self._read_chunked(end, deadline)
        else:
            while len(self.buffer) < end + length:
                self.fill(deadline)
            body, used = bytes(self.buffer[end : end + length]), length
        raw = bytes(self.buffer[: end + used])
        del self.buffer[: end + used]
        request = Request(method=method, target=target, version=version, headers=headers,
                          body=body)
        return request, raw


def _keep_alive(request: Request) -> bool:
    """Whether the connection stays open after this request (RFC 9112 §9.3)."""
    tokens = set()
    for value in header_values(request.headers, "connection"):
        tokens.update(token.strip().lower() for token in value.split(","))
    if "close" in tokens:  # close wins, in HTTP/1.0 too
        return False
    return request.version != "HTTP/1.0" or "keep-alive" in tokens


class Server:
    """A running embedded server. Use :func:`serve` to get the shared one.

    Attributes:
        url: the base URL, such as ``http://127.0.0.1:49152``.
        app: the routes and their state (document store, beacons).
        exchanges: the last :data:`RECORD_LIMIT` exchanges, oldest first.
        refused_other_users: connections closed unread because another Unix user's
            socket made them (learners kept apart on a shared host; see ``_peer.py``);
            on the TLS server, HTTP/3 peers dropped for the same reason count too.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, app: App | None = None) -> None:
        self.app = app or App()
        self.exchanges: deque[Record] = deque(maxlen=RECORD_LIMIT)
        self.refused_other_users = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=128)
        self._wake_r, self._wake_w = socket.socketpair()
        bound_host, bound_port = self._listener.getsockname()[:2]
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        self.host, self.port = bound_host, bound_port
        self.url = f"http://{shown}:{bound_port}"
        # Asked to listen beyond loopback, it serves other machines; a peer on this host
        # is served only when it is this Unix user's (see _peer).
        self._beyond_loopback = not ipaddress.ip_address(bound_host).is_loopback
        try:
            self._before_accepting()
        except BaseException:
            for sock in (self._listener, self._wake_r, self._wake_w):
                sock.close()
            raise
        self._thread = threading.Thread(target=self._accept_loop, name="nocontent-accept",
                                        daemon=True)
        self._thread.start()

    def _before_accepting(self) -> None:
        """Finish setting up, with the port known, before the first connection is taken."""

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopping.is_set() else "running"
        return f"<nocontent.Server {self.url} {state}>"

    @property
    def running(self) -> bool:
        return not self._stopping.is_set()

    def mount(self, path: str, handler: Handler) -> str:
        """Serve ``handler`` at ``path``, its responses sent as written; returns the URL.

        Mounting the same path again replaces the handler, so a notebook cell
        that defines and mounts a handler can be re-run.
        """
        if not path.startswith("/"):
            raise ValueError(f"a path starts with '/', got {path!r}")
        self.app.mounts[path] = handler
        return self.url + path

    def unmount(self, path: str) -> None:
        """Stop serving the handler at ``path`` (no error when none is mounted)."""
        self.app.mounts.pop(path, None)

    def reset(self) -> None:
        """Put the documents back as they were at start; forget beacons, forms and records."""
        self.app.store.reset()
        self.app.beacons.clear()
        self.app.editor.reset()
        self.app.browser_lab.reset()
        self.exchanges.clear()

    def stop(self) -> None:
        """Stop accepting, close every connection, and wait for all threads to end."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        self._thread.join()
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        _forget(self)

    # -- threads ----------------------------------------------------------------

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._listener:
                        self._accept()

    def _accept(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except OSError:
            return
        if not same_user(sock, remote=self._beyond_loopback):
            self.refused_other_users += 1
            sock.close()
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            # Threads that ended are forgotten here, not by themselves, so that
            # stop() still joins a thread that is just ending.
            for done in [s for s, t in self._connections.items() if not t.is_alive()]:
                del self._connections[done]
            if len(self._connections) >= MAX_CONNECTIONS:
                busy = Response(status=503, headers=(("Retry-After", "1"),
                                                     ("Connection", "close")))
                with contextlib.suppress(OSError):
                    sock.sendall(self._frame(busy, "GET", time.time()))
                sock.close()
                return
            thread = threading.Thread(target=self._serve_connection, args=(sock,),
                                      name="nocontent-conn", daemon=True)
            self._connections[sock] = thread
        thread.start()

    def _serve_connection(self, sock: socket.socket, extra: Headers = ()) -> None:
        """Serve HTTP/1.1, or HTTP/2 when the connection opens with its preface (RFC 9113 §3.3).

        ``extra`` is for fields every compliant HTTP/2 response carries (the TLS server's Alt-Svc).
        """
        connection = _Connection(sock, self._stopping)
        try:
            opened_by = time.monotonic() + IDLE_TIMEOUT  # one deadline, however it trickles
            while (http2 := _opens_http2(connection.buffer)) is None:
                connection.fill(opened_by)
            if http2:
                from ._h2 import serve_h2  # imported on first use: h2 is needed only here

                serve_h2(sock, bytes(connection.buffer), app=self.app, record=self._record,
                         stopping=self._stopping, extra=extra)
                return
            while True:
                try:
                    request, raw = connection.read_request()
                except RemoteProtocolError as exc:
                    self._refuse(sock, exc, bytes(connection.buffer))
                    return
                if not self._answer(sock, request, raw):
                    return
        except (_Closed, OSError):
            return
        finally:
            sock.close()
            _quiet.forget(connection.key)

    def _answer(self, sock: socket.socket, request: Request, raw: bytes) -> bool:
        """Send the reply to ``request``; False when the connection must close."""
        now = time.time()
        try:
            reply: Reply = self.app.handle(request, now)
        except Exception as exc:  # a bug in a route must not kill the connection thread
            reply = Response(status=500, headers=(("Content-Type", "text/plain"),),
                             body=f"500 Internal Server Error: {type(exc).__name__}\n".encode())
        keep = _keep_alive(request)
        # Record before sending, so a client that has read the reply finds it recorded.
        if isinstance(reply, RawReply):
            sent = b"".join(data for _, data in reply.parts)
            self._record(request.method, request.target, reply.status, raw, sent)
            for delay, data in reply.parts:
                if delay and self._stopping.wait(delay):
                    raise _Closed
                sock.sendall(data)
            return keep and not reply.close
        if not keep:
            reply = Response(status=reply.status, headers=(*reply.headers, ("Connection", "close")),
                             body=reply.body)
        data = self._frame(reply, request.method, now)
        self._record(request.method, request.target, reply.status, raw, data)
        sock.sendall(data)
        return keep

    def _refuse(self, sock: socket.socket, error: ProtocolError, raw: bytes) -> None:
        status = getattr(error, "status_hint", 400)
        reply = Response(
            status=status,
            headers=(("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")),
            body=f"{status} {reason_phrase(status)}: {error}\n".encode(),
        )
        # A refused HEAD request still gets an answer without content (RFC 9112 §6.3):
        # its client stops reading at the empty line, so content would be read as junk.
        method = "HEAD" if raw.startswith(b"HEAD ") else "GET"
        data = self._frame(reply, method, time.time())
        self._record("", "", status, raw, data)
        with contextlib.suppress(OSError):
            sock.sendall(data)
        close_gently(sock)

    @staticmethod
    def _frame(reply: Response, method: str, now: float) -> bytes:
        common = common_fields(now)
        return render_response(
            Response(status=reply.status, headers=(*common, *reply.headers), body=reply.body),
            method,
        )

    def _record(self, method: str, target: str, status: int, received: bytes, sent: bytes,
                version: str = "HTTP/1.1") -> None:
        self.exchanges.append(Record(method=method, target=target, status=status,
                                     received=received[:RECORD_BYTES], sent=sent[:RECORD_BYTES],
                                     version=version))


_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _opens_http2(buffer: bytes | bytearray) -> bool | None:
    """Whether a connection opens with the HTTP/2 client preface; None until it can tell."""
    start = bytes(buffer[: len(_PREFACE)])
    if not _PREFACE.startswith(start):
        return False
    return True if len(start) == len(_PREFACE) else None


_shared: Server | None = None
_shared_tls: Server | None = None
_shared_lock = threading.Lock()


def close_gently(sock: socket.socket) -> None:
    """End our side of ``sock`` and read what the client still sends, briefly and bounded.

    Unread bytes would make close() reset the connection, and the client could lose the
    last answer (or GOAWAY) before reading it (RFC 9112 §9.6 asks for this "lingering").
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.2)
        for _ in range(64):  # at most 4 MiB, and 0.2 s of silence
            if not sock.recv(65536):
                break


def serve(host: str = "127.0.0.1", port: int = 0, *, tls: bool = False) -> Server:
    """Start the embedded server in background threads, or return the one running.

    It binds loopback on a free port by default; any other address must be
    asked for. Calling it again in the same process (re-running a notebook
    cell) returns the running server instead of starting a second one.

    Both answer HTTP/1.1 and, on a connection that opens with the HTTP/2
    preface, HTTP/2. With ``tls=True`` it is a second server, with routes and
    records of its own: a :class:`nocontent.TLSServer` answering ``https://``
    (HTTP/1.1 or HTTP/2, chosen by ALPN) and HTTP/3 over QUIC on the same port
    number, with a certificate made at start (its CA in ``server.ca_file``).
    """
    global _shared, _shared_tls
    with _shared_lock:
        if tls:
            if _shared_tls is None or not _shared_tls.running:
                from ._tls import TLSServer  # imported on first use: cryptography, aioquic

                _shared_tls = TLSServer(host, port)
            return _shared_tls
        if _shared is not None and _shared.running:
            return _shared
        _shared = Server(host, port)
        return _shared


def _forget(server: Server) -> None:
    global _shared, _shared_tls
    with _shared_lock:
        if _shared is server:
            _shared = None
        if _shared_tls is server:
            _shared_tls = None


def _stop_shared() -> None:
    for server in (_shared, _shared_tls):
        if server is not None:
            server.stop()


atexit.register(_stop_shared)
