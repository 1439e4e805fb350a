"""The request builder's model and the freshness calculator: pure functions, no server."""

import ast
import re
import shlex
from datetime import datetime, timezone

import pytest

from nocontent import LocalProtocolError, parse_response
from nocontent._builder import (
    CURL_ARGUMENT_LIMIT,
    NO_ETAG,
    PRESETS,
    BuilderState,
    Row,
    apply_preset,
    as_curl,
    as_httpx,
    body_bytes,
    document_name,
    duration,
    failed_precondition,
    fields,
    freshness,
    freshness_of_response,
    http_date,
    preset_rows,
    targets,
    to_request_bytes,
    validate,
)
from nocontent._checker import HEURISTICALLY_CACHEABLE
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
        "/browser-lab",
        "/browser-lab/results",
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
    "target with a brace": (
        BuilderState(target="/docs/{name}"),
        "contains '{', which a URI path or query cannot hold as it is (RFC 3986 §3.3); "
        "percent-encode it as %7B",
    ),
    "target with a double quote": (BuilderState(target='/docs/a"b'), "percent-encode it as %22"),
    "target with a fragment": (
        BuilderState(target="/docs/welcome#top"),
        "contains '#', which starts a fragment: clients keep the fragment to themselves and "
        "never send it (RFC 9110 §7.1)",
    ),
    "target with a lone percent": (
        BuilderState(target="/docs/100%"),
        "has a '%' without two hex digits after it; a percent-encoding is '%' HEXDIG HEXDIG",
    ),
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


def test_a_target_may_hold_every_uri_character_and_no_other() -> None:
    # RFC 3986 §3.3 and §3.4: unreserved, sub-delims, ":", "@", "/", "?" and "%" HEXDIG HEXDIG.
    fine = "/docs/a%20b%2F?x='1'&y=$z;w=(a*b)+c,d!e~f:g@h/i?j"
    assert validate(BuilderState(target=fine)) == []
    assert request(BuilderState(target=fine)).startswith(f"GET {fine} HTTP/1.1".encode())
    refused = [ch for ch in map(chr, range(0x21, 0x7F)) if validate(BuilderState(target="/" + ch))]
    assert refused == list('"#%<>[\\]^`{|}')


def test_a_row_switched_off_is_not_checked() -> None:
    assert validate(BuilderState(rows=(Row(False, "X Y", "a\r\nb"),))) == []


def test_a_body_of_exactly_the_limit_is_accepted_and_the_limit_is_a_parameter() -> None:
    assert validate(BuilderState(method="POST", body="x" * MAX_BODY)) == []
    assert "at most 3" in validate(BuilderState(method="POST", body="abcd"), 3)[0]
    assert validate(BuilderState(method="POST", body="é"), 2) == []  # 2 bytes in UTF-8
    assert validate(BuilderState(method="POST", body="é"), 1) != []


def test_a_non_ascii_body_is_fine_it_travels_as_utf8() -> None:
    assert validate(BuilderState(method="PUT", body="naïve ☕")) == []


# -- the same request for curl and httpx (run for real in test_widgets.py) -----------------


def curl_words(command: str) -> list[str]:
    """The arguments a POSIX shell passes to curl (for these tests' bodies, which hold no
    backslash before a line break): the comment lines before it dropped, continuations joined.
    """
    lines = command.split("\n")
    while lines[0].startswith("#"):
        lines.pop(0)
    return shlex.split("\n".join(lines).replace(" \\\n  ", " "))


def httpx_call(code: str) -> dict[str, object]:
    """The arguments of the httpx.request(...) call in ``code``, as Python values."""
    tree = ast.parse(code)
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call)
                and ast.unparse(node.func) == "httpx.request")
    found: dict[str, object] = {"method": ast.literal_eval(call.args[0]),
                                "url": ast.literal_eval(call.args[1])}
    found.update((kw.arg, ast.literal_eval(kw.value)) for kw in call.keywords)
    return found


def test_a_bare_get_is_one_curl_line_with_its_url() -> None:
    command = as_curl(BuilderState(), BASE)
    assert command.splitlines()[-1] == "curl -i http://127.0.0.1:8080/docs/welcome"
    assert command.splitlines()[0] == "# curl adds User-Agent and Accept fields of its own."


def test_curl_quotes_every_argument_for_the_shell() -> None:
    body = "it's \"quoted\", $HOME `date` \\ café\nsecond line\r\n"
    state = BuilderState(
        method="PUT",
        target="/docs/welcome?x='1'&y=$z",
        rows=(Row(True, "If-Match", '"abc"'), Row(False, "X-Off", "1"),
              Row(True, "X-Note", "a;b|c&d")),
        body=body,
    )
    assert curl_words(as_curl(state, BASE)) == [
        "curl", "-i", "-X", "PUT", "http://127.0.0.1:8080/docs/welcome?x='1'&y=$z",
        "-H", 'If-Match: "abc"', "-H", "X-Note: a;b|c&d", "-H", "Content-Type:",
        "--data-binary", body,
    ]


def test_curl_sends_head_with_dash_capital_i_not_dash_x() -> None:
    command = as_curl(BuilderState(method="HEAD"), BASE)
    assert curl_words(command) == ["curl", "-I", "http://127.0.0.1:8080/docs/welcome"]
    assert "-X" not in curl_words(command)


def test_a_post_body_makes_curl_post_without_dash_x() -> None:
    words = curl_words(as_curl(BuilderState(method="POST", target="/beacon"), BASE))
    assert words == ["curl", "-i", "http://127.0.0.1:8080/beacon", "-H", "Content-Type:",
                     "--data-binary", ""]


def test_a_content_type_row_replaces_the_removal_of_curls_own() -> None:
    state = apply_preset(BuilderState(method="PATCH", body="{}"), "Content-Type")
    words = curl_words(as_curl(state, BASE))
    assert words[-4:] == ["-H", "Content-Type: application/json", "--data-binary", "{}"]
    assert "Content-Type:" not in words


def test_a_body_starting_with_at_is_not_read_from_a_file() -> None:
    words = curl_words(as_curl(BuilderState(method="POST", body="@/etc/passwd"), BASE))
    assert words[-2:] == ["--data-raw", "@/etc/passwd"]


def test_curl_writes_an_empty_value_with_a_semicolon() -> None:
    words = curl_words(as_curl(BuilderState(rows=(Row(True, "X-Empty", "  "),)), BASE))
    assert words[-2:] == ["-H", "X-Empty;"]


def test_curl_sends_a_lower_case_method_and_dot_segments_as_typed() -> None:
    words = curl_words(as_curl(BuilderState(method="get", target="/docs/../docs/welcome"), BASE))
    assert words == ["curl", "-i", "-X", "get", "--path-as-is",
                     "http://127.0.0.1:8080/docs/../docs/welcome"]


def test_a_body_no_command_line_can_carry_is_refused_by_curl_only() -> None:
    with pytest.raises(LocalProtocolError, match="NUL character"):
        as_curl(BuilderState(method="PUT", body="a\0b"), BASE)
    with pytest.raises(LocalProtocolError, match="too long for one command-line argument"):
        as_curl(BuilderState(method="PUT", body="x" * (CURL_ARGUMENT_LIMIT + 1)), BASE)
    assert httpx_call(as_httpx(BuilderState(method="PUT", body="a\0b"), BASE))["content"] == "a\0b"


def test_the_httpx_call_carries_the_method_url_fields_in_order_and_body() -> None:
    body = "it's \"quoted\"\ncafé"
    state = BuilderState(
        method="PUT",
        target="/docs/welcome?x='1'",
        rows=(Row(True, "If-Match", '"abc"'), Row(False, "X-Off", "1"),
              Row(True, "X-Dup", "1"), Row(True, "x-dup", " 2 ")),
        body=body,
    )
    code = as_httpx(state, BASE)
    compile(code, "<snippet>", "exec")
    assert httpx_call(code) == {
        "method": "PUT",
        "url": "http://127.0.0.1:8080/docs/welcome?x='1'",
        "headers": [("If-Match", '"abc"'), ("X-Dup", "1"), ("x-dup", "2")],
        "content": body,
    }


def test_a_request_without_fields_or_body_is_a_bare_httpx_call() -> None:
    assert httpx_call(as_httpx(BuilderState(method="DELETE"), BASE)) == {
        "method": "DELETE", "url": "http://127.0.0.1:8080/docs/welcome"}


@pytest.mark.parametrize(
    ("state", "reason"),
    [(BuilderState(method="get"), "httpx upper-cases the method, so it would send GET instead"),
     (BuilderState(target="/docs/./welcome"), "httpx removes the '.' and '..' segments")],
)
def test_what_httpx_would_change_gives_no_httpx_snippet(state: BuilderState, reason: str) -> None:
    with pytest.raises(LocalProtocolError, match=reason):
        as_httpx(state, BASE)
    assert as_curl(state, BASE)  # curl sends it as it is


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_no_snippet_and_the_reason_the_send_button_gives(case: str) -> None:
    state, _ = BAD[case]
    reasons = "; ".join(validate(state))
    for snippet in (as_curl, as_httpx):
        with pytest.raises(LocalProtocolError) as caught:
            snippet(state, BASE)
        assert str(caught.value) == reasons


# -- which precondition a 412 answered ----------------------------------------------------------

NOW = "Sun, 01 Mar 2026 12:00:00 GMT"
EARLIER = "Sat, 28 Feb 2026 12:00:00 GMT"


@pytest.mark.parametrize(
    ("method", "sent", "etag", "modified", "expected"),
    [
        ("PUT", [("If-Match", '"abc"')], '"def"', NOW,
         'If-Match: "abc" does not match the current ETag "def" '
         "(RFC 9110 §13.1.1: strong comparison)"),
        ("PUT", [("If-Match", 'W/"def"')], '"def"', NOW,
         'If-Match: W/"def" does not match the current ETag "def" (RFC 9110 §13.1.1: strong '
         'comparison); W/"def" is weak, and the strong comparison never matches a weak tag, '
         "not even with itself (RFC 9110 §8.8.3.2)"),
        ("DELETE", [("If-Match", 'W/"def"')], 'W/"def"', NOW,
         'If-Match: W/"def" does not match the current ETag W/"def" (RFC 9110 §13.1.1: strong '
         'comparison); W/"def" is weak, and the strong comparison never matches a weak tag, '
         "not even with itself (RFC 9110 §8.8.3.2)"),
        ("PUT", [("If-Match", "def")], '"def"', NOW,
         'If-Match: def lists no entity tag: a tag is quoted, such as "def", and may be marked '
         'weak with W/ (RFC 9110 §8.8.3), so nothing in it can match the current ETag "def" '
         "(RFC 9110 §13.1.1)"),
        ("PUT", [("If-Match", "*")], None, None,
         "If-Match: * failed: the document does not exist (RFC 9110 §13.1.1)"),
        ("PUT", [("If-Match", '"abc"')], None, None,
         'If-Match: "abc" failed: the document does not exist, so it has no current ETag for '
         "a tag to match (RFC 9110 §13.1.1)"),
        ("PUT", [("If-None-Match", "*")], '"def"', NOW,
         "If-None-Match: * failed: the document exists (RFC 9110 §13.1.2)"),
        ("PUT", [("If-None-Match", 'W/"def"')], '"def"', NOW,
         'If-None-Match: W/"def" failed: W/"def" matches the current ETag "def" under the weak '
         "comparison, and for PUT a match means 412 (RFC 9110 §13.1.2)"),
        ("PUT", [("If-Unmodified-Since", EARLIER)], '"def"', NOW,
         f"If-Unmodified-Since: {EARLIER} failed: the document was last modified later, at "
         f"{NOW} (RFC 9110 §13.1.4: the condition holds only when the last modification is "
         "earlier than or equal to the date given)"),
    ],
)
def test_a_412_names_the_precondition_that_failed_and_why(
    method: str, sent: list[tuple[str, str]], etag: str | None, modified: str | None,
    expected: str,
) -> None:
    assert failed_precondition(method, sent, etag, modified) == expected


def test_if_match_is_evaluated_first_and_if_unmodified_since_is_then_ignored() -> None:
    # RFC 9110 §13.2.2 step 1, and §13.1.4: "MUST ignore If-Unmodified-Since if the request
    # contains an If-Match header field".
    both = [("If-Unmodified-Since", EARLIER), ("If-Match", '"old"'), ("If-None-Match", "*")]
    assert failed_precondition("PUT", both, '"def"', NOW).startswith('If-Match: "old" does not')
    passing = [("If-Match", '"def"'), ("If-Unmodified-Since", EARLIER), ("If-None-Match", "*")]
    assert failed_precondition("PUT", passing, '"def"', NOW).startswith("If-None-Match: *")


def test_a_listed_tag_that_matches_passes_even_with_a_comma_inside_a_tag() -> None:
    sent = [("If-Match", '"x,y", "def"'), ("If-None-Match", '"x,y"')]
    assert failed_precondition("PUT", sent, '"def"', NOW).startswith("Every precondition")
    assert failed_precondition("PUT", sent, '"x,y"', NOW).startswith("If-None-Match: ")


def test_field_lines_of_one_name_are_combined_into_one_list() -> None:
    # RFC 9110 §5.3: several field lines of one name are one comma-separated list.
    sent = [("If-Match", '"a"'), ("if-match", '"def"')]
    assert failed_precondition("PUT", sent, '"def"', NOW).startswith("Every precondition")
    assert failed_precondition("PUT", sent, '"b"', NOW).startswith('If-Match: "a", "def" does')


@pytest.mark.parametrize(
    "date", ["yesterday", f"{EARLIER}, {EARLIER}"], ids=["not a date", "a list of dates"])
def test_an_if_unmodified_since_that_is_not_one_date_is_ignored(date: str) -> None:
    sent = [("If-Unmodified-Since", date)]
    assert failed_precondition("PUT", sent, '"def"', NOW).startswith("Every precondition")


def test_if_none_match_on_get_gives_304_not_412() -> None:
    text = failed_precondition("GET", [("If-None-Match", '"def"')], '"def"', NOW)
    assert text.startswith("Every precondition in the request holds now")
    assert "RFC 9110 §13.2.2" in text


def test_a_412_without_any_precondition_says_so() -> None:
    text = failed_precondition("GET", [("Accept", "*/*")], None, None)
    assert text == ("The request carries no If-Match, If-Unmodified-Since or If-None-Match "
                    "field, so no precondition failed (RFC 9110 §13.1): the 412 comes from "
                    "the target itself")


def test_existence_can_be_given_when_a_document_has_no_validators() -> None:
    assert failed_precondition("PUT", [("If-Match", "*")], None, None, exists=True).startswith(
        "Every precondition")
    assert failed_precondition("PUT", [("If-Match", '"a"')], None, None, exists=True) == (
        'If-Match: "a" failed: the document has no ETag, so no listed tag can match it '
        "(RFC 9110 §13.1.1)")


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


def test_without_last_modified_the_suggested_heuristic_has_nothing_to_measure() -> None:
    result = freshness(DATE, None, None, DATE + 30)
    assert (result.source, result.lifetime, result.fresh) == ("unmeasured", None, False)
    assert result.verdict() == (
        "up to the cache: the RFC's suggested heuristic has nothing to measure without "
        "Last-Modified, and another cache may use another (RFC 9111 §4.2.2)")
    lifetime = dict(result.rows())["lifetime"]
    assert lifetime == (
        "not given: no max-age and no Expires (RFC 9111 §4.2.1), so a cache MAY assign a "
        "heuristic one. The RFC's suggested heuristic, 10% of the time since Last-Modified, "
        "has nothing to measure without Last-Modified; another cache may use another "
        "heuristic (RFC 9111 §4.2.2)")
    # Never told as if the RFC said so: it names no lifetime and does not call it stale.
    text = str(result)
    assert "stale" not in text
    assert "no freshness lifetime" not in text


@pytest.mark.parametrize("status", sorted(HEURISTICALLY_CACHEABLE))
def test_every_heuristically_cacheable_status_gets_the_suggested_heuristic(status: int) -> None:
    result = freshness(DATE, DATE - 10 * DAY, None, DATE, status=status)
    assert (result.source, result.lifetime) == ("heuristic", DAY)
    assert "heuristically cacheable (RFC 9110 §15.1)" in dict(result.rows())["status"]


@pytest.mark.parametrize("status", [201, 202, 205, 302, 303, 307, 400, 403, 500, 503])
def test_another_status_gets_no_heuristic_lifetime_unless_marked_public(status: int) -> None:
    result = freshness(DATE, DATE - 10 * DAY, None, DATE, status=status)
    assert (result.source, result.lifetime, result.fresh) == ("no-heuristic", None, False)
    assert result.verdict() == (f"no heuristic lifetime: {status} is not heuristically "
                                "cacheable and not marked public (RFC 9111 §4.2.2)")
    assert dict(result.rows())["status"].endswith(
        "not heuristically cacheable (RFC 9110 §15.1)")
    public = freshness(DATE, DATE - 10 * DAY, None, DATE, status=status, public=True)
    assert (public.source, public.lifetime, public.fresh) == ("heuristic", DAY, True)
    assert dict(public.rows())["Cache-Control"] == "public"
    assert dict(public.rows())["status"].endswith(
        "not heuristically cacheable (RFC 9110 §15.1), but public marks it explicitly "
        "cacheable, which allows a heuristic (RFC 9111 §5.2.2.9)")


def test_explicit_freshness_needs_no_heuristic_whatever_the_status() -> None:
    assert freshness(DATE, None, 60, DATE, status=201).source == "max-age"
    assert freshness(DATE, None, None, DATE, status=201, expires=DATE + 60).source == "expires"


@pytest.mark.parametrize("modified", [DATE, DATE + 60], ids=["at Date", "after Date"])
def test_a_last_modified_not_before_date_gives_a_zero_heuristic_lifetime(modified: float) -> None:
    result = freshness(DATE, modified, None, DATE)
    assert (result.source, result.lifetime, result.fresh) == ("heuristic", 0.0, False)
    assert result.verdict() == "stale (0s past its lifetime)"


def test_a_last_modified_after_date_is_named_as_against_the_rules() -> None:
    rows = dict(freshness(DATE, DATE + 60, None, DATE).rows())
    assert rows["Last-Modified"].endswith(
        "(1m after Date, which an origin server MUST NOT send; it counts as Date "
        "(RFC 9110 §8.8.2.1))")


CASES = {
    "heuristic": freshness(DATE, DATE - 10 * DAY, None, DATE + 3600),
    "unmeasured": freshness(DATE, None, None, DATE),
    "no-heuristic": freshness(DATE, DATE - DAY, None, DATE, status=500),
    "public": freshness(DATE, DATE - DAY, None, DATE, status=500, public=True),
    "max-age": freshness(DATE, None, 60, DATE),
    "expires": freshness(DATE, None, None, DATE, expires=DATE + 60),
    "no-store": freshness(DATE, None, None, DATE, no_store=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_step_that_cites_a_rule_carries_its_section(case: str) -> None:
    rows = dict(CASES[case].rows())
    for step in ("status", "lifetime", "current age"):
        assert re.search(r"RFC 911[01] §\d", rows[step]), (step, rows[step])
    if not rows["verdict"].startswith(("fresh (", "stale (")):  # plain arithmetic
        assert rows["verdict"].endswith(")") and "RFC 9111 §" in rows["verdict"]


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
        "status:         204 No Content, heuristically cacheable (RFC 9110 §15.1)",
        "request time:   Mon, 02 Mar 2026 00:00:00 GMT",
        "lifetime:       1d, the RFC's suggested heuristic: 10% of the 10d between "
        "Last-Modified and Date (RFC 9111 §4.2.2); a cache MAY use another heuristic",
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
    assert result.verdict() == "not stored: no-store (RFC 9111 §5.2.2.5)"


def test_freshness_of_a_response_reads_its_status_and_public() -> None:
    head = ("Date: Sun, 01 Mar 2026 12:00:00 GMT\r\nContent-Length: 0\r\n"
            "Last-Modified: Thu, 19 Feb 2026 12:00:00 GMT\r\n")
    created = parse_response(("HTTP/1.1 201 Created\r\n" + head + "\r\n").encode(), "POST")
    assert created is not None
    assert freshness_of_response(created[0], DATE).source == "no-heuristic"
    public = parse_response(("HTTP/1.1 201 Created\r\n" + head + "Cache-Control: public\r\n\r\n"
                             ).encode(), "POST")
    assert public is not None
    result = freshness_of_response(public[0], DATE)
    assert (result.status, result.public, result.source, result.lifetime) == (
        201, True, "heuristic", DAY)


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
