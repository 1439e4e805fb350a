"""HTTP/2 and HTTP/3 frames decoded from bytes, for the frame view. No I/O.

:func:`decode_h2` and :func:`decode_h3` turn the bytes a client sent and
received into :class:`nocontent._frames.Frame` objects, in the order they
went over the connection. The client that captures the bytes is
:mod:`nocontent._frame_client`.

Frame headers are parsed with ``hyperframe`` (HTTP/2) and the QUIC
variable-length integers of ``aioquic`` (HTTP/3); field blocks are decoded
with ``hpack`` and ``pylsqpack``, each direction with its own decoder state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pylsqpack
from aioquic.buffer import Buffer, BufferReadError
from aioquic.h3.connection import ErrorCode as H3ErrorCode
from aioquic.h3.connection import FrameType as H3FrameType
from aioquic.h3.connection import ProtocolError as H3ProtocolError
from aioquic.h3.connection import Setting as H3Setting
from aioquic.h3.connection import StreamType, parse_settings
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hpack import Decoder as HpackDecoder
from hpack import HPACKError
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    ExtensionFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)
from hyperframe.frame import Frame as HyperFrame

from ._frames import PREFACE, Frame, H3Item, StreamChunk
from ._http import Headers

__all__ = ["decode_h2", "decode_h3", "error_name"]

_H2_TYPES = {
    0x0: "DATA", 0x1: "HEADERS", 0x2: "PRIORITY", 0x3: "RST_STREAM", 0x4: "SETTINGS",
    0x5: "PUSH_PROMISE", 0x6: "PING", 0x7: "GOAWAY", 0x8: "WINDOW_UPDATE",
    0x9: "CONTINUATION", 0xA: "ALTSVC", 0xC: "ORIGIN", 0x10: "PRIORITY_UPDATE",
}
_FLAG_ORDER = ("END_STREAM", "END_HEADERS", "ACK", "PADDED", "PRIORITY")
_MAX_FIELDS = 256 * 1024
"""The largest field section the view decodes (RFC 9113 §6.5.2's count)."""


def error_name(code: int, version: int) -> str:
    """An error code's name (RFC 9113 §7, RFC 9114 §8.1), or its number when unregistered."""
    try:
        name = ErrorCodes(code).name if version == 2 else H3ErrorCode(code).name
    except ValueError:
        return f"0x{code:x}"
    return f"{name} (0x{code:x})"


def _fields(pairs: Iterable[tuple[bytes, bytes]]) -> Headers:
    return tuple((bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in pairs)


def _settings_note(values: dict[int, int], names: type[SettingCodes] | type[H3Setting]) -> str:
    parts = []
    for code, value in values.items():
        if names is H3Setting and code >= 0x21 and (code - 0x21) % 0x1F == 0:
            parts.append(f"reserved_0x{code:x}={value}")  # RFC 9114 §7.2.4.1: to be ignored
            continue
        try:
            parts.append(f"{names(code).name}={value}")
        except ValueError:
            parts.append(f"0x{code:x}={value}")
    return " ".join(parts)


# -- HTTP/2 ---------------------------------------------------------------------------


def _h2_note(frame: HyperFrame) -> str:
    if isinstance(frame, SettingsFrame):
        return _settings_note(dict(frame.settings), SettingCodes)
    if isinstance(frame, (RstStreamFrame, GoAwayFrame)):
        note = error_name(frame.error_code, 2)
        if isinstance(frame, GoAwayFrame):
            note = f"last stream {frame.last_stream_id}, {note}"
            if frame.additional_data:
                note += f", {bytes(frame.additional_data)[:80]!r}"
        return note
    if isinstance(frame, WindowUpdateFrame):
        return f"increment {frame.window_increment}"
    if isinstance(frame, PingFrame):
        return f"opaque data {bytes(frame.opaque_data).hex()}"
    return ""


class _H2Direction:
    """Splits one direction's bytes into frames, with its own HPACK decoder."""

    def __init__(self, sent: bool) -> None:
        self.sent = sent
        self.buffer = bytearray()
        self.decoder = HpackDecoder()
        self.decoder.max_header_list_size = _MAX_FIELDS
        self.block: list[int] = []  # indexes of a HEADERS frame and its CONTINUATIONs
        self.fragments = bytearray()
        self.preface = sent
        self.broken = False

    def feed(self, data: bytes, out: list[Frame]) -> None:
        if self.broken:
            return
        self.buffer += data
        if self.preface:
            if len(self.buffer) < len(PREFACE):
                return
            raw = bytes(self.buffer[: len(PREFACE)])
            del self.buffer[: len(PREFACE)]
            self.preface = False
            out.append(Frame(sent=True, type="(preface)", stream=0, length=len(raw), raw=raw,
                             note="the client connection preface (RFC 9113 §3.4)"))
        while len(self.buffer) >= 9:
            try:
                frame, length = HyperFrame.parse_frame_header(memoryview(bytes(self.buffer[:9])))
                if len(self.buffer) < 9 + length:
                    return
                raw = bytes(self.buffer[: 9 + length])
                frame.parse_body(memoryview(raw[9:]))
            except HyperframeError as exc:
                self.broken = True
                out.append(Frame(sent=self.sent, type="(unreadable)", stream=0,
                                 length=len(self.buffer), data=bytes(self.buffer),
                                 raw=bytes(self.buffer), note=f"{type(exc).__name__}: {exc}"))
                return
            del self.buffer[: 9 + length]
            out.append(self._frame(frame, length, raw, len(out)))
            if isinstance(frame, (HeadersFrame, PushPromiseFrame, ContinuationFrame)):
                self._field_block(frame, out)

    def _frame(self, frame: HyperFrame, length: int, raw: bytes, index: int) -> Frame:
        if isinstance(frame, ExtensionFrame):
            kind = _H2_TYPES.get(frame.type, f"0x{frame.type:x}")
        else:
            kind = _H2_TYPES[frame.type]
        flags = tuple(flag for flag in _FLAG_ORDER if flag in frame.flags)
        data = bytes(frame.data) if isinstance(frame, (DataFrame, ExtensionFrame)) else b""
        return Frame(sent=self.sent, type=kind, stream=frame.stream_id, flags=flags,
                     length=length, data=data, note=_h2_note(frame), raw=raw)

    def _field_block(self, frame: HyperFrame, out: list[Frame]) -> None:
        """Collect a field block across CONTINUATIONs; decode it onto the HEADERS frame."""
        self.block.append(len(out) - 1)
        self.fragments += frame.data
        if "END_HEADERS" not in frame.flags:
            return
        first = self.block[0]
        try:
            fields = _fields(self.decoder.decode(bytes(self.fragments), raw=True))
            note = out[first].note
        except HPACKError as exc:
            fields, note = (), f"HPACK error: {exc}"
        out[first] = replace(out[first], fields=fields, note=note)
        self.block, self.fragments = [], bytearray()


def decode_h2(chunks: Sequence[tuple[bool, bytes]]) -> list[Frame]:
    """The frames in ``chunks``: (sent, bytes) pairs in the order they went over the connection.

    The client's bytes start with the connection preface. Bytes that do not
    form a valid frame end that direction's decoding with an ``(unreadable)``
    entry holding them.
    """
    directions = {True: _H2Direction(True), False: _H2Direction(False)}
    out: list[Frame] = []
    for sent, data in chunks:
        directions[sent].feed(data, out)
    return out


# -- HTTP/3 ---------------------------------------------------------------------------

_H3_TYPES = {int(t): t.name for t in H3FrameType}
_STREAM_TYPES = {
    StreamType.CONTROL: "control", StreamType.PUSH: "push",
    StreamType.QPACK_ENCODER: "QPACK encoder", StreamType.QPACK_DECODER: "QPACK decoder",
}


def _h3_name(kind: int) -> str:
    if kind in _H3_TYPES:
        return _H3_TYPES[kind]
    if kind >= 0x21 and (kind - 0x21) % 0x1F == 0:
        return f"reserved 0x{kind:x}"  # RFC 9114 §7.2.8
    return f"0x{kind:x}"


@dataclass(eq=False)
class _H3Stream:
    sent: bool
    stream: int
    buffer: bytearray = field(default_factory=bytearray)
    kind: int | None = None  # a unidirectional stream's type, once read
    last: int | None = None  # index in the output of this stream's last entry


class _H3Decoder:
    def __init__(self) -> None:
        self.streams: dict[tuple[bool, int], _H3Stream] = {}
        # Each side's encoder may use no dynamic table: the client's SETTINGS
        # announce a capacity of 0, and its own encoder never uses one.
        self.qpack = {True: pylsqpack.Decoder(0, 0), False: pylsqpack.Decoder(0, 0)}

    def feed(self, chunk: StreamChunk, out: list[Frame]) -> None:
        key = (chunk.sent, chunk.stream)
        state = self.streams.setdefault(key, _H3Stream(chunk.sent, chunk.stream))
        state.buffer += chunk.data
        unidirectional = bool(chunk.stream & 0x2)
        if unidirectional and state.kind is None and not self._stream_type(state, out):
            return
        if state.kind in (StreamType.QPACK_ENCODER, StreamType.QPACK_DECODER):
            if state.buffer:
                raw = bytes(state.buffer)
                state.buffer.clear()
                self._add(state, out, Frame(sent=state.sent, type="(QPACK)", stream=state.stream,
                                            length=len(raw), data=raw, raw=raw))
        elif state.kind in (None, StreamType.CONTROL, StreamType.PUSH):
            self._frames(state, out)
        elif state.buffer:  # a stream type the view does not know: shown as bytes
            raw = bytes(state.buffer)
            state.buffer.clear()
            self._add(state, out, Frame(sent=state.sent, type="(bytes)", stream=state.stream,
                                        length=len(raw), data=raw, raw=raw))
        if chunk.fin and state.last is not None:
            out[state.last] = replace(out[state.last], flags=(*out[state.last].flags, "FIN"))

    def _add(self, state: _H3Stream, out: list[Frame], frame: Frame) -> None:
        state.last = len(out)
        out.append(frame)

    def _stream_type(self, state: _H3Stream, out: list[Frame]) -> bool:
        buf = Buffer(data=bytes(state.buffer))
        try:
            kind = buf.pull_uint_var()
        except BufferReadError:
            return False
        raw = bytes(state.buffer[: buf.tell()])
        del state.buffer[: buf.tell()]
        state.kind = kind
        name = _STREAM_TYPES.get(kind, _h3_name(kind).replace("0x", "type 0x"))
        self._add(state, out, Frame(sent=state.sent, type="(stream type)", stream=state.stream,
                                    length=len(raw), raw=raw, note=f"{name} stream (0x{kind:x})"))
        return True

    def _frames(self, state: _H3Stream, out: list[Frame]) -> None:
        while state.buffer:
            buf = Buffer(data=bytes(state.buffer))
            try:
                kind = buf.pull_uint_var()
                length = buf.pull_uint_var()
            except BufferReadError:
                return
            start = buf.tell()
            if len(state.buffer) < start + length:
                return
            raw = bytes(state.buffer[: start + length])
            payload = raw[start:]
            del state.buffer[: start + length]
            self._add(state, out, self._frame(state, kind, length, payload, raw))

    def _frame(self, state: _H3Stream, kind: int, length: int, payload: bytes,
               raw: bytes) -> Frame:
        name = _h3_name(kind)
        fields: Headers = ()
        note = ""
        data = b""
        if kind == H3FrameType.HEADERS:
            try:
                _, pairs = self.qpack[state.sent].feed_header(state.stream, payload)
                fields = _fields(pairs)
            except (pylsqpack.DecompressionFailed, pylsqpack.StreamBlocked) as exc:
                note = f"QPACK error: {type(exc).__name__}"
        elif kind == H3FrameType.SETTINGS:
            try:
                note = _settings_note(parse_settings(payload), H3Setting)
            except (BufferReadError, H3ProtocolError) as exc:
                note = f"unreadable settings: {exc}"
        elif kind == H3FrameType.GOAWAY:
            try:
                note = f"id {Buffer(data=payload).pull_uint_var()}"
            except BufferReadError:
                note = "unreadable"
        else:
            data = payload
        return Frame(sent=state.sent, type=name, stream=state.stream, length=length,
                     fields=fields, data=data, note=note, raw=raw)


def decode_h3(items: Sequence[H3Item]) -> list[Frame]:
    """The HTTP/3 frames in ``items``, in order.

    Each item is a :class:`StreamChunk` to split into frames, or a
    :class:`Frame` already made (a QUIC event such as ``(RESET_STREAM)``),
    passed through in its place.
    """
    decoder = _H3Decoder()
    out: list[Frame] = []
    for item in items:
        if isinstance(item, Frame):
            out.append(item)
        else:
            decoder.feed(item, out)
    return out
