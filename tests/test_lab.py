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
from nocontent.lab.show import side_by_side, table

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
    # The expectations live in nocontent.lab.capture.FRAMEWORKS; notebook 08 prints them.
    case = case_of(framework, name)
    report = report_of(case)
    assert report.rule_ids == expected(framework, name)
    assert case["checker"] == {"passed": report.passed, "rules": list(report.rule_ids)}


def test_what_the_notebook_says_about_stray_bytes() -> None:
    # Only these captures leave bytes on the connection after the 204.
    stray = {(f, n): case_of(f, n)["leftover"] for f, n in SAVED_CASES if case_of(f, n)["leftover"]}
    assert stray == {
        ("symfony", "mistake-unprepared"): "{}",
        ("python-http-server", "mistake"): "null",
        ("starlette-uvicorn-httptools", "mistake-content-length"): "null",
    }
    for framework, name in stray:
        error = case_of(framework, name)["second"]["error"]
        assert error is not None and ("null" in error or "{}" in error)


def test_a_rack_lint_500_is_not_a_204() -> None:
    found = exchange_of(case_of("rack-lint", "mistake"))
    assert found.status == 500
    assert b"Content-Type header found in 204 response, not allowed" in found.response.body


def test_normalise() -> None:
    text = ("Host: 127.0.0.1:49152\r\nDate: Thu, 26 Nov 2026 12:31:14 GMT\r\n"
            "(port=49152) at 0x7f3a2b1c9d40")
    assert normalise(text) == (f"Host: 127.0.0.1:{FIXED_PORT}\r\nDate: {FIXED_DATE}\r\n"
                               f"(port={FIXED_PORT}) at 0x0")


def test_side_by_side() -> None:
    shown = side_by_side("a\nbb", "ccc", titles=("L", "R"), width=4)
    assert shown.splitlines() == ["L    | R", "---- | ----", "a    | ccc", "bb   |"]


# -- the saved client matrix ----------------------------------------------------------------


def test_matrix_layout() -> None:
    assert MATRIX["format"] == 1
    assert [c["id"] for c in MATRIX["cases"]] == [c.id for c in CASES]
    assert [c["name"] for c in MATRIX["clients"]] == [c.name for c in CLIENTS]
    assert all(c["version"] for c in MATRIX["clients"])
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
    """What notebook 08 says about the matrix, cell by cell."""
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


def test_table_has_a_row_per_client() -> None:
    lines = table(MATRIX).splitlines()
    assert lines[0].split() == ["CLIENT", *[c.id for c in CASES]]
    assert [line.split()[0] for line in lines[1:]] == [c.name for c in CLIENTS]


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
    assert rewritten["clients"] == MATRIX["clients"], "and their versions"
    assert main(["lab", "clients", "--only", "urllib.request", "--out", str(out), "--check"]) == 0
    assert "ran      urllib.request" in capsys.readouterr().out


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
