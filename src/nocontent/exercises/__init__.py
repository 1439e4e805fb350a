"""Exercises: each checks a learner's answer and says what is still wrong.

A notebook cell ships with a placeholder answer and ends with
``check("05.heuristic-lifetime", answer)``; until the answer is right the cell
prints what is missing and a hint. Each notebook's exercises live in a module
of this package named after it (``nb05.py``), registered with
:func:`exercise`; worked solutions live apart, in the repository's
``solutions/`` folder, and a test proves that every solution passes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["EXERCISES", "Exercise", "Result", "check", "exercise"]

Judge = Callable[[Any], list[str]]


@dataclass(frozen=True, kw_only=True)
class Exercise:
    """One exercise.

    Attributes:
        id: ``"NN.short-name"``, NN being the notebook's number.
        title: what the learner is asked to do, in one line.
        hint: a nudge shown until the exercise is solved.
        judge: returns the problems with an answer; none means solved.
    """

    id: str
    title: str
    hint: str
    judge: Judge


@dataclass(frozen=True, kw_only=True)
class Result:
    """The verdict on one answer.

    Attributes:
        exercise: the exercise judged.
        problems: what is still wrong, one sentence each.
    """

    exercise: Exercise
    problems: tuple[str, ...]

    @property
    def solved(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:
        title = f"{self.exercise.id}: {self.exercise.title}"
        if self.solved:
            return f"Solved! {title}"
        lines = [f"Not yet. {title}", *(f"  - {p}" for p in self.problems)]
        lines.append(f"  Hint: {self.exercise.hint}")
        return "\n".join(lines)

    __str__ = __repr__


EXERCISES: dict[str, Exercise] = {}
"""Every registered exercise, by id."""


def exercise(id: str, title: str, hint: str) -> Callable[[Judge], Judge]:
    """Register the decorated function as the judge of exercise ``id``."""

    def register(judge: Judge) -> Judge:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id=id, title=title, hint=hint, judge=judge)
        return judge

    return register


def check(id: str, answer: Any) -> Result:
    """Judge ``answer`` to exercise ``id``. Never raises for a wrong answer."""
    found = EXERCISES.get(id)
    if found is None:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise KeyError(f"no exercise {id!r}; known exercises: {known}")
    if answer is ... or answer is None:
        return Result(exercise=found, problems=("there is no answer yet",))
    try:
        problems = tuple(found.judge(answer))
    except Exception as exc:  # the learner's code may raise anything
        problems = (f"your answer raised {type(exc).__name__}: {exc}",)
    return Result(exercise=found, problems=problems)


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
