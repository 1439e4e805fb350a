"""The browser lab: a page that runs 204 experiments in a real browser and reports back.

``GET /browser-lab`` is a page whose script runs the fixed list of
:data:`EXPERIMENTS` against the server that served it, one at a time, each
with its own timeout, and POSTs each result to ``/browser-lab/results``;
``GET /browser-lab/results`` gives back what arrived, as JSON. The same page
runs in a learner's own browser (opened through :func:`nocontent.browser_url`)
and, headless, in the three engines the lab captures
(``python -m nocontent lab browsers``).

Each experiment names the spec text that predicts its outcome and the outcome
predicted, key by key (:attr:`Experiment.predicted`); where the specs allow
more than one outcome, it predicts nothing. The page compares, for display;
the course's tables compare with :func:`departures`.

How the page knows what reached the server: every request whose query has
``lab=KEY``, or that carries a ``Nocontent-Lab: KEY`` field, is counted under
that key (:meth:`BrowserLab.saw`, called for every request the app handles),
and ``GET /browser-lab/hits?key=KEY`` lists them. A navigation, a beacon and a
preflight cannot carry a field of the page's choosing, so they carry the key
in the query; the cache experiments carry it in the field, so that their URLs
stay exactly ``/cache/...``.

Every URL in the page is relative, so it works at ``http://127.0.0.1:PORT``
and behind jupyter-server-proxy. The one exception is the CORS experiment,
which must call another origin: the server's own port under the other
loopback name (``localhost`` for ``127.0.0.1``), or, behind a proxy,
``http://127.0.0.1:PORT`` with the port read from the proxy's path. When the
browser cannot reach that address (JupyterHub or Binder on another machine),
the experiment reports why instead of a result.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._browserlab_page import FRAME_PAGE, LAB_PAGE
from ._http import Headers, Request, Response
from ._replies import not_allowed
from ._replies import query as _query
from ._replies import text as _text
from ._store import etag_for

__all__ = [
    "CORS_BODIES",
    "EXPERIMENTS",
    "GROUPS",
    "HOWS",
    "KEY_FIELD",
    "RESULTS",
    "VERSION_FIELD",
    "BrowserLab",
    "Experiment",
    "Hit",
    "departures",
    "experiment",
]

RESULTS = 1000
"""How many results the server keeps (about thirty runs of the page); the oldest go first."""
KEYS = 2000
"""How many keys the server counts requests for; the oldest key is forgotten first."""
HITS_PER_KEY = 20
"""How many requests the server keeps under one key."""
MAX_RESULT = 8192
"""The largest result a page may POST, in bytes of JSON."""
KEY_FIELD = "Nocontent-Lab"
"""The request field that carries a key, for requests whose URL must stay as it is."""
VERSION_FIELD = "Nocontent-Version"
"""The field in which ``/browser-lab/answer/...`` names the protocol its request came over."""
CORS_BODIES = (b"version 1\n", b"version 2\n")
"""What the CORS and fetch experiments PUT, in order: the ETags are known in advance."""
HOWS = ("link", "form-get", "form-post", "assign")
"""The four ways the page makes a frame navigate."""

_KEY = re.compile(r"[A-Za-z0-9._-]{1,120}")
_RUN = re.compile(r"[A-Za-z0-9_-]{1,40}")
_PAGE_HEADERS: Headers = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    # Nothing comes from anywhere else; scripts may call the other loopback name (CORS).
    ("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
     "style-src 'unsafe-inline'; connect-src 'self' http://localhost:* http://127.0.0.1:* "
     "https://127.0.0.1:*; form-action 'self'"),
)
_JSON_HEADERS: Headers = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """One experiment of the page.

    Attributes:
        name: its id, such as ``nav.link.204``; the page runs the code named by its prefix.
        group: the section it belongs to (``navigation``, ``fetch``, ``cors``...).
        what: what the page does, in one line.
        predicted: the result the specs predict, key by key (a result may have more
            keys); None where the specs allow more than one outcome.
        spec: the spec's words that predict it, verbatim.
        source: where those words are, in words.
        link: where those words are, as a URL.
    """

    name: str
    group: str
    what: str
    predicted: Mapping[str, Any] | None
    spec: str
    source: str
    link: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "group": self.group, "what": self.what,
                "predicted": None if self.predicted is None else dict(self.predicted),
                "spec": self.spec, "source": self.source, "link": self.link}


_HTML_204_205 = ("Otherwise, if navigationParams's response's status is 204 or 205, then: "
                 "Run completionSteps. Return.")
_HTML_SOURCE = "HTML, attempt to populate the history entry's document"
_HTML_LINK = ("https://html.spec.whatwg.org/multipage/browsing-the-web.html"
              "#attempt-to-populate-the-history-entry's-document")
_MAIN_FETCH = ("If response is not a network error and either request's method is `HEAD` or "
               "`CONNECT`, or internalResponse's status is a null body status, set "
               "internalResponse's body to null and disregard any enqueuing toward it (if any).")
_FETCH = "https://fetch.spec.whatwg.org/"
_STORED = ("Otherwise, set response to storedResponse and set response's cache state to "
           "\"local\". (A fresh stored response is used; a cache stores only what it may.)")
_HOW_WORDS = {"link": "a link", "form-get": "a form (GET)", "form-post": "a form (POST)",
              "assign": "location.assign()"}


def _navigation() -> list[Experiment]:
    found = []
    for how in HOWS:
        for status in (204, 205, 200):
            answer = "an empty 200 (the control)" if status == 200 else f"a {status}"
            found.append(Experiment(
                name=f"nav.{how}.{status}", group="navigation",
                what=f"{_HOW_WORDS[how]} in a frame, answered with {answer}: did the frame "
                     "get a new document?",
                predicted={"reached": 1, "navigated": status == 200},
                spec=_HTML_204_205, source=_HTML_SOURCE, link=_HTML_LINK))
    return found


EXPERIMENTS: tuple[Experiment, ...] = (
    *_navigation(),
    Experiment(
        name="form.reset-205", group="navigation",
        what="a form in a frame, with a field changed, answered 205: were its fields reset?",
        predicted={"reached": 1, "fields": "kept", "reset_events": 0},
        spec=_HTML_204_205 + " (RFC 9110 §15.3.6 says the server \"desires that the user agent "
             "reset the \"document view\"\"; HTML's step has no reset.)",
        source=_HTML_SOURCE, link=_HTML_LINK),
    Experiment(
        name="fetch.204", group="fetch",
        what="fetch() of a 204: status, ok, body, text(), json()",
        predicted={"status": 204, "ok": True, "body": "null", "text": "",
                   "json": "SyntaxError"},
        spec=_MAIN_FETCH + " (The body getter: \"return null if this's body is null\"; "
             "json(): \"The above method can reject with a SyntaxError.\")",
        source="Fetch, main fetch", link=_FETCH + "#main-fetch"),
    Experiment(
        name="fetch.205", group="fetch", what="fetch() of a 205: status, ok, body",
        predicted={"status": 205, "ok": True, "body": "null"},
        spec=_MAIN_FETCH, source="Fetch, main fetch", link=_FETCH + "#main-fetch"),
    Experiment(
        name="fetch.put-etag", group="fetch",
        what="fetch() PUT with If-Match, same origin: the 204 and the ETag it carries",
        predicted={"status": 204, "etag": etag_for(CORS_BODIES[1])},
        spec="if a 204 status code is received in response to a PUT request and the response "
             "contains an ETag field, then the PUT was successful and the ETag field value "
             "contains the entity tag for the new representation of that target resource",
        source="RFC 9110 §15.3.5",
        link="https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5"),
    Experiment(
        name="response.constructor", group="fetch",
        what='new Response(body, {status: 204}) with "x", "" and null as the body',
        predicted={"x": "TypeError", "empty": "TypeError", "null": "null"},
        spec="If body is non-null, then: If response's status is a null body status, then "
             "throw a TypeError.",
        source="Fetch, initialize a response", link=_FETCH + "#initialize-a-response"),
    Experiment(
        name="xhr.json", group="fetch",
        what='XMLHttpRequest with responseType "json", answered 204: its response',
        predicted={"status": 204, "response": None, "threw": False},
        spec="If this's response's body is null, then return null.",
        source="XMLHttpRequest, the response getter",
        link="https://xhr.spec.whatwg.org/#the-response-attribute"),
    Experiment(
        name="beacon", group="beacon",
        what="navigator.sendBeacon() to /beacon: its return value, and what reached the server",
        predicted={"returned": True, "reached": 1, "method": "POST"},
        spec="The sendBeacon() method returns true if the user agent is able to successfully "
             "queue the data for transfer.",
        source="Beacon, sendBeacon() return value",
        link="https://w3c.github.io/beacon/#return-value"),
    Experiment(
        name="cors.expose", group="cors",
        what="PUT with If-Match to the other origin, Access-Control-Expose-Headers: ETag sent: "
             "the preflight, the 204, the ETag",
        predicted={"preflights": 1, "status": 204, "etag": etag_for(CORS_BODIES[1]),
                   "last_modified": "readable"},
        spec="Access-Control-Expose-Headers: Indicates which headers can be exposed as part "
             "of the response by listing their names.",
        source="Fetch, HTTP responses (CORS protocol)",
        link=_FETCH + "#http-access-control-expose-headers"),
    Experiment(
        name="cors.no-expose", group="cors",
        what="the same PUT, answered without Access-Control-Expose-Headers",
        predicted={"preflights": 1, "status": 204, "etag": None, "last_modified": "readable"},
        spec="A CORS filtered response is a filtered response whose type is \"cors\" and header "
             "list excludes any headers in internal response's header list whose name is not a "
             "CORS-safelisted response-header name (Last-Modified is one; ETag is not).",
        source="Fetch, CORS filtered response",
        link=_FETCH + "#concept-filtered-response-cors"),
    Experiment(
        name="cache.control-200", group="cache",
        what="the control: GET a 200 with Cache-Control: max-age=60 twice; a browser whose "
             "HTTP cache reuses nothing says nothing in the rows below",
        predicted={"reached": 1},
        spec=_STORED, source="Fetch, HTTP-network-or-cache fetch",
        link=_FETCH + "#http-network-or-cache-fetch"),
    Experiment(
        name="cache.heuristic", group="cache",
        what="GET /cache/heuristic twice (a 204, Last-Modified 10 days old, no Cache-Control)",
        predicted=None,
        spec="a cache MAY assign a heuristic expiration time when an explicit time is not "
             "specified",
        source="RFC 9111 §4.2.2", link="https://www.rfc-editor.org/rfc/rfc9111#section-4.2.2"),
    Experiment(
        name="cache.max-age", group="cache",
        what="GET /cache/max-age/60 twice (a 204 with Cache-Control: max-age=60)",
        predicted={"reached": 1},
        spec=_STORED, source="Fetch, HTTP-network-or-cache fetch",
        link=_FETCH + "#http-network-or-cache-fetch"),
    Experiment(
        name="cache.no-store", group="cache",
        what="GET /cache/no-store twice (a 204 with Cache-Control: no-store)",
        predicted={"reached": 2},
        spec="a cache MUST NOT store any part of either the immediate request or the response "
             "and MUST NOT use the response to satisfy any other request",
        source="RFC 9111 §5.2.2.5", link="https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5"),
    Experiment(
        name="broken.body", group="broken",
        what="fetch() of /misbehave/body (a 204 followed by null), then of /status/200",
        predicted={"first": '204 ""', "second": '200 "200 OK\\n"'},
        spec="A client MUST NOT process, cache, or forward such extra data as a separate "
             "response",
        source="RFC 9112 §6.3", link="https://www.rfc-editor.org/rfc/rfc9112#section-6.3"),
    Experiment(
        name="http2", group="versions",
        what="fetch() of a 204 from the course's TLS server (another origin; ALPN offers h2 "
             "and http/1.1): the protocol the server saw, status, ok, body",
        predicted={"status": 204, "ok": True, "body": "null"},
        spec=_MAIN_FETCH, source="Fetch, main fetch", link=_FETCH + "#main-fetch"),
    Experiment(
        name="http3", group="versions",
        what="the same fetch() repeated after the answer's Alt-Svc: h3: does the browser move "
             "to HTTP/3?",
        predicted=None,
        spec="On receipt of an Alt-Svc record indicating HTTP/3 support, a client MAY attempt "
             "to establish a QUIC connection to the indicated host and port",
        source="RFC 9114 §3.1.1", link="https://www.rfc-editor.org/rfc/rfc9114#section-3.1.1"),
)
"""Every experiment of the page, in the order it runs them."""

GROUPS = ("navigation", "fetch", "beacon", "cors", "cache", "broken", "versions")
"""The sections of the page, in order."""

_BY_NAME = {found.name: found for found in EXPERIMENTS}


def experiment(name: str) -> Experiment:
    """The experiment called ``name``; KeyError names the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no experiment {name!r}; known: {', '.join(_BY_NAME)}") from None


def departures(name: str, result: Mapping[str, Any]) -> list[str]:
    """Where ``result`` departs from what the specs predict for experiment ``name``.

    One line per key, such as ``body: "empty stream", the spec says "null"``; an
    empty list when the result is as predicted, or when nothing is predicted.
    """
    predicted = experiment(name).predicted
    if predicted is None or "error" in result or "skipped" in result:
        return []
    return [f"{key}: {json.dumps(result.get(key))}, the spec says {json.dumps(value)}"
            for key, value in predicted.items() if result.get(key) != value]


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One request counted under a key.

    Attributes:
        method: its method.
        conditional: whether it carried If-None-Match or If-Modified-Since (a revalidation).
        mode: its Sec-Fetch-Mode field, if any (``navigate``, ``cors``, ``no-cors``...).
    """

    method: str
    conditional: bool
    mode: str | None

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "conditional": self.conditional, "mode": self.mode}


def _json(data: object) -> Response:
    return Response(status=200, headers=_JSON_HEADERS, body=json.dumps(data).encode() + b"\n")


def _problem(data: object) -> str | None:
    """Why a POSTed result is refused, or None when it is accepted."""
    if not isinstance(data, dict):
        return "send a JSON object with run, experiment, result and user_agent"
    name = data.get("experiment")
    if name not in _BY_NAME:
        return f"experiment is one of {', '.join(_BY_NAME)}; got {str(name)[:60]!r}"
    if not isinstance(data.get("run"), str) or not _RUN.fullmatch(data["run"]):
        return "run is 1 to 40 letters, digits, '_' or '-'"
    if not isinstance(data.get("result"), dict):
        return "result is a JSON object"
    agent = data.get("user_agent")
    if not isinstance(agent, str) or len(agent) > 512:
        return "user_agent is a string of at most 512 characters"
    return None


def _lab_page() -> str:
    def script(value: object) -> str:  # JSON inside <script>: no "</" may end it early
        return json.dumps(value).replace("</", "<\\/")

    return (LAB_PAGE.replace("{experiments}", script([e.as_json() for e in EXPERIMENTS]))
            .replace("{bodies}", script([body.decode() for body in CORS_BODIES]))
            .replace("{key_field}", script(KEY_FIELD))
            .replace("{version_field}", script(VERSION_FIELD)))


class BrowserLab:
    """The browser lab's routes, the results pages sent, and the requests counted by key."""

    def __init__(self) -> None:
        self.results: deque[dict[str, Any]] = deque(maxlen=RESULTS)
        self._hits: OrderedDict[str, list[Hit]] = OrderedDict()
        self._changed = threading.Condition()

    def reset(self) -> None:
        """Forget every result and every count."""
        with self._changed:
            self.results.clear()
            self._hits.clear()

    # -- counting ---------------------------------------------------------------------------

    def saw(self, request: Request) -> None:
        """Count ``request`` under its key, if it has one (``?lab=KEY`` or the field)."""
        key = _query(request).get("lab") or request.header(KEY_FIELD.lower())
        if not key or not _KEY.fullmatch(key):
            return
        hit = Hit(method=request.method,
                  conditional=any(request.header(name) is not None
                                  for name in ("if-none-match", "if-modified-since")),
                  mode=request.header("sec-fetch-mode"))
        with self._changed:
            found = self._hits.setdefault(key, [])
            self._hits.move_to_end(key)
            if len(found) < HITS_PER_KEY:
                found.append(hit)
            while len(self._hits) > KEYS:
                self._hits.popitem(last=False)

    def hits(self, key: str) -> list[Hit]:
        """The requests counted under ``key``, oldest first."""
        with self._changed:
            return list(self._hits.get(key, ()))

    # -- results ----------------------------------------------------------------------------

    def results_of(self, run: str) -> list[dict[str, Any]]:
        """The results of one run of the page, in the order they arrived."""
        with self._changed:
            return [entry for entry in self.results if entry["run"] == run]

    def wait(self, run: str, timeout: float) -> bool:
        """Wait until every experiment of ``run`` has reported; False if ``timeout`` passed."""
        wanted = set(_BY_NAME)

        def complete() -> bool:
            return wanted <= {entry["experiment"] for entry in self.results
                              if entry["run"] == run}

        with self._changed:
            return self._changed.wait_for(complete, timeout)

    # -- routes -----------------------------------------------------------------------------

    def route(self, request: Request, now: float, rest: str | None) -> Response:
        """Everything under ``/browser-lab``; ``rest`` is the path after it."""
        rest = rest or ""
        answer = re.fullmatch(r"/answer/(200|204|205)", rest)
        if answer:
            return self._answer(int(answer.group(1)), request.version)
        if rest == "/results":
            return self._results(request)
        if request.method not in ("GET", "HEAD"):
            return not_allowed("GET, HEAD")
        if rest == "":
            return Response(status=200, headers=_PAGE_HEADERS, body=_lab_page().encode())
        if rest == "/frame":
            return Response(status=200, headers=_PAGE_HEADERS, body=FRAME_PAGE.encode())
        if rest == "/cached":  # the cache experiments' control: a 200 any cache may reuse
            return Response(status=200, headers=(("Cache-Control", "max-age=60"),
                                                 ("Content-Type", "text/plain; charset=utf-8")),
                            body=b"cached\n")
        if rest == "/hits":
            key = _query(request).get("key", "")
            if not _KEY.fullmatch(key):
                return _text(400, "key is 1 to 120 letters, digits, '.', '_' or '-'")
            return _json({"key": key, "hits": [hit.as_json() for hit in self.hits(key)]})
        return _text(404, "/browser-lab has /frame, /answer/{200,204,205}, "
                     "/cached, /results and /hits")

    @staticmethod
    def _answer(status: int, version: str) -> Response:
        """Any method: the status with no content (an empty 200 has Content-Length: 0).

        The answer names the protocol the request came over, and any origin may read it:
        the page fetches it from the TLS server too, to see HTTP/2 and HTTP/3.
        """
        headers: Headers = (("Cache-Control", "no-store"), (VERSION_FIELD, version),
                            ("Access-Control-Allow-Origin", "*"),
                            ("Access-Control-Expose-Headers", VERSION_FIELD))
        if status == 200:
            headers = (*headers, ("Content-Type", "text/html; charset=utf-8"))
        return Response(status=status, headers=headers)

    def _results(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            run = _query(request).get("run")
            with self._changed:
                found = [entry for entry in self.results if run is None or entry["run"] == run]
            return _json(found)
        if request.method != "POST":
            return not_allowed("GET, HEAD, POST")
        if len(request.body) > MAX_RESULT:
            return _text(413, f"a result is at most {MAX_RESULT} bytes")
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            return _text(400, f"not JSON ({exc})")
        problem = _problem(data)
        if problem:
            return _text(400, f"{problem}")
        entry = {"experiment": data["experiment"], "result": data["result"],
                 "user_agent": data["user_agent"], "run": data["run"]}
        with self._changed:
            self.results.append(entry)
            self._changed.notify_all()
        return Response(status=204)
