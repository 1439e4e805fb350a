"""Live tests of the wire view (``exchange`` and friends) against the embedded server.

The server's own record of each exchange is the witness: what ``exchange``
says it sent and received must be byte for byte what the server received and
sent.
"""

from __future__ import annotations

import dataclasses

import pytest
from rawhttp import SENTINEL, SENTINEL_BODY

from nocontent._checker import judge
from nocontent._server import Server
from nocontent._store import SEED
from nocontent._wire import (
    LocalProtocolError,
    build_request,
    conversation,
    exchange,
    exchange_twice,
    visible,
)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(own_server):
    """A server of this module's own: these tests read and clear its records."""
    return own_server


def test_exchange_returns_the_exact_bytes(fresh) -> None:
    url = fresh.url + "/docs/welcome"
    ex = exchange(url)
    (record,) = fresh.exchanges
    assert ex.request == build_request("GET", url) == record.received
    assert ex.received == record.sent
    assert ex.response.body == SEED["welcome"][0]
    assert (ex.status, ex.error, ex.leftover, ex.closed) == (200, None, b"", False)


def test_exchange_of_a_204_ends_at_the_empty_line(fresh) -> None:
    ex = exchange(fresh.url + "/status/204")
    assert ex.status == 204
    assert ex.received == ex.response.head == fresh.exchanges[-1].sent
    assert ex.received.endswith(b"\r\n\r\n")
    assert ex.leftover == b""


def test_exchange_sends_raw_bytes_as_given(fresh) -> None:
    raw = b"GET /status/204 HTTP/1.1\r\nHost: anything\r\nX-Odd:  spaced  \r\n\r\n"
    ex = exchange(fresh.url, raw=raw)
    assert ex.request == raw == fresh.exchanges[-1].received
    assert ex.status == 204


def test_exchange_of_a_put_sends_content_length(fresh) -> None:
    ex = exchange(fresh.url + "/docs/welcome", "PUT", [("Content-Type", "text/plain")], b"new")
    assert ex.status == 204
    assert b"\r\nContent-Length: 3\r\n\r\nnew" in ex.request
    assert fresh.app.store.get("welcome").body == b"new"


def test_leftover_holds_the_stray_body(fresh) -> None:
    ex = exchange(fresh.url + "/misbehave/body")
    assert ex.status == 204
    assert ex.received.endswith(b"Content-Length: 4\r\n\r\n")
    assert ex.leftover == b"null"
    assert ex.received + ex.leftover == fresh.exchanges[-1].sent


def test_leftover_holds_a_smuggled_response(fresh) -> None:
    ex = exchange(fresh.url + "/misbehave/smuggle")
    assert ex.status == 204
    assert ex.leftover.startswith(b"HTTP/1.1 200 OK\r\n")
    assert ex.leftover.endswith(b"\r\n\r\nEVIL!")


def test_exchange_twice_reads_the_second_answer_cleanly_after_a_good_204(fresh) -> None:
    first, second = exchange_twice(fresh.url + "/status/204", then=SENTINEL)
    assert (first.status, second.status) == (204, 200)
    assert second.response.body == SENTINEL_BODY
    assert [r.target for r in fresh.exchanges] == ["/status/204", SENTINEL]


def test_conversation_keeps_one_connection(fresh) -> None:
    targets = ["/status/201", "/status/204", "/status/304", SENTINEL]
    requests = [("GET", build_request("GET", fresh.url + target)) for target in targets]
    found = conversation(fresh.url, requests)
    assert [ex.status for ex in found] == [201, 204, 304, 200]
    assert all(ex.leftover == b"" for ex in found)
    assert [r.target for r in fresh.exchanges] == targets


# -- the visible rendering -------------------------------------------------------------------


def test_visible_shows_line_ends_of_a_real_reply(fresh) -> None:
    ex = exchange(fresh.url + "/status/204")
    lines = visible(ex.received).split("\n")
    assert lines[0] == "HTTP/1.1 204 No Content\\r\\n"
    assert lines[-2:] == ["\\r\\n", ""]
    assert all(line.endswith("\\r\\n") for line in lines[:-1])


def test_visible_shows_odd_bytes_stored_verbatim(fresh) -> None:
    odd = b"a\r\nb\nc\rd\te\x00\xff\x7f"
    assert exchange(fresh.url + "/docs/odd", "PUT", body=odd).status == 201
    got = exchange(fresh.url + "/docs/odd").response.body
    assert got == odd
    assert visible(got) == "a\\r\\n\nb\\n\nc\\rd\\te\\x00\\xff\\x7f"


def test_str_of_an_exchange_shows_what_was_left_on_the_connection(fresh) -> None:
    text = str(exchange(fresh.url + "/misbehave/body"))
    sent, rest = text.split("<<< received\n")
    assert sent.startswith(">>> sent\nGET /misbehave/body HTTP/1.1\\r\\n\n")
    received, left = rest.split("... left on the connection\n")
    assert received.startswith("HTTP/1.1 204 No Content\\r\\n\n")
    assert "Content-Length: 4\\r\\n\n" in received
    assert left == "null"


# -- requests refused before anything is sent --------------------------------------------------

REFUSED = {
    # id: (method, headers, words the reason contains)
    "method-with-space": ("GE T", (), "space"),
    "method-empty": ("", (), "empty"),
    "method-with-crlf": ("GET\r\n", (), "not allowed"),
    "method-non-ascii": ("GÉT", (), "non-ASCII"),
    "name-with-space": ("GET", (("X Bad", "v"),), "space"),
    "name-with-colon": ("GET", (("X:Bad", "v"),), "colon"),
    "name-non-ascii": ("GET", (("X-Naïve", "v"),), "non-ASCII"),
    "name-empty": ("GET", (("", "v"),), "empty"),
    "value-with-crlf": ("GET", (("X-Inject", "a\r\nEvil: 1"),), "line break"),
    "value-with-lf": ("GET", (("X-Inject", "a\nb"),), "line break"),
    "value-with-cr": ("GET", (("X-Inject", "a\rb"),), "line break"),
    "value-with-nul": ("GET", (("X-Nul", "a\x00b"),), "control"),
    "value-non-ascii": ("GET", (("X-Name", "café"),), "non-ASCII"),
    "value-non-latin1": ("GET", (("X-Name", "€"),), "non-ASCII"),
}


@pytest.mark.parametrize(("method", "headers", "reason"), REFUSED.values(), ids=list(REFUSED))
def test_invalid_request_is_refused_and_nothing_is_sent(fresh, method, headers, reason):
    before = len(fresh.exchanges)
    with pytest.raises(LocalProtocolError, match=reason):
        exchange(fresh.url + "/status/204", method, headers)
    with pytest.raises(LocalProtocolError, match=reason):
        exchange_twice(fresh.url + "/status/204", method, headers)
    assert len(fresh.exchanges) == before
    # Nothing was half-sent either: the server still answers the next request cleanly.
    assert exchange(fresh.url + "/status/204").status == 204


def test_refusal_names_the_first_bad_field_only(fresh) -> None:
    headers = [("X-Good", "ok"), ("X-Bad", "a\nb"), ("X-Also-Bad", "c\nd")]
    with pytest.raises(LocalProtocolError) as caught:
        build_request("GET", fresh.url + "/", headers)
    message = str(caught.value)
    assert message.startswith("X-Bad: ")
    assert "X-Good" not in message and "X-Also-Bad" not in message


@pytest.mark.parametrize("path", ["/a b", "/caf\u00e9", "/\u20ac"])
def test_request_target_with_space_or_non_ascii_is_refused(fresh, path) -> None:
    with pytest.raises(LocalProtocolError, match="percent-encode"):
        exchange(fresh.url + path)
    assert len(fresh.exchanges) == 0


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(LocalProtocolError, match="http://"):
        exchange("https://127.0.0.1:1/")


def test_connection_refused_propagates_as_oserror() -> None:
    """Documented behaviour: nothing listens, so ``exchange`` raises ConnectionRefusedError.

    It comes straight from ``socket.create_connection``; no Exchange is returned.
    """
    with Server() as gone:
        url = gone.url + "/status/204"
    with pytest.raises(ConnectionRefusedError):
        exchange(url)
    with pytest.raises(OSError):
        exchange_twice(url)


# -- RFC 9112 §9.2 and §6.3: bytes that came before the request ---------------------------


def test_a_smuggled_response_read_as_the_next_answer_is_marked_unrequested(fresh) -> None:
    first, second = exchange_twice(fresh.url + "/misbehave/smuggle", then="/docs/welcome")
    assert first.early == 0 and not first.unrequested
    assert second.response.body == b"EVIL!"  # what a naive client takes as its answer
    assert second.early == len(second.received) and second.unrequested
    # The real answer to the second request arrives after it, as leftover.
    assert second.leftover.endswith(SEED["welcome"][0])
    assert judge(second).rule_ids == ("not-a-response",)
    assert "204-content" in judge(first).rule_ids  # the server's fault, on the 204


def test_late_stray_bytes_arrive_after_the_next_request_and_cannot_be_told(fresh) -> None:
    first, second = exchange_twice(fresh.url + "/misbehave/body-late", then="/docs/welcome")
    assert first.leftover == b"" and second.early == 0  # nothing was there when it went out
    assert second.response is None and "nullHTTP/1.1" in second.error


def test_stray_bytes_waiting_on_an_idle_connection_count_as_early(fresh) -> None:
    first, second = exchange_twice(fresh.url + "/misbehave/body-late", then="/docs/welcome",
                                   pause=0.6)
    assert first.leftover == b"null"
    assert second.early == 4 and second.response is None


def test_a_pipelined_answer_is_neither_unrequested_nor_stray(fresh) -> None:
    single = build_request("GET", fresh.url + "/status/200")
    both = single + build_request("GET", fresh.url + "/status/204")
    ex = exchange(fresh.url, "GET", raw=both, grace=0.3)
    assert ex.status == 200 and ex.leftover.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert "extra-bytes" not in judge(ex).rule_ids  # it answers the second request
    alone = dataclasses.replace(ex, request=single)  # the same bytes after one request
    assert "extra-bytes" in judge(alone).rule_ids
    _, second = conversation(fresh.url, [("GET", both), ("GET", b"")])
    assert second.status == 204 and second.early == 0 and not second.unrequested
