"""The conformance checker, judged on exchanges built from bytes: no server, no sockets."""

from __future__ import annotations

import re

import pytest

from nocontent._checker import RULES, Finding, Level, Report, Rule, check, judge, rule
from nocontent._http import parse_response
from nocontent._wire import Exchange, LocalProtocolError

DATE = b"Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n"
TEN_DAYS_EARLIER = b"Last-Modified: Mon, 16 Nov 2026 10:00:00 GMT\r\n"


def wire(raw: bytes, method: str = "GET", *, eof: bool = False, request: bytes = b"") -> Exchange:
    """An exchange as _wire would record it: the parsed response and the bytes after it."""
    parsed = parse_response(raw, method, eof=eof)
    assert parsed is not None, "test bytes must hold one complete response"
    response, used = parsed
    return Exchange(
        method=method,
        request=request,
        received=response.raw,
        response=response,
        error=None,
        leftover=raw[used:],
        closed=eof,
    )


def status(line: bytes, *fields: bytes, date: bool = True) -> bytes:
    """A status line and header section, with a Date unless told otherwise."""
    return line + b"\r\n" + (DATE if date else b"") + b"".join(fields) + b"\r\n"


def ids(exchange: Exchange) -> tuple[str, ...]:
    return judge(exchange).rule_ids


def detail(exchange: Exchange, rule_id: str) -> str:
    found = [f.detail for f in judge(exchange).findings if f.rule.id == rule_id]
    assert len(found) == 1, judge(exchange).table()
    return found[0]


NO_CONTENT = b"HTTP/1.1 204 No Content"
OK = b"HTTP/1.1 200 OK"
NO_STORE = b"Cache-Control: no-store\r\n"
FAKE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"

# (name, exchange, rule ids expected, in order). Every rule in RULES appears at least once.
CASES = [
    ("clean 204 to PUT", wire(status(NO_CONTENT), "PUT"), ()),
    ("clean 204 to GET", wire(status(NO_CONTENT)), ("heuristically-cacheable",)),
    ("204 no-store", wire(status(NO_CONTENT, NO_STORE)), ()),
    (
        "204 + CL 4 + null (fastapi#449)",
        wire(status(NO_CONTENT, NO_STORE, b"Content-Length: 4\r\n") + b"null"),
        ("204-content", "204-content-length"),
    ),
    (
        "204 + CL 4, nothing after it (werkzeug#1025)",
        wire(status(NO_CONTENT, NO_STORE, b"Content-Length: 4\r\n")),
        ("204-content-length",),
    ),
    ("204 + null, no CL", wire(status(NO_CONTENT, NO_STORE) + b"null"), ("204-content",)),
    (
        "204 + CL 0 (bottle#829)",
        wire(status(NO_CONTENT, NO_STORE, b"Content-Length: 0\r\n")),
        ("204-content-length",),
    ),
    (
        "204 + CL not a number",
        wire(status(NO_CONTENT, NO_STORE, b"Content-Length: abc\r\n")),
        ("204-content-length",),
    ),
    (
        "204 + TE chunked + last chunk (curl#3968)",
        wire(status(NO_CONTENT, NO_STORE, b"Transfer-Encoding: chunked\r\n") + b"0\r\n\r\n"),
        ("204-content", "204-transfer-encoding"),
    ),
    (
        "204 to HEAD + CL",
        wire(status(NO_CONTENT, NO_STORE, b"Content-Length: 0\r\n"), "HEAD"),
        ("204-content-length",),
    ),
    (
        "smuggled 200 after a 204",
        wire(status(NO_CONTENT, NO_STORE) + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"),
        ("204-content",),
    ),
    (
        "100 Continue then the final response",
        wire(status(b"HTTP/1.1 100 Continue", date=False) + status(OK, b"Content-Length: 0\r\n")),
        (),
    ),
    (
        "1xx + CL",
        wire(status(b"HTTP/1.1 100 Continue", b"Content-Length: 0\r\n", date=False)),
        ("1xx-content-length",),
    ),
    (
        "1xx + TE",
        wire(status(b"HTTP/1.1 103 Early Hints", b"Transfer-Encoding: chunked\r\n", date=False)),
        ("1xx-transfer-encoding",),
    ),
    ("205 + CL 0", wire(status(b"HTTP/1.1 205 Reset Content", b"Content-Length: 0\r\n")), ()),
    (
        "205 + CL 4 + null",
        wire(status(b"HTTP/1.1 205 Reset Content", b"Content-Length: 4\r\n") + b"null"),
        ("205-content",),
    ),
    (
        "205 + CL 0 + stray bytes",
        wire(status(b"HTTP/1.1 205 Reset Content", b"Content-Length: 0\r\n") + b"{}"),
        ("205-content",),
    ),
    (
        "304 + CL of the 200",
        wire(status(b"HTTP/1.1 304 Not Modified", b"Content-Length: 5\r\n")),
        (),
    ),
    (
        "304 + CL + the body after all",
        wire(status(b"HTTP/1.1 304 Not Modified", b"Content-Length: 5\r\n") + b"hello"),
        ("304-content",),
    ),
    ("HEAD + CL of GET", wire(status(OK, NO_STORE, b"Content-Length: 5\r\n"), "HEAD"), ()),
    (
        "HEAD + CL + the body after all",
        wire(status(OK, NO_STORE, b"Content-Length: 5\r\n") + b"hello", "HEAD"),
        ("head-content",),
    ),
    (
        "200 + one byte more than declared",
        wire(status(OK, NO_STORE, b"Content-Length: 2\r\n") + b"ok!"),
        ("extra-bytes",),
    ),
    (
        "200 read until close",
        wire(status(OK, NO_STORE) + b"all", eof=True),
        (),
    ),
    (
        "200 without Date",
        wire(status(OK, NO_STORE, b"Content-Length: 2\r\n", date=False) + b"ok"),
        ("date-missing",),
    ),
    (
        "404 without Date",
        wire(status(b"HTTP/1.1 404 Not Found", NO_STORE, b"Content-Length: 0\r\n", date=False)),
        ("date-missing",),
    ),
    # RFC 9110 §6.6.1: Date is optional (MAY) on 1xx and 5xx.
    (
        "500 without Date",
        wire(status(b"HTTP/1.1 500 Internal Server Error", b"Content-Length: 0\r\n", date=False)),
        (),
    ),
    (
        "204 + ETag to PUT",
        wire(status(NO_CONTENT, b'ETag: "v2"\r\n'), "PUT"),
        ("put-validator",),
    ),
    (
        "204 + Last-Modified to PUT",
        wire(status(NO_CONTENT, TEN_DAYS_EARLIER), "PUT"),
        ("put-validator",),
    ),
    (
        "412 + ETag to PUT",
        wire(
            status(b"HTTP/1.1 412 Precondition Failed", b'ETag: "v1"\r\nContent-Length: 0\r\n'),
            "PUT",
        ),
        (),
    ),
    (
        "200 + ETag to GET",
        wire(status(OK, NO_STORE, b'ETag: "v1"\r\nContent-Length: 2\r\n') + b"ok"),
        (),
    ),
    ("empty 200 to POST", wire(status(OK, b"Content-Length: 0\r\n"), "POST"), ("empty-200",)),
    (
        "empty 200 to a PUT that asked for the representation",
        wire(status(OK, b"Content-Length: 0\r\n"), "PUT",
             request=b"PUT /d HTTP/1.1\r\nHost: h\r\nPrefer: return=representation\r\n"
                     b"Content-Length: 0\r\n\r\n"),
        (),
    ),
    (
        "empty 200 to GET",
        wire(status(OK, NO_STORE, b"Content-Length: 0\r\n")),
        (),
    ),
    (
        "empty 200 to OPTIONS (a legacy preflight answer)",
        wire(status(OK, b"Content-Length: 0\r\n"), "OPTIONS"),
        (),
    ),
    (
        "empty chunked 200 to DELETE",
        wire(status(OK, b"Transfer-Encoding: chunked\r\n") + b"0\r\n\r\n", "DELETE"),
        ("empty-200",),
    ),
    ("200 with content to POST", wire(status(OK, b"Content-Length: 2\r\n") + b"ok", "POST"), ()),
    (
        "no response",
        Exchange(
            method="GET",
            request=b"GET / HTTP/1.1\r\n\r\n",
            received=b"nope\r\n",
            response=None,
            error="illegal status line: b'nope'",
            leftover=b"",
            closed=True,
        ),
        ("no-response",),
    ),
    (
        "a smuggled 200 read as the next answer",
        Exchange(
            method="GET",
            request=b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            received=FAKE,
            response=parse_response(FAKE, "GET")[0],  # type: ignore[index]
            error=None,
            leftover=status(OK, NO_STORE, b"Content-Length: 2\r\n") + b"ok",
            closed=False,
            early=len(FAKE),
        ),
        ("not-a-response",),
    ),
]


CASE = {name: exchange for name, exchange, _ in CASES}


@pytest.mark.parametrize(
    ("exchange", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules_fire_exactly_where_they_should(
    exchange: Exchange, expected: tuple[str, ...]
) -> None:
    assert ids(exchange) == expected


def test_every_rule_is_reached_by_a_case() -> None:
    from test_h2_checker import CASES as FRAME_CASES  # the HTTP/2 and HTTP/3 rules

    reached = {rule_id for _, _, expected in (*CASES, *FRAME_CASES) for rule_id in expected}
    assert reached == {r.id for r in RULES}


# -- the rules table -------------------------------------------------------------------


def test_rules_table_is_well_formed() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert re.fullmatch(r"[0-9a-z]+(-[0-9a-z]+)*", r.id), r.id
        assert re.fullmatch(r"RFC \d{4} §[\d.]+(, RFC \d{4} §[\d.]+)*", r.rfc), r.rfc
        assert "\n" not in r.message
        assert len(r.message) <= 80
        assert rule(r.id) is r


def test_rule_levels() -> None:
    levels = {r.id: r.level for r in RULES}
    assert levels["204-content-length"] is Level.MUST
    assert levels["extra-bytes"] is Level.MUST
    assert levels["no-response"] is Level.MUST
    assert levels["not-a-response"] is Level.MUST
    assert {levels["heuristically-cacheable"], levels["put-validator"], levels["empty-200"]} == {
        Level.INFO
    }


def test_unknown_rule_id_raises() -> None:
    with pytest.raises(KeyError):
        rule("204-everything")


# -- evidence ---------------------------------------------------------------------------


def test_204_content_shows_the_stray_bytes() -> None:
    found = detail(CASE["204 + CL 4 + null (fastapi#449)"], "204-content")
    assert found == "4 bytes after the empty line that ends the 204: b'null'"


def test_a_false_content_length_with_nothing_after_it_is_one_finding_not_two() -> None:
    # RFC 9110 §15.3.5 is about content sent; only §8.6 is broken by the field alone.
    report = judge(CASE["204 + CL 4, nothing after it (werkzeug#1025)"])
    assert report.rule_ids == ("204-content-length",)
    assert "waits for 4 bytes" in report.findings[0].detail


def test_date_missing_is_a_must() -> None:
    # RFC 9110 §6.6.1: "MUST generate a Date header field in all 2xx ... 3xx ... and 4xx".
    report = judge(CASE["200 without Date"])
    assert report.findings[0].rule.level is Level.MUST
    assert not report.passed
    assert "origin server with a clock" in report.findings[0].detail


def test_empty_200_cites_15_3_1_and_skips_requests_for_the_representation() -> None:
    assert rule("empty-200").rfc == "RFC 9110 §15.3.1"
    assert ids(CASE["empty 200 to a PUT that asked for the representation"]) == ()
    assert ids(CASE["empty 200 to GET"]) == ()
    head = wire(status(OK, NO_STORE, b"Content-Length: 2\r\n"), "HEAD")
    assert ids(head) == ()


def test_empty_200_names_a_request_that_asked_for_no_content() -> None:
    minimal = wire(status(OK, b"Content-Length: 0\r\n"), "PUT",
                   request=b"PUT /d HTTP/1.1\r\nHost: h\r\nPrefer: return=minimal\r\n"
                           b"Content-Length: 2\r\n\r\nhi")
    assert "asked for return=minimal" in detail(minimal, "empty-200")


def test_put_validator_covers_last_modified() -> None:
    found = detail(wire(status(NO_CONTENT, b'ETag: "v2"\r\n', TEN_DAYS_EARLIER), "PUT"),
                   "put-validator")
    assert found == 'ETag: "v2" | Last-Modified: Mon, 16 Nov 2026 10:00:00 GMT on a 204 to PUT'
    assert ids(CASE["204 + Last-Modified to PUT"]) == ("put-validator",)


def test_bytes_that_came_before_the_request_are_not_a_response() -> None:
    report = judge(CASE["a smuggled 200 read as the next answer"])
    assert report.rule_ids == ("not-a-response",)  # no date-missing or extra-bytes on the fake
    assert "before the request was sent" in report.findings[0].detail
    assert "(read from bytes that came before the request)" in report.verdict()


def test_a_response_is_not_failed_because_the_next_one_was_left_over() -> None:
    # Two requests in one write: the answer to the second is no stray byte.
    two = (b"PUT /d HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
           b"GET /d HTTP/1.1\r\nHost: h\r\n\r\n")
    answer = status(OK, NO_STORE, b"Content-Length: 2\r\n") + b"hi"
    piped = wire(status(NO_CONTENT) + answer, "PUT", request=two)
    assert ids(piped) == ()
    junk = wire(status(NO_CONTENT) + answer + b"junk", "PUT", request=two)
    assert detail(junk, "204-content") == "4 bytes after the empty line that ends the 204: b'junk'"


def test_204_content_length_zero_is_named_as_such() -> None:
    assert detail(CASE["204 + CL 0 (bottle#829)"], "204-content-length").startswith(
        "Content-Length: 0 (clients"
    )


def test_framing_field_evidence_is_the_header_line_as_sent() -> None:
    exchange = wire(status(NO_CONTENT, b"content-length: 4\r\nContent-Length: 4\r\n"))
    assert detail(exchange, "204-content-length").startswith(
        "content-length: 4 | Content-Length: 4 (a recipient")
    assert (
        detail(CASE["204 + TE chunked + last chunk (curl#3968)"], "204-transfer-encoding")
        == "Transfer-Encoding: chunked"
    )


def test_stray_crlf_is_shown_visibly_on_one_line() -> None:
    found = detail(CASE["204 + TE chunked + last chunk (curl#3968)"], "204-content")
    assert found == "5 bytes after the empty line that ends the 204: b'0\\r\\n\\r\\n'"


def test_smuggled_response_is_called_out() -> None:
    found = detail(CASE["smuggled 200 after a 204"], "204-content")
    assert "EVIL!" in found
    assert "a whole second response (HTTP/1.1 200 OK)" in found


def test_long_stray_data_is_cut() -> None:
    exchange = wire(status(OK, NO_STORE, b"Content-Length: 0\r\n") + b"x" * 500)
    found = detail(exchange, "extra-bytes")
    assert found.startswith("500 bytes after the end of the response (Content-Length: 0): b'xxx")
    assert found.endswith("... (500 bytes in all)")
    assert found.count("x") < 150


def test_205_content_shows_the_body() -> None:
    assert (
        detail(CASE["205 + CL 4 + null"], "205-content")
        == "4 bytes of content (Content-Length: 4): b'null'"
    )


def test_extra_bytes_names_one_byte() -> None:
    assert detail(CASE["200 + one byte more than declared"], "extra-bytes") == (
        "1 byte after the end of the response (Content-Length: 2): b'!'"
    )


def test_no_response_shows_the_error_and_what_came() -> None:
    found = detail(CASE["no response"], "no-response")
    assert found == "illegal status line: b'nope' (received 6 bytes: b'nope\\r\\n')"


def test_no_response_without_an_error_message() -> None:
    exchange = Exchange(
        method="GET",
        request=b"",
        received=b"",
        response=None,
        error=None,
        leftover=b"",
        closed=True,
    )
    assert detail(exchange, "no-response") == "no response"


def test_put_validator_evidence() -> None:
    assert detail(CASE["204 + ETag to PUT"], "put-validator") == 'ETag: "v2" on a 204 to PUT'


def test_empty_200_evidence_names_the_framing() -> None:
    assert (
        detail(CASE["empty 200 to POST"], "empty-200").startswith(
            "the content is empty (Content-Length: 0); nothing in the request asked for content")
    )


# -- heuristic cacheability (RFC 9110 §15.1, RFC 9111 §4.2.2) ------------------------------


@pytest.mark.parametrize(
    ("line", "method", "fields", "fires"),
    [
        (NO_CONTENT, "GET", b"", True),
        (NO_CONTENT, "HEAD", b"", True),
        (NO_CONTENT, "POST", b"", False),
        (NO_CONTENT, "GET", b"Cache-Control: max-age=60\r\n", False),
        (NO_CONTENT, "GET", b"Cache-Control: public, s-maxage=60\r\n", False),
        (NO_CONTENT, "GET", b"Cache-Control: no-cache\r\n", False),
        (NO_CONTENT, "GET", b"Cache-Control: private, NO-STORE\r\n", False),
        (NO_CONTENT, "GET", b"Expires: 0\r\n", False),
        (NO_CONTENT, "GET", b"Cache-Control: private\r\n", True),
        # RFC 9110 §15.1 adds 204, 308, 404, 405, 414 and 501 to RFC 2616's list.
        (b"HTTP/1.1 308 Permanent Redirect", "GET", b"Location: /\r\n", True),
        (b"HTTP/1.1 404 Not Found", "GET", b"", True),
        (b"HTTP/1.1 501 Not Implemented", "GET", b"", True),
        (b"HTTP/1.1 302 Found", "GET", b"Location: /\r\n", False),
        (b"HTTP/1.1 304 Not Modified", "GET", b"", False),
        (b"HTTP/1.1 500 Internal Server Error", "GET", b"", False),
    ],
)
def test_heuristically_cacheable(line: bytes, method: str, fields: bytes, fires: bool) -> None:
    framing = (
        b"" if line in (NO_CONTENT, b"HTTP/1.1 304 Not Modified") else b"Content-Length: 0\r\n"
    )
    exchange = wire(status(line, fields, framing), method)
    assert ("heuristically-cacheable" in ids(exchange)) is fires


def test_heuristic_lifetime_is_ten_percent_of_the_age() -> None:
    found = detail(wire(status(NO_CONTENT, TEN_DAYS_EARLIER)), "heuristically-cacheable")
    assert ("Last-Modified is 10d before Date, so the RFC's suggested heuristic (10% of the time "
            "since Last-Modified) gives 1d of freshness") in found
    assert "2026" not in found  # no dates in the output, so notebooks stay stable


def test_heuristic_lifetime_in_hours_and_minutes() -> None:
    one_day_earlier = b"Last-Modified: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
    found = detail(wire(status(NO_CONTENT, one_day_earlier)), "heuristically-cacheable")
    assert "1d before Date, so the RFC's suggested heuristic" in found
    assert "gives 2h 24m of freshness" in found


def test_heuristic_lifetime_under_a_minute() -> None:
    just_now = b"Last-Modified: Thu, 26 Nov 2026 09:59:30 GMT\r\n"
    found = detail(wire(status(NO_CONTENT, just_now)), "heuristically-cacheable")
    assert "under a minute before Date" in found
    assert "gives under a minute of freshness" in found


@pytest.mark.parametrize(
    ("fields", "date", "expected"),
    [
        (b"", True, "no Last-Modified, so the RFC's suggested heuristic"),
        (b"Last-Modified: yesterday\r\n", True, "no Last-Modified"),
        (TEN_DAYS_EARLIER, False, "Last-Modified but no Date"),
        (b"Last-Modified: Fri, 27 Nov 2026 10:00:00 GMT\r\n", True, "not before Date"),
    ],
)
def test_heuristic_without_a_lifetime(fields: bytes, date: bool, expected: str) -> None:
    found = detail(wire(status(NO_CONTENT, fields, date=date)), "heuristically-cacheable")
    assert expected in found
    assert found.endswith(
        "a cache may use any heuristic; add Cache-Control: no-store if it must not be reused")


def test_heuristic_freshness_is_not_said_to_need_last_modified() -> None:
    # RFC 9111 §4.2.2 "does not provide specific algorithms": no Last-Modified leaves
    # the suggested heuristic nothing to measure, not the cache without a lifetime.
    found = detail(wire(status(NO_CONTENT)), "heuristically-cacheable")
    assert "no lifetime" not in found and "a cache may use any heuristic" in found


@pytest.mark.parametrize(
    ("line", "fields", "fires"),
    [
        (b"HTTP/1.1 201 Created", b"Cache-Control: public\r\n", True),
        (b"HTTP/1.1 302 Found", b"Cache-Control: PUBLIC\r\nLocation: /\r\n", True),
        (b"HTTP/1.1 201 Created", b"", False),
        (b"HTTP/1.1 201 Created", b"Cache-Control: public, max-age=5\r\n", False),
        (b"HTTP/1.1 304 Not Modified", b"Cache-Control: public\r\n", False),
    ],
)
def test_public_makes_any_status_heuristically_cacheable(
    line: bytes, fields: bytes, fires: bool
) -> None:
    framing = b"" if b"304" in line else b"Content-Length: 0\r\n"
    exchange = wire(status(line, fields, framing))
    assert ("heuristically-cacheable" in ids(exchange)) is fires
    if fires:
        assert "marked explicitly cacheable" in detail(exchange, "heuristically-cacheable")


# -- the report ---------------------------------------------------------------------------


def test_clean_report() -> None:
    report = judge(CASE["clean 204 to PUT"])
    assert report.findings == ()
    assert report.worst is None
    assert report.passed
    assert report.table() == "204 No Content to PUT: 0 MUST, 0 SHOULD, 0 INFO (pass)\nno findings"


def test_info_only_passes() -> None:
    report = judge(wire(status(NO_CONTENT, b'ETag: "v2"\r\n', TEN_DAYS_EARLIER), "PUT"))
    assert report.rule_ids == ("put-validator",)
    assert report.worst is Level.INFO
    assert report.passed
    assert report.verdict() == "204 No Content to PUT: 0 MUST, 0 SHOULD, 1 INFO (pass)"


def test_should_only_passes() -> None:
    findings = (Finding(rule=Rule(id="x", level=Level.SHOULD, message="m", rfc="RFC 9110 §1"),
                        detail="d"),)
    report = Report(exchange=CASE["clean 204 to PUT"], findings=findings)
    assert report.worst is Level.SHOULD
    assert report.passed


def test_must_fails_and_findings_are_ordered_by_level() -> None:
    exchange = wire(status(NO_CONTENT, b"Content-Length: 4\r\n", date=False) + b"null")
    report = judge(exchange)
    assert report.rule_ids == (
        "204-content",
        "204-content-length",
        "date-missing",
        "heuristically-cacheable",
    )
    assert report.worst is Level.MUST
    assert not report.passed
    assert (report.count(Level.MUST), report.count(Level.SHOULD), report.count(Level.INFO)) == (
        3,
        0,
        1,
    )
    assert report.verdict() == "204 No Content to GET: 3 MUST, 0 SHOULD, 1 INFO (FAIL)"


def test_no_response_verdict() -> None:
    report = judge(CASE["no response"])
    assert not report.passed
    assert report.verdict() == "no response to GET: 1 MUST, 0 SHOULD, 0 INFO (FAIL)"


def test_verdict_uses_the_reason_phrase_sent_or_the_standard_one() -> None:
    custom = judge(wire(b"HTTP/1.1 204 Nothing Here\r\n" + DATE + NO_STORE + b"\r\n"))
    assert custom.verdict().startswith("204 Nothing Here to GET:")
    bare = judge(wire(b"HTTP/1.1 204\r\n" + DATE + NO_STORE + b"\r\n"))
    assert bare.verdict().startswith("204 No Content to GET:")


def test_table_layout() -> None:
    report = judge(CASE["204 + CL 4 + null (fastapi#449)"])
    lines = report.table().splitlines()
    assert lines[:4] == [
        report.verdict(),
        "MUST 204-content (RFC 9110 §15.3.5, RFC 9112 §6.3)",
        "     " + rule("204-content").message,
        "     evidence: 4 bytes after the empty line that ends the 204: b'null'",
    ]
    assert lines[4] == "MUST 204-content-length (RFC 9110 §8.6)"
    assert lines[6].startswith("     evidence: Content-Length: 4 (a recipient")
    assert lines[7].startswith("       ")  # the long evidence goes on, indented further
    assert str(report) == report.table()


def test_table_lines_fit_a_laptop_screen() -> None:
    report = judge(wire(status(NO_CONTENT, b"Content-Length: 4\r\n", date=False) + b"null"))
    assert all(len(line) <= 88 for line in report.table().splitlines())
    words = " ".join(report.table().split())
    for finding in report.findings:  # wrapping keeps every word of the evidence
        assert " ".join(finding.detail.split()) in words


def test_table_is_deterministic_and_has_no_date() -> None:
    exchange = wire(status(NO_CONTENT, TEN_DAYS_EARLIER, b"Content-Length: 0\r\n"))
    first, second = judge(exchange).table(), judge(exchange).table()
    assert first == second
    assert "Nov 2026" not in first and "GMT" not in first


def test_report_shows_its_table_in_a_notebook() -> None:
    class Printer:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def text(self, value: str) -> None:
            self.texts.append(value)

    report = judge(CASE["204 + CL 4 + null (fastapi#449)"])
    printer = Printer()
    report._repr_pretty_(printer, cycle=False)
    assert printer.texts == [report.table()]


def test_report_is_frozen() -> None:
    report = judge(CASE["clean 204 to PUT"])
    with pytest.raises(AttributeError):
        report.findings = ()  # type: ignore[misc]
    assert isinstance(report, Report)
    assert all(
        isinstance(f, Finding) for f in judge(CASE["204 + CL 4 + null (fastapi#449)"]).findings
    )


def test_check_refuses_an_invalid_request_before_connecting() -> None:
    # Port 9 (discard) on loopback is never contacted: the method is refused first.
    with pytest.raises(LocalProtocolError, match="method"):
        check("http://127.0.0.1:9/", "BAD METHOD")
