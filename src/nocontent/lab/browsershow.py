"""The browser lab's results as small tables, for notebook 15.

The saved captures (``notebooks/data/browsers/*.json``, written by
``python -m nocontent lab browsers``) and a learner's own results (``GET
/browser-lab/results``) are shown side by side with what the specs predict,
one row per experiment, each result in a few words. A cell that departs from
the spec's prediction is marked; the notebook's prose says why and links the
public bug.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._browserlab import EXPERIMENTS, GROUPS, departures, experiment
from . import data_dir
from .browsers import load_browsers
from .show import Table

__all__ = [
    "DEPARTS",
    "Message",
    "Shown",
    "compare",
    "engines",
    "latest_run",
    "predicted",
    "reveal",
    "saved",
    "summary",
    "table",
]

DEPARTS = " ✗"
"""Appended to a result that departs from the spec's prediction."""
_EITHER = "either (the specs allow both)"
_EXERCISES = {"navigation": "\"a frame that navigates\"", "fetch": "\"what a script gets\"",
              "cache": "\"the same GET twice\""}
"""The notebook's exercise whose prediction opens each group's table."""

Captures = dict[str, dict[str, Any]]


class Message(str):
    """A sentence shown as it is, in a notebook and in a terminal."""

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Shown:
    """A line of text above a table."""

    caption: str
    table: Table

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.caption)}</p>{self.table._repr_html_()}"

    def __repr__(self) -> str:
        return f"{self.caption}\n\n{self.table}"


def saved() -> Captures:
    """Every saved engine capture, by engine (chromium, firefox, webkit)."""
    return load_browsers(data_dir() / "browsers")


def engines(captures: Captures) -> Table:
    """Each captured engine: its version, the package, how it was driven, and when."""
    return Table(("engine", "version", "Debian package", "driven by", "captured"),
                 tuple((c["title"], c["version"], c["package"], c["driver"], c["captured"])
                       for c in captures.values()))


# -- one result in a few words ------------------------------------------------------------------


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def summary(name: str, result: Mapping[str, Any]) -> str:
    """Experiment ``name``'s result (or part of one, such as a prediction) in a few words."""
    if "skipped" in result:
        return "not run"
    if "error" in result:
        return f"error: {result['error']}"
    group = experiment(name).group
    get = result.get
    words: list[str] = []
    if name == "form.reset-205":
        words.append(f"fields {get('fields')}")
        if get("reset_events"):
            words.append(f"{get('reset_events')} reset event(s)")
    elif group == "navigation":
        words.append("new document" if get("navigated") else "stayed")
    elif name in ("fetch.204", "fetch.205"):
        words += [f"ok {_value(get('ok'))}", f"body {get('body')}"]
        if "text" in result:
            words += [f"text() {_value(get('text'))}", f"json() {get('json')}"]
    elif name == "fetch.put-etag":
        words.append(f"{get('status')}, ETag {get('etag')}")
    elif name == "response.constructor":
        words.append(f'"x": {get("x")}, "": {get("empty")}, null: body {get("null")}')
    elif name == "xhr.json":
        words.append(f"response {_value(get('response'))}")
    elif name == "beacon":
        words.append(f"returned {_value(get('returned'))}, {get('reached')} "
                     f"{get('method')} reached the server")
    elif group == "cors":
        etag = get("etag")
        words.append(f"{get('preflights')} preflight, {get('status')}, ETag "
                     f"{'hidden (null)' if etag is None else etag}, Last-Modified "
                     f"{get('last_modified') or 'hidden'}")
    elif group == "cache":
        words.append(f"{get('reached')} of 2 reached the server")
        if get("revalidated"):
            words.append("the second as a revalidation")
    elif name == "broken.body":
        words.append(f"1st {get('first')}; 2nd {get('second')}")
    elif name == "http2":
        words += [f"over {get('version')}"] if "version" in result else []
        words += [f"{get('status')}", f"ok {_value(get('ok'))}", f"body {get('body')}"]
    elif name == "http3":
        seen = get("versions") or []
        moved = "HTTP/3" in seen
        words.append(f"moved to HTTP/3 at request {seen.index('HTTP/3') + 1}" if moved
                     else f"stayed on {', '.join(sorted(set(seen)))} for {len(seen)} requests")
    return ", ".join(words)


def predicted(name: str) -> str:
    """What the specs predict for experiment ``name``, in the words of :func:`summary`."""
    found = experiment(name)
    if found.predicted is None:
        return _EITHER
    text = summary(name, found.predicted)
    if found.group == "cache":
        text = text.replace(" of 2 reached", " of 2 reaches")
    return text


def _cell(name: str, result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "-"
    return summary(name, result) + (DEPARTS if departures(name, result) else "")


def _rows(names: Iterable[str], columns: list[Mapping[str, Any]]) -> tuple[tuple[str, ...], ...]:
    return tuple((name, predicted(name), *(_cell(name, found.get(name)) for found in columns))
                 for name in names)


def table(captures: Captures, group: str, *more: str) -> Table:
    """The experiments of ``group`` (and ``more`` groups): what the specs predict, and what
    each engine did."""
    wanted = (group, *more)
    for name in wanted:
        if name not in GROUPS:
            raise ValueError(f"no group {name!r}; groups: {', '.join(GROUPS)}")
    names = [found.name for found in EXPERIMENTS if found.group in wanted]
    header = ("experiment", "the specs predict", *(c["title"] for c in captures.values()))
    return Table(header, _rows(names, [c["results"] for c in captures.values()]))


def _complete(prediction: Any) -> bool:
    if isinstance(prediction, Mapping):
        return bool(prediction) and all(_complete(value) for value in prediction.values())
    return prediction is not None and prediction is not ...


def reveal(captures: Captures, group: str, prediction: Any) -> Table | Message:
    """:func:`table` of ``group``, once every value of ``prediction`` is filled in."""
    if not _complete(prediction):
        exercise = _EXERCISES.get(group, "its")
        return Message(f"Fill in every prediction of the exercise {exercise} (Predict first) "
                       "and run it; then run this cell again to see what the three engines did.")
    return table(captures, group)


# -- a learner's own browser -----------------------------------------------------------------


def latest_run(results: list[Mapping[str, Any]]) -> tuple[str, dict[str, Any], str] | None:
    """The newest run in ``results`` (from ``GET /browser-lab/results``): its id, its
    results by experiment, and its user agent; None when nothing has arrived."""
    if not results:
        return None
    run = results[-1]["run"]
    mine = [entry for entry in results if entry["run"] == run]
    return run, {entry["experiment"]: entry["result"] for entry in mine}, mine[-1]["user_agent"]


def compare(captures: Captures, results: list[Mapping[str, Any]]) -> Shown | Message:
    """The newest run of a learner's browser beside the three engines, every experiment."""
    found = latest_run(results)
    if found is None:
        return Message("No browser has reported yet. Open the experiment page (the link "
                       "above), wait until it says Done, then run this cell again.")
    run, mine, agent = found
    header = ("experiment", "the specs predict", "your browser",
              *(c["title"] for c in captures.values()))
    rows = _rows([e.name for e in EXPERIMENTS], [mine, *(c["results"] for c in captures.values())])
    count = sum(name in mine for name in (e.name for e in EXPERIMENTS))
    caption = (f"Run {run}: {count} of {len(EXPERIMENTS)} experiments reported by {agent}. "
               f"{DEPARTS.strip()} marks a result that departs from the spec's prediction.")
    return Shown(caption, Table(header, rows))
