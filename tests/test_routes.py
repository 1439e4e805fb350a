"""Live tests of the embedded server's routes, read off raw sockets.

Every reply is read with the strict reader in ``rawhttp``; most go through
``ask``, which pipelines a sentinel request in the same write and fails when
a single byte sits between the reply under test and the sentinel's reply.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import formatdate, parsedate_to_datetime

import pytest
from rawhttp import SENTINEL, SENTINEL_BODY, Connection, ask, phrase, request, sentinel

from nocontent._app import ROUTES, App
from nocontent._framing import may_carry_content
from nocontent._misbehave import KINDS, LATE, misbehave
from nocontent._store import SEED, etag_for
from nocontent._wire import exchange_twice

pytestmark = pytest.mark.live

WELCOME, WELCOME_TYPE = SEED["welcome"]
ORIGIN = "https://editor.example"
STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e]*"')  # RFC 9110 §8.8.3, no W/ prefix


@pytest.fixture(scope="module")
def server(own_server):
    """A server of this module's own: these tests change documents and beacons."""
    return own_server


def put(server, name: str, body: bytes, headers=(), content_type: str = "text/plain"):
    return ask(server, "PUT", f"/docs/{name}", [("Content-Type", content_type), *headers], body)


def lower_names(reply) -> set[str]:
    return {name.lower() for name, _ in reply.headers}


# -- the route table ------------------------------------------------------------------

EXAMPLES = {"name": "welcome", "code": "204", "n": "60", "kind": next(iter(KINDS))}


def documented() -> list[tuple[str, str]]:
    """(method, example target) for every method of every route in the index."""
    found = []
    for route, _ in ROUTES:
        methods, path = route.rsplit(" ", 1)
        for method in methods.split(", "):
            found.append(("GET" if method == "ANY" else method, path.format(**EXAMPLES)))
    return found


def test_every_route_is_in_the_index() -> None:
    """A route added to the app must be listed in ROUTES, which the next test walks."""
    targets = [target for _, target in documented()]
    for pattern, _ in App()._routes:
        assert any(pattern.fullmatch(target) for target in targets), pattern.pattern


WELL_BEHAVED = [pair for pair in documented() if not pair[1].startswith("/misbehave/")]


@pytest.mark.parametrize(("method", "target"), WELL_BEHAVED, ids=map(" ".join, WELL_BEHAVED))
def test_every_documented_route_answers_with_clean_framing(fresh, method, target) -> None:
    body = b"beacon or document" if method in ("PUT", "POST") else b""
    headers: tuple[tuple[str, str], ...] = ()
    if method == "PATCH":  # the example document is text; PATCH needs a JSON one
        target, headers, body = "/docs/settings", MERGE, b'{"theme": "dark"}'
    reply = ask(fresh, method, target, headers, body=body)
    assert 200 <= reply.status < 300, reply.raw
    assert reply.get("date") and reply.get("server")  # RFC 9110 §6.6.1, §10.2.4
    if reply.status == 204:
        assert not lower_names(reply) & {"content-length", "transfer-encoding"}


def test_the_index_lists_every_route(server) -> None:
    reply = ask(server, "GET", "/")
    assert reply.status == 200
    for route, _ in ROUTES:
        assert route.encode() in reply.body


# -- every 204 the compliant server sends -----------------------------------------------

CORS_PREFLIGHT = (
    ("Origin", ORIGIN),
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "content-type, if-match"),
)
NO_CONTENT = {
    # id: (method, target, headers, body, whether the target document must exist first)
    "put-replace": ("PUT", "/docs/draft", (("Content-Type", "text/plain"),), b"v2", True),
    "put-prefer-minimal": ("PUT", "/docs/draft", (("Prefer", "return=minimal"),), b"v2", True),
    "delete": ("DELETE", "/docs/draft", (), b"", True),
    "options": ("OPTIONS", "/docs/draft", (), b"", False),
    "cors-preflight": ("OPTIONS", "/docs/draft", CORS_PREFLIGHT, b"", False),
    "beacon": ("POST", "/beacon", (("Content-Type", "text/plain"),), b"ping", False),
    "status-204": ("GET", "/status/204", (), b"", False),
    "cache-heuristic": ("GET", "/cache/heuristic", (), b"", False),
    "cache-max-age": ("GET", "/cache/max-age/60", (), b"", False),
    "cache-no-store": ("GET", "/cache/no-store", (), b"", False),
    "head-status-204": ("HEAD", "/status/204", (), b"", False),
    "head-cache-heuristic": ("HEAD", "/cache/heuristic", (), b"", False),
}


def prepare(server, case) -> tuple[str, str, tuple, bytes]:
    method, target, headers, body, needs_doc = case
    server.reset()
    if needs_doc:
        assert put(server, "draft", b"v1").status in (201, 204)
    return method, target, headers, body


@pytest.mark.parametrize("case", NO_CONTENT.values(), ids=list(NO_CONTENT))
def test_204_ends_at_the_empty_line_pipelined_in_one_write(server, case) -> None:
    """RFC 9112 §6.3 rule 1, RFC 9110 §8.6, RFC 9112 §6.1: nothing after the header section."""
    method, target, headers, body = prepare(server, case)
    with Connection(server) as conn:
        conn.send(request(method, target, headers, body) + sentinel())
        data = conn.read_to_eof()
    end = data.index(b"\r\n\r\n") + 4
    head = data[:end].decode("latin-1")
    assert head.startswith("HTTP/1.1 204 No Content\r\n")
    names = {line.split(":", 1)[0].lower() for line in head.split("\r\n")[1:] if line}
    assert "content-length" not in names
    assert "transfer-encoding" not in names
    assert data[end:].startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.count(b"HTTP/1.1 ") == 2
    assert data.endswith(b"\r\n\r\n" + SENTINEL_BODY)


@pytest.mark.parametrize("case", NO_CONTENT.values(), ids=list(NO_CONTENT))
def test_204_leaves_nothing_for_the_next_exchange(server, case) -> None:
    method, target, headers, body = prepare(server, case)
    first, second = exchange_twice(server.url + target, method, headers, body, then=SENTINEL)
    assert first.status == 204, first
    assert first.response.header("content-length") is None
    assert first.response.header("transfer-encoding") is None
    assert first.received == first.response.head
    assert first.leftover == b""
    assert second.status == 200, second
    assert second.received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.response.body == SENTINEL_BODY


# -- /docs: reading --------------------------------------------------------------------


def test_get_document(fresh) -> None:
    reply = ask(fresh, "GET", "/docs/welcome")
    assert reply.status == 200
    assert reply.body == WELCOME
    assert reply.get("content-type") == WELCOME_TYPE
    assert reply.values("content-length") == [str(len(WELCOME))]
    assert STRONG_ETAG.fullmatch(reply.get("etag"))
    assert parsedate_to_datetime(reply.get("last-modified")).timestamp() <= time.time()


def test_head_document_has_the_get_fields_and_no_body(fresh) -> None:
    got = ask(fresh, "GET", "/docs/welcome")
    head = ask(fresh, "HEAD", "/docs/welcome")  # ask() fails if a body follows the head
    assert head.status == 200
    for name in ("content-type", "etag", "last-modified", "content-length"):
        assert head.get(name) == got.get(name), name
    assert head.get("content-length") == str(len(WELCOME))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_absent_document_is_404(fresh, method) -> None:
    assert ask(fresh, method, "/docs/nothing-here").status == 404


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match_with_the_current_etag_is_304(fresh, method) -> None:
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    reply = ask(fresh, method, "/docs/welcome", [("If-None-Match", f'"other", {etag}')])
    assert reply.status == 304  # and no body: ask() read the sentinel right after the head
    assert reply.get("etag") == etag
    assert reply.get("content-length") is None


def test_if_none_match_weak_form_of_the_etag_is_304(fresh) -> None:
    """RFC 9110 §13.1.2 uses the weak comparison."""
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    assert ask(fresh, "GET", "/docs/welcome", [("If-None-Match", "W/" + etag)]).status == 304


def test_if_none_match_star_is_304_for_get(fresh) -> None:
    assert ask(fresh, "GET", "/docs/welcome", [("If-None-Match", "*")]).status == 304


def test_if_none_match_with_another_etag_is_200(fresh) -> None:
    reply = ask(fresh, "GET", "/docs/welcome", [("If-None-Match", '"not-it"')])
    assert (reply.status, reply.body) == (200, WELCOME)


def test_if_modified_since_in_the_future_is_304(fresh) -> None:
    future = formatdate(time.time() + 3600, usegmt=True)
    assert ask(fresh, "GET", "/docs/welcome", [("If-Modified-Since", future)]).status == 304


def test_if_modified_since_long_ago_is_200(fresh) -> None:
    past = formatdate(time.time() - 30 * 24 * 3600, usegmt=True)
    reply = ask(fresh, "GET", "/docs/welcome", [("If-Modified-Since", past)])
    assert (reply.status, reply.body) == (200, WELCOME)


# -- /docs: writing --------------------------------------------------------------------


def test_put_new_document_is_201_with_location_and_etag(fresh) -> None:
    reply = put(fresh, "brand-new", b"first words")
    assert reply.status == 201
    assert reply.get("location") == "/docs/brand-new"
    assert STRONG_ETAG.fullmatch(reply.get("etag"))
    got = ask(fresh, "GET", "/docs/brand-new")
    assert (got.status, got.body, got.get("etag")) == (200, b"first words", reply.get("etag"))


ODD_BODIES = {
    "plain": b"second draft\n",
    "crlf-and-blank-lines": b"line one\r\nline two\r\n\r\n\r\n",
    "non-utf8": b"\xff\xfe\x00caf\xe9 \x80\x81",
    "trailing-spaces": b"spaces after   \n   ",
    "looks-like-a-response": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "empty": b"",
}


@pytest.mark.parametrize("body", ODD_BODIES.values(), ids=list(ODD_BODIES))
def test_put_existing_is_204_with_the_etag_of_the_stored_bytes(fresh, body) -> None:
    """RFC 9110 §9.3.4: validators on a PUT reply promise the bytes were stored verbatim."""
    reply = put(fresh, "welcome", body, content_type="application/x-odd")
    assert reply.status == 204
    assert STRONG_ETAG.fullmatch(reply.get("etag"))
    assert parsedate_to_datetime(reply.get("last-modified"))
    got = ask(fresh, "GET", "/docs/welcome")
    assert got.status == 200
    assert got.body == body
    assert got.get("etag") == reply.get("etag")
    assert got.get("last-modified") == reply.get("last-modified")
    assert got.get("content-type") == "application/x-odd"


def test_put_with_stale_if_match_is_412_and_changes_nothing(fresh) -> None:
    before = ask(fresh, "GET", "/docs/welcome")
    reply = put(fresh, "welcome", b"overwrite", [("If-Match", '"stale"')])
    assert reply.status == 412
    after = ask(fresh, "GET", "/docs/welcome")
    assert (after.body, after.get("etag")) == (WELCOME, before.get("etag"))


def test_put_with_if_match_on_an_absent_document_is_412_and_creates_nothing(fresh) -> None:
    assert put(fresh, "ghost", b"boo", [("If-Match", '"anything"')]).status == 412
    assert put(fresh, "ghost", b"boo", [("If-Match", "*")]).status == 412
    assert ask(fresh, "GET", "/docs/ghost").status == 404


def test_put_with_if_match_star_on_an_existing_document_is_204(fresh) -> None:
    assert put(fresh, "welcome", b"changed", [("If-Match", "*")]).status == 204
    assert ask(fresh, "GET", "/docs/welcome").body == b"changed"


def test_put_with_if_match_current_etag_is_204(fresh) -> None:
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    assert put(fresh, "welcome", b"changed", [("If-Match", etag)]).status == 204


def test_put_with_if_none_match_star_on_an_existing_document_is_412(fresh) -> None:
    assert put(fresh, "welcome", b"clobber", [("If-None-Match", "*")]).status == 412
    assert ask(fresh, "GET", "/docs/welcome").body == WELCOME


def test_put_with_if_none_match_star_on_an_absent_document_is_201(fresh) -> None:
    assert put(fresh, "create-only", b"mine", [("If-None-Match", "*")]).status == 201
    assert ask(fresh, "GET", "/docs/create-only").body == b"mine"


def test_prefer_return_representation_is_200_with_the_body(fresh) -> None:
    reply = put(fresh, "welcome", b"shown back", [("Prefer", "return=representation")],
                content_type="text/markdown")
    assert reply.status == 200
    assert reply.body == b"shown back"
    assert reply.get("content-type") == "text/markdown"
    assert reply.get("preference-applied") == "return=representation"
    assert reply.get("etag") == ask(fresh, "GET", "/docs/welcome").get("etag")


def test_prefer_return_minimal_is_204(fresh) -> None:
    reply = put(fresh, "welcome", b"quietly", [("Prefer", "return=minimal")])
    assert reply.status == 204
    assert reply.get("preference-applied") == "return=minimal"
    assert reply.get("content-length") is None


def test_lost_update_is_prevented(fresh) -> None:
    """Two editors read v1; A saves; B's save with the old ETag fails; B re-reads and saves."""
    read_a = ask(fresh, "GET", "/docs/welcome")
    read_b = ask(fresh, "GET", "/docs/welcome")
    assert read_a.get("etag") == read_b.get("etag")

    saved_a = put(fresh, "welcome", b"A's text", [("If-Match", read_a.get("etag"))])
    assert saved_a.status == 204
    assert saved_a.get("etag") != read_a.get("etag")

    refused_b = put(fresh, "welcome", b"B's text", [("If-Match", read_b.get("etag"))])
    assert refused_b.status == 412
    assert ask(fresh, "GET", "/docs/welcome").body == b"A's text"

    reread_b = ask(fresh, "GET", "/docs/welcome")
    assert reread_b.get("etag") == saved_a.get("etag")
    saved_b = put(fresh, "welcome", b"A's text, then B's", [("If-Match", reread_b.get("etag"))])
    assert saved_b.status == 204
    final = ask(fresh, "GET", "/docs/welcome")
    assert (final.body, final.get("etag")) == (b"A's text, then B's", saved_b.get("etag"))


def test_chain_of_304_after_a_save(fresh) -> None:
    """The teachable flow of RFC 9110 §13: the ETag from a 204 is good for a 304."""
    etag = put(fresh, "welcome", b"v2").get("etag")
    assert ask(fresh, "GET", "/docs/welcome", [("If-None-Match", etag)]).status == 304


# -- /docs: deleting, other methods, CORS ------------------------------------------------


def test_delete_is_204_then_get_is_404(fresh) -> None:
    reply = ask(fresh, "DELETE", "/docs/welcome")
    assert reply.status == 204
    assert ask(fresh, "GET", "/docs/welcome").status == 404


def test_delete_absent_is_404(fresh) -> None:
    assert ask(fresh, "DELETE", "/docs/never-was").status == 404


def test_delete_with_stale_if_match_is_412_and_the_document_remains(fresh) -> None:
    assert ask(fresh, "DELETE", "/docs/welcome", [("If-Match", '"stale"')]).status == 412
    assert ask(fresh, "GET", "/docs/welcome").body == WELCOME


def test_delete_with_current_if_match_is_204(fresh) -> None:
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    assert ask(fresh, "DELETE", "/docs/welcome", [("If-Match", etag)]).status == 204
    assert ask(fresh, "GET", "/docs/welcome").status == 404


DOC_ALLOW = {"get", "head", "put", "patch", "delete", "options"}
MERGE = (("Content-Type", "application/merge-patch+json"),)


def test_other_methods_on_docs_are_405_with_allow(fresh) -> None:
    reply = ask(fresh, "POST", "/docs/welcome", body=b"x")
    assert reply.status == 405
    assert reply.tokens("allow") == DOC_ALLOW
    assert ask(fresh, "GET", "/docs/welcome").body == WELCOME


def test_plain_options_is_204_with_allow_and_accept_patch(fresh) -> None:
    reply = ask(fresh, "OPTIONS", "/docs/welcome")
    assert reply.status == 204
    assert reply.tokens("allow") == DOC_ALLOW
    assert reply.get("accept-patch") == "application/merge-patch+json"  # RFC 5789 §3.1


# -- PATCH (RFC 5789) with a JSON merge patch (RFC 7396) ----------------------------------


def test_patch_merges_and_answers_204_with_the_new_etag(fresh) -> None:
    patch = b'{"theme": "dark", "autosave": null, "font": {"size": 14}}'
    reply = ask(fresh, "PATCH", "/docs/settings", MERGE, body=patch)
    assert reply.status == 204
    after = ask(fresh, "GET", "/docs/settings")
    assert json.loads(after.body) == {"theme": "dark", "font": {"size": 14}}
    assert reply.get("etag") == after.get("etag") == etag_for(after.body)
    assert not lower_names(reply) & {"content-length", "transfer-encoding"}


def test_patch_with_a_stale_if_match_is_412_and_writes_nothing(fresh) -> None:
    before = ask(fresh, "GET", "/docs/settings").body
    reply = ask(fresh, "PATCH", "/docs/settings", (*MERGE, ("If-Match", '"stale"')),
                body=b'{"theme": "dark"}')
    assert reply.status == 412
    assert b"If-Match" in reply.body
    assert ask(fresh, "GET", "/docs/settings").body == before


@pytest.mark.parametrize(
    ("target", "headers", "body", "status"),
    [
        ("/docs/settings", (("Content-Type", "application/json"),), b"{}", 415),
        ("/docs/settings", MERGE, b"{not json", 400),
        ("/docs/welcome", MERGE, b'{"a": 1}', 415),
        ("/docs/absent", MERGE, b'{"a": 1}', 404),
    ],
    ids=["wrong patch type", "malformed patch", "text document", "absent document"],
)
def test_patch_errors_follow_rfc_5789(fresh, target, headers, body, status) -> None:
    before = ask(fresh, "GET", "/docs/settings").body
    reply = ask(fresh, "PATCH", target, headers, body=body)
    assert reply.status == status, reply.raw
    if status == 415 and target == "/docs/settings":
        assert reply.get("accept-patch") == "application/merge-patch+json"  # RFC 5789 §2.2
    assert ask(fresh, "GET", "/docs/settings").body == before


# -- RFC 9110 §13.1.1: a change that has already been applied --------------------------------


def test_a_retried_put_whose_204_was_lost_gets_204_not_412(fresh) -> None:
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    text = (("Content-Type", "text/plain"), ("If-Match", etag))
    first = ask(fresh, "PUT", "/docs/welcome", text, body=b"v2")
    assert first.status == 204
    retry = ask(fresh, "PUT", "/docs/welcome", text, body=b"v2")  # same stale tag, same bytes
    assert retry.status == 204
    assert retry.get("etag") == first.get("etag")
    assert fresh.app.store.get("welcome").version == 2  # nothing written the second time


def test_a_stale_put_with_other_bytes_is_still_412(fresh) -> None:
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    ask(fresh, "PUT", "/docs/welcome", (("If-Match", etag),), body=b"v2")
    refused = ask(fresh, "PUT", "/docs/welcome", (("If-Match", etag),), body=b"v3")
    assert refused.status == 412
    assert f"does not match the current ETag {etag_for(b'v2')}".encode() in refused.body
    assert refused.body.isascii() and b"section 13.1.1" in refused.body  # readable as bytes


def test_if_match_field_lines_combine_into_one_list(fresh) -> None:
    # RFC 9110 §5.3: two If-Match lines are one list; the current tag in either passes.
    etag = ask(fresh, "GET", "/docs/welcome").get("etag")
    both = (("If-Match", etag), ("If-Match", '"other"'))
    assert ask(fresh, "PUT", "/docs/welcome", both, body=b"v2").status == 204


def test_if_none_match_star_has_no_already_applied_allowance(fresh) -> None:
    create = (("If-None-Match", "*"),)
    assert ask(fresh, "PUT", "/docs/new", create, body=b"x").status == 201
    # RFC 9110 §13.1.2 allows no 2xx for a false If-None-Match on a change.
    assert ask(fresh, "PUT", "/docs/new", create, body=b"x").status == 412


def test_cors_preflight(fresh) -> None:
    reply = ask(fresh, "OPTIONS", "/docs/welcome", CORS_PREFLIGHT)
    assert reply.status == 204
    assert reply.get("access-control-allow-origin") == ORIGIN
    assert {"put", "delete"} <= reply.tokens("access-control-allow-methods")
    assert {"content-type", "if-match"} <= reply.tokens("access-control-allow-headers")
    assert reply.get("access-control-max-age").isdigit()
    assert not lower_names(reply) & {"content-length", "transfer-encoding"}


def test_get_with_origin_exposes_the_etag(fresh) -> None:
    reply = ask(fresh, "GET", "/docs/welcome", [("Origin", ORIGIN)])
    assert reply.status == 200
    assert reply.get("access-control-allow-origin") == ORIGIN
    assert "etag" in reply.tokens("access-control-expose-headers")
    assert "origin" in reply.tokens("vary")


def test_a_preflight_answer_needs_no_vary(fresh) -> None:
    # RFC 9110 §9.3.7: "Responses to the OPTIONS method are not cacheable."
    assert ask(fresh, "OPTIONS", "/docs/welcome", CORS_PREFLIGHT).get("vary") is None


def test_get_without_origin_has_no_cors_fields(fresh) -> None:
    reply = ask(fresh, "GET", "/docs/welcome")
    assert not any(name.startswith("access-control-") for name in lower_names(reply))


# -- /beacon ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4096, 300_000])
def test_beacon_is_204_and_counted(fresh, size) -> None:
    reply = ask(fresh, "POST", "/beacon", [("Content-Type", "text/plain")], b"b" * size)
    assert reply.status == 204
    assert fresh.app.beacons[-1].size == size
    assert fresh.app.beacons[-1].content_type == "text/plain"


def test_beacon_tally(fresh) -> None:
    for size in (3, 5, 7):
        assert ask(fresh, "POST", "/beacon", body=b"x" * size).status == 204
    reply = ask(fresh, "GET", "/beacon")
    assert reply.status == 200
    assert reply.get("content-type") == "application/json"
    assert json.loads(reply.body) == {"beacons": 3, "bytes": 15}


# -- /status/{code} -----------------------------------------------------------------------

CODES = range(200, 600)


@pytest.fixture(scope="module")
def status_replies(server) -> dict:
    """Every code over GET and HEAD, each followed in the same write by the sentinel.

    One keep-alive connection per method; a framing error is recorded for its
    code and a new connection is opened for the rest.
    """
    replies: dict = {}
    for method in ("GET", "HEAD"):
        conn = Connection(server)
        try:
            for code in CODES:
                conn.send(request(method, f"/status/{code}") + request("GET", SENTINEL))
                try:
                    reply = conn.read_response(method)
                    follow = conn.read_response("GET")
                    assert (follow.status, follow.body) == (200, SENTINEL_BODY), follow.raw
                except (AssertionError, OSError, EOFError) as exc:
                    replies[method, code] = f"{type(exc).__name__}: {exc}"
                    conn.close()
                    conn = Connection(server)
                    continue
                replies[method, code] = reply
        finally:
            conn.close()
    return replies


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("code", CODES)
def test_status_route(status_replies, code, method) -> None:
    reply = status_replies[method, code]
    assert not isinstance(reply, str), reply
    assert reply.status_line == f"HTTP/1.1 {code} {phrase(code)}"
    get_reply = status_replies["GET", code]
    allowed = may_carry_content(code, "GET")
    assert bool(get_reply.body) == allowed
    if method == "GET" and allowed:
        assert reply.get("content-type") == "text/plain; charset=utf-8"
    lengths = reply.values("content-length")
    if code in (204, 304):
        assert lengths == []
    else:
        assert lengths == [str(len(get_reply.body))]
    if code == 205:
        assert lengths == ["0"]
    assert reply.values("transfer-encoding") == []


@pytest.mark.parametrize("code", ["100", "101", "199", "600", "999", "2000", "20"])
def test_status_out_of_range_is_404(server, code) -> None:
    assert ask(server, "GET", f"/status/{code}").status == 404


# -- /cache -------------------------------------------------------------------------------


def test_cache_heuristic_is_dated_ten_days_before_the_server_started(fresh) -> None:
    """RFC 9111 §4.2.2: Last-Modified and no explicit freshness invite a heuristic."""
    reply = ask(fresh, "GET", "/cache/heuristic")
    assert reply.status == 204
    date = parsedate_to_datetime(reply.get("date"))
    modified = parsedate_to_datetime(reply.get("last-modified"))
    assert 10 * 24 * 3600 <= (date - modified).total_seconds() < 10 * 24 * 3600 + 60
    assert reply.get("cache-control") is None
    assert reply.get("expires") is None
    # One Last-Modified for the server's life, not one that moves with each request.
    assert ask(fresh, "GET", "/cache/heuristic").get("last-modified") == reply.get("last-modified")


def test_cache_heuristic_honours_if_modified_since(fresh) -> None:
    """RFC 9110 §13.1.3: not modified since the date the client holds: 304."""
    modified = ask(fresh, "GET", "/cache/heuristic").get("last-modified")
    same = ask(fresh, "GET", "/cache/heuristic", (("If-Modified-Since", modified),))
    assert same.status == 304
    assert not same.body and same.get("date")
    older = ask(fresh, "GET", "/cache/heuristic",
                (("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),))
    assert older.status == 204


@pytest.mark.parametrize("seconds", [0, 60, 86400, 31536000])
def test_cache_max_age_echoes_n(server, seconds) -> None:
    reply = ask(server, "GET", f"/cache/max-age/{seconds}")
    assert reply.status == 204
    assert reply.values("cache-control") == [f"max-age={seconds}"]


def test_cache_no_store(server) -> None:
    reply = ask(server, "GET", "/cache/no-store")
    assert reply.status == 204
    assert reply.values("cache-control") == ["no-store"]


def test_cache_routes_refuse_post(server) -> None:
    reply = ask(server, "POST", "/cache/no-store")
    assert reply.status == 405
    assert reply.tokens("allow") == {"get", "head"}


# -- /misbehave/{kind} ----------------------------------------------------------------------

BROKEN_START = (
    rb"HTTP/1\.1 204 No Content\r\n"
    rb"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n"
    rb"Server: nocontent/[^\r\n]+"
)
"""What every broken 204 starts with, up to the end of the Server value."""
BROKEN_TAIL = {
    "body": b"Content-Length: 4\r\n\r\nnull",
    "body-late": b"Content-Length: 4\r\n\r\nnull",
    "content-length-zero": b"Content-Length: 0\r\n\r\n",
    "chunked": b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "smuggle": (b"\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 5\r\n\r\nEVIL!"),
}


def test_every_misbehaviour_has_expected_bytes() -> None:
    assert set(BROKEN_TAIL) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_misbehave_sends_the_exact_bytes_and_keeps_the_connection(server, kind) -> None:
    with Connection(server) as conn:
        conn.send(request("GET", f"/misbehave/{kind}") + sentinel())
        data = conn.read_to_eof()
    expected = b"\r\n" + BROKEN_TAIL[kind]
    pattern = BROKEN_START + re.escape(expected) + rb"(HTTP/1\.1 200 OK\r\n.*)"
    match = re.fullmatch(pattern, data, re.DOTALL)
    assert match, data
    assert match.group(1).endswith(b"\r\n\r\n" + SENTINEL_BODY)  # the next request answered


@pytest.mark.parametrize("kind", KINDS)
def test_misbehave_answers_a_later_request_on_the_same_socket(server, kind) -> None:
    """Sent one at a time, as a client that reads before it writes again."""
    with Connection(server) as conn:
        conn.send(request("GET", f"/misbehave/{kind}"))
        fields, stray = (b"\r\n" + BROKEN_TAIL[kind]).split(b"\r\n\r\n", 1)
        assert re.fullmatch(BROKEN_START + re.escape(fields + b"\r\n\r\n"), conn.read_head())
        assert conn.read_exactly(len(stray)) == stray
        conn.send(request("GET", SENTINEL))
        follow = conn.read_response()
    assert (follow.status, follow.body) == (200, SENTINEL_BODY)


def test_misbehave_body_is_one_write_and_body_late_two() -> None:
    common = "Date: x\r\nServer: y\r\n"
    assert [delay for delay, _ in misbehave("body", common).parts] == [0.0]
    late = misbehave("body-late", common).parts
    assert [delay for delay, _ in late] == [0.0, LATE]
    assert late[1][1] == b"null"
    assert b"".join(data for _, data in late) == misbehave("body", common).parts[0][1]


def test_body_late_bytes_are_read_as_the_next_response(server) -> None:
    first, second = exchange_twice(server.url + "/misbehave/body-late", then=SENTINEL)
    assert first.status == 204
    assert first.response.header("content-length") == "4"
    assert second.received.startswith(b"null")
    assert second.response is None
    assert second.error


def test_smuggled_response_is_read_as_the_answer_to_the_next_request(server) -> None:
    first, second = exchange_twice(server.url + "/misbehave/smuggle", then=SENTINEL)
    assert first.status == 204
    assert second.status == 200
    assert second.response.body == b"EVIL!"


def test_unknown_misbehaviour_is_404(server) -> None:
    reply = ask(server, "GET", "/misbehave/no-such-kind")
    assert reply.status == 404
    for kind in KINDS:
        assert kind.encode() in reply.body
