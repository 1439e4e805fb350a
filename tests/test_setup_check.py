"""The first code cell of notebook 00 checks the learner's setup with the standard library only.

A broken setup (old Python, a kernel without the course's packages, no
widgets extension) must get a short message with the fix, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "00-start-here.ipynb"
FIX = "Fix: run `python3 course.py` in the course folder"


def first_code_cell() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


def run(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *flags, "-c", first_code_cell()],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_course_environment_is_ok() -> None:
    done = run()
    assert (done.returncode, done.stdout, done.stderr) == (0, "Setup OK\n", "")


def test_a_kernel_without_the_course_packages_gets_the_fix_not_a_traceback() -> None:
    done = run("-I", "-S")  # this Python without its site-packages: nothing is installed
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("This kernel is not set up for the course")
    for module in ("nocontent", "httpx", "ipywidgets", "jupyterlab_widgets"):
        assert any(line.startswith(f"- {module} (") for line in lines), module
    assert f"This kernel's Python: {sys.executable}" in lines
    assert lines[-1].startswith(FIX)


def test_an_old_python_is_named(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    monkeypatch.setattr(sys, "version", "3.9.18 (main, Aug 2023)")
    exec(first_code_cell(), {})  # the cell as a kernel runs it
    out = capsys.readouterr().out
    assert "- Python 3.9.18 is too old; the course needs 3.10 or newer" in out
    assert FIX in out
