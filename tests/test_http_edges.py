"""Regression tests for HTTP/1.1 edges that third-party tools found in the embedded server.

REDbot, smuggler.py and the http-garden payloads each sent something the server
mishandled: a head ending in a bare LF went unanswered, an absolute-form target got
404, invalid targets and Host values reached the routes, ``Transfer-Encoding:
,chunked`` got 501, and ``/cache/heuristic`` needed its validator kept still. Each
test is named after what it fixes and reads the answer off a raw socket.
"""

from __future__ import annotations

import socket

import pytest
from rawhttp import SENTINEL_BODY, Connection, ask, phrase, request, sentinel

from nocontent._app import App
from nocontent._http import Request, Response
from nocontent._server import Server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server():
    """A private server: these tests write documents and read the records."""
    with Server() as running:
        yield running


def refused(server, data: bytes, *, half_close: bool = False):
    """Send ``data``, read one answer, and check the server closed after it.

    Without ``half_close`` the client stays silent and connected, as a client
    waiting for an answer does: a server that waits for more bytes instead of
    answering makes the read time out (rawhttp.TIMEOUT, shorter than the server's
    own read timeout), and the test fails.
    """
    with Connection(server) as conn:
        conn.send(data)
        if half_close:
            conn.sock.shutdown(socket.SHUT_WR)
        reply = conn.read_response()
        assert conn.read_to_eof() == b"", "the server answered, then sent more"
    assert "close" in reply.tokens("connection")
    assert reply.values("content-length") == [str(len(reply.body))]
    return reply


def assert_still_serving(server) -> None:
    assert ask(server, "GET", "/status/204").status == 204


# -- a bare LF: RFC 9112 §2.2 ---------------------------------------------------------------

BARE_LF_HEADS = {
    "every line": b"GET /status/204 HTTP/1.1\nHost: edge\n\n",
    "the empty line": b"GET /status/204 HTTP/1.1\r\nHost: edge\r\n\n",
    "the last field": b"GET /status/204 HTTP/1.1\r\nHost: edge\n\r\n",
    "the request line": b"GET /status/204 HTTP/1.1\nHost: edge\r\n\r\n",
}


@pytest.mark.parametrize("head", BARE_LF_HEADS.values(), ids=list(BARE_LF_HEADS))
def test_a_head_ending_lines_with_a_bare_lf_gets_400_and_a_close_not_silence(server, head):
    # RFC 9112 §2.2: a recipient "MAY recognize a single LF as a line terminator"; one that
    # does not "SHOULD respond with a 400 (Bad Request) response and close the connection".
    # It used to wait for a CRLF CRLF that never came, answering nothing for 10 s.
    server.exchanges.clear()
    reply = refused(server, head)
    assert reply.status_line == "HTTP/1.1 400 Bad Request"
    assert b"bare LF" in reply.body
    assert [(r.method, r.status) for r in server.exchanges] == [("", 400)]
    assert_still_serving(server)


@pytest.mark.parametrize(
    "chunks",
    [b"4\nnull\r\n0\r\n\r\n", b"4\r\nnull\r\n0\n\n", b"4\r\nnull\r\n0\r\nX-Sum: 1\n\n",
     b"4\r\nnull\n"],
    ids=["size line", "last chunk", "trailer", "after the data"],
)
def test_chunked_content_with_a_bare_lf_gets_400_not_silence(server, chunks):
    head = request("PUT", "/docs/bare-lf", [("Transfer-Encoding", "chunked")])
    reply = refused(server, head + chunks)
    assert reply.status == 400
    assert ask(server, "GET", "/docs/bare-lf").status == 404  # nothing was stored


def test_a_bare_lf_is_refused_even_when_the_client_says_no_more(server):
    # The same answer when the client half-closes: the 400 comes before the close.
    reply = refused(server, b"GET /status/204 HTTP/1.1\nHost: edge\n\n", half_close=True)
    assert reply.status == 400


# -- the absolute-form: RFC 9112 §3.2.2 -----------------------------------------------------


def test_an_absolute_form_target_is_routed_by_its_path_not_404(server):
    # RFC 9112 §3.2.2: "A server MUST accept the absolute-form in requests". It was 404.
    base = f"http://127.0.0.1:{server.port}"
    origin = ask(server, "GET", "/docs/welcome")
    absolute = ask(server, "GET", f"{base}/docs/welcome", host=f"127.0.0.1:{server.port}")
    assert absolute.status == origin.status == 200
    assert absolute.body == origin.body
    assert absolute.get("etag") == origin.get("etag")


def test_an_absolute_form_put_and_delete_act_where_the_path_says(server):
    put = ask(server, "PUT", "http://edge.example/docs/absolute", [("Content-Type", "text/plain")],
              b"written through the absolute-form", host="edge.example")
    assert put.status == 201
    assert put.get("location") == "/docs/absolute"
    read = ask(server, "GET", "/docs/absolute")
    assert (read.status, read.body) == (200, b"written through the absolute-form")
    # Scheme and host in any case (RFC 9110 §4.2.3); ask() pipelines a sentinel behind the
    # 204, so a byte after its empty line would fail here.
    gone = ask(server, "DELETE", "HTTP://Edge.Example/docs/absolute?q=1", host="edge.example")
    assert gone.status == 204 and gone.get("content-length") is None
    assert ask(server, "GET", "/docs/absolute").status == 404


def test_an_absolute_form_uses_its_own_authority_not_the_host_field(server):
    # RFC 9112 §3.2.2: the origin server "MUST ignore the received Host header field (if
    # any) and instead use the host information of the request-target". Host must still
    # be there and valid (§3.2), but a different one changes nothing.
    reply = ask(server, "GET", "http://edge.example/status/204", host="elsewhere.example")
    assert reply.status == 204


def test_an_absolute_form_with_an_empty_path_is_the_root(server):
    # RFC 9110 §4.2.3: "an empty path component is equivalent to an absolute path of "/"".
    reply = ask(server, "GET", "http://edge.example")
    assert reply.status == 200
    assert reply.body == ask(server, "GET", "/").body


def test_an_absolute_form_without_a_host_field_is_still_400(server):
    reply = refused(server, request("GET", "http://edge.example/status/204", host=None))
    assert reply.status == 400


@pytest.mark.parametrize("target", ["https://edge.example/status/204", "ftp://edge.example/x",
                                    "urn:isbn:0451450523"])
def test_an_absolute_form_of_another_scheme_is_421_not_served(server, target):
    # RFC 9110 §7.4: an origin server "MUST reject a request if any scheme-specific
    # requirements for the target URI are not met"; an https one needs TLS.
    reply = ask(server, "GET", target)
    assert reply.status_line == "HTTP/1.1 421 Misdirected Request"


# -- invalid request targets: RFC 9112 §3.2, RFC 3986 ---------------------------------------

INVALID_TARGETS = {
    "non-ASCII byte": b"/caf\xe9",
    "UTF-8 bytes": "/caf\u00e9".encode(),
    "double quote": b'/a"b',
    "less-than": b"/a<b>",
    "brace": b"/a{b}",
    "fragment": b"/docs/welcome#top",
    "backslash": b"/a\\b",
    "bad percent": b"/a%zz",
    "brace in the query": b"/status/204?q={}",
    "userinfo": b"http://user@edge.example/status/204",
    "empty host": b"http:///status/204",
    "asterisk with GET": b"*",
    "scheme without //": b"http:/status/204",
}


@pytest.mark.parametrize("target", INVALID_TARGETS.values(), ids=list(INVALID_TARGETS))
def test_an_invalid_request_target_gets_400_and_never_reaches_a_route(server, target):
    # RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a
    # 400 (Bad Request) error or a 301"; they used to reach the routes (404, or 200).
    server.exchanges.clear()
    data = b"GET " + target + b" HTTP/1.1\r\nHost: edge\r\n\r\n"
    reply = refused(server, data)
    assert reply.status_line == "HTTP/1.1 400 Bad Request"
    assert [(r.method, r.status) for r in server.exchanges] == [("", 400)]


VALID_TARGETS = {
    # RFC 3986 §2.2: sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";"
    # / "=", all legal in a path segment and a query, as are ":" and "@" (pchar, §3.3), and
    # "/" and "?" in a query (§3.4).
    "sub-delims in the query": "/status/204?a=!&b=$'()*+,;:@/?",
    "percent-encoded brace": "/status/204?q=%7B%7D",
    "percent-encoded fragment sign": "/status/204?q=%23",
}


@pytest.mark.parametrize("target", VALID_TARGETS.values(), ids=list(VALID_TARGETS))
def test_characters_rfc_3986_allows_in_a_query_still_reach_the_routes(server, target):
    assert ask(server, "GET", target).status == 204


def test_sub_delims_in_a_path_reach_the_route_they_name(server):
    # "!" is among the characters the tools sent; RFC 3986 allows it in a path, so a
    # handler mounted at such a path answers instead of a 400.
    path = "/edge/!$&'()*+,;=:@"
    server.mount(path, lambda request: Response(status=204))
    try:
        assert ask(server, "GET", path).status == 204
    finally:
        server.unmount(path)


# -- invalid Host values: RFC 9112 §3.2, RFC 9110 §7.2 --------------------------------------

INVALID_HOSTS = {
    "space": "a b",
    "userinfo": "a@b",
    "unclosed IP literal": "[::1",
    "port over 65535": "edge:65536",
    "not an IPv6 address": "[::g]",
    "two colons": "a:1:2",
    "non-ASCII": "caf\u00e9",
}


@pytest.mark.parametrize("host", INVALID_HOSTS.values(), ids=list(INVALID_HOSTS))
def test_an_invalid_host_gets_400(server, host):
    # RFC 9112 §3.2: a server "MUST respond with a 400 (Bad Request) status code to ... any
    # request message that contains ... a Host header field with an invalid field value".
    server.exchanges.clear()
    reply = refused(server, request("GET", "/status/204", host=host))
    assert reply.status_line == "HTTP/1.1 400 Bad Request"
    assert [(r.method, r.status) for r in server.exchanges] == [("", 400)]


@pytest.mark.parametrize("host", ["", "edge", "127.0.0.1:8204", "[::1]", "[::1]:65535",
                                  "edge:", "xn--caf-dma.example", "a!b"])
def test_a_valid_host_is_served(server, host):
    # An empty Host is what RFC 9112 §3.2 asks for when the target URI has no authority.
    assert ask(server, "GET", "/status/204", host=host).status == 204


def test_two_host_fields_get_400_in_http_1_0_too(server):
    # RFC 9112 §3.2: "any request message that contains more than one Host header field
    # line"; an HTTP/1.0 request with two used to be served.
    data = b"GET /status/204 HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"
    assert refused(server, data).status == 400


# -- empty list elements in Transfer-Encoding: RFC 9110 §5.6.1.2 ----------------------------


@pytest.mark.parametrize("coding", [",chunked", "chunked,", " , chunked , ,"])
def test_empty_transfer_coding_elements_are_ignored_not_501(server, coding):
    # RFC 9110 §5.6.1.2: "A recipient MUST parse and ignore a reasonable number of empty
    # list elements". ",chunked" was 501, "chunked," was 400.
    body = b"4\r\nnull\r\n0\r\n\r\n"
    reply = ask(server, "POST", "/beacon", [("Transfer-Encoding", coding)], body)
    assert reply.status == 204
    assert server.app.beacons[-1].size == 4


def test_a_transfer_encoding_of_empty_elements_only_is_400(server):
    # No coding at all, so chunked is not the final one: RFC 9112 §6.3's 400 and close.
    data = request("POST", "/beacon", [("Transfer-Encoding", " , ")], b"0\r\n\r\n")
    assert refused(server, data).status == 400


def test_the_request_after_a_comma_led_chunked_body_is_read_on_its_boundary(server):
    # Read as chunked, the body ends at its last chunk and the sentinel after it is answered:
    # had the server read no body, "4" would have been taken for the next request line.
    with Connection(server) as conn:
        head = request("POST", "/beacon", [("Transfer-Encoding", ",chunked")])
        conn.send(head + b"4\r\nnull\r\n0\r\n\r\n" + sentinel())
        assert conn.read_response("POST").status == 204
        follow = conn.read_response()
        assert (follow.status, follow.body) == (200, SENTINEL_BODY)
        assert conn.read_to_eof() == b""


# -- /cache/heuristic: RFC 9110 §13.1.3, §13.2.2 --------------------------------------------


def heuristic(app: App, now: float, *fields: tuple[str, str]):
    return app.handle(Request(method="GET", target="/cache/heuristic",
                              headers=(("Host", "edge"), *fields)), now)


def test_cache_heuristic_keeps_one_last_modified_however_late_it_is_asked():
    # It used to date Last-Modified from each request's own time. Asked a day apart (no
    # sleeping: the route is called with two clocks), the date stays where it was.
    app = App()
    first = heuristic(app, 1_000_000_000.0).header("last-modified")
    later = heuristic(app, 1_000_086_400.0).header("last-modified")
    assert first == later is not None


def test_cache_heuristic_head_honours_if_modified_since_too(server):
    modified = ask(server, "GET", "/cache/heuristic").get("last-modified")
    reply = ask(server, "HEAD", "/cache/heuristic", [("If-Modified-Since", modified)])
    assert reply.status_line == f"HTTP/1.1 304 {phrase(304)}"


def test_cache_heuristic_ignores_if_modified_since_beside_if_none_match(server):
    # RFC 9110 §13.1.3: "A recipient MUST ignore If-Modified-Since if the request contains
    # an If-None-Match header field"; it used to answer 304 on the date alone.
    modified = ask(server, "GET", "/cache/heuristic").get("last-modified")
    fields = [("If-None-Match", '"some-other-tag"'), ("If-Modified-Since", modified)]
    assert ask(server, "GET", "/cache/heuristic", fields).status == 204


def test_cache_heuristic_ignores_an_if_modified_since_that_is_not_a_date(server):
    # RFC 9110 §13.1.3: ignored "if the received field value is not a valid HTTP-date".
    reply = ask(server, "GET", "/cache/heuristic", [("If-Modified-Since", "yesterday")])
    assert reply.status == 204
