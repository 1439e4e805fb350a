"""How long the checker and the request builder listen after a response, by default.

`grace_for` waits half a second only while a body the response announced is
missing (a 204 with Content-Length or Transfer-Encoding); everything else gets
the wire view's short wait. The live tests show that a late stray body is
still caught where it should be, and that the wait is what catches it.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

import nocontent
from nocontent import _checker, _quiet, _widgets
from nocontent._checker import LATE_GRACE, check, grace_for
from nocontent._http import WireResponse, parse_response
from nocontent._misbehave import LATE
from nocontent._wire import GRACE, build_request, exchange


def response(raw: bytes, method: str = "GET") -> WireResponse:
    parsed = parse_response(raw, method)
    assert parsed is not None, "test bytes must hold one complete response"
    return parsed[0]


NO_CONTENT = b"HTTP/1.1 204 No Content\r\n"


@pytest.mark.parametrize(
    ("why", "method", "raw", "arrived", "wait"),
    [
        ("clean 204", "PUT", NO_CONTENT + b"\r\n", b"", GRACE),
        ("204 announcing 4 bytes, none here yet", "GET",
         NO_CONTENT + b"Content-Length: 4\r\n\r\n", b"", LATE_GRACE),
        ("204 announcing 4 bytes, 2 here", "GET",
         NO_CONTENT + b"Content-Length: 4\r\n\r\n", b"nu", LATE_GRACE),
        ("204 announcing 4 bytes, all here", "GET",
         NO_CONTENT + b"Content-Length: 4\r\n\r\n", b"null", GRACE),
        ("204 announcing nothing: Content-Length 0", "GET",
         NO_CONTENT + b"Content-Length: 0\r\n\r\n", b"", GRACE),
        ("204 with an unclear length", "GET",
         NO_CONTENT + b"Content-Length: 4\r\nContent-Length: 5\r\n\r\n", b"null", LATE_GRACE),
        ("204 announcing a chunked body, none here yet", "GET",
         NO_CONTENT + b"Transfer-Encoding: chunked\r\n\r\n", b"", LATE_GRACE),
        ("204 announcing a chunked body, some here", "GET",
         NO_CONTENT + b"Transfer-Encoding: chunked\r\n\r\n", b"0\r\n\r\n", GRACE),
        ("reply to HEAD: the length a GET would have had", "HEAD",
         b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n", b"", GRACE),
        ("304: the length of the stored response", "GET",
         b"HTTP/1.1 304 Not Modified\r\nContent-Length: 120\r\n\r\n", b"", GRACE),
        ("200 whose body was read whole", "GET",
         b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", b"", GRACE),
    ],
)
def test_the_long_wait_is_only_for_an_announced_body_not_yet_here(
    why: str, method: str, raw: bytes, arrived: bytes, wait: float
) -> None:
    assert grace_for(method, response(raw, method), arrived) == wait, why


def test_the_long_wait_outlasts_the_late_misbehaviour_and_the_short_one_does_not() -> None:
    assert GRACE < LATE < LATE_GRACE


@pytest.mark.live
def test_check_catches_a_late_stray_body_by_default(server: nocontent.Server) -> None:
    report = check(server.url + "/misbehave/body-late")
    assert report.exchange.leftover == b"null"
    assert report.rule_ids[:2] == ("204-content", "204-content-length")
    assert "4 bytes after the empty line that ends the 204: b'null'" in report.table()


@pytest.mark.live
def test_a_short_grace_asked_for_misses_the_late_body(server: nocontent.Server) -> None:
    """The wait is what catches it: without it, only the field is found."""
    report = check(server.url + "/misbehave/body-late", grace=GRACE)
    assert report.exchange.leftover == b""
    assert "204-content" not in report.rule_ids
    assert "204-content-length" in report.rule_ids


@pytest.mark.live
def test_check_and_the_builder_wait_by_grace_for_unless_given_a_number(
    server: nocontent.Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def spy(url, requests, **options):
        asked.append(options["grace"])
        return real(url, requests, **options)

    real = _checker.conversation
    monkeypatch.setattr(_checker, "conversation", spy)
    monkeypatch.setattr(_widgets, "conversation", spy)
    check(server.url + "/status/204")
    check(server.url + "/status/204", grace=0.2)
    made = nocontent.request_builder(server, target="/status/204")
    made.send.click()
    made.close()
    assert asked == [grace_for, 0.2, grace_for]


# -- listening stops once this process's server waits for the next request --------------------


def finishes_within(seconds: float, work) -> list:
    """Run ``work`` in a thread; its result, or [] if it is still running after ``seconds``.

    The bounds used here stay below the server's idle timeout (15 s), after
    which it would close the connection and end any wait.
    """
    done: list = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    return done


@pytest.mark.live
def test_a_long_grace_ends_once_the_embedded_server_waits_for_the_next_request(
    server: nocontent.Server,
) -> None:
    done = finishes_within(10, lambda: exchange(server.url + "/status/204", grace=120))
    assert done, "the wire view listened the whole grace to a server that had answered"
    assert done[0].status == 204 and done[0].leftover == b"" and not done[0].closed


@pytest.mark.live
def test_a_server_still_writing_is_listened_to(server: nocontent.Server) -> None:
    """body-late's handler is busy 0.3 s before its stray body: the wait goes on, and ends."""
    done = finishes_within(10, lambda: exchange(server.url + "/misbehave/body-late", grace=120))
    assert done and done[0].leftover == b"null" and not done[0].closed


@pytest.mark.live
def test_a_pipelined_request_is_answered_before_listening_stops(server: nocontent.Server) -> None:
    """The server reads both requests before it waits again, so both answers are read."""
    two = b"".join(build_request("GET", server.url + "/status/204") for _ in range(2))
    done = finishes_within(10, lambda: exchange(server.url + "/status/204", raw=two, grace=120))
    assert done and done[0].leftover.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert not done[0].closed, "listened until the server's idle timeout closed the connection"


def test_another_server_gets_the_whole_grace() -> None:
    """A server this process does not run cannot say it is done: its late bytes are read."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def late_server() -> None:
            sock, _ = listener.accept()
            with sock:
                sock.recv(65536)
                sock.sendall(NO_CONTENT + b"\r\n")
                time.sleep(0.2)  # the behaviour under test: a late write, not synchronisation
                sock.sendall(b"late")
                sock.recv(65536)  # until the client closes

        writer = threading.Thread(target=late_server, daemon=True)
        writer.start()
        found = exchange(f"http://127.0.0.1:{listener.getsockname()[1]}/", grace=2.0)
        writer.join(5)
    assert found.leftover == b"late"


def test_settled_waits_for_the_server_to_have_read_what_was_sent() -> None:
    key = ("127.0.0.1", 1, "127.0.0.1", 2)
    soon = time.monotonic() + 0.01
    assert not _quiet.settled(None, 0, soon)
    assert not _quiet.settled(key, 0, soon), "a connection no server here holds"
    _quiet.report(key, None)
    try:
        assert not _quiet.settled(key, 0, soon), "busy"
        _quiet.report(key, 10)
        assert not _quiet.settled(key, 11, time.monotonic() + 0.01), "one byte not read yet"
        assert _quiet.settled(key, 10, time.monotonic() + 0.01)
        late = threading.Timer(0.05, _quiet.report, (key, 11))
        late.start()
        assert _quiet.settled(key, 11, time.monotonic() + 30), "woken when it is so"
        late.join()
    finally:
        _quiet.forget(key)
    assert not _quiet.settled(key, 0, time.monotonic() + 30), "forgotten: returns at once"
