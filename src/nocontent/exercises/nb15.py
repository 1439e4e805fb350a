"""Exercises of notebook 15, browsers first-hand: predict each row before it is revealed.

Each judge compares the learner's prediction with what the three engines did
in the saved captures (``notebooks/data/browsers``), and for every miss says
what the engines did and which spec text explains it. Where the engines
disagree, any of their answers is right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..lab.browsershow import saved
from . import exercise

__all__ = ["CACHE_ENGINES", "CACHE_ROWS", "FETCH_ROWS", "NAVIGATION_ROWS"]

NAVIGATION_ROWS: dict[str, tuple[str, Callable[[Mapping[str, Any]], str]]] = {
    "a link to a 204": ("nav.link.204", lambda r: "new document" if r["navigated"] else "stays"),
    "a form POST answered 205": ("nav.form-post.205",
                                 lambda r: "new document" if r["navigated"] else "stays"),
    "location.assign() to an empty 200": ("nav.assign.200",
                                          lambda r: "new document" if r["navigated"] else "stays"),
    "the form's fields after its 205": ("form.reset-205", lambda r: str(r["fields"])),
}
"""Each row predicted: the experiment, and how its result reads as an answer.

JavaScript's null is Python's None in every answer."""

_NAVIGATION_WHY = {
    "a link to a 204": "HTML: for a 204 or 205 the navigation runs its completion steps and "
                       "returns, with no new document",
    "a form POST answered 205": "HTML handles 205 exactly as 204: no new document",
    "location.assign() to an empty 200": "an empty 200 is still a response with content of "
                                         "zero length, so it becomes a new, empty document",
    "the form's fields after its 205": "RFC 9110 says the server desires a reset, but HTML's "
                                       "navigation step for 205 has no reset in it",
}

FETCH_ROWS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "response.ok": ("fetch.204", lambda r: r["ok"]),
    "response.body": ("fetch.204", lambda r: None if r["body"] == "null" else r["body"]),
    "await response.text()": ("fetch.204", lambda r: r["text"]),
    "await response.json()": ("fetch.204", lambda r: r["json"]),
    "xhr.response": ("xhr.json", lambda r: r["response"]),
}

_FETCH_WHY = {
    "response.ok": "ok is true for any status from 200 to 299 (Fetch: an ok status)",
    "response.body": "Fetch's text says null for a null body status, yet every engine tested "
                     "hands the script an empty stream (whatwg/fetch#1779)",
    "await response.text()": "reading no bytes, or an empty stream, gives the empty string",
    "await response.json()": "parsing zero bytes as JSON fails, so json() rejects with a "
                             "SyntaxError",
    "xhr.response": "XHR's response getter returns null for a null body, and null again when "
                    "the bytes do not parse as JSON",
}

CACHE_ENGINES = ("Chromium", "Firefox ESR")
"""The engines whose HTTP cache the exercise asks about (WebKitGTK's session keeps none)."""
CACHE_ROWS = {"heuristic": "cache.heuristic", "max-age/60": "cache.max-age",
              "no-store": "cache.no-store"}

_CACHE_WHY = {
    "heuristic": "RFC 9111 §4.2.2 says a cache MAY give it a heuristic lifetime, so engines "
                 "may differ",
    "max-age/60": "the 204 is fresh for 60 seconds, so the stored one is used",
    "no-store": "a cache MUST NOT use a no-store response for another request",
}


def _measured(experiment: str, read: Callable[[Mapping[str, Any]], Any],
              engines: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What each engine did in ``experiment``, read as an answer, by engine title."""
    return {capture["title"]: read(capture["results"][experiment])
            for capture in engines.values()}


def _judge(answer: Any, rows: Mapping[str, tuple[str, Callable[[Mapping[str, Any]], Any]]],
           why: Mapping[str, str], choices: str) -> list[str]:
    if not isinstance(answer, Mapping):
        return ["answer with a dict with a prediction for each row: " + ", ".join(rows)]
    missing = [row for row in rows if row not in answer or answer[row] is ...]
    if missing:
        return [f"predict {choices} for: {', '.join(missing)}"]
    engines = saved()
    problems = []
    for row, (experiment, read) in rows.items():
        measured = _measured(experiment, read, engines)
        if answer[row] not in measured.values():
            did = ", ".join(f"{title} {value!r}" for title, value in measured.items())
            problems.append(f"{row}: you said {answer[row]!r}; the engines gave {did}. "
                            f"Why: {why[row]}.")
    return problems


@exercise(
    "15.navigation",
    "predict what a frame does when a navigation is answered 204, 205 or an empty 200",
    "HTML's navigation algorithm: if the response's status is 204 or 205, run the "
    "completion steps and return, so no new document is made, whatever started the "
    "navigation; any other response, even an empty 200, becomes a document; and the step "
    "for 205 resets nothing",
    nudge="Read the HTML step quoted in the section on navigation.",
)
def _navigation(answer: Any) -> list[str]:
    return _judge(answer, NAVIGATION_ROWS, _NAVIGATION_WHY,
                  '"stays" or "new document" (the fields: "kept" or "reset")')


@exercise(
    "15.fetch-body",
    "predict what a script gets from fetch() and XMLHttpRequest for a 204",
    "ok covers 200 to 299; text() of no bytes is the empty string; json() of no bytes "
    "rejects with a SyntaxError; XHR's json response is null. For response.body the spec "
    "says null, and the engines do something else: look at the fetch section",
    nudge="Ask what each call does with zero bytes; then ask whether the engines follow Fetch.",
)
def _fetch_body(answer: Any) -> list[str]:
    return _judge(answer, FETCH_ROWS, _FETCH_WHY,
                  'a value (True or False, None for null, "empty stream", a string, an error '
                  "name)")


@exercise(
    "15.cache",
    "predict how many of two identical GETs reach the server, in Chromium and in Firefox",
    "no-store: both, by a MUST NOT; max-age=60: one, the second is fresh from the cache; "
    "the heuristic 204 (Last-Modified 10 days old, no Cache-Control): RFC 9111 §4.2.2 says "
    "a cache MAY, and the two engines chose differently",
    nudge="For each response ask whether it may be stored, and whether it is still fresh.",
)
def _cache(answer: Any) -> list[str]:
    if not isinstance(answer, Mapping) or set(answer) != set(CACHE_ENGINES):
        return ["answer with a dict with one dict per engine: " + ", ".join(CACHE_ENGINES)]
    engines = {c["title"]: c for c in saved().values()}
    problems = []
    for title in CACHE_ENGINES:
        said = answer[title]
        if not isinstance(said, Mapping) or any(said.get(row) not in (1, 2)
                                                for row in CACHE_ROWS):
            problems.append(f"{title}: predict 1 or 2 for each of {', '.join(CACHE_ROWS)}")
            continue
        for row, experiment in CACHE_ROWS.items():
            reached = engines[title]["results"][experiment]["reached"]
            if said[row] != reached:
                problems.append(f"{title}, {row}: you said {said[row]}; {reached} reached "
                                f"the server. Why: {_CACHE_WHY[row]}.")
    return problems
