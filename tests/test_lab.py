"""The frameworks and clients lab: saved data parses, verdicts hold, regeneration is exact."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from nocontent._http import parse_request_head, split_head
from nocontent._wire import build_request
from nocontent.lab import data_dir
from nocontent.lab.capture import (
    FIXED_DATE,
    FIXED_PORT,
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
from nocontent.lab.show import (
    FRAMING_ONLY,
    Pre,
    Table,
    compare,
    live,
    next_request,
    protection,
    row,
    table,
)

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data"
CAPTURES = load_captures(DATA / "captures")
MATRIX = load_clients(DATA / "clients.json")
SAVED_CASES = [(name, case["case"]) for name, data in CAPTURES.items() for case in data["cases"]]
PYTHON_FRAMEWORKS = ("python-http-server", "flask", "starlette-uvicorn-h11",
                     "starlette-uvicorn-httptools")
TOOLCHAIN_FRAMEWORKS = ("go-net-http", "node-http", "node-http-strict", "rack", "rack-lint",
                        "symfony")
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


def test_the_protection_table_tells_a_bodyless_mistake_from_a_dropped_body() -> None:
    fates = {(setup, case): text for setup, _, case, text in protection(CAPTURES).rows}
    # Go's content-length handler writes no body: only its Content-Length: 0, which Go removed.
    assert fates[("go-net-http", "content-length")] == "no body; Content-Length removed"
    assert fates[("node-http", "mistake")] == "body dropped without a word"
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
                              "installs Go, Node.js, Ruby (Rack, WEBrick) and PHP (Symfony)")


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
