"""The frameworks and clients lab: saved data parses, verdicts hold, regeneration is exact."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from nocontent import FRAME_MISBEHAVIOURS
from nocontent._http import parse_request_head, split_head
from nocontent._wire import build_request
from nocontent.lab import data_dir
from nocontent.lab.capture import (
    FIXED_DATE,
    FIXED_PORT,
    FIXED_REQUEST_ID,
    FIXED_RUNTIME,
    FORMAT,
    FRAMEWORKS,
    capture,
    differences,
    exchange_of,
    expected,
    load_captures,
    normalise,
    report_of,
    today,
)
from nocontent.lab.clients import (
    CASES,
    CLIENTS,
    EXPECTED_SECOND,
    PYTHON_CLIENTS,
    load_clients,
    run_clients,
    verdict,
)
from nocontent.lab.clients import differences as client_differences
from nocontent.lab.clients_h2h3 import CASES as H2H3_CASES
from nocontent.lab.clients_h2h3 import CLIENTS as H2H3_CLIENTS
from nocontent.lab.clients_h2h3 import PYTHON_CLIENTS as H2H3_PYTHON
from nocontent.lab.clients_h2h3 import (
    chromium_flags,
    nghttp_log,
    nghttp_outcome,
    reading,
)
from nocontent.lab.clients_h2h3 import load_clients as load_h2h3
from nocontent.lab.clients_h2h3 import next_request as h2h3_next
from nocontent.lab.clients_h2h3 import run_clients as run_h2h3
from nocontent.lab.show import (
    FRAMING_ONLY,
    Pre,
    Table,
    compare,
    live,
    next_request,
    protection,
    row,
    side_by_side,
    table,
    table_h2h3,
)
from nocontent.lab.show import clients as show_clients

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data"
CAPTURES = load_captures(DATA / "captures")
MATRIX = load_clients(DATA / "clients.json")
SAVED_CASES = [(name, case["case"]) for name, data in CAPTURES.items() for case in data["cases"]]
PYTHON_FRAMEWORKS = ("python-http-server", "flask", "starlette-uvicorn-h11",
                     "starlette-uvicorn-httptools")
TOOLCHAIN_FRAMEWORKS = ("go-net-http", "node-http", "node-http-strict", "rack", "rack-lint",
                        "rails", "symfony")
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def case_of(framework: str, name: str) -> dict[str, Any]:
    return next(c for c in CAPTURES[framework]["cases"] if c["case"] == name)


# -- the saved captures ---------------------------------------------------------------------


def test_data_dir_is_the_notebooks_data() -> None:
    assert data_dir() == DATA


def test_every_framework_has_a_saved_capture() -> None:
    assert list(CAPTURES) == [framework.name for framework in FRAMEWORKS]
    for framework in FRAMEWORKS:
        saved = [case["case"] for case in CAPTURES[framework.name]["cases"]]
        assert saved == [case.name for case in framework.cases], framework.name


@pytest.mark.parametrize("name", list(CAPTURES))
def test_capture_file_layout(name: str) -> None:
    data = CAPTURES[name]
    assert data["format"] == FORMAT
    assert data["framework"] == name
    assert data["version"] and data["version"] != "unknown"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", data["captured"]), "each file says when it was made"
    assert data["names"], "each framework reports its names for 204"
    assert {204, "No Content"} & set(data["names"].values())
    text = json.dumps(data)
    assert not re.search(r"127\.0\.0\.1:(?!8204\b)\d+", text), "ports are normalised"
    dates = re.findall(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", text)
    assert set(dates) <= {FIXED_DATE}, "dates are normalised"


@pytest.mark.parametrize(("framework", "name"), SAVED_CASES)
def test_capture_parses(framework: str, name: str) -> None:
    case = case_of(framework, name)
    request = case["request"].encode("latin-1")
    end = split_head(request)
    assert end == len(request)
    method, target, version, _ = parse_request_head(request[: end - 4])
    assert (method, target, version) == ("DELETE", f"/{name}", "HTTP/1.1")
    found = exchange_of(case)
    assert found.response is not None, found.error
    assert found.response.raw == case["received"].encode("latin-1")
    assert case["second"]["request"].startswith("GET /ok HTTP/1.1\r\n")


@pytest.mark.parametrize(("framework", "name"), SAVED_CASES)
def test_checker_verdict_is_the_one_the_course_states(framework: str, name: str) -> None:
    # The expectations live in nocontent.lab.capture.FRAMEWORKS; notebook 13 prints them.
    case = case_of(framework, name)
    report = report_of(case)
    assert report.rule_ids == expected(framework, name)
    assert case["checker"] == {"passed": report.passed, "rules": list(report.rule_ids)}


def test_what_the_notebook_says_about_stray_bytes() -> None:
    # Only these captures leave bytes on the connection after the 204 (notebook 13, 13.which-sent).
    stray = {(f, n): case_of(f, n)["leftover"] for f, n in SAVED_CASES if case_of(f, n)["leftover"]}
    assert stray == {
        ("symfony", "mistake-unprepared"): "{}",
        ("python-http-server", "mistake"): "null",
        ("starlette-uvicorn-httptools", "mistake-content-length"): "null",
    }
    for framework, name in stray:
        error = case_of(framework, name)["second"]["error"]
        assert error is not None and ("null" in error or "{}" in error)


def test_what_notebook_12_says_each_framework_did() -> None:
    def head(framework: str, name: str) -> str:
        found = exchange_of(case_of(framework, name)).response
        assert found is not None
        return found.head.decode("latin-1").lower()

    # Go: Write returns an error, and the Content-Length set by hand is not sent.
    assert "does not allow body" in case_of("go-net-http", "mistake")["notes"][0]
    assert "content-length" not in head("go-net-http", "content-length")
    # Node.js: write() returns true and sends nothing; a Content-Length set by hand goes out.
    assert case_of("node-http", "mistake")["notes"] == ["write returned true"]
    assert "content-length: 4" in head("node-http", "content-length")
    assert "content-length: 4" in head("node-http-strict", "content-length")
    # WEBrick drops Content-Length and body, keeps Content-Type.
    rack = head("rack", "mistake")
    assert "content-type: application/json" in rack and "content-length" not in rack
    # Rails: ActionDispatch::Response empties a 204 and removes Content-Type and Content-Length,
    # even after render json:, whose Vary stays; Puma sends no Date field.
    for name in ("idiomatic", "mistake"):
        rails = head("rails", name)
        for field in ("content-type", "content-length", "transfer-encoding", "date"):
            assert f"\r\n{field}:" not in rails, (name, field)
        assert not case_of("rails", name)["leftover"]
        assert case_of("rails", name)["second"]["status"] == 200
    assert "vary: accept" in head("rails", "mistake") and "vary" not in head("rails", "idiomatic")
    # Symfony: prepare() empties the 204; without it {} follows.
    assert not case_of("symfony", "mistake")["leftover"]
    # Werkzeug: no Content-Length whatever the view returns, and Connection: close.
    for name in ("idiomatic", "mistake", "mistake-jsonify"):
        assert "content-length" not in head("flask", name)
        assert "connection: close" in head("flask", name)
    # uvicorn: h11 refuses and closes without announcing it; httptools sends null.
    h11 = case_of("starlette-uvicorn-h11", "mistake-content-length")
    assert h11["closed"] and "close" not in head("starlette-uvicorn-h11", "mistake-content-length")
    assert "LocalProtocolError" in h11["notes"][0]
    assert case_of("starlette-uvicorn-httptools", "mistake-content-length")["leftover"] == "null"


def _prose(notebook: str) -> str:
    """A notebook's markdown, its line breaks made spaces."""
    cells = json.loads((DATA.parent / notebook).read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return " ".join(text.split())


def test_what_notebooks_01_and_13_say_about_rails() -> None:
    rails = CAPTURES["rails"]
    assert rails["names"]["ActionDispatch::Response.new(:no_content).status"] == 204
    assert rails["names"]["ActionDispatch::Response.new(204).message"] == "No Content"
    assert f"204 in Rails {rails['version']}" in _prose("01-what-204-means.ipynb")
    lab = _prose("13-frameworks-lab.ipynb")
    assert f"actionpack {rails['names']['actionpack']}" in lab
    assert f"Puma {rails['names']['puma']}'s: no `Date`" in lab
    assert [r for c in rails["cases"] for r in c["checker"]["rules"]] == ["date-missing"] * 2


def test_the_protection_table_tells_a_bodyless_mistake_from_a_dropped_body() -> None:
    fates = {(setup, case): text for setup, _, case, text in protection(CAPTURES).rows}
    # Go's content-length handler writes no body: only its Content-Length: 0, which Go removed.
    assert fates[("go-net-http", "content-length")] == "no body; Content-Length removed"
    assert fates[("node-http", "mistake")] == "body dropped without a word"
    assert fates[("rails", "mistake")] == "body dropped without a word"
    assert fates[("python-http-server", "mistake")] == (
        "body SENT after the header section; Content-Length: 4 sent as given")
    for (setup, name), field in FRAMING_ONLY.items():  # bodyless as the handler's code shows
        code = case_of(setup, name)["code"]
        assert f'"{field}"' in code and "Write(" not in code and "write(" not in code


def test_a_rack_lint_500_is_not_a_204() -> None:
    found = exchange_of(case_of("rack-lint", "mistake"))
    assert found.status == 500
    assert b"Content-Type header found in 204 response, not allowed" in found.response.body


def test_normalise() -> None:
    text = ("Host: 127.0.0.1:49152\r\nDate: Thu, 26 Nov 2026 12:31:14 GMT\r\n"
            "(port=49152) at 0x7f3a2b1c9d40")
    assert normalise(text) == (f"Host: 127.0.0.1:{FIXED_PORT}\r\nDate: {FIXED_DATE}\r\n"
                               f"(port={FIXED_PORT}) at 0x0")


def test_normalise_fixes_the_request_id_and_run_time_rails_sends() -> None:
    text = ("HTTP/1.1 204 No Content\r\nX-Request-Id: e33cfc24-1fd7-47c1-b916-152f7b545b38\r\n"
            "X-Runtime: 0.011298\r\n\r\n")
    assert normalise(text) == ("HTTP/1.1 204 No Content\r\nX-Request-Id: "
                               f"{FIXED_REQUEST_ID}\r\nX-Runtime: {FIXED_RUNTIME}\r\n\r\n")
    body = "a body may say X-Runtime: 0.5 or a uuid e33cfc24-1fd7-47c1-b916-152f7b545b38"
    assert normalise(body) == body, "only field lines are touched"


def test_a_table_is_html_in_a_notebook_and_text_elsewhere() -> None:
    shown = Table(("a", "b <c>"), (("x", Pre("1\n2")), ("yy", "&")))
    markup = shown._repr_html_()
    assert "<th" in markup and "b &lt;c&gt;" in markup and "&amp;" in markup
    assert '<pre style="margin:0; background:none">1\n2</pre>' in markup, "Pre keeps its lines"
    assert str(shown).splitlines() == ["a   b <c>", "--  -----", "x   1", "    2", "yy  &"]


def test_next_request_tells_an_announced_close_from_a_silent_one() -> None:
    assert next_request(case_of("flask", "idiomatic")).endswith("as its Connection: close said")
    assert next_request(case_of("starlette-uvicorn-h11", "mistake")).endswith(
        "without announcing it")
    assert next_request(case_of("go-net-http", "mistake")) == "its own answer (200)"
    assert next_request(case_of("python-http-server", "mistake")) == (
        "garbled: b'nullHTTP/1.1 200 OK'")


def test_compare_shows_each_case_in_a_column_of_its_own() -> None:
    shown = compare(CAPTURES, ("symfony", "mistake"), ("symfony", "mistake-unprepared"))
    assert shown.header == ("", "symfony: mistake", "symfony: mistake-unprepared")
    wire = dict((r[0], r[1:]) for r in shown.rows)["on the wire"]
    assert "... then, on the connection:\n{}" not in wire[0]
    assert "... then, on the connection:\n{}" in wire[1]
    assert dict((r[0], r[1:]) for r in shown.rows)["checker"][1].startswith("FAIL: 204-content")


def test_a_capture_made_on_another_day_is_the_same_capture() -> None:
    saved = CAPTURES["flask"]
    assert differences(saved, {**saved, "captured": "1999-12-31", "tool": "other"}) == []
    assert differences(saved, {**saved, "version": "0.0"}) != []


# -- the saved client matrix ----------------------------------------------------------------


def test_matrix_layout() -> None:
    assert MATRIX["format"] == 1
    assert [c["id"] for c in MATRIX["cases"]] == [c.id for c in CASES]
    assert [c["name"] for c in MATRIX["clients"]] == [c.name for c in CLIENTS]
    assert all(c["version"] for c in MATRIX["clients"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", c["captured"]) for c in MATRIX["clients"])
    assert MATRIX["expected_second"] == EXPECTED_SECOND
    cells = [(row["client"], row["case"]) for row in MATRIX["rows"]]
    assert cells == [(client.name, case.id) for client in CLIENTS for case in CASES]


@pytest.mark.parametrize("row", MATRIX["rows"], ids=lambda r: f"{r['client']}/{r['case']}")
def test_matrix_row_parses(row: dict[str, Any]) -> None:
    assert set(row) == {"client", "case", "first", "second", "reused", "verdict", "notes"}
    assert row["verdict"] == verdict(row["first"], row["second"])
    for outcome in (row["first"], row["second"]):
        assert re.fullmatch(r"\d{3} '.*'", outcome, re.S) or re.match(r"[\w.]+: ", outcome)
    assert row["reused"] in (True, False, None)
    assert not re.search(r"127\.0\.0\.1:(?!8204\b)\d+", json.dumps(row))


def test_matrix_claims() -> None:
    """What notebook 14 says about the matrix, cell by cell."""
    cells = {(r["client"], r["case"]): r["verdict"] for r in MATRIX["rows"]}
    assert all(cells[(c.name, "clean")] == "ok" for c in CLIENTS)
    assert all(cells[(c.name, "content-length-zero")] == "ok" for c in CLIENTS)
    assert cells[("httpx", "smuggle")] == "poisoned"
    assert [c for c in cells if cells[c] == "poisoned"] == [("httpx", "smuggle")]
    assert all(cells[("node-fetch", case.id)] == "ok" for case in CASES)
    assert all(cells[("urllib.request", case.id)] == "ok" for case in CASES)
    assert cells[("node-http", "body")] == cells[("node-http", "chunked")] == "first fails"
    late = {c.name for c in CLIENTS if cells[(c.name, "body-late")] != "ok"}
    assert late == {"httpx", "requests", "http.client", "curl", "node-http"}
    paused = {c.name for c in CLIENTS if cells[(c.name, "body-late+pause")] != "ok"}
    assert paused == {"http.client", "curl"}


def test_what_notebook_13_says_about_reuse_and_curl() -> None:
    rows = {(r["client"], r["case"]): r for r in MATRIX["rows"]}
    # The idle check: httpx and requests open a new connection after the pause.
    assert rows[("httpx", "body-late+pause")]["reused"] is False
    assert rows[("requests", "body-late+pause")]["reused"] is False
    # Node's http keeps its connection after the pause, and opens a new one after smuggle.
    assert rows[("node-http", "body-late+pause")]["reused"] is True
    assert rows[("node-http", "smuggle")]["reused"] is False
    # curl: excess in the same read is dropped and the connection reused; late bytes fail it.
    for case, excess in (("body", 4), ("chunked", 5), ("smuggle", 69)):
        notes = rows[("curl", case)]["notes"]
        assert any(f"Excess found: excess = {excess} " in note for note in notes), case
        assert any(note.startswith("* Re-using") for note in notes), case
    for case in ("body-late", "body-late+pause"):
        assert "Received HTTP/0.9" in rows[("curl", case)]["second"]


def test_a_row_shows_what_the_client_said_only_when_it_said_something() -> None:
    assert "it said" not in row(MATRIX, "node-http").header
    curl = row(MATRIX, "curl")
    assert curl.header[-1] == "it said"
    assert all(isinstance(line[-1], Pre) for line in curl.rows)


def test_table_has_a_row_per_client() -> None:
    shown = table(MATRIX)
    assert shown.header == ("client", *[c.id for c in CASES])
    assert [row[0] for row in shown.rows] == [c.name for c in CLIENTS]
    assert dict((row[0], row[1:]) for row in shown.rows)["httpx"][-1] == "2nd POISONED"


# -- regeneration, for real -----------------------------------------------------------------


def _without_python_version(data: dict[str, Any]) -> dict[str, Any]:
    """The capture with its Python version (in Server fields and names) made neutral."""
    python = data["names"].get("python")
    text = json.dumps(data)
    if python:
        text = text.replace(python, "PYTHON")
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.mark.parametrize("name", PYTHON_FRAMEWORKS)
def test_python_framework_regenerates_identically(name: str) -> None:
    framework = next(f for f in FRAMEWORKS if f.name == name)
    reason = framework.missing()
    if reason:
        pytest.skip(f"{name}: {reason}")
    fresh = capture(framework)
    problems = differences(_without_python_version(CAPTURES[name]),
                           _without_python_version(fresh))
    assert not problems, (f"{name} no longer matches its saved capture; if a pin changed, run "
                          "python -m nocontent lab capture --only " + name + "\n"
                          + "\n".join(problems))


def test_python_clients_regenerate_identically() -> None:
    versions, rows, skipped = run_clients(PYTHON_CLIENTS, say=lambda text: None)
    assert not skipped
    fresh = {**MATRIX, "rows": rows,
             "clients": [{**c, "version": versions[c["name"]]} for c in MATRIX["clients"]
                         if c["name"] in versions]}
    problems = client_differences(MATRIX, fresh, PYTHON_CLIENTS, versions=("httpx", "requests"))
    assert not problems, "\n".join(problems)


def test_cli_writes_a_capture_and_a_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    from nocontent._cli import main

    assert main(["lab", "capture", "--only", "python-http-server", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "python-http-server.json").read_text())
    assert [c["case"] for c in written["cases"]] == ["idiomatic", "mistake"]
    out = tmp_path / "clients.json"
    shutil.copy(DATA / "clients.json", out)
    assert main(["lab", "clients", "--only", "urllib.request", "--out", str(out)]) == 0
    rewritten = json.loads(out.read_text())
    assert rewritten["rows"] == MATRIX["rows"], "other clients keep their rows"

    def without_dates(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in c.items() if k != "captured"} for c in found]

    assert without_dates(rewritten["clients"]) == without_dates(MATRIX["clients"]), "versions"
    dates = {c["name"]: c["captured"] for c in rewritten["clients"]}
    assert dates.pop("urllib.request") == today(), "the client that ran is dated today"
    assert dates == {c["name"]: c["captured"] for c in MATRIX["clients"]
                     if c["name"] != "urllib.request"}, "the others keep their dates"
    assert main(["lab", "clients", "--only", "urllib.request", "--out", str(out), "--check"]) == 0
    assert "ran      urllib.request" in capsys.readouterr().out


def test_an_unknown_case_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="unknown case no-such-case; known: clean"):
        run_clients(["urllib.request"], cases=["no-such-case"], say=lambda text: None)


def test_the_live_row_of_notebook_13_matches_the_saved_one() -> None:
    shown = live(MATRIX, ["http.client"], "body-late+pause")
    assert [row[0] for row in shown.rows] == ["http.client"]
    assert shown.rows[0][1] == shown.rows[0][2] == "BadStatusLine: nullHTTP/1.1 200 OK"
    assert shown.rows[0][-1] == "yes"


def test_cli_refuses_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    from nocontent._cli import main

    assert main(["lab", "capture", "--only", "tomcat"]) == 2
    assert main(["lab", "clients", "--only", "wget"]) == 2
    err = capsys.readouterr().err
    assert "unknown framework tomcat" in err and "unknown client wget" in err


def test_a_missing_toolchain_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from nocontent.lab import capture as module

    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    said: list[str] = []
    results = module.capture_all(Path("unused"), ["go-net-http"], write=False, say=said.append)
    assert results == {"go-net-http": "go not found on PATH"}
    assert said == ["skipped  go-net-http: go not found on PATH"]


# -- CI: the other toolchains, for real -----------------------------------------------------

needs_ci = pytest.mark.skipif(not UNDER_CI, reason="runs only under CI=true, where .ci/run "
                              "installs Go, Node.js, Ruby (Rack, WEBrick, Rails, Puma) and PHP "
                              "(Symfony)")


@pytest.mark.lab
@needs_ci
@pytest.mark.parametrize("name", TOOLCHAIN_FRAMEWORKS)
def test_toolchain_framework_regenerates_identically(name: str) -> None:
    framework = next(f for f in FRAMEWORKS if f.name == name)
    reason = framework.missing()
    if reason:
        pytest.fail(f"CI=true but {name} cannot run: {reason}")
    problems = differences(CAPTURES[name], capture(framework))
    assert not problems, (f"a fresh {name} capture differs from the saved one:\n"
                          + "\n".join(problems))


@pytest.mark.lab
@needs_ci
def test_curl_and_node_clients_regenerate_identically() -> None:
    names = ("curl", "node-http", "node-fetch")
    versions, rows, skipped = run_clients(names, say=lambda text: None)
    if skipped:
        pytest.fail(f"CI=true but clients are missing: {skipped}")
    fresh = {**MATRIX, "rows": rows,
             "clients": [{**c, "version": versions[c["name"]]} for c in MATRIX["clients"]
                         if c["name"] in versions]}
    problems = client_differences(MATRIX, fresh, names, versions=names)
    assert not problems, "\n".join(problems)


def test_build_request_is_what_the_captures_sent() -> None:
    # The saved request bytes are the wire view's own, with the port normalised.
    sent = build_request("DELETE", f"http://127.0.0.1:{FIXED_PORT}/idiomatic")
    assert case_of("go-net-http", "idiomatic")["request"] == sent.decode("latin-1")


# -- the HTTP/2 and HTTP/3 client matrix (notebook 05) --------------------------------------

H2H3 = load_h2h3(DATA / "clients-h2h3.json")
H2H3_CELLS = {(r["client"], r["case"]): r for r in H2H3["rows"]}
H2H3_TOOLCHAIN = tuple(c.name for c in H2H3_CLIENTS if c.name not in H2H3_PYTHON)


def test_h2h3_matrix_layout() -> None:
    assert H2H3["format"] == 1
    assert [c["id"] for c in H2H3["cases"]] == [c.id for c in H2H3_CASES]
    assert [c["id"] for c in H2H3["cases"]][1:] == list(FRAME_MISBEHAVIOURS), "every kind"
    assert [c["name"] for c in H2H3["clients"]] == [c.name for c in H2H3_CLIENTS]
    assert [c["protocol"] for c in H2H3["clients"]] == [c.protocol for c in H2H3_CLIENTS]
    assert all(c["version"] and re.fullmatch(r"\d{4}-\d\d-\d\d", c["captured"])
               for c in H2H3["clients"])
    assert [(r["client"], r["case"]) for r in H2H3["rows"]] == [
        (client.name, case.id) for client in H2H3_CLIENTS for case in H2H3_CASES]


@pytest.mark.parametrize("row", H2H3["rows"], ids=lambda r: f"{r['client']}/{r['case']}")
def test_h2h3_matrix_row_parses(row: dict[str, Any]) -> None:
    assert set(row) == {"client", "case", "first", "second", "reused", "reading", "next",
                        "notes"}
    assert row["reading"] == reading(row["first"])
    assert row["next"] == h2h3_next(row["second"], row["reused"])
    for outcome in (row["first"], row["second"]):
        assert re.fullmatch(r"\d{3} '.*'( \+ trailers .+)?", outcome, re.S) or re.match(
            r"[\w.]+: ", outcome), outcome
    assert not re.search(r"127\.0\.0\.1:(?!8204\b)\d+", json.dumps(row)), "ports are normalised"
    assert not any(note.startswith(("first: went over", "second: went over", "the page itself"))
                   for note in row["notes"]), "Chromium spoke the protocol of its row"


def test_reading_and_next_request() -> None:
    assert reading("204 ''") == "204"
    assert reading("204 'null'") == "204 + content"
    assert reading("204 '' + trailers x-checksum: none") == "204 + trailers"
    assert reading("ERR_HTTP2_STREAM_ERROR: Stream closed") == "refused"
    assert reading("200 ''") == "refused", "only a 204 is taken as the 204"
    assert h2h3_next(EXPECTED_SECOND, True) == "same connection"
    assert h2h3_next(EXPECTED_SECOND, False) == "new connection"
    assert h2h3_next(EXPECTED_SECOND, None) == "answered"
    assert h2h3_next("curl: (16) Error in the HTTP2 framing layer", True) == "fails"


def test_what_notebook_05_says_each_client_did() -> None:
    def took(case: str, what: str) -> set[str]:
        return {c for (c, k), row in H2H3_CELLS.items() if k == case and row["reading"] == what}

    names = {c.name for c in H2H3_CLIENTS}
    nghttp2_based = {"curl", "curl-h2c", "nghttp", "node-http2"}
    assert took("clean", "204") == names
    assert took("content-length-zero", "204") == names, "content-length: 0 passed everywhere"
    # DATA after a 204: the clients built on nghttp2 reset the stream; the others kept null.
    assert took("body", "refused") == nghttp2_based
    assert took("body", "204 + content") == names - nghttp2_based
    assert all(H2H3_CELLS[(c, "body")]["first"] == "204 'null'" for c in names - nghttp2_based)
    # content-length: 4, allowed by RFC 9113 and RFC 9114: only httpx and Chromium took it.
    assert took("content-length", "204") == {"httpx", "chromium-h2", "chromium-h3"}
    assert "unexpected EOF" in H2H3_CELLS[("go-net-http", "content-length")]["first"]
    assert took("transfer-encoding", "204") == {"httpx", "go-net-http"}
    assert took("trailers", "204 + trailers") == {"nghttp", "node-http2", "go-net-http",
                                                   "aioquic"}
    assert took("trailers", "refused") == {"chromium-h3"}


def test_what_notebook_05_says_about_the_next_request() -> None:
    nexts = {(c, k): row["next"] for (c, k), row in H2H3_CELLS.items()}
    # Every HTTP/2 client but curl-h2c kept its connection, refusals or not.
    for (client, case), found in nexts.items():
        if client not in ("curl-h2c", "aioquic"):
            assert found == "same connection", (client, case)
    # curl 7.88.1 fails every second request on a reused h2c connection, the clean case too.
    assert {nexts[("curl-h2c", c.id)] for c in H2H3_CASES} == {"fails"}
    assert H2H3_CELLS[("curl-h2c", "clean")]["second"].startswith("curl: (16) ")
    assert H2H3_CELLS[("curl-h2c", "body")]["first"].startswith("curl: (92) ")
    # aioquic closed the whole QUIC connection for the two messages it found malformed.
    assert {c.id for c in H2H3_CASES if nexts[("aioquic", c.id)] == "new connection"} == {
        "content-length", "transfer-encoding"}
    assert H2H3_CELLS[("aioquic", "content-length")]["first"] == (
        "ConnectionTerminated: the connection closed with H3_MESSAGE_ERROR (0x10e): "
        "'content-length does not match data size'")


NGHTTP_LOG = """\
[  0.010] recv (stream_id=1) :status: 204
[  0.010] recv (stream_id=1) server: nocontent/0.1.0
[  0.010] recv HEADERS frame <length=38, flags=0x04, stream_id=1>
          ; END_HEADERS
[  0.010] recv (stream_id=1) x-checksum: none
[  0.010] recv HEADERS frame <length=14, flags=0x05, stream_id=1>
          ; END_STREAM | END_HEADERS
[  0.010] recv (stream_id=3) :status: 200
[  0.010] recv HEADERS frame <length=26, flags=0x04, stream_id=3>
          ; END_HEADERS
200 OK
[  0.010] recv DATA frame <length=7, flags=0x01, stream_id=3>
          ; END_STREAM
[  0.010] recv (stream_id=5) :status: 204
[  0.010] recv HEADERS frame <length=38, flags=0x04, stream_id=5>
null[  0.010] recv DATA frame <length=4, flags=0x01, stream_id=5>
[  0.010] recv (stream_id=7) :status: 204
[  0.010] [ERROR] Invalid HTTP header field was received: frame type: 1, stream: 7, name: \
[content-length], value: [4]
[  0.010] [INVALID; error=Invalid HTTP header field was received] recv HEADERS frame \
<length=41, flags=0x05, stream_id=7>
[  0.010] send RST_STREAM frame <length=4, flags=0x00, stream_id=7>
          (error_code=PROTOCOL_ERROR(0x01))
"""


def test_nghttp_log_is_read_stream_by_stream() -> None:
    log, content = nghttp_log(NGHTTP_LOG)
    assert content == {3: b"200 OK\n", 5: b"null"}, "content is cut out where nghttp wrote it"
    assert "null" not in log and "200 OK" not in log
    assert nghttp_outcome(log, content, 1) == ("204 '' + trailers x-checksum: none", "")
    assert nghttp_outcome(log, content, 3) == (EXPECTED_SECOND, "")
    assert nghttp_outcome(log, content, 5) == ("204 'null'", "")
    outcome, why = nghttp_outcome(log, content, 7)
    assert outcome == "RST_STREAM: nghttp reset the stream with PROTOCOL_ERROR"
    assert why.startswith("Invalid HTTP header field") and "[content-length]" in why
    assert nghttp_outcome(log, content, 9)[0].startswith("NoResponse: ")


def test_chromium_is_told_to_trust_the_key_and_to_use_quic_or_not() -> None:
    h2 = chromium_flags("h2", "c3BraQ==", "127.0.0.1:8204")
    h3 = chromium_flags("h3", "c3BraQ==", "127.0.0.1:8204")
    for flags in (h2, h3):
        assert "--ignore-certificate-errors-spki-list=c3BraQ==" in flags
    assert "--disable-quic" in h2 and not any("quic-on" in flag for flag in h2)
    assert "--origin-to-force-quic-on=127.0.0.1:8204" in h3 and "--disable-quic" not in h3


def test_the_h2h3_table_has_a_row_per_client_and_marks_new_and_failed_connections() -> None:
    shown = table_h2h3(H2H3)
    assert shown.header == ("client", "over", *[c.id for c in H2H3_CASES])
    rows = {row[0]: row[2:] for row in shown.rows}
    assert list(rows) == [c.name for c in H2H3_CLIENTS]
    cases = [c.id for c in H2H3_CASES]
    assert rows["aioquic"][cases.index("content-length")] == "REFUSED +new"
    assert rows["curl-h2c"][cases.index("clean")] == "204 / 2nd FAILS"
    assert rows["httpx"][cases.index("body")] == "204 +DATA"
    assert show_clients(H2H3).header[:2] == ("client", "over")
    assert show_clients(MATRIX).header[:2] == ("client", "driven as"), "HTTP/1.1 as before"


def test_side_by_side_shows_where_each_version_ends_a_204() -> None:
    from nocontent import exchange, serve

    server, tls = serve(), serve(tls=True)
    shown = side_by_side({
        "HTTP/1.1": exchange(server.url + "/status/204"),
        "HTTP/2": exchange(server.url + "/status/204", http_version=2),
        "HTTP/3": exchange(tls.url + "/status/204", http_version=3),
    })
    rows = {row[0]: row[1:] for row in shown.rows}
    assert shown.header == ("", "HTTP/1.1", "HTTP/2", "HTTP/3")
    assert rows["where it ends"] == ("ends at the empty line (204 to GET)",
                                     "END_STREAM on the HEADERS frame",
                                     "the QUIC stream closed (FIN) after the HEADERS frame")
    assert rows["status"] == ("204 No Content", "204, no reason phrase", "204, no reason phrase")
    assert rows["received"][0].startswith("HTTP/1.1 204 No Content\\r\\n")
    assert "SETTINGS" not in rows["received"][1], "only the request's own stream"
    assert rows["received"][1].startswith("<<< HEADERS") and "END_STREAM" in rows["received"][1]
    assert rows["sent"][2].startswith(">>> HEADERS") and "FIN" in rows["sent"][2]


def _fresh_h2h3(names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    versions, rows, skipped = run_h2h3(names, say=lambda text: None)
    fresh = {**H2H3, "rows": rows,
             "clients": [{**c, "version": versions[c["name"]]} for c in H2H3["clients"]
                         if c["name"] in versions]}
    return fresh, skipped


def test_python_h2h3_clients_regenerate_identically() -> None:
    fresh, skipped = _fresh_h2h3(H2H3_PYTHON)
    assert not skipped
    problems = client_differences(H2H3, fresh, H2H3_PYTHON, versions=())
    assert not problems, "\n".join(problems)


def test_cli_writes_the_h2h3_matrix_and_keeps_other_rows(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from nocontent._cli import main

    out = tmp_path / "clients-h2h3.json"
    shutil.copy(DATA / "clients-h2h3.json", out)
    unused = tmp_path / "clients.json"
    assert main(["lab", "clients", "--only", "aioquic", "--out", str(unused),
                 "--out-h2h3", str(out)]) == 0
    assert not unused.exists(), "aioquic is no client of the HTTP/1.1 matrix"
    rewritten = json.loads(out.read_text())
    assert rewritten["rows"] == H2H3["rows"]
    dates = {c["name"]: c["captured"] for c in rewritten["clients"]}
    assert dates.pop("aioquic") == today()
    assert dates == {c["name"]: c["captured"] for c in H2H3["clients"] if c["name"] != "aioquic"}
    assert main(["lab", "clients", "--only", "aioquic", "--out-h2h3", str(out), "--check"]) == 0
    assert "clients-h2h3.json: same as saved" in capsys.readouterr().out


@pytest.mark.lab
@needs_ci
def test_every_other_h2h3_client_regenerates_identically() -> None:
    # curl, nghttp (nghttp2-client), Node.js, Go and Chromium: .ci/run installs them.
    fresh, skipped = _fresh_h2h3(H2H3_TOOLCHAIN)
    if skipped:
        pytest.fail(f"CI=true but clients are missing: {skipped}")
    problems = client_differences(H2H3, fresh, H2H3_TOOLCHAIN, versions=())
    assert not problems, "\n".join(problems)
