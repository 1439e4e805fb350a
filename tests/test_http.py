"""Parsing and rendering HTTP/1.1 messages as bytes (nocontent._http), no sockets."""

from __future__ import annotations

import pytest

from nocontent._http import (
    MAX_BODY,
    RemoteProtocolError,
    Response,
    field_value_problem,
    parse_chunked,
    parse_request_head,
    parse_response,
    render_as_written,
    render_request,
    render_response,
    request_body_length,
    split_head,
    token_problem,
)
from nocontent._wire import LocalProtocolError, build_request

# -- parse_response ------------------------------------------------------------------

HEAD_204 = b"HTTP/1.1 204 No Content\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\n"

# (name, bytes, method, status, body, bytes left after the response)
RESPONSES = [
    ("clean 204", HEAD_204 + b"\r\n", "GET", 204, b"", b""),
    # RFC 9112 §6.3 rule 1: a 204 ends at the empty line whatever the fields say,
    # so the declared body stays on the wire as the start of the next message.
    ("204 with CL and body", HEAD_204 + b"Content-Length: 4\r\n\r\nnull", "GET", 204, b"", b"null"),
    ("204 with CL 0", HEAD_204 + b"Content-Length: 0\r\n\r\n", "GET", 204, b"", b""),
    (
        "204 with TE chunked",
        HEAD_204 + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "DELETE",
        204,
        b"",
        b"0\r\n\r\n",
    ),
    (
        "204 then a smuggled response",
        HEAD_204 + b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!",
        "GET",
        204,
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!",
    ),
    (
        "HEAD keeps CL, takes no body",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HEAD",
        200,
        b"",
        b"hello",
    ),
    (
        "304 with CL",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
        "GET",
        304,
        b"",
        b"",
    ),
    (
        "100 Continue",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
        "PUT",
        100,
        b"",
        b"HTTP/1.1 200 OK\r\n",
    ),
    (
        "200 with CL and a spare byte",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok!",
        "GET",
        200,
        b"ok",
        b"!",
    ),
    (
        "chunked with extension and trailers",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nChecksum: 1\r\nX-B: 2\r\n\r\nNEXT",
        "GET",
        200,
        b"abcde",
        b"NEXT",
    ),
    (
        "205 with CL 0",
        b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n",
        "POST",
        205,
        b"",
        b"",
    ),
]


@pytest.mark.parametrize(
    ("raw", "method", "status", "body", "left"),
    [case[1:] for case in RESPONSES],
    ids=[case[0] for case in RESPONSES],
)
def test_parse_response(raw: bytes, method: str, status: int, body: bytes, left: bytes) -> None:
    parsed = parse_response(raw, method)
    assert parsed is not None
    response, used = parsed
    assert response.status == status
    assert response.body == body
    assert raw[used:] == left
    assert response.raw == raw[:used]
    assert response.head.endswith(b"\r\n\r\n")


def test_chunked_trailers_are_kept_apart_from_headers() -> None:
    raw = RESPONSES[9][1]
    parsed = parse_response(raw, "GET")
    assert parsed is not None
    response = parsed[0]
    assert response.framing == "chunked"
    assert response.trailers == (("Checksum", "1"), ("X-B", "2"))
    assert response.header("checksum") is None


def test_read_until_close_needs_eof() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    assert parse_response(raw, "GET") is None
    parsed = parse_response(raw, "GET", eof=True)
    assert parsed is not None
    assert parsed[0].body == b"all of it"
    assert parsed[0].framing == "read until the connection closed"
    assert parsed[1] == len(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"HTTP/1.1 204 No Content\r\nDate: x\r\n",  # no empty line yet
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTrailer: x\r\n",
    ],
    ids=["nothing", "head unfinished", "content short", "chunk short", "trailers unfinished"],
)
def test_incomplete_input_returns_none(raw: bytes) -> None:
    assert parse_response(raw, "GET") is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"HTTP/1.1 OK\r\n\r\n", "illegal status line"),
        (b"nullHTTP/1.1 200 OK\r\n\r\n", "illegal status line"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "invalid Content-Length",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        # Latin-1 superscript two passes str.isdigit(); it must still be refused cleanly.
        (b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nxx", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "without a colon"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"),
    ],
)
def test_malformed_responses_raise(raw: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        parse_response(raw, "GET")


def test_close_inside_the_header_section_raises() -> None:
    with pytest.raises(RemoteProtocolError, match="header section"):
        parse_response(b"HTTP/1.1 200 OK\r\nDate:", "GET", eof=True)
    assert parse_response(b"", "GET", eof=True) is None


def test_close_before_the_declared_length_raises() -> None:
    with pytest.raises(RemoteProtocolError, match="after 2 of 5 bytes"):
        parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "GET", eof=True)


def test_parse_chunked_alone() -> None:
    assert parse_chunked(b"4\r\nWiki\r\n0\r\n\r\n") == (b"Wiki", (), 14)
    assert parse_chunked(b"4\r\nWiki\r\n0\r\n") is None
    with pytest.raises(RemoteProtocolError) as caught:
        parse_chunked(b"10\r\n", limit=8)
    assert caught.value.status_hint == 413
    with pytest.raises(RemoteProtocolError, match="not followed by CRLF"):
        parse_chunked(b"2\r\nabXY")


# -- parse_request_head and request_body_length ----------------------------------------


def test_parse_request_head() -> None:
    head = b"PUT /docs/a?x=1 HTTP/1.1\r\nHost: h\r\nX-A:  spaced  \r\nX-A: two\r\n\r\n"
    method, target, version, headers = parse_request_head(head)
    assert (method, target, version) == ("PUT", "/docs/a?x=1", "HTTP/1.1")
    assert headers == (("Host", "h"), ("X-A", "spaced"), ("X-A", "two"))


def test_http_1_0_needs_no_host() -> None:
    assert parse_request_head(b"GET / HTTP/1.0\r\n\r\n")[3] == ()


@pytest.mark.parametrize(
    ("head", "message", "status"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", "exactly one Host", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "exactly one Host", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", "obsolete line folding", 400),
        (b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", "contains a space", 400),
        (b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n", "invalid method", 400),
        (b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", "malformed request line", 400),
        (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", "unsupported version", 505),
        # Regressions: these were accepted.
        (b"GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", "control character", 400),
        (b"GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n", "control character", 400),
        (b"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", "control character", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", "invalid character", 400),
        (b"GET / HTTP/1.1\r\nHost: h\n\r\n\r\n", "invalid character", 400),
        (b"GET / HTTP/1.0\r\r\n\r\n", "malformed request line", 400),
        (b"PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0", 400),
    ],
    ids=[
        "no host",
        "two hosts",
        "obs-fold",
        "space before colon",
        "bad method",
        "bad line",
        "version",
        "bare CR in target",
        "NUL in target",
        "tab in target",
        "bare CR ending the last field",
        "bare LF ending the last field",
        "bare CR ending the request line",
        "TE in HTTP/1.0",
    ],
)
def test_parse_request_head_errors(head: bytes, message: str, status: int) -> None:
    with pytest.raises(RemoteProtocolError, match=message) as caught:
        parse_request_head(head)
    assert caught.value.status_hint == status


@pytest.mark.parametrize(
    ("headers", "length"),
    [
        ((), 0),
        ((("Content-Length", "12"),), 12),
        ((("Transfer-Encoding", "chunked"),), None),
        ((("Transfer-Encoding", "Chunked "),), None),
        # Regression: these were 400 and 501; RFC 9110 §5.6.1.2 ignores empty list elements.
        ((("Transfer-Encoding", "chunked,"),), None),
        ((("Transfer-Encoding", ",chunked"),), None),
        ((("Transfer-Encoding", " , chunked , "),), None),
        ((("Content-Length", str(MAX_BODY)),), MAX_BODY),
    ],
)
def test_request_body_length(headers: tuple[tuple[str, str], ...], length: int | None) -> None:
    assert request_body_length(headers) == length


@pytest.mark.parametrize(
    ("headers", "message", "status"),
    [
        ((("Content-Length", "3"), ("Transfer-Encoding", "chunked")), "both", 400),
        ((("Content-Length", "3"), ("Content-Length", "3")), "more than one", 400),
        ((("Content-Length", "3x"),), "invalid Content-Length", 400),
        ((("Content-Length", "-1"),), "invalid Content-Length", 400),
        ((("Content-Length", "\xb2"),), "invalid Content-Length", 400),
        ((("Content-Length", str(MAX_BODY + 1)),), "exceeds", 413),
        ((("Transfer-Encoding", "gzip, chunked"),), "unsupported transfer coding", 501),
        ((("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")),
         "unsupported transfer coding", 501),
        # Regression: chunked not last was 501; RFC 9112 §6.3 says 400 (length unknown).
        ((("Transfer-Encoding", "gzip"),), "chunked is not the final", 400),
        ((("Transfer-Encoding", "chunked, identity"),), "chunked is not the final", 400),
        ((("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "gzip")),
         "chunked is not the final", 400),
        ((("Transfer-Encoding", ", ,"),), "chunked is not the final", 400),
        ((("Content-Length", "+3"),), "invalid Content-Length", 400),
        # Regression, found by tests/test_fuzz.py: these were read as chunked.
        ((("Transfer-Encoding", "\x0bchunked"),), "chunked is not the final", 400),
        ((("Transfer-Encoding", "chunked\x85"),), "chunked is not the final", 400),
        ((("Transfer-Encoding", "\xa0chunked"),), "chunked is not the final", 400),
    ],
    ids=[
        "CL and TE",
        "duplicate CL",
        "bad CL",
        "negative CL",
        "superscript CL",
        "too big",
        "gzip chunked",
        "chunked twice",
        "gzip",
        "chunked identity",
        "chunked then gzip",
        "only empty elements",
        "plus CL",
        "VT before chunked",
        "NEL after chunked",
        "NBSP before chunked",
    ],
)
def test_request_body_length_errors(
    headers: tuple[tuple[str, str], ...], message: str, status: int
) -> None:
    with pytest.raises(RemoteProtocolError, match=message) as caught:
        request_body_length(headers)
    assert caught.value.status_hint == status


# -- render_response -------------------------------------------------------------------


def _render(status: int, method: str, body: bytes = b"", headers=()) -> bytes:
    return render_response(Response(status=status, headers=headers, body=body), method)


def test_204_drops_body_and_framing_fields() -> None:
    handler = (("ETag", '"v2"'), ("Content-Length", "4"), ("Transfer-Encoding", "chunked"))
    assert _render(204, "PUT", b"null", handler) == b'HTTP/1.1 204 No Content\r\nETag: "v2"\r\n\r\n'


def test_head_declares_gets_length_with_no_body() -> None:
    get = _render(200, "GET", b"hello")
    head = _render(200, "HEAD", b"hello")
    assert get == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    assert head == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


def test_205_gets_content_length_zero_and_no_body() -> None:
    assert _render(205, "POST", b"x") == b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n"


def test_head_to_205_declares_the_zero_get_would_have() -> None:
    # RFC 9110 §8.6: a Content-Length on a reply to HEAD equals what GET would send.
    assert _render(205, "HEAD", b"abc") == _render(205, "GET", b"abc")


def test_304_and_1xx_get_no_content_length() -> None:
    assert _render(304, "GET", b"x", (("ETag", '"a"'),)) == (
        b'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n'
    )
    assert _render(103, "GET", b"x") == b"HTTP/1.1 103 Early Hints\r\n\r\n"


def test_unregistered_status_has_an_empty_reason() -> None:
    assert _render(299, "GET").startswith(b"HTTP/1.1 299 \r\n")


def test_render_request_keeps_fields_as_given() -> None:
    raw = render_request("POST", "/b", (("Host", "h"), ("x-a", "1"), ("X-A", "2")), b"hi")
    assert raw == b"POST /b HTTP/1.1\r\nHost: h\r\nx-a: 1\r\nX-A: 2\r\n\r\nhi"


# -- split_head ------------------------------------------------------------------------


def test_split_head() -> None:
    assert split_head(b"GET / HTTP/1.1\r\nHost: h\r\n\r\nBODY") == 27
    assert split_head(b"GET / HTTP/1.1\r\nHost: h\r\n") is None
    with pytest.raises(RemoteProtocolError) as caught:
        split_head(b"x" * 101, limit=100)
    assert caught.value.status_hint == 431


# -- token_problem and field_value_problem ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("GET", None),
        ("X-Custom_1.2~", None),
        ("", "method is empty"),
        ("GE T", "method 'GE T' contains a space; a token has no spaces"),
        ("Host:", "method 'Host:' contains a colon, which ends a field name"),
        ("Gét", "method 'Gét' contains non-ASCII character 'é'"),
        ("G@T", "method 'G@T' contains '@', which is not allowed in a token"),
    ],
)
def test_token_problem(text: str, problem: str | None) -> None:
    assert token_problem("method", text) == problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("text/plain; charset=utf-8", None),
        ("a\tb", None),
        ("", None),
        ("a\r\nInjected: 1", "a line break (CR or LF)"),
        ("a\nb", "a line break (CR or LF)"),
        ("a\x00b", "the control character '\\x00'"),
        ("a\x7fb", "the control character '\\x7f'"),
        ("café", "non-ASCII character 'é'"),
    ],
)
def test_field_value_problem(value: str, problem: str | None) -> None:
    found = field_value_problem(value)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


# -- build_request (nocontent._wire): request bytes, refused before anything is sent ------


def test_build_request_adds_host_and_content_length() -> None:
    raw = build_request("PUT", "http://127.0.0.1:8080/docs/a?x=1", [("X-A", "1")], b"hi")
    assert raw == (
        b"PUT /docs/a?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi"
    )


def test_build_request_brackets_an_ipv6_host() -> None:
    assert b"\r\nHost: [::1]:8080\r\n" in build_request("GET", "http://[::1]:8080/")


@pytest.mark.parametrize(
    ("method", "url", "headers", "message"),
    [
        ("G T", "http://h/", [], "method 'G T' contains a space"),
        ("GET", "https://h/", [], "expected an http:// URL"),
        ("GET", "http://h/a b", [], "request target '/a b'"),
        ("GET", "http://h/", [("Bad Name", "x")], "field name 'Bad Name'"),
        # The field named in the message is the one at fault, not a later one.
        ("GET", "http://h/", [("X", "a\r\nb"), ("Y", "ok")], "^X: the value contains a line"),
        ("GET", "http://h/", [("Y", "ok"), ("Z", "\x01")], "^Z: the value contains the control"),
    ],
)
def test_build_request_refuses(method: str, url: str, headers: list, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        build_request(method, url, headers)


# -- a handler's own reason phrase (sent as written) -------------------------------------


def test_a_handler_sent_as_written_may_choose_its_reason_phrase() -> None:
    assert render_as_written(Response(status=204, reason="Nothing Here")).startswith(
        b"HTTP/1.1 204 Nothing Here\r\n")
    assert render_as_written(Response(status=204, reason="")).startswith(b"HTTP/1.1 204 \r\n")
    assert render_as_written(Response(status=204)).startswith(b"HTTP/1.1 204 No Content\r\n")


@pytest.mark.parametrize("reason", ["OK\r\nX-Forged: 1", "line\nbreak", "nul\x00"])
def test_a_reason_phrase_that_would_split_the_status_line_is_refused(reason: str) -> None:
    with pytest.raises(ValueError, match="reason phrase"):
        render_as_written(Response(status=204, reason=reason))


def test_the_compliant_server_always_sends_the_registered_phrase() -> None:
    assert render_response(Response(status=204, reason="Nothing Here"), "GET").startswith(
        b"HTTP/1.1 204 No Content\r\n")
