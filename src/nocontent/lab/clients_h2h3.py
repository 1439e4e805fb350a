"""The client matrix over HTTP/2 and HTTP/3: what real clients do with correct and broken 204s.

Each client sends ``GET`` to a 204 route of the embedded server, reads the
whole response, then sends ``GET /status/200`` through the same client, as
the HTTP/1.1 matrix (:mod:`nocontent.lab.clients`) does. The cases are the
compliant 204 and every kind of :data:`nocontent.FRAME_MISBEHAVIOURS`. For
each (client, case) the matrix keeps what the first request returned or
raised, the same for the second, and whether the second went over the first
one's connection, as the client itself reports it.

There is no timing in any case: each broken reply is written in one go and
ends its stream, so a client sees all of it before it decides anything, and
the second request starts only when the first is over. The one exception is
nghttp, which sends both requests at once (it has no way to wait): on HTTP/2
the second stream's answer does not depend on the first stream's, unless the
client ends the whole connection, which would show in its log.

The servers are a fresh :class:`nocontent.Server` (h2c, cleartext with prior
knowledge) and a fresh :class:`nocontent.TLSServer` (h2 with ALPN, HTTP/3 over
QUIC on the same port number), each client trusting the TLS server's CA.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._http import Request, Response
from .._misbehave_frames import FRAME_KINDS
from .._server import Server
from .._version import __version__
from .browsers import chromium_missing, chromium_path
from .capture import APPS, normalise, refuse_unknown
from .clients import (
    EXPECTED_SECOND,
    SECOND,
    TIMEOUT,
    Outcome,
    carry_over,
    curl,
    differences,
    load_clients,
)

__all__ = [
    "CASES",
    "CLIENTS",
    "FORMAT",
    "PAGE",
    "differences",
    "load_clients",
    "matrix",
    "next_request",
    "reading",
    "run_clients",
]

FORMAT = 1
"""Version of the JSON layout of ``clients-h2h3.json``."""
TOOL = f"nocontent {__version__} lab clients, HTTP/2 and HTTP/3 (format {FORMAT})"
PAGE = "/lab/page"
"""The page Chromium loads before its requests: no favicon to fetch, nothing else."""


@dataclass(frozen=True, kw_only=True)
class FrameCase:
    """One column of the matrix: the first request's path, and what the server sends."""

    id: str
    path: str
    what: str


CASES: tuple[FrameCase, ...] = (
    FrameCase(id="clean", path="/status/204",
              what="a compliant 204: one HEADERS frame with END_STREAM (HTTP/3: then FIN)"),
    *(FrameCase(id=kind, path=f"/misbehave/{kind}", what=what)
      for kind, what in FRAME_KINDS.items()),
)
"""The columns of the matrix, in order."""


# -- what one client did, in words -----------------------------------------------------


def _shown(status: int, body: bytes, trailers: Sequence[tuple[str, str]] = ()) -> str:
    """``204 ''``, with `` + trailers name: value`` when the client handed trailers over."""
    text = f"{status} {body.decode('latin-1')!r}"
    if trailers:
        text += " + trailers " + ", ".join(f"{name}: {value}" for name, value in trailers)
    return text


def reading(first: str) -> str:
    """What a client made of a 204: ``204``, ``204 + content``, ``204 + trailers``, ``refused``."""
    found = re.fullmatch(r"204 '(.*?)'( \+ trailers .*)?", first, re.S)
    if found is None:
        return "refused"
    if found.group(1):
        return "204 + content"
    return "204 + trailers" if found.group(2) else "204"


def next_request(second: str, reused: bool | None) -> str:
    """What became of the next request: same connection, new connection, unknown, or fails."""
    if second != EXPECTED_SECOND:
        return "fails"
    return {True: "same connection", False: "new connection", None: "answered"}[reused]


# -- the clients ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where a client goes: the base URL for its protocol, and what it needs to trust the TLS one.

    Attributes:
        base: ``http://127.0.0.1:PORT`` (h2c) or ``https://127.0.0.1:PORT`` (h2, h3).
        ca_file: the TLS server's CA certificate.
        spki: the base64 SHA-256 of the TLS server's public key (Chromium's trust flag).
        work: a folder for builds and profiles, removed after the run.
    """

    base: str
    ca_file: str
    spki: str
    work: Path


Runner = Callable[[str, str], Outcome]
"""Runs one case: the first URL, the second URL; returns the outcome."""
Session = Callable[[_Target], contextlib.AbstractContextManager[tuple[str, Runner]]]
"""Starts a client for a run: yields its versions and its runner."""


def _package_versions(*names: str) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _error(exc: BaseException) -> str:
    return normalise(f"{type(exc).__name__}: {str(exc).strip() or repr(exc)}")


def _simple(run: Callable[[_Target, str, str], Outcome], versions: Callable[[], str]) -> Session:
    @contextlib.contextmanager
    def session(target: _Target) -> Iterator[tuple[str, Runner]]:
        yield versions(), lambda first, second: run(target, first, second)

    return session


# httpx, with h2 --------------------------------------------------------------------------


def _httpx(target: _Target, first: str, second: str) -> Outcome:
    import httpx

    verify = ssl.create_default_context(cafile=target.ca_file)
    with httpx.Client(http2=True, verify=verify, timeout=TIMEOUT, trust_env=False) as client:
        stream = None
        try:
            response = client.get(first)
            one = _shown(response.status_code, response.content)
            stream = response.extensions.get("network_stream")
        except httpx.HTTPError as exc:
            one = _error(exc)
        try:
            response = client.get(second)
        except httpx.HTTPError as exc:
            return Outcome(first=one, second=_error(exc))
        reused = stream is not None and response.extensions.get("network_stream") is stream
        return Outcome(first=one, second=_shown(response.status_code, response.content),
                       reused=reused)


# aioquic's HTTP/3 (H3Connection on its asyncio QUIC client) ------------------------------


async def _h3_pair(first: str, second: str, ca_file: str) -> Outcome:
    from aioquic.asyncio import connect
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration
    from aioquic.quic.events import ConnectionTerminated, QuicEvent, StreamReset

    from .._frame_decode import error_name

    class Client(QuicConnectionProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)
            self.closed: str | None = None
            self.streams: dict[int, dict[str, Any]] = {}

        def quic_event_received(self, event: QuicEvent) -> None:
            if isinstance(event, ConnectionTerminated):
                code = (error_name(event.error_code, 3) if event.frame_type is None
                        else f"QUIC error 0x{event.error_code:x}")
                self.closed = f"{code}: {event.reason_phrase!r}"
            if isinstance(event, StreamReset) and event.stream_id in self.streams:
                self.streams[event.stream_id]["reset"] = error_name(event.error_code, 3)
            for h3 in self.h3.handle_event(event):
                if not isinstance(h3, (HeadersReceived, DataReceived)):
                    continue
                got = self.streams.get(h3.stream_id)
                if got is None:
                    continue
                if isinstance(h3, HeadersReceived):
                    got["sections"].append(h3.headers)
                else:
                    got["body"] += h3.data
                got["ended"] = got["ended"] or h3.stream_ended
            for got in self.streams.values():
                if (got["ended"] or self.closed or "reset" in got) and not got["done"].done():
                    got["done"].set_result(None)

        async def get(self, url: str) -> str:
            parts = urlsplit(url)
            stream = self._quic.get_next_available_stream_id()
            got = self.streams[stream] = {"sections": [], "body": b"", "ended": False,
                                          "done": asyncio.get_running_loop().create_future()}
            self.h3.send_headers(stream, [(b":method", b"GET"), (b":scheme", b"https"),
                                          (b":authority", parts.netloc.encode()),
                                          (b":path", parts.path.encode())], end_stream=True)
            self.transmit()
            try:
                await asyncio.wait_for(got["done"], TIMEOUT)
            except asyncio.TimeoutError:
                return f"TimeoutError: no response within {TIMEOUT} s"
            if self.closed and not got["ended"]:
                return f"ConnectionTerminated: the connection closed with {self.closed}"
            if "reset" in got:
                return f"StreamReset: the server reset the stream with {got['reset']}"
            head, *rest = got["sections"]
            status = int(dict(head)[b":status"])
            trailers = [(n.decode("latin-1"), v.decode("latin-1")) for s in rest for n, v in s]
            return _shown(status, got["body"], trailers)

    configuration = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    configuration.load_verify_locations(cafile=ca_file)
    host, port = urlsplit(first).hostname or "", urlsplit(first).port or 443
    async with connect(host, port, configuration=configuration, create_protocol=Client) as one:
        assert isinstance(one, Client)
        answer = await one.get(first)
        if one.closed is None:
            return Outcome(first=answer, second=await one.get(second), reused=True)
    async with connect(host, port, configuration=configuration, create_protocol=Client) as two:
        assert isinstance(two, Client)
        return Outcome(first=answer, second=await two.get(second), reused=False)


def _aioquic(target: _Target, first: str, second: str) -> Outcome:
    # A thread of its own: asyncio.run cannot run inside a running loop (a notebook's).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(asyncio.run, _h3_pair(first, second, target.ca_file)).result()
    return Outcome(first=normalise(outcome.first), second=normalise(outcome.second),
                   reused=outcome.reused)


# curl, nghttp, Node.js and Go, in subprocesses -----------------------------------------


def _curl_tls(target: _Target, first: str, second: str) -> Outcome:
    return curl(first, second, 0.0, ("--http2", "--cacert", target.ca_file))


def _curl_h2c(target: _Target, first: str, second: str) -> Outcome:
    return curl(first, second, 0.0, ("--http2-prior-knowledge",))


def _curl_versions() -> str:
    out = subprocess.run(["curl", "--version"], capture_output=True, text=True, timeout=30)
    words = out.stdout.split()
    library = next((w.replace("/", " ") for w in words if w.startswith("nghttp2/")), "")
    return ", ".join(filter(None, (" ".join(words[:2]), library)))


_NGHTTP_DATA = re.compile(r"\[ *[\d.]+\] recv DATA frame <length=(\d+), flags=0x[0-9a-f]+, "
                          r"stream_id=(\d+)>")
_NGHTTP_FIELD = re.compile(r"\[ *[\d.]+\] recv \(stream_id=(\d+)\) (:?[^:]+): (.*)$")
_NGHTTP_HEADERS = re.compile(r"\[ *[\d.]+\] (?:\[INVALID[^\]]*\] )?recv HEADERS frame <[^>]*"
                             r"stream_id=(\d+)>")
_NGHTTP_RESET = re.compile(r"^\[ *[\d.]+\] send RST_STREAM frame <[^>]*stream_id=(\d+)>\n"
                           r" +\(error_code=(\w+)\(", re.M)
_NGHTTP_ERROR = re.compile(r"^\[ *[\d.]+\] \[ERROR\] (.*?stream(?:_id=|: )(\d+).*)$", re.M)


def nghttp_log(output: str) -> tuple[str, dict[int, bytes]]:
    """Split what ``nghttp -v`` printed into its log and each stream's content.

    nghttp writes the content of a DATA frame, as it is, right before the log
    line that reports the frame; the content is cut out of the log there.
    """
    content: dict[int, bytes] = {}
    log, last = [], 0
    for found in _NGHTTP_DATA.finditer(output):
        length, stream = int(found.group(1)), int(found.group(2))
        start = found.start() - length
        content[stream] = content.get(stream, b"") + output[start:found.start()].encode("latin-1")
        log.append(output[last:start])
        last = found.start()
    log.append(output[last:])
    return "".join(log), content


def nghttp_outcome(log: str, content: dict[int, bytes], stream: int) -> tuple[str, str]:
    """What ``stream`` got, from nghttp's log: the outcome, and the error nghttp logged for it."""
    sections: list[list[tuple[str, str]]] = []
    fields: list[tuple[str, str]] = []
    for line in log.splitlines():
        if (found := _NGHTTP_FIELD.match(line)) and int(found.group(1)) == stream:
            fields.append((found.group(2), found.group(3)))
        elif (found := _NGHTTP_HEADERS.match(line)) and int(found.group(1)) == stream:
            sections.append(fields)  # nghttp logs a block's fields, then its HEADERS frame
            fields = []
    why = next((found.group(1) for found in _NGHTTP_ERROR.finditer(log)
                if int(found.group(2)) == stream), "")
    reset = next((found.group(2) for found in _NGHTTP_RESET.finditer(log)
                  if int(found.group(1)) == stream), None)
    if reset is not None:
        return f"RST_STREAM: nghttp reset the stream with {reset}", why
    if not sections:
        return "NoResponse: nghttp's log shows no response on the stream", why
    head, *trailers = sections
    status = int(dict(head).get(":status", "0"))
    return _shown(status, content.get(stream, b""), [f for t in trailers for f in t]), why


def _nghttp(target: _Target, first: str, second: str) -> Outcome:
    # --no-dep: no PRIORITY frames and their extra streams, so the requests are streams 1 and 3.
    run = subprocess.run(["nghttp", "--verbose", "--no-dep", "--timeout", f"{TIMEOUT:g}",
                          first, second], capture_output=True, timeout=30)
    log, content = nghttp_log(run.stdout.decode("latin-1"))
    (one, why_one), (two, why_two) = (nghttp_outcome(log, content, stream) for stream in (1, 3))
    notes = [normalise(why) for why in (why_one, why_two) if why]
    notes += [line.strip() for line in run.stderr.decode("latin-1").splitlines() if line.strip()]
    return Outcome(first=one, second=two, reused=True if two == EXPECTED_SECOND else None,
                   notes=(*notes, f"exit status {run.returncode}"))


def _nghttp_version() -> str:
    out = subprocess.run(["nghttp", "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().replace("/", " ")


def _node(target: _Target, first: str, second: str) -> Outcome:
    done = subprocess.run(["node", str(APPS / "node_h2_client.js"), first, second,
                           target.ca_file], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "NODE_NO_WARNINGS": "1"})
    if done.returncode:
        raise RuntimeError(f"node failed: {done.stderr.strip()[-300:]}")
    data = json.loads(done.stdout)
    notes = []

    def shown(result: dict[str, Any], which: str) -> str:
        if "error" in result:
            if "status" in result:
                notes.append(f"{which}: its response event saw :status {result['status']} "
                             "before the error")
            return normalise(result["error"])
        trailers = list(result.get("trailers", {}).items())
        return _shown(result["status"], result["body"].encode("latin-1"), trailers)

    return Outcome(first=shown(data["first"], "first"), second=shown(data["second"], "second"),
                   reused=data["reused"], notes=tuple(notes))


def _node_versions() -> str:
    script = "console.log(`node ${process.version}, nghttp2 ${process.versions.nghttp2}`)"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


BUILD_TIMEOUT = 300.0
"""Seconds ``go build`` may take (a cold build cache compiles net/http and crypto/tls)."""


def _go_build(work: Path) -> Path:
    """Build the Go client from the standard library only: no module, no network."""
    program = work / "go_h2_client"
    if program.exists():
        return program
    env = {**os.environ, "GOCACHE": str(work / "gocache"), "GOPATH": str(work / "gopath"),
           "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local", "GOTELEMETRY": "off",
           "CGO_ENABLED": "0"}
    run = subprocess.run(["go", "build", "-o", str(program), str(APPS / "go_h2_client.go")],
                         cwd=work, env=env, capture_output=True, text=True,
                         timeout=BUILD_TIMEOUT)
    if run.returncode:
        raise RuntimeError(f"go build failed: {run.stderr.strip()[-500:]}")
    return program


def _go(target: _Target, first: str, second: str) -> Outcome:
    done = subprocess.run([str(_go_build(target.work)), first, second, target.ca_file],
                          capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"the Go client failed: {done.stderr.strip()[-300:]}")
    data = json.loads(done.stdout)
    notes = []

    def shown(result: dict[str, Any], which: str) -> str:
        if result.get("error"):
            if result.get("status"):
                notes.append(f"{which}: Do returned a {result['status']} response "
                             f"({result['proto']}) before the error")
            return normalise(result["error"])
        trailers = [(name, value.strip("[]")) for name, value in
                    sorted(result.get("trailers", {}).items())]
        return _shown(result["status"], result["body"].encode("latin-1"), trailers)

    return Outcome(first=shown(data["first"], "first"), second=shown(data["second"], "second"),
                   reused=data["second"]["reused"], notes=tuple(notes))


def _go_version() -> str:
    out = subprocess.run(["go", "version"], capture_output=True, text=True, timeout=30)
    return out.stdout.split()[2] if out.stdout.count(" ") >= 2 else out.stdout.strip()


# Chromium, headless, through Playwright and the DevTools protocol ------------------------

_FETCH_TWICE = """async ([first, second, timeout]) => {
  const results = [];
  for (const url of [first, second]) {
    try {
      const response = await fetch(url, {cache: "no-store", signal: AbortSignal.timeout(timeout)});
      results.push({status: response.status, body: await response.text()});
    } catch (error) {
      results.push({error: `${error.name}: ${error.message}`});
    }
  }
  return results;
}"""


def chromium_flags(protocol: str, spki: str, origin: str) -> list[str]:
    """Chromium's command-line flags: trust the server's key; HTTP/2 only, or QUIC forced on.

    ``--ignore-certificate-errors-spki-list`` accepts a certificate whose public
    key hashes to ``spki`` (over TLS and QUIC alike); ``--disable-quic`` keeps
    the h2 row on TCP whatever Alt-Svc says; ``--origin-to-force-quic-on`` makes
    every request to ``origin`` (``127.0.0.1:PORT``) go over HTTP/3 at once.
    """
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             f"--ignore-certificate-errors-spki-list={spki}"]
    if protocol == "h3":
        return [*flags, "--enable-quic", f"--origin-to-force-quic-on={origin}"]
    return [*flags, "--disable-quic"]


def _page(request: Request) -> Response:
    """The page Chromium's requests start from: a data: icon, so no /favicon.ico request."""
    return Response(status=200, headers=(("Content-Type", "text/html; charset=utf-8"),),
                    body=b'<!doctype html><link rel="icon" href="data:,"><title>lab</title>')


def _chromium(protocol: str) -> Session:
    @contextlib.contextmanager
    def session(target: _Target) -> Iterator[tuple[str, Runner]]:
        from playwright.sync_api import sync_playwright

        origin = urlsplit(target.base).netloc
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True,
                args=chromium_flags(protocol, target.spki, origin))
            try:
                versions = (f"Chromium {browser.version}, Playwright "
                            f"{_package_versions('playwright').split()[-1]} (CDP)")
                yield versions, lambda first, second: _chromium_pair(browser, target, first,
                                                                     second, protocol)
            finally:
                browser.close()

    return session


def _chromium_pair(browser: Any, target: _Target, first: str, second: str,
                   protocol: str) -> Outcome:
    """Load the page in a new context (its own connections), then fetch both URLs from it."""
    context = browser.new_context()
    try:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        seen: dict[str, dict[str, Any]] = {}

        def on(kind: str) -> Callable[[dict[str, Any]], None]:
            def record(event: dict[str, Any]) -> None:
                seen.setdefault(event["requestId"], {})[kind] = event
            return record

        for kind in ("requestWillBeSent", "responseReceived", "loadingFinished", "loadingFailed"):
            devtools.on(f"Network.{kind}", on(kind))
        devtools.send("Network.enable")
        page.goto(target.base + PAGE)
        results = page.evaluate(_FETCH_TWICE, [first, second, int(TIMEOUT * 1000)])
        by_url = _settle(page, seen, (target.base + PAGE, first, second))
    finally:
        context.close()
    loaded = by_url[target.base + PAGE].get("responseReceived", {}).get("response", {})
    outcomes, notes, connections = [], [], []
    for which, url, result in (("first", first, results[0]), ("second", second, results[1])):
        events = by_url[url]
        response = events.get("responseReceived", {}).get("response", {})
        connections.append(response.get("connectionId"))
        used = response.get("protocol")
        if used and used != protocol:
            notes.append(f"{which}: went over {used}, not {protocol}")
        if "error" in result:
            failed = events.get("loadingFailed", {}).get("errorText", "no network error")
            outcomes.append(f"{result['error']} ({failed})")
            if response:
                notes.append(f"{which}: DevTools saw a {response['status']} response "
                             "before the failure")
        else:
            outcomes.append(_shown(result["status"], result["body"].encode("latin-1")))
    if loaded.get("protocol") != protocol:
        notes.append(f"the page itself came over {loaded.get('protocol')}, not {protocol}")
    reused = None
    if connections[1] is not None and loaded.get("connectionId") is not None:
        reused = connections[1] == loaded["connectionId"]
    return Outcome(first=outcomes[0], second=outcomes[1], reused=reused, notes=tuple(notes))


def _settle(page: Any, seen: dict[str, dict[str, Any]],
            urls: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each URL's DevTools events, once each request has finished or failed.

    DevTools events and the page's own results travel apart, so the events of
    the last request may still be on their way when fetch() has settled: wait
    for them (the run fails after :data:`TIMEOUT` seconds rather than guess).
    """
    until = time.monotonic() + TIMEOUT
    while True:
        by_url = {}
        for events in seen.values():
            sent = events.get("requestWillBeSent")
            if sent is not None:
                by_url[sent["request"]["url"]] = events
        done = all(url in by_url and ({"loadingFinished", "loadingFailed"} & set(by_url[url]))
                   for url in urls)
        if done:
            return by_url
        if time.monotonic() > until:
            raise RuntimeError(f"Chromium reported no end for some of {list(urls)}")
        page.wait_for_timeout(20)


# -- the rows ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Client:
    name: str
    how: str
    protocol: str
    session: Session
    missing: Callable[[], str | None]
    python: bool = False


def _needs(*programs: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        absent = [name for name in programs if shutil.which(name) is None]
        return f"{', '.join(absent)} not found on PATH" if absent else None
    return missing


CLIENTS: tuple[_Client, ...] = (
    _Client(name="httpx", protocol="h2", python=True,
            how="one httpx.Client(http2=True) over TLS (ALPN h2)",
            session=_simple(_httpx, lambda: _package_versions("httpx", "httpcore", "h2")),
            missing=lambda: None),
    _Client(name="curl", protocol="h2", how="one curl process, two URLs, --http2 over TLS",
            session=_simple(_curl_tls, _curl_versions), missing=_needs("curl")),
    _Client(name="curl-h2c", protocol="h2c",
            how="one curl process, two URLs, --http2-prior-knowledge",
            session=_simple(_curl_h2c, _curl_versions), missing=_needs("curl")),
    _Client(name="nghttp", protocol="h2c",
            how="one nghttp -v process, both URLs at once on one connection (h2c)",
            session=_simple(_nghttp, _nghttp_version), missing=_needs("nghttp")),
    _Client(name="node-http2", protocol="h2",
            how="http2.connect() over TLS, one session for both requests if it stays open",
            session=_simple(_node, _node_versions), missing=_needs("node")),
    _Client(name="go-net-http", protocol="h2",
            how="one http.Client over TLS (ALPN h2, the standard library's HTTP/2)",
            session=_simple(_go, _go_version), missing=_needs("go")),
    _Client(name="aioquic", protocol="h3", python=True,
            how="aioquic's H3Connection on one QUIC connection, a new one if it closed",
            session=_simple(_aioquic, lambda: _package_versions("aioquic", "pylsqpack")),
            missing=lambda: None),
    _Client(name="chromium-h2", protocol="h2",
            how="headless Chromium, fetch() from a page of the server, QUIC off",
            session=_chromium("h2"), missing=chromium_missing),
    _Client(name="chromium-h3", protocol="h3",
            how="headless Chromium, fetch() from a page of the server, QUIC forced on",
            session=_chromium("h3"), missing=chromium_missing),
)
"""The rows of the matrix, in order."""

_BY_NAME = {client.name: client for client in CLIENTS}
PYTHON_CLIENTS = tuple(client.name for client in CLIENTS if client.python)


def _spki(cert_file: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    with open(cert_file, "rb") as pem:
        cert = x509.load_pem_x509_certificate(pem.read())  # the first one: the server's
    key = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(key).digest()).decode("ascii")


def run_clients(
    only: Sequence[str] = (), *, cases: Sequence[str] = (), say: Callable[[str], None] = print
) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, str]]:
    """Run each client (or those in ``only``) through every case (or those in ``cases``).

    Runs against fresh embedded servers. Returns the versions by client, the
    rows, and the clients skipped with the reason.
    """
    from .._tls import TLSServer

    refuse_unknown("client", only, list(_BY_NAME))
    refuse_unknown("case", cases, [case.id for case in CASES])
    chosen = [case for case in CASES if not cases or case.id in cases]
    versions: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with Server() as plain, TLSServer() as tls, tempfile.TemporaryDirectory() as work:
        tls.mount(PAGE, _page)
        spki = _spki(tls.certificates.cert_file)
        for client in CLIENTS:
            if only and client.name not in only:
                continue
            reason = client.missing()
            if reason:
                skipped[client.name] = reason
                say(f"skipped  {client.name}: {reason}")
                continue
            base = plain.url if client.protocol == "h2c" else tls.url
            target = _Target(base=base, ca_file=tls.ca_file, spki=spki, work=Path(work))
            started = time.monotonic()
            with client.session(target) as (found, run):
                versions[client.name] = found
                for case in chosen:
                    outcome = run(base + case.path, base + SECOND)
                    rows.append({
                        "client": client.name,
                        "case": case.id,
                        "first": outcome.first,
                        "second": outcome.second,
                        "reused": outcome.reused,
                        "reading": reading(outcome.first),
                        "next": next_request(outcome.second, outcome.reused),
                        "notes": list(outcome.notes),
                    })
            say(f"ran      {client.name} ({found}): {len(chosen)} cases "
                f"({time.monotonic() - started:.1f} s)")
    return versions, rows, skipped


def matrix(
    only: Sequence[str] = (), *, previous: dict[str, Any] | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The matrix as saved in ``clients-h2h3.json``.

    Each client carries the day its rows were made (``captured``, UTC). Clients
    skipped here, or left out of ``only``, keep their rows, version and day from
    ``previous``.
    """
    versions, rows, _ = run_clients(only, say=say)
    captured, _ = carry_over(versions, rows, previous, list(_BY_NAME), [c.id for c in CASES])
    return {
        "format": FORMAT,
        "tool": TOOL,
        "server": ("the course's embedded servers on 127.0.0.1: nocontent.Server for h2c, "
                   "nocontent.TLSServer for h2 and h3"),
        "second_request": f"GET {SECOND}",
        "expected_second": EXPECTED_SECOND,
        "cases": [{"id": c.id, "path": c.path, "what": c.what} for c in CASES],
        "clients": [{"name": c.name, "protocol": c.protocol, "how": c.how,
                     "version": versions[c.name], "captured": captured[c.name]}
                    for c in CLIENTS if c.name in versions],
        "rows": rows,
    }


