"""Showing saved captures and the client matrix as text, for notebook 08.

Everything here reads saved data only (no sockets, no toolchains) and returns
plain strings, so a notebook cell prints the same thing on every machine.
"""

from __future__ import annotations

import textwrap
from typing import Any

from .._checker import judge
from .._wire import visible
from .capture import exchange_of, expected, report_of

__all__ = [
    "column",
    "compare",
    "fate",
    "names",
    "next_request",
    "panel",
    "protection",
    "side_by_side",
    "summary",
    "table",
    "wire_text",
]

WIDTH = 52
"""Width of one column in :func:`compare`."""


def _grid(rows: list[tuple[str, ...]]) -> str:
    """Rows of cells as left-aligned columns, two spaces apart."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                     .rstrip() for row in rows)


def next_request(case: dict[str, Any]) -> str:
    """What the second request on the connection got, in a few words."""
    second = case["second"]
    if second["status"] is not None:
        return f"{second['status']} (its own answer)"
    error = second["error"] or ""
    if "closed the connection with no response" in error:
        return "nothing: connection closed"
    if error.startswith("illegal status line"):
        return "garbled: " + error.split(": ", 1)[1]
    if error.startswith("closed inside the header section"):
        return "garbled: " + error.split(": ", 1)[1] + ", then closed"
    return error


def _framing(case: dict[str, Any]) -> str:
    response = exchange_of(case).response
    fields = [f"{name}: {value}" for name, value in (response.headers if response else ())
              if name.lower() in ("content-length", "transfer-encoding")]
    return ", ".join(fields) or "-"


def summary(captures: dict[str, dict[str, Any]]) -> str:
    """One line per case: status, framing fields, stray bytes, the next request, the verdict."""
    rows = [("FRAMEWORK", "CASE", "STATUS", "FRAMING FIELDS", "STRAY", "NEXT REQUEST GOT",
             "CHECKER")]
    for data in captures.values():
        for case in data["cases"]:
            found = exchange_of(case)
            report = judge(found)
            rows.append((
                data["framework"],
                case["case"],
                str(found.status or "-"),
                _framing(case),
                repr(found.leftover.decode("latin-1")) if found.leftover else "-",
                next_request(case),
                "pass" if report.passed else "FAIL",
            ))
    return _grid(rows)


def side_by_side(left: str, right: str, *, titles: tuple[str, str] = ("", ""),
                 width: int = WIDTH) -> str:
    """Two texts in columns of ``width`` characters; longer lines are wrapped."""

    def lines(text: str) -> list[str]:
        out = []
        for line in text.splitlines() or [""]:
            out += textwrap.wrap(line, width, subsequent_indent="    ", break_on_hyphens=False,
                                 drop_whitespace=True) or [""]
        return [line.rstrip() for line in out]

    a, b = lines(left), lines(right)
    if any(titles):
        a, b = [titles[0], "-" * width, *a], [titles[1], "-" * width, *b]
    a += [""] * (len(b) - len(a))
    b += [""] * (len(a) - len(b))
    return "\n".join(f"{x:<{width}} | {y}".rstrip() for x, y in zip(a, b, strict=True))


def wire_text(case: dict[str, Any]) -> str:
    """The case's response as the wire view shows it, then any stray bytes and a close."""
    received = case["received"].encode("latin-1")
    text = visible(received) if received else "(nothing)\n"
    if case["leftover"]:
        text += "... then, on the connection:\n" + visible(case["leftover"].encode("latin-1"))
        text = text.rstrip("\n") + "\n"
    if case["closed"]:
        text += "[the server closed the connection]\n"
    return text.rstrip("\n")


def panel(data: dict[str, Any], name: str, *, title: bool = False) -> str:
    """One case as a column: its code, its bytes, what followed, and the checker's verdict."""
    case = next(c for c in data["cases"] if c["case"] == name)
    report = report_of(case)
    lines = [f"{data['framework']}: {name}", "-" * WIDTH] if title else []
    lines += [case["code"], "", wire_text(case), ""]
    lines += [f"app said: {note}" for note in case["notes"]]
    lines.append(f"next request got: {next_request(case)}")
    lines.append(f"checker: {'pass' if report.passed else 'FAIL'}"
                 + (f", {report.count(report.worst)} {report.worst}" if report.findings else ""))
    for finding in report.findings:
        lines += [f"  {finding.rule.level} {finding.rule.id}", f"    {finding.rule.rfc}"]
    if report.rule_ids != expected(data["framework"], name):
        lines.append(f"  (the course expected {expected(data['framework'], name)})")
    return "\n".join(lines)


def compare(data: dict[str, Any], left: str, right: str | None = None) -> str:
    """Two cases of one framework side by side: code, bytes, what followed, the verdict."""
    if right is None:
        return panel(data, left, title=True)
    return side_by_side(panel(data, left, title=True), panel(data, right, title=True))


_REFUSALS = ("threw", "ERROR", "not allow")
"""Words in an app's report that mean the framework refused the body with an error."""


def fate(data: dict[str, Any], name: str) -> str:
    """What the framework did with a mistaken 204, in a few words."""
    case = next(c for c in data["cases"] if c["case"] == name)
    found = exchange_of(case)
    if found.status != 204:
        return f"turned into a {found.status} error page"
    refused = any(word in note for note in case["notes"] for word in _REFUSALS)
    if found.leftover:
        what = "body SENT after the header section"
    elif refused and case["closed"]:
        what = "body refused with an error; connection closed"
    elif refused:
        what = "body refused with an error for the handler"
    else:
        what = "nothing sent after the header section"
    framing = _framing(case)
    return what + ("" if framing == "-" else f"; {framing} sent as given")


def protection(captures: dict[str, dict[str, Any]]) -> str:
    """For every mistake: the framework, the case, and what became of the body."""
    rows = [("FRAMEWORK", "VERSION", "MISTAKE", "WHAT BECAME OF THE BODY")]
    for data in captures.values():
        for case in data["cases"]:
            if case["mistake"]:
                rows.append((data["framework"], data["version"], case["case"],
                             fate(data, case["case"])))
    return _grid(rows)


def names(captures: dict[str, dict[str, Any]]) -> str:
    """The names each framework gives 204, as its own code reported them."""
    rows = [("FRAMEWORK", "NAME", "VALUE")]
    versions = {"version", "python", "php", "ruby", "webrick", "werkzeug", "uvicorn", "h11",
                "httptools", "llhttp"}
    seen = set()
    for data in captures.values():
        for key, value in data["names"].items():
            if key in versions or key in seen:
                continue
            seen.add(key)
            rows.append((data["framework"], key, repr(value)))
    return _grid(rows)


_SHORT = {"ok": "ok", "first fails": "1st FAILS", "second fails": "2nd FAILS",
          "poisoned": "2nd POISONED"}


def table(matrix: dict[str, Any]) -> str:
    """The client matrix: a row per client, a column per case, a short verdict per cell.

    ``+new`` marks an ok cell where the client opened a new connection for the second request.
    """
    cases = [case["id"] for case in matrix["cases"]]
    cells = {(row["client"], row["case"]): row for row in matrix["rows"]}
    rows = [("CLIENT", *cases)]
    for client in matrix["clients"]:
        line = [client["name"]]
        for case in cases:
            row = cells.get((client["name"], case))
            if row is None:
                line.append("-")
                continue
            text = _SHORT.get(row["verdict"], row["verdict"])
            if row["verdict"] == "ok" and row["reused"] is False and client["name"] != (
                    "urllib.request"):
                text += " +new"
            line.append(text)
        rows.append(tuple(line))
    return _grid(rows)


def column(matrix: dict[str, Any], case: str) -> str:
    """Every client's outcome for one case: first request, second request, reuse."""
    rows = [("CLIENT", "FIRST REQUEST", "SECOND REQUEST", "SAME CONNECTION")]
    shown = {True: "yes", False: "no", None: "(not shown)"}
    for row in matrix["rows"]:
        if row["case"] == case:
            rows.append((row["client"], row["first"], row["second"].replace("\r\n", "\\r\\n"),
                         shown[row["reused"]]))
    return _grid(rows)
