"""The server's HTTP/2 protocol (H2Session) and its limits, fed bytes: no sockets, no threads.

The client side is h2's own client connection, so every byte fed in is valid
HTTP/2 unless a test makes it otherwise; what the session answers is read back
through that client.
"""

from __future__ import annotations

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import ConnectionTerminated, DataReceived, ResponseReceived, StreamEnded
from hpack import Decoder, NeverIndexedHeaderTuple
from hyperframe.frame import ContinuationFrame, Frame, HeadersFrame

import nocontent._h2 as h2_module
from nocontent._frame_reply import render_frames
from nocontent._h2 import MAX_HEAD, MAX_STREAMS, Budget, H2Session
from nocontent._http import MAX_BODY, Response

REQUEST = [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/")]


def client() -> H2Connection:
    conn = H2Connection(H2Configuration(client_side=True, header_encoding="latin-1"))
    conn.initiate_connection()
    return conn


def start(now: float = 0.0) -> tuple[H2Session, H2Connection]:
    """A session and a client that have exchanged prefaces and SETTINGS."""
    session, peer = H2Session(now), client()
    peer.receive_data(session.output())
    session.receive(peer.data_to_send(), now)
    peer.receive_data(session.output())
    session.receive(peer.data_to_send(), now)
    return session, peer


def events(peer: H2Connection, session: H2Session) -> list[object]:
    return peer.receive_data(session.output())


def big_request(peer: H2Connection, stream: int, size: int) -> bytes:
    """A complete request with a field of ``size`` bytes, as HEADERS and CONTINUATION frames.

    Written by hand without Huffman coding (h2's client would take seconds to encode it),
    and never indexed, so the client's own HPACK state stays in step with the server's.
    """
    fields = [NeverIndexedHeaderTuple(n, v) for n, v in [*REQUEST, ("x-big", "a" * size)]]
    block = peer.encoder.encode(fields, huffman=False)
    pieces = [block[i: i + 16384] for i in range(0, len(block), 16384)]
    frames = [HeadersFrame(stream, data=pieces[0], flags=["END_STREAM"])]
    frames += [ContinuationFrame(stream, data=piece) for piece in pieces[1:]]
    frames[-1].flags.add("END_HEADERS")
    return b"".join(frame.serialize() for frame in frames)


# -- Budget -----------------------------------------------------------------------------


def test_budget_allows_its_burst_then_refills_at_its_rate() -> None:
    budget = Budget(3, 2.0, now=0.0)
    assert [budget.spend(0.0) for _ in range(4)] == [True, True, True, False]
    assert budget.spend(1.0)  # one second later: two tokens back, one of them owed
    assert not budget.spend(1.0)


def test_budget_never_holds_more_than_its_burst() -> None:
    budget = Budget(2, 100.0, now=0.0)
    assert [budget.spend(60.0) for _ in range(3)] == [True, True, False]


# -- requests -----------------------------------------------------------------------------


def test_a_complete_request_is_ready_with_its_fields_body_and_frames() -> None:
    session, peer = start()
    peer.send_headers(1, [(":method", "PUT"), (":scheme", "http"), (":authority", "a:1"),
                          (":path", "/docs/x"), ("content-type", "text/plain")])
    peer.send_data(1, b"hello", end_stream=True)
    [ready] = session.receive(peer.data_to_send(), 0.0)
    request = ready.request
    assert (request.method, request.target, request.version) == ("PUT", "/docs/x", "HTTP/2")
    assert request.headers == (("host", "a:1"), ("content-type", "text/plain"))
    assert request.body == b"hello"
    # the record keeps the stream's frames: a HEADERS frame (type 1), then DATA (type 0)
    assert ready.raw[3] == 0x1 and ready.raw.endswith(b"hello")


def test_a_request_whose_stream_has_not_ended_is_not_ready() -> None:
    session, peer = start()
    peer.send_headers(1, REQUEST)
    assert session.receive(peer.data_to_send(), 0.0) == []
    assert session.busy


def test_a_response_goes_out_as_its_frames() -> None:
    session, peer = start()
    peer.send_headers(1, REQUEST, end_stream=True)
    assert len(session.receive(peer.data_to_send(), 0.0)) == 1
    sent = session.respond(1, render_frames(Response(status=200, body=b"hi"), "GET"))
    found = events(peer, session)
    [response] = [e for e in found if isinstance(e, ResponseReceived)]
    assert dict(response.headers)[":status"] == "200"
    assert [e.data for e in found if isinstance(e, DataReceived)] == [b"hi"]
    assert any(isinstance(e, StreamEnded) for e in found)
    assert sent.startswith(b"\x00") and sent[3] == 0x1  # the record holds the HEADERS frame


def test_content_longer_than_the_window_waits_for_window_updates() -> None:
    session, peer = start()
    peer.send_headers(1, REQUEST, end_stream=True)
    session.receive(peer.data_to_send(), 0.0)
    body = bytes(200_000)
    session.respond(1, render_frames(Response(status=200, body=body), "GET"))
    received = bytearray()
    for _ in range(20):
        found = events(peer, session)
        for event in found:
            if isinstance(event, DataReceived):
                received += event.data
                peer.acknowledge_received_data(event.flow_controlled_length, 1)
        if any(isinstance(e, StreamEnded) for e in found):
            break
        session.receive(peer.data_to_send(), 0.0)
    assert bytes(received) == body


# -- limits -------------------------------------------------------------------------------


def test_the_settings_announce_the_limits() -> None:
    session, peer = H2Session(0.0), client()
    peer.receive_data(session.output())
    assert peer.remote_settings.max_concurrent_streams == MAX_STREAMS
    assert peer.remote_settings.max_header_list_size == MAX_HEAD


def test_a_stream_over_the_concurrency_limit_ends_the_connection() -> None:
    session, peer = start()
    for stream in range(1, 2 * MAX_STREAMS, 2):
        peer.send_headers(stream, REQUEST)  # opened, never ended
    assert session.receive(peer.data_to_send(), 0.0) == [] and not session.closing
    # h2's client keeps the limit, so the stream too many is written by hand
    extra = HeadersFrame(2 * MAX_STREAMS + 1, data=peer.encoder.encode(REQUEST),
                         flags=["END_HEADERS"])
    session.receive(extra.serialize(), 0.0)
    assert session.closing
    [goaway] = [e for e in events(peer, session) if isinstance(e, ConnectionTerminated)]
    assert goaway.error_code == ErrorCodes.PROTOCOL_ERROR


def rapid_resets(peer: H2Connection, count: int, first: int = 1) -> bytes:
    """``count`` streams, each opened with a complete request and at once reset."""
    for index in range(count):
        stream = first + 2 * index
        peer.send_headers(stream, REQUEST, end_stream=True)
        peer.reset_stream(stream, ErrorCodes.CANCEL)
    return peer.data_to_send()


def test_a_request_reset_in_the_same_read_is_never_answered() -> None:
    session, peer = start()
    assert session.receive(rapid_resets(peer, 10), 0.0) == []
    assert not session.closing


def test_rapid_reset_gets_goaway_enhance_your_calm() -> None:
    session, peer = start()
    burst = h2_module.RESETS[0]
    session.receive(rapid_resets(peer, burst + 1), 0.0)
    assert session.closing
    [goaway] = [e for e in events(peer, session) if isinstance(e, ConnectionTerminated)]
    assert goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM


def test_resets_spread_out_in_time_are_allowed() -> None:
    session, peer = start()
    rate = int(h2_module.RESETS[1])
    for second in range(3):  # a second's worth each second: the budget refills as fast
        session.receive(rapid_resets(peer, rate, 1 + 2 * rate * second), float(second))
    assert not session.closing


@pytest.mark.parametrize("kind", ["ping", "settings"])
def test_a_ping_or_settings_flood_gets_goaway_enhance_your_calm(kind: str) -> None:
    session, peer = start()
    for index in range(h2_module.CONTROL_FRAMES[0] + 1):
        if kind == "ping":
            peer.ping(index.to_bytes(8, "big"))
        else:
            peer.update_settings({})
    session.receive(peer.data_to_send(), 0.0)
    assert session.closing
    [goaway] = [e for e in events(peer, session) if isinstance(e, ConnectionTerminated)]
    assert goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM


def test_a_header_section_over_the_limit_gets_431_and_the_connection_goes_on() -> None:
    session, peer = start()
    [ready] = session.receive(big_request(peer, 1, MAX_HEAD), 0.0)
    assert ready.refusal is not None and ready.refusal.status == 431
    session.respond(1, render_frames(ready.refusal, "GET"))
    out = bytearray(session.output())
    first, length = Frame.parse_frame_header(memoryview(bytes(out[:9])))
    first.parse_body(memoryview(bytes(out[9: 9 + length])))
    assert isinstance(first, HeadersFrame) and first.stream_id == 1
    assert Decoder().decode(first.data)[0] == (":status", "431")
    peer.send_headers(3, REQUEST, end_stream=True)
    [next_one] = session.receive(peer.data_to_send(), 0.0)
    assert next_one.refusal is None and not session.closing


def test_a_field_block_beyond_what_h2_decodes_ends_the_connection() -> None:
    session, peer = start()
    assert session.receive(big_request(peer, 1, h2_module.MAX_FIELD_BLOCK), 0.0) == []
    assert session.closing
    [goaway] = [e for e in events(peer, session) if isinstance(e, ConnectionTerminated)]
    assert goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM


def test_content_over_the_limit_gets_413_and_the_stream_is_reset_after_it() -> None:
    session, peer = start()
    peer.send_headers(1, [(":method", "PUT"), *REQUEST[1:]])
    found = []
    for _ in range(MAX_BODY // 16384 + 2):
        window = min(peer.local_flow_control_window(1), 16384)
        peer.send_data(1, bytes(window))
        found += session.receive(peer.data_to_send(), 0.0)
        peer.receive_data(session.output())  # the session's WINDOW_UPDATEs
        if found:
            break
    [ready] = found
    assert ready.refusal is not None and ready.refusal.status == 413
    session.respond(1, render_frames(ready.refusal, "PUT"))
    kinds = [type(e).__name__ for e in events(peer, session)]
    assert "ResponseReceived" in kinds and "StreamReset" in kinds


def test_a_request_sent_before_the_clients_goaway_is_still_answered() -> None:
    session, peer = start()
    peer.send_headers(1, REQUEST, end_stream=True)
    peer.close_connection()
    [ready] = session.receive(peer.data_to_send(), 0.0)
    assert ready.stream_id == 1 and session.closing
    # h2 has closed the connection on the GOAWAY, so the answer cannot go out; responding
    # must not raise (a raise would end the server's thread with a traceback on stderr).
    assert session.respond(1, render_frames(Response(status=204), "GET")) == b""
