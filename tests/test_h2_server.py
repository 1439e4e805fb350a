"""Live: the embedded server answers HTTP/2 with prior knowledge (h2c) on its TCP port.

Frames are read with tests/rawh2.py (hyperframe and hpack), not with
nocontent's own frame view. Nothing sleeps: each wait is a blocking read,
bounded by the socket timeout, that ends when the server acts.
"""

from __future__ import annotations

import threading

import pytest
from h2.errors import ErrorCodes
from hpack import Encoder, NeverIndexedHeaderTuple
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)
from rawh2 import H2, Seen, get, headers_frame, status
from rawhttp import ask

import nocontent._h2 as h2_module
from nocontent import FRAME_MISBEHAVIOURS, Response, Server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server():
    with Server() as running:
        yield running


def kinds(frames: list[Seen]) -> list[tuple[str, frozenset[str]]]:
    return [(seen.kind, frozenset(seen.flags) - {"END_HEADERS"}) for seen in frames]


def fields(seen: Seen) -> dict[str, str]:
    return dict(seen.fields)


# -- one port, two protocols -------------------------------------------------------------


def test_a_204_is_one_headers_frame_that_ends_the_stream(server) -> None:
    frames = get(server, "/status/204")
    assert kinds(frames) == [("Headers", frozenset({"END_STREAM"}))]
    assert "END_HEADERS" in frames[0].flags
    assert fields(frames[0])[":status"] == "204"
    assert "content-length" not in fields(frames[0])


def test_http11_still_works_on_the_same_port(server) -> None:
    get(server, "/status/204")
    assert ask(server, "GET", "/status/204").status == 204


def test_the_server_speaks_first_with_settings(server) -> None:
    with H2(server) as conn:
        first = conn.read()
    assert isinstance(first.frame, SettingsFrame) and "ACK" not in first.flags
    assert first.frame.settings[0x3] == h2_module.MAX_STREAMS  # SETTINGS_MAX_CONCURRENT_STREAMS


SAME = [
    ("GET", "/", ()),
    ("GET", "/docs/welcome", ()),
    ("HEAD", "/docs/welcome", ()),
    ("GET", "/status/200", ()),
    ("GET", "/status/404", ()),
    ("GET", "/status/304", ()),
    ("GET", "/cache/max-age/60", ()),
    ("OPTIONS", "/docs/welcome", ()),
    ("GET", "/docs/welcome", (("if-none-match", '"nope"'),)),
    ("DELETE", "/no-such-route", ()),
]


@pytest.mark.parametrize(("method", "path", "extra"), SAME, ids=[f"{m} {p}" for m, p, _ in SAME])
def test_every_route_answers_as_over_http11(server, method, path, extra) -> None:
    one = ask(server, method, path, extra)
    frames = get(server, path, method, list(extra))
    head = fields(frames[0])
    assert int(head[":status"]) == one.status
    body = b"".join(seen.frame.data for seen in frames if isinstance(seen.frame, DataFrame))
    assert body == one.body
    assert head.get("content-length") == one.get("content-length")
    if one.status in (204, 304) or method == "HEAD":
        assert len(frames) == 1 and "END_STREAM" in frames[0].flags


def test_a_put_is_answered_204_with_its_etag(server) -> None:
    frames = get(server, "/docs/h2-put", "PUT", [("content-type", "text/plain")], b"one")
    assert status(frames) == 201
    frames = get(server, "/docs/h2-put", "PUT", [("content-type", "text/plain")], b"two")
    assert status(frames) == 204 and kinds(frames) == [("Headers", frozenset({"END_STREAM"}))]
    assert fields(frames[0])["etag"].startswith('"')
    assert ask(server, "GET", "/docs/h2-put").body == b"two"


def test_records_say_http2_and_keep_the_frames(server) -> None:
    server.exchanges.clear()
    get(server, "/status/204")
    [record] = [r for r in server.exchanges if r.target == "/status/204"]
    assert record.version == "HTTP/2" and record.status == 204
    assert record.received[3] == 0x1 and record.sent[3] == 0x1  # HEADERS frames both ways
    ask(server, "GET", "/status/204")
    assert server.exchanges[-1].version == "HTTP/1.1"


def test_several_requests_on_one_connection_each_get_their_answer(server) -> None:
    with H2(server) as conn:
        conn.send(conn.headers("GET", "/status/204"), conn.headers("GET", "/status/200"),
                  conn.headers("GET", "/status/404"))
        answers = {stream: status(conn.response(stream)) for stream in (1, 3, 5)}
    assert answers == {1: 204, 3: 200, 5: 404}


# -- /misbehave/ over HTTP/2 -----------------------------------------------------------------

EXPECTED = {
    "body": [("Headers", frozenset()), ("Data", frozenset({"END_STREAM"}))],
    "content-length-zero": [("Headers", frozenset({"END_STREAM"}))],
    "content-length": [("Headers", frozenset({"END_STREAM"}))],
    "trailers": [("Headers", frozenset()), ("Headers", frozenset({"END_STREAM"}))],
    "transfer-encoding": [("Headers", frozenset({"END_STREAM"}))],
}


def test_every_kind_is_tested() -> None:
    assert set(EXPECTED) == set(FRAME_MISBEHAVIOURS)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_misbehaviours_are_written_frame_by_frame(server, kind) -> None:
    frames = get(server, f"/misbehave/{kind}")
    assert kinds(frames) == EXPECTED[kind]
    head = fields(frames[0])
    assert head[":status"] == "204"
    assert head.get("content-length") == {"content-length-zero": "0",
                                          "content-length": "4"}.get(kind)
    assert head.get("transfer-encoding") == ("chunked" if kind == "transfer-encoding" else None)
    if kind == "body":
        assert frames[1].frame.data == b"null"
    if kind == "trailers":
        assert fields(frames[1]) == {"x-checksum": "none"}


def test_an_http11_only_kind_is_404_over_http2(server) -> None:
    frames = get(server, "/misbehave/smuggle")
    assert status(frames) == 404
    text = b"".join(s.frame.data for s in frames if isinstance(s.frame, DataFrame)).decode()
    assert "over HTTP/2" in text and "trailers" in text


def test_a_mounted_handler_is_sent_as_written(server) -> None:
    def wrong(request):
        return Response(status=204, headers=(("Content-Length", "4"),), body=b"null")

    server.mount("/h2-wrong", wrong)
    try:
        frames = get(server, "/h2-wrong")
    finally:
        server.unmount("/h2-wrong")
    assert kinds(frames) == [("Headers", frozenset()), ("Data", frozenset({"END_STREAM"}))]
    assert fields(frames[0])["content-length"] == "4"  # lowercased, as HTTP/2 requires
    assert frames[1].frame.data == b"null"


# -- limits ----------------------------------------------------------------------------------


def goaway_code(conn: H2) -> int:
    """Read until GOAWAY; its error code."""
    return conn.until(GoAwayFrame).frame.error_code


def served_meanwhile(server, flood) -> list[int]:
    """Run ``flood`` in a thread; meanwhile another client makes 20 requests, one at a time."""
    thread = threading.Thread(target=flood)
    thread.start()
    try:
        return [status(get(server, "/status/204")) for _ in range(20)]
    finally:
        thread.join()


def test_a_stream_over_the_concurrency_limit_gets_goaway(server) -> None:
    with H2(server) as conn:
        conn.send(*[conn.headers("POST", "/beacon", end_stream=False)
                    for _ in range(h2_module.MAX_STREAMS)])
        conn.send(SettingsFrame(0, flags=["ACK"]), PingFrame(0, opaque_data=b"12345678"))
        assert conn.until(PingFrame).flags == {"ACK"}  # all 100 streams open, no error yet
        conn.send(conn.headers("POST", "/beacon", end_stream=False))
        assert goaway_code(conn) == ErrorCodes.PROTOCOL_ERROR
    assert status(get(server, "/status/204")) == 204


def flood_and_expect_goaway(server, frames: bytes, rounds: int, codes: list[int]) -> None:
    with H2(server) as conn:
        try:
            for _ in range(rounds):
                conn.sock.sendall(frames)
        except OSError:
            pass  # the server closed the connection while we were still writing
        try:
            codes.append(goaway_code(conn))
        except (EOFError, OSError):
            codes.append(-1)


def test_rapid_reset_gets_goaway_and_other_clients_are_served(server) -> None:
    encoder = Encoder()
    pairs = []
    for stream in range(1, 4000, 2):  # HEADERS then RST_STREAM, as in CVE-2023-44487
        pairs += [headers_frame(encoder, stream, "GET", "/status/204"),
                  RstStreamFrame(stream, error_code=ErrorCodes.CANCEL)]
    data = b"".join(frame.serialize() for frame in pairs)
    codes: list[int] = []
    answers = served_meanwhile(server, lambda: flood_and_expect_goaway(server, data, 1, codes))
    assert answers == [204] * 20
    assert codes == [ErrorCodes.ENHANCE_YOUR_CALM]


@pytest.mark.parametrize("frame", [PingFrame(0, opaque_data=b"flooding"), SettingsFrame(0)],
                         ids=["ping", "settings"])
def test_a_ping_or_settings_flood_gets_goaway_and_other_clients_are_served(server, frame):
    data = frame.serialize() * 1000
    codes: list[int] = []
    answers = served_meanwhile(server, lambda: flood_and_expect_goaway(server, data, 20, codes))
    assert answers == [204] * 20
    assert codes == [ErrorCodes.ENHANCE_YOUR_CALM]


def header_frames(conn: H2, stream: int, size: int) -> list[HeadersFrame | ContinuationFrame]:
    """A GET with a field of ``size`` bytes, split into HEADERS and CONTINUATION frames."""
    fields = [(":method", "GET"), (":scheme", "http"), (":authority", "x"),
              (":path", "/status/204"), ("x-big", "a" * size)]
    block = conn.encoder.encode([NeverIndexedHeaderTuple(n, v) for n, v in fields],
                                huffman=False)
    pieces = [block[i: i + 16384] for i in range(0, len(block), 16384)]
    frames: list[HeadersFrame | ContinuationFrame] = [
        HeadersFrame(stream, data=pieces[0], flags=["END_STREAM"])]
    frames += [ContinuationFrame(stream, data=piece) for piece in pieces[1:]]
    frames[-1].flags.add("END_HEADERS")
    return frames


def test_an_oversized_header_section_gets_431_and_the_connection_goes_on(server) -> None:
    with H2(server) as conn:
        conn.send(*header_frames(conn, 1, 70_000))
        assert status(conn.response(1)) == 431
        conn.next_stream = 3
        conn.send(conn.headers("GET", "/status/204"))
        assert status(conn.response(3)) == 204


def test_a_field_block_too_big_to_decode_gets_goaway(server) -> None:
    with H2(server) as conn:
        conn.send(*header_frames(conn, 1, h2_module.MAX_FIELD_BLOCK))
        assert goaway_code(conn) == ErrorCodes.ENHANCE_YOUR_CALM
    assert status(get(server, "/status/204")) == 204


def test_an_idle_connection_gets_goaway_then_closes(server, monkeypatch) -> None:
    monkeypatch.setattr(h2_module, "IDLE_TIMEOUT", 0.2)
    with H2(server) as conn:
        assert goaway_code(conn) == ErrorCodes.NO_ERROR
        with pytest.raises(EOFError):
            conn.read()
