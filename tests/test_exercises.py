"""Every exercise has a solution that passes, and the shipped placeholder gets its hint."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

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


def test_every_exercise_has_a_solution_and_every_solution_an_exercise() -> None:
    assert set(SOLUTIONS) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes(exercise_id: str) -> None:
    result = check(exercise_id, SOLUTIONS[exercise_id])
    assert result.solved, repr(result)
    assert repr(result).startswith("Solved!")


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_placeholder_gets_the_hint(exercise_id: str) -> None:
    result = check(exercise_id, ...)
    assert not result.solved
    assert EXERCISES[exercise_id].hint in repr(result)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_exercise_appears_in_a_notebook(exercise_id: str) -> None:
    assert f'"{exercise_id}"' in NOTEBOOK_TEXT


def test_a_raising_answer_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EXERCISES, "00.calls-answer", Exercise(
        id="00.calls-answer", title="t", hint="h", judge=lambda answer: [str(answer())]))

    def broken() -> object:
        raise RuntimeError("boom")

    result = check("00.calls-answer", broken)
    assert result.problems == ("your answer raised RuntimeError: boom",)


def test_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known exercises"):
        check("99.no-such-thing", 1)
