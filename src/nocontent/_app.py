"""The embedded server's routes: a request in, a reply out, no sockets.

Every route outside ``/misbehave/`` answers with a :class:`Response`, which
the server frames through :func:`nocontent._http.render_response`, so it is
compliant by construction.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from ._browserlab import BrowserLab
from ._editor import Editor
from ._frame_reply import FrameReply, as_written_frames, lowered
from ._framing import ends_at_header_section, may_carry_content
from ._http import (
    Headers,
    Request,
    Response,
    reason_phrase,
    render_as_written,
    return_preference,
    split_target,
)
from ._misbehave import KINDS, RawReply, misbehave
from ._misbehave_frames import FRAME_KINDS, frame_misbehave
from ._preconditions import evaluate
from ._replies import not_allowed as _not_allowed
from ._replies import text as _text
from ._store import Document, DocumentStore, Failed, evaluate_preconditions
from ._version import __version__

__all__ = ["App", "Beacon", "Handler", "Reply"]

Reply = Response | RawReply | FrameReply
"""A FrameReply answers HTTP/2 and HTTP/3 requests only, a RawReply HTTP/1.1 ones only."""
FRAME_VERSIONS = ("HTTP/2", "HTTP/3")
"""Request versions whose responses are frames."""
Handler = Callable[[Request], Response]
"""A learner's handler: a request in, a response out, sent as written."""

SERVER = f"nocontent/{__version__}"
"""The Server field every response carries."""


def common_fields(now: float) -> Headers:
    """Date and Server: what every response the server writes itself starts with."""
    return (("Date", formatdate(now, usegmt=True)), ("Server", SERVER))


DOC_METHODS = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
MERGE_PATCH = "application/merge-patch+json"
"""The one patch format ``PATCH /docs/{name}`` accepts (RFC 7396), for JSON documents."""
CORS_HEADERS = "Content-Type, If-Match, If-None-Match, Prefer"
HEURISTIC_AGE = 10 * 24 * 3600
"""How far back ``/cache/heuristic`` dates Last-Modified (10 days: a day of heuristic freshness)."""

ROUTES = (
    ("GET /", "this index"),
    ("GET, HEAD /docs/{name}", "a stored document: 200 with ETag and Last-Modified, 304, 404"),
    ("PUT /docs/{name}", "201 for a new document, 204 with the new ETag when replacing one"),
    ("PATCH /docs/{name}", "a JSON merge patch (RFC 7396) to a JSON document: 204, new ETag"),
    ("DELETE /docs/{name}", "204; 404 when absent; honours If-Match"),
    ("OPTIONS /docs/{name}", "204 with Allow, or a CORS preflight answer"),
    ("POST /beacon", "204; the server counts the bytes it received"),
    ("GET /beacon", "200 with the beacon tally as JSON"),
    ("ANY /status/{code}", "that status (200 to 599), correctly framed"),
    ("GET /cache/heuristic", "204 with a Last-Modified 10 days old and no Cache-Control; 304"),
    ("GET /cache/max-age/{n}", "204 with Cache-Control: max-age=n"),
    ("GET /cache/no-store", "204 with Cache-Control: no-store"),
    ("ANY /misbehave/{kind}", "a deliberately broken 204: " + ", ".join(KINDS)),
    ("ANY /misbehave/{kind}", "over HTTP/2 and HTTP/3: " + ", ".join(FRAME_KINDS)),
    ("GET, HEAD /editor", "a page that edits ?doc={name} and saves it with PUT and If-Match"),
    ("GET, HEAD /editor/form", "forms answered 204, 205 and 200; ?format=json: what arrived"),
    ("POST /editor/form/save", "204, or a 200 page with ?answer=200; the fields are recorded"),
    ("POST /editor/form/reset", "205 Reset Content; recorded too"),
    ("GET /browser-lab", "a page that runs 204 experiments in a browser and reports back"),
    ("GET /browser-lab/results", "the results the page POSTed there, as JSON"),
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


def _validators(doc: Document) -> Headers:
    return (("ETag", doc.etag), ("Last-Modified", formatdate(doc.modified, usegmt=True)))


def _saved(request: Request, name: str, doc: Document, *, created: bool) -> Response:
    """The answer to a successful PUT or PATCH, shaped by the request's preference.

    201 with Location for a new document, else 204; with ``Prefer:
    return=representation`` the stored bytes come back in a 200 (201). The
    validators describe the stored bytes, which for a PUT are the bytes sent
    (RFC 9110 §9.3.4).
    """
    preference = return_preference(request.headers)
    applied: Headers = (("Preference-Applied", preference),) if preference else ()
    location: Headers = (("Location", f"/docs/{name}"),) if created else ()
    headers = (*location, *_validators(doc), *applied)
    if preference == "return=representation":
        return Response(status=201 if created else 200,
                        headers=(("Content-Type", doc.content_type), *headers), body=doc.body)
    return Response(status=201 if created else 204, headers=headers)


def _merge_patch(target: object, patch: object) -> object:
    """RFC 7396 §2: apply a JSON merge patch; null removes a member."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


class App:
    """The routes, over one document store and one beacon log."""

    def __init__(self, store: DocumentStore | None = None) -> None:
        self.store = store or DocumentStore()
        self.scheme = "http"
        """The URI scheme its connections serve ("https" behind the TLS server)."""
        self.beacons: deque[Beacon] = deque(maxlen=1000)
        self._beacon_lock = threading.Lock()
        self.mounts: dict[str, Handler] = {}
        self.editor = Editor()
        self.browser_lab = BrowserLab()
        self._heuristic_modified = int(time.time()) - HEURISTIC_AGE
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
            (re.compile(r"/browser-lab(/.*)?"), self.browser_lab.route),
        ]

    def handle(self, request: Request, now: float) -> Reply:
        """Answer ``request``; ``now`` is the time the server puts in Date."""
        self.browser_lab.saw(request)  # counted when it carries a browser-lab key
        scheme, target = split_target(request.method, request.target)
        if scheme not in (None, self.scheme):
            # RFC 9110 §7.4: an origin server "MUST reject a request if any scheme-specific
            # requirements for the target URI are not met"; an https URI is one only over TLS.
            over = "TLS" if self.scheme == "https" else "plain TCP"
            return _text(421, f"this server answers {self.scheme} URIs over {over}, "
                              f"not {scheme} ones")
        path = target.split("?", 1)[0]
        if path in self.mounts:
            return self._as_written(request, now, self.mounts[path])
        for pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match:
                return route(request, now, *match.groups())
        return _text(404, f"no route for {path[:100]}; GET / lists the routes")

    def _as_written(self, request: Request, now: float, handler: Handler) -> Reply:
        """Send a mounted handler's response as written, adding only Date and Server.

        Without Content-Length or Transfer-Encoding, a response that does not end at
        its header section can only end when the connection closes, so the server
        closes it.
        """
        response = handler(request)
        common = common_fields(now)
        if request.version in FRAME_VERSIONS:
            return as_written_frames(Response(status=response.status,
                                              headers=(*common, *response.headers),
                                              body=response.body))
        data = render_as_written(
            Response(status=response.status, headers=(*common, *response.headers),
                     body=response.body, reason=response.reason)
        )
        framed = any(name.lower() in ("content-length", "transfer-encoding")
                     for name, _ in response.headers)
        # A 205 may not carry content, yet it is framed like any response: without a
        # length it too is read until the connection closes (RFC 9112 §6.3).
        close = not ends_at_header_section(response.status, request.method) and not framed
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
            cors = (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"))
            # ?expose=none leaves Expose-Headers out, for the browser lab's contrast.
            if "expose=none" not in request.target.partition("?")[2].split("&"):
                cors += (("Access-Control-Expose-Headers",
                          "ETag, Last-Modified, Preference-Applied"),)
        if method == "OPTIONS":
            return self._options(request, cors)
        if method in ("GET", "HEAD"):
            reply = self._read(request, name)
        elif method == "PUT":
            reply = self._write(request, name)
        elif method == "PATCH":
            reply = self._patch(request, name)
        elif method == "DELETE":
            reply = self._delete(request, name)
        else:
            return _not_allowed(DOC_METHODS)
        return Response(status=reply.status, headers=(*reply.headers, *cors), body=reply.body)

    def _options(self, request: Request, cors: Headers) -> Response:
        wanted = request.header("access-control-request-method")
        if request.header("origin") is None or wanted is None:
            # RFC 5789 §3.1: "Accept-Patch SHOULD appear in the OPTIONS response for any
            # resource that supports the use of the PATCH method."
            return Response(status=204, headers=(("Allow", DOC_METHODS),
                                                 ("Accept-Patch", MERGE_PATCH)))
        asked = request.header("access-control-request-headers")
        # No Vary: Origin here: "Responses to the OPTIONS method are not cacheable"
        # (RFC 9110 §9.3.7), so no cache can hand this answer to another origin.
        return Response(
            status=204,
            headers=(
                *cors[:1],
                ("Access-Control-Allow-Methods", DOC_METHODS),
                ("Access-Control-Allow-Headers", asked or CORS_HEADERS),
                ("Access-Control-Max-Age", "600"),
            ),
        )

    def _read(self, request: Request, name: str) -> Response:
        doc = self.store.get(name)
        if doc is None:
            return _text(404, f"no document named {name}")
        failed = evaluate_preconditions(request.method, doc, request.headers)
        if failed and failed.status == 304:
            # RFC 9110 §15.4.5: a 304 carries the validator, no content.
            return Response(status=304, headers=(("ETag", doc.etag),))
        if failed:
            return _text(failed.status, failed.reason)
        return Response(
            status=200,
            headers=(("Content-Type", doc.content_type), *_validators(doc)),
            body=doc.body,
        )

    def _write(self, request: Request, name: str) -> Response:
        content_type = request.header("content-type") or "application/octet-stream"
        found: list[Failed] = []

        def check(current: Document | None) -> int | None:
            failed = evaluate_preconditions("PUT", current, request.headers)
            found[:] = [failed] if failed else []
            return failed.status if failed else None

        failure, previous, stored = self.store.put(name, request.body, content_type, check)
        if stored is None:
            failed = found[0]
            if (failed.may_already_be_applied and previous is not None
                    and (previous.body, previous.content_type) == (request.body, content_type)):
                # RFC 9110 §13.1.1: the change "appears to have already been applied",
                # as when a client retries a PUT whose 204 was lost: answer as if it
                # succeeded now. Nothing is written, so the validators stay the same.
                return _saved(request, name, previous, created=False)
            state = "exists" if previous else "does not exist"
            return _text(failure or 412, f"{failed.reason}; the document {state}; "
                         "nothing was written")
        return _saved(request, name, stored, created=previous is None)

    def _patch(self, request: Request, name: str) -> Response:
        """RFC 5789 PATCH with a JSON merge patch (RFC 7396), answered like a PUT."""
        media = (request.header("content-type") or "").split(";")[0].strip().lower()
        if media != MERGE_PATCH:
            return _text(415, f"this server applies {MERGE_PATCH} patches only (RFC 5789 §2.2)",
                         (("Accept-Patch", MERGE_PATCH),))
        try:
            patch = json.loads(request.body)
        except ValueError as exc:
            return _text(400, f"malformed patch document: {exc} (RFC 5789 §2.2)")
        found: list[Failed] = []

        def check(current: Document | None) -> int | None:
            failed = evaluate_preconditions("PATCH", current, request.headers)
            found[:] = [failed] if failed else []
            return failed.status if failed else None

        def change(current: Document) -> bytes:
            merged = _merge_patch(json.loads(current.body), patch)  # ValueError if not JSON
            return json.dumps(merged, ensure_ascii=False).encode() + b"\n"

        try:
            failure, _, stored = self.store.update(name, change, check)
        except ValueError:
            return _text(415, f"{name} is not JSON, so a JSON merge patch cannot apply to it "
                         "(RFC 5789 §2.2)")
        if failure == 404:
            return _text(404, f"no document named {name}; PATCH changes an existing one")
        if stored is None:
            return _text(failure or 412, f"{found[0].reason}; nothing was written")
        return _saved(request, name, stored, created=False)

    def _delete(self, request: Request, name: str) -> Response:
        found: list[Failed] = []

        def check(current: Document | None) -> int | None:
            if current is None:
                return 404
            failed = evaluate_preconditions("DELETE", current, request.headers)
            found[:] = [failed] if failed else []
            return failed.status if failed else None

        failure, _ = self.store.delete(name, check)
        if failure == 404:
            return _text(404, f"no document named {name}")
        if failure is not None:
            return _text(failure, f"{found[0].reason}; nothing was deleted")
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
        """204 with one Last-Modified for the server's life, its preconditions honoured.

        They are evaluated as for /docs/ (RFC 9110 §13.2.2), for a representation
        with a Last-Modified and no ETag: a GET whose If-Modified-Since is not
        earlier than Last-Modified gets 304, as a cache that revalidates expects
        (§13.1.3), unless the request has If-None-Match, which then decides.
        """
        modified = formatdate(self._heuristic_modified, usegmt=True)
        if request.method in ("GET", "HEAD"):
            failed = evaluate(request.method, request.headers, exists=True, etag=None,
                              last_modified=modified)
            if failed is not None and failed.status == 304:
                return Response(status=304)
            if failed is not None:
                return _text(failed.status, failed.reason)
        return self._cache(request, (("Last-Modified", modified),))

    def _cache_max_age(self, request: Request, now: float, seconds: str) -> Reply:
        return self._cache(request, (("Cache-Control", f"max-age={int(seconds)}"),))

    def _cache_no_store(self, request: Request, now: float) -> Reply:
        return self._cache(request, (("Cache-Control", "no-store"),))

    def _misbehave(self, request: Request, now: float, kind: str) -> Reply:
        if request.version in FRAME_VERSIONS:
            frames = frame_misbehave(kind, lowered(common_fields(now)))
            if frames is None:
                return _text(404, f"unknown kind {kind} over {request.version}; "
                             f"kinds: {', '.join(FRAME_KINDS)}")
            return frames
        common = "".join(f"{name}: {value}\r\n" for name, value in common_fields(now))
        reply = misbehave(kind, common)
        if reply is None:
            return _text(404, f"unknown kind {kind}; kinds: {', '.join(KINDS)}")
        return reply

