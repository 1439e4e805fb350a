"""The widgets, driven from code as a learner drives them with the mouse, without a browser.

ipywidgets works without a kernel (its comm is a dummy), so setting ``.value``
and calling ``.click()`` run the same callbacks a page would. Every send goes
to this module's own server, whose ``.exchanges`` shows whether anything was
sent at all.
"""

import subprocess
import sys
from collections.abc import Iterator
from html import escape

import pytest

import nocontent
from nocontent import _widgets
from nocontent._builder import NO_ETAG, PRESETS
from nocontent._http import MAX_BODY
from nocontent._widgets import (
    HISTORY,
    OTHER,
    FreshnessCalculator,
    RequestBuilder,
    freshness_calculator,
    request_builder,
)

pytestmark = pytest.mark.live

CLASSES = {
    "nc-builder", "nc-method", "nc-target", "nc-header-row", "nc-preset", "nc-body", "nc-send",
    "nc-second", "nc-request", "nc-response", "nc-verdict", "nc-history",
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
    assert bundle["text/plain"] == "<nocontent request builder>"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_factory_uses_the_server_given(server: nocontent.Server) -> None:
    made = request_builder(server)
    assert made.server is server
    assert made.grace == 0.5
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
    assert calculator._repr_mimebundle_()["text/plain"] == "<nocontent freshness calculator>"
    assert {"nc-freshness", "nc-check-live", "nc-fresh-result"} <= classes(calculator.ui)


def test_the_sliders_change_the_answer(calculator: FreshnessCalculator) -> None:
    calculator.request_after.value = 2 * 86400
    assert calculator.result.verdict() == "stale (1d past its lifetime)"
    calculator.modified_before.value = 30 * 86400
    assert calculator.result.lifetime == 3 * 86400
    assert calculator.result.verdict() == "fresh (1d left)"
    calculator.has_modified.value = False
    assert calculator.modified_before.disabled
    assert calculator.result.verdict() == "stale (no freshness lifetime)"


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
    assert (live.source, live.lifetime, live.fresh) == ("heuristic", 86400.0, True)
    assert live.date - live.last_modified == 10 * 86400
    assert "heuristically-cacheable" in calculator.live_report.rule_ids
    # the controls now hold the live values, so the calculator gives the same answer
    assert calculator.modified_before.value == 10 * 86400
    assert calculator.request_after.value == 0
    assert calculator.result.lifetime == live.lifetime
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
    assert "not stored (no-store)" in calculator.live_view.value


def test_the_live_check_without_a_server_is_a_message() -> None:
    stopped = nocontent.Server()
    stopped.stop()
    made = FreshnessCalculator(stopped)
    made.check_live.click()
    assert made.error.startswith("The server could not be reached")
    assert "nc-error" in made.live_view._dom_classes
    made.close()
