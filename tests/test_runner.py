"""The course runner (``python3 course.py run``): a fresh kernel per notebook, failures named.

The runner starts the next notebook's kernel early and stops the last one late;
these tests check that this never lets one notebook see another's kernel, and
that a failing notebook is reported with its error and kept for a look.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nocontent import _runner

pytestmark = pytest.mark.live

REPORT = """
import json, os
print(json.dumps({"pid": os.getpid(), "cwd": os.getcwd(),
                  "saw_earlier": "LEFT_BY_EARLIER" in globals()}))
LEFT_BY_EARLIER = 1
"""


def notebook(folder: Path, name: str, *cells: str, tags: tuple[str, ...] = ()) -> Path:
    book = new_notebook(cells=[new_code_cell(source) for source in cells])
    for cell in book.cells:
        cell.metadata["tags"] = list(tags)
    path = folder / name
    nbformat.write(book, path)
    return path


def run(paths: list[Path], out: Path | None = None) -> list[_runner.Result]:
    with tempfile.TemporaryFile() as log:
        return asyncio.run(_runner.run(paths, out, log=log, report=False))


def printed(path: Path) -> dict:
    book = nbformat.read(path, as_version=4)
    return json.loads(book.cells[0].outputs[0]["text"])


def test_each_notebook_runs_in_a_kernel_of_its_own_in_its_folder(tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    paths = [notebook(books, f"{n}.ipynb", REPORT) for n in "abc"]
    results = run(paths, out)
    assert [r.problems for r in results] == [(), (), ()]
    seen = [printed(out / p.name) for p in paths]
    assert len({s["pid"] for s in seen}) == 3, "a kernel was used twice"
    assert not any(s["saw_earlier"] for s in seen), "a kernel had run another notebook"
    assert {s["cwd"] for s in seen} == {str(books)}


def test_an_error_fails_its_notebook_only_and_the_copy_shows_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    paths = [
        notebook(tmp_path, "broken.ipynb", "print('before')", "1 / 0", "print('after')"),
        notebook(tmp_path, "expected.ipynb", "raise KeyError('meant')", tags=("raises-exception",)),
        notebook(tmp_path, "fine.ipynb", "print('fine')"),
    ]
    broken, expected, fine = run(paths, out)
    assert broken.problems == ("In [2]: ZeroDivisionError: division by zero",)
    assert "FAIL" in str(broken) and "ZeroDivisionError" in str(broken)
    assert expected.problems == () and fine.problems == ()
    copy = nbformat.read(out / "broken.ipynb", as_version=4)
    assert copy.cells[2].outputs[0]["text"] == "after\n", "every cell ran, as with Run All"


def test_the_command_exits_1_and_names_the_failure(tmp_path: Path, capsys) -> None:
    good = notebook(tmp_path, "good.ipynb", "print(1)")
    bad = notebook(tmp_path, "bad.ipynb", "undefined_name")
    assert _runner.main([str(good)]) == 0
    assert _runner.main([str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith(f"FAIL  {bad}") and "NameError" in lines[-2]
    assert lines[-1].startswith("1 passed, 1 failed in ")
