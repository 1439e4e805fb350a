"""Live reliability tests: slow clients, many connections, smuggling, and fixed bugs.

``test_server.py`` already covers one stalled header section, one idle keep-alive
connection and the 503 over the limit; these tests add what a shared hub meets:
many slow clients at once, a client that never stops trickling, a client that
never reads, hundreds of idle connections, and the classic smuggling payloads.
Waits are blocking reads bounded by socket timeouts; the only polling loops wait
(with a deadline) for server threads to notice a client left.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

import pytest
from rawhttp import Connection, ask, request, sentinel

import nocontent._server as server_module
from nocontent._http import MAX_BODY
from nocontent._server import MAX_CHUNKED, Server, _Connection

pytestmark = pytest.mark.live


@pytest.fixture
def server():
    """A private server per test: these tests fill it with connections and read its records."""
    with Server() as running:
        yield running


def assert_clean_204(server: Server) -> None:
    reply = ask(server, "GET", "/status/204")
    assert reply.status == 204
    assert reply.get("content-length") is None


def started_since(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads alive now that were not in ``before``."""
    return [thread for thread in threading.enumerate() if thread not in before]


def wait_for(condition, what: str, seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {seconds} s for {what}")
        time.sleep(0.01)


def status_field(name: str) -> int:
    """A number from /proc/self/status, such as Threads or VmRSS (in kB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise LookupError(name)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


linux_only = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")


# -- slow clients -----------------------------------------------------------------------------


def test_many_stalled_clients_are_closed_while_others_are_served(server, monkeypatch) -> None:
    monkeypatch.setattr(server_module, "READ_TIMEOUT", 0.5)
    stalled = [Connection(server) for _ in range(20)]
    try:
        for number, conn in enumerate(stalled):
            half = request("PUT", f"/docs/stalled-{number}", body=b"never finished")
            conn.send(half[: len(half) // 2 if number % 2 else half.index(b"\r\n\r\n") + 10])
        for _ in range(20):  # others are served meanwhile, each on a new connection
            assert_clean_204(server)
        for conn in stalled:  # each read ends when the server gives up on that client
            assert conn.read_to_eof() == b""
    finally:
        for conn in stalled:
            conn.close()
    assert [name for name in server.app.store.names() if name.startswith("stalled")] == []
    assert all(record.target == "/status/204" or record.target == "/status/200"
               for record in server.exchanges)


def test_a_client_that_keeps_trickling_is_cut_at_the_read_deadline(server, monkeypatch) -> None:
    """The deadline covers the whole request, not each read: slowloris gains nothing."""
    monkeypatch.setattr(server_module, "READ_TIMEOUT", 0.3)
    data = b"GET /status/204 HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 4000
    with Connection(server) as conn:
        sent = 0
        try:
            while sent < len(data):  # one byte every 10 ms: 40 s in all, far past the deadline
                conn.send(data[sent : sent + 1])
                sent += 1
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass
        with contextlib.suppress(ConnectionResetError):
            assert conn.read_to_eof() == b""
    assert sent < len(data), "the server waited for the whole trickle"
    assert list(server.exchanges) == []


def test_a_client_that_never_reads_does_not_block_others_or_stop(monkeypatch) -> None:
    monkeypatch.setattr(server_module, "IDLE_TIMEOUT", 1.0)
    before = set(threading.enumerate())
    running = Server()
    assert ask(running, "PUT", "/docs/big", body=b"b" * MAX_BODY).status == 201
    flood = Connection(running)
    flood.send(request("GET", "/docs/big") * 40)  # 40 MiB of replies nobody reads
    try:
        for _ in range(10):
            assert_clean_204(running)
    finally:
        running.stop()  # joins every thread, the blocked writer included
        flood.close()
    assert started_since(before) == []


# -- many connections ---------------------------------------------------------------------------


@linux_only
def test_two_hundred_idle_connections_are_held_with_bounded_threads_and_memory(server) -> None:
    before = set(threading.enumerate())
    baseline_threads = status_field("Threads")
    baseline_rss = status_field("VmRSS")
    idle = []
    try:
        for _ in range(200):
            conn = Connection(server)
            conn.send(request("HEAD", "/status/204"))
            idle.append(conn)
        for conn in idle:  # every one was accepted and served, none turned away with 503
            assert conn.read_response("HEAD").status == 204
        assert len(started_since(before)) == 200  # one per connection, nothing else
        # Counted before the newcomer: its thread may outlive the check by a moment.
        assert_clean_204(server)  # and a newcomer is still served
        assert status_field("Threads") - baseline_threads <= 200 + 2  # counted by the OS too
        grown_mb = (status_field("VmRSS") - baseline_rss) / 1024
        assert grown_mb < 64, f"200 idle connections took {grown_mb:.1f} MB"
    finally:
        for conn in idle:
            conn.close()
    wait_for(lambda: started_since(before) == [], "connection threads to end")
    assert_clean_204(server)


def test_connections_over_the_limit_are_refused_cleanly_and_served_later(server, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 50)
    # Connections of earlier tests count against the limit until their threads end.
    wait_for(lambda: not any(t.is_alive() for t in server._connections.values()),
             "earlier connection threads to end")
    before = set(threading.enumerate())
    held, refused = [], 0
    try:
        for _ in range(200):
            conn = Connection(server)
            held.append(conn)
        for conn in held:
            conn.send(request("HEAD", "/status/204"))
        for conn in held:
            reply = conn.read_response("HEAD")
            if reply.status == 503:  # turned away at once, with a reason, and closed
                refused += 1
                assert "close" in reply.tokens("connection")
                assert reply.get("retry-after") == "1"
                with contextlib.suppress(ConnectionResetError):
                    assert conn.read_to_eof() == b""
            else:
                assert reply.status == 204
        assert (200 - refused, refused) == (50, 150)
        assert len(started_since(before)) == 50
    finally:
        for conn in held:
            conn.close()
    wait_for(lambda: started_since(before) == [], "connection threads to end")
    assert_clean_204(server)


# -- smuggling ----------------------------------------------------------------------------------

INNER = b"PUT /docs/smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nowned"
"""The request hidden in each attempt: if it is ever processed, a document appears."""


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


SMUGGLING = {
    # id: (request head fields after the request line and Host, body, status)
    "CL.TE": ([f"Content-Length: {len(b'0' + INNER) + 4}", "Transfer-Encoding: chunked"],
              b"0\r\n\r\n" + INNER, 400),
    "TE.CL": (["Transfer-Encoding: chunked", "Content-Length: 4"],
              chunk(INNER) + b"0\r\n\r\n", 400),
    "duplicate CL, different": (["Content-Length: 0", f"Content-Length: {len(INNER)}"],
                                INNER, 400),
    "duplicate CL, same": ([f"Content-Length: {len(INNER)}"] * 2, INNER, 400),
    "CL list": ([f"Content-Length: 0, {len(INNER)}"], INNER, 400),
    "CL with plus": ([f"Content-Length: +{len(INNER)}"], INNER, 400),
    "TE obs-fold": (["Transfer-Encoding:", " chunked"], b"0\r\n\r\n" + INNER, 400),
    "TE chunked, identity": (["Transfer-Encoding: chunked, identity"],
                             chunk(INNER) + b"0\r\n\r\n", 400),
    "TE identity": (["Transfer-Encoding: identity"], INNER, 400),
    "TE twice": (["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                 b"0\r\n\r\n" + INNER, 501),
    "TE with vertical tab": (["Transfer-Encoding: \x0bchunked"], b"0\r\n\r\n" + INNER, 400),
    "TE with NBSP": (["Transfer-Encoding: chunked\xa0"], b"0\r\n\r\n" + INNER, 400),
    "TE name with space": (["Transfer-Encoding : chunked"], b"0\r\n\r\n" + INNER, 400),
    "CL with vertical tab": ([f"Content-Length: \x0b{len(INNER)}"], INNER, 400),
}


@pytest.mark.parametrize(("fields", "body", "status"), SMUGGLING.values(), ids=list(SMUGGLING))
def test_smuggling_attempts_are_refused_and_the_inner_request_never_runs(
        server, fields, body, status) -> None:
    head = "\r\n".join(["POST /beacon HTTP/1.1", "Host: x", *fields]) + "\r\n\r\n"
    with Connection(server) as conn:
        conn.send(head.encode("latin-1") + body + sentinel())
        reply = conn.read_response("POST")
        with contextlib.suppress(ConnectionResetError):
            assert conn.read_to_eof() == b""  # closed: nothing after it is read as a request
    assert reply.status == status
    assert "close" in reply.tokens("connection")
    assert [(r.method, r.status) for r in server.exchanges] == [("", status)]
    assert server.app.store.get("smuggled") is None
    assert len(server.app.beacons) == 0
    assert_clean_204(server)


def test_http_1_0_with_transfer_encoding_is_refused_not_kept_alive(server) -> None:
    """Regression: HTTP/1.0 + chunked + keep-alive was read as chunked and kept open."""
    data = (b"POST /beacon HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n0\r\n\r\n" + INNER)
    with Connection(server) as conn:
        conn.send(data)
        reply = conn.read_response("POST")
        assert conn.read_to_eof() == b""
    assert reply.status == 400
    assert server.app.store.get("smuggled") is None


# -- bugs fixed, each found by these tests or the fuzzer ----------------------------------------


def test_a_refused_head_request_gets_no_content(server) -> None:
    """Regression (found by tests/test_fuzz.py): the 400 to a HEAD carried content."""
    with Connection(server) as conn:
        conn.send(b"HEAD /status/204 HTTP/1.1\r\n\r\n")  # no Host: refused
        reply = conn.read_response("HEAD")
        assert conn.read_to_eof() == b""  # the connection ends right after the empty line
    assert reply.status == 400
    assert int(reply.get("content-length")) > 0  # the length a GET would have had


def test_close_wins_over_keep_alive_in_http_1_0(server) -> None:
    """Regression (found by tests/test_fuzz.py): HTTP/1.0 with both options stayed open."""
    with Connection(server) as conn:
        conn.send(b"GET /status/204 HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"
                  + sentinel())
        reply = conn.read_response()
        assert conn.read_to_eof() == b""  # the sentinel is never answered
    assert reply.status == 204
    assert "close" in reply.tokens("connection")


@pytest.mark.parametrize("target", [b"/docs/a\rb", b"/status/204\x00", b"/a\x7fb"])
def test_control_characters_in_the_target_are_refused(server, target) -> None:
    """Regression: a bare CR or NUL in the request target reached the routes."""
    with Connection(server) as conn:
        conn.send(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = conn.read_response()
        conn.read_to_eof()
    assert reply.status == 400
    assert [r.method for r in server.exchanges] == [""]


class SmallReads:
    """A socket whose reads return 4 KiB at most, as from a slow network."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reads = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.sock, name)

    def recv(self, size: int) -> bytes:
        self.reads += 1
        return self.sock.recv(min(size, 4096))


def test_tiny_chunks_are_decoded_a_few_times_not_after_every_read(monkeypatch) -> None:
    """Regression: decoding restarted after every read, quadratic in the chunk count.

    A PUT of 100,000 one-byte chunks (600 kB as sent) ran past the ten-second read
    deadline. The decoder calls are counted rather than timed.
    """
    decodes = []
    real = server_module.parse_chunked

    def counting(buffer: bytes, limit: int):
        decodes.append(len(buffer))
        return real(buffer, limit)

    monkeypatch.setattr(server_module, "parse_chunked", counting)
    body = b"1\r\nz\r\n" * 100_000 + b"0\r\n\r\n"
    head = b"PUT /docs/tiny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    ours, theirs = socket.socketpair()
    writer = threading.Thread(target=theirs.sendall, args=(head + body,))
    writer.start()
    reader = SmallReads(ours)
    try:
        received, raw = _Connection(reader, threading.Event()).read_request()
    finally:
        writer.join()
        ours.close()
        theirs.close()
    assert received.body == b"z" * 100_000
    assert raw == head + body
    assert reader.reads >= len(raw) // 4096  # it did take many reads
    assert len(decodes) <= 20, f"{len(decodes)} decodes for {reader.reads} reads"


def test_tiny_chunks_in_a_body_are_stored(server) -> None:
    body = b"".join(chunk(bytes([65 + i % 26])) for i in range(50_000)) + b"0\r\n\r\n"
    reply = ask(server, "PUT", "/docs/tiny", [("Transfer-Encoding", "chunked")], body)
    assert reply.status == 201
    assert server.app.store.get("tiny").body == bytes(65 + i % 26 for i in range(50_000))


def test_chunked_content_over_the_limit_as_sent_is_refused(server) -> None:
    """Small once decoded, huge as sent (long extensions): refused before it fills memory."""
    piece = b"1;" + b"e" * 1000 + b"\r\nx\r\n"
    body = piece * (MAX_CHUNKED // len(piece) + 10) + b"0\r\n\r\n"
    with Connection(server) as conn:
        conn.send(request("PUT", "/docs/long", [("Transfer-Encoding", "chunked")]))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        reply = conn.read_response("PUT")
    assert reply.status == 413
    assert server.app.store.get("long") is None
