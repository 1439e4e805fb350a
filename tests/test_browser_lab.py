"""The browser lab's server side, without a browser: its routes, its counts, its bounds.

What the page does in a real browser is tested in tests/browser/test_browser_lab_page.py;
the saved captures of the three engines in tests/test_browser_capture.py.
"""

from __future__ import annotations

import json
import re
import threading

import httpx
import pytest
from rawhttp import ask

from nocontent import etag_for
from nocontent._browserlab import (
    CORS_BODIES,
    EXPERIMENTS,
    HITS_PER_KEY,
    KEY_FIELD,
    KEYS,
    MAX_RESULT,
    RESULTS,
    VERSION_FIELD,
    BrowserLab,
    departures,
    experiment,
)
from nocontent._http import Request

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(own_server):
    return own_server


def post(server, **fields) -> httpx.Response:
    data = {"run": "r1", "experiment": "beacon", "result": {"returned": True},
            "user_agent": "a test", **fields}
    return httpx.post(server.url + "/browser-lab/results", json=data)


def get(target: str, headers=()) -> Request:
    return Request(method="GET", target=target, version="HTTP/1.1", headers=tuple(headers),
                   body=b"")


# -- the pages --------------------------------------------------------------------------------


def test_the_page_carries_every_experiment_with_its_prediction(fresh) -> None:
    page = httpx.get(fresh.url + "/browser-lab")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    listed = re.search(r"const EXPERIMENTS = (\[.*?\]);\n", page.text).group(1)
    assert json.loads(listed) == [found.as_json() for found in EXPERIMENTS]
    assert "{bodies}" not in page.text and "{key_field}" not in page.text
    assert f"const KEY_FIELD = {json.dumps(KEY_FIELD)};" in page.text
    # No absolute URL to this server: the page works behind a proxy prefix.
    assert fresh.url not in page.text and "fetch(\"/" not in page.text


def test_the_frame_page_and_the_control_are_served(fresh) -> None:
    frame = httpx.get(fresh.url + "/browser-lab/frame")
    assert frame.status_code == 200 and 'id="form"' in frame.text and 'id="link"' in frame.text
    cached = httpx.get(fresh.url + "/browser-lab/cached")
    assert (cached.status_code, cached.headers["cache-control"]) == (200, "max-age=60")
    missing = httpx.get(fresh.url + "/browser-lab/nothing")
    assert missing.status_code == 404 and "/browser-lab has /frame" in missing.text
    refused = httpx.post(fresh.url + "/browser-lab")
    # RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405"
    assert (refused.status_code, refused.headers.get("Allow")) == (405, "GET, HEAD")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_answers_are_framed_as_the_rfc_says(fresh, method) -> None:
    no_content = ask(fresh, method, "/browser-lab/answer/204")
    assert no_content.status == 204 and no_content.get("content-length") is None
    assert no_content.get("cache-control") == "no-store"
    # Any origin's script may read which protocol the request came over (HTTP/2 and 3 too).
    assert no_content.get(VERSION_FIELD) == "HTTP/1.1"
    assert no_content.get("access-control-allow-origin") == "*"
    assert no_content.get("access-control-expose-headers") == VERSION_FIELD
    reset = ask(fresh, method, "/browser-lab/answer/205")
    assert (reset.status, reset.get("content-length"), reset.body) == (205, "0", b"")
    empty = ask(fresh, method, "/browser-lab/answer/200")
    assert (empty.status, empty.get("content-length"), empty.body) == (200, "0", b"")
    assert empty.get("content-type") == "text/html; charset=utf-8"


# -- counting what reached the server ---------------------------------------------------------


def test_requests_are_counted_under_their_key_from_the_query_or_the_field(fresh) -> None:
    httpx.get(fresh.url + "/status/204?lab=k.query")
    httpx.get(fresh.url + "/cache/heuristic", headers={KEY_FIELD: "k.field"})
    httpx.get(fresh.url + "/cache/heuristic", headers={KEY_FIELD: "k.field",
                                                       "If-Modified-Since": "x"})
    httpx.get(fresh.url + "/status/204?lab=not%20a%20key")
    assert httpx.get(fresh.url + "/browser-lab/hits?key=k.query").json() == {
        "key": "k.query", "hits": [{"method": "GET", "conditional": False, "mode": None}]}
    found = httpx.get(fresh.url + "/browser-lab/hits?key=k.field").json()["hits"]
    assert [hit["conditional"] for hit in found] == [False, True]
    refused = httpx.get(fresh.url + "/browser-lab/hits?key=not%20a%20key")
    assert refused.status_code == 400 and "key is 1 to 120" in refused.text


def test_counts_are_bounded_per_key_and_in_keys() -> None:
    lab = BrowserLab()
    for _ in range(HITS_PER_KEY + 5):
        lab.saw(get("/status/204?lab=busy"))
    assert len(lab.hits("busy")) == HITS_PER_KEY
    for number in range(KEYS + 1):
        lab.saw(get(f"/status/204?lab=k{number}"))
    assert lab.hits("busy") == []  # the oldest key went first
    assert len(lab.hits(f"k{KEYS}")) == 1
    lab.reset()
    assert lab.hits(f"k{KEYS}") == []


# -- results ------------------------------------------------------------------------------------


def test_results_come_back_in_the_order_they_arrived(fresh) -> None:
    assert httpx.get(fresh.url + "/browser-lab/results").json() == []
    assert post(fresh).status_code == 204
    assert post(fresh, run="r2", experiment="fetch.204", result={"body": "null"}).status_code == 204
    everything = httpx.get(fresh.url + "/browser-lab/results").json()
    assert [(e["run"], e["experiment"]) for e in everything] == [("r1", "beacon"),
                                                                  ("r2", "fetch.204")]
    assert everything[0] == {"experiment": "beacon", "result": {"returned": True},
                             "user_agent": "a test", "run": "r1"}
    assert httpx.get(fresh.url + "/browser-lab/results?run=r2").json() == everything[1:]
    fresh.reset()
    assert httpx.get(fresh.url + "/browser-lab/results").json() == []


@pytest.mark.parametrize(("fields", "reason"), [
    ({"experiment": "nope"}, "experiment is one of nav.link.204"),
    ({"run": "a b"}, "run is 1 to 40 letters"),
    ({"result": [1]}, "result is a JSON object"),
    ({"user_agent": "x" * 513}, "user_agent is a string of at most 512"),
])
def test_a_bad_result_is_refused_with_its_reason(fresh, fields, reason) -> None:
    answer = post(fresh, **fields)
    assert answer.status_code == 400 and reason in answer.text
    assert httpx.get(fresh.url + "/browser-lab/results").json() == []


def test_results_that_are_not_json_or_too_large_are_refused(fresh) -> None:
    bad = httpx.post(fresh.url + "/browser-lab/results", content=b"{not json")
    assert bad.status_code == 400 and "not JSON" in bad.text
    large = post(fresh, result={"padding": "x" * MAX_RESULT})
    assert large.status_code == 413 and f"at most {MAX_RESULT} bytes" in large.text
    refused = httpx.put(fresh.url + "/browser-lab/results")
    assert (refused.status_code, refused.headers.get("Allow")) == (405, "GET, HEAD, POST")


def test_the_results_kept_are_bounded_and_the_oldest_go_first() -> None:
    lab = BrowserLab()
    for number in range(RESULTS + 3):
        body = json.dumps({"run": f"r{number}", "experiment": "beacon", "result": {},
                           "user_agent": "a"}).encode()
        answer = lab.route(Request(method="POST", target="/browser-lab/results",
                                   version="HTTP/1.1", headers=(), body=body), 0.0, "/results")
        assert answer.status == 204
    assert len(lab.results) == RESULTS
    assert lab.results[0]["run"] == "r3" and lab.results[-1]["run"] == f"r{RESULTS + 2}"


def test_wait_returns_once_every_experiment_has_reported() -> None:
    lab = BrowserLab()

    def report(name: str) -> None:
        body = json.dumps({"run": "r", "experiment": name, "result": {},
                           "user_agent": "a"}).encode()
        lab.route(Request(method="POST", target="/browser-lab/results", version="HTTP/1.1",
                          headers=(), body=body), 0.0, "/results")

    for found in EXPERIMENTS[:-1]:
        report(found.name)
    assert lab.wait("r", timeout=0.01) is False  # one is missing
    last = threading.Thread(target=report, args=(EXPERIMENTS[-1].name,))
    last.start()
    assert lab.wait("r", timeout=10) is True  # woken by the last report, not by the timeout
    last.join()
    assert lab.wait("other", timeout=0.01) is False
    assert [e["experiment"] for e in lab.results_of("r")] == [e.name for e in EXPERIMENTS]


# -- the predictions ----------------------------------------------------------------------------


def test_departures_name_each_key_that_differs_from_the_prediction() -> None:
    assert departures("fetch.204", {"status": 204, "ok": True, "body": "null", "text": "",
                                    "json": "SyntaxError", "extra": 1}) == []
    assert departures("fetch.204", {"status": 204, "ok": True, "body": "empty stream",
                                    "text": "", "json": "SyntaxError"}) == [
        'body: "empty stream", the spec says "null"']
    assert departures("cache.heuristic", {"reached": 2}) == []  # nothing predicted
    assert departures("cors.expose", {"skipped": "not reachable"}) == []
    with pytest.raises(KeyError, match=re.escape("no experiment 'nav.204'; known: nav.link.204")):
        experiment("nav.204")


def test_the_predicted_etags_are_those_of_the_bytes_the_page_puts() -> None:
    second = etag_for(CORS_BODIES[1])
    assert experiment("fetch.put-etag").predicted == {"status": 204, "etag": second}
    assert experiment("cors.expose").predicted["etag"] == second
    assert experiment("cors.no-expose").predicted["etag"] is None


def test_every_prediction_quotes_its_spec() -> None:
    for found in EXPERIMENTS:
        assert found.spec and found.source and found.link.startswith("https://"), found.name


# -- the switch on the server's CORS answer -----------------------------------------------------


def test_expose_none_leaves_expose_headers_out_of_the_cors_answer(fresh) -> None:
    origin = [("Origin", "http://localhost:8204"), ("Content-Type", "text/plain")]
    shown = ask(fresh, "PUT", "/docs/lab-expose", origin, b"one\n")
    assert shown.get("access-control-expose-headers") == "ETag, Last-Modified, Preference-Applied"
    hidden = ask(fresh, "PUT", "/docs/lab-expose?expose=none", origin, b"two\n")
    assert hidden.status == 204 and hidden.get("etag") == etag_for(b"two\n")
    assert hidden.get("access-control-expose-headers") is None
    assert hidden.get("access-control-allow-origin") == "http://localhost:8204"
