"""The request builder's model and the freshness calculator: pure functions, no server."""

from datetime import datetime, timezone

import pytest

from nocontent import LocalProtocolError, parse_response
from nocontent._builder import (
    NO_ETAG,
    PRESETS,
    BuilderState,
    Row,
    apply_preset,
    body_bytes,
    document_name,
    duration,
    fields,
    freshness,
    freshness_of_response,
    http_date,
    preset_rows,
    targets,
    to_request_bytes,
    validate,
)
from nocontent._http import MAX_BODY

BASE = "http://127.0.0.1:8080"
DAY = 86400.0
DATE = 1_772_366_400.0  # Sun, 01 Mar 2026 12:00:00 GMT


def request(state: BuilderState) -> bytes:
    return to_request_bytes(state, BASE)


# -- targets and presets ------------------------------------------------------------------


def test_targets_come_from_the_routes_with_examples_filled_in() -> None:
    assert targets() == (
        "/",
        "/docs/welcome",
        "/docs/settings",
        "/beacon",
        "/status/204",
        "/status/200",
        "/status/205",
        "/status/304",
        "/cache/heuristic",
        "/cache/max-age/60",
        "/cache/no-store",
        "/misbehave/body",
        "/misbehave/body-late",
        "/misbehave/content-length-zero",
        "/misbehave/chunked",
        "/misbehave/smuggle",
        "/editor",
        "/editor/form",
        "/editor/form/save",
        "/editor/form/reset",
    )


def test_targets_offer_every_document_named() -> None:
    found = targets(["welcome", "notes"])
    assert "/docs/notes" in found
    assert "/docs/settings" not in found


@pytest.mark.parametrize(
    ("target", "name"),
    [("/docs/welcome", "welcome"), ("/docs/a.b-c_d?x=1", "a.b-c_d"), ("/docs/", None),
     ("/beacon", None), ("/docs/a/b", None)],
)
def test_document_name(target: str, name: str | None) -> None:
    assert document_name(target) == name


def test_a_bare_get_is_host_and_nothing_else() -> None:
    assert request(BuilderState()) == b"GET /docs/welcome HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"


EXPECTED_LINES = {
    "If-Match": [b'If-Match: "abc"'],
    "If-None-Match": [b'If-None-Match: "abc"'],
    "If-None-Match: *": [b"If-None-Match: *"],
    "Prefer: return=minimal": [b"Prefer: return=minimal"],
    "Prefer: return=representation": [b"Prefer: return=representation"],
    "Cache-Control: no-cache": [b"Cache-Control: no-cache"],
    "CORS preflight": [b"Origin: https://editor.example",
                       b"Access-Control-Request-Method: PUT"],
    "Content-Type": [b"Content-Type: application/json"],
}


def test_every_preset_has_an_expectation() -> None:
    assert set(EXPECTED_LINES) == set(PRESETS)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_adds_its_lines_after_host(preset: str) -> None:
    before = request(BuilderState())
    after = request(apply_preset(BuilderState(), preset, '"abc"'))
    lines = after.split(b"\r\n")
    assert lines[1] == b"Host: 127.0.0.1:8080"
    assert lines[2 : 2 + len(EXPECTED_LINES[preset])] == EXPECTED_LINES[preset]
    assert after != before


def test_the_cors_preset_also_chooses_options() -> None:
    state = apply_preset(BuilderState(method="GET"), "CORS preflight")
    assert state.method == "OPTIONS"
    assert request(state).startswith(b"OPTIONS /docs/welcome HTTP/1.1\r\n")


def test_other_presets_keep_the_method() -> None:
    assert apply_preset(BuilderState(method="PUT"), "If-Match", '"x"').method == "PUT"


def test_without_a_document_the_etag_presets_use_a_tag_that_matches_nothing() -> None:
    assert preset_rows("If-Match") == (Row(True, "If-Match", NO_ETAG),)
    assert preset_rows("If-None-Match", None) == (Row(True, "If-None-Match", NO_ETAG),)


def test_a_preset_switches_on_and_updates_the_row_with_its_name() -> None:
    state = BuilderState(rows=(Row(False, "prefer", "return=minimal"), Row(True, "X-A", "1")))
    state = apply_preset(state, "Prefer: return=representation")
    assert state.rows == (Row(True, "Prefer", "return=representation"), Row(True, "X-A", "1"))


def test_applying_a_preset_twice_adds_no_second_row() -> None:
    once = apply_preset(BuilderState(), "If-Match", '"a"')
    twice = apply_preset(once, "If-Match", '"b"')
    assert twice.rows == (Row(True, "If-Match", '"b"'),)


def test_rows_switched_off_and_blank_rows_are_not_sent() -> None:
    state = BuilderState(rows=(Row(False, "X-Off", "1"), Row(True, "", ""), Row(True, "X-On", "2")))
    assert fields(state) == (("X-On", "2"),)
    assert b"X-Off" not in request(state)


def test_a_put_body_is_sent_as_utf8_with_its_length() -> None:
    state = BuilderState(method="PUT", body="café")
    assert body_bytes(state) == "café".encode()
    assert request(state).endswith(b"Content-Length: 5\r\n\r\ncaf\xc3\xa9")


def test_an_empty_put_still_declares_its_length() -> None:
    assert request(BuilderState(method="PUT")).endswith(b"Content-Length: 0\r\n\r\n")


# -- refusing bad input -------------------------------------------------------------------


def test_a_good_request_has_no_problems() -> None:
    state = apply_preset(BuilderState(method="PATCH", body="{}"), "Content-Type")
    assert validate(state) == []


BAD = {
    "method with a space": (BuilderState(method="GE T"), "The method 'GE T' contains a space"),
    "empty method": (BuilderState(method=""), "The method is empty"),
    "method with a slash": (BuilderState(method="GET/1"), "contains '/', which is not allowed"),
    "non-ASCII method": (BuilderState(method="GÉT"), "non-ASCII character 'É'"),
    "name with a space": (
        BuilderState(rows=(Row(True, "X Foo", "1"),)),
        "Header row 1 (X Foo): field name 'X Foo' contains a space",
    ),
    "name with a colon": (
        BuilderState(rows=(Row(True, "X-Foo:", "1"),)),
        "contains a colon, which ends a field name",
    ),
    "name with a bracket": (
        BuilderState(rows=(Row(True, "X(Foo)", "1"),)),
        "contains '(', which is not allowed in a token",
    ),
    "non-ASCII name": (BuilderState(rows=(Row(True, "Café", "1"),)), "non-ASCII character 'é'"),
    "CR LF in a value": (
        BuilderState(rows=(Row(True, "X-A", "1\r\nX-Injected: yes"),)),
        "Header row 1 (X-A): the value contains a line break (CR or LF), which would inject",
    ),
    "LF alone in a value": (BuilderState(rows=(Row(True, "X-A", "1\nb"),)), "line break"),
    "control in a value": (
        BuilderState(rows=(Row(True, "X-A", "a\x00b"),)),
        "the control character '\\x00'",
    ),
    "non-ASCII value": (
        BuilderState(rows=(Row(True, "X-A", "naïve"),)),
        "the value contains non-ASCII character 'ï'; send ASCII text",
    ),
    "value without a name": (BuilderState(rows=(Row(True, "", "1"),)), "has a value but no name"),
    "a Host row": (BuilderState(rows=(Row(True, "host", "x"),)), "the builder writes Host itself"),
    "a Content-Length row": (
        BuilderState(method="PUT", rows=(Row(True, "Content-Length", "9"),)),
        "the builder writes Content-Length from the body",
    ),
    "a Transfer-Encoding row": (
        BuilderState(method="PUT", rows=(Row(True, "Transfer-Encoding", "chunked"),)),
        "Transfer-Encoding would need a chunked body",
    ),
    "target without a slash": (BuilderState(target="docs/welcome"), "does not start with '/'"),
    "empty target": (BuilderState(target=""), "The target is empty"),
    "target with a space": (BuilderState(target="/docs/my doc"), "percent-encode it as %20"),
    "non-ASCII target": (BuilderState(target="/docs/café"), "non-ASCII character 'é'"),
    "target with a line break": (BuilderState(target="/a\r\nX: y"), "request splitting"),
    "body on GET": (BuilderState(method="GET", body="x"), "only sent with PUT, POST or PATCH"),
    "body on DELETE": (BuilderState(method="DELETE", body="x"), "content in a DELETE request"),
    "body over the limit": (
        BuilderState(method="PUT", body="x" * (MAX_BODY + 1)),
        f"The body is {MAX_BODY + 1} bytes; the server accepts at most {MAX_BODY} and would "
        "answer 413",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_its_reason(case: str) -> None:
    state, reason = BAD[case]
    problems = validate(state)
    assert len(problems) == 1, problems
    assert reason in problems[0]
    with pytest.raises(LocalProtocolError) as caught:
        request(state)
    assert reason in str(caught.value)


def test_every_problem_is_listed_not_only_the_first() -> None:
    state = BuilderState(
        method="GE T",
        target="/a b",
        rows=(Row(True, "X Y", "1\r\n"), Row(True, "Host", "h")),
        body="x",
    )
    problems = validate(state, then="nope")
    assert [p.split(" ")[:2] for p in problems] == [
        ["The", "method"],
        ["The", "target"],
        ["The", "second"],
        ["Header", "row"],
        ["Header", "row"],
        ["Header", "row"],
        ["A", "body"],
    ]


def test_a_row_switched_off_is_not_checked() -> None:
    assert validate(BuilderState(rows=(Row(False, "X Y", "a\r\nb"),))) == []


def test_a_body_of_exactly_the_limit_is_accepted_and_the_limit_is_a_parameter() -> None:
    assert validate(BuilderState(method="POST", body="x" * MAX_BODY)) == []
    assert "at most 3" in validate(BuilderState(method="POST", body="abcd"), 3)[0]
    assert validate(BuilderState(method="POST", body="é"), 2) == []  # 2 bytes in UTF-8
    assert validate(BuilderState(method="POST", body="é"), 1) != []


def test_a_non_ascii_body_is_fine_it_travels_as_utf8() -> None:
    assert validate(BuilderState(method="PUT", body="naïve ☕")) == []


# -- freshness (RFC 9111 §4.2) --------------------------------------------------------------


def test_heuristic_lifetime_is_ten_percent_of_the_time_since_last_modified() -> None:
    result = freshness(DATE, DATE - 10 * DAY, None, DATE + 12 * 3600)
    assert result.source == "heuristic"
    assert result.lifetime == DAY
    assert result.age == 12 * 3600
    assert result.fresh
    assert result.remaining == 12 * 3600
    assert result.verdict() == "fresh (12h left)"


def test_a_heuristically_fresh_response_goes_stale_after_its_lifetime() -> None:
    result = freshness(DATE, DATE - 10 * DAY, None, DATE + 2 * DAY)
    assert not result.fresh
    assert result.verdict() == "stale (1d past its lifetime)"


def test_fresh_needs_the_lifetime_to_be_greater_than_the_age() -> None:
    assert not freshness(DATE, DATE - 10 * DAY, None, DATE + DAY).fresh
    assert freshness(DATE, DATE - 10 * DAY, None, DATE + DAY - 1).fresh


def test_max_age_wins_over_the_heuristic() -> None:
    result = freshness(DATE, DATE - 10 * DAY, 60, DATE + 61)
    assert (result.source, result.lifetime, result.fresh) == ("max-age", 60.0, False)
    assert "wins over any heuristic (RFC 9111 §4.2.1)" in str(result)


def test_max_age_zero_is_stale_at_once() -> None:
    assert not freshness(DATE, None, 0, DATE).fresh


def test_expires_gives_an_explicit_lifetime_but_max_age_wins_over_it() -> None:
    assert freshness(DATE, None, None, DATE, expires=DATE + 300).lifetime == 300
    assert freshness(DATE, None, 5, DATE, expires=DATE + 300).lifetime == 5


@pytest.mark.parametrize(
    ("modified", "status"),
    [(None, 204), (DATE, 204), (DATE + 60, 204), (DATE - 10 * DAY, 201)],
)
def test_no_lifetime_without_last_modified_before_date_or_for_other_statuses(
    modified: float | None, status: int
) -> None:
    result = freshness(DATE, modified, None, DATE, status=status)
    assert (result.source, result.lifetime, result.fresh) == ("none", None, False)
    assert result.verdict() == "stale (no freshness lifetime)"


def test_age_is_never_negative() -> None:
    assert freshness(DATE, None, 60, DATE - 100).age == 0


def test_datetimes_and_seconds_give_the_same_answer() -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    assert at.timestamp() == DATE
    by_datetime = freshness(at, datetime(2026, 2, 19, 12, tzinfo=timezone.utc), None,
                            datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert by_datetime == freshness(DATE, DATE - 10 * DAY, None, DATE + 12 * 3600)


def test_the_working_names_its_rfc_sections() -> None:
    text = str(freshness(DATE, DATE - 10 * DAY, None, DATE + 12 * 3600))
    assert text.splitlines() == [
        "Date:           Sun, 01 Mar 2026 12:00:00 GMT",
        "Last-Modified:  Thu, 19 Feb 2026 12:00:00 GMT (10d before Date)",
        "request time:   Mon, 02 Mar 2026 00:00:00 GMT",
        "lifetime:       1d, 10% of the 10d between Last-Modified and Date "
        "(heuristic, RFC 9111 §4.2.2)",
        "current age:    12h, request time minus Date (simplified RFC 9111 §4.2.3: "
        "no Age field, no transit delay)",
        "verdict:        fresh (12h left)",
    ]


def wire(head: str) -> object:
    data = ("HTTP/1.1 204 No Content\r\n" + head + "\r\n").encode()
    parsed = parse_response(data, "GET")
    assert parsed is not None
    return parsed[0]


def test_freshness_of_a_response_reads_its_fields() -> None:
    response = wire("Date: Sun, 01 Mar 2026 12:00:00 GMT\r\n"
                    "Last-Modified: Thu, 19 Feb 2026 12:00:00 GMT\r\n")
    result = freshness_of_response(response, DATE + 3600)
    assert (result.source, result.lifetime, result.age) == ("heuristic", DAY, 3600)


def test_freshness_of_a_response_with_max_age() -> None:
    response = wire("Date: Sun, 01 Mar 2026 12:00:00 GMT\r\nCache-Control: public, max-age=60\r\n")
    result = freshness_of_response(response, DATE + 30)
    assert (result.source, result.lifetime, result.fresh) == ("max-age", 60.0, True)


def test_no_store_means_not_stored() -> None:
    response = wire("Date: Sun, 01 Mar 2026 12:00:00 GMT\r\nCache-Control: no-store\r\n")
    result = freshness_of_response(response, DATE)
    assert (result.source, result.fresh) == ("no-store", False)
    assert result.verdict() == "not stored (no-store)"


def test_an_invalid_expires_counts_as_already_expired() -> None:
    response = wire("Date: Sun, 01 Mar 2026 12:00:00 GMT\r\nExpires: 0\r\n")
    result = freshness_of_response(response, DATE)
    assert (result.source, result.lifetime, result.fresh) == ("expires", 0.0, False)


def test_without_date_the_response_is_taken_as_just_made() -> None:
    result = freshness_of_response(wire("Cache-Control: max-age=60\r\n"), DATE)
    assert (result.date, result.age) == (DATE, 0)


def test_http_date() -> None:
    assert http_date("Sun, 01 Mar 2026 12:00:00 GMT") == DATE
    assert http_date("yesterday") is None
    assert http_date(None) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.9, "0s"), (59, "59s"), (60, "1m"), (90, "1m 30s"), (86400, "1d"),
     (90061, "1d 1h 1m 1s"), (-3600, "-1h")],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text
