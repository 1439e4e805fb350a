"""The browser lab's page in headless Chromium: every experiment, every spec prediction.

The page runs its experiments against a server of this module's own and
reports each result to it. Every result the specs predict is asserted as
predicted (:func:`nocontent._browserlab.departures` is empty); where Chromium
departs from the spec, the test asserts what Chromium was measured to do, and
says so. Results the specs leave open are asserted as measured too.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest

from nocontent import etag_for
from nocontent._browserlab import CORS_BODIES, EXPERIMENTS, departures
from nocontent._editor import browser_url

pytestmark = [pytest.mark.browser, pytest.mark.live]

RUN_TIMEOUT = 90_000
"""Milliseconds the whole page may take (about ten seconds on an idle machine)."""

CHROMIUM_DEPARTS = {
    # Fetch's main fetch sets a null body status's body to null; Chromium gives an empty
    # stream (whatwg/fetch#1779; crbug 1297060, filed with web-platform-tests/wpt#32813).
    "fetch.204": ['body: "empty stream", the spec says "null"'],
    "fetch.205": ['body: "empty stream", the spec says "null"'],
    "http2": ['body: "empty stream", the spec says "null"'],  # the same over HTTP/2
}
"""Where Chromium was measured to depart from the spec's prediction, and how."""


@pytest.fixture(scope="module")
def server(own_server):
    return own_server


@pytest.fixture(scope="module")
def tls():
    """The course's TLS server (HTTP/2, HTTP/3) for the page's last two rows, or None when
    its packages are missing (a failure under CI=true, where everything must run)."""
    try:
        from nocontent._tls import TLSServer
    except ImportError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but the TLS server cannot start: {exc}", pytrace=False)
        yield None
        return
    with TLSServer() as running:
        yield running


@pytest.fixture(scope="module")
def ran(browser, server, tls):
    """Run the page once in a fresh browser context; the results, the page's rows, errors."""
    server.reset()
    # The TLS server's certificate is a throwaway one, which Chromium is told to accept.
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/browser-lab?run=chromium-test" + (f"&tls={tls.port}" if tls else ""))
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("data-state", "done", timeout=RUN_TIMEOUT)
    verdicts = {name: page.get_attribute(f"[id='row-{name}']", "data-verdict")
                for name in (e.name for e in EXPERIMENTS)}
    state = page.inner_text("#state")
    context.close()
    results = {e["experiment"]: e["result"] for e in
               server.app.browser_lab.results_of("chromium-test")}
    print(f"\nChromium {browser.version}: " + "; ".join(
        f"{name} {results[name]}" for name in ("fetch.204", "cache.heuristic")))
    return {"results": results, "verdicts": verdicts, "state": state, "errors": errors,
            "agent": server.app.browser_lab.results_of("chromium-test")[0]["user_agent"]}


def test_the_notebook_shows_this_run_beside_the_saved_engines(ran, server) -> None:
    """What notebook 15's cell does: read /browser-lab/results, compare with the captures."""
    from nocontent.lab.browsershow import compare, saved

    results = httpx.get(server.url + "/browser-lab/results").json()
    shown = compare(saved(), [e for e in results if e["run"] == "chromium-test"])
    assert shown.caption.startswith(f"Run chromium-test: {len(EXPERIMENTS)} of "
                                    f"{len(EXPERIMENTS)} experiments reported by Mozilla/5.0")
    rows = {row[0]: row for row in shown.table.rows}
    assert shown.table.header[2:4] == ("your browser", "Chromium")
    for name in ("nav.form-post.205", "fetch.204", "cors.no-expose", "cache.heuristic"):
        assert rows[name][2] == rows[name][3], name  # this run, as the saved Chromium capture


def test_every_experiment_reported_once_without_a_script_error(ran) -> None:
    assert list(ran["results"]) != []
    assert sorted(ran["results"]) == sorted(e.name for e in EXPERIMENTS)
    assert ran["errors"] == []
    assert re.fullmatch(rf"Run chromium-test: {len(EXPERIMENTS)} of {len(EXPERIMENTS)} results "
                        r"sent to the server\. Done\.", ran["state"]), ran["state"]
    assert "HeadlessChrome/" in ran["agent"]


@pytest.mark.parametrize("name", [e.name for e in EXPERIMENTS if e.predicted is not None])
def test_each_spec_prediction(ran, tls, name) -> None:
    result = ran["results"][name]
    if name == "http2" and tls is None:
        pytest.skip("the TLS server's packages (cryptography, aioquic) are not installed")
    assert "error" not in result and "skipped" not in result, result
    assert departures(name, result) == CHROMIUM_DEPARTS.get(name, []), result
    # The page says the same: its verdict for the row.
    assert ran["verdicts"][name] == ("departs" if name in CHROMIUM_DEPARTS else "as-spec")


def test_navigation_reached_the_server_with_the_method_it_was_sent_with(ran) -> None:
    for how in ("link", "form-get", "form-post", "assign"):
        for status in (204, 205, 200):
            result = ran["results"][f"nav.{how}.{status}"]
            assert result["method"] == ("POST" if how == "form-post" else "GET")
            # Measured: a load event on the frame only when a document replaced it.
            assert result["load_events"] == (1 if status == 200 else 0), (how, status)


def test_the_fetch_rows_as_measured_in_chromium(ran) -> None:
    results = ran["results"]
    # Measured: an empty stream, not null, and reading it gives nothing; text() and json()
    # are as the spec says for a null body (an empty byte sequence).
    assert results["fetch.204"] == {"status": 204, "ok": True, "body": "empty stream",
                                    "text": "", "json": "SyntaxError"}
    # The 204 to the same-origin PUT: its ETag is that of the bytes sent; its body too is an
    # empty stream. The document did not exist, so the first PUT created it.
    assert results["fetch.put-etag"] == {"created": 201, "status": 204,
                                         "etag": etag_for(CORS_BODIES[1]),
                                         "body": "empty stream"}


def test_the_cors_rows_and_what_reached_the_server(ran, server) -> None:
    expose, hidden = ran["results"]["cors.expose"], ran["results"]["cors.no-expose"]
    assert (expose["puts"], hidden["puts"]) == (1, 1)
    assert expose["created"] == 201 and hidden["created"] == 204  # the second found it there
    # Every preflight the server answered was a 204 with the methods allowed.
    preflights = [r for r in server.exchanges
                  if r.method == "OPTIONS" and r.target.startswith("/docs/browser-lab-cors")]
    assert len(preflights) == 4  # one before each of the four cross-origin PUTs
    assert {r.status for r in preflights} == {204}
    assert all(b"Origin: http://127.0.0.1:" in r.received for r in preflights)
    assert all(b"Access-Control-Request-Method: PUT" in r.received for r in preflights)


def test_the_cache_rows_as_measured_in_chromium(ran) -> None:
    results = ran["results"]
    assert results["cache.control-200"]["reached"] == 1  # this Chromium's cache reuses
    # RFC 9111 §4.2.2 allows reuse, and does not require it. Measured: Chromium sent the
    # second GET to the server unconditionally; it did not reuse the 204 heuristically.
    assert results["cache.heuristic"] == {"first": 204, "second": 204, "reached": 2,
                                          "revalidated": False}


def test_the_beacon_reached_the_server_once(ran, server) -> None:
    assert ran["results"]["beacon"] == {"returned": True, "reached": 1, "method": "POST"}
    beacons = [b for b in server.app.beacons if b.size == len(b"sent by the browser lab")]
    assert len(beacons) == 1


def test_the_broken_204_spoiled_nothing_in_chromium(ran) -> None:
    assert ran["results"]["broken.body"] == {"first": '204 ""', "second": '200 "200 OK\\n"',
                                             "second_reached": 1}


def test_http2_and_http3_as_measured_in_chromium(ran, tls) -> None:
    if tls is None:
        pytest.skip("the TLS server's packages (cryptography, aioquic) are not installed")
    assert ran["results"]["http2"] == {"version": "HTTP/2", "status": 204, "ok": True,
                                       "body": "empty stream"}
    # RFC 9114 §3.1.1: a client MAY move to HTTP/3 after Alt-Svc. Measured: Chromium kept
    # its HTTP/2 connection for all five requests.
    assert ran["results"]["http3"] == {"versions": ["HTTP/2"] * 5}
    versions = [r.version for r in tls.exchanges if r.target.startswith("/browser-lab/answer")]
    assert versions == ["HTTP/2"] * 6  # the server saw what the page reports


def test_without_a_tls_server_the_last_rows_say_why(browser, server) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/browser-lab?run=no-tls")
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("data-state", "done", timeout=RUN_TIMEOUT)
    context.close()
    found = {e["experiment"]: e["result"] for e in server.app.browser_lab.results_of("no-tls")}
    for name in ("http2", "http3"):
        assert found[name] == {"skipped": "no TLS server was given to this page (?tls=PORT), "
                                          "and this server speaks HTTP/1.1 without TLS"}


@pytest.mark.jupyter
def test_the_page_runs_through_jupyter_server_proxy(monkeypatch, proxied, browser,
                                                    server) -> None:
    """Behind the proxy every URL is relative, except the CORS rows' other origin."""
    from playwright.sync_api import expect

    server.reset()
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", proxied.prefix)
    context = browser.new_context()
    page = context.new_page()
    assert page.goto(f"{proxied.base}api/status?token={proxied.token}").status == 200
    page.goto(proxied.origin + browser_url(server, "/browser-lab?run=proxied"))
    expect(page.locator("html")).to_have_attribute("data-state", "done", timeout=RUN_TIMEOUT)
    context.close()
    results = {e["experiment"]: e["result"] for e in
               server.app.browser_lab.results_of("proxied")}
    assert sorted(results) == sorted(e.name for e in EXPERIMENTS)
    # The broken 204 would reach the proxy, not this browser: the page says so.
    assert "the proxy reads the broken 204" in results.pop("broken.body")["skipped"]
    for name, result in results.items():
        assert "error" not in result, (name, result)
        if name in ("http2", "http3"):  # no TLS server given to the page here
            assert "no TLS server was given" in result["skipped"]
            continue
        assert "skipped" not in result, (name, result)
        assert departures(name, result) == CHROMIUM_DEPARTS.get(name, []), (name, result)
    # The other origin was the server's own address, on the same machine as this browser.
    assert results["cors.expose"]["etag"] == etag_for(CORS_BODIES[1])
