"""Pages for a real browser: an editor that saves with 204, and forms answered 204 or 205.

RFC 9110 §15.3.5 says a 204 lets the user agent stay on "its current document
view"; the HTML Standard builds that into navigation (a response with status
204 or 205 creates no new document). These routes let a learner, and the
browser tests, watch it happen:

- ``GET /editor?doc=name`` loads ``/docs/name`` with ``fetch``, and its Save
  button sends ``PUT`` with ``If-Match``. On 204 nothing on the page is
  replaced: the text, the cursor and the selection stay, and the page shows
  "Saved" and the ETag from the response. On 412 it says that someone else
  changed the document and offers to reload it.
- ``GET /editor/form`` is plain HTML forms, no script, posting to
  ``POST /editor/form/save`` (204) and ``POST /editor/form/reset`` (205), and,
  for contrast, to ``/status/200``, whose answer replaces the page.

Every URL in the pages is relative, so they work the same at
``http://127.0.0.1:PORT/editor`` and behind jupyter-server-proxy at
``/user/NAME/proxy/PORT/editor``. :func:`browser_url` builds the right one.
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, urlsplit

from ._http import Headers, Request, Response

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["DEFAULT_DOC", "Editor", "Submission", "browser_url"]

DEFAULT_DOC = "welcome"
"""The document ``/editor`` opens when no ``?doc=`` is given."""
SUBMISSIONS = 100
"""How many form submissions :attr:`Editor.submissions` keeps."""
PREFIX_VARIABLE = "JUPYTERHUB_SERVICE_PREFIX"
"""Set by JupyterHub (and so on Binder) to the single-user server's path, e.g. ``/user/ada/``."""

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # the same names /docs/{name} accepts
_FORM_TYPE = "application/x-www-form-urlencoded"
_PAGE_HEADERS: Headers = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    # Nothing is loaded from anywhere else: no CDN, no external script, style or font.
    ("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; form-action 'self'"),
)


@dataclass(frozen=True, kw_only=True)
class Submission:
    """One form submission the server received at ``/editor/form/save`` or ``/reset``.

    Attributes:
        action: ``"save"`` or ``"reset"``.
        status: the status it was answered with (204 or 205).
        fields: the submitted name and value pairs, in order.
        content_type: its Content-Type, if any.
    """

    action: str
    status: int
    fields: tuple[tuple[str, str], ...]
    content_type: str | None


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


def _not_allowed(allow: str) -> Response:
    return _text(405, f"405 Method Not Allowed: allowed methods are {allow}", (("Allow", allow),))


class Editor:
    """The editor routes and the form submissions they received."""

    def __init__(self) -> None:
        self.submissions: deque[Submission] = deque(maxlen=SUBMISSIONS)

    def page(self, request: Request, now: float) -> Response:
        """``GET /editor?doc=name``: the editor page for one document."""
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        asked = parse_qs(urlsplit(request.target).query).get("doc", [DEFAULT_DOC])[-1]
        if not _NAME.fullmatch(asked):
            return _text(404, "404 Not Found: a document name is 1 to 64 letters, digits, "
                         "'.', '_' or '-'")
        body = EDITOR_PAGE.replace("{title}", escape(asked)).replace("{name}", json.dumps(asked))
        return Response(status=200, headers=_PAGE_HEADERS, body=body.encode())

    def form(self, request: Request, now: float) -> Response:
        """``GET /editor/form``: plain HTML forms answered 204, 205 and 200."""
        if request.method not in ("GET", "HEAD"):
            return _not_allowed("GET, HEAD")
        return Response(status=200, headers=_PAGE_HEADERS, body=FORM_PAGE.encode())

    def submit(self, request: Request, now: float, action: str) -> Response:
        """``POST /editor/form/save`` (204) and ``/editor/form/reset`` (205), recorded."""
        if request.method != "POST":
            return _not_allowed("POST")
        content_type = request.header("content-type")
        fields: tuple[tuple[str, str], ...] = ()
        if content_type and content_type.split(";")[0].strip().lower() == _FORM_TYPE:
            text = request.body.decode("utf-8", errors="replace")
            fields = tuple(parse_qsl(text, keep_blank_values=True))
        status = 204 if action == "save" else 205
        self.submissions.append(Submission(action=action, status=status, fields=fields,
                                           content_type=content_type))
        # RFC 9110 §15.3.5 and §15.3.6: nothing to show; the framing is the server's job.
        return Response(status=status)


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1em; max-width: 46em; }
textarea { width: 100%; box-sizing: border-box; font: 14px/1.4 monospace; }
code { background: rgba(127, 127, 127, 0.15); padding: 0 0.2em; }
.saved { color: #1b7f3b; } .failed { color: #b00020; }
form { margin: 0.8em 0; padding: 0.6em; border: 1px solid rgba(127, 127, 127, 0.4); }
label { margin-right: 1em; }
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
<p>Save sends <code>PUT</code> with <code>If-Match</code>. A 204 answer has nothing to show,
so this page stays as it is: your text, your cursor, your selection.</p>
<textarea id="text" rows="10" spellcheck="false" disabled></textarea>
<p><button id="save" type="button" disabled>Save</button>
<button id="reload" type="button" hidden>Load the current version</button>
<small>Ctrl+S saves too.</small></p>
<p id="status" role="status">Loading&hellip;</p>
<p>ETag of the version your text is based on: <code id="etag">none yet</code></p>
<script>
"use strict";
const NAME = {name};
const URL_ = "docs/" + NAME;  // relative: works on 127.0.0.1 and behind a proxy prefix
const text = document.getElementById("text");
const saveButton = document.getElementById("save");
const reloadButton = document.getElementById("reload");
const statusView = document.getElementById("status");
const etagView = document.getElementById("etag");
const state = window.ncEditor = {name: NAME, etag: null, saves: 0, lastStatus: null,
                                 loadedAt: Date.now()};
let saving = false;

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
    show("Could not load " + NAME + ": the server answered " + response.status + ".", "failed");
    return;
  }
  text.disabled = false;
  saveButton.disabled = false;
}

async function save() {
  if (saving || text.disabled) return;
  saving = true;
  saveButton.disabled = true;
  const sent = text.value;
  const headers = {"Content-Type": "text/plain; charset=utf-8"};
  // If-Match: replace only the version this text is based on (RFC 9110 §13.1.1).
  // No version yet: If-None-Match: * creates the document only if nobody else has.
  if (state.etag) headers["If-Match"] = state.etag; else headers["If-None-Match"] = "*";
  show("Saving\\u2026");
  try {
    const response = await fetch(URL_, {method: "PUT", headers: headers, body: sent});
    state.lastStatus = response.status;
    if (response.status === 204 || response.status === 201) {
      state.saves += 1;
      const etag = response.headers.get("ETag");
      setEtag(etag);
      let message = response.status === 204
        ? "Saved (204 No Content): nothing to show, so the page stayed as it is."
        : "Saved (201 Created): the document is new.";
      if (!etag) {
        message += " The answer carried no ETag, so load the current version before saving again.";
        reloadButton.hidden = false;
      } else if (text.value !== sent) {
        message += " You typed more while it was saving; save again to keep that too.";
      }
      show(message, "saved");
    } else if (response.status === 412) {
      show("Not saved: someone else changed " + NAME + " after you loaded it " +
           "(412 Precondition Failed). Your text is still here; copy what you want to keep, " +
           "then load the current version.", "failed");
      reloadButton.hidden = false;
    } else {
      show("Not saved: the server answered " + response.status + ". Your text is still here.",
           "failed");
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

saveButton.addEventListener("click", save);
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
<title>nocontent: forms answered 204 and 205</title>
<style>""" + _STYLE + """</style>
</head>
<body>
<h1>Forms answered 204 and 205</h1>
<p>These are plain HTML forms: no script sends them. When the answer to a form submission
is 204 or 205, the browser creates no new page (HTML Standard, navigation), so this page
stays as it is, with what you typed in it.</p>
<p>This page was loaded at <b id="loaded">(unknown)</b>. If a submission replaced the page,
that time would change.</p>

<form id="save-form" method="post" action="form/save">
<label>Reading <input name="reading" value="21.5"></label>
<label>Note <input name="note" value=""></label>
<button type="submit">Save (answered 204)</button>
</form>

<form id="reset-form" method="post" action="form/reset">
<label>Reading <input name="reading" value="19.0"></label>
<label>Note <input name="note" value=""></label>
<button type="submit">Log and reset (answered 205)</button>
</form>
<p>RFC 9110 §15.3.6 asks a user agent to reset the form after a 205. Browsers treat 205
like 204 here: the page stays, and the fields keep what you typed; a page that wants the
reset does it with its own script.</p>

<form id="plain-form" method="post" action="../status/200">
<label>Reading <input name="reading" value="20.0"></label>
<button type="submit">Save (answered 200, for contrast)</button>
</form>
<p>The last form's answer is a 200 with a body, so the browser leaves this page and shows
that body instead: use Back to return.</p>
<script>
// The forms need no script. This only marks the page load, for the line at the top.
window.ncPageLoaded = new Date().toISOString();
document.getElementById("loaded").textContent = window.ncPageLoaded;
</script>
</body>
</html>
"""
