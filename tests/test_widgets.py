"""The widgets, driven from code as a learner drives them with the mouse, without a browser.

ipywidgets works without a kernel (its comm is a dummy), so setting ``.value``
and calling ``.click()`` run the same callbacks a page would. Every send goes
to this module's own server, whose ``.exchanges`` shows whether anything was
sent at all.
"""

import contextlib
import io
import subprocess
import sys
from collections.abc import Iterator
from html import escape

import pytest

import nocontent
from nocontent import _widgets
from nocontent._builder import NO_ETAG, PRESETS, BuilderState, Row
from nocontent._http import MAX_BODY, parse_request_head
from nocontent._widgets import (
    HISTORY,
    OTHER,
    SECTIONS,
    FreshnessCalculator,
    RequestBuilder,
    freshness_calculator,
    request_builder,
)

pytestmark = pytest.mark.live

CLASSES = {
    "nc-builder", "nc-method", "nc-target", "nc-header-row", "nc-preset", "nc-body", "nc-send",
    "nc-second", "nc-request", "nc-response", "nc-verdict", "nc-history", "nc-reset", "nc-copy",
    "nc-section",
}


@pytest.fixture(scope="module")
def server() -> Iterator[nocontent.Server]:
    with nocontent.Server() as running:
        yield running


@pytest.fixture
def builder(server: nocontent.Server) -> Iterator[RequestBuilder]:
    server.reset()
    made = RequestBuilder(server, grace=0.05)
    yield made
    made.close()


def sent_count(server: nocontent.Server) -> int:
    return len(server.exchanges)


def classes(widget: object) -> set[str]:
    found = set(getattr(widget, "_dom_classes", ()))
    for child in getattr(widget, "children", ()):
        found |= classes(child)
    return found


def etag(server: nocontent.Server, name: str = "welcome") -> str:
    document = server.app.store.get(name)
    assert document is not None
    return document.etag


# -- building and display --------------------------------------------------------------


def test_importing_the_package_does_not_import_ipywidgets() -> None:
    code = ("import sys, nocontent, nocontent._widgets; "
            "print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_stable_css_class_is_there(builder: RequestBuilder) -> None:
    builder.add_header.click()
    assert classes(builder.ui) >= CLASSES


def test_a_notebook_shows_the_widget_with_a_steady_text_form(builder: RequestBuilder) -> None:
    bundle = builder._repr_mimebundle_()
    assert bundle["text/plain"] == "(the request builder: run this cell to use it)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_factory_uses_the_server_given(server: nocontent.Server) -> None:
    made = request_builder(server)
    assert made.server is server
    assert made.grace is None  # the checker's default wait (tests/test_grace.py)
    made.close()
    assert made.send.comm is None


def test_the_target_offers_the_routes(builder: RequestBuilder) -> None:
    options = builder.target.options
    assert {"/docs/welcome", "/beacon", "/status/204", "/cache/heuristic",
            "/misbehave/body"} <= set(options)
    assert builder.then.options == options


def test_the_preview_shows_the_request_and_sends_nothing(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    before = sent_count(server)
    assert builder.refresh() == (
        f"GET /docs/welcome HTTP/1.1\r\nHost: {server.url[7:]}\r\n\r\n".encode()
    )
    assert "GET /docs/welcome HTTP/1.1\\r\\n" in builder.request_view.value
    assert "not sent yet" in builder.request_view.value
    assert builder.describe() == "Nothing sent yet."
    assert sent_count(server) == before


# -- each control changes the request ------------------------------------------------------


EXPECTED = {
    "If-Match": ["If-Match: {etag}"],
    "If-None-Match": ["If-None-Match: {etag}"],
    "If-None-Match: *": ["If-None-Match: *"],
    "Prefer: return=minimal": ["Prefer: return=minimal"],
    "Prefer: return=representation": ["Prefer: return=representation"],
    "Cache-Control: no-cache": ["Cache-Control: no-cache"],
    "CORS preflight": ["Origin: https://editor.example", "Access-Control-Request-Method: PUT"],
    "Content-Type": ["Content-Type: application/json"],
}


def test_every_preset_button_is_tested() -> None:
    assert set(EXPECTED) == set(PRESETS)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_button_changes_the_request_bytes(
    builder: RequestBuilder, server: nocontent.Server, preset: str
) -> None:
    before = builder.refresh()
    builder.presets[preset].click()
    after = builder.refresh()
    assert after is not None
    assert after != before
    lines = after.decode().split("\r\n")
    wanted = [line.format(etag=etag(server)) for line in EXPECTED[preset]]
    assert lines[2 : 2 + len(wanted)] == wanted
    assert all(row.on.value for row in builder.header_rows)
    assert builder.error is None


def test_the_cors_preset_turns_the_request_into_a_preflight(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.presets["CORS preflight"].click()
    assert builder.method.value == "OPTIONS"
    builder.send.click()
    response = builder.last.exchange.response
    assert response.status == 204
    assert response.header("access-control-allow-origin") == "https://editor.example"


def test_if_match_is_filled_with_the_current_etag_of_the_target(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.target.value = "/docs/settings"
    builder.presets["If-Match"].click()
    assert builder.header_rows[0].value.value == etag(server, "settings")
    builder.target.value = "/beacon"
    builder.presets["If-Match"].click()
    assert len(builder.header_rows) == 1
    assert builder.header_rows[0].value.value == NO_ETAG


def test_if_match_prevents_a_lost_update(builder: RequestBuilder, server: nocontent.Server) -> None:
    builder.method.value = "PUT"
    builder.presets["If-Match"].click()
    stale = builder.header_rows[0].value.value
    builder.body.value = "first editor\n"
    builder.send.click()
    assert builder.last.exchange.status == 204
    new = builder.last.exchange.response.header("etag")
    assert new == etag(server) != stale
    builder.body.value = "second editor, working from the old copy\n"
    builder.send.click()  # the row still holds the old tag
    assert builder.last.exchange.status == 412
    builder.presets["If-Match"].click()  # one click fetches the current tag again
    assert builder.header_rows[0].value.value == new
    builder.send.click()
    assert builder.last.exchange.status == 204


def test_if_none_match_gives_304(builder: RequestBuilder) -> None:
    builder.presets["If-None-Match"].click()
    builder.send.click()
    assert builder.last.exchange.status == 304
    assert builder.last.report.passed


def test_prefer_return_representation_gives_the_document_back(builder: RequestBuilder) -> None:
    builder.method.value = "PUT"
    builder.presets["Prefer: return=minimal"].click()
    builder.body.value = "v2\n"
    builder.send.click()
    assert builder.last.exchange.status == 204
    builder.presets["Prefer: return=representation"].click()
    assert [row.row.value for row in builder.header_rows] == ["return=representation"]
    builder.send.click()
    assert builder.last.exchange.status == 200
    assert builder.last.exchange.response.body == b"v2\n"


def test_a_row_can_be_switched_off_edited_and_removed(builder: RequestBuilder) -> None:
    builder.add_header.click()
    row = builder.header_rows[-1]
    assert builder.refresh() is not None  # a blank row is neither sent nor an error
    row.name.value = "X-Trace"
    row.value.value = "42"
    assert b"X-Trace: 42\r\n" in builder.refresh()
    row.on.value = False
    assert b"X-Trace" not in builder.refresh()
    row.on.value = True
    row.remove.click()
    assert builder.header_rows == []
    assert b"X-Trace" not in builder.refresh()


def test_the_body_is_editable_only_for_put_post_and_patch(builder: RequestBuilder) -> None:
    for method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        builder.method.value = method
        assert builder.body.disabled
    for method in ("PUT", "POST", "PATCH"):
        builder.method.value = method
        assert not builder.body.disabled
    builder.body.value = '{"theme": "dark"}'
    assert builder.refresh().endswith(b'Content-Length: 17\r\n\r\n{"theme": "dark"}')
    builder.method.value = "GET"  # the text stays in the box but is not sent
    assert builder.state().body == ""
    assert builder.refresh().endswith(b"\r\n\r\n")


def test_any_method_can_be_typed(builder: RequestBuilder) -> None:
    assert builder.other_method.disabled
    builder.method.value = OTHER
    assert not builder.other_method.disabled
    builder.other_method.value = "PROPFIND"
    assert builder.refresh().startswith(b"PROPFIND /docs/welcome HTTP/1.1\r\n")
    builder.send.click()
    assert builder.last.exchange.status == 405


def test_a_beacon_is_counted(builder: RequestBuilder, server: nocontent.Server) -> None:
    builder.target.value = "/beacon"
    builder.method.value = "POST"
    builder.body.value = "event=save"
    builder.send.click()
    assert builder.last.exchange.status == 204
    assert server.app.beacons[-1].size == 10


# -- bad input: explained, nothing sent, no traceback ------------------------------------------


def set_up(builder: RequestBuilder, case: str) -> None:
    if case == "method":
        builder.method.value = OTHER
        builder.other_method.value = "GE T"
    elif case in ("space", "colon", "bracket", "non-ASCII name"):
        name = {"space": "X Foo", "colon": "X-Foo:", "bracket": "X(Foo)",
                "non-ASCII name": "Ünicode"}[case]
        builder.add_row(name, "1")
    elif case in ("CR LF", "LF", "non-ASCII value"):
        value = {"CR LF": "1\r\nX-Injected: yes", "LF": "1\nb", "non-ASCII value": "naïve"}[case]
        builder.add_row("X-A", value)
    elif case == "non-ASCII target":
        builder.target.value = "/docs/café"
    elif case == "too big":
        builder.method.value = "PUT"
        builder.body.value = "x" * (MAX_BODY + 1)
    elif case == "second target":
        builder.second.value = True
        builder.then.value = "no-slash"
    else:
        raise AssertionError(case)


REASONS = {
    "method": "The method 'GE T' contains a space; a token has no spaces",
    "space": "field name 'X Foo' contains a space",
    "colon": "field name 'X-Foo:' contains a colon, which ends a field name",
    "bracket": "contains '(', which is not allowed in a token",
    "non-ASCII name": "contains non-ASCII character 'Ü'",
    "CR LF": "the value contains a line break (CR or LF), which would inject a new line",
    "LF": "the value contains a line break (CR or LF)",
    "non-ASCII value": "the value contains non-ASCII character 'ï'; send ASCII text",
    "non-ASCII target": "contains non-ASCII character 'é'; percent-encode it",
    "too big": f"The body is {MAX_BODY + 1} bytes; the server accepts at most {MAX_BODY}",
    "second target": "The second target 'no-slash' does not start with '/'",
}


@pytest.mark.parametrize("case", list(REASONS))
def test_bad_input_is_explained_and_nothing_is_sent(
    builder: RequestBuilder, server: nocontent.Server, case: str
) -> None:
    set_up(builder, case)
    assert builder.refresh() is None
    assert escape(REASONS[case]) in builder.request_view.value  # shown while typing
    before = sent_count(server)
    builder.send.click()
    assert sent_count(server) == before
    assert builder.last is None
    assert builder.error is None
    assert len(builder.problems) == 1
    assert REASONS[case] in builder.problems[0]
    assert "Nothing was sent" in builder.verdict.value
    assert escape(REASONS[case]) in builder.verdict.value
    assert "nc-error" in builder.verdict._dom_classes
    assert builder.describe().startswith("Nothing was sent. Fix this first:\n- ")


def test_after_a_refusal_a_good_send_clears_the_error(builder: RequestBuilder) -> None:
    set_up(builder, "CR LF")
    builder.send.click()
    builder.header_rows[0].value.value = "1"
    builder.send.click()
    assert builder.problems == ()
    assert builder.last.exchange.status == 200
    assert "nc-error" not in builder.verdict._dom_classes


def test_an_unreachable_server_gives_a_message_not_a_traceback() -> None:
    stopped = nocontent.Server()
    stopped.stop()
    made = RequestBuilder(stopped, grace=0.05)
    assert "curl -i" in made.copy_view.value  # shown before anything is sent
    made.send.click()
    assert made.error.startswith("The request could not be sent:")
    assert "nocontent.serve() starts it" in made.verdict.value
    assert "nc-error" in made.verdict._dom_classes
    assert made.describe().startswith("Something went wrong: The request could not be sent")
    made.close()


def test_a_bug_behind_the_button_becomes_a_message(
    builder: RequestBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_exchange: object) -> None:
        raise RuntimeError("the checker broke")

    monkeypatch.setattr(_widgets, "judge", broken)
    builder.send.click()
    assert builder.error == "RuntimeError: the checker broke"
    assert "the checker broke" in builder.verdict.value


# -- the result area -----------------------------------------------------------------------


def test_a_put_to_status_204_passes_and_shows_the_wire(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    before = sent_count(server)
    builder.target.value = "/status/204"
    builder.method.value = "PUT"
    builder.send.click()
    assert sent_count(server) == before + 1
    report = builder.last.report
    assert report.verdict() == "204 No Content to PUT: 0 MUST, 0 SHOULD, 0 INFO (pass)"
    assert "Content-Length: 0\\r\\n" in builder.request_view.value  # the request's, not the 204's
    assert "as sent" in builder.request_view.value
    response = builder.response_view.value
    assert "HTTP/1.1 204 No Content\\r\\n" in response
    assert "Content-Length" not in response
    assert "ends at the empty line (204 to PUT)" in response
    assert "<th" in response and "Left on the connection" in response
    assert "No findings." in builder.verdict.value
    assert "(pass)" in builder.verdict.value


def test_a_get_to_status_204_shows_the_checker_findings(builder: RequestBuilder) -> None:
    builder.target.value = "/status/204"
    builder.send.click()
    assert builder.last.report.rule_ids == ("heuristically-cacheable",)
    verdict = builder.verdict.value
    assert "204 No Content to GET: 0 MUST, 0 SHOULD, 1 INFO (pass)" in verdict
    assert "<b>INFO</b>" in verdict
    assert "heuristically-cacheable" in verdict
    assert 'href="https://www.rfc-editor.org/rfc/rfc9111#section-4.2.2"' in verdict
    assert "RFC 9110 §15.1" in verdict


def test_a_body_after_a_204_is_shown_as_left_on_the_connection(builder: RequestBuilder) -> None:
    builder.target.value = "/misbehave/body"
    builder.send.click()
    sent = builder.last
    assert sent.exchange.leftover == b"null"
    assert sent.report.rule_ids[:2] == ("204-content", "204-content-length")
    assert "4 more bytes arrived after the response ended" in builder.response_view.value
    assert "<b>MUST</b>" in builder.verdict.value
    assert "(FAIL)" in builder.verdict.value


def test_the_history_keeps_the_last_sends(builder: RequestBuilder) -> None:
    codes = ["200", "201", "202", "204", "205", "404", "500"]
    for code in codes:
        builder.target.value = f"/status/{code}"
        builder.send.click()
    assert len(builder.history) == HISTORY == 5
    assert [sent.number for sent in builder.history] == [3, 4, 5, 6, 7]
    assert [sent.exchange.status for sent in builder.history] == [202, 204, 205, 404, 500]
    assert builder.history[-1] is builder.last
    assert builder.history_lines()[0].startswith("#3 GET /status/202: 202 Accepted to GET")
    view = builder.history_view.value
    assert "/status/500" in view and "/status/202" in view
    assert "/status/201" not in view
    assert view.index("/status/500") < view.index("/status/202")  # newest first


def test_a_smaller_history_can_be_asked_for(server: nocontent.Server) -> None:
    made = RequestBuilder(server, grace=0.05, history=2)
    for _ in range(3):
        made.send.click()
    assert [sent.number for sent in made.history] == [2, 3]
    made.close()


# -- the second request on the same connection ------------------------------------------------


def test_the_second_request_reads_the_stray_body_first(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    before = sent_count(server)
    builder.target.value = "/misbehave/body"
    assert builder.then.disabled
    builder.second.value = True
    assert not builder.then.disabled
    assert builder.then.value == "/"
    assert "then, on the same connection:" in builder.request_view.value
    builder.send.click()
    assert sent_count(server) == before + 2
    sent = builder.last
    assert sent.second is not None and sent.second_report is not None
    assert sent.second.response is None
    assert sent.second.received.startswith(b"nullHTTP/1.1 200 OK\r\n")
    assert sent.second_report.rule_ids == ("no-response",)
    assert "nullHTTP/1.1 200 OK\\r\\n" in builder.response_view.value
    assert "What the client read next" in builder.response_view.value
    assert "Checker, second response" in builder.verdict.value
    assert "=== then, on the same connection ===" in builder.describe()
    assert sent.summary().endswith("then no response to GET: 1 MUST, 0 SHOULD, 0 INFO (FAIL)")


def test_the_default_grace_catches_a_late_stray_body(server: nocontent.Server) -> None:
    made = request_builder(server)
    made.target.value = "/misbehave/body-late"
    made.send.click()
    assert made.last.exchange.leftover == b"null"
    assert made.last.report.rule_ids[0] == "204-content"
    made.close()


def test_a_late_stray_body_corrupts_the_next_response_too(builder: RequestBuilder) -> None:
    builder.target.value = "/misbehave/body-late"
    builder.second.value = True
    builder.send.click()
    assert builder.last.second.received.startswith(b"nullHTTP/1.1 200 OK\r\n")


def test_a_smuggled_response_is_taken_as_the_answer_to_the_second_request(
    builder: RequestBuilder,
) -> None:
    builder.target.value = "/misbehave/smuggle"
    builder.second.value = True
    builder.send.click()
    second = builder.last.second
    assert second.response is not None
    assert (second.status, second.response.body) == (200, b"EVIL!")
    assert "EVIL!" in builder.response_view.value


def test_after_a_clean_204_the_second_response_is_the_right_one(builder: RequestBuilder) -> None:
    builder.target.value = "/status/204"
    builder.second.value = True
    builder.then.value = "/beacon"
    builder.send.click()
    sent = builder.last
    assert sent.exchange.leftover == b""
    assert sent.second.status == 200
    assert sent.second.response.body.startswith(b'{"beacons": ')


# -- the freshness calculator ----------------------------------------------------------------


@pytest.fixture
def calculator(server: nocontent.Server) -> Iterator[FreshnessCalculator]:
    made = freshness_calculator(server)
    yield made
    made.close()


def test_the_calculator_starts_with_the_heuristic_worked_out(
    calculator: FreshnessCalculator,
) -> None:
    result = calculator.result
    assert (result.source, result.lifetime, result.age, result.fresh) == (
        "heuristic", 86400.0, 43200.0, True)
    view = calculator.result_view.value
    assert "fresh (12h left)" in view
    assert "10% of the 10d between Last-Modified and Date" in view
    assert calculator.describe() == str(result)
    assert calculator._repr_mimebundle_()["text/plain"] == (
        "(the freshness calculator: run this cell to use it)")
    assert {"nc-freshness", "nc-check-live", "nc-fresh-result"} <= classes(calculator.ui)


def test_the_sliders_change_the_answer(calculator: FreshnessCalculator) -> None:
    calculator.request_after.value = 2 * 86400
    assert calculator.result.verdict() == "stale (1d past its lifetime)"
    calculator.modified_before.value = 30 * 86400
    assert calculator.result.lifetime == 3 * 86400
    assert calculator.result.verdict() == "fresh (1d left)"
    calculator.has_modified.value = False
    assert calculator.modified_before.disabled
    assert calculator.result.source == "unmeasured"
    assert calculator.result.verdict().startswith("up to the cache: the RFC's suggested heuristic")


def test_max_age_wins_over_the_heuristic(calculator: FreshnessCalculator) -> None:
    assert calculator.max_age.disabled
    calculator.has_max_age.value = True
    calculator.max_age.value = 60
    calculator.request_after.value = 30
    assert (calculator.result.source, calculator.result.lifetime) == ("max-age", 60.0)
    assert calculator.result.verdict() == "fresh (30s left)"
    calculator.request_after.value = 120
    assert calculator.result.verdict() == "stale (1m past its lifetime)"


def test_a_date_that_is_not_a_date_is_explained(calculator: FreshnessCalculator) -> None:
    calculator.date.value = "yesterday"
    assert calculator.result is None
    assert "is not an HTTP-date" in calculator.result_view.value
    assert "nc-error" in calculator.result_view._dom_classes
    assert calculator.describe().startswith("Nothing to work out: Date 'yesterday'")
    calculator.date.value = "Sun, 01 Mar 2026 12:00:00 GMT"
    assert calculator.result.fresh
    assert "nc-error" not in calculator.result_view._dom_classes


def test_the_live_check_agrees_with_the_heuristic(
    calculator: FreshnessCalculator, server: nocontent.Server
) -> None:
    before = sent_count(server)
    calculator.check_live.click()
    assert sent_count(server) == before + 1
    live = calculator.live
    # The server dates Last-Modified 10 days before it started, so the interval is 10 days
    # plus however long this module's server has been running.
    since = live.date - live.last_modified
    assert 10 * 86400 <= since < 10 * 86400 + 3600
    assert (live.source, live.lifetime, live.fresh) == ("heuristic", 0.1 * since, True)
    assert "heuristically-cacheable" in calculator.live_report.rule_ids
    # the controls now hold the live values (to the slider's step), so the answers agree
    assert calculator.modified_before.value == 10 * 86400
    assert calculator.request_after.value == 0
    assert calculator.result.lifetime == 86400.0
    assert calculator.result.verdict() == "fresh (1d left)"
    assert "=== live response ===" in calculator.describe()
    assert "HTTP/1.1 204 No Content\\r\\n" in calculator.live_view.value


def test_the_live_check_with_max_age(calculator: FreshnessCalculator) -> None:
    calculator.live_target.value = "/cache/max-age/60"
    calculator.check_live.click()
    assert (calculator.live.source, calculator.live.lifetime) == ("max-age", 60.0)
    assert calculator.has_max_age.value and calculator.max_age.value == 60
    assert not calculator.has_modified.value
    assert calculator.result.verdict() == "fresh (1m left)"


def test_the_live_check_with_no_store(calculator: FreshnessCalculator) -> None:
    calculator.live_target.value = "/cache/no-store"
    calculator.check_live.click()
    assert calculator.live.source == "no-store"
    assert not calculator.live.fresh
    assert "not stored: no-store" in calculator.live_view.value


def test_the_live_check_without_a_server_is_a_message() -> None:
    stopped = nocontent.Server()
    stopped.stop()
    made = FreshnessCalculator(stopped)
    made.check_live.click()
    assert made.error.startswith("The server could not be reached")
    assert "nc-error" in made.live_view._dom_classes
    made.close()


# -- the state a builder starts in, and Reset ------------------------------------------------


def test_the_builder_starts_in_the_state_its_keywords_describe(server: nocontent.Server) -> None:
    server.reset()
    made = request_builder(server, method="PUT", target="/docs/draft",
                           headers=[("Content-Type", "text/plain"), ("X-Trace", "7")],
                           body="first line\n", then="/docs/welcome", grace=0.05)
    try:
        assert made.method.value == "PUT"
        assert made.target.value == "/docs/draft"
        assert [(r.name.value, r.value.value, r.on.value) for r in made.header_rows] == [
            ("Content-Type", "text/plain", True), ("X-Trace", "7", True)]
        assert made.body.value == "first line\n" and not made.body.disabled
        assert made.second.value and made.then.value == "/docs/welcome"
        assert made.state() == made.initial
        assert "PUT /docs/draft HTTP/1.1\\r\\n" in made.request_view.value
        before = sent_count(server)
        made.send.click()
        assert sent_count(server) == before + 2  # the PUT, then the GET on the same connection
        assert server.exchanges[-2].received.endswith(
            b"Content-Type: text/plain\r\nX-Trace: 7\r\nContent-Length: 11\r\n\r\nfirst line\n")
        assert made.last.exchange.status == 201
        assert made.last.second.status == 200
    finally:
        made.close()


def test_a_method_outside_the_buttons_and_a_row_switched_off_can_be_the_start(
    server: nocontent.Server,
) -> None:
    made = request_builder(server, method="PROPFIND", headers=[Row(False, "Depth", "1")])
    try:
        assert (made.method.value, made.other_method.value) == (OTHER, "PROPFIND")
        assert not made.header_rows[0].on.value
        assert made.refresh() == (
            f"PROPFIND /docs/welcome HTTP/1.1\r\nHost: {server.url[7:]}\r\n\r\n".encode())
    finally:
        made.close()


def drive_everything(made: RequestBuilder) -> None:
    """Change every control, send twice, fold the sections the other way."""
    made.method.value = "POST"
    made.target.value = "/beacon"
    made.add_row("X-Extra", "1")
    made.body.value = "event=1"
    made.second.value = True
    made.then.value = "/beacon"
    made.send.click()
    made.send.click()
    for section in made.sections.values():
        section.selected_index = None if section.selected_index == 0 else 0
    assert made.last is not None and len(made.history) == 2


@pytest.mark.parametrize("how", ["button", "method"])
def test_reset_goes_back_to_the_start_and_clears_the_results(
    server: nocontent.Server, how: str
) -> None:
    made = request_builder(server, method="PUT", target="/docs/draft",
                           headers=[("Content-Type", "text/plain")], body="a draft\n",
                           sections=("request", "copy"), grace=0.05)
    try:
        fresh_copy = made.copy_view.value
        drive_everything(made)
        if how == "button":
            made.reset_button.click()
        else:
            made.reset()
        assert made.error is None
        assert made.state() == made.initial == BuilderState(
            method="PUT", target="/docs/draft", rows=(Row(True, "Content-Type", "text/plain"),),
            body="a draft\n")
        assert not made.second.value and made.then.value == "/" and made.then.disabled
        assert made.last is None and list(made.history) == [] and made.history_lines() == []
        assert made.describe() == "Nothing sent yet."
        assert "Nothing sent yet." in made.verdict.value
        assert made.response_view.value == ""
        assert "PUT /docs/draft" not in made.history_view.value
        assert "Request (not sent yet)" in made.request_view.value
        assert made.copy_view.value == fresh_copy
        assert {name: s.selected_index for name, s in made.sections.items()} == {
            "request": 0, "response": None, "copy": 0, "history": None}
        made.send.click()
        assert made.last.number == 1  # the count starts again
    finally:
        made.close()


def test_reset_clears_a_refusal_and_keeps_the_servers_documents(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.method.value = "PUT"
    builder.target.value = "/docs/kept"
    builder.body.value = "stored\n"
    builder.send.click()
    builder.add_row("X Bad", "1")
    builder.send.click()
    assert builder.problems and "nc-error" in builder.verdict._dom_classes
    builder.reset()
    assert builder.problems == ()
    assert "nc-error" not in builder.verdict._dom_classes
    assert builder.header_rows == []
    assert builder.state() == BuilderState()
    assert server.app.store.get("kept").body == b"stored\n"  # server.reset() does that


def test_reset_puts_back_a_typed_method(server: nocontent.Server) -> None:
    made = request_builder(server, method="PROPFIND")
    try:
        made.method.value = "GET"
        made.reset()
        assert (made.method.value, made.other_method.value) == (OTHER, "PROPFIND")
        assert not made.other_method.disabled
    finally:
        made.close()


# -- the panel: verdict in view, the rest in folding sections ----------------------------------


def test_the_verdict_stays_in_view_and_the_rest_folds(builder: RequestBuilder) -> None:
    children = list(builder.ui.children)
    assert builder.verdict in children  # not inside a section
    views = {"request": builder.request_view, "response": builder.response_view,
             "copy": builder.copy_view, "history": builder.history_view}
    for name, section in builder.sections.items():
        assert section in children
        assert list(section.children) == [views[name]]
        assert section.titles == (SECTIONS[name],)
    assert {name: s.selected_index for name, s in builder.sections.items()} == {
        "request": 0, "response": None, "copy": None, "history": None}


def test_the_summary_in_view_says_what_came_back(builder: RequestBuilder) -> None:
    builder.target.value = "/misbehave/body"
    builder.send.click()
    verdict = builder.verdict.value
    assert 'class="nc-summary"' in verdict
    assert "<b>#1 GET /misbehave/body:</b> <b>204 No Content</b>" in verdict
    assert "4 bytes left on the connection" in verdict
    assert "(FAIL)" in verdict


def test_the_sections_shown_unfolded_can_be_chosen(server: nocontent.Server) -> None:
    made = request_builder(server, sections=("response", "history"))
    try:
        assert {name: s.selected_index for name, s in made.sections.items()} == {
            "request": None, "response": 0, "copy": None, "history": 0}
    finally:
        made.close()
    with pytest.raises(ValueError, match="unknown section 'bytes'; the sections are request"):
        request_builder(server, sections=("bytes",))


def test_the_history_is_an_html_table(builder: RequestBuilder) -> None:
    builder.send.click()
    assert "<table" in builder.history_view.value
    assert "<pre" not in builder.history_view.value


# -- copy as curl or httpx ---------------------------------------------------------------


def test_the_copy_area_follows_the_controls_and_sends_nothing(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    before = sent_count(server)
    assert escape(builder.as_curl()) in builder.copy_view.value
    builder.method.value = "PUT"
    builder.presets["If-Match"].click()
    builder.body.value = "it's new\n"
    curl, code = builder.as_curl(), builder.as_httpx()
    assert "-X PUT" in curl and f"If-Match: {etag(server)}" in curl
    assert "'PUT'" in code and "content=\"it's new\\n\"" in code
    assert escape(curl) in builder.copy_view.value
    assert escape(code) in builder.copy_view.value
    assert sent_count(server) == before


@pytest.mark.parametrize("case", list(REASONS))
def test_bad_input_gives_no_snippet_but_the_send_buttons_reason(
    builder: RequestBuilder, case: str
) -> None:
    set_up(builder, case)
    copy = builder.copy_view.value
    assert escape(REASONS[case]) in copy
    assert "curl -i" not in copy and "httpx.request" not in copy
    builder.send.click()
    assert all(_widgets._rfc_links(problem) in copy for problem in builder.problems)
    for snippet in (builder.as_curl, builder.as_httpx):
        with pytest.raises(nocontent.LocalProtocolError) as caught:
            snippet()
        assert str(caught.value) == "; ".join(builder.problems)


def test_a_request_httpx_would_change_keeps_its_curl_command(builder: RequestBuilder) -> None:
    builder.method.value = OTHER
    builder.other_method.value = "get"
    copy = builder.copy_view.value
    assert "curl -i -X get" in copy
    assert "httpx upper-cases the method, so it would send GET instead of get" in copy
    assert "httpx.request" not in copy


def test_the_copy_area_says_the_second_request_is_not_in_it(builder: RequestBuilder) -> None:
    assert "first request only" not in builder.copy_view.value
    builder.second.value = True
    assert "Both send the first request only" in builder.copy_view.value


CLIENT_FIELDS = {"user-agent", "accept", "accept-encoding", "connection"}
"""Fields curl and httpx add of their own."""


def as_received(data: bytes, own: set[str]) -> tuple[str, str, list[tuple[str, str]], list[str],
                                                     bytes]:
    """Method, target, fields in order (client extras left out), Content-Length and body."""
    end = data.index(b"\r\n\r\n") + 4
    method, target, _, headers = parse_request_head(data[:end])
    extra = CLIENT_FIELDS - own
    kept = [(name, value) for name, value in headers
            if name.lower() not in extra and name.lower() != "content-length"]
    length = [value for name, value in headers if name.lower() == "content-length"]
    return method, target, kept, length, data[end:]


def run_curl(command: str) -> None:
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30,
                          check=False)
    assert done.returncode == 0, done.stderr


def run_httpx(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<copied httpx code>", "exec"), {})
    return out.getvalue()


SNIPPET_CASES = {
    "GET with a query and awkward values": dict(
        target="/docs/welcome?x='1'&y=$HOME;z=(a*b)+c,d!e~f:g@h/i?j",
        headers=[("Accept", "text/plain"), ("X-Quote", "it's \"q\" $HOME `date` \\ | ; &"),
                 ("X-Empty", ""), ("x-lower-case", "kept as typed"), ("X-Pad", "  padded  ")]),
    "HEAD": dict(method="HEAD"),
    "PUT with If-Match and a body full of shell characters": dict(
        method="PUT", target="/docs/copied",
        headers=[("If-Match", '"stale"'), ("Content-Type", "text/plain; charset=utf-8")],
        body="it's \"new\"\n$HOME `date` $(id) café ☕\r\nback\\slash\n'"),
    "POST with no body": dict(method="POST", target="/beacon"),
    "POST whose body starts with @": dict(method="POST", target="/beacon", body="@/etc/passwd"),
    "PATCH with a merge patch": dict(
        method="PATCH", target="/docs/settings",
        headers=[("Content-Type", "application/merge-patch+json")], body='{"theme": "dark"}'),
    "DELETE of nothing": dict(method="DELETE", target="/docs/nothing-here"),
    "a CORS preflight with duplicate fields": dict(
        method="OPTIONS",
        headers=[("Origin", "https://editor.example"), ("Access-Control-Request-Method", "PUT"),
                 ("X-Dup", "1"), ("X-Dup", "2")]),
    "a lower-case method (curl only)": dict(method="get"),
    "dot segments (curl only)": dict(target="/docs/../docs/./welcome"),
}


@pytest.mark.parametrize("case", list(SNIPPET_CASES))
def test_the_copied_commands_send_what_the_builder_sends(
    server: nocontent.Server, case: str
) -> None:
    server.reset()
    made = request_builder(server, grace=0.05, **SNIPPET_CASES[case])
    try:
        own = {row.name.lower() for row in made.initial.rows}
        server.exchanges.clear()
        made.send.click()
        assert made.error is None and made.problems == ()
        wanted = as_received(server.exchanges[0].received, own)
        assert (wanted[0], wanted[1]) == (made.initial.method, made.initial.target)

        curl = made.as_curl()
        assert escape(curl) in made.copy_view.value
        server.exchanges.clear()
        run_curl(curl)
        assert as_received(server.exchanges[0].received, own) == wanted

        try:
            code = made.as_httpx()
        except nocontent.LocalProtocolError as exc:
            assert case.endswith("(curl only)")
            assert _widgets._rfc_links(str(exc)) in made.copy_view.value
            return
        assert not case.endswith("(curl only)")
        assert escape(code) in made.copy_view.value
        server.exchanges.clear()
        printed = run_httpx(code)
        assert as_received(server.exchanges[0].received, own) == wanted
        assert printed.startswith(f"{made.last.exchange.status} ")
    finally:
        made.close()


# -- a 412 names the precondition that failed ------------------------------------------------


def test_a_stale_if_match_names_both_tags(
    builder: RequestBuilder, server: nocontent.Server, capfd: pytest.CaptureFixture[str]
) -> None:
    builder.method.value = "PUT"
    builder.presets["If-Match"].click()
    stale = builder.header_rows[0].value.value
    builder.body.value = "first editor\n"
    builder.send.click()
    assert builder.last.precondition is None
    current = etag(server)
    builder.body.value = "second editor, from the old copy\n"
    before = sent_count(server)
    builder.send.click()
    assert builder.last.exchange.status == 412
    expected = (f"If-Match: {stale} does not match the current ETag {current} "
                "(RFC 9110 §13.1.1: strong comparison)")
    assert builder.last.precondition == expected
    # the current validators came from a HEAD, sent after the 412
    assert sent_count(server) == before + 2
    assert (server.exchanges[-1].method, server.exchanges[-1].target) == ("HEAD", "/docs/welcome")
    verdict = builder.verdict.value
    assert 'class="nc-precondition"' in verdict
    assert f"does not match the current ETag {escape(current)}" in verdict
    assert 'href="https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1"' in verdict
    assert f"Which precondition failed: {expected}" in builder.describe()
    assert "If-Match" in builder.last.exchange.response.body.decode()  # the server agrees
    assert capfd.readouterr() == ("", "")  # nothing printed, from any thread


def test_a_weak_tag_never_passes_if_match(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.method.value = "DELETE"
    builder.add_row("If-Match", f"W/{etag(server)}")
    builder.send.click()
    assert builder.last.exchange.status == 412
    assert builder.last.precondition.endswith(
        f"W/{etag(server)} is weak, and the strong comparison never matches a weak tag, "
        "not even with itself (RFC 9110 §8.8.3.2)")
    assert server.app.store.get("welcome") is not None  # nothing was deleted


def test_if_none_match_star_on_an_existing_document(builder: RequestBuilder) -> None:
    builder.method.value = "PUT"
    builder.body.value = "must not overwrite\n"
    builder.presets["If-None-Match: *"].click()
    builder.send.click()
    assert builder.last.exchange.status == 412
    assert builder.last.precondition == (
        "If-None-Match: * failed: the document exists (RFC 9110 §13.1.2)")


def test_if_unmodified_since_an_earlier_date(builder: RequestBuilder) -> None:
    builder.method.value = "PUT"
    builder.body.value = "late edit\n"
    builder.add_row("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")
    builder.send.click()
    assert builder.last.exchange.status == 412
    assert builder.last.precondition.startswith(
        "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT failed: the document was last "
        "modified later, at ")
    assert builder.last.precondition.endswith("(RFC 9110 §13.1.4: the condition holds only "
                                              "when the last modification is earlier than or "
                                              "equal to the date given)")


def test_a_412_without_preconditions_sends_no_head(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.target.value = "/status/412"
    before = sent_count(server)
    builder.send.click()
    assert sent_count(server) == before + 1
    assert builder.last.precondition.startswith("The request carries no If-Match")


def test_other_statuses_get_no_precondition_and_no_head(
    builder: RequestBuilder, server: nocontent.Server
) -> None:
    builder.presets["If-None-Match"].click()
    before = sent_count(server)
    builder.send.click()
    assert builder.last.exchange.status == 304
    assert sent_count(server) == before + 1
    assert builder.last.precondition is None
    assert "nc-precondition" not in builder.verdict.value


def test_validators_that_cannot_be_fetched_leave_the_412_shown(
    builder: RequestBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(_target: str | None = None) -> None:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(builder, "current_validators", unreachable)
    builder.method.value = "PUT"
    builder.body.value = "x\n"
    builder.add_row("If-Match", '"old"')
    builder.send.click()
    assert builder.error is None
    assert builder.last.exchange.status == 412
    assert builder.last.precondition == (
        "the current validators could not be fetched with HEAD: connection refused")


# -- the freshness calculator: start values, Reset, status and public --------------------------


def test_the_calculator_starts_with_the_values_its_keywords_describe(
    server: nocontent.Server,
) -> None:
    made = freshness_calculator(server, date="Mon, 02 Mar 2026 08:00:00 GMT",
                                modified_before=None, max_age=60, request_after=30, status=201,
                                public=True, live_target="/cache/no-store")
    try:
        assert made.date.value == "Mon, 02 Mar 2026 08:00:00 GMT"
        assert not made.has_modified.value and made.modified_before.disabled
        assert made.has_max_age.value and made.max_age.value == 60
        assert (made.request_after.value, made.status.value, made.public.value) == (30, 201, True)
        assert made.live_target.value == "/cache/no-store"
        assert (made.result.source, made.result.lifetime, made.result.verdict()) == (
            "max-age", 60.0, "fresh (30s left)")
    finally:
        made.close()


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [("modified_before", 12345, "modified_before=12345 is not a step of its slider"),
     ("request_after", 7, "request_after=7 is not a step of its slider"),
     ("max_age", -1, "max_age=-1 is not a number of seconds"),
     ("status", 99, "status=99: a stored response has a final status"),
     ("live_target", "/cache/other", "live_target='/cache/other' is not one of")],
)
def test_start_values_the_controls_cannot_hold_are_refused(
    server: nocontent.Server, keyword: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        freshness_calculator(server, **{keyword: value})


@pytest.mark.parametrize("how", ["button", "method"])
def test_the_calculator_reset_goes_back_to_its_start(
    calculator: FreshnessCalculator, how: str
) -> None:
    first = calculator.result
    calculator.live_target.value = "/cache/max-age/60"
    calculator.check_live.click()
    calculator.date.value = "yesterday"
    calculator.status.value = 500
    calculator.public.value = True
    assert calculator.live is not None
    if how == "button":
        calculator.reset_button.click()
    else:
        calculator.reset()
    assert calculator.error is None
    assert (calculator.live, calculator.live_report, calculator.live_view.value) == (
        None, None, "")
    assert calculator.result == first
    assert calculator.date.value == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert calculator.has_modified.value and not calculator.has_max_age.value
    assert (calculator.status.value, calculator.public.value) == (204, False)
    assert calculator.live_target.value == "/cache/heuristic"
    assert "nc-error" not in calculator.result_view._dom_classes


def test_a_status_that_is_not_heuristically_cacheable_needs_public(
    calculator: FreshnessCalculator,
) -> None:
    assert calculator.status.value == 204 and not calculator.public.value
    calculator.status.value = 201
    assert calculator.result.source == "no-heuristic"
    assert _widgets._rfc_links(
        "no heuristic lifetime: 201 is not heuristically cacheable and not marked public "
        "(RFC 9111 §4.2.2)") in calculator.result_view.value
    calculator.public.value = True
    assert (calculator.result.source, calculator.result.lifetime) == ("heuristic", 86400.0)
    assert "fresh (12h left)" in calculator.result_view.value


def test_without_last_modified_the_calculator_does_not_call_it_stale(
    calculator: FreshnessCalculator,
) -> None:
    calculator.has_modified.value = False
    view = calculator.result_view.value
    assert "up to the cache" in view
    assert "another cache may use another" in view
    assert "stale" not in view and "no freshness lifetime" not in view


def test_the_working_is_an_html_table_with_links(calculator: FreshnessCalculator) -> None:
    view = calculator.result_view.value
    assert "<table" in view and "white-space: pre\"" not in view
    assert "<th" in view and ">lifetime</th>" in view
    assert 'href="https://www.rfc-editor.org/rfc/rfc9111#section-4.2.2"' in view


def test_the_live_check_loads_the_status_and_public(calculator: FreshnessCalculator) -> None:
    calculator.status.value = 500
    calculator.public.value = True
    calculator.check_live.click()
    assert (calculator.status.value, calculator.public.value) == (204, False)
    assert "<details>" in calculator.live_view.value  # the bytes fold away
