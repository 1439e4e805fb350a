"""Which exercises a learner has solved, kept in a small JSON file.

:func:`nocontent.exercises.check` calls :func:`record` for every solved
exercise; :func:`progress` reads the file back and lists every exercise of
the course, or of one notebook, as solved (✓) or not yet (·).

The file is named by the environment variable ``NOCONTENT_PROGRESS`` when it
is set (``python3 course.py test`` and ``refresh`` point it at a temporary
file, so an author's own progress never reaches a saved output). Otherwise it
is ``.nocontent-progress.json`` in the course's root: the nearest folder, from
the working directory up, that holds ``course.py`` (a kernel runs in
``notebooks/``), or else the working directory itself.

Saving never raises into a learner's cell. When the file cannot be written
(a read-only folder) or read (not JSON), the solved exercises are still kept
for this kernel, the file is left as it is, and the next summary says so.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENV", "FILE_NAME", "Progress", "progress", "progress_file", "record"]

ENV = "NOCONTENT_PROGRESS"
FILE_NAME = ".nocontent-progress.json"
SOLVED, NOT_YET = "✓", "·"
_ABOUT = "Exercises solved in the nocontent course; delete this file to start again."

_solved_here: set[str] = set()
"""Exercises solved in this kernel, whether or not saving them worked."""
_write_problem: str | None = None
"""Why the last attempt to save failed; None once a save succeeds."""


def progress_file() -> Path:
    """Where progress is kept (see the module's docstring)."""
    named = os.environ.get(ENV)
    if named:
        return Path(named)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "course.py").is_file():
            return folder / FILE_NAME
    return here / FILE_NAME


def _read(path: Path) -> set[str]:
    """The exercise ids saved in ``path`` (none if it does not exist).

    Raises:
        ValueError: the file is not a progress file (not JSON, or another shape).
        OSError: the file cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # nothing saved yet (or ever, see _write)
        return set()
    data = json.loads(text)
    solved = data.get("solved") if isinstance(data, dict) else None
    if not isinstance(solved, list) or not all(isinstance(i, str) for i in solved):
        raise ValueError("it has no list of solved exercises")
    return set(solved)


def _write(path: Path, solved: set[str]) -> None:
    """Replace ``path`` with the given ids, atomically (a reader never sees half a file)."""
    text = json.dumps({"about": _ABOUT, "solved": sorted(solved)}, indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _unreadable(path: Path, exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"progress is not saved: {path} cannot be read ({exc.strerror or exc})"
    return f"progress is not saved: {path} cannot be read ({exc}); delete it to start a new one"


def record(exercise_id: str) -> None:
    """Record ``exercise_id`` as solved. Never raises: a problem is kept for the summary."""
    global _write_problem
    _solved_here.add(exercise_id)
    try:
        path = progress_file()
    except OSError as exc:  # the working directory is gone
        _write_problem = f"progress is not saved: no folder to keep it in ({exc})"
        return
    try:
        saved = _read(path)
    except (OSError, ValueError) as exc:
        _write_problem = _unreadable(path, exc)  # left as it is: it may be the learner's
        return
    if exercise_id in saved:
        _write_problem = None
        return
    try:
        _write(path, saved | {exercise_id})
    except OSError as exc:
        _write_problem = f"progress is not saved: {path} cannot be written ({exc.strerror or exc})"
    else:
        _write_problem = None


@dataclass(frozen=True)
class Progress:
    """Solved or not, for every exercise of the course or of one notebook.

    Attributes:
        exercises: exercise id → solved, in the course's order.
        notebook: ``"03"`` for one notebook's summary, None for the whole course.
        problem: why progress is not being saved, if it is not.
    """

    exercises: dict[str, bool]
    notebook: str | None = None
    problem: str | None = None

    @property
    def solved(self) -> list[str]:
        return [name for name, done in self.exercises.items() if done]

    def _line(self, notebook: str, names: list[str]) -> str:
        if not names:
            return f"Notebook {notebook}: no exercises"
        marks = ", ".join(f"{name} {SOLVED if self.exercises[name] else NOT_YET}"
                          for name in names)
        done = sum(self.exercises[name] for name in names)
        return f"Notebook {notebook}: {done} of {len(names)} exercises solved ({marks})"

    def __repr__(self) -> str:
        if self.notebook is not None:
            lines = [self._line(self.notebook, list(self.exercises))]
        else:
            by_notebook: dict[str, list[str]] = {}
            for name in self.exercises:
                by_notebook.setdefault(name.partition(".")[0], []).append(name)
            lines = [f"Course: {len(self.solved)} of {len(self.exercises)} exercises solved "
                     f"({SOLVED} solved, {NOT_YET} not yet)",
                     *(self._line(number, names) for number, names in by_notebook.items())]
        if self.problem:
            lines.append(f"Note: {self.problem}")
        return "\n".join(lines)

    __str__ = __repr__


def _notebook_number(notebook: str | int) -> str:
    text = str(notebook).strip()
    if not text.isdigit():
        raise ValueError(f"a notebook is named by its number, such as '03'; not {notebook!r}")
    return text.zfill(2)


def progress(notebook: str | int | None = None) -> Progress:
    """Every exercise of the course, or of ``notebook`` (``"03"``), as solved or not yet.

    Display the result (the last line of a cell) or print it.
    """
    from .exercises import EXERCISES  # here: the exercises import this module

    number = None if notebook is None else _notebook_number(notebook)
    names = [name for name in EXERCISES
             if number is None or name.partition(".")[0] == number]
    problem = _write_problem
    try:
        path = progress_file()
    except OSError as exc:  # the working directory is gone
        solved = set(_solved_here)
        problem = f"progress is not saved: no folder to keep it in ({exc})"
    else:
        try:
            solved = _read(path) | _solved_here
        except (OSError, ValueError) as exc:
            solved = set(_solved_here)
            problem = _unreadable(path, exc)
    return Progress(exercises={name: name in solved for name in names}, notebook=number,
                    problem=problem)
