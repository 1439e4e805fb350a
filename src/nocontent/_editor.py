"""Pages for a real browser: an editor that saves with ``fetch``, and forms that navigate.

The two pages show the two ways a browser sends a request, and why the
difference matters for a 204:

- ``GET /editor?doc=name`` is an editor. Its script loads ``/docs/name`` and
  saves with ``PUT`` and ``If-Match``, all with ``fetch()``. A script's request
  is not a navigation, so the page stays whatever the answer; what the 204
  gives the script is RFC 9110 §15.3.5's news: success, no content, and the
  new ETag in a header field. A button plays another editor (a ``PUT`` without
  ``If-Match``), so the learner's next Save meets a 412, which the page explains.
- ``GET /editor/form`` is the contrast. Its forms are submitted by the browser,
  and a form submission is a navigation: answered 204 or 205 it makes no new
  page (HTML Standard, "attempt to populate the history entry's document"),
  answered 200 with a page it replaces the form page. Two buttons send the
  same data with ``fetch()``, answered 200 and 204, and the page stays both
  times. The page shows when it was loaded, so a learner sees whether it was
  replaced, and how many submissions the server received, refreshed by a
  small bounded poll of ``GET /editor/form?format=json``.

The form routes are ``POST /editor/form/save`` (204, or 200 with a page for
``?answer=200``) and ``POST /editor/form/reset`` (205). The server keeps the
last :data:`SUBMISSIONS` of them and a running count.

Every URL in the pages is relative, so they work the same at
``http://127.0.0.1:PORT/editor`` and behind jupyter-server-proxy at
``/user/NAME/proxy/PORT/editor``. :func:`browser_url` builds the right one.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import deque
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ._http import Headers, Request, Response
from ._replies import not_allowed as _not_allowed
from ._replies import query as _query

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["DEFAULT_DOC", "POLL_LIMIT", "Editor", "Submission", "browser_url"]

DEFAULT_DOC = "welcome"
"""The document ``/editor`` opens when no ``?doc=`` is given."""
SUBMISSIONS = 100
"""How many form submissions :attr:`Editor.submissions` keeps."""
RECENT = 5
"""How many of the latest submissions ``GET /editor/form?format=json`` lists."""
POLL_LIMIT = 120
"""How many times the form page asks for the count before it stops (about two minutes)."""
PREFIX_VARIABLE = "JUPYTERHUB_SERVICE_PREFIX"
"""Set by JupyterHub (and so on Binder) to the single-user server's path, e.g. ``/user/ada/``."""

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # the same names /docs/{name} accepts
_FORM_TYPE = "application/x-www-form-urlencoded"
_ANSWERS = {"save": (204, 200), "reset": (205,)}  # the statuses each action may answer with
_PAGE_HEADERS: Headers = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    # Nothing is loaded from anywhere else: no CDN, no external script, style or font.
    ("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; form-action 'self'"),
)
_JSON_HEADERS: Headers = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))


@dataclass(frozen=True, kw_only=True)
class Submission:
    """One form submission the server received at ``/editor/form/save`` or ``/reset``.

    Attributes:
        number: 1 for the first submission the server received, 2 for the next, and so on.
        at: when it arrived, in seconds since the epoch (the server's clock).
        action: ``"save"`` or ``"reset"``.
        status: the status it was answered with (200, 204 or 205).
        fields: the submitted name and value pairs, in order.
        content_type: its Content-Type, if any.
        fetch_mode: its ``Sec-Fetch-Mode`` field as the browser sent it, if any
            (``navigate`` for a form in Chromium, ``cors`` for its ``fetch()``).
    """

    number: int
    at: float
    action: str
    status: int
    fields: tuple[tuple[str, str], ...]
    content_type: str | None
    fetch_mode: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "at": self.at, "action": self.action,
                "status": self.status, "mode": self.fetch_mode,
                "fields": [list(pair) for pair in self.fields]}


def browser_url(server: Server, path: str = "/") -> str:
    """The URL at which the learner's browser reaches ``path`` on ``server``.

    On a local JupyterLab the browser and the kernel share a machine, so this
    is the server's own address, such as ``http://127.0.0.1:49152/editor``.
    Under JupyterHub or Binder (``JUPYTERHUB_SERVICE_PREFIX`` is set) the
    kernel runs elsewhere and only the Jupyter server is reachable, so the URL
    goes through jupyter-server-proxy: ``/user/ada/proxy/49152/editor``, a
    path on the same origin as JupyterLab.
    """
    if not path.startswith("/"):
        raise ValueError(f"a path starts with '/', got {path!r}")
    prefix = os.environ.get(PREFIX_VARIABLE)
    if prefix:
        return f"{prefix.rstrip('/')}/proxy/{server.port}{path}"
    return server.url + path


def _text(status: int, message: str, headers: Headers = ()) -> Response:
    return Response(status=status,
                    headers=(("Content-Type", "text/plain; charset=utf-8"), *headers),
                    body=f"{message}\n".encode())


def _form_fields(request: Request) -> tuple[tuple[str, str], ...]:
    content_type = request.header("content-type") or ""
    if content_type.split(";")[0].strip().lower() != _FORM_TYPE:
        return ()
    text = request.body.decode("utf-8", errors="replace")
    return tuple(parse_qsl(text, keep_blank_values=True))


class Editor:
    """The editor routes, and the form submissions they received.

    Attributes:
        submissions: the last :data:`SUBMISSIONS` submissions, oldest first.
        received: how many submissions arrived since the start (or :meth:`reset`).
    """

    def __init__(self) -> None:
        self.submissions: deque[Submission] = deque(maxlen=SUBMISSIONS)
        self.received = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every submission, and start counting from zero."""
        with self._lock:
            self.submissions.clear()
            self.received = 0

    def report(self) -> dict[str, Any]:
        """The count and the latest :data:`RECENT` submissions, newest first."""
        with self._lock:
            recent = list(self.submissions)[-RECENT:]
            received = self.received
        return {"received": received, "recent": [s.as_json() for s in reversed(recent)]}

    def page(self, request: Request, now: float) -> Response:
        """``GET /editor?doc=name``: the editor page for one document."""
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        asked = _query(request).get("doc", DEFAULT_DOC)
        if not _NAME.fullmatch(asked):
            return _text(404, "404 Not Found: a document name is 1 to 64 letters, digits, "
                         "'.', '_' or '-'")
        body = EDITOR_PAGE.replace("{title}", escape(asked)).replace("{name}", json.dumps(asked))
        return Response(status=200, headers=_PAGE_HEADERS, body=body.encode())

    def form(self, request: Request, now: float) -> Response:
        """``GET /editor/form``: the form page; ``?format=json``: the count, as JSON.

        ``?polls=N`` (1 to 3600) sets how many times the page asks for the
        count before it stops, :data:`POLL_LIMIT` by default.
        """
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        query = _query(request)
        shape = query.get("format", "html")
        if shape == "json":
            body = json.dumps(self.report()).encode() + b"\n"
            return Response(status=200, headers=_JSON_HEADERS, body=body)
        if shape != "html":
            return _text(400, "400 Bad Request: format is html or json")
        polls = query.get("polls", str(POLL_LIMIT))
        if not (polls.isdigit() and 1 <= int(polls) <= 3600):
            return _text(400, "400 Bad Request: polls is a whole number from 1 to 3600")
        body = FORM_PAGE.replace("{polls}", str(int(polls)))
        return Response(status=200, headers=_PAGE_HEADERS, body=body.encode())

    def submit(self, request: Request, now: float, action: str) -> Response:
        """``POST /editor/form/save`` (204, or 200 with ``?answer=200``) and ``/reset`` (205)."""
        if request.method != "POST":
            return _not_allowed("POST")
        allowed = _ANSWERS[action]
        answer = _query(request).get("answer", str(allowed[0]))
        if not (answer.isdigit() and int(answer) in allowed):
            choices = " or ".join(str(status) for status in allowed)
            return _text(400, f"400 Bad Request: form/{action} answers {choices}")
        with self._lock:
            self.received += 1
            submission = Submission(
                number=self.received, at=now, action=action, status=int(answer),
                fields=_form_fields(request), content_type=request.header("content-type"),
                fetch_mode=request.header("sec-fetch-mode"))
            self.submissions.append(submission)
        if submission.status == 200:
            return Response(status=200, headers=_PAGE_HEADERS,
                            body=_saved_page(submission).encode())
        # RFC 9110 §15.3.5 and §15.3.6: no content; the framing is the server's job.
        return Response(status=submission.status)


def _saved_page(submission: Submission) -> str:
    """The page a save answered 200 carries: it replaces the form page when a form sent it."""
    fields = ", ".join(f"{escape(name)} = <code>{escape(json.dumps(value))}</code>"
                       for name, value in submission.fields) or "no fields"
    return (SAVED_PAGE.replace("{number}", str(submission.number))
            .replace("{fields}", fields))


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1em; max-width: 46em; }
textarea { width: 100%; box-sizing: border-box; font: 14px/1.4 monospace; }
code { background: rgba(127, 127, 127, 0.15); padding: 0 0.2em; }
.saved { color: #1b7f3b; } .failed { color: #b00020; }
.loaded { font-size: 1.1em; }
form { margin: 0.8em 0; padding: 0.6em; border: 1px solid rgba(127, 127, 127, 0.4); }
label { margin-right: 1em; }
.explain { border-left: 3px solid #b00020; padding-left: 0.8em; }
#recent { font-size: 0.9em; }
"""

_CLOCK = """
function clock(date, withMilliseconds) {
  const two = (n) => String(n).padStart(2, "0");
  const text = two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  return withMilliseconds ? text + "." + String(date.getMilliseconds()).padStart(3, "0") : text;
}

// Run once, when this page is loaded: a page that is replaced takes its time with it.
function markLoaded() {
  const at = new Date();
  const view = document.getElementById("loaded");
  view.textContent = clock(at, true);
  view.dataset.at = String(at.getTime());
  return at;
}
"""

EDITOR_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nocontent editor: {title}</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>Editing <code>{title}</code></h1>
<p class="loaded">This page was loaded at <b id="loaded">(not yet)</b>.</p>
<p>Save sends <code>PUT</code> with <code>If-Match</code> from this page's script, with
<code>fetch()</code>. A script's request is not a navigation: its answer goes to the script,
whatever the status, and this page stays. What a 204 tells the script is in
<a href="https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5">RFC 9110 &sect;15.3.5</a>: it
&ldquo;indicates that the server has successfully fulfilled the request and that there is no
additional content to send in the response content&rdquo;, and when it answers a
<code>PUT</code>, its ETag field value &ldquo;contains the entity tag for the new representation
of that target resource&rdquo;. So the script keeps your text, which is the text just saved,
and takes the new ETag for your next Save. The
<a href="editor/form">form page</a> shows the other case: a 204 answering a navigation.</p>
<textarea id="text" rows="10" spellcheck="false" disabled></textarea>
<p><button id="save" type="button" disabled>Save</button>
<button id="other" type="button" disabled>Someone else saves</button>
<button id="reload" type="button" hidden>Load the current version</button>
<small>Ctrl+S saves too.</small></p>
<p id="status" role="status" data-saves="0">Loading&hellip;</p>
<p>ETag of the version your text is based on: <code id="etag">none yet</code></p>
<div id="conflict" class="explain" hidden>
<p>Your Save was a conditional request: it sent <code id="condition"></code>, and on the server
that condition was false: the document there is not the version your Save expected.
<a href="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.13">RFC 9110 &sect;15.5.13</a>:
a 412 means that &ldquo;one or more conditions given in the request header
fields evaluated to false when tested on the server&rdquo;.
<a href="https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1">&sect;13.1.1</a>: &ldquo;An
origin server that evaluates an If-Match condition MUST NOT perform the requested method if the
condition evaluates to false.&rdquo; (<a href="https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2">&sect;13.1.2</a>
says the same of If-None-Match.)</p>
<p>So nothing was written: the other version is safe, and your text is still on this page.
Copy what you want to keep, load the current version, and add it back.</p>
</div>
<p><small><b>Someone else saves</b> plays another editor: from this page, it saves a different
text to the same document with a <code>PUT</code> that has no <code>If-Match</code>, as an
editor that does not check would. Your text and your ETag stay as they are, so your next Save
is based on a version that is no longer the current one.</small></p>
<script>
"use strict";
""" + _CLOCK + """
const NAME = {name};
const URL_ = "docs/" + NAME;  // relative: works on 127.0.0.1 and behind a proxy prefix
const REASONS = {200: "OK", 201: "Created", 204: "No Content", 404: "Not Found",
                 412: "Precondition Failed"};
const text = document.getElementById("text");
const saveButton = document.getElementById("save");
const otherButton = document.getElementById("other");
const reloadButton = document.getElementById("reload");
const statusView = document.getElementById("status");
const etagView = document.getElementById("etag");
const conflictView = document.getElementById("conflict");
const conditionView = document.getElementById("condition");
const state = window.ncEditor = {name: NAME, etag: null, saves: 0, others: 0, lastStatus: null,
                                 loadedAt: markLoaded().getTime()};
let saving = false;

function statusLine(status) {
  return REASONS[status] ? status + " " + REASONS[status] : String(status);
}

function ordinal(n) {
  const suffixes = ["th", "st", "nd", "rd"];
  const rest = n % 100;
  return n + (suffixes[(rest - 20) % 10] || suffixes[rest] || suffixes[0]);
}

function show(message, kind) {
  statusView.textContent = message;
  statusView.className = kind || "";
}

function setEtag(etag) {
  state.etag = etag;
  etagView.textContent = etag || "none";
}

async function load() {
  show("Loading\\u2026");
  reloadButton.hidden = true;
  conflictView.hidden = true;
  let response;
  try {
    response = await fetch(URL_, {cache: "no-store"});
  } catch (error) {
    show("The server could not be reached: " + error.message, "failed");
    return;
  }
  state.lastStatus = response.status;
  if (response.status === 404) {
    text.value = "";
    setEtag(null);
    show("There is no document named " + NAME + " yet; Save creates it.");
  } else if (response.ok) {
    text.value = await response.text();
    setEtag(response.headers.get("ETag"));
    show("Loaded " + NAME + ".");
  } else {
    show("Could not load " + NAME + ": the server answered " + statusLine(response.status) + ".",
         "failed");
    return;
  }
  text.disabled = false;
  saveButton.disabled = false;
  otherButton.disabled = false;
}

async function save() {
  if (saving || text.disabled) return;
  saving = true;
  saveButton.disabled = true;
  const sent = text.value;
  // If-Match: replace only the version this text is based on (RFC 9110 §13.1.1).
  // No version yet: If-None-Match: * creates the document only if nobody else has.
  const condition = state.etag ? ["If-Match", state.etag] : ["If-None-Match", "*"];
  const headers = {"Content-Type": "text/plain; charset=utf-8", [condition[0]]: condition[1]};
  show("Saving\\u2026");
  conflictView.hidden = true;
  try {
    const response = await fetch(URL_, {method: "PUT", headers: headers, body: sent});
    state.lastStatus = response.status;
    const at = clock(new Date());
    if (response.status === 204 || response.status === 201) {
      state.saves += 1;
      statusView.dataset.saves = String(state.saves);
      const etag = response.headers.get("ETag");
      setEtag(etag);
      let message = "Saved (" + ordinal(state.saves) + " save) at " + at + ": " +
                    statusLine(response.status) + ", ETag " + (etag || "none") + ".";
      if (response.status === 201) message += " The document is new.";
      if (!etag) {
        message += " Without an ETag this page cannot tell which version it holds: " +
                   "load the current version before saving again.";
        reloadButton.hidden = false;
      } else if (text.value !== sent) {
        message += " You typed more while it was saving; save again to keep that too.";
      }
      show(message, "saved");
    } else if (response.status === 412) {
      conditionView.textContent = condition[0] + ": " + condition[1];
      conflictView.hidden = false;
      reloadButton.hidden = false;
      show("Not saved at " + at + ": 412 Precondition Failed. Someone else changed " + NAME +
           " in the meantime; your text is still here.", "failed");
    } else {
      show("Not saved: the server answered " + statusLine(response.status) + ". " +
           "Your text is still here.", "failed");
    }
  } catch (error) {
    show("Not saved: the server could not be reached (" + error.message + "). " +
         "Your text is still here.", "failed");
  } finally {
    saving = false;
    saveButton.disabled = false;
    text.focus();  // a textarea keeps its selection while unfocused; focus brings it back
  }
}

async function someoneElseSaves() {
  otherButton.disabled = true;
  const theirs = "A version saved by someone else at " + clock(new Date(), true) + ".\\n";
  try {
    // No If-Match: this PUT replaces whatever is stored, as an editor that does not check would.
    const response = await fetch(URL_, {method: "PUT", body: theirs,
                                        headers: {"Content-Type": "text/plain; charset=utf-8"}});
    if (response.ok) {
      state.others += 1;
      show("Someone else saved " + NAME + " at " + clock(new Date()) + ", with a PUT that had " +
           "no If-Match; the server answered " + statusLine(response.status) + ", ETag " +
           (response.headers.get("ETag") || "none") + ". Your text and your ETag have not " +
           "changed: nothing told this page. Press Save to see what happens.");
    } else {
      show("Someone else's save failed: the server answered " + statusLine(response.status) +
           ".", "failed");
    }
  } catch (error) {
    show("Someone else's save did not reach the server (" + error.message + ").", "failed");
  } finally {
    otherButton.disabled = false;
  }
}

saveButton.addEventListener("click", save);
otherButton.addEventListener("click", someoneElseSaves);
reloadButton.addEventListener("click", load);
text.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s") {
    event.preventDefault();
    save();
  }
});
load();
</script>
</body>
</html>
"""

FORM_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nocontent: a form answered 204, 205 or 200</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>A form answered 204, 205 or 200</h1>
<p class="loaded">This page was loaded at <b id="loaded">(not yet)</b>. An answer that replaced
this page would take this time with it.</p>
<p id="received" role="status" data-count="">Asking the server how many submissions it has
received&hellip;</p>
<ul id="recent"></ul>
<p><small id="polling"></small>
<button id="poll-again" type="button" hidden>Count again</button></p>

<h2>Sent by the browser: a form submission is a navigation</h2>
<p>No script sends these three forms: the button makes the browser navigate to the form's
action with a <code>POST</code>. Whether the answer to a navigation becomes a new page is
decided by the HTML Standard, in
<a href="https://html.spec.whatwg.org/multipage/browsing-the-web.html#attempt-to-populate-the-history-entry's-document">attempt
to populate the history entry's document</a>: &ldquo;Otherwise, if navigationParams's
response's status is 204 or 205, then: Run completionSteps. Return.&rdquo; No new page is made
from such an answer. For 204,
<a href="https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5">RFC 9110 &sect;15.3.5</a> puts
it as the user agent &ldquo;does not need to traverse away from its current "document view" (if
any)&rdquo;.</p>

<form id="save-form" method="post" action="form/save">
<label>Reading <input name="reading" value="21.5"></label>
<label>Note <input name="note" value=""></label>
<button type="submit">Save (answered 204 No Content)</button>
</form>

<form id="reset-form" method="post" action="form/reset">
<label>Reading <input name="reading" value="19.0"></label>
<label>Note <input name="note" value=""></label>
<button type="submit">Log and reset (answered 205 Reset Content)</button>
</form>
<p id="reset-report" role="status" data-verdict=""></p>
<p><a href="https://www.rfc-editor.org/rfc/rfc9110#section-15.3.6">RFC 9110 &sect;15.3.6</a>:
a 205 means the server &ldquo;desires that the user agent reset the "document view", which
caused the request to be sent, to its original state as received from the origin
server&rdquo;. In the HTML step quoted above, 205 and 204 are handled alike. What this browser
does to the fields is measured here: a second after the server has recorded your submission,
the page compares the fields with what you sent and with their original values.</p>

<form id="replace-form" method="post" action="form/save?answer=200">
<label>Reading <input name="reading" value="20.0"></label>
<label>Note <input name="note" value=""></label>
<button type="submit">Save (answered 200 OK, with a page)</button>
</form>
<p>This save is answered 200 OK with a short HTML page as its content. That answer becomes a
new page, in place of this one; it has a link back here.</p>

<h2>Sent by a script: <code>fetch()</code> is not a navigation</h2>
<form id="fetch-form">
<label>Reading <input name="reading" value="18.5"></label>
<label>Note <input name="note" value=""></label>
<button id="fetch-200" type="button">Save with fetch(), answered 200 OK</button>
<button id="fetch-204" type="button">Save with fetch(), answered 204 No Content</button>
</form>
<p id="fetch-report" role="status" data-status="" data-body="" data-bytes=""></p>
<p>These buttons send the same <code>POST</code>, with the same kind of body, to the addresses
of the third form (answered 200 with a page) and the first (204), but from this page's script,
with <code>fetch()</code>. The answer goes to the script as a <code>Response</code> object,
whatever its status, and the script decides what to show; the line above says what it was
handed. For a 204 the Fetch Standard leaves nothing to read: 204 is a
<a href="https://fetch.spec.whatwg.org/#null-body-status">null body status</a> (&ldquo;A null
body status is a status that is 101, 103, 204, 205, or 304.&rdquo;), and for those
<a href="https://fetch.spec.whatwg.org/#main-fetch">main fetch</a> says to &ldquo;set
internalResponse's body to null and disregard any enqueuing toward it (if any)&rdquo;, so that
<a href="https://fetch.spec.whatwg.org/#dom-body-body"><code>response.body</code></a> is null.
<a href="https://github.com/whatwg/fetch/issues/1779">whatwg/fetch issue 1779</a> discusses
whether implementations do that; the line above shows what this browser did.</p>
<script>
"use strict";
""" + _CLOCK + """
const POLL_MS = 1000;
const POLL_LIMIT = {polls};  // then it stops; any submission, or the button, starts it again
const REASONS = {200: "OK", 204: "No Content", 205: "Reset Content"};
const loaded = markLoaded();
const receivedView = document.getElementById("received");
const recentView = document.getElementById("recent");
const pollingView = document.getElementById("polling");
const pollAgain = document.getElementById("poll-again");
const resetForm = document.getElementById("reset-form");
const resetReport = document.getElementById("reset-report");
const fetchForm = document.getElementById("fetch-form");
const fetchReport = document.getElementById("fetch-report");
window.ncForm = {loadedAt: loaded.getTime()};

let pollsLeft = POLL_LIMIT;
let timer = null;       // the next poll, when one is planned
let asking = false;     // a poll is waiting for its answer
let asked = 0;          // refreshes started, so a late answer never overwrites a newer one
let shown = 0;
let lastCount = null;
let pendingReset = null;  // the reset form's fields as sent, until the page has judged them

function statusLine(status) {
  return REASONS[status] ? status + " " + REASONS[status] : String(status);
}

function fieldsOf(form, attribute) {
  return Array.from(form.elements).filter((e) => e.name).map((e) => [e.name, e[attribute]]);
}

function sameFields(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describe(s) {
  const fields = s.fields.map(([name, value]) => name + "=" + JSON.stringify(value)).join(", ");
  return "#" + s.number + " at " + clock(new Date(s.at * 1000), true) + ": form/" + s.action +
         " answered " + statusLine(s.status) + "; Sec-Fetch-Mode: " + (s.mode || "(none)") +
         "; " + (fields || "no fields");
}

async function refresh() {
  const mine = ++asked;
  let data;
  try {
    const response = await fetch("form?format=json", {cache: "no-store"});
    if (!response.ok) throw new Error("the server answered " + response.status);
    data = await response.json();
  } catch (error) {
    receivedView.textContent = "Could not ask the server for its count: " + error.message + ".";
    return;
  }
  if (mine < shown) return;
  shown = mine;
  lastCount = data.received;
  receivedView.dataset.count = String(data.received);
  const last = data.recent[0];
  receivedView.textContent = "The server has received " + data.received + " submission" +
      (data.received === 1 ? "" : "s") +
      (last ? " (last: " + last.status + " at " + clock(new Date(last.at * 1000)) + ")." : ".");
  recentView.replaceChildren(...data.recent.map((s) => {
    const item = document.createElement("li");
    item.textContent = describe(s);
    return item;
  }));
  judgeReset(data.recent);
}

// What this browser did to the reset form's fields after its 205. The page cannot see the
// answer to a navigation, so it waits for the server's record of the submission, then judges
// at the next refresh, a second later, once the browser has had time to act on the answer.
function judgeReset(recent) {
  if (!pendingReset) return;
  if (!pendingReset.record) {
    pendingReset.record = recent.find((s) => s.status === 205 && s.number > pendingReset.after &&
                                             sameFields(s.fields, pendingReset.sent)) || null;
    return;
  }
  const now = fieldsOf(resetForm, "value");
  const original = fieldsOf(resetForm, "defaultValue");
  const { sent, record } = pendingReset;
  pendingReset = null;
  const when = "After the 205 for submission #" + record.number + " (answered at " +
               clock(new Date(record.at * 1000), true) + "), ";
  let verdict;
  let message;
  if (sameFields(sent, original)) {
    verdict = "undecided";
    message = "you sent the original values, so a reset would not show. " +
              "Change a field and send again.";
  } else if (sameFields(now, sent)) {
    verdict = "kept";
    message = "this browser left the fields as you sent them: it did not reset the form.";
  } else if (sameFields(now, original)) {
    verdict = "reset";
    message = "this browser put the fields back to their original values: it reset the form.";
  } else {
    verdict = "changed";
    message = "the fields hold neither what you sent nor their original values " +
              "(did you type in them?).";
  }
  resetReport.dataset.verdict = verdict;
  resetReport.textContent = when + message;
}

async function poll() {
  timer = null;
  if (document.hidden) {
    pollingView.textContent = "Paused while this tab is hidden.";
    return;
  }
  if (pollsLeft <= 0) {
    pollingView.textContent = "Stopped counting after " + POLL_LIMIT + " refreshes.";
    pollAgain.hidden = false;
    return;
  }
  pollsLeft -= 1;
  asking = true;
  pollingView.textContent = "Refreshed every second, " + pollsLeft + " more times at most.";
  try {
    await refresh();
  } finally {
    asking = false;
  }
  if (timer === null) timer = setTimeout(poll, POLL_MS);
}

function wake(now) {
  pollsLeft = POLL_LIMIT;
  pollAgain.hidden = true;
  if (timer !== null || asking) return;
  if (now) poll(); else timer = setTimeout(poll, POLL_MS);
}

async function sendByFetch(target) {
  fetchReport.dataset.status = "";
  fetchReport.textContent = "Sending\\u2026";
  let response;
  let size = null;
  try {
    // The same body a form sends: application/x-www-form-urlencoded.
    const body = new URLSearchParams(new FormData(fetchForm));
    response = await fetch(target, {method: "POST", body: body});
    if (response.body !== null) size = (await response.arrayBuffer()).byteLength;
  } catch (error) {
    fetchReport.textContent = "fetch() failed: " + error.message;
    return;
  }
  // What this browser handed the script, as it is: the Fetch Standard says null for a 204.
  let content = "response.body is null: there was no content to read.";
  if (size === 0) content = "response.body is not null but a stream; reading it gave 0 bytes.";
  if (size > 0) {
    content = "response.body is a stream; reading it gave " + size + " bytes of HTML, " +
              "which this script does not show.";
  }
  fetchReport.textContent = "fetch() got " + statusLine(response.status) + ". " + content +
      " This page is still the one loaded at " + clock(loaded, true) + ".";
  fetchReport.dataset.body = size === null ? "null" : "stream";
  fetchReport.dataset.bytes = size === null ? "" : String(size);
  fetchReport.dataset.status = String(response.status);
  wake(false);
  refresh();  // the server has the submission already: show it now
}

for (const form of document.querySelectorAll("form[method=post]")) {
  // The browser still sends the form; this only keeps the count coming.
  form.addEventListener("submit", () => wake(false));
}
resetForm.addEventListener("submit", () => {
  pendingReset = {sent: fieldsOf(resetForm, "value"), after: lastCount || 0, record: null};
  resetReport.dataset.verdict = "";
  resetReport.textContent = "Sent. The verdict comes a second after the server records it.";
});
const fetchButtons = {"fetch-200": "form/save?answer=200", "fetch-204": "form/save"};
for (const [id, target] of Object.entries(fetchButtons)) {
  document.getElementById(id).addEventListener("click", () => sendByFetch(target));
}
pollAgain.addEventListener("click", () => wake(true));
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) wake(true);
});
poll();
</script>
</body>
</html>
"""

SAVED_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nocontent: saved, answered 200 OK</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>Saved, answered 200 OK: a new page</h1>
<p class="loaded">This page was loaded at <b id="loaded">(not yet)</b>. It is not the form
page: the answer to the form was 200 OK with this HTML as its content, and the browser made a
new page of it, in place of the form page.</p>
<p>The server recorded submission #{number}: {fields}.</p>
<p><a id="back" href="../form">Back to the form page</a> (loaded anew, with a new time).</p>
<script>
"use strict";
""" + _CLOCK + """
markLoaded();
</script>
</body>
</html>
"""
