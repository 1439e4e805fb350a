"""Capture what real frameworks put on the wire for a 204, and keep the exact bytes.

For each framework in :data:`FRAMEWORKS` the tool starts a minimal app (the
files in ``apps/`` and :mod:`nocontent.lab.pyapps`) on ``127.0.0.1``, waits
until its port accepts connections, and for each case sends ``DELETE /case``
and then ``GET /ok`` on the same connection through the wire view
(:func:`nocontent.conversation`). The bytes that came back, the bytes left
on the connection after the 204, what the second request got, and anything
the app or framework reported are saved as one JSON file per framework.

Saved bytes are exact except for what changes on every run: HTTP dates are
written as :data:`FIXED_DATE`, port numbers as :data:`FIXED_PORT`, and the
request id and run time Rails puts in fields as :data:`FIXED_REQUEST_ID` and
:data:`FIXED_RUNTIME` (all keep the messages valid HTTP). Everything else that varies between
machines (versions, install paths in a stack trace) is part of what was
captured, which is why each file names the versions it was made with, and the
day it was made (``captured``, UTC).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .._checker import Report, judge
from .._http import ProtocolError, parse_response
from .._version import __version__
from .._wire import Exchange, build_request, conversation, exchange

__all__ = [
    "FIXED_DATE",
    "FIXED_PORT",
    "FIXED_REQUEST_ID",
    "FIXED_RUNTIME",
    "FORMAT",
    "FRAMEWORKS",
    "Case",
    "Framework",
    "capture",
    "capture_all",
    "differences",
    "exchange_of",
    "expected",
    "load_captures",
    "normalise",
    "refuse_unknown",
    "report_of",
    "today",
]

FORMAT = 1
"""Version of the JSON layout of a capture file."""
TOOL = f"nocontent {__version__} lab capture (format {FORMAT})"
FIXED_DATE = "Sun, 06 Nov 1994 08:49:37 GMT"
"""What every HTTP date in a capture is written as (RFC 9110 §5.6.7's example date)."""
FIXED_PORT = 8204
"""What every loopback port number in a capture is written as."""
PAUSE = 0.3
"""Seconds between the 204 and the second request: stray bytes arrive in this time."""
START_TIMEOUT = 30.0
"""Seconds an app has to start accepting connections."""
BUILD_TIMEOUT = 300.0
"""Seconds ``go build`` may take (a cold build cache compiles net/http)."""
APPS = Path(__file__).parent / "apps"

_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} GMT"
)
_PORT = re.compile(r"(127\.0\.0\.1:|localhost:|\bport[= ])\d+")
_ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b")
_REQUEST_ID = re.compile(r"(?i)(\nX-Request-Id: )[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\r")
_RUNTIME = re.compile(r"(?i)(\nX-Runtime: )\d+\.\d+\r")
FIXED_REQUEST_ID = "00000000-0000-0000-0000-000000000000"
"""What a random ``X-Request-Id`` field value (a UUID, as Rails sends) is written as."""
FIXED_RUNTIME = "0.000000"
"""What an ``X-Runtime`` field value (seconds the app took, from Rack::Runtime) becomes."""


def normalise(text: str) -> str:
    """``text`` with HTTP dates, loopback ports, memory addresses, and the request ids and
    run times some frameworks put in fields, made fixed."""
    text = _DATE.sub(FIXED_DATE, text)
    text = _PORT.sub(lambda m: f"{m.group(1)}{FIXED_PORT}", text)
    text = _REQUEST_ID.sub(lambda m: f"{m.group(1)}{FIXED_REQUEST_ID}\r", text)
    text = _RUNTIME.sub(lambda m: f"{m.group(1)}{FIXED_RUNTIME}\r", text)
    return _ADDRESS.sub("0x0", text)


def refuse_unknown(kind: str, asked: Sequence[str], known: Sequence[str]) -> None:
    """Raise ValueError naming each of ``asked`` that is not in ``known`` (the lab's
    ``--only`` and ``cases``): one message for every lab command."""
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(unknown)}; known: {', '.join(known)}")


def today() -> str:
    """The date a capture is made, as YYYY-MM-DD in UTC: kept in the data, shown with it."""
    return datetime.now(timezone.utc).date().isoformat()


def _text(data: bytes) -> str:
    """Bytes as a JSON-friendly string: Latin-1 maps every byte to one character."""
    return normalise(data.decode("latin-1"))


# -- what is captured ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One way of answering with a 204 in one framework.

    Attributes:
        name: the path the app serves it at, without the slash (``idiomatic``,
            ``mistake``, ``mistake-...``).
        mistake: False for the idiomatic 204, True for a common mistake.
        code: the handler's code, as a short snippet for the notebook.
        expect: the rule ids :func:`nocontent.judge` reports on the capture,
            in the checker's order: the course's claim about this case, which
            the tests hold the saved bytes to.
    """

    name: str
    mistake: bool
    code: str
    expect: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Framework:
    """A framework and how to run its app.

    Attributes:
        name: the file name of its capture (``go-net-http``).
        title: its name in words.
        server: what served the app, in words.
        app: the app's file, relative to the package.
        cases: what is captured.
        missing: returns why it cannot run here, or None when it can.
        command: the command that serves the app on a port, given a work directory.
        build: an optional step run once in the work directory before starting.
        version: the framework's version; by default the ``version`` field of ``/names``.
        varies: what else :func:`normalise` fixes in this framework's bytes, in words.
    """

    name: str
    title: str
    server: str
    app: str
    cases: tuple[Case, ...]
    missing: Callable[[], str | None]
    command: Callable[[Path, int], list[str]]
    build: Callable[[Path], None] | None = None
    version: Callable[[dict[str, Any]], str] = field(
        default=lambda names: str(names.get("version", "unknown"))
    )
    varies: str = ""


def _need_programs(*programs: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        absent = [p for p in programs if shutil.which(p) is None]
        return f"{', '.join(absent)} not found on PATH" if absent else None

    return missing


def _need_modules(*modules: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        absent = [m for m in modules if find_spec(m) is None]
        return f"Python package {', '.join(absent)} not installed" if absent else None

    return missing


def _need_all(*checks: Callable[[], str | None]) -> Callable[[], str | None]:
    def missing() -> str | None:
        return next((reason for check in checks if (reason := check())), None)

    return missing


def _ruby_can(*libraries: str, debian: str = "ruby-rack, ruby-webrick") -> Callable[[], str | None]:
    def missing() -> str | None:
        script = "".join(f"require {lib!r};" for lib in libraries)
        run = subprocess.run(["ruby", "-e", script], capture_output=True, timeout=30)
        if run.returncode:
            return f"Ruby cannot load {', '.join(libraries)} (Debian: {debian})"
        return None

    return missing


def _php_can_load_symfony() -> str | None:
    script = "exit(@include 'Symfony/Component/HttpFoundation/autoload.php' ? 0 : 1);"
    if subprocess.run(["php", "-r", script], capture_output=True, timeout=30).returncode:
        return ("Symfony HttpFoundation is not on PHP's include path "
                "(Debian: php-symfony-http-foundation)")
    return None


def _debian_version(package: str) -> str:
    """The upstream version of an installed Debian package, or 'unknown'."""
    if shutil.which("dpkg-query") is None:
        return "unknown"
    run = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True, timeout=30)
    found = re.match(r"(?:\d+:)?([\w.~]+?)(?:\+dfsg.*|-[^-]*)?$", run.stdout.strip())
    return found.group(1) if run.returncode == 0 and found else "unknown"


def _go_build(work: Path) -> None:
    """Build the Go app from the standard library only: no module, no network, caches in ``work``.

    CGO_ENABLED=0 needs no C compiler (a cold cache then compiles net/http: ~10 s).
    """
    env = {**os.environ, "GOCACHE": str(work / "gocache"), "GOPATH": str(work / "gopath"),
           "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local", "GOTELEMETRY": "off",
           "CGO_ENABLED": "0"}
    run = subprocess.run(["go", "build", "-o", str(work / "go_204"), str(APPS / "go_204.go")],
                         cwd=work, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if run.returncode:
        raise RuntimeError(f"go build failed: {run.stderr.strip()[-500:]}")


def _python_app(name: str) -> Callable[[Path, int], list[str]]:
    return lambda work, port: [sys.executable, "-m", "nocontent.lab.pyapps", name, str(port)]


_RACK_MISTAKE = ('[204,\n { "Content-Type" => "application/json",\n'
                 '   "Content-Length" => "4" },\n ["null"]]')

_STARLETTE_CASES = (
    Case(name="idiomatic", mistake=False,
         code="return Response(\n    status_code=status.HTTP_204_NO_CONTENT)"),
    Case(name="mistake", mistake=True,
         code='return Response(\n    "null",\n    status_code=status.HTTP_204_NO_CONTENT)'),
)


def _uvicorn_raw(expect: tuple[str, ...]) -> Case:
    return Case(
        name="mistake-content-length", mistake=True, expect=expect,
        code=('await send({\n'
              '    "type": "http.response.start",\n'
              '    "status": 204,\n'
              '    "headers": [\n'
              '        (b"content-type", b"application/json"),\n'
              '        (b"content-length", b"4"),\n'
              '    ],\n'
              '})\n'
              'await send({"type": "http.response.body",\n'
              '            "body": b"null"})'),
    )


FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        name="go-net-http",
        title="Go net/http",
        server="net/http's own server (http.ListenAndServe), built with go build",
        app="apps/go_204.go",
        cases=(
            Case(name="idiomatic", mistake=False,
                 code="w.WriteHeader(http.StatusNoContent)"),
            Case(name="mistake", mistake=True,
                 code=('w.Header().Set("Content-Type", "application/json")\n'
                       "w.WriteHeader(http.StatusNoContent)\n"
                       'n, err := w.Write([]byte("null"))')),
            Case(name="content-length", mistake=True,
                 code=('w.Header().Set("Content-Length", "0")\n'
                       "w.WriteHeader(http.StatusNoContent)")),
        ),
        missing=_need_programs("go"),
        build=_go_build,
        command=lambda work, port: [str(work / "go_204"), str(port)],
    ),
    Framework(
        name="node-http",
        title="Node.js http",
        server="http.createServer() with its default options",
        app="apps/node_204.js",
        cases=(
            Case(name="idiomatic", mistake=False,
                 code="response.writeHead(204);\nresponse.end();"),
            Case(name="mistake", mistake=True,
                 code=('response.writeHead(204, {\n'
                       '  "Content-Type": "application/json",\n});\n'
                       'response.write("null");\nresponse.end();')),
            Case(name="content-length", mistake=True,
                 expect=("204-content-length",),
                 code=('response.writeHead(204, {\n'
                       '  "Content-Type": "application/json",\n'
                       '  "Content-Length": "4",\n});\nresponse.end("null");')),
        ),
        missing=_need_programs("node"),
        command=lambda work, port: ["node", str(APPS / "node_204.js"), str(port), "default"],
    ),
    Framework(
        name="node-http-strict",
        title="Node.js http, rejectNonStandardBodyWrites",
        server="http.createServer({ rejectNonStandardBodyWrites: true })",
        app="apps/node_204.js",
        cases=(
            Case(name="mistake", mistake=True,
                 code=('response.writeHead(204, {\n'
                       '  "Content-Type": "application/json",\n});\n'
                       'response.write("null");  // throws\nresponse.end();')),
            Case(name="content-length", mistake=True,
                 expect=("204-content-length",),
                 code=('response.writeHead(204, {\n'
                       '  "Content-Type": "application/json",\n'
                       '  "Content-Length": "4",\n});\nresponse.end("null");  // throws')),
        ),
        missing=_need_programs("node"),
        command=lambda work, port: ["node", str(APPS / "node_204.js"), str(port), "strict"],
    ),
    Framework(
        name="rack",
        title="Ruby Rack",
        server="WEBrick through Rack::Handler::WEBrick (rackup -s webrick -E deployment)",
        app="apps/rack_204.ru",
        cases=(
            Case(name="idiomatic", mistake=False, code="[204, {}, []]"),
            Case(name="mistake", mistake=True, code=_RACK_MISTAKE),
        ),
        missing=_need_all(_need_programs("ruby", "rackup"), _ruby_can("rack", "webrick")),
        command=lambda work, port: ["rackup", "-s", "webrick", "-E", "deployment",
                                    "-o", "127.0.0.1", "-p", str(port), str(APPS / "rack_204.ru")],
    ),
    Framework(
        name="rack-lint",
        title="Ruby Rack, development (Rack::Lint)",
        server="WEBrick through Rack::Handler::WEBrick (rackup -s webrick -E development)",
        app="apps/rack_204.ru",
        cases=(
            Case(name="mistake", mistake=True, code=_RACK_MISTAKE),
        ),
        missing=_need_all(_need_programs("ruby", "rackup"), _ruby_can("rack", "webrick")),
        command=lambda work, port: ["rackup", "-s", "webrick", "-E", "development",
                                    "-o", "127.0.0.1", "-p", str(port), str(APPS / "rack_204.ru")],
    ),
    Framework(
        name="rails",
        title="Ruby on Rails (ActionController::API)",
        server=("Puma (puma -e production), the server Rails 6.1's app generator puts in the "
                "Gemfile"),
        app="apps/rails_204.ru",
        cases=(
            # Puma 5 writes no Date field, with or without a mistake.
            Case(name="idiomatic", mistake=False, code="head :no_content",
                 expect=("date-missing",)),
            Case(name="mistake", mistake=True, code="render json: {}, status: :no_content",
                 expect=("date-missing",)),
        ),
        missing=_need_all(
            _need_programs("ruby", "puma"),
            _ruby_can("action_controller/railtie", "puma/const",
                      debian="ruby-railties, ruby-actionpack, puma"),
        ),
        command=lambda work, port: ["puma", "-e", "production", "-b",
                                    f"tcp://127.0.0.1:{port}", str(APPS / "rails_204.ru")],
        varies=(f"; X-Request-Id and X-Runtime values, new with every request, as "
                f"{FIXED_REQUEST_ID} and {FIXED_RUNTIME}"),
    ),
    Framework(
        name="symfony",
        title="Symfony HttpFoundation",
        server="PHP's built-in web server (php -S) running a front controller",
        app="apps/symfony_204.php",
        cases=(
            Case(name="idiomatic", mistake=False,
                 code=("$response = new Response(\n  '', Response::HTTP_NO_CONTENT);\n"
                       "$response->prepare($request);\n$response->send();")),
            Case(name="mistake", mistake=True,
                 code=("$response = new JsonResponse(\n  null, Response::HTTP_NO_CONTENT);\n"
                       "$response->prepare($request);\n$response->send();")),
            Case(name="mistake-unprepared", mistake=True, expect=("204-content",),
                 code=("$response = new JsonResponse(\n  null, Response::HTTP_NO_CONTENT);\n"
                       "$response->send();  // no prepare()")),
        ),
        missing=_need_all(_need_programs("php"), _php_can_load_symfony),
        command=lambda work, port: ["php", "-S", f"127.0.0.1:{port}",
                                    str(APPS / "symfony_204.php")],
        version=lambda names: _debian_version("php-symfony-http-foundation"),
    ),
    Framework(
        name="python-http-server",
        title="Python http.server",
        server="http.server.ThreadingHTTPServer, protocol_version HTTP/1.1",
        app="pyapps.py",
        cases=(
            Case(name="idiomatic", mistake=False,
                 code="self.send_response(HTTPStatus.NO_CONTENT)\nself.end_headers()"),
            Case(name="mistake", mistake=True, expect=("204-content", "204-content-length"),
                 code=("body = json.dumps(None).encode()\n"
                       "self.send_response(HTTPStatus.NO_CONTENT)\n"
                       'self.send_header("Content-Type",\n'
                       '                 "application/json")\n'
                       'self.send_header("Content-Length", str(len(body)))\n'
                       "self.end_headers()\nself.wfile.write(body)")),
        ),
        missing=lambda: None,
        command=_python_app("http.server"),
    ),
    Framework(
        name="flask",
        title="Flask on Werkzeug",
        server="Werkzeug's development server, threaded, as app.run() starts it",
        app="pyapps.py",
        cases=(
            Case(name="idiomatic", mistake=False, code='return "", 204'),
            Case(name="mistake", mistake=True, code='return {"deleted": True}, 204'),
            Case(name="mistake-jsonify", mistake=True, code="return jsonify(None), 204"),
        ),
        missing=_need_modules("flask", "werkzeug"),
        command=_python_app("flask"),
    ),
    Framework(
        name="starlette-uvicorn-h11",
        title="Starlette on uvicorn (h11)",
        server="uvicorn --http h11",
        app="pyapps.py",
        cases=(*_STARLETTE_CASES, _uvicorn_raw(("204-content-length",))),
        missing=_need_modules("starlette", "uvicorn", "h11"),
        command=_python_app("uvicorn-h11"),
    ),
    Framework(
        name="starlette-uvicorn-httptools",
        title="Starlette on uvicorn (httptools)",
        server="uvicorn --http httptools",
        app="pyapps.py",
        cases=(*_STARLETTE_CASES, _uvicorn_raw(("204-content", "204-content-length"))),
        missing=_need_modules("starlette", "uvicorn", "httptools"),
        command=_python_app("uvicorn-httptools"),
    ),
)
"""Every framework the lab knows, in the order the notebook shows them."""

_BY_NAME = {framework.name: framework for framework in FRAMEWORKS}


# -- running an app -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _App:
    """A framework's app in a child process, with its ``LAB`` lines collected as they come."""

    def __init__(self, command: list[str], work: Path, port: int) -> None:
        self.port = port
        self.notes: queue.Queue[str] = queue.Queue()
        self.errors = work / "stderr.txt"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NODE_NO_WARNINGS": "1"}
        with self.errors.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=stderr, start_new_session=True,
            )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            text = line.decode("utf-8", "replace").rstrip()
            if text.startswith("LAB "):
                self.notes.put(normalise(text[4:]))

    def wait_ready(self, timeout: float) -> None:
        """Poll the port until it accepts a connection (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with status {self.process.returncode}: "
                                   f"{self._stderr_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", self.port), timeout=0.5
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the app did not accept connections within {timeout} s: "
                           f"{self._stderr_tail()}")

    def _stderr_tail(self) -> str:
        try:
            return self.errors.read_text("utf-8", "replace").strip()[-400:] or "(no output)"
        except OSError:
            return "(no output)"

    def drain(self) -> list[str]:
        """The ``LAB`` lines that arrived since the last call."""
        found = []
        while True:
            try:
                found.append(self.notes.get_nowait())
            except queue.Empty:
                return found

    def stop(self) -> None:
        """End the app's process group (it was started in a session of its own)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.contextmanager
def _running(framework: Framework, work: Path) -> Iterator[_App]:
    last_error: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between picking and binding it
        app = _App(framework.command(work, (port := _free_port())), work, port)
        try:
            app.wait_ready(START_TIMEOUT)
        except RuntimeError as exc:
            app.stop()
            last_error = exc
            continue
        try:
            yield app
        finally:
            app.stop()
        return
    raise RuntimeError(str(last_error))


# -- one capture --------------------------------------------------------------------------


def _names(base: str) -> dict[str, Any]:
    found = exchange(base + "/names", timeout=10.0)
    if found.response is None or found.response.status != 200:
        raise RuntimeError(f"GET /names failed: {found.error or found.status}")
    names: dict[str, Any] = json.loads(found.response.body)
    return names


def _up_to_head(received: bytes) -> bytes:
    """Bytes a parser choked on, cut after the first empty line.

    The wire view reports a bad status line once a whole header section is in;
    whether more bytes had arrived by then depends on timing, so they are not kept.
    """
    end = received.find(b"\r\n\r\n")
    return received if end < 0 else received[: end + 4]


def _capture_case(base: str, case: Case, app: _App) -> dict[str, Any]:
    first = build_request("DELETE", f"{base}/{case.name}")
    second = build_request("GET", f"{base}/ok")
    try:
        found = conversation(base, [("DELETE", first), ("GET", second)], pause=PAUSE,
                             timeout=10.0)
    except OSError as exc:
        found = [Exchange(method="DELETE", request=first, received=b"", response=None,
                          error=f"connection failed: {exc}", leftover=b"", closed=True)]
    time.sleep(0.05)  # let the app's report of this case reach us
    one = found[0]
    record: dict[str, Any] = {
        "case": case.name,
        "mistake": case.mistake,
        "code": case.code,
        "method": one.method,
        "request": _text(one.request),
        "received": _text(one.received if one.response else _up_to_head(one.received)),
        "leftover": _text(one.leftover),
        "closed": one.closed,
        "error": normalise(one.error) if one.error else None,
    }
    if len(found) > 1:
        two = found[1]
        record["second"] = {
            "request": _text(two.request),
            "received": _text(two.received if two.response else _up_to_head(two.received)),
            "status": two.status,
            "error": normalise(two.error) if two.error else None,
        }
    else:
        record["second"] = {"request": _text(second), "received": "", "status": None,
                            "error": "not sent: the first exchange failed"}
    record["notes"] = app.drain()
    report = judge(exchange_of(record))
    record["checker"] = {"passed": report.passed, "rules": list(report.rule_ids)}
    return record


def capture(framework: Framework | str) -> dict[str, Any]:
    """Run one framework's app and capture every case; returns the capture as saved.

    Raises :class:`RuntimeError` when the toolchain is missing or the app
    cannot be built or started.
    """
    if isinstance(framework, str):
        framework = _BY_NAME[framework]
    reason = framework.missing()
    if reason:
        raise RuntimeError(reason)
    with tempfile.TemporaryDirectory(prefix="nocontent-lab-") as tmp:
        work = Path(tmp)
        if framework.build is not None:
            framework.build(work)
        with _running(framework, work) as app:
            base = f"http://127.0.0.1:{app.port}"
            names = _names(base)
            app.drain()
            cases = [_capture_case(base, case, app) for case in framework.cases]
    return {
        "format": FORMAT,
        "tool": TOOL,
        "framework": framework.name,
        "title": framework.title,
        "version": framework.version(names),
        "captured": today(),
        "server": framework.server,
        "app": f"src/nocontent/lab/{framework.app}",
        "names": {key: value for key, value in sorted(names.items())},
        "normalised": (f"HTTP dates are written as {FIXED_DATE} and loopback ports as "
                       f"{FIXED_PORT}{framework.varies}"),
        "cases": cases,
    }


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def capture_all(
    directory: Path,
    only: Sequence[str] = (),
    *,
    write: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, dict[str, Any] | str]:
    """Capture each framework (or those in ``only``) and save it as ``directory/NAME.json``.

    Returns each framework's capture, or the reason it was skipped. With
    ``write=False`` nothing is saved (to compare with :func:`differences`).
    """
    refuse_unknown("framework", only, list(_BY_NAME))
    results: dict[str, dict[str, Any] | str] = {}
    for framework in FRAMEWORKS:
        if only and framework.name not in only:
            continue
        started = time.monotonic()
        try:
            data = capture(framework)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            results[framework.name] = str(exc)
            say(f"skipped  {framework.name}: {exc}")
            continue
        results[framework.name] = data
        seconds = time.monotonic() - started
        where = ""
        if write:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{framework.name}.json"
            path.write_text(_dump(data), encoding="utf-8")
            where = f" -> {path}"
        say(f"captured {framework.name} {data['version']}: {len(data['cases'])} cases "
            f"({seconds:.1f} s){where}")
        for case in data["cases"]:
            verdict = case["checker"]
            say(f"    {case['case']:<24} checker: {'pass' if verdict['passed'] else 'FAIL'} "
                f"{' '.join(verdict['rules'])}".rstrip())
    return results


# -- reading captures back ----------------------------------------------------------------


def load_captures(directory: Path | str) -> dict[str, dict[str, Any]]:
    """Every saved capture in ``directory``, by framework name, in :data:`FRAMEWORKS` order."""
    found = {}
    for path in Path(directory).glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["framework"]] = data
    order = {framework.name: index for index, framework in enumerate(FRAMEWORKS)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def exchange_of(case: dict[str, Any]) -> Exchange:
    """The saved case as the :class:`nocontent.Exchange` it was, for the checker."""
    raw = case["received"].encode("latin-1")
    response = None
    error = case["error"]
    if raw and error is None:
        try:
            parsed = parse_response(raw, case["method"], eof=True)
        except ProtocolError as exc:
            error = str(exc)
        else:
            response = parsed[0] if parsed else None
    return Exchange(method=case["method"], request=case["request"].encode("latin-1"),
                    received=case["received"].encode("latin-1"), response=response,
                    error=error, leftover=case["leftover"].encode("latin-1"),
                    closed=case["closed"])


def report_of(case: dict[str, Any]) -> Report:
    """The checker's verdict on a saved case."""
    return judge(exchange_of(case))


def expected(framework: str, case: str) -> tuple[str, ...]:
    """The rule ids the course says the checker finds on this capture."""
    return next(c.expect for c in _BY_NAME[framework].cases if c.name == case)


# -- comparing a fresh capture with a saved one -------------------------------------------


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    """A capture without what may legitimately differ between two runs: tool and date."""
    return {key: value for key, value in data.items() if key not in ("tool", "captured")}


def differences(saved: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """How a fresh capture differs from a saved one, field by field (empty when the same)."""
    old, new = _comparable(saved), _comparable(fresh)
    problems = [f"{key}: {old.get(key)!r} != {new.get(key)!r}"
                for key in sorted(set(old) | set(new)) if key != "cases"
                and old.get(key) != new.get(key)]
    old_cases = {case["case"]: case for case in old.get("cases", [])}
    new_cases = {case["case"]: case for case in new.get("cases", [])}
    for name in sorted(set(old_cases) | set(new_cases)):
        a, b = old_cases.get(name), new_cases.get(name)
        if a is None or b is None:
            problems.append(f"case {name}: only in the {'fresh' if a is None else 'saved'} capture")
            continue
        problems += [f"case {name}, {key}: {a.get(key)!r} != {b.get(key)!r}"
                     for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]
    return problems
