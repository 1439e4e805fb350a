"""The frame view's pure parts: frames decoded from bytes, the response read from them,
the printout, and the frames the server writes. No server, no sockets.

Bytes are made with hyperframe and hpack (HTTP/2) and with aioquic's encoders
and pylsqpack (HTTP/3), not with the code under test.
"""

from __future__ import annotations

import pylsqpack
from aioquic.buffer import encode_uint_var
from aioquic.h3.connection import encode_frame, encode_settings
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    RstStreamFrame,
    SettingsFrame,
)

from nocontent import Frame, FrameExchange
from nocontent._frame_decode import decode_h2, decode_h3
from nocontent._frame_reply import (
    DataPart,
    HeadersPart,
    as_written_frames,
    render_frames,
)
from nocontent._frames import PREFACE, StreamChunk, response_of
from nocontent._http import Response
from nocontent._misbehave_frames import FRAME_KINDS, frame_misbehave

FIELDS = [(":status", "204"), ("date", "Tue, 01 Dec 2026 10:00:00 GMT")]


def headers(encoder: Encoder, stream: int, fields, *flags: str) -> bytes:
    return HeadersFrame(stream, data=encoder.encode(fields), flags=["END_HEADERS", *flags]
                        ).serialize()


# -- HTTP/2 decoding ------------------------------------------------------------------------


def test_h2_frames_come_out_in_order_with_type_flags_stream_length_and_fields() -> None:
    client, server = Encoder(), Encoder()
    sent = PREFACE + SettingsFrame(0).serialize() + headers(
        client, 1, [(":method", "GET"), (":path", "/")], "END_STREAM")
    received = SettingsFrame(0, settings={3: 100}).serialize() + headers(
        server, 1, FIELDS) + DataFrame(1, data=b"null", flags=["END_STREAM"]).serialize()
    frames = decode_h2([(True, sent), (False, received)])
    assert [(f.sent, f.type, f.stream) for f in frames] == [
        (True, "(preface)", 0), (True, "SETTINGS", 0), (True, "HEADERS", 1),
        (False, "SETTINGS", 0), (False, "HEADERS", 1), (False, "DATA", 1)]
    assert frames[2].flags == ("END_STREAM", "END_HEADERS")
    assert frames[2].fields == ((":method", "GET"), (":path", "/"))
    assert frames[3].note == "MAX_CONCURRENT_STREAMS=100"
    assert frames[4].flags == ("END_HEADERS",) and frames[4].fields == tuple(FIELDS)
    assert (frames[5].data, frames[5].length, frames[5].flags) == (b"null", 4, ("END_STREAM",))
    assert b"".join(f.raw for f in frames if not f.sent) == received


def test_h2_bytes_split_anywhere_decode_the_same() -> None:
    server = Encoder()
    data = headers(server, 1, FIELDS, "END_STREAM")
    whole = decode_h2([(False, data)])
    pieces = decode_h2([(False, data[i: i + 1]) for i in range(len(data))])
    assert pieces == whole


def test_h2_a_field_block_continued_is_decoded_onto_its_headers_frame() -> None:
    block = Encoder().encode(FIELDS)
    data = (HeadersFrame(1, data=block[:5], flags=["END_STREAM"]).serialize()
            + ContinuationFrame(1, data=block[5:], flags=["END_HEADERS"]).serialize())
    frames = decode_h2([(False, data)])
    assert [f.type for f in frames] == ["HEADERS", "CONTINUATION"]
    assert frames[0].fields == tuple(FIELDS) and frames[1].flags == ("END_HEADERS",)


def test_h2_uppercase_names_are_shown_as_they_arrived() -> None:
    frames = decode_h2([(False, headers(Encoder(), 1, [(":status", "204"), ("Connection",
                                                                              "close")]))])
    assert frames[0].fields[1] == ("Connection", "close")


def test_h2_error_codes_are_named() -> None:
    data = (RstStreamFrame(1, error_code=1).serialize()
            + GoAwayFrame(0, last_stream_id=1, error_code=11).serialize())
    frames = decode_h2([(False, data)])
    assert frames[0].note == "PROTOCOL_ERROR (0x1)"
    assert frames[1].note == "last stream 1, ENHANCE_YOUR_CALM (0xb)"


def test_h2_bytes_that_are_no_frame_are_shown_not_raised() -> None:
    junk = b"\x00\x00\x04\x04\x00\x00\x00\x00\x00abcd"  # SETTINGS of 4 bytes: invalid length
    frames = decode_h2([(False, junk)])
    assert frames[-1].type == "(unreadable)" and frames[-1].raw == junk


# -- HTTP/3 decoding ------------------------------------------------------------------------


def h3_headers(stream: int, fields) -> bytes:
    encoded = [(n.encode(), v.encode()) for n, v in fields]
    return encode_frame(0x1, pylsqpack.Encoder().encode(stream, encoded)[1])


def test_h3_streams_are_split_into_frames_and_the_fin_is_marked() -> None:
    control = encode_uint_var(0) + encode_frame(0x4, encode_settings({0x1: 0, 0x21: 7}))
    items = [
        StreamChunk(False, 3, control),
        StreamChunk(False, 0, h3_headers(0, FIELDS)),
        StreamChunk(False, 0, encode_frame(0x0, b"null"), fin=True),
    ]
    frames = decode_h3(items)
    assert [(f.type, f.stream, f.flags) for f in frames] == [
        ("(stream type)", 3, ()), ("SETTINGS", 3, ()), ("HEADERS", 0, ()), ("DATA", 0, ("FIN",))]
    assert frames[0].note == "control stream (0x0)"
    assert frames[1].note == "QPACK_MAX_TABLE_CAPACITY=0 reserved_0x21=7"
    assert frames[2].fields == tuple(FIELDS) and frames[3].data == b"null"


def test_h3_a_fin_that_comes_alone_marks_the_last_frame() -> None:
    frames = decode_h3([StreamChunk(False, 0, h3_headers(0, FIELDS)),
                        StreamChunk(False, 0, b"", fin=True)])
    assert [(f.type, f.flags) for f in frames] == [("HEADERS", ("FIN",))]


def test_h3_a_frame_split_across_chunks_waits_for_its_end() -> None:
    data = h3_headers(0, FIELDS)
    frames = decode_h3([StreamChunk(False, 0, data[:3]), StreamChunk(False, 0, data[3:], True)])
    assert len(frames) == 1 and frames[0].fields == tuple(FIELDS)


# -- the response read from the frames --------------------------------------------------------


def frame(type_: str, *flags: str, fields=(), data: bytes = b"", stream: int = 1) -> Frame:
    return Frame(sent=False, type=type_, stream=stream, flags=flags, fields=tuple(fields),
                 data=data, raw=type_.encode())


def test_a_response_ending_on_its_headers() -> None:
    response, error = response_of([frame("HEADERS", "END_STREAM", "END_HEADERS",
                                         fields=FIELDS)], 1, 2)
    assert error is None and response is not None
    assert (response.status, response.reason, response.body) == (204, "", b"")
    assert response.headers == (FIELDS[1],) and response.version == "HTTP/2"
    assert response.framing == "END_STREAM on the HEADERS frame"


def test_a_response_with_data_and_trailers() -> None:
    frames = [frame("HEADERS", fields=FIELDS), frame("DATA", data=b"nu"),
              frame("DATA", data=b"ll"), frame("HEADERS", "FIN", fields=[("x-a", "1")])]
    response, _ = response_of(frames, 1, 3)
    assert response.body == b"null" and response.trailers == (("x-a", "1"),)
    assert response.framing == "the QUIC stream closed (FIN) after the trailer section's " \
                               "HEADERS frame"


def test_an_interim_response_is_passed_over() -> None:
    frames = [frame("HEADERS", fields=[(":status", "100")]),
              frame("HEADERS", "END_STREAM", fields=FIELDS)]
    response, _ = response_of(frames, 1, 2)
    assert response.status == 204


def test_a_stream_that_did_not_end_or_was_reset_has_no_response() -> None:
    assert response_of([frame("HEADERS", fields=FIELDS)], 1, 2) == (
        None, "the stream did not end: no END_STREAM")
    reset = Frame(sent=False, type="RST_STREAM", stream=1, note="PROTOCOL_ERROR (0x1)")
    assert response_of([frame("HEADERS", fields=FIELDS), reset], 1, 2)[1] == (
        "the server reset the stream: PROTOCOL_ERROR (0x1)")
    assert response_of([frame("HEADERS", "END_STREAM", fields=[("x", "1")])], 1, 2)[1] == (
        "a HEADERS frame without one valid :status")


def test_the_printout_shows_each_frame_in_order() -> None:
    frames = decode_h2([(False, headers(Encoder(), 1, FIELDS) + DataFrame(
        1, data=b"null", flags=["END_STREAM"]).serialize())])
    response, error = response_of(frames, 1, 2)
    shown = str(FrameExchange(version=2, protocol="h2c", url="http://x/", method="GET",
                              stream=1, request_fields=(), frames=tuple(frames),
                              response=response, error=error))
    lines = shown.splitlines()
    assert lines[0] == "HTTP/2 (cleartext TCP, prior knowledge): GET http://x/, stream 1"
    assert lines[1].split() == ["<<<", "HEADERS", "stream", "1", "length",
                                str(frames[0].length), "END_HEADERS"]
    assert lines[2].strip() == ":status: 204"
    assert lines[4].split()[:2] == ["<<<", "DATA"] and lines[4].endswith("END_STREAM")
    assert lines[5].strip() == "b'null'"


# -- what the server writes -------------------------------------------------------------------


def test_render_frames_ends_a_204_on_its_headers_and_drops_framing_fields() -> None:
    reply = render_frames(Response(status=204, headers=(
        ("Content-Length", "4"), ("Connection", "close"), ("Transfer-Encoding", "chunked"),
        ("ETag", '"x"')), body=b"null"), "PUT", (("Date", "d"),))
    assert reply.parts == (HeadersPart(((":status", "204"), ("date", "d"), ("etag", '"x"')),
                                       True),)


def test_render_frames_sends_content_with_its_length() -> None:
    reply = render_frames(Response(status=200, body=b"hi"), "GET")
    assert reply.parts == (HeadersPart(((":status", "200"), ("content-length", "2")), False),
                           DataPart(b"hi", True))


def test_render_frames_for_head_declares_the_length_and_sends_no_data() -> None:
    reply = render_frames(Response(status=200, body=b"hello"), "HEAD")
    assert reply.parts == (HeadersPart(((":status", "200"), ("content-length", "5")), True),)


def test_as_written_keeps_every_field_and_the_content_lowercasing_names() -> None:
    reply = as_written_frames(Response(status=204, headers=(("Content-Length", "4"),),
                                       body=b"null"))
    assert reply.parts == (HeadersPart(((":status", "204"), ("content-length", "4")), False),
                           DataPart(b"null", True))


def test_every_frame_misbehaviour_is_a_204_and_unknown_kinds_are_none() -> None:
    for kind in FRAME_KINDS:
        reply = frame_misbehave(kind, ())
        assert reply is not None and reply.status == 204
        assert reply.parts[0].fields[0] == (":status", "204")
        assert reply.parts[-1].end_stream
        assert sum(part.end_stream for part in reply.parts) == 1
    assert frame_misbehave("smuggle", ()) is None
