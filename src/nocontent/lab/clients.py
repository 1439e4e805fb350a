"""The client matrix: what real HTTP clients do with correct and broken 204s.

Each client sends ``GET`` to a 204 route of the embedded server, reads the
whole response, and then sends ``GET /status/200`` **with the same connection
pool**, as a keep-alive client does. For each (client, case) the matrix keeps
what the first and the second request returned or raised, and whether the
second one reused the connection (where the client lets us see it).

Timing is part of every case and is made deterministic:

* ``body``, ``chunked``, ``smuggle`` and ``content-length-zero`` write the whole
  broken reply in one ``sendall``: on loopback the stray bytes arrive with the
  header section, in the same read.
* ``body-late`` writes ``null`` :data:`nocontent._misbehave.LATE` seconds after
  the header section. Sent at once, the second request is already on its way
  when ``null`` arrives, and the server answers it only after writing ``null``,
  so ``null`` always comes right before the second response. With
  ``body-late+pause`` the client waits :data:`PAUSE` seconds first, so ``null``
  always arrives while the connection is idle.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._misbehave import LATE
from .._server import Server
from .._version import __version__
from .capture import APPS, normalise, refuse_unknown, today

__all__ = [
    "CASES",
    "CLIENTS",
    "EXPECTED_SECOND",
    "FORMAT",
    "PAUSE",
    "SECOND",
    "TIMEOUT",
    "ClientCase",
    "Outcome",
    "carry_over",
    "curl",
    "differences",
    "load_clients",
    "matrix",
    "run_clients",
    "verdict",
]

FORMAT = 1
"""Version of the JSON layout of ``clients.json``."""
TOOL = f"nocontent {__version__} lab clients (format {FORMAT})"
PAUSE = 0.8
"""Seconds a client waits before its second request in the ``+pause`` cases."""
SECOND = "/status/200"
"""The second request's path; the embedded server answers it with ``200 OK`` and ``200 OK\\n``."""
EXPECTED_SECOND = "200 '200 OK\\n'"
"""The outcome of a second request that got its own answer."""
TIMEOUT = 5.0


@dataclass(frozen=True, kw_only=True)
class ClientCase:
    """One column of the matrix.

    Attributes:
        id: a short name, the misbehaviour's kind (or ``clean``), plus ``+pause``.
        path: the first request's path on the embedded server.
        pause: seconds the client waits between the two requests.
        what: what the first reply is, in words.
    """

    id: str
    path: str
    pause: float
    what: str


CASES: tuple[ClientCase, ...] = (
    ClientCase(id="clean", path="/status/204", pause=0.0,
               what="a compliant 204: header section only, no Content-Length"),
    ClientCase(id="content-length-zero", path="/misbehave/content-length-zero", pause=0.0,
               what="204 with Content-Length: 0 (forbidden, no stray bytes)"),
    ClientCase(id="body", path="/misbehave/body", pause=0.0,
               what="204 with Content-Length: 4 and null in the same write"),
    ClientCase(id="body-late", path="/misbehave/body-late", pause=0.0,
               what=f"null {LATE} s after the header section; second request sent at once"),
    ClientCase(id="body-late+pause", path="/misbehave/body-late", pause=PAUSE,
               what=f"null {LATE} s after the header section; second request {PAUSE} s later"),
    ClientCase(id="chunked", path="/misbehave/chunked", pause=0.0,
               what="204 with Transfer-Encoding: chunked and its last-chunk 0\\r\\n\\r\\n"),
    ClientCase(id="smuggle", path="/misbehave/smuggle", pause=0.0,
               what="a clean 204 and a whole 200 OK with EVIL! in the same write"),
)
"""The columns of the matrix, in order."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one client did in one case.

    Attributes:
        first: ``STATUS 'body'`` for the first request, or ``Error: message``.
        second: the same for the second request.
        reused: whether the second request went over the first one's
            connection, or None where the client does not show it.
        notes: anything else worth keeping (curl's verbose lines).
    """

    first: str
    second: str
    reused: bool | None = None
    notes: tuple[str, ...] = ()


def _ok(status: int, body: bytes) -> str:
    return f"{status} {body.decode('latin-1')!r}"


def _error(exc: BaseException) -> str:
    message = str(exc).rstrip()
    if isinstance(exc, (OSError, http.client.HTTPException)) and not message:
        message = repr(exc)
    return normalise(f"{type(exc).__name__}: {message}")


# -- the Python clients -------------------------------------------------------------------


def _httpx(first: str, second: str, pause: float) -> Outcome:
    import httpx

    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        stream = None
        try:
            response = client.get(first)
            one = _ok(response.status_code, response.content)
            stream = response.extensions.get("network_stream")
        except httpx.HTTPError as exc:
            one = _error(exc)
        time.sleep(pause)
        try:
            response = client.get(second)
        except httpx.HTTPError as exc:
            return Outcome(first=one, second=_error(exc), reused=None)
        reused = stream is not None and response.extensions.get("network_stream") is stream
        return Outcome(first=one, second=_ok(response.status_code, response.content),
                       reused=reused)


def _requests(first: str, second: str, pause: float) -> Outcome:
    import requests

    def get(session: requests.Session, url: str) -> tuple[str, object]:
        # stream=True keeps the connection on the response until the content is read,
        # so its socket can be compared with the next one's.
        response = session.get(url, timeout=TIMEOUT, stream=True)
        sock = getattr(response.raw.connection, "sock", None)
        return _ok(response.status_code, response.content), sock

    with requests.Session() as session:
        session.trust_env = False
        sock = None
        try:
            one, sock = get(session, first)
        except requests.RequestException as exc:
            one = _error(exc)
        time.sleep(pause)
        try:
            two, again = get(session, second)
        except requests.RequestException as exc:
            return Outcome(first=one, second=_error(exc), reused=None)
        return Outcome(first=one, second=two, reused=sock is not None and again is sock)


def _http_client(first: str, second: str, pause: float) -> Outcome:
    parts = urlsplit(first)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT)
    try:
        sock = None
        try:
            connection.request("GET", parts.path)
            response = connection.getresponse()
            one = _ok(response.status, response.read())
            sock = connection.sock
        except (OSError, http.client.HTTPException) as exc:
            one = _error(exc)
            connection.close()
        time.sleep(pause)
        try:
            connection.request("GET", urlsplit(second).path)
            response = connection.getresponse()
            two = _ok(response.status, response.read())
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(first=one, second=_error(exc), reused=None)
        return Outcome(first=one, second=two, reused=sock is not None and connection.sock is sock)
    finally:
        connection.close()


def _urllib(first: str, second: str, pause: float) -> Outcome:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    results = []
    for index, url in enumerate((first, second)):
        if index:
            time.sleep(pause)
        try:
            with opener.open(url, timeout=TIMEOUT) as response:
                results.append(_ok(response.status, response.read()))
        except (OSError, http.client.HTTPException) as exc:
            results.append(_error(exc))
    # urllib.request sends Connection: close and opens a new connection for every request.
    return Outcome(first=results[0], second=results[1], reused=False)


# -- curl and Node.js, in subprocesses ----------------------------------------------------

_CURL_MARK = "\n@@nocontent status=%{http_code} connects=%{num_connects}@@\n"
_CURL_SPLIT = re.compile(r"\n@@nocontent status=(\d+) connects=(\d+)@@\n")
_CURL_KEEP = ("* Excess found", "* Re-using", "* Received HTTP/0.9", "* Connection died",
              "* Closing connection", "* Leftovers", "curl: (")


def curl(first: str, second: str, pause: float, options: Sequence[str] = ()) -> Outcome:
    """One curl process, two URLs; ``options`` go before them (the HTTP/2 matrix's ``--http2``)."""
    command = ["curl", "--silent", "--show-error", "--verbose", "--noproxy", "*",
               "--max-time", str(TIMEOUT), "--write-out", _CURL_MARK, *options]
    if pause:
        # --rate spaces the starts of transfers: 75 per minute is one every 0.8 s.
        command += ["--rate", f"{round(60 / pause)}/m"]
    run = subprocess.run([*command, first, second], capture_output=True, timeout=30)
    # stdout is: body, mark, body, mark; split() yields body, status, connects, ... and "".
    pieces = _CURL_SPLIT.split(run.stdout.decode("latin-1"))
    lines = [line for line in run.stderr.decode("latin-1").splitlines()
             if line.startswith(_CURL_KEEP)]
    # curl reports each failed transfer with a line of its own, in order.
    errors = iter([normalise(line) for line in lines if line.startswith("curl: (")])
    outcomes, connects = [], []
    for body, status, count in zip(pieces[0::3], pieces[1::3], pieces[2::3], strict=False):
        ok = status != "000"
        outcomes.append(_ok(int(status), body.encode("latin-1")) if ok else next(errors, "failed"))
        connects.append(count)
    outcomes += ["not sent"] * (2 - len(outcomes))
    reused = connects[1] == "0" if len(connects) > 1 else None
    notes = [normalise(line) for line in lines if not line.startswith("curl: (")]
    return Outcome(first=outcomes[0], second=outcomes[1], reused=reused,
                   notes=(*notes, f"exit status {run.returncode}"))


def _node(mode: str) -> Callable[[str, str, float], Outcome]:
    def run(first: str, second: str, pause: float) -> Outcome:
        script = str(APPS / "node_client.js")
        done = subprocess.run(["node", script, mode, first, second, str(round(pause * 1000))],
                              capture_output=True, text=True, timeout=30,
                              env={**os.environ, "NODE_NO_WARNINGS": "1"})
        if done.returncode:
            raise RuntimeError(f"node failed: {done.stderr.strip()[-300:]}")
        data = json.loads(done.stdout)

        def shown(result: dict[str, Any]) -> str:
            if "error" in result:
                return normalise(result["error"])
            return _ok(result["status"], result["body"].encode("latin-1"))

        reused = data["second"].get("reused") if mode == "http" else None
        return Outcome(first=shown(data["first"]), second=shown(data["second"]), reused=reused)

    return run


# -- versions and the list of clients ------------------------------------------------------


def _packages(*names: str) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _curl_version() -> str:
    out = subprocess.run(["curl", "--version"], capture_output=True, text=True, timeout=30)
    return " ".join(out.stdout.split()[:2])


def _node_versions() -> str:
    script = ("console.log(`node ${process.version}, llhttp ${process.versions.llhttp}, "
              "undici ${process.versions.undici}`)")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def _python() -> str:
    return f"Python {sys.version.split()[0]}"


@dataclass(frozen=True, kw_only=True)
class _Client:
    name: str
    how: str
    run: Callable[[str, str, float], Outcome]
    version: Callable[[], str]
    needs: str | None = None
    python: bool = True


CLIENTS: tuple[_Client, ...] = (
    _Client(name="httpx", how="one httpx.Client",
            run=_httpx, version=lambda: _packages("httpx", "httpcore", "h11")),
    _Client(name="requests", how="one requests.Session",
            run=_requests, version=lambda: _packages("requests", "urllib3")),
    _Client(name="http.client", how="one http.client.HTTPConnection",
            run=_http_client, version=_python),
    _Client(name="urllib.request", how="urlopen() twice (a new connection each time)",
            run=_urllib, version=_python),
    _Client(name="curl", how="one curl process, two URLs (--rate for the pause)",
            run=curl, version=_curl_version, needs="curl", python=False),
    _Client(name="node-http", how="http.get with a keepAlive Agent (maxSockets 1)",
            run=_node("http"), version=_node_versions, needs="node", python=False),
    _Client(name="node-fetch", how="fetch() (undici), the global dispatcher",
            run=_node("fetch"), version=_node_versions, needs="node", python=False),
)
"""The rows of the matrix, in order."""

_BY_NAME = {client.name: client for client in CLIENTS}
PYTHON_CLIENTS = tuple(client.name for client in CLIENTS if client.python)


def verdict(first: str, second: str) -> str:
    """One word for a row: ok, first fails, second fails, or poisoned."""
    if not first.startswith("204 "):
        return "first fails"
    if second == EXPECTED_SECOND:
        return "ok"
    if second[:1].isdigit():
        return "poisoned"
    return "second fails"


def run_clients(
    only: Sequence[str] = (), *, cases: Sequence[str] = (), say: Callable[[str], None] = print
) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, str]]:
    """Run each client (or those in ``only``) through every case (or those in ``cases``).

    Runs against a fresh embedded server. Returns the versions by client, the
    rows, and the clients skipped with the reason.
    """
    refuse_unknown("client", only, list(_BY_NAME))
    refuse_unknown("case", cases, [case.id for case in CASES])
    versions: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with Server() as server:
        for client in CLIENTS:
            if only and client.name not in only:
                continue
            if client.needs and shutil.which(client.needs) is None:
                skipped[client.name] = f"{client.needs} not found on PATH"
                say(f"skipped  {client.name}: {skipped[client.name]}")
                continue
            started = time.monotonic()
            versions[client.name] = client.version()
            chosen = [case for case in CASES if not cases or case.id in cases]
            for case in chosen:
                outcome = client.run(server.url + case.path, server.url + SECOND, case.pause)
                rows.append({
                    "client": client.name,
                    "case": case.id,
                    "first": outcome.first,
                    "second": outcome.second,
                    "reused": outcome.reused,
                    "verdict": verdict(outcome.first, outcome.second),
                    "notes": list(outcome.notes),
                })
            say(f"ran      {client.name} ({versions[client.name]}): {len(chosen)} cases "
                f"({time.monotonic() - started:.1f} s)")
    return versions, rows, skipped


def carry_over(
    versions: dict[str, str], rows: list[dict[str, Any]], previous: dict[str, Any] | None,
    clients: Sequence[str], cases: Sequence[str],
) -> tuple[dict[str, str], set[str]]:
    """Merge a fresh run into the saved matrix's clients, in place, and order the rows.

    A client of ``clients`` that this run did not produce keeps its rows, version and
    capture day from ``previous``. Rows are sorted by ``clients``, then ``cases``.
    Returns each client's capture day (today for the fresh ones) and the names kept.
    """
    captured = dict.fromkeys(versions, today())
    kept: set[str] = set()
    if previous:
        saved = {client["name"]: client for client in previous.get("clients", [])}
        kept = {name for name in saved if name in clients and name not in versions}
        versions.update({name: saved[name]["version"] for name in kept})
        captured.update({name: saved[name].get("captured", "unknown") for name in kept})
        rows += [row for row in previous.get("rows", []) if row["client"] in kept]
    order = {name: index for index, name in enumerate(clients)}
    columns = {case: index for index, case in enumerate(cases)}
    rows.sort(key=lambda row: (order[row["client"]], columns[row["case"]]))
    return captured, kept


def matrix(
    only: Sequence[str] = (), *, previous: dict[str, Any] | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The matrix as saved in ``clients.json``.

    Each client carries the day its rows were made (``captured``, UTC). Clients
    that are skipped here keep their rows, version and day from ``previous``.
    """
    versions, rows, skipped = run_clients(only, say=say)
    captured, kept = carry_over(versions, rows, previous, list(_BY_NAME), [c.id for c in CASES])
    for name in sorted(kept & set(skipped)):
        say(f"kept     {name}: the saved rows, from {versions[name]}")
    return {
        "format": FORMAT,
        "tool": TOOL,
        "server": "the course's embedded server (nocontent.Server) on 127.0.0.1",
        "second_request": f"GET {SECOND}",
        "expected_second": EXPECTED_SECOND,
        "late": LATE,
        "pause": PAUSE,
        "cases": [{"id": c.id, "path": c.path, "pause": c.pause, "what": c.what} for c in CASES],
        "clients": [{"name": c.name, "how": c.how, "version": versions[c.name],
                     "captured": captured[c.name]}
                    for c in CLIENTS if c.name in versions],
        "rows": rows,
    }


def load_clients(path: Path | str) -> dict[str, Any]:
    """The saved matrix."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def differences(
    saved: dict[str, Any], fresh: dict[str, Any], clients: Sequence[str] = (), *,
    versions: Sequence[str] | None = None,
) -> list[str]:
    """How the fresh rows differ from the saved ones, for ``clients`` (default: all in fresh).

    The versions of ``versions`` (default: the same clients) are compared too; leave out a
    client whose version is not pinned (http.client's is the Python version).
    """
    wanted = set(clients) or {row["client"] for row in fresh["rows"]}
    old = {(r["client"], r["case"]): r for r in saved["rows"] if r["client"] in wanted}
    new = {(r["client"], r["case"]): r for r in fresh["rows"] if r["client"] in wanted}
    problems = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a != b:
            problems.append(f"{key[0]} / {key[1]}: saved {a} != fresh {b}")
    compared = wanted if versions is None else set(versions)
    old_versions = {c["name"]: c["version"] for c in saved["clients"] if c["name"] in compared}
    new_versions = {c["name"]: c["version"] for c in fresh["clients"] if c["name"] in compared}
    if old_versions != new_versions:
        problems.append(f"versions: saved {old_versions} != fresh {new_versions}")
    return problems
