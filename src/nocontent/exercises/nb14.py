"""Exercises of notebook 14, what real clients do.

``14.read-the-matrix`` is judged against the saved client matrix;
``14.spoils-next`` runs the learner's test function against correct and broken
204s of the embedded server, including two mounted for the exercise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._http import Response
from .._server import serve
from ..lab.show import saved_matrix
from . import exercise

__all__ = ["PREDICTED_CLIENT", "VERDICTS"]

PREDICTED_CLIENT = "http.client"
"""The client whose row of the matrix the learner predicts."""

VERDICTS = ("ok", "first fails", "second fails", "poisoned")
"""The words of the matrix: what became of the two requests."""

_WHY = {
    "content-length-zero": "the 204 ends at its header section whatever the field says "
                           "(RFC 9112 §6.3), and no stray byte follows",
    "body": "null arrived in the same read as the 204, and http.client threw it away with "
            "that response's read buffer",
    "body-late": "null arrived after the second request went out, so it came first in the "
                 "bytes read for that request: no client can tell",
    "body-late+pause": "null arrived while the connection was idle, and http.client does not "
                       "check an idle connection before it reuses it",
    "chunked": "the last-chunk arrived in the same read as the 204 and went with its buffer",
    "smuggle": "the fake response arrived in the same read as the 204 and went with its buffer",
}


@exercise(
    "14.read-the-matrix",
    f"predict the row of {PREDICTED_CLIENT} in the client matrix, case by case",
    "ask for each case when the stray bytes arrive: in the same read as the 204 (http.client "
    "drops them with that response's buffer), while the connection is idle (http.client "
    "does not look), or after the second request went out (nobody can tell)",
    nudge="For each case, ask when its stray bytes reach the client.",
)
def _read_the_matrix(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return ["answer with a dict from each case to one of: " + ", ".join(VERDICTS)]
    rows = {r["case"]: r for r in saved_matrix()["rows"] if r["client"] == PREDICTED_CLIENT}
    wanted = [case for case in rows if case != "clean"]
    missing = [case for case in wanted if answer.get(case) not in VERDICTS]
    if missing:
        return [f"predict one of {', '.join(VERDICTS)} for: {', '.join(missing)}"]
    problems = []
    for case in wanted:
        row = rows[case]
        if answer[case] != row["verdict"]:
            problems.append(f"{case}: you said {answer[case]!r}; the matrix says "
                            f"{row['verdict']!r} (second request: {row['second']}), because "
                            f"{_WHY[case]}")
    return problems


# -- a test that sees what clients see -------------------------------------------------------

_MOUNTED = {
    "/exercises/13/misbehave-looking-but-clean": Response(status=204),
    "/exercises/13/stray-json": Response(
        status=204, headers=(("Content-Type", "application/json"),), body=b"{}"),
}
"""Two 204s mounted for the exercise: a clean one under a name that looks broken, and one
that sends ``{}`` after its header section without announcing it."""

_EXPECTED = (
    ("/status/204", False),
    ("/misbehave/content-length-zero", False),
    ("/exercises/13/misbehave-looking-but-clean", False),
    ("/misbehave/body", True),
    ("/misbehave/body-late", True),
    ("/misbehave/chunked", True),
    ("/misbehave/smuggle", True),
    ("/exercises/13/stray-json", True),
)
"""Each path judged and whether its 204 spoils the next response on the connection."""


@contextmanager
def _mounted() -> Iterator[str]:
    server = serve()
    for path, response in _MOUNTED.items():
        server.mount(path, lambda request, response=response: response)
    try:
        yield server.url
    finally:
        for path in _MOUNTED:
            server.unmount(path)


@exercise(
    "14.spoils-next",
    "write spoils_next(url): does the 204 at url spoil the next response on its connection?",
    "send the 204's request and then GET /status/200 on the same connection with "
    "nocontent.exchange_twice; the 204 spoils the next response unless the second exchange got "
    "a response of its own (not one read from bytes already there: second.unrequested) with "
    "the body b'200 OK\\n'",
    nudge="Ask what the second request on the same connection got, not what the first did.",
)
def _spoils_next(answer: Any) -> list[str]:
    if not callable(answer):
        return ["answer with a function spoils_next(url) that returns True or False"]
    problems = []
    with _mounted() as base:
        for path, spoils in _EXPECTED:
            said = answer(base + path)
            if not isinstance(said, bool):
                return [f"spoils_next({path!r}) returned {said!r}; return True or False"]
            if said != spoils:
                problems.append(f"{path}: you said {said}; its 204 "
                                f"{'does' if spoils else 'does not'} spoil the next response")
    return problems
