"""Live tests of the embedded server: connections, bad input, timeouts, lifecycle.

Nothing here sleeps to synchronise: each wait is a blocking read that ends
when the server acts (answers or closes), bounded by the socket timeout.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest
from rawhttp import TIMEOUT, Connection, ask, phrase, request, sentinel

import nocontent._server as server_module
from nocontent._http import Response
from nocontent._server import RECORD_LIMIT, Server, serve

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server():
    """A private server for this module: these tests read and clear its records."""
    with Server() as running:
        yield running


def assert_clean_204(server) -> None:
    reply = ask(server, "GET", "/status/204")
    assert reply.status == 204
    assert reply.get("content-length") is None


# -- bad input ------------------------------------------------------------------------------

BIG_FIELD = b"X-Big: " + b"a" * (64 * 1024) + b"\r\n"
BAD_INPUT = {
    # id: (bytes sent, status expected)
    "malformed-request-line": (b"HELLO\r\n\r\n", 400),
    "request-line-without-version": (b"GET /\r\nHost: x\r\n\r\n", 400),
    "request-line-with-two-spaces": (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "missing-host": (b"GET / HTTP/1.1\r\n\r\n", 400),
    "two-hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "header-section-over-64k": (b"GET / HTTP/1.1\r\nHost: x\r\n" + BIG_FIELD + b"\r\n", 431),
    "content-length-over-1m": (
        b"PUT /docs/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413),
    "content-length-and-chunked": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "duplicate-content-length": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        400),
    "non-numeric-content-length": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    "unsupported-transfer-coding": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    "chunked-not-the-final-coding": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    "invalid-chunk-size": (
        b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nhello\r\n0\r\n\r\n", 400),
    "obsolete-line-folding": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
    "field-line-without-colon": (b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    "space-before-colon": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "unsupported-version": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
}


@pytest.mark.parametrize(("data", "status"), BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_input_gets_a_well_formed_error_and_the_connection_closes(server, data, status):
    with Connection(server) as conn:
        conn.send(data)
        reply = conn.read_response()
        assert conn.read_to_eof() == b""  # closed, and nothing after the error reply
    assert reply.status_line == f"HTTP/1.1 {status} {phrase(status)}"
    assert "close" in reply.tokens("connection")
    assert reply.values("content-length") == [str(len(reply.body))]
    assert reply.body.startswith(f"{status} ".encode())
    assert reply.get("content-type") == "text/plain; charset=utf-8"
    assert reply.get("date") and reply.get("server")
    assert_clean_204(server)  # and the server keeps serving


def test_bad_request_is_recorded_without_method(server) -> None:
    server.reset()
    with Connection(server) as conn:
        conn.send(b"HELLO\r\n\r\n")
        reply = conn.read_response()
        conn.read_to_eof()
    (record,) = server.exchanges
    assert (record.method, record.target, record.status) == ("", "", 400)
    assert record.sent == reply.raw


def test_chunked_put_is_decoded_and_stored(server) -> None:
    server.reset()
    body = b"5;note=ext\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: ignored\r\n\r\n"
    headers = [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")]
    reply = ask(server, "PUT", "/docs/chunky", headers, body)
    assert reply.status == 201
    stored = ask(server, "GET", "/docs/chunky")
    assert (stored.status, stored.body) == (200, b"hello world")


def test_expect_100_continue_gets_an_interim_response_first(server) -> None:
    server.reset()
    head = request("PUT", "/docs/expected", [("Expect", "100-continue"),
                                             ("Content-Length", "5")])
    with Connection(server) as conn:
        conn.send(head)
        assert conn.read_head() == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.send(b"hello")
        final = conn.read_response("PUT")
    assert final.status == 201
    assert ask(server, "GET", "/docs/expected").body == b"hello"


def test_http_1_0_without_keep_alive_is_closed_after_the_reply(server) -> None:
    with Connection(server) as conn:
        conn.send(b"GET /status/200 HTTP/1.0\r\n\r\n" + request("GET", "/status/201"))
        reply = conn.read_response()
        assert conn.read_to_eof() == b""  # the second request is never answered
    assert reply.status == 200
    assert "close" in reply.tokens("connection")


def test_http_1_0_with_keep_alive_stays_open(server) -> None:
    with Connection(server) as conn:
        conn.send(b"GET /status/200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert conn.read_response().status == 200
        conn.send(sentinel())
        assert conn.read_response().status == 200
        assert conn.read_to_eof() == b""


def test_connection_close_is_honoured(server) -> None:
    with Connection(server) as conn:
        conn.send(request("GET", "/status/204", [("Connection", "close")])
                  + request("GET", "/status/200"))
        reply = conn.read_response()
        assert conn.read_to_eof() == b""
    assert reply.status == 204
    assert "close" in reply.tokens("connection")


def test_unknown_path_is_404_and_the_connection_stays_open(server) -> None:
    reply = ask(server, "GET", "/no/such/route")  # ask() reads the sentinel on the same socket
    assert reply.status == 404
    assert reply.values("content-length") == [str(len(reply.body))]


# -- keep-alive --------------------------------------------------------------------------------


def test_fifty_requests_on_one_connection(server) -> None:
    with Connection(server) as conn:
        for i in range(50):
            method = "HEAD" if i % 5 == 0 else "GET"
            conn.send(request(method, f"/status/{200 + i}"))
            assert conn.read_response(method).status == 200 + i
        conn.send(sentinel())
        assert conn.read_response().status == 200
        assert conn.read_to_eof() == b""


def test_three_pipelined_requests_are_answered_in_order(server) -> None:
    server.reset()
    with Connection(server) as conn:
        conn.send(request("GET", "/status/201") + request("HEAD", "/docs/welcome")
                  + request("GET", "/status/202", [("Connection", "close")]))
        statuses = [conn.read_response(method).status for method in ("GET", "HEAD", "GET")]
        assert conn.read_to_eof() == b""
    assert statuses == [201, 200, 202]


def test_connections_over_the_limit_get_503(monkeypatch) -> None:
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 1)
    with Server() as limited, Connection(limited) as first:
        first.send(request("GET", "/status/204"))
        assert first.read_response().status == 204  # accepted and still open
        with Connection(limited) as second:
            busy = second.read_response()
            assert second.read_to_eof() == b""
        assert busy.status == 503
        assert "close" in busy.tokens("connection")
        assert busy.get("retry-after") == "1"
        first.send(sentinel())
        assert first.read_response().status == 200


# -- timeouts ------------------------------------------------------------------------------------


def test_idle_keep_alive_connection_is_closed_by_the_server(server, monkeypatch) -> None:
    monkeypatch.setattr(server_module, "IDLE_TIMEOUT", 0.2)
    with Connection(server) as conn:
        conn.send(request("GET", "/status/204"))
        assert conn.read_response().status == 204
        # Blocks until the server's own idle deadline closes the connection.
        assert conn.sock.recv(1) == b""


def test_stalled_request_is_closed_while_others_are_served(server, monkeypatch) -> None:
    monkeypatch.setattr(server_module, "READ_TIMEOUT", 0.3)
    with Connection(server) as stalled:
        stalled.send(b"GET /status/200 HTTP/1.1\r\nHost: x\r\n")  # half a header section
        assert_clean_204(server)  # another client is served meanwhile
        leftover = stalled.read_to_eof()  # ends when the server gives up on the stalled one
    assert leftover == b"" or leftover.startswith(b"HTTP/1.1 408 ")


# -- failures inside the server ---------------------------------------------------------------


def test_a_route_that_raises_gives_500_and_the_server_keeps_serving(server, monkeypatch):
    def broken(request, now):
        raise RuntimeError("route bug")

    monkeypatch.setattr(server.app, "handle", broken)
    with Connection(server) as conn:
        conn.send(request("GET", "/docs/welcome"))
        failed = conn.read_response()
        monkeypatch.undo()
        conn.send(sentinel())
        follow = conn.read_response()
    assert failed.status == 500
    assert failed.values("content-length") == [str(len(failed.body))]
    assert b"RuntimeError" in failed.body
    assert follow.status == 200


def test_the_server_never_prints(capfd) -> None:
    capfd.readouterr()
    with Server() as quiet:
        assert ask(quiet, "GET", "/").status == 200
        assert ask(quiet, "PUT", "/docs/new", body=b"x").status == 201
        with Connection(quiet) as conn:
            conn.send(request("GET", "/misbehave/chunked") + sentinel())
            assert conn.read_response().status == 204
            conn.read_to_eof()
        for data, _ in BAD_INPUT.values():
            with Connection(quiet) as conn:
                conn.send(data)
                conn.read_to_eof()
        with Connection(quiet) as conn:  # leaves in the middle of a request
            conn.send(b"PUT /docs/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhal")
        with Connection(quiet):  # connects and says nothing
            pass
        quiet.app.handle = lambda request, now: 1 / 0
        with Connection(quiet) as conn:
            conn.send(sentinel())
            assert conn.read_response().status == 500
            assert conn.read_to_eof() == b""
    # stop() has joined every server thread, so anything they printed is in capfd now.
    assert capfd.readouterr() == ("", "")


# -- records ----------------------------------------------------------------------------------


def test_exchanges_record_method_target_status_and_bytes(server) -> None:
    server.reset()
    with Connection(server) as conn:
        sent = [request("GET", "/status/201?x=1"), request("PUT", "/docs/noted", body=b"hi"),
                request("DELETE", "/docs/nope")]
        replies = []
        for data, method in zip(sent, ("GET", "PUT", "DELETE"), strict=True):
            conn.send(data)
            replies.append(conn.read_response(method))
    found = [(r.method, r.target, r.status) for r in server.exchanges]
    assert found == [("GET", "/status/201?x=1", 201), ("PUT", "/docs/noted", 201),
                     ("DELETE", "/docs/nope", 404)]
    assert [r.received for r in server.exchanges] == sent
    assert [r.sent for r in server.exchanges] == [reply.raw for reply in replies]


def test_exchanges_are_bounded(server) -> None:
    server.reset()
    total = RECORD_LIMIT + 7
    with Connection(server) as conn:
        for i in range(total):
            conn.send(request("HEAD", f"/status/204?n={i}"))
            assert conn.read_response("HEAD").status == 204
    assert len(server.exchanges) == RECORD_LIMIT
    assert server.exchanges[0].target == "/status/204?n=7"
    assert server.exchanges[-1].target == f"/status/204?n={total - 1}"


def test_reset_restores_documents_and_forgets_beacons_forms_and_records(server) -> None:
    assert ask(server, "PUT", "/docs/welcome", body=b"changed").status == 204
    assert ask(server, "POST", "/beacon", body=b"ping").status == 204
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    assert ask(server, "POST", "/editor/form/save", form, body=b"note=hi").status == 204
    assert server.app.editor.received == 1
    server.reset()
    assert ask(server, "GET", "/docs/welcome").body.startswith(b"Welcome")
    assert len(server.app.beacons) == 0
    assert (server.app.editor.received, len(server.app.editor.submissions)) == (0, 0)
    assert [r.target for r in server.exchanges] == ["/docs/welcome", "/status/200"]


# -- lifecycle -------------------------------------------------------------------------------


@pytest.fixture
def fresh_serve(monkeypatch):
    """serve() as in a fresh process; any session server is put back afterwards."""
    monkeypatch.setattr(server_module, "_shared", None)
    started: list[Server] = []
    real_serve = serve

    def tracking_serve(*args, **kwargs):
        running = real_serve(*args, **kwargs)
        started.append(running)
        return running

    yield tracking_serve
    for running in started:
        running.stop()


def test_serve_twice_returns_the_same_server(fresh_serve) -> None:
    first = fresh_serve()
    assert fresh_serve() is first
    assert first.running
    assert_clean_204(first)


def test_serve_after_stop_starts_a_new_server_on_a_new_port(fresh_serve) -> None:
    first = fresh_serve()
    first.stop()
    assert not first.running
    try:  # hold the old port, so that a new server cannot take it by chance
        holder = socket.create_server(("127.0.0.1", first.port))
    except OSError:  # something else holds it already, which serves as well
        holder = None
    try:
        second = fresh_serve()
    finally:
        if holder is not None:
            holder.close()
    assert second is not first
    assert second.running
    assert second.port != first.port
    assert second.url == f"http://127.0.0.1:{second.port}"
    assert_clean_204(second)


def test_context_manager_stops_the_server() -> None:
    with Server() as running:
        assert_clean_204(running)
        port = running.port
    assert not running.running
    assert "stopped" in repr(running)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()


def test_stop_is_idempotent() -> None:
    running = Server()
    running.stop()
    running.stop()
    assert not running.running


def test_stop_closes_an_idle_keep_alive_connection() -> None:
    running = Server()
    with Connection(running) as conn:
        conn.send(request("GET", "/status/204"))
        assert conn.read_response().status == 204
        running.stop()
        assert conn.sock.recv(1) == b""


def open_descriptors() -> int | None:
    path = "/proc/self/fd"
    return len(os.listdir(path)) if os.path.isdir(path) else None


def test_start_stop_cycles_leave_no_threads_or_descriptors() -> None:
    def cycle() -> None:
        threads = set(threading.enumerate())
        descriptors = open_descriptors()
        running = Server()
        with Connection(running) as idle:  # open and idle when stop() is called
            idle.send(request("GET", "/status/204"))
            assert idle.read_response().status == 204
            running.stop()
            # Checked at once: stop() returns only after its threads ended and closed.
            assert set(threading.enumerate()) - threads == set()
            if descriptors is not None:
                assert open_descriptors() <= descriptors + 1  # + the client's own socket
            assert idle.sock.recv(1) == b""

    cycle()  # first use warms lazily created state
    threads = set(threading.enumerate())
    descriptors = open_descriptors()
    for _ in range(100):
        cycle()
    assert set(threading.enumerate()) - threads == set()
    if descriptors is not None:  # Linux; elsewhere only the threads are checked
        assert open_descriptors() <= descriptors


def test_a_mounted_handler_keeps_its_reason_phrase(server) -> None:
    url = server.mount("/test/reason", lambda request: Response(status=204, reason="NO CONTENT"))
    try:
        reply = ask(server, "GET", "/test/reason")
        assert reply.status_line == "HTTP/1.1 204 NO CONTENT"
    finally:
        server.unmount("/test/reason")
    assert url.endswith("/test/reason")


def test_a_mounted_bare_205_on_a_kept_alive_connection_ends_when_the_server_closes(server):
    # RFC 9112 §6.3: a 205 without Content-Length or Transfer-Encoding is read until close.
    server.mount("/test/bare-205", lambda request: Response(status=205))
    try:
        with Connection(server) as conn:
            conn.send(request("GET", "/test/bare-205"))
            assert conn.read_to_eof().startswith(b"HTTP/1.1 205 Reset Content\r\n")
    finally:
        server.unmount("/test/bare-205")
