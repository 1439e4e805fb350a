"""The embedded server's routes: a request in, a reply out, no sockets.

Every route outside ``/misbehave/`` answers with a :class:`Response`, which
the server frames through :func:`nocontent._http.render_response`, so it is
compliant by construction.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from ._editor import Editor
from ._framing import may_carry_content
from ._http import Headers, Request, Response, reason_phrase, render_as_written
from ._misbehave import KINDS, RawReply, misbehave
from ._store import Document, DocumentStore, precondition_failure
from ._version import __version__

__all__ = ["App", "Beacon", "Handler", "Reply"]

Reply = Response | RawReply
Handler = Callable[[Request], Response]
"""A learner's handler: a request in, a response out, sent as written."""

SERVER = f"nocontent/{__version__}"
"""The Server field every response carries."""

DOC_METHODS = "GET, HEAD, PUT, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, If-Match, If-None-Match, Prefer"
HEURISTIC_AGE = 10 * 24 * 3600
"""How far back ``/cache/heuristic`` dates Last-Modified (10 days: a day of heuristic freshness)."""

ROUTES = (
    ("GET /", "this index"),
    ("GET, HEAD /docs/{name}", "a stored document: 200 with ETag and Last-Modified, 304, 404"),
    ("PUT /docs/{name}", "201 for a new document, 204 with the new ETag when replacing one"),
    ("DELETE /docs/{name}", "204; 404 when absent; honours If-Match"),
    ("OPTIONS /docs/{name}", "204 with Allow, or a CORS preflight answer"),
    ("POST /beacon", "204; the server counts the bytes it received"),
    ("GET /beacon", "200 with the beacon tally as JSON"),
    ("ANY /status/{code}", "that status (200 to 599), correctly framed"),
    ("GET /cache/heuristic", "204 with Last-Modified and no Cache-Control"),
    ("GET /cache/max-age/{n}", "204 with Cache-Control: max-age=n"),
    ("GET /cache/no-store", "204 with Cache-Control: no-store"),
    ("ANY /misbehave/{kind}", "a deliberately broken 204: " + ", ".join(KINDS)),
    ("GET, HEAD /editor", "a page that edits ?doc={name} and saves it with PUT and If-Match"),
    ("GET, HEAD /editor/form", "plain HTML forms answered 204, 205 and 200"),
    ("POST /editor/form/save", "204; the server records the submitted fields"),
    ("POST /editor/form/reset", "205 Reset Content; recorded too"),
)

_EXTRA_HEADERS: dict[int, Headers] = {
    201: (("Location", "/"),),
    206: (("Content-Range", "bytes 0-{last}/{size}"),),
    301: (("Location", "/"),),
    302: (("Location", "/"),),
    303: (("Location", "/"),),
    307: (("Location", "/"),),
    308: (("Location", "/"),),
    401: (("WWW-Authenticate", 'Basic realm="nocontent"'),),
    405: (("Allow", "GET, HEAD"),),
    407: (("Proxy-Authenticate", 'Basic realm="nocontent"'),),
    416: (("Content-Range", "bytes */0"),),
}


@dataclass(frozen=True, kw_only=True)
class Beacon:
    """One beacon the server received.

    Attributes:
        size: how many bytes of content it carried.
        content_type: its Content-Type, if any.
    """

    size: int
    content_type: str | None


def _text(status: int, message: str, headers: Headers = ()) -> Response:
    body = f"{status} {reason_phrase(status)}: {message}\n".encode()
    return Response(
        status=status,
        headers=(("Content-Type", "text/plain; charset=utf-8"), *headers),
        body=body,
    )


def _not_allowed(allow: str) -> Response:
    return _text(405, f"allowed methods are {allow}", (("Allow", allow),))


def _validators(doc: Document) -> Headers:
    return (("ETag", doc.etag), ("Last-Modified", formatdate(doc.modified, usegmt=True)))


def _preference(request: Request) -> str | None:
    """The ``return`` preference of a Prefer field (RFC 7240 §4.2), if any."""
    for value in (request.header("prefer") or "").split(","):
        token = value.split(";")[0].strip().lower().replace(" ", "")
        if token in ("return=minimal", "return=representation"):
            return token
    return None


class App:
    """The routes, over one document store and one beacon log."""

    def __init__(self, store: DocumentStore | None = None) -> None:
        self.store = store or DocumentStore()
        self.beacons: deque[Beacon] = deque(maxlen=1000)
        self._beacon_lock = threading.Lock()
        self.mounts: dict[str, Handler] = {}
        self.editor = Editor()
        self._routes: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
            (re.compile(r"/"), self._index),
            (re.compile(r"/docs/([A-Za-z0-9._-]{1,64})"), self._docs),
            (re.compile(r"/beacon"), self._beacon),
            (re.compile(r"/status/(\d{3})"), self._status),
            (re.compile(r"/cache/heuristic"), self._cache_heuristic),
            (re.compile(r"/cache/max-age/(\d{1,9})"), self._cache_max_age),
            (re.compile(r"/cache/no-store"), self._cache_no_store),
            (re.compile(r"/misbehave/([a-z-]+)"), self._misbehave),
            (re.compile(r"/editor"), self.editor.page),
            (re.compile(r"/editor/form"), self.editor.form),
            (re.compile(r"/editor/form/(save|reset)"), self.editor.submit),
        ]

    def handle(self, request: Request, now: float) -> Reply:
        """Answer ``request``; ``now`` is the time the server puts in Date."""
        path = request.target.split("?", 1)[0]
        if path in self.mounts:
            return self._as_written(request, now, self.mounts[path])
        for pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match:
                return route(request, now, *match.groups())
        return _text(404, f"no route for {path[:100]}; GET / lists the routes")

    def _as_written(self, request: Request, now: float, handler: Handler) -> Reply:
        """Send a mounted handler's response as written, adding only Date and Server.

        Without Content-Length or Transfer-Encoding, a response that may carry
        content can only end when the connection closes, so the server closes it.
        """
        response = handler(request)
        common = (("Date", formatdate(now, usegmt=True)), ("Server", SERVER))
        data = render_as_written(
            Response(status=response.status, headers=(*common, *response.headers),
                     body=response.body)
        )
        framed = any(name.lower() in ("content-length", "transfer-encoding")
                     for name, _ in response.headers)
        close = may_carry_content(response.status, request.method) and not framed
        return RawReply(parts=((0.0, data),), status=response.status, close=close)

    # -- routes -----------------------------------------------------------------

    def _index(self, request: Request, now: float) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        width = max(len(route) for route, _ in ROUTES)
        lines = [f"{route:<{width}}  {what}" for route, what in ROUTES]
        body = ("nocontent teaching server\n\n" + "\n".join(lines) + "\n").encode()
        return Response(status=200, headers=(("Content-Type", "text/plain; charset=utf-8"),),
                        body=body)

    def _docs(self, request: Request, now: float, name: str) -> Reply:
        method = request.method
        cors: Headers = ()
        origin = request.header("origin")
        if origin is not None:
            cors = (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                    ("Access-Control-Expose-Headers", "ETag, Last-Modified, Preference-Applied"))
        if method == "OPTIONS":
            return self._options(request, cors)
        if method in ("GET", "HEAD"):
            reply = self._read(request, name)
        elif method == "PUT":
            reply = self._write(request, name)
        elif method == "DELETE":
            reply = self._delete(request, name)
        else:
            return _not_allowed(DOC_METHODS)
        return Response(status=reply.status, headers=(*reply.headers, *cors), body=reply.body)

    def _options(self, request: Request, cors: Headers) -> Response:
        wanted = request.header("access-control-request-method")
        if request.header("origin") is None or wanted is None:
            return Response(status=204, headers=(("Allow", DOC_METHODS),))
        asked = request.header("access-control-request-headers")
        return Response(
            status=204,
            headers=(
                *cors[:2],
                ("Access-Control-Allow-Methods", DOC_METHODS),
                ("Access-Control-Allow-Headers", asked or CORS_HEADERS),
                ("Access-Control-Max-Age", "600"),
            ),
        )

    def _read(self, request: Request, name: str) -> Response:
        doc = self.store.get(name)
        if doc is None:
            return _text(404, f"no document named {name}")
        failure = precondition_failure(request.method, doc, request.headers)
        if failure == 304:
            # RFC 9110 §15.4.5: a 304 carries the validator, no content.
            return Response(status=304, headers=(("ETag", doc.etag),))
        if failure is not None:
            return _text(failure, "a precondition failed")
        return Response(
            status=200,
            headers=(("Content-Type", doc.content_type), *_validators(doc)),
            body=doc.body,
        )

    def _write(self, request: Request, name: str) -> Response:
        content_type = request.header("content-type") or "application/octet-stream"

        def check(current: Document | None) -> int | None:
            return precondition_failure("PUT", current, request.headers)

        failure, previous, stored = self.store.put(name, request.body, content_type, check)
        if stored is None:
            state = "exists" if previous else "does not exist"
            return _text(failure or 412, f"precondition failed; the document {state}; "
                         "nothing was written")
        preference = _preference(request)
        applied: Headers = (("Preference-Applied", preference),) if preference else ()
        # RFC 9110 §9.3.4: the bytes are stored verbatim, so the validators may be sent.
        headers = (*_validators(stored), *applied)
        if preference == "return=representation":
            return Response(
                status=201 if previous is None else 200,
                headers=(("Content-Type", stored.content_type), *headers,
                         *((("Location", f"/docs/{name}"),) if previous is None else ())),
                body=stored.body,
            )
        if previous is None:
            return Response(status=201, headers=(("Location", f"/docs/{name}"), *headers))
        return Response(status=204, headers=headers)

    def _delete(self, request: Request, name: str) -> Response:
        def check(current: Document | None) -> int | None:
            if current is None:
                return 404
            return precondition_failure("DELETE", current, request.headers)

        failure, _ = self.store.delete(name, check)
        if failure == 404:
            return _text(404, f"no document named {name}")
        if failure is not None:
            return _text(failure, "a precondition failed; nothing was deleted")
        return Response(status=204)

    def _beacon(self, request: Request, now: float) -> Reply:
        if request.method == "POST":
            with self._beacon_lock:
                self.beacons.append(Beacon(size=len(request.body),
                                           content_type=request.header("content-type")))
            return Response(status=204)
        if request.method in ("GET", "HEAD"):
            with self._beacon_lock:
                sizes = [beacon.size for beacon in self.beacons]
            tally = {"beacons": len(sizes), "bytes": sum(sizes)}
            return Response(status=200, headers=(("Content-Type", "application/json"),),
                            body=json.dumps(tally).encode() + b"\n")
        return _not_allowed("GET, HEAD, POST")

    def _status(self, request: Request, now: float, code: str) -> Reply:
        status = int(code)
        if not 200 <= status <= 599:
            return _text(404, "/status/ takes a code from 200 to 599")
        body = f"{status} {reason_phrase(status) or 'Unregistered'}\n".encode()
        if not may_carry_content(status, "GET"):
            body = b""  # for HEAD the server still declares the length GET would have had
        extra = tuple(
            (name, value.format(last=len(body) - 1, size=len(body)))
            for name, value in _EXTRA_HEADERS.get(status, ())
        )
        if body:
            extra = (*extra, ("Content-Type", "text/plain; charset=utf-8"))
        return Response(status=status, headers=extra, body=body)

    def _cache(self, request: Request, headers: Headers) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        return Response(status=204, headers=headers)

    def _cache_heuristic(self, request: Request, now: float) -> Reply:
        modified = formatdate(int(now) - HEURISTIC_AGE, usegmt=True)
        return self._cache(request, (("Last-Modified", modified),))

    def _cache_max_age(self, request: Request, now: float, seconds: str) -> Reply:
        return self._cache(request, (("Cache-Control", f"max-age={int(seconds)}"),))

    def _cache_no_store(self, request: Request, now: float) -> Reply:
        return self._cache(request, (("Cache-Control", "no-store"),))

    def _misbehave(self, request: Request, now: float, kind: str) -> Reply:
        common = f"Date: {formatdate(now, usegmt=True)}\r\nServer: {SERVER}\r\n"
        reply = misbehave(kind, common)
        if reply is None:
            return _text(404, f"unknown kind {kind}; kinds: {', '.join(KINDS)}")
        return reply

