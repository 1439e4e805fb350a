"""The browser lab's saved captures: they parse, they say what notebook 15 says, and under
CI=true a fresh capture in all three engines matches them (versions and dates aside)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from nocontent._browserlab import EXPERIMENTS, departures
from nocontent.lab import browsers
from nocontent.lab.browsers import ENGINES, FORMAT, capture, differences, load_browsers
from nocontent.lab.browsershow import compare, reveal, summary, table
from nocontent.lab.capture import FIXED_PORT

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "notebooks" / "data" / "browsers"
NOTEBOOK = ROOT / "notebooks" / "15-browser-lab.ipynb"
CAPTURES = load_browsers(DATA)
UNDER_CI = os.environ.get("CI", "").lower() == "true"
NAMES = [found.name for found in EXPERIMENTS]


def results(engine: str) -> dict[str, Any]:
    found: dict[str, Any] = CAPTURES[engine]["results"]
    return found


def notebook_text() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


# -- the files ----------------------------------------------------------------------------------


def test_every_engine_has_a_saved_capture() -> None:
    assert list(CAPTURES) == [engine.name for engine in ENGINES]


@pytest.mark.parametrize("engine", [engine.name for engine in ENGINES])
def test_capture_file_layout(engine: str) -> None:
    data = CAPTURES[engine]
    assert data["format"] == FORMAT and data["engine"] == engine
    assert re.fullmatch(r"\d+(\.\d+)+", data["version"]), data["version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", data["captured"])
    assert data["driver"] and data["user_agent"]
    assert list(data["results"]) == NAMES, "every experiment, in the page's order"
    text = json.dumps(data)
    assert not re.search(rf"(127\.0\.0\.1|localhost):(?!{FIXED_PORT}\b)\d+", text)
    assert not re.search(r"\"(seconds|ms|time)\"", text), "no timings"


def test_the_notebook_names_every_version_it_shows() -> None:
    text = notebook_text()
    for data in CAPTURES.values():
        assert f"{data['title']} {data['version']}" in text, data["title"]


# -- what notebook 15 says ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", [engine.name for engine in ENGINES])
def test_navigation_beacon_cors_and_the_broken_204_are_as_the_specs_say(engine: str) -> None:
    for found in EXPERIMENTS:
        if found.group in ("navigation", "beacon", "cors", "broken"):
            result = results(engine)[found.name]
            assert "error" not in result and "skipped" not in result, (found.name, result)
            assert departures(found.name, result) == [], (found.name, result)
    assert results(engine)["form.reset-205"]["fields"] == "kept"  # no engine reset the form
    for how in ("link", "form-get", "form-post", "assign"):
        for status in (204, 205, 200):  # a load event only where a new document came
            loads = results(engine)[f"nav.{how}.{status}"]["load_events"]
            assert loads == (1 if status == 200 else 0), (how, status)


@pytest.mark.parametrize("engine", [engine.name for engine in ENGINES])
def test_every_engine_gives_a_204_an_empty_stream_where_fetch_says_null(engine: str) -> None:
    found = results(engine)
    assert found["fetch.204"] == {"status": 204, "ok": True, "body": "empty stream", "text": "",
                                  "json": "SyntaxError"}
    assert found["fetch.205"]["body"] == "empty stream"
    assert departures("fetch.204", found["fetch.204"]) == [
        'body: "empty stream", the spec says "null"']
    # What the spec and the engines agree on: the constructor, XHR, the ETag of a PUT's 204.
    for name in ("response.constructor", "xhr.json", "fetch.put-etag"):
        assert departures(name, found[name]) == [], name
    assert found["response.constructor"]["null"] == "null"


def test_the_cache_rows_as_the_notebook_tells_them() -> None:
    chromium, firefox, webkit = (results(name) for name in ("chromium", "firefox", "webkit"))
    for found in (chromium, firefox):
        assert found["cache.control-200"]["reached"] == 1  # their caches reuse a fresh 200
        assert found["cache.max-age"]["reached"] == 1
        assert found["cache.no-store"]["reached"] == 2
    assert chromium["cache.heuristic"] == {"first": 204, "second": 204, "reached": 2,
                                           "revalidated": False}
    assert firefox["cache.heuristic"]["reached"] == 1
    # WebKitGTK's automation session reused nothing, not even the control's fresh 200.
    assert [webkit[f"cache.{name}"]["reached"] for name in
            ("control-200", "heuristic", "max-age", "no-store")] == [2, 2, 2, 2]


def test_over_http2_the_same_empty_stream_and_no_engine_moved_to_http3() -> None:
    for engine in CAPTURES:
        assert results(engine)["http2"] == {"version": "HTTP/2", "status": 204, "ok": True,
                                            "body": "empty stream"}, engine
        assert results(engine)["http3"] == {"versions": ["HTTP/2"] * 5}, engine


# -- the tables ----------------------------------------------------------------------------------


def test_the_fetch_table_marks_the_departure_in_every_engine() -> None:
    shown = table(CAPTURES, "fetch")
    assert shown.header == ("experiment", "the specs predict", "Chromium", "Firefox ESR",
                            "WebKitGTK")
    row = dict((r[0], r[1:]) for r in shown.rows)["fetch.204"]
    assert row[0] == 'ok true, body null, text() "", json() SyntaxError'
    assert row[1:] == ('ok true, body empty stream, text() "", json() SyntaxError ✗',) * 3


def test_a_reveal_waits_for_every_prediction() -> None:
    waiting = reveal(CAPTURES, "cache", {"Chromium": {"heuristic": None}})
    assert "Fill in every prediction" in str(waiting)
    assert reveal(CAPTURES, "cache", {"Chromium": {"heuristic": 2}}) == table(CAPTURES, "cache")
    with pytest.raises(ValueError, match="no group 'nope'"):
        table(CAPTURES, "nope")


def test_a_learners_newest_run_is_compared_with_the_engines() -> None:
    assert str(compare(CAPTURES, [])).startswith("No browser has reported yet.")
    old = {"run": "old", "experiment": "fetch.204", "result": {"body": "null"},
           "user_agent": "Old/1"}
    new = [{"run": "new", "experiment": name, "result": result, "user_agent": "Mine/2"}
           for name, result in results("firefox").items()]
    shown = compare(CAPTURES, [old, *new])
    assert shown.caption.startswith(f"Run new: {len(NAMES)} of {len(NAMES)} experiments "
                                    "reported by Mine/2.")
    rows = {row[0]: row for row in shown.table.rows}
    assert rows["fetch.204"][2] == rows["fetch.204"][4]  # the learner's column is Firefox's
    assert summary("nav.link.204", {"navigated": False}) == "stayed"


# -- the tool ----------------------------------------------------------------------------------


def test_differences_leave_versions_and_dates_aside() -> None:
    saved = CAPTURES["chromium"]
    newer = {**saved, "version": "999.0", "captured": "2099-01-01", "user_agent": "x"}
    assert differences(saved, newer) == []
    changed = json.loads(json.dumps(saved))
    changed["results"]["fetch.204"]["body"] = "null"
    assert differences(saved, changed) == [
        'fetch.204: saved {"status": 204, "ok": true, "body": "empty stream", "text": "", '
        '"json": "SyntaxError"}, now {"status": 204, "ok": true, "body": "null", "text": "", '
        '"json": "SyntaxError"}']


def test_a_missing_engine_is_skipped_with_its_reason(monkeypatch) -> None:
    monkeypatch.setattr(browsers.shutil, "which", lambda name: None)
    monkeypatch.delenv("NOCONTENT_FIREFOX", raising=False)
    said: list[str] = []
    found = browsers.capture_all(Path("unused"), ["firefox"], write=False, say=said.append)
    assert found == {"firefox": "node not on PATH (apt-get install nodejs)"}
    assert said == ["skipped  firefox: node not on PATH (apt-get install nodejs)"]


def test_the_cli_refuses_an_unknown_engine(capsys) -> None:
    from nocontent._cli import main

    assert main(["lab", "browsers", "--only", "lynx"]) == 2
    assert "unknown engine lynx; known: chromium, firefox, webkit" in capsys.readouterr().err


# -- CI: all three engines, for real ------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not UNDER_CI, reason="runs only under CI=true, where .ci/run installs "
                    "Firefox ESR, WebKitGTK, Xvfb and puppeteer-core")
@pytest.mark.parametrize("engine", ENGINES, ids=lambda engine: engine.name)
def test_a_fresh_capture_matches_the_saved_one(engine) -> None:
    reason = engine.missing()
    if reason:
        pytest.fail(f"CI=true but {engine.name} cannot run: {reason}")
    problems = differences(CAPTURES[engine.name], capture(engine))
    assert not problems, (f"a fresh {engine.name} capture differs from the saved one; if the "
                          f"browser changed, run python -m nocontent lab browsers --only "
                          f"{engine.name} and update notebook 15\n" + "\n".join(problems))
