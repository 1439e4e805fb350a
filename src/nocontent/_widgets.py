"""Interactive controls for the notebooks: a thin ipywidgets layer.

The widgets only gather input and show results. What a request looks like,
whether it may be sent, what came back and what the checker thinks are all
answered by plain functions (:mod:`nocontent._builder`, :mod:`nocontent._wire`,
:mod:`nocontent._checker`). Results are shown in ``HTML`` widgets whose value
is set from Python, and kept as Python state (``builder.last``,
``builder.history``), so tests and notebook cells can drive a widget with
``.value = ...`` and ``.click()`` and check what happened without a browser.

Each widget starts in the state its keyword arguments describe, and its
Reset button (or ``reset()``) goes back there. The verdict stays in view;
the exact bytes, the copy-as-curl area and the history fold away in
sections. ipywidgets is imported only when a widget is built, so
``import nocontent`` works without it. Every control carries a stable CSS
class (``nc-send``, ``nc-method``, ``nc-verdict``...) for browser tests.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from email.utils import formatdate
from html import escape
from typing import Any

from ._builder import (
    BODY_METHODS,
    METHODS,
    PRECONDITION_FIELDS,
    PRESET_METHODS,
    PRESETS,
    BuilderState,
    Freshness,
    Row,
    Sent,
    apply_preset,
    as_curl,
    as_httpx,
    body_bytes,
    document_name,
    duration,
    failed_precondition,
    fields,
    freshness,
    freshness_of_response,
    http_date,
    targets,
    to_request_bytes,
    validate,
)
from ._checker import Level, Report, grace_for, judge
from ._http import MAX_BODY, reason_phrase
from ._server import Server, serve
from ._store import SEED
from ._wire import (
    Exchange,
    LocalProtocolError,
    build_request,
    conversation,
    exchange,
    exchange_twice,
    visible,
)

__all__ = [
    "CACHE_TARGETS",
    "FRESHNESS_STATUSES",
    "HISTORY",
    "OPEN_SECTIONS",
    "OTHER",
    "SECTIONS",
    "FreshnessCalculator",
    "RequestBuilder",
    "freshness_calculator",
    "request_builder",
]

HISTORY = 5
"""How many sends the builder's history keeps."""

OTHER = "other"
"""The method button that lets a learner type any method token."""

SHOWN = 4096
"""How many bytes of a message the result area shows."""

SECTIONS = {
    "request": "Request: the exact bytes",
    "response": "Response: header fields and the exact bytes",
    "copy": "Copy as curl or httpx",
    "history": "History",
}
"""The builder's folding sections, by name, with their titles."""

OPEN_SECTIONS = ("request",)
"""The sections a new builder shows unfolded."""

DEFAULT_DATE = "Sun, 01 Mar 2026 12:00:00 GMT"
"""The Date the freshness calculator starts from: fixed, so its first numbers repeat."""

DURATIONS = (
    0, 30, 60, 120, 300, 600, 1800, 3600, 2 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 3 * 86400, 7 * 86400, 10 * 86400, 14 * 86400, 30 * 86400,
    90 * 86400, 180 * 86400, 365 * 86400,
)
"""The steps of the freshness calculator's time sliders, in seconds.

No step under 30 s: a live response's age (under a second or two, as Date has
whole seconds) then rounds to 0 and the calculator repeats run after run.
"""

CACHE_TARGETS = ("/cache/heuristic", "/cache/max-age/60", "/cache/no-store")
"""The live responses the freshness calculator can check itself against."""

FRESHNESS_STATUSES = (200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 307, 308,
                      400, 403, 404, 405, 410, 414, 500, 501, 503)
"""The status codes the freshness calculator offers: RFC 9110 §15.1's heuristically
cacheable list (200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501) and others."""

_COLOURS = {Level.MUST: "#b00020", Level.SHOULD: "#a35200", Level.INFO: "#1f5fa8"}
_GOOD = "#1b7f3b"
_PRE = ("white-space: pre-wrap; word-break: break-all; font-size: 12px; margin: 2px 0; "
        "padding: 4px; background: rgba(127,127,127,0.08)")
_LEFTOVER = _PRE + "; border: 2px solid #b00020"
_TABLE = "border-collapse: collapse; font-size: 12px"
_CELL = "padding: 1px 8px; text-align: left; vertical-align: top"
_RFC = re.compile(r"RFC (\d{4}) §([\d.]+\d)")
_NOTHING_SENT = '<div class="nc-summary" style="color: gray">Nothing sent yet.</div>'


BUILDER_TEXT = "(the request builder: run this cell to use it)"
"""What a notebook shows instead of the builder where widgets are not drawn (an untrusted or
static copy of the notebook, such as GitHub's view), so the reader knows what to do."""
CALCULATOR_TEXT = "(the freshness calculator: run this cell to use it)"
"""The same, for the freshness calculator."""


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError:
        raise ImportError("the course's widgets need ipywidgets; `python3 course.py` installs "
                          "it into the course's .venv") from None
    return ipywidgets


def _close_tree(widget: Any) -> None:
    """Close ``widget`` and every widget inside it (not the layouts and styles)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _section(w: Any, name: str, view: Any) -> Any:
    """``view`` in a folding section of its own (an Accordion with one child)."""
    return w.Accordion(children=[view], titles=(SECTIONS[name],)).add_class("nc-section")


def _fold(section: Any, unfolded: bool) -> None:
    section.selected_index = 0 if unfolded else None


# -- HTML for the result area (pure functions of the results) ----------------------------


def _rfc_links(text: str) -> str:
    """``text`` escaped, with each "RFC NNNN §x.y" made a link to that section."""
    return _RFC.sub(
        lambda m: (f'<a href="https://www.rfc-editor.org/rfc/rfc{m[1]}#section-{m[2]}" '
                   f'target="_blank">RFC {m[1]} §{m[2]}</a>'),
        escape(text),
    )


def _pre(data: bytes, style: str = _PRE) -> str:
    text = visible(data[:SHOWN])
    if len(data) > SHOWN:
        text += f"\n... ({len(data)} bytes in all; the first {SHOWN} are shown)"
    return f'<pre style="{style}">{escape(text)}</pre>'


def _table(rows: Iterable[tuple[str, str]], head: tuple[str, ...] | None = None,
           links: bool = False) -> str:
    show = _rfc_links if links else escape
    cells = "".join(
        f'<tr><th style="{_CELL}; white-space: nowrap">{escape(a)}</th>'
        f'<td style="{_CELL}">{show(b)}</td></tr>'
        for a, b in rows
    )
    top = ""
    if head:
        top = "<tr>" + "".join(f'<th style="{_CELL}">{escape(h)}</th>' for h in head) + "</tr>"
    return f'<table style="{_TABLE}">{top}{cells}</table>'


def _request_html(title: str, requests: list[bytes]) -> str:
    labels = ["", "then, on the same connection:"]
    parts = [f"<b>{escape(title)}</b>"]
    for label, data in zip(labels, requests, strict=False):
        if label:
            parts.append(f"<div>{escape(label)}</div>")
        parts.append(_pre(data))
    return "".join(parts)


def _exchange_html(ex: Exchange, title: str) -> str:
    parts = [f"<b>{escape(title)}</b>"]
    response = ex.response
    if response is None:
        parts.append(f'<div style="color: {_COLOURS[Level.MUST]}">No response could be read: '
                     f"{escape(ex.error or 'nothing came back')}</div>")
        parts.append(f"<div>What the client read ({len(ex.received)} bytes):</div>")
        parts.append(_pre(ex.received))
        return "".join(parts)
    connection = "closed by the server" if ex.closed else "still open"
    parts.append(_table([
        ("Status", f"{response.status} {response.reason}".rstrip()),
        ("Message ends", response.framing),
        ("Content", f"{len(response.body)} bytes"),
        ("Left on the connection", f"{len(ex.leftover)} bytes"),
        ("Connection", connection),
    ]))
    if response.headers:
        parts.append(_table(list(response.headers), head=("Header", "Value")))
    parts.append(f"<div>The exact bytes of the response ({len(response.raw)}):</div>")
    parts.append(_pre(response.raw))
    if ex.leftover:
        parts.append(f'<div style="color: {_COLOURS[Level.MUST]}">{len(ex.leftover)} more bytes '
                     "arrived after the response ended; a keep-alive client reads them as the "
                     "start of its next response:</div>")
        parts.append(_pre(ex.leftover, _LEFTOVER))
    return "".join(parts)


def _summary_html(ex: Exchange, title: str) -> str:
    """One line on what came back, always in view: status, end of message, leftovers."""
    response = ex.response
    if response is None:
        return (f'<div class="nc-summary"><b>{escape(title)}:</b> <span style="color: '
                f'{_COLOURS[Level.MUST]}">no response could be read: '
                f"{escape(ex.error or 'nothing came back')}</span></div>")
    status = f"{response.status} {response.reason}".rstrip()
    colour = _COLOURS[Level.MUST] if ex.leftover else "inherit"
    return (f'<div class="nc-summary"><b>{escape(title)}:</b> <b>{escape(status)}</b> · '
            f"message ends: {escape(response.framing)} · {len(response.body)} bytes of content · "
            f'<span style="color: {colour}">{len(ex.leftover)} bytes left on the connection'
            "</span></div>")


def _report_html(report: Report, title: str = "Checker") -> str:
    colour = _COLOURS.get(report.worst, _GOOD) if report.worst else _GOOD
    parts = [f'<b>{escape(title)}:</b> <span style="color: {colour}">'
             f"{escape(report.verdict())}</span>"]
    if report.findings:
        rows = "".join(
            f'<tr><td style="{_CELL}; color: {_COLOURS[f.rule.level]}"><b>{f.rule.level}</b></td>'
            f'<td style="{_CELL}"><code>{escape(f.rule.id)}</code></td>'
            f'<td style="{_CELL}">{_rfc_links(f.rule.rfc)}</td>'
            f'<td style="{_CELL}">{escape(f.rule.message)}'
            f"<br><small>{escape(f.detail)}</small></td>"
            "</tr>"
            for f in report.findings
        )
        head = "".join(f'<th style="{_CELL}">{h}</th>' for h in ("Level", "Rule", "RFC", "Says"))
        parts.append(f'<table style="{_TABLE}"><tr>{head}</tr>{rows}</table>')
    else:
        parts.append("<div>No findings.</div>")
    return "".join(parts)


def _precondition_html(text: str) -> str:
    return (f'<div class="nc-precondition" style="margin-top: 4px"><b>Which precondition '
            f"failed:</b> {_rfc_links(text)}</div>")


def _problems_html(title: str, problems: Sequence[str]) -> str:
    items = "".join(f"<li>{_rfc_links(problem)}</li>" for problem in problems)
    return (f'<div style="color: {_COLOURS[Level.MUST]}"><b>{escape(title)}</b></div>'
            f"<ul>{items}</ul>")


def _error_html(message: str) -> str:
    return (f'<div style="color: {_COLOURS[Level.MUST]}"><b>Something went wrong, so the '
            f"result is incomplete.</b></div><div>{escape(message)}</div>")


def _history_html(history: list[Sent]) -> str:
    if not history:
        return "<div>Nothing sent yet.</div>"
    head = "".join(
        f'<th style="{_CELL}">{h}</th>'
        for h in ("#", "Request", "Status", "Response", "Content", "Left over", "Checker", "Then")
    )
    rows = []
    for sent in reversed(history):
        ex, response = sent.exchange, sent.exchange.response
        then = ""
        if sent.second is not None:
            second = sent.second.response
            then = f"{second.status} {second.reason}" if second else "no response"
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{escape(cell)}</td>' for cell in (
            str(sent.number),
            f"{sent.state.method} {sent.state.target}",
            f"{response.status} {response.reason}" if response else "no response",
            f"{len(ex.received)} B",
            f"{len(response.body)} B" if response else "",
            f"{len(ex.leftover)} B",
            sent.report.verdict().split(": ", 1)[-1],
            then,
        )) + "</tr>")
    return (f"<div>Newest first, the last {len(history)}:</div>"
            f'<table style="{_TABLE}"><tr>{head}</tr>{"".join(rows)}</table>')


def _snippet_html(css: str, title: str, make: Callable[[], str]) -> str:
    try:
        text = make()
    except LocalProtocolError as exc:
        return (f'<div class="{css}"><b>{escape(title)}</b>: none, because '
                f"{_rfc_links(str(exc))}</div>")
    return (f'<div class="{css}"><b>{escape(title)}</b>'
            f'<pre style="{_PRE}">{escape(text)}</pre></div>')


def _copy_html(state: BuilderState, base_url: str, then: str | None) -> str:
    """The request as a curl command and as httpx code, ready to select and copy."""
    parts = [
        _snippet_html("nc-copy-curl", "curl, in a POSIX shell (bash, zsh)",
                      lambda: as_curl(state, base_url)),
        _snippet_html("nc-copy-httpx", "httpx, in Python", lambda: as_httpx(state, base_url)),
    ]
    if then is not None:
        parts.append("<div>Both send the first request only, not the second GET on the same "
                     "connection.</div>")
    return "".join(parts)


# -- the request builder -----------------------------------------------------------------


class _HeaderRow:
    """The controls of one header row: on/off, name, value, remove."""

    def __init__(self, w: Any, row: Row) -> None:
        self.on = w.Checkbox(value=row.enabled, indent=False, description="",
                             layout=w.Layout(width="2.2em")).add_class("nc-header-on")
        self.name = w.Text(value=row.name, placeholder="Name",
                           layout=w.Layout(width="18em")).add_class("nc-header-name")
        self.value = w.Text(value=row.value, placeholder="value",
                            layout=w.Layout(width="26em")).add_class("nc-header-value")
        self.remove = w.Button(description="x", tooltip="remove this row",
                               layout=w.Layout(width="2.5em")).add_class("nc-header-remove")
        self.box = w.HBox([self.on, self.name, self.value, self.remove]).add_class("nc-header-row")

    @property
    def row(self) -> Row:
        return Row(self.on.value, self.name.value, self.value.value)

    def set(self, row: Row) -> None:
        self.name.value, self.value.value, self.on.value = row.name, row.value, row.enabled


def _initial_rows(headers: Iterable[tuple[str, str] | Row]) -> tuple[Row, ...]:
    rows = []
    for header in headers:
        if isinstance(header, Row):
            rows.append(header)
            continue
        name, value = header
        rows.append(Row(True, str(name), str(value)))
    return tuple(rows)


class RequestBuilder:
    """A request pane: choose a method, a target, headers and a body; send; read the wire.

    Drive it from code as a learner would from the mouse::

        builder.method.value = "PUT"
        builder.presets["If-Match"].click()
        builder.body.value = "new text"
        builder.send.click()
        builder.last.report        # the checker's verdict on what came back
        builder.reset()            # back to the state it was created with

    Attributes:
        server: the embedded server the requests go to.
        initial: the request the builder was created with, and goes back to on Reset.
        last: the last send (:class:`nocontent._builder.Sent`), or None.
        history: the last :data:`HISTORY` sends, oldest first.
        problems: why the last press of Send sent nothing (empty when it sent).
        error: the last unexpected error, in words, or None.
        sections: the folding sections by name (see :data:`SECTIONS`); a
            section's ``selected_index`` is 0 when unfolded, None when folded.
    """

    def __init__(
        self,
        server: Server | None = None,
        *,
        method: str = "GET",
        target: str = "/docs/welcome",
        headers: Iterable[tuple[str, str] | Row] = (),
        body: str = "",
        then: str | None = None,
        sections: Iterable[str] = OPEN_SECTIONS,
        grace: float | None = None,
        history: int = HISTORY,
    ) -> None:
        w = _ipywidgets()
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ValueError(f"unknown section {unknown[0]!r}; the sections are "
                             f"{', '.join(SECTIONS)}")
        self.server = server if server is not None else serve()
        self.grace = grace
        self.initial = BuilderState(method=method, target=target,
                                    rows=_initial_rows(headers), body=body)
        self._initial_then = then
        self._initial_sections = frozenset(sections)
        self.last: Sent | None = None
        self.history: deque[Sent] = deque(maxlen=history)
        self.problems: tuple[str, ...] = ()
        self.error: str | None = None
        self._count = 0
        self._quiet = 0
        self._w = w
        documents = list(SEED) + [n for n in self.server.app.store.names() if n not in SEED]
        choices = targets(documents)

        self.method = w.ToggleButtons(options=(*METHODS, OTHER), value="GET",
                                      description="Method",
                                      style={"button_width": "6em"}).add_class("nc-method")
        self.other_method = w.Text(value="", placeholder="type a method, such as PROPFIND",
                                   description="Other", disabled=True).add_class("nc-method-other")
        self.target = w.Combobox(value="/docs/welcome", options=choices, ensure_option=False,
                                 description="Target", placeholder="/docs/welcome",
                                 layout=w.Layout(width="32em")).add_class("nc-target")
        self.presets: dict[str, Any] = {}
        for name, rows in PRESETS.items():
            lines = ", ".join(f"{n}: {v}" for n, v in rows)
            preset_method = PRESET_METHODS.get(name)
            tip = f"switch on {lines}" + (f" (and choose {preset_method})" if preset_method else "")
            button = w.Button(description=name, tooltip=tip,
                              layout=w.Layout(width="auto")).add_class("nc-preset")
            button.on_click(self._guard(lambda _b, name=name: self._apply_preset(name)))
            self.presets[name] = button
        self.header_rows: list[_HeaderRow] = []
        self._rows_box = w.VBox([])
        self.add_header = w.Button(description="+ header row", tooltip="add a free header row",
                                   layout=w.Layout(width="auto")).add_class("nc-add-header")
        self.body = w.Textarea(value="", placeholder="content for PUT, POST or PATCH",
                               description="Body", disabled=True, rows=4,
                               layout=w.Layout(width="60em")).add_class("nc-body")
        self.send = w.Button(description="Send", button_style="primary",
                             icon="paper-plane").add_class("nc-send")
        self.reset_button = w.Button(description="Reset", icon="undo",
                                     tooltip="back to the request this builder started with; "
                                     "clears the results and the history").add_class("nc-reset")
        self.second = w.Checkbox(value=False, indent=False,
                                 description="then, on the same connection, GET"
                                 ).add_class("nc-second")
        self.then = w.Combobox(value="/", options=choices, ensure_option=False, disabled=True,
                               layout=w.Layout(width="16em")).add_class("nc-then")
        self.verdict = w.HTML(_NOTHING_SENT).add_class("nc-verdict")
        self.request_view = w.HTML().add_class("nc-request")
        self.response_view = w.HTML().add_class("nc-response")
        self.copy_view = w.HTML().add_class("nc-copy")
        self.history_view = w.HTML(_history_html([])).add_class("nc-history")
        self.sections = {
            "request": _section(w, "request", self.request_view),
            "response": _section(w, "response", self.response_view),
            "copy": _section(w, "copy", self.copy_view),
            "history": _section(w, "history", self.history_view),
        }

        refresh = self._guard(lambda _change: self.refresh())
        for control in (self.method, self.other_method, self.target, self.body, self.second,
                        self.then):
            control.observe(refresh, names="value")
        self.add_header.on_click(self._guard(lambda _b: self.add_row()))
        self.send.on_click(self._guard(lambda _b: self._send()))
        self.reset_button.on_click(self._guard(lambda _b: self.reset()))

        hint = w.HTML("<b>Headers</b>: a preset switches its rows on; the box at the start of "
                      "a row switches it off.")
        self.ui = w.VBox([
            self.method,
            self.other_method,
            self.target,
            hint,
            w.HBox(list(self.presets.values()), layout=w.Layout(flex_flow="row wrap")),
            self._rows_box,
            self.add_header,
            self.body,
            w.HBox([self.send, self.reset_button, self.second, self.then]),
            self.verdict,
            *self.sections.values(),
        ]).add_class("nc-builder")
        self.reset()

    # -- display -------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = BUILDER_TEXT
        return bundle

    def close(self) -> None:
        """Close every widget of the builder; they stop syncing with the page."""
        _close_tree(self.ui)

    def reset(self) -> None:
        """Go back to the state the builder was created with; results and history are cleared.

        The method, target, header rows, body, second request and folded
        sections return to their first values. The server's documents are
        not touched (``server.reset()`` does that).
        """
        self.last = None
        self.history.clear()
        self.problems = ()
        self.error = None
        self._count = 0
        start = self.initial
        with self._batch():
            self.other_method.value = "" if start.method in METHODS else start.method
            self._set_method(start.method)
            self.target.value = start.target
            for controls in list(self.header_rows):
                self._remove_row(controls)
            for row in start.rows:
                self.add_row(row.name, row.value, row.enabled)
            self.body.value = start.body
            self.second.value = self._initial_then is not None
            self.then.value = self._initial_then or "/"
        self.response_view.value = ""
        self.verdict.value = _NOTHING_SENT
        self.verdict.remove_class("nc-error")
        self.history_view.value = _history_html([])
        for name, section in self.sections.items():
            _fold(section, name in self._initial_sections)

    # -- reading and writing the controls --------------------------------------------

    def state(self) -> BuilderState:
        """What the controls describe; the body counts only for PUT, POST and PATCH."""
        method = self.other_method.value if self.method.value == OTHER else self.method.value
        return BuilderState(
            method=method,
            target=self.target.value,
            rows=tuple(row.row for row in self.header_rows),
            body=self.body.value if method in BODY_METHODS else "",
        )

    def add_row(self, name: str = "", value: str = "", enabled: bool = True) -> _HeaderRow:
        """Add a header row (what the "+ header row" button does) and return its controls."""
        controls = _HeaderRow(self._w, Row(enabled, name, value))
        refresh = self._guard(lambda _change: self.refresh())
        for control in (controls.on, controls.name, controls.value):
            control.observe(refresh, names="value")
        controls.remove.on_click(self._guard(lambda _b: self._remove_row(controls)))
        self.header_rows.append(controls)
        self._rows_box.children = [*self._rows_box.children, controls.box]
        self.refresh()
        return controls

    def _remove_row(self, controls: _HeaderRow) -> None:
        self.header_rows.remove(controls)
        self._rows_box.children = [row.box for row in self.header_rows]
        _close_tree(controls.box)
        self.refresh()

    def _set_method(self, method: str) -> None:
        if method in METHODS:
            self.method.value = method
        else:
            self.method.value = OTHER
            self.other_method.value = method

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """Change many controls, then refresh once."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
        self.refresh()

    def current_etag(self) -> str | None:
        """The current ETag of the document the target names, or None.

        Read from the server's document store, without a request, so pressing
        a preset adds nothing to ``server.exchanges``.
        """
        name = document_name(self.target.value)
        document = self.server.app.store.get(name) if name else None
        return document.etag if document else None

    def current_validators(self, target: str | None = None) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified a HEAD of ``target`` (the builder's by default) gets now.

        None when the target does not exist (no 2xx answer). The HEAD goes
        over the wire like any request, so it shows in ``server.exchanges``.
        """
        found = exchange(self.server.url + (target or self.target.value), "HEAD")
        response = found.response
        if response is None or not 200 <= response.status < 300:
            return None
        return response.header("etag"), response.header("last-modified")

    def _apply_preset(self, preset: str) -> None:
        new = apply_preset(self.state(), preset, self.current_etag())
        with self._batch():
            for index, row in enumerate(new.rows):
                if index < len(self.header_rows):
                    self.header_rows[index].set(row)
                else:
                    self.add_row(row.name, row.value, row.enabled)
            self._set_method(new.method)

    def _then(self) -> str | None:
        return self.then.value if self.second.value else None

    def _sendable(self) -> BuilderState:
        """The state, or LocalProtocolError with the reasons the Send button would give."""
        state = self.state()
        problems = validate(state, MAX_BODY, then=self._then())
        if problems:
            raise LocalProtocolError("; ".join(problems))
        return state

    def as_curl(self) -> str:
        """The request the controls describe, as a curl command line (see ``_builder.as_curl``).

        Raises :class:`nocontent.LocalProtocolError` naming every problem the
        Send button would name, or why curl cannot carry the body.
        """
        return as_curl(self._sendable(), self.server.url)

    def as_httpx(self) -> str:
        """The request the controls describe, as httpx code (see ``_builder.as_httpx``).

        Raises :class:`nocontent.LocalProtocolError` naming every problem the
        Send button would name, or what httpx would send differently.
        """
        return as_httpx(self._sendable(), self.server.url)

    # -- preview, send, results --------------------------------------------------------

    def refresh(self) -> bytes | None:
        """Show the request the controls describe, before it is sent; return its bytes.

        None (and the reasons, in the request and copy areas) when it cannot be sent.
        """
        if self._quiet:
            return None
        other = self.method.value == OTHER
        self.other_method.disabled = not other
        method = self.other_method.value if other else self.method.value
        self.body.disabled = method not in BODY_METHODS
        self.then.disabled = not self.second.value
        state = self.state()
        then = self._then()
        problems = validate(state, MAX_BODY, then=then)
        if problems:
            self.request_view.value = _problems_html("This request cannot be sent yet:", problems)
            self.copy_view.value = _problems_html("Nothing to copy yet. Fix this first:",
                                                  problems)
            return None
        data = to_request_bytes(state, self.server.url)
        requests = [data]
        if then is not None:
            requests.append(build_request("GET", self.server.url + then))
        self.request_view.value = _request_html("Request (not sent yet)", requests)
        self.copy_view.value = _copy_html(state, self.server.url, then)
        return data

    def _guard(self, action: Callable[..., object]) -> Callable[..., None]:
        """``action`` as a callback that turns any exception into a message, never a traceback."""

        def run(*args: Any) -> None:
            try:
                action(*args)
            except OSError as exc:
                self._fail(f"The request could not be sent: {exc}. Is the server running? "
                           "nocontent.serve() starts it.")
            except Exception as exc:
                self._fail(f"{type(exc).__name__}: {exc}")

        return run

    def _fail(self, message: str) -> None:
        self.error = message
        self.verdict.value = _error_html(message)
        self.verdict.add_class("nc-error")

    def _send(self) -> Sent | None:
        self.error = None
        state = self.state()
        then = self._then()
        self.problems = tuple(validate(state, MAX_BODY, then=then))
        if self.problems:
            self.verdict.value = _problems_html("Nothing was sent. Fix this first:", self.problems)
            self.verdict.add_class("nc-error")
            return None
        url = self.server.url + state.target
        second = None
        listen = grace_for if self.grace is None else self.grace
        if then is None:
            data = to_request_bytes(state, self.server.url)
            [first] = conversation(url, [(state.method, data)], grace=listen)
        else:
            first, second = exchange_twice(url, state.method, fields(state), body_bytes(state),
                                           then=then, grace=listen)
        self._count += 1
        sent = Sent(number=self._count, state=state, exchange=first, report=judge(first),
                    second=second, second_report=None if second is None else judge(second),
                    precondition=self._why_412(state) if first.status == 412 else None)
        self.last = sent
        self.history.append(sent)
        self._show(sent)
        return sent

    def _why_412(self, state: BuilderState) -> str:
        """Which precondition of ``state`` failed, judged against validators from a HEAD."""
        sent_fields = fields(state)
        wanted = {name.lower() for name in PRECONDITION_FIELDS}
        if not any(name.strip().lower() in wanted for name, _ in sent_fields):
            return failed_precondition(state.method, sent_fields, None, None)
        try:
            current = self.current_validators(state.target)
        except OSError as exc:
            return f"the current validators could not be fetched with HEAD: {exc}"
        if current is None:
            return failed_precondition(state.method, sent_fields, None, None, exists=False)
        etag, last_modified = current
        return failed_precondition(state.method, sent_fields, etag, last_modified, exists=True)

    def _show(self, sent: Sent) -> None:
        requests = [sent.exchange.request]
        if sent.second is not None and sent.second.request:
            requests.append(sent.second.request)
        self.request_view.value = _request_html(f"Request #{sent.number}, as sent", requests)
        title = f"#{sent.number} {sent.state.method} {sent.state.target}"
        response = _exchange_html(sent.exchange, "Response")
        verdict = _summary_html(sent.exchange, title) + _report_html(sent.report)
        if sent.precondition is not None:
            verdict += _precondition_html(sent.precondition)
        if sent.second is not None and sent.second_report is not None:
            response += _exchange_html(sent.second, "What the client read next, as the answer "
                                       "to its second request")
            verdict += (_summary_html(sent.second, "then GET on the same connection")
                        + _report_html(sent.second_report, "Checker, second response"))
        self.response_view.value = response
        self.verdict.value = verdict
        self.verdict.remove_class("nc-error")
        self.history_view.value = _history_html(list(self.history))

    def describe(self) -> str:
        """The result area as plain text: what the last press of Send did.

        For notebook cells that drive the builder from code and print what
        the learner would see.
        """
        if self.error:
            return f"Something went wrong: {self.error}"
        if self.problems:
            return "\n".join(["Nothing was sent. Fix this first:",
                              *(f"- {p}" for p in self.problems)])
        sent = self.last
        if sent is None:
            return "Nothing sent yet."
        parts = [str(sent.exchange), "", sent.report.table()]
        if sent.precondition is not None:
            parts += ["", f"Which precondition failed: {sent.precondition}"]
        if sent.second is not None and sent.second_report is not None:
            parts += ["", "=== then, on the same connection ===", str(sent.second), "",
                      sent.second_report.table()]
        return "\n".join(parts)

    def history_lines(self) -> list[str]:
        """One line per send in the history, oldest first."""
        return [sent.summary() for sent in self.history]


def request_builder(
    server: Server | None = None,
    *,
    method: str = "GET",
    target: str = "/docs/welcome",
    headers: Iterable[tuple[str, str] | Row] = (),
    body: str = "",
    then: str | None = None,
    sections: Iterable[str] = OPEN_SECTIONS,
    grace: float | None = None,
) -> RequestBuilder:
    """A request builder for the embedded server (:func:`nocontent.serve` by default).

    Display it as the last expression of a cell. The keyword arguments set
    the request it starts with, and returns to on Reset: ``method`` (any
    token; one outside the buttons goes in the "other" box), ``target``,
    ``headers`` as (name, value) rows switched on (a
    :class:`nocontent._builder.Row` keeps its own switch), ``body`` and
    ``then``, the target of a second GET on the same connection (None for
    none). ``sections`` names the sections shown unfolded, from
    ``"request"``, ``"response"``, ``"copy"`` and ``"history"``. ``grace`` is
    how long it listens after a response ends for bytes left on the
    connection: by default as :func:`nocontent.check` does (half a second
    after a 204 that announced a body not yet received, so a late stray body
    is caught; 0.05 s otherwise); a number listens that long every time.
    """
    return RequestBuilder(server, method=method, target=target, headers=headers, body=body,
                          then=then, sections=sections, grace=grace)


# -- the freshness calculator ---------------------------------------------------------


def _nearest(value: float) -> int:
    return min(DURATIONS, key=lambda step: abs(step - value))


def _step(what: str, seconds: int) -> int:
    if seconds not in DURATIONS:
        steps = ", ".join(duration(step) for step in DURATIONS)
        raise ValueError(f"{what}={seconds} is not a step of its slider; the steps are, in "
                         f"seconds, {', '.join(map(str, DURATIONS))} ({steps})")
    return seconds


def _status_options(extra: Iterable[int] = ()) -> list[tuple[str, int]]:
    codes = sorted({*FRESHNESS_STATUSES, *extra})
    return [(f"{code} {reason_phrase(code)}".rstrip(), code) for code in codes]


class FreshnessCalculator:
    """Work out whether a stored response is fresh: sliders in, RFC 9111 arithmetic out.

    Attributes:
        result: the calculator's :class:`nocontent._builder.Freshness`, or None
            while the Date field is not a date.
        live: the freshness of the last live response checked, or None.
        live_report: the checker's verdict on that response.
        initial: the values it was created with, and goes back to on Reset,
            by keyword argument name.
    """

    def __init__(
        self,
        server: Server | None = None,
        *,
        date: str = DEFAULT_DATE,
        modified_before: int | None = 10 * 86400,
        max_age: int | None = None,
        request_after: int = 12 * 3600,
        status: int = 204,
        public: bool = False,
        live_target: str = CACHE_TARGETS[0],
    ) -> None:
        w = _ipywidgets()
        if modified_before is not None:
            _step("modified_before", modified_before)
        _step("request_after", request_after)
        if max_age is not None and not 0 <= max_age <= 2**31 - 1:
            raise ValueError(f"max_age={max_age} is not a number of seconds from 0 to 2**31 - 1")
        if not 200 <= status <= 599:
            raise ValueError(f"status={status}: a stored response has a final status, 200 to 599")
        if live_target not in CACHE_TARGETS:
            raise ValueError(f"live_target={live_target!r} is not one of "
                             f"{', '.join(CACHE_TARGETS)}")
        self.initial: dict[str, Any] = {
            "date": date, "modified_before": modified_before, "max_age": max_age,
            "request_after": request_after, "status": status, "public": public,
            "live_target": live_target,
        }
        self._server = server
        self.result: Freshness | None = None
        self.live: Freshness | None = None
        self.live_report: Report | None = None
        self.error: str | None = None
        self._quiet = 0
        options = [(duration(seconds), seconds) for seconds in DURATIONS]
        wide = {"description_width": "14em"}
        self.date = w.Text(value=DEFAULT_DATE, description="Date", style=wide,
                           layout=w.Layout(width="34em")).add_class("nc-fresh-date")
        self.has_modified = w.Checkbox(value=True, description="send Last-Modified", indent=False
                                       ).add_class("nc-fresh-has-modified")
        self.modified_before = w.SelectionSlider(
            options=options, value=10 * 86400, description="Last-Modified before Date",
            style=wide, layout=w.Layout(width="40em")).add_class("nc-fresh-modified")
        self.has_max_age = w.Checkbox(value=False, description="send Cache-Control: max-age",
                                      indent=False).add_class("nc-fresh-has-max-age")
        self.max_age = w.BoundedIntText(value=3600, min=0, max=2**31 - 1,
                                        description="max-age (seconds)", style=wide,
                                        disabled=True).add_class("nc-fresh-max-age")
        self.status = w.Dropdown(options=_status_options([status]), value=status,
                                 description="status", style=wide,
                                 layout=w.Layout(width="34em")).add_class("nc-fresh-status")
        self.public = w.Checkbox(value=False, description="send Cache-Control: public",
                                 indent=False).add_class("nc-fresh-public")
        self.request_after = w.SelectionSlider(
            options=options, value=12 * 3600, description="request time after Date",
            style=wide, layout=w.Layout(width="40em")).add_class("nc-fresh-request")
        self.result_view = w.HTML().add_class("nc-fresh-result")
        self.live_target = w.Dropdown(options=CACHE_TARGETS, value=CACHE_TARGETS[0],
                                      description="live response", style=wide,
                                      layout=w.Layout(width="34em")).add_class("nc-fresh-target")
        self.check_live = w.Button(description="Check against the server",
                                   layout=w.Layout(width="auto")).add_class("nc-check-live")
        self.reset_button = w.Button(description="Reset", icon="undo",
                                     tooltip="back to the values this calculator started with"
                                     ).add_class("nc-reset")
        self.live_view = w.HTML().add_class("nc-fresh-live")

        update = self._guard(lambda _change: self.update())
        for control in (self.date, self.has_modified, self.modified_before, self.has_max_age,
                        self.max_age, self.status, self.public, self.request_after):
            control.observe(update, names="value")
        self.check_live.on_click(self._guard(lambda _b: self._check_live()))
        self.reset_button.on_click(self._guard(lambda _b: self.reset()))
        self.ui = w.VBox([
            self.date,
            w.HBox([self.has_modified, self.modified_before]),
            w.HBox([self.has_max_age, self.max_age]),
            w.HBox([self.status, self.public]),
            self.request_after,
            self.result_view,
            w.HBox([self.live_target, self.check_live, self.reset_button]),
            self.live_view,
        ]).add_class("nc-freshness")
        self.reset()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = CALCULATOR_TEXT
        return bundle

    def _guard(self, action: Callable[..., object]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            try:
                action(*args)
            except OSError as exc:
                self._fail(self.live_view, f"The server could not be reached: {exc}")
            except Exception as exc:
                self._fail(self.result_view, f"{type(exc).__name__}: {exc}")

        return run

    def _fail(self, view: Any, message: str) -> None:
        self.error = message
        view.value = _error_html(message)
        view.add_class("nc-error")

    def reset(self) -> None:
        """Go back to the values the calculator was created with; the live check is cleared."""
        start = self.initial
        self.live = None
        self.live_report = None
        self.error = None
        self.live_view.value = ""
        self.live_view.remove_class("nc-error")
        with self._batch():
            self.date.value = start["date"]
            self.has_modified.value = start["modified_before"] is not None
            if start["modified_before"] is not None:
                self.modified_before.value = start["modified_before"]
            self.has_max_age.value = start["max_age"] is not None
            if start["max_age"] is not None:
                self.max_age.value = start["max_age"]
            self.status.value = start["status"]
            self.public.value = start["public"]
            self.request_after.value = start["request_after"]
            self.live_target.value = start["live_target"]

    def update(self) -> Freshness | None:
        """Recompute from the controls and show the working; returns the result."""
        if self._quiet:
            return self.result
        self.max_age.disabled = not self.has_max_age.value
        self.modified_before.disabled = not self.has_modified.value
        date = http_date(self.date.value)
        if date is None:
            self.result = None
            self.error = f"Date {self.date.value!r} is not an HTTP-date"
            self.result_view.value = _problems_html("Nothing to work out yet:", [
                f"{self.error}; write one like {DEFAULT_DATE} (RFC 9110 §5.6.7)"])
            self.result_view.add_class("nc-error")
            return None
        self.error = None
        self.result_view.remove_class("nc-error")
        modified = date - self.modified_before.value if self.has_modified.value else None
        max_age = self.max_age.value if self.has_max_age.value else None
        self.result = freshness(date, modified, max_age, date + self.request_after.value,
                                status=self.status.value, public=self.public.value)
        self.result_view.value = _freshness_html(self.result, "Worked out")
        return self.result

    @property
    def server(self) -> Server:
        """The server live checks go to, started on first use."""
        if self._server is None:
            self._server = serve()
        return self._server

    def _check_live(self) -> None:
        found = exchange(self.server.url + self.live_target.value, "GET")
        now = time.time()
        self.live_report = judge(found)
        if found.response is None:
            self.live = None
            self.live_view.value = _report_html(self.live_report, "Live response")
            return
        self.live = freshness_of_response(found.response, now)
        self.live_view.remove_class("nc-error")
        self.live_view.value = (
            f"<div>The server's {escape(self.live_target.value)}, judged at the moment it "
            "arrived; the controls above now hold its values.</div>"
            + _freshness_html(self.live, "Live")
            + "<details><summary>The exact bytes of the response, and the checker's "
            "findings</summary>"
            + _pre(found.response.raw)
            + _report_html(self.live_report)
            + "</details>"
        )
        live = self.live
        with self._batch():
            self.date.value = formatdate(live.date, usegmt=True)
            self.has_modified.value = live.last_modified is not None
            if live.last_modified is not None:
                self.modified_before.value = _nearest(live.date - live.last_modified)
            self.has_max_age.value = live.max_age is not None
            if live.max_age is not None:
                self.max_age.value = live.max_age
            if live.status not in [code for _, code in self.status.options]:
                self.status.options = _status_options([live.status])
            self.status.value = live.status
            self.public.value = live.public
            self.request_after.value = _nearest(live.age)

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """Change many controls, then recompute once."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
        self.update()

    def close(self) -> None:
        """Close every widget of the calculator; they stop syncing with the page."""
        _close_tree(self.ui)

    def describe(self) -> str:
        """The calculator's working, and the live check's, as plain text."""
        parts = [str(self.result) if self.result else f"Nothing to work out: {self.error}"]
        if self.live is not None:
            parts += ["", "=== live response ===", str(self.live)]
        return "\n".join(parts)


def _verdict_colour(result: Freshness) -> str:
    if result.fresh:
        return _GOOD
    if result.source == "unmeasured":
        return _COLOURS[Level.INFO]  # not stale: the cache's own heuristic decides
    return _COLOURS[Level.MUST]


def _freshness_html(result: Freshness, title: str) -> str:
    rows = [(label, text) for label, text in result.rows() if label != "verdict"]
    return (f'<div><b>{escape(title)}:</b> <b style="color: {_verdict_colour(result)}">'
            f"{_rfc_links(result.verdict())}</b></div>" + _table(rows, links=True))


def freshness_calculator(
    server: Server | None = None,
    *,
    date: str = DEFAULT_DATE,
    modified_before: int | None = 10 * 86400,
    max_age: int | None = None,
    request_after: int = 12 * 3600,
    status: int = 204,
    public: bool = False,
    live_target: str = CACHE_TARGETS[0],
) -> FreshnessCalculator:
    """A freshness calculator; live checks go to ``server`` (:func:`nocontent.serve` by default).

    The keyword arguments set the values it starts with, and returns to on
    Reset: ``date`` (an HTTP-date), ``modified_before`` (seconds from
    Last-Modified to Date, None for no Last-Modified), ``max_age`` (None for
    no ``max-age``), ``request_after`` (seconds from Date to the request),
    ``status``, ``public`` (``Cache-Control: public``) and ``live_target``
    (one of :data:`CACHE_TARGETS`). The two durations must be steps of the
    sliders (:data:`DURATIONS`); a ValueError lists them.
    """
    return FreshnessCalculator(server, date=date, modified_before=modified_before,
                               max_age=max_age, request_after=request_after, status=status,
                               public=public, live_target=live_target)
