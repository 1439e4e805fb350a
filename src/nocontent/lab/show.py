"""The lab's saved data as small tables, for notebooks 13 (servers), 14 (clients) and 05.

Every function returns a :class:`Table`: a notebook draws it as an HTML table,
a terminal prints it as aligned text. All of them read the files saved under
``notebooks/data`` (no sockets, no toolchains), so a cell shows the same thing
on every machine; only :func:`live` runs something: Python clients against a
fresh embedded server, to compare with the saved matrix.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._frames import FrameExchange
from .._wire import Exchange, visible
from . import data_dir
from .capture import exchange_of, expected, load_captures, report_of
from .clients import load_clients, run_clients

__all__ = [
    "BODY_SHOWN",
    "FRAMING_ONLY",
    "SHORT",
    "Pre",
    "Table",
    "cases",
    "clients",
    "column",
    "compare",
    "fate",
    "handlers",
    "live",
    "names",
    "next_request",
    "protection",
    "row",
    "saved_captures",
    "saved_h2h3",
    "saved_matrix",
    "setups",
    "side_by_side",
    "table",
    "table_h2h3",
    "wire_text",
]

Captures = dict[str, dict[str, Any]]
Matrix = dict[str, Any]


SHORT = 20
"""Cells of at most this many characters and no space are kept on one line in HTML."""


class Pre(str):
    """A cell shown as preformatted text: bytes on the wire, a handler's code."""

    __slots__ = ()


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header: HTML in a notebook, aligned text elsewhere.

    A cell is a string; a :class:`Pre` cell keeps its line breaks and spacing.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def _repr_html_(self) -> str:
        def cell(text: str, tag: str) -> str:
            shown = html.escape(text)
            style = "text-align:left; vertical-align:top"
            if isinstance(text, Pre):
                shown = f'<pre style="margin:0; background:none">{shown}</pre>'
            elif len(text) <= SHORT and " " not in text:
                style += "; white-space:nowrap"  # a name or a date, not split across lines
            return f'<{tag} style="{style}">{shown}</{tag}>'

        head = "".join(cell(text, "th") for text in self.header)
        body = "".join("<tr>" + "".join(cell(text, "td") for text in row) + "</tr>"
                       for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        lines = [[text.splitlines() or [""] for text in row] for row in (self.header, *self.rows)]
        widths = [max(len(line) for row in lines for line in row[col])
                  for col in range(len(self.header))]
        out = []
        for index, row in enumerate(lines):
            for depth in range(max(len(cell) for cell in row)):
                out.append("  ".join((cell[depth] if depth < len(cell) else "").ljust(width)
                                     for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                out.append("  ".join("-" * width for width in widths))
        return "\n".join(out)

    __repr__ = __str__


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    return Table(tuple(header), tuple(tuple(row) for row in rows))


def saved_captures() -> Captures:
    """Every saved framework capture, by setup name, in the lab's order."""
    return load_captures(data_dir() / "captures")


def saved_matrix() -> Matrix:
    """The saved client matrix."""
    return load_clients(data_dir() / "clients.json")


def saved_h2h3() -> Matrix:
    """The saved client matrix over HTTP/2 and HTTP/3."""
    return load_clients(data_dir() / "clients-h2h3.json")


# -- what real servers send (notebook 12) ---------------------------------------------------

_EXTRA_VERSIONS = ("werkzeug", "uvicorn", "h11", "httptools", "llhttp", "actionpack", "rack",
                   "puma", "webrick", "ruby", "php", "python")
"""Keys of a capture's ``names`` that are versions of what ran under the framework."""


def setups(captures: Captures) -> Table:
    """Each captured setup: what it is, the versions that ran, what served it, and when."""
    rows = []
    for name, data in captures.items():
        extra = [f"{key} {data['names'][key]}" for key in _EXTRA_VERSIONS
                 if key in data["names"] and data["names"][key] != data["version"]]
        rows.append((name, data["title"], ", ".join([data["version"], *extra]), data["server"],
                     data.get("captured", "unknown")))
    return _table(("setup", "framework", "versions", "served by", "captured"), rows)


def _case(captures: Captures, framework: str, name: str) -> dict[str, Any]:
    return next(case for case in captures[framework]["cases"] if case["case"] == name)


def handlers(captures: Captures, chosen: dict[str, tuple[str, str]]) -> Table:
    """The handler code of each chosen (setup, case), under its label: the code, no outcome."""
    return _table(("label", "setup", "the handler"),
                  [(label, framework, Pre(_case(captures, framework, name)["code"]))
                   for label, (framework, name) in chosen.items()])


def _announced_close(case: dict[str, Any]) -> bool:
    response = exchange_of(case).response
    value = (response.header("Connection") or "") if response else ""
    return "close" in value.lower()


def next_request(case: dict[str, Any]) -> str:
    """What the second request on the connection got, in a few words."""
    second = case["second"]
    if second["status"] is not None:
        return f"its own answer ({second['status']})"
    error = second["error"] or ""
    if "closed the connection with no response" in error:
        if _announced_close(case):
            return "nothing: the server closed the connection, as its Connection: close said"
        return "nothing: the server closed the connection without announcing it"
    if error.startswith("illegal status line"):
        return "garbled: " + error.split(": ", 1)[1]
    if error.startswith("closed inside the header section"):
        return "garbled: " + error.split(": ", 1)[1] + ", then closed"
    return error


BODY_SHOWN = 100
"""Bytes of a response body shown at most; a longer body is cut at its first line."""


def wire_text(case: dict[str, Any]) -> str:
    """The case's response as the wire view shows it, then any stray bytes and a close.

    A body longer than :data:`BODY_SHOWN` bytes (an error page) is cut after its first line.
    """
    received = case["received"].encode("latin-1")
    response = exchange_of(case).response
    if response is not None and len(response.body) > BODY_SHOWN:
        body = response.body
        cut = min(body.find(b"\n") + 1 or BODY_SHOWN, BODY_SHOWN)
        text = (visible(response.head) + visible(body[:cut])
                + f"[... {len(body) - cut} more bytes of the body]\n")
    else:
        text = visible(received) if received else "(nothing)\n"
    if case["leftover"]:
        text += "... then, on the connection:\n" + visible(case["leftover"].encode("latin-1"))
        text = text.rstrip("\n") + "\n"
    if case["closed"]:
        text += "[the server closed the connection]\n"
    return text.rstrip("\n")


def _verdict(framework: str, case: dict[str, Any]) -> str:
    report = report_of(case)
    text = "pass" if report.passed else "FAIL: " + ", ".join(
        f"{finding.rule.id} ({finding.rule.rfc})" for finding in report.findings)
    if report.rule_ids != expected(framework, case["case"]):
        text += f" (the course expected {', '.join(expected(framework, case['case']))})"
    return text


def compare(captures: Captures, *chosen: tuple[str, str]) -> Table:
    """Cases side by side, one column each: the handler, its bytes, what followed, the verdict."""
    found = [(framework, _case(captures, framework, name)) for framework, name in chosen]
    rows = [("handler", *(Pre(case["code"]) for _, case in found)),
            ("on the wire", *(Pre(wire_text(case)) for _, case in found))]
    if any(case["notes"] for _, case in found):
        rows.append(("the app said", *("\n".join(case["notes"]) or "-" for _, case in found)))
    rows.append(("next request got", *(next_request(case) for _, case in found)))
    rows.append(("checker", *(_verdict(framework, case) for framework, case in found)))
    return _table(("", *(f"{framework}: {case['case']}" for framework, case in found)), rows)


_REFUSALS = ("threw", "ERROR", "not allow")
"""Words in an app's report that mean the framework refused the body with an error."""


def _framing(case: dict[str, Any]) -> str:
    response = exchange_of(case).response
    fields = [f"{name}: {value}" for name, value in (response.headers if response else ())
              if name.lower() in ("content-length", "transfer-encoding")]
    return ", ".join(fields)


FRAMING_ONLY: dict[tuple[str, str], str] = {("go-net-http", "content-length"): "Content-Length"}
"""Mistakes whose handler writes no body, only a framing field: (setup, case) -> its name."""


def fate(case: dict[str, Any], *, framing_only: str | None = None) -> str:
    """What the framework did with the body of a mistaken 204, in a few words.

    ``framing_only`` names the framing field of a mistake that has no body
    (:data:`FRAMING_ONLY`): its fate is that field's, sent or removed.
    """
    found = exchange_of(case)
    if found.status != 204:
        return f"turned into a {found.status} error page"
    framing = _framing(case)
    if framing_only is not None and not found.leftover:
        return "no body; " + (f"{framing} sent as given" if framing else f"{framing_only} removed")
    refused = any(word in note for note in case["notes"] for word in _REFUSALS)
    if found.leftover:
        what = "body SENT after the header section"
    elif refused and case["closed"]:
        what = "body refused with an error; connection closed"
    elif refused:
        what = "body refused with an error for the handler"
    else:
        what = "body dropped without a word"
    return what + (f"; {framing} sent as given" if framing else "")


def protection(captures: Captures) -> Table:
    """Every mistake: the setup, its version, the case, and what became of the body."""
    rows = [(name, data["version"], case["case"],
             fate(case, framing_only=FRAMING_ONLY.get((name, case["case"]))))
            for name, data in captures.items() for case in data["cases"] if case["mistake"]]
    return _table(("setup", "version", "mistake", "what became of the body"), rows)


def names(captures: Captures) -> Table:
    """The names each framework gives 204, as its own running code reported them."""
    rows, seen = [], set()
    for name, data in captures.items():
        for key, value in data["names"].items():
            if key in (*_EXTRA_VERSIONS, "version") or key in seen:
                continue
            seen.add(key)
            rows.append((name, key, repr(value)))
    return _table(("setup", "name", "value"), rows)


# -- what real clients do (notebook 13) -----------------------------------------------------


def clients(matrix: Matrix) -> Table:
    """Each client of the matrix: how the lab drove it, its versions, when it was run.

    For the HTTP/2 and HTTP/3 matrix, the protocol each client spoke comes second.
    """
    over = any("protocol" in c for c in matrix["clients"])
    return _table(("client", *(("over",) if over else ()), "driven as", "versions", "captured"),
                  [(c["name"], *((c["protocol"],) if over else ()), c["how"], c["version"],
                    c.get("captured", "unknown"))
                   for c in matrix["clients"]])


def cases(matrix: Matrix) -> Table:
    """Each case of the matrix: the first request's path and what the server sends for it."""
    return _table(("case", "first request", "what comes back"),
                  [(c["id"], f"GET {c['path']}", c["what"]) for c in matrix["cases"]])


_SHORT = {"ok": "ok", "first fails": "1st FAILS", "second fails": "2nd FAILS",
          "poisoned": "2nd POISONED"}


def _rows(matrix: Matrix) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["client"], r["case"]): r for r in matrix["rows"]}


def table(matrix: Matrix) -> Table:
    """The matrix: a row per client, a column per case, a short verdict per cell.

    ``+new`` marks an ok cell where the client opened a new connection for the
    second request (urllib.request always does, so it is not marked).
    """
    ids = [case["id"] for case in matrix["cases"]]
    cells = _rows(matrix)
    rows = []
    for client in matrix["clients"]:
        line = [client["name"]]
        for case in ids:
            found = cells.get((client["name"], case))
            if found is None:
                line.append("-")
                continue
            text = _SHORT.get(found["verdict"], found["verdict"])
            if (found["verdict"] == "ok" and found["reused"] is False
                    and client["name"] != "urllib.request"):
                text += " +new"
            line.append(text)
        rows.append(line)
    return _table(("client", *ids), rows)


_SAME = {True: "yes", False: "no", None: "(not shown)"}


def column(matrix: Matrix, case: str) -> Table:
    """Every client's outcome for one case: first request, second request, same connection."""
    return _table(("client", "first request", "second request", "same connection"),
                  [(r["client"], r["first"], r["second"], _SAME[r["reused"]])
                   for r in matrix["rows"] if r["case"] == case])


def row(matrix: Matrix, client: str) -> Table:
    """One client's outcome in every case, and what the client itself reported, if anything."""
    found = [r for r in matrix["rows"] if r["client"] == client]
    said = ["\n".join(n for n in r["notes"] if not n.startswith("exit status")) for r in found]
    header = ("case", "first request", "second request", "same connection")
    rows = [(r["case"], r["first"], r["second"], _SAME[r["reused"]]) for r in found]
    if any(said):
        header += ("it said",)
        rows = [(*line, Pre(text) if text else "-") for line, text in zip(rows, said, strict=True)]
    return _table(header, rows)


def live(matrix: Matrix, chosen: Sequence[str], case: str) -> Table:
    """Run Python clients through one case now, next to what the saved matrix says.

    Runs against a fresh embedded server of its own and prints nothing.
    """
    _, rows, _ = run_clients(chosen, cases=[case], say=lambda text: None)
    saved = _rows(matrix)
    return _table(("client", "second request, saved", "second request, now", "same connection, now",
                   "as saved"),
                  [(r["client"], saved[(r["client"], case)]["second"], r["second"],
                    _SAME[r["reused"]],
                    "yes" if r == {**saved[(r["client"], case)], "notes": r["notes"]} else "NO")
                   for r in rows])


# -- HTTP/2 and HTTP/3 (notebook 05) --------------------------------------------------------

_READING = {"204": "204", "204 + content": "204 +DATA", "204 + trailers": "204 +trailers",
            "refused": "REFUSED"}
_NEXT = {"same connection": "", "answered": "", "new connection": " +new",
         "fails": " / 2nd FAILS"}


def table_h2h3(matrix: Matrix) -> Table:
    """The HTTP/2 and HTTP/3 matrix: a row per client, a column per case, a few words per cell.

    A cell says what the client made of the first response: ``204`` (taken, nothing
    more), ``204 +DATA`` (taken with its content), ``204 +trailers`` (taken, trailers
    handed over) or ``REFUSED`` (an error). ``+new`` marks a second request that went
    over a new connection, ``/ 2nd FAILS`` one that did not get its answer.
    """
    ids = [case["id"] for case in matrix["cases"]]
    cells = _rows(matrix)
    rows = []
    for client in matrix["clients"]:
        line = [client["name"], client["protocol"]]
        for case in ids:
            found = cells.get((client["name"], case))
            line.append("-" if found is None else
                        _READING[found["reading"]] + _NEXT[found["next"]])
        rows.append(line)
    return _table(("client", "over", *ids), rows)


def _sides(found: Exchange | FrameExchange) -> tuple[str, str, str, str]:
    """What one exchange sent and received, where its response ended, and its status."""
    if isinstance(found, FrameExchange):
        mine = found.on_stream()
        sent = "\n".join(str(frame) for frame in mine if frame.sent)
        received = "\n".join(str(frame) for frame in mine if not frame.sent)
    else:
        sent, received = visible(found.request), visible(found.received)
    response = found.response
    if response is None:
        return sent.rstrip("\n"), received.rstrip("\n"), f"no response: {found.error}", "-"
    status = (f"{response.status} {response.reason}" if response.reason
              else f"{response.status}, no reason phrase")
    return sent.rstrip("\n"), received.rstrip("\n"), response.framing, status


def side_by_side(exchanges: Mapping[str, Exchange | FrameExchange]) -> Table:
    """Exchanges of the same request over several versions, one column each.

    Rows: what was sent and received (the bytes for HTTP/1.1; for HTTP/2 and
    HTTP/3 the frames of the request's own stream, connection set-up left
    out), where the response ended, and its status.
    """
    sides = [_sides(found) for found in exchanges.values()]
    rows = [("sent", *(Pre(side[0]) for side in sides)),
            ("received", *(Pre(side[1]) for side in sides)),
            ("where it ends", *(side[2] for side in sides)),
            ("status", *(side[3] for side in sides))]
    return _table(("", *exchanges), rows)
