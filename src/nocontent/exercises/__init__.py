"""Exercises: each checks a learner's answer and says what is still wrong.

A notebook cell ships with a placeholder answer and ends with
``check("06.heuristic-lifetime", answer)``; until the answer is right the cell
prints what is missing and a hint. Hints come in two tiers: the first failed
check of an exercise shows its *nudge* (where to look), every later failed
check in the same kernel shows its full *hint*. A solved exercise is recorded
in the learner's progress file (:mod:`nocontent._progress`).

Each notebook's exercises live in a module of this package named after it
(``nb06.py``), registered with :func:`exercise`; worked solutions live apart,
in the repository's ``solutions/`` folder, and a test proves that every
solution passes.
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._http import Request, Response
from .._progress import record
from .._server import serve

__all__ = ["DEFAULT_NUDGE", "EXERCISES", "Exercise", "Result", "check", "exercise", "mounted"]

Judge = Callable[[Any], list[str]]

DEFAULT_NUDGE = "Look again at the section just above this exercise."
"""The nudge of an exercise registered without one of its own."""


@dataclass(frozen=True, kw_only=True)
class Exercise:
    """One exercise.

    Attributes:
        id: ``"NN.short-name"``, NN being the notebook's number.
        title: what the learner is asked to do, in one line.
        nudge: the first hint: one short sentence saying where to look.
        hint: the full hint, shown from the second failed check on.
        judge: returns the problems with an answer; none means solved.
    """

    id: str
    title: str
    nudge: str
    hint: str
    judge: Judge


@dataclass(frozen=True, kw_only=True)
class Result:
    """The verdict on one answer.

    Attributes:
        exercise: the exercise judged.
        problems: what is still wrong, one sentence each.
        failed_before: how many earlier checks of this exercise failed in this
            kernel; the nudge is shown when there were none, the full hint after.
    """

    exercise: Exercise
    problems: tuple[str, ...]
    failed_before: int = 0

    @property
    def solved(self) -> bool:
        return not self.problems

    @property
    def hint(self) -> str:
        """The hint this verdict shows: the nudge first, the full hint after."""
        if self.failed_before == 0:
            return f"{self.exercise.nudge} (Check again for the full hint.)"
        return self.exercise.hint

    def __repr__(self) -> str:
        """The verdict in lines of at most :data:`WIDTH` columns, wrapped between words."""
        title = f"{self.exercise.id}: {self.exercise.title}"
        if self.solved:
            return _wrap(f"Solved! {title}", "", "  ")
        lines = [_wrap(f"Not yet. {title}", "", "  ")]
        lines += [_wrap(problem, "  - ", "    ") for problem in self.problems]
        lines.append(_wrap(f"Hint: {self.hint}", "  ", "    "))
        return "\n".join(lines)

    __str__ = __repr__


WIDTH = 88
"""Columns a verdict's lines fit in, so a notebook shows it whole on a laptop screen."""


def _wrap(text: str, first: str, rest: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                                   break_long_words=False, break_on_hyphens=False))


EXERCISES: dict[str, Exercise] = {}
"""Every registered exercise, by id."""

_failures: Counter[str] = Counter()
"""Failed checks so far in this kernel, by exercise id."""


def exercise(id: str, title: str, hint: str,
             nudge: str = DEFAULT_NUDGE) -> Callable[[Judge], Judge]:
    """Register the decorated function as the judge of exercise ``id``."""

    def register(judge: Judge) -> Judge:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id=id, title=title, nudge=nudge, hint=hint, judge=judge)
        return judge

    return register


@contextmanager
def mounted(path: str, handler: Callable[..., Any], *args: Any) -> Iterator[tuple[str, list[str]]]:
    """Serve a learner's ``handler`` at ``path`` on the shared server, for one judging.

    Yields the URL and a list that collects what went wrong inside the handler
    (an exception, or a value that is not a Response), for which the server
    answers 500. ``args`` are passed to the handler after the request. The
    path is unmounted afterwards.
    """
    errors: list[str] = []

    def graded(request: Request) -> Response:
        try:
            result = handler(request, *args)
        except Exception as exc:
            errors.append(f"your handler raised {type(exc).__name__}: {exc} while answering "
                          f"{request.method}, so the server answered 500 Internal Server Error")
            raise
        if not isinstance(result, Response):
            errors.append(f"your handler returned {type(result).__name__} for {request.method}; "
                          "return a nocontent.Response, such as Response(status=204)")
            raise TypeError("not a Response")
        return result

    server = serve()
    url = server.mount(path, graded)
    try:
        yield url, errors
    finally:
        server.unmount(path)


def check(id: str, answer: Any) -> Result:
    """Judge ``answer`` to exercise ``id``. Never raises for a wrong answer.

    A solved exercise is recorded in the progress file; a failed one counts
    towards showing the full hint next time.
    """
    found = EXERCISES.get(id)
    if found is None:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise KeyError(f"no exercise {id!r}; known exercises: {known}")
    if answer is ... or answer is None:
        problems: tuple[str, ...] = ("there is no answer yet",)
    else:
        try:
            problems = tuple(found.judge(answer))
        except Exception as exc:  # the learner's code may raise anything
            problems = (f"your answer raised {type(exc).__name__}: {exc}",)
    if not problems:
        record(id)
        return Result(exercise=found, problems=problems)
    failed_before = _failures[id]
    _failures[id] += 1
    return Result(exercise=found, problems=problems, failed_before=failed_before)


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
