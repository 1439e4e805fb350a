"""The ``nocontent`` command line: ``check`` exit statuses and output, and ``serve``."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import uuid

import pytest

import nocontent._server
from nocontent._cli import main
from nocontent._wire import exchange


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def findings(out: str) -> set[tuple[str, str]]:
    """(level, rule id) for every row of a report table."""
    rows = (line.split() for line in out.splitlines())
    return {(row[0], row[1]) for row in rows if row and row[0] in ("MUST", "SHOULD", "INFO")}


def closed_port_url() -> str:
    """A loopback URL nobody listens on: bind port 0, note it, close it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/status/204"


# -- check: requests that cannot be made (exit 2, one line on stderr) -----------------------


def assert_one_error_line(status: int, out: str, err: str) -> str:
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nocontent: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    line = assert_one_error_line(*run(capsys, "check", url))
    assert f"cannot reach {url}" in line
    assert "refused" in line.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-H", "X-Without-Colon"], "has no colon"),
        (["-H", "Bad Name: x"], "field name 'Bad Name' contains a space"),
        (["-H", "X-A: one\r\nInjected: yes"], "X-A: the value contains a line break"),
        (["-H", "X-A: one\nInjected: yes"], "X-A: the value contains a line break"),
        (["-X", "G T"], "method 'G T' contains a space"),
        (["-X", ""], "method is empty"),
    ],
    ids=["no colon", "bad name", "CRLF", "LF", "method with space", "empty method"],
)
def test_malformed_request(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # Refused before connecting, so the closed port is never reached.
    line = assert_one_error_line(*run(capsys, "check", closed_port_url(), *args))
    assert message in line


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/", "expected an http:// URL"),
        ("ftp://127.0.0.1/", "expected an http:// URL"),
        ("127.0.0.1:8000/", "expected an http:// URL"),
        ("http://127.0.0.1:99999/", "out of range"),
        ("http://127.0.0.1/a b", "percent-encode"),
    ],
)
def test_bad_url(capsys: pytest.CaptureFixture[str], url: str, message: str) -> None:
    line = assert_one_error_line(*run(capsys, "check", url))
    assert message in line


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


# -- check against the embedded server ---------------------------------------------------------


@pytest.mark.live
@pytest.mark.parametrize(
    ("kind", "rules"),
    [
        ("body", {"204-content", "204-content-length"}),
        ("body-late", {"204-content", "204-content-length"}),
        ("content-length-zero", {"204-content-length"}),
        ("chunked", {"204-transfer-encoding", "204-content"}),
        ("smuggle", {"204-content"}),
    ],
)
def test_misbehaviour_fails(
    capsys: pytest.CaptureFixture[str], server: nocontent._server.Server, kind: str, rules: set[str]
) -> None:
    status, out, err = run(capsys, "check", f"{server.url}/misbehave/{kind}")
    assert status == 1
    assert err == ""
    assert out.splitlines()[0].startswith("204 No Content to GET: ")
    assert out.splitlines()[0].endswith("(FAIL)")
    assert {rule_id for level, rule_id in findings(out) if level == "MUST"} == rules


@pytest.mark.live
def test_smuggled_response_is_shown(
    capsys: pytest.CaptureFixture[str], server: nocontent._server.Server
) -> None:
    _, out, _ = run(capsys, "check", f"{server.url}/misbehave/smuggle")
    assert "EVIL!" in out
    assert "a whole second response (HTTP/1.1 200 OK)" in " ".join(out.split())


def assert_compliant(status: int, out: str, err: str, verdict: str) -> set[tuple[str, str]]:
    assert status == 0, out
    assert err == ""
    first = out.splitlines()[0]
    assert first.startswith(verdict), first
    assert ": 0 MUST, 0 SHOULD, " in first
    found = findings(out)
    assert {level for level, _ in found} <= {"INFO"}
    return found


@pytest.mark.live
@pytest.mark.parametrize(
    ("path", "args", "verdict"),
    [
        ("/docs/welcome", [], "200 OK to GET"),
        ("/docs/welcome", ["-X", "HEAD"], "200 OK to HEAD"),
        ("/docs/welcome", ["-X", "OPTIONS"], "204 No Content to OPTIONS"),
        ("/status/200", [], "200 OK to GET"),
        ("/status/200", ["-X", "HEAD"], "200 OK to HEAD"),
        ("/status/204", [], "204 No Content to GET"),
        ("/status/204", ["-X", "HEAD"], "204 No Content to HEAD"),
        ("/status/205", ["-X", "POST"], "205 Reset Content to POST"),
        ("/status/304", [], "304 Not Modified to GET"),
        ("/cache/heuristic", [], "204 No Content to GET"),
        ("/cache/no-store", [], "204 No Content to GET"),
        ("/beacon", ["-d", "ping", "-H", "Content-Type: text/plain"], "204 No Content to POST"),
    ],
)
def test_compliant_routes_pass(
    capsys: pytest.CaptureFixture[str],
    server: nocontent._server.Server,
    path: str,
    args: list[str],
    verdict: str,
) -> None:
    assert_compliant(*run(capsys, "check", server.url + path, *args), verdict)


@pytest.mark.live
def test_heuristic_route_reports_its_lifetime(
    capsys: pytest.CaptureFixture[str], server: nocontent._server.Server
) -> None:
    status, out, err = run(capsys, "check", f"{server.url}/cache/heuristic")
    found = assert_compliant(status, out, err, "204 No Content to GET")
    assert found == {("INFO", "heuristically-cacheable")}
    assert "Last-Modified is 10d before Date" in out
    assert "gives 1d of freshness" in out


@pytest.mark.live
def test_put_replace_delete_lifecycle(
    capsys: pytest.CaptureFixture[str], server: nocontent._server.Server
) -> None:
    url = f"{server.url}/docs/cli-{uuid.uuid4().hex[:12]}"
    text = ["-H", "Content-Type: text/plain"]
    found = assert_compliant(
        *run(capsys, "check", url, "-X", "PUT", "-d", "v1", *text), "201 Created to PUT"
    )
    assert ("INFO", "put-validator") in found
    status, out, err = run(capsys, "check", url, "-X", "PUT", "-d", "v2", *text)
    found = assert_compliant(status, out, err, "204 No Content to PUT")
    assert found == {("INFO", "put-validator")}
    assert 'evidence: ETag: "' in out
    assert_compliant(*run(capsys, "check", url, "-X", "DELETE"), "204 No Content to DELETE")
    # Gone now: a 404 is compliant too, and shows the DELETE really happened.
    assert_compliant(*run(capsys, "check", url), "404 Not Found to GET")


@pytest.mark.live
def test_data_implies_post_and_x_overrides(
    capsys: pytest.CaptureFixture[str], server: nocontent._server.Server
) -> None:
    status, out, _ = run(capsys, "check", f"{server.url}/status/204", "-d", "x")
    assert status == 0
    assert out.startswith("204 No Content to POST:")
    status, out, _ = run(capsys, "check", f"{server.url}/status/204", "-X", "PATCH", "-d", "x")
    assert status == 0
    assert out.startswith("204 No Content to PATCH:")


# -- serve --------------------------------------------------------------------------------------


class FakeServer:
    def __init__(self, host: str, port: int) -> None:
        self.url = f"http://{host}:{port or 4321}"
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def interrupt(seconds: float) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("host", "warns"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True)],
)
def test_serve_prints_the_url_first_and_stops_on_ctrl_c(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, host: str, warns: bool
) -> None:
    started: list[FakeServer] = []

    def fake_serve(host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        started.append(FakeServer(host, port))
        return started[-1]

    monkeypatch.setattr(nocontent._server, "serve", fake_serve)
    monkeypatch.setattr("nocontent._cli.time.sleep", interrupt)
    status, out, err = run(capsys, "serve", "--host", host, "--port", "8123")
    assert status == 0
    assert out == f"http://{host}:8123\n"
    assert [s.stopped for s in started] == [True]
    assert ("warning: listening on 0.0.0.0" in err) is warns


def test_serve_defaults_to_loopback_and_any_port(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int]] = []

    def fake_serve(host: str = "x", port: int = -1) -> FakeServer:
        calls.append((host, port))
        return FakeServer(host, port)

    monkeypatch.setattr(nocontent._server, "serve", fake_serve)
    monkeypatch.setattr("nocontent._cli.time.sleep", interrupt)
    assert run(capsys, "serve")[0] == 0
    assert calls == [("127.0.0.1", 0)]


def test_serve_on_a_busy_port_fails_cleanly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nocontent._server, "serve", nocontent._server.Server)
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        line = assert_one_error_line(*run(capsys, "serve", "--port", str(port)))
    assert f"cannot listen on 127.0.0.1:{port}" in line


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_serve_rejects_a_bad_port(capsys: pytest.CaptureFixture[str], port: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--port", port])
    assert caught.value.code == 2
    assert "--port" in capsys.readouterr().err


@pytest.mark.live
def test_python_m_nocontent_serve() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nocontent", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=30), "no URL printed within 30 s"
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        reply = exchange(f"{url}/status/204")
        assert reply.status == 204
        assert reply.leftover == b""
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        _, err = proc.communicate(timeout=5)
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
