"""The wire view: exact request bytes out, exact response bytes in, over a raw socket.

A forgiving client hides framing mistakes; this one shows them. Parsing is
done by :func:`nocontent._http.parse_response`; this module only moves bytes.
"""

from __future__ import annotations

import re
import select
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload
from urllib.parse import urlsplit

from . import _quiet
from ._http import (
    Headers,
    ProtocolError,
    WireResponse,
    field_value_problem,
    parse_response,
    render_request,
    token_problem,
)

if TYPE_CHECKING:
    from ._frames import FrameExchange

__all__ = [
    "Exchange",
    "LocalProtocolError",
    "build_request",
    "conversation",
    "exchange",
    "exchange_twice",
    "visible",
]

GRACE = 0.05
"""Seconds to keep listening after a response ended, for bytes left on the connection.

Listening stops sooner when the server is one this process runs and it is
already waiting for the next request (:mod:`nocontent._quiet`)."""

Grace = float | Callable[[str, WireResponse, bytes], float]
"""How long to listen after the last response: seconds, or a function of the request's
method, the response and the bytes already read after it that returns the seconds."""


class LocalProtocolError(ValueError):
    """A request we were asked to send is not valid HTTP; nothing was sent."""


def visible(data: bytes) -> str:
    """Bytes as text with line ends made visible: CR LF shows as ``\\r\\n``.

    Other control and non-ASCII bytes show as ``\\xNN``.
    """
    pieces = re.split(r"(\r\n|[^\x20-\x7e])", data.decode("latin-1"))
    return "".join(_show(piece) for piece in pieces)


_ESCAPES = {"\r\n": "\\r\\n\n", "\r": "\\r", "\n": "\\n\n", "\t": "\\t"}


def _show(piece: str) -> str:
    if piece in _ESCAPES:
        return _ESCAPES[piece]
    if len(piece) == 1 and not " " <= piece <= "~":
        return f"\\x{ord(piece):02x}"
    return piece


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One request and what came back for it on a raw connection.

    Attributes:
        method: the request's method, which decides how the response is framed.
        request: the exact bytes sent.
        received: the exact bytes read as this response (everything read,
            when no response could be parsed).
        response: the parsed response, or None when there was none.
        error: why no response could be read, in words.
        leftover: bytes that arrived after the response ended and before the
            next request went out (or within the grace period for the last one).
        closed: whether the server had closed the connection.
        early: how many of the ``received`` bytes were already on the
            connection when the request was sent: the previous exchange's
            leftover. RFC 9112 §9.2: "If a client receives data on a connection
            that doesn't have outstanding requests, the client MUST NOT consider
            that data to be a valid response". A real client may do so anyway;
            this number shows when it happened.
    """

    method: str
    request: bytes
    received: bytes
    response: WireResponse | None
    error: str | None
    leftover: bytes
    closed: bool
    early: int = 0

    @property
    def unrequested(self) -> bool:
        """True when the whole response was on the connection before the request went out."""
        return self.response is not None and 0 < len(self.received) <= self.early

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    def __str__(self) -> str:
        parts = [">>> sent", visible(self.request), "<<< received", visible(self.received)]
        if self.error:
            parts.append(f"!!! {self.error}")
        if self.leftover:
            parts += ["... left on the connection", visible(self.leftover)]
        return "\n".join(part.rstrip("\n") for part in parts if part)


def _address(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise LocalProtocolError(f"expected an http:// URL, got {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return parts.hostname, parts.port or 80, target


def build_request(
    method: str, url: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> bytes:
    """Request bytes for ``url``: Host first, then ``headers``, then Content-Length when needed.

    Raises :class:`LocalProtocolError` with a reason, before anything is sent,
    for an invalid method, field name or field value.
    """
    host, port, target = _address(url)
    problem = token_problem("method", method)
    for name, value in headers:
        if problem:
            break
        problem = token_problem("field name", name)
        if not problem and (problem := field_value_problem(value)):
            problem = f"{name}: {problem}"
    if not problem and re.search(r"[^\x21-\x7e]", target):
        problem = f"the request target {target!r} has a space or non-ASCII; percent-encode it"
    if problem:
        raise LocalProtocolError(problem)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # RFC 3986 §3.2.2
    fields: Headers = (("Host", authority), *headers)
    names = {name.lower() for name, _ in headers}
    if (body or method in ("POST", "PUT", "PATCH")) and "content-length" not in names:
        fields += (("Content-Length", str(len(body))),)
    return render_request(method, target, fields, body)


def _read_until(sock: socket.socket, deadline: float, buffer: bytearray) -> bool:
    """Read once before ``deadline``; False when the peer closed."""
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    chunk = sock.recv(65536)
    buffer += chunk
    return bool(chunk)


def _drain(sock: socket.socket, buffer: bytearray) -> bool:
    """Read what has already arrived, without waiting; False when the peer closed."""
    while select.select([sock], [], [], 0)[0]:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        buffer += chunk
    return True


def _listen(sock: socket.socket, buffer: bytearray, sent: int, until: float) -> bool:
    """Read what the server sends beyond a response until ``until``; False when it closed.

    A server this process runs says when it has answered all ``sent`` bytes and
    waits for more: listening stops then, since nothing more can come.
    """
    try:
        if not _quiet.settled(_quiet.key_of(sock, server_side=False), sent, until):
            while time.monotonic() < until:
                if not _read_until(sock, until, buffer):
                    return False
        return _drain(sock, buffer)
    except TimeoutError:
        return True
    except OSError:
        return False


def _read_response(
    sock: socket.socket, buffer: bytearray, method: str, open_: bool, timeout: float
) -> tuple[WireResponse | None, bytes, str | None, bool]:
    """Read the final response to ``method`` from ``buffer`` and the socket.

    Interim 1xx responses (such as 100 Continue) are skipped and returned as
    bytes. Returns (response or None, interim bytes, error, still open).
    """
    interim = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            parsed = parse_response(bytes(buffer), method, eof=not open_)
            if parsed is None:
                if not open_:
                    return None, interim, "the server closed the connection with no response", False
                open_ = _read_until(sock, deadline, buffer)
                continue
            message, used = parsed
            del buffer[:used]
            if 100 <= message.status < 200 and message.status != 101:
                interim += message.raw
                continue
            return message, interim, None, open_
    except ProtocolError as exc:
        return None, interim, str(exc), open_
    except TimeoutError:
        return None, interim, f"no complete response within {timeout} s", open_
    except OSError as exc:
        return None, interim, f"connection failed: {exc}", False


def conversation(
    url: str,
    requests: Sequence[tuple[str, bytes]],
    *,
    pause: float = 0.0,
    grace: Grace = GRACE,
    timeout: float = 5.0,
) -> list[Exchange]:
    """Send ``requests`` (pairs of method and bytes) one after another on one connection.

    Like a keep-alive client, each request goes out once the previous
    response has been read, after ``pause`` seconds. Bytes the server sent
    beyond a response are reported as ``leftover`` and, as on a real
    connection, are read as the start of the next response.
    """
    host, port, _ = _address(url)
    exchanges: list[Exchange] = []
    buffer = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        open_ = True
        sent = 0
        for index, (method, data) in enumerate(requests):
            if open_ and index:
                try:
                    open_ = _drain(sock, buffer)
                except OSError:
                    open_ = False
            early = len(buffer) if data else 0  # b"": read the answer to a pipelined request
            sock.sendall(data)
            sent += len(data)
            message, interim, error, open_ = _read_response(sock, buffer, method, open_, timeout)
            if message is None:
                exchanges.append(
                    Exchange(method=method, request=data, received=interim + bytes(buffer),
                             response=None, error=error, leftover=b"", closed=not open_,
                             early=early)
                )
                break
            last = index == len(requests) - 1
            if not last:
                wait = pause
            else:
                wait = grace(method, message, bytes(buffer)) if callable(grace) else grace
            open_ = _listen(sock, buffer, sent, time.monotonic() + wait) if open_ else False
            exchanges.append(
                Exchange(method=method, request=data, received=interim + message.raw,
                         response=message, error=None, leftover=bytes(buffer), closed=not open_,
                         early=early)
            )
    return exchanges


@overload
def exchange(
    url: str, method: str = ..., headers: Sequence[tuple[str, str]] = ..., body: bytes = ...,
    *, raw: bytes | None = ..., grace: float = ..., timeout: float = ...,
    http_version: Literal[1] = ..., ca_file: str | None = ...,
) -> Exchange: ...


@overload
def exchange(
    url: str, method: str = ..., headers: Sequence[tuple[str, str]] = ..., body: bytes = ...,
    *, raw: None = ..., grace: float = ..., timeout: float = ...,
    http_version: Literal[2, 3], ca_file: str | None = ...,
) -> FrameExchange: ...


def exchange(
    url: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    raw: bytes | None = None,
    grace: float = GRACE,
    timeout: float = 5.0,
    http_version: int = 1,
    ca_file: str | None = None,
) -> Exchange | FrameExchange:
    """Send one request to ``url`` on a new connection and capture the exact reply.

    After the response it listens up to ``grace`` seconds for more bytes (see
    :data:`GRACE`). ``raw`` sends those bytes instead of building a request (HTTP/1.1 only).
    With ``http_version=2`` (h2c on http://, h2 on https://) or ``3`` (QUIC,
    https:// only) it returns a :class:`nocontent.FrameExchange` that holds
    every frame; ``ca_file`` is the CA to trust for https://, by default that
    of the ``serve(tls=True)`` server on the URL's port.
    """
    if http_version != 1:
        if raw is not None:
            raise LocalProtocolError("raw bytes are for HTTP/1.1; HTTP/2 and 3 send frames")
        from ._frame_client import frame_exchange  # needs h2 and aioquic: imported on use

        return frame_exchange(url, method, headers, body, http_version=http_version,
                              grace=grace, timeout=timeout, ca_file=ca_file)
    data = raw if raw is not None else build_request(method, url, headers, body)
    return conversation(url, [(method, data)], grace=grace, timeout=timeout)[0]


def exchange_twice(
    url: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    then: str = "/",
    pause: float = 0.0,
    grace: Grace = GRACE,
    timeout: float = 5.0,
) -> tuple[Exchange, Exchange]:
    """Send a request, then ``GET then`` on the same connection, as a keep-alive client would.

    Shows what a client reads second: after a broken 204 it is the stray
    bytes, not the answer to the second request.
    """
    first = build_request(method, url, headers, body)
    base = url.split("/", 3)
    second_url = "/".join(base[:3]) + then
    second = build_request("GET", second_url)
    found = conversation(url, [(method, first), ("GET", second)], pause=pause, grace=grace,
                         timeout=timeout)
    if len(found) == 1:
        empty = Exchange(method="GET", request=b"", received=b"", response=None,
                         error="not sent: the first exchange failed", leftover=b"", closed=True)
        return found[0], empty
    return found[0], found[1]
