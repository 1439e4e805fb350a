"""Strict raw-socket HTTP/1.1 helpers for the live tests.

Responses are read with this module's own small reader, not with nocontent's
parser, so a framing bug in the package cannot hide itself from the tests.
The reader follows RFC 9112 §6.3 and is unforgiving: a status line must start
exactly where the previous message ended, so one stray byte fails the test.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

TIMEOUT = 5.0
"""Seconds any single socket operation may take before the test fails."""

SENTINEL = "/status/200"
"""A request sent right behind the one under test, in the same write."""
SENTINEL_BODY = b"200 OK\n"

_STATUS_LINE = re.compile(r"HTTP/1\.1 (\d{3}) ([^\r\n]*)")

Fields = Sequence[tuple[str, str]]


def phrase(status: int) -> str:
    """The registered reason phrase, or "" for an unregistered code."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class Reply:
    """One response exactly as it came off the socket."""

    status: int
    status_line: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    raw: bytes

    def values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def get(self, name: str) -> str | None:
        found = self.values(name)
        return found[-1] if found else None

    def tokens(self, name: str) -> set[str]:
        """The comma-separated tokens of every ``name`` field, lower-cased."""
        return {
            token.strip().lower()
            for value in self.values(name)
            for token in value.split(",")
            if token.strip()
        }


def request(
    method: str,
    target: str,
    headers: Fields = (),
    body: bytes = b"",
    *,
    host: str | None = "nocontent.test",
    version: str = "HTTP/1.1",
) -> bytes:
    """Request bytes: Host (unless None), ``headers``, then Content-Length when needed.

    Content-Length is added for a body, or for PUT and POST, unless ``headers``
    already frame the content.
    """
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers)
    if not framed and (body or method in ("PUT", "POST")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def sentinel(*, close: bool = True) -> bytes:
    """The sentinel request; with ``close`` the server ends the connection after it."""
    return request("GET", SENTINEL, [("Connection", "close")] if close else ())


class Connection:
    """A client socket with a read buffer; closed on leaving a ``with`` block."""

    def __init__(self, server: Any, timeout: float = TIMEOUT) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.buffer = bytearray()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"the server closed the connection; unread: {bytes(self.buffer)!r}")
        self.buffer += chunk

    def read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_head(self) -> bytes:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._more()
        return self.read_exactly(end + 4)

    def read_response(self, method: str = "GET") -> Reply:
        """Read one response, framed per RFC 9112 §6.3 for a request with ``method``."""
        head = self.read_head()
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        match = _STATUS_LINE.fullmatch(status_line)
        assert match, f"expected a status line, got {head[:80]!r}"
        status = int(match.group(1))
        headers = []
        for line in lines:
            name, sep, value = line.partition(":")
            assert sep and name and name == name.strip(), f"malformed field line {line!r}"
            headers.append((name, value.strip(" \t")))
        reply = Reply(status, status_line, tuple(headers), b"", head)
        if method == "HEAD" or status < 200 or status in (204, 304):
            return reply  # rule 1: ends at the empty line, whatever the fields say
        assert not reply.values("transfer-encoding"), "this server never sends chunked content"
        lengths = reply.values("content-length")
        if lengths:
            assert len(lengths) == 1 and lengths[0].isdigit(), f"bad Content-Length {lengths}"
            body = self.read_exactly(int(lengths[0]))
        else:
            body = self.read_to_eof()
        return Reply(status, status_line, reply.headers, body, head + body)

    def read_to_eof(self) -> bytes:
        """Everything until the server closes the connection."""
        while chunk := self.sock.recv(65536):
            self.buffer += chunk
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def ask(server: Any, method: str, target: str, headers: Fields = (), body: bytes = b"",
        **options: Any) -> Reply:
    """Send one request and, in the same write, a sentinel that closes the connection.

    Returns the reply to the first request after checking that the sentinel's
    reply begins on the very next byte and that nothing follows it: the reply
    under test was framed exactly.
    """
    with Connection(server) as conn:
        conn.send(request(method, target, headers, body, **options) + sentinel())
        reply = conn.read_response(method)
        follow = conn.read_response("GET")
        assert (follow.status, follow.body) == (200, SENTINEL_BODY), follow.raw
        assert conn.read_to_eof() == b""
    return reply
