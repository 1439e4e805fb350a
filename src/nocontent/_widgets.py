"""Interactive controls for the notebooks: a thin ipywidgets layer.

The widgets only gather input and show results. What a request looks like,
whether it may be sent, what came back and what the checker thinks are all
answered by plain functions (:mod:`nocontent._builder`, :mod:`nocontent._wire`,
:mod:`nocontent._checker`). Results are shown in ``HTML`` widgets whose value
is set from Python, and kept as Python state (``builder.last``,
``builder.history``), so tests and notebook cells can drive a widget with
``.value = ...`` and ``.click()`` and check what happened without a browser.

ipywidgets is imported only when a widget is built, so ``import nocontent``
works without it. Every control carries a stable CSS class (``nc-send``,
``nc-method``, ``nc-verdict``...) for browser tests.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from email.utils import formatdate
from html import escape
from typing import Any

from ._builder import (
    BODY_METHODS,
    METHODS,
    PRESET_METHODS,
    PRESETS,
    BuilderState,
    Freshness,
    Row,
    Sent,
    apply_preset,
    body_bytes,
    document_name,
    duration,
    fields,
    freshness,
    freshness_of_response,
    http_date,
    targets,
    to_request_bytes,
    validate,
)
from ._checker import Level, Report, judge
from ._http import MAX_BODY
from ._server import Server, serve
from ._store import SEED
from ._wire import Exchange, build_request, exchange, exchange_twice, visible

__all__ = [
    "HISTORY",
    "OTHER",
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

_COLOURS = {Level.MUST: "#b00020", Level.SHOULD: "#a35200", Level.INFO: "#1f5fa8"}
_PRE = ("white-space: pre-wrap; word-break: break-all; font-size: 12px; margin: 2px 0; "
        "padding: 4px; background: rgba(127,127,127,0.08)")
_LEFTOVER = _PRE + "; border: 2px solid #b00020"
_TABLE = "border-collapse: collapse; font-size: 12px"
_CELL = "padding: 1px 8px; text-align: left; vertical-align: top"
_RFC = re.compile(r"RFC (\d{4}) §([\d.]+\d)")


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


def _table(rows: list[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    cells = "".join(
        f'<tr><th style="{_CELL}">{escape(a)}</th><td style="{_CELL}">{escape(b)}</td></tr>'
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


def _report_html(report: Report, title: str = "Checker") -> str:
    colour = _COLOURS.get(report.worst, "#1b7f3b") if report.worst else "#1b7f3b"
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


def _problems_html(title: str, problems: list[str] | tuple[str, ...]) -> str:
    items = "".join(f"<li>{_rfc_links(problem)}</li>" for problem in problems)
    return (f'<div style="color: {_COLOURS[Level.MUST]}"><b>{escape(title)}</b></div>'
            f"<ul>{items}</ul>")


def _error_html(message: str) -> str:
    return (f'<div style="color: {_COLOURS[Level.MUST]}"><b>Something went wrong, so the '
            f"result is incomplete.</b></div><div>{escape(message)}</div>")


def _history_html(history: list[Sent]) -> str:
    if not history:
        return "<b>History</b><div>Nothing sent yet.</div>"
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
    return (f"<b>History</b> (newest first, the last {len(history)})"
            f'<table style="{_TABLE}"><tr>{head}</tr>{"".join(rows)}</table>')


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


class RequestBuilder:
    """A request pane: choose a method, a target, headers and a body; send; read the wire.

    Drive it from code as a learner would from the mouse::

        builder.method.value = "PUT"
        builder.presets["If-Match"].click()
        builder.body.value = "new text"
        builder.send.click()
        builder.last.report        # the checker's verdict on what came back

    Attributes:
        server: the embedded server the requests go to.
        last: the last send (:class:`nocontent._builder.Sent`), or None.
        history: the last :data:`HISTORY` sends, oldest first.
        problems: why the last press of Send sent nothing (empty when it sent).
        error: the last unexpected error, in words, or None.
    """

    def __init__(
        self, server: Server | None = None, *, grace: float = 0.5, history: int = HISTORY
    ) -> None:
        w = _ipywidgets()
        self.server = server if server is not None else serve()
        self.grace = grace
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
            method = PRESET_METHODS.get(name)
            tip = f"switch on {lines}" + (f" (and choose {method})" if method else "")
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
        self.second = w.Checkbox(value=False, indent=False,
                                 description="then, on the same connection, GET"
                                 ).add_class("nc-second")
        self.then = w.Combobox(value="/", options=choices, ensure_option=False, disabled=True,
                               layout=w.Layout(width="16em")).add_class("nc-then")
        self.request_view = w.HTML().add_class("nc-request")
        self.response_view = w.HTML().add_class("nc-response")
        self.verdict = w.HTML().add_class("nc-verdict")
        self.history_view = w.HTML(_history_html([])).add_class("nc-history")

        refresh = self._guard(lambda _change: self.refresh())
        for control in (self.method, self.other_method, self.target, self.body, self.second,
                        self.then):
            control.observe(refresh, names="value")
        self.add_header.on_click(self._guard(lambda _b: self.add_row()))
        self.send.on_click(self._guard(lambda _b: self._send()))

        hint = w.HTML("<b>Headers</b>: a preset switches its rows on; the box at the start of "
                      "a row switches it off.")
        result = w.HBox([self.request_view, self.response_view],
                        layout=w.Layout(width="100%", align_items="flex-start"))
        self.request_view.layout.width = "50%"
        self.response_view.layout.width = "50%"
        self.ui = w.VBox([
            self.method,
            self.other_method,
            self.target,
            hint,
            w.HBox(list(self.presets.values()), layout=w.Layout(flex_flow="row wrap")),
            self._rows_box,
            self.add_header,
            self.body,
            w.HBox([self.send, self.second, self.then]),
            result,
            self.verdict,
            self.history_view,
        ]).add_class("nc-builder")
        self.refresh()

    # -- display -------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "<nocontent request builder>"
        return bundle

    def close(self) -> None:
        """Close every widget of the builder; they stop syncing with the page."""
        _close_tree(self.ui)

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
        """The current ETag of the document the target names, or None."""
        name = document_name(self.target.value)
        document = self.server.app.store.get(name) if name else None
        return document.etag if document else None

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

    # -- preview, send, results --------------------------------------------------------

    def refresh(self) -> bytes | None:
        """Show the request the controls describe, before it is sent; return its bytes.

        None (and the reasons, in the request area) when it cannot be sent.
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
            return None
        data = to_request_bytes(state, self.server.url)
        requests = [data]
        if then is not None:
            requests.append(build_request("GET", self.server.url + then))
        self.request_view.value = _request_html("Request (not sent yet)", requests)
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
        if then is None:
            data = to_request_bytes(state, self.server.url)
            first = exchange(url, state.method, raw=data, grace=self.grace)
        else:
            first, second = exchange_twice(url, state.method, fields(state), body_bytes(state),
                                           then=then, grace=self.grace)
        self._count += 1
        sent = Sent(number=self._count, state=state, exchange=first, report=judge(first),
                    second=second, second_report=None if second is None else judge(second))
        self.last = sent
        self.history.append(sent)
        self._show(sent)
        return sent

    def _show(self, sent: Sent) -> None:
        requests = [sent.exchange.request]
        if sent.second is not None and sent.second.request:
            requests.append(sent.second.request)
        self.request_view.value = _request_html(f"Request #{sent.number}, as sent", requests)
        response = _exchange_html(sent.exchange, "Response")
        verdict = _report_html(sent.report)
        if sent.second is not None and sent.second_report is not None:
            response += _exchange_html(sent.second, "What the client read next, as the answer "
                                       "to its second request")
            verdict += _report_html(sent.second_report, "Checker, second response")
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
        if sent.second is not None and sent.second_report is not None:
            parts += ["", "=== then, on the same connection ===", str(sent.second), "",
                      sent.second_report.table()]
        return "\n".join(parts)

    def history_lines(self) -> list[str]:
        """One line per send in the history, oldest first."""
        return [sent.summary() for sent in self.history]


def request_builder(server: Server | None = None, *, grace: float = 0.5) -> RequestBuilder:
    """A request builder for the embedded server (:func:`nocontent.serve` by default).

    Display it as the last expression of a cell. ``grace`` is how long it
    listens after a response ends for bytes left on the connection; half a
    second catches a late stray body.
    """
    return RequestBuilder(server, grace=grace)


# -- the freshness calculator ---------------------------------------------------------


def _nearest(value: float) -> int:
    return min(DURATIONS, key=lambda step: abs(step - value))


class FreshnessCalculator:
    """Work out whether a stored response is fresh: sliders in, RFC 9111 arithmetic out.

    Attributes:
        result: the calculator's :class:`nocontent._builder.Freshness`, or None
            while the Date field is not a date.
        live: the freshness of the last live response checked, or None.
        live_report: the checker's verdict on that response.
    """

    def __init__(self, server: Server | None = None) -> None:
        w = _ipywidgets()
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
        self.request_after = w.SelectionSlider(
            options=options, value=12 * 3600, description="request time after Date",
            style=wide, layout=w.Layout(width="40em")).add_class("nc-fresh-request")
        self.result_view = w.HTML().add_class("nc-fresh-result")
        self.live_target = w.Dropdown(options=CACHE_TARGETS, value=CACHE_TARGETS[0],
                                      description="live response", style=wide
                                      ).add_class("nc-fresh-target")
        self.check_live = w.Button(description="Check against the server",
                                   layout=w.Layout(width="auto")).add_class("nc-check-live")
        self.live_view = w.HTML().add_class("nc-fresh-live")

        update = self._guard(lambda _change: self.update())
        for control in (self.date, self.has_modified, self.modified_before, self.has_max_age,
                        self.max_age, self.request_after):
            control.observe(update, names="value")
        self.check_live.on_click(self._guard(lambda _b: self._check_live()))
        self.ui = w.VBox([
            self.date,
            w.HBox([self.has_modified, self.modified_before]),
            w.HBox([self.has_max_age, self.max_age]),
            self.request_after,
            self.result_view,
            w.HBox([self.live_target, self.check_live]),
            self.live_view,
        ]).add_class("nc-freshness")
        self.update()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "<nocontent freshness calculator>"
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
        self.result = freshness(date, modified, max_age, date + self.request_after.value)
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
            + _pre(found.response.raw)
            + _freshness_html(self.live, "Live")
            + _report_html(self.live_report)
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


def _freshness_html(result: Freshness, title: str) -> str:
    colour = "#1b7f3b" if result.fresh else _COLOURS[Level.MUST]
    lines = "".join(f"<div>{_rfc_links(line)}</div>" for line in result.lines()[:-1])
    return (f'<div><b>{escape(title)}:</b> <b style="color: {colour}">'
            f"{escape(result.verdict())}</b></div>"
            f'<div style="font-family: monospace; font-size: 12px; white-space: pre">{lines}'
            "</div>")


def freshness_calculator(server: Server | None = None) -> FreshnessCalculator:
    """A freshness calculator; live checks go to ``server`` (:func:`nocontent.serve` by default)."""
    return FreshnessCalculator(server)
