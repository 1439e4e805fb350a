"""The checker's HTTP/2 and HTTP/3 checks, judged on the frames of one :class:`FrameExchange`.

Pure: each check looks at the frames and the response read from them, and
yields ``(rule id, evidence)``. The rules themselves (level, message, RFC
section) live with the others in :data:`nocontent.RULES`; the checks that do
not depend on the version (Date, caching, PUT validators, empty 200) are
shared with HTTP/1.1 in :mod:`nocontent._checker`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ._frame_reply import CONNECTION_SPECIFIC
from ._frames import Frame, FrameExchange
from ._http import Headers, WireResponse

__all__ = ["FRAME_CHECKS"]

FrameCheck = Callable[[FrameExchange, WireResponse], Iterator[tuple[str, str]]]


def _response_frames(ex: FrameExchange) -> list[Frame]:
    """The frames the server sent on the request's stream, from the final header section on."""
    mine = [f for f in ex.frames if not f.sent and f.stream == ex.stream]
    heads = [i for i, f in enumerate(mine)
             if f.type == "HEADERS" and not any(v.startswith("1") and len(v) == 3
                                               for n, v in f.fields if n == ":status")]
    return mine[heads[0]:] if heads else []


def _named(ex: FrameExchange) -> str:
    return f"HTTP/{ex.version}"


def _204_data(ex: FrameExchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """DATA frames carrying content after a 204's HEADERS frame."""
    if response.status != 204:
        return
    data = [f for f in _response_frames(ex) if f.type == "DATA" and f.data]
    if not data:
        return
    total = sum(len(f.data) for f in data)
    shown = b"".join(f.data for f in data)[:60]
    frames = "1 DATA frame" if len(data) == 1 else f"{len(data)} DATA frames"
    detail = (f"{frames} with {total} bytes of content after the 204's HEADERS frame, "
              f"which has no END_STREAM: {shown!r}")
    if ex.version == 2:
        detail += ("; a client MUST treat the response as malformed, a stream error of type "
                   "PROTOCOL_ERROR (RFC 9113 §8.1.1), and MUST NOT accept it")
    else:
        detail += ("; in HTTP/3 content is 'sent as a series of DATA frames' (RFC 9114 §4.1), "
                   "and a 204 cannot contain any")
    yield "204-data", detail


def _204_trailers(ex: FrameExchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    if response.status == 204 and response.trailers:
        lines = " | ".join(f"{name}: {value}" for name, value in response.trailers)
        yield "204-trailers", f"a trailer section after the 204's header section: {lines}"


def _content_length(ex: FrameExchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """content-length on a 204: forbidden to send (RFC 9110 §8.6), yet not malformed."""
    if response.status != 204:
        return
    values = [value for name, value in response.headers if name.lower() == "content-length"]
    if not values:
        return
    lines = " | ".join(f"content-length: {value}" for value in values)
    yield "204-content-length", (f"{lines} (the MUST NOT binds a server in every HTTP version; "
                                 "RFC 9110 is HTTP's semantics)")
    if any(value.strip() not in ("", "0") for value in values):
        section = "RFC 9113 §8.1.1" if ex.version == 2 else "RFC 9114 §4.1.2"
        yield "204-content-length-tolerated", (
            f"{lines} with no content: not malformed in {_named(ex)} ({section}), though many "
            "clients refuse it (notebook 05); a gateway that copied it into an HTTP/1.1 204 "
            "would break RFC 9110 §8.6, and an HTTP/1.1 recipient that trusted it would wait "
            "for bytes that never come")


def _all_fields(response: WireResponse) -> Headers:
    return (*response.headers, *response.trailers)


def _connection_specific(ex: FrameExchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    found = [f"{name}: {value}" for name, value in _all_fields(response)
             if name.lower() in CONNECTION_SPECIFIC]
    if found:
        yield "connection-specific-field", (
            f"{' | '.join(found)} in an {_named(ex)} response, which a client MUST treat as "
            "malformed")


def _uppercase(ex: FrameExchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    found = [name for name, _ in _all_fields(response) if name != name.lower()]
    if found:
        yield "uppercase-field-name", (
            f"field name{'s' if len(found) > 1 else ''} {', '.join(repr(n) for n in found)} in "
            f"an {_named(ex)} response: names are sent in lowercase, and a message with an "
            "uppercase one is malformed")


FRAME_CHECKS: tuple[FrameCheck, ...] = (
    _204_data,
    _204_trailers,
    _content_length,
    _connection_specific,
    _uppercase,
)
"""The HTTP/2 and HTTP/3 checks, in the order they run."""
