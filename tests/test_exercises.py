"""Every exercise has a solution that passes; a wrong answer gets the nudge, then the hint.

Solved exercises are recorded in the progress file named by NOCONTENT_PROGRESS;
every test here points it at a file of its own, so no test reads or writes a
learner's progress.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import nocontent
from nocontent import _progress
from nocontent import exercises as exercises_module
from nocontent.exercises import EXERCISES, Exercise, check

ROOT = Path(__file__).resolve().parent.parent


def _solutions() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted((ROOT / "solutions").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update(module.SOLUTIONS)
    return found


SOLUTIONS = _solutions()
NOTEBOOK_TEXT = "\n".join(
    "".join(cell["source"])
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    for cell in json.loads(path.read_text())["cells"]
)


@pytest.fixture(autouse=True)
def fresh_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A progress file of the test's own, and no failed checks or progress from earlier tests."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(_progress.ENV, str(path))
    monkeypatch.setattr(exercises_module, "_failures", Counter())
    monkeypatch.setattr(_progress, "_solved_here", set())
    monkeypatch.setattr(_progress, "_write_problem", None)
    return path


def saved(path: Path) -> list[str]:
    return json.loads(path.read_text(encoding="utf-8"))["solved"]


def test_every_exercise_has_a_solution_and_every_solution_an_exercise() -> None:
    assert set(SOLUTIONS) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes(exercise_id: str) -> None:
    result = check(exercise_id, SOLUTIONS[exercise_id])
    assert result.solved, repr(result)
    assert repr(result).startswith("Solved!")


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (a verdict wraps)."""
    return " ".join(text.split())


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_a_verdict_fits_a_laptop_screen(exercise_id: str) -> None:
    check(exercise_id, ...)
    verdict = repr(check(exercise_id, ...))  # the full hint: the longest verdict
    assert all(len(line) <= 88 for line in verdict.splitlines() if " " in line.strip())


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_placeholder_gets_the_nudge_then_the_full_hint(exercise_id: str) -> None:
    found = EXERCISES[exercise_id]
    first = check(exercise_id, ...)
    assert not first.solved
    assert flat(f"Hint: {found.nudge} (Check again for the full hint.)") in flat(repr(first))
    assert flat(found.hint) not in flat(repr(first))
    for _ in range(2):  # the second try and every later one
        again = check(exercise_id, ...)
        assert flat(f"Hint: {found.hint}") in flat(repr(again))
        assert flat(found.nudge) not in flat(repr(again))


def test_hints_are_counted_per_exercise() -> None:
    first, second = sorted(EXERCISES)[:2]
    check(first, ...)
    assert flat(EXERCISES[second].nudge) in flat(repr(check(second, ...)))


def test_registration_without_a_nudge_gets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exercises_module, "EXERCISES", {})
    exercises_module.exercise("00.old-style", "t", "the full hint")(lambda answer: [])
    assert exercises_module.EXERCISES["00.old-style"].nudge == exercises_module.DEFAULT_NUDGE


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_exercise_appears_in_a_notebook(exercise_id: str) -> None:
    assert f'"{exercise_id}"' in NOTEBOOK_TEXT


def test_a_raising_answer_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EXERCISES, "00.calls-answer", Exercise(
        id="00.calls-answer", title="t", nudge="n", hint="h",
        judge=lambda answer: [str(answer())]))

    def broken() -> object:
        raise RuntimeError("boom")

    result = check("00.calls-answer", broken)
    assert result.problems == ("your answer raised RuntimeError: boom",)


def test_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known exercises"):
        check("99.no-such-thing", 1)


# -- progress ------------------------------------------------------------------------


def test_a_solved_exercise_is_recorded_in_the_progress_file(fresh_kernel: Path) -> None:
    exercise_id = sorted(EXERCISES)[0]
    check(exercise_id, ...)
    assert not fresh_kernel.exists()  # a wrong answer records nothing
    check(exercise_id, SOLUTIONS[exercise_id])
    assert saved(fresh_kernel) == [exercise_id]


def test_progress_of_one_notebook_is_one_line(fresh_kernel: Path) -> None:
    solved, pending = sorted(name for name in EXERCISES if name.startswith("03."))[:2]
    fresh_kernel.write_text(json.dumps({"solved": [solved]}))
    line = repr(nocontent.progress("03"))
    total = sum(name.startswith("03.") for name in EXERCISES)
    assert line.startswith(f"Notebook 03: 1 of {total} exercises solved (")
    assert f"{solved} ✓" in line
    assert f"{pending} ·" in line
    assert "\n" not in line
    assert nocontent.progress(3).exercises == nocontent.progress("03").exercises


def test_progress_of_the_course_lists_every_exercise_by_notebook(fresh_kernel: Path) -> None:
    exercise_id = sorted(EXERCISES)[-1]
    check(exercise_id, SOLUTIONS[exercise_id])
    summary = nocontent.progress()
    assert list(summary.exercises) == list(EXERCISES)
    assert summary.solved == [exercise_id]
    text = repr(summary)
    assert text.splitlines()[0].startswith(f"Course: 1 of {len(EXERCISES)} exercises solved")
    numbers = sorted({name[:2] for name in EXERCISES})
    assert [line[9:11] for line in text.splitlines()[1:]] == numbers


def test_progress_is_read_back_in_a_new_kernel(fresh_kernel: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    exercise_id = sorted(EXERCISES)[0]
    check(exercise_id, SOLUTIONS[exercise_id])
    monkeypatch.setattr(_progress, "_solved_here", set())  # what a restarted kernel knows
    assert nocontent.progress().solved == [exercise_id]


def test_progress_file_is_at_the_course_root(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_progress.ENV)
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "course.py").write_text("")
    monkeypatch.chdir(course / "notebooks")
    assert _progress.progress_file() == course / ".nocontent-progress.json"
    monkeypatch.chdir(tmp_path)
    assert _progress.progress_file() == tmp_path / ".nocontent-progress.json"


def test_an_unwritable_progress_file_does_not_break_the_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(_progress.ENV, str(tmp_path / "a-file" / "progress.json"))
    exercise_id = sorted(EXERCISES)[0]
    assert check(exercise_id, SOLUTIONS[exercise_id]).solved
    summary = repr(nocontent.progress(exercise_id[:2]))
    assert f"{exercise_id} ✓" in summary  # still known to this kernel
    assert summary.count("Note: progress is not saved") == 1
    assert "cannot be written" in summary


def test_a_corrupt_progress_file_is_reported_and_left_alone(fresh_kernel: Path) -> None:
    fresh_kernel.write_text("{not json")
    exercise_id = sorted(EXERCISES)[0]
    assert check(exercise_id, SOLUTIONS[exercise_id]).solved
    assert fresh_kernel.read_text() == "{not json"
    summary = repr(nocontent.progress())
    assert f"{exercise_id} ✓" in summary
    assert summary.count("Note: progress is not saved") == 1
    assert "cannot be read" in summary and "delete it" in summary


def test_a_notebook_is_named_by_its_number() -> None:
    with pytest.raises(ValueError, match="by its number"):
        nocontent.progress("03-metadata")


def test_stop_reuse_refuses_a_bare_max_age_zero() -> None:
    # RFC 9111 §4.2.4: a disconnected cache may still serve a stale response, so
    # max-age=0 alone does not forbid reuse unasked; no-cache or must-revalidate does.
    solution = dict(SOLUTIONS["11.stop-reuse"])
    checked_first = next(case for case in solution if case != "never stored")
    solution[checked_first] = ("Cache-Control", "max-age=0")
    refused = check("11.stop-reuse", solution)
    assert not refused.solved and any("RFC 9111 §4.2.4" in p for p in refused.problems)
    solution[checked_first] = ("Cache-Control", "max-age=0, must-revalidate")
    assert check("11.stop-reuse", solution).solved
