#!/usr/bin/env python3
"""Set up and run the nocontent course.

usage:
  python3 course.py [lab] [ARGS...]        set up, then open JupyterLab at the course folder with
                                           notebooks/00-start-here.ipynb open (ARGS go to
                                           `jupyter lab`, e.g. --no-browser --port 8899)
  python3 course.py test [ARGS...]         set up with the test tools too, then ruff and pytest:
                                           unit tests and every notebook under nbval (ARGS go
                                           to pytest)
  python3 course.py run [NOTEBOOK...]      execute notebooks headless, a fresh kernel each, into
                                           a temporary folder and report pass/fail; committed
                                           files are not touched
  python3 course.py refresh NOTEBOOK...    re-execute notebooks in place to regenerate their saved
                                           outputs and widget state (for authors)
  python3 course.py stats [NOTEBOOK...]    size of each notebook against the course's limits
                                           (for authors; needs no set-up)
  python3 course.py lock                   install requirements-dev.txt, then write
                                           constraints.txt from what is installed
  python3 course.py classroom [ARGS...]    set up, then rehearse a class on a real JupyterHub
                                           on this machine (classroom/; --help for its options)
  python3 course.py --help                 show this help

"Set up" creates .venv with the standard venv module if it is missing, and installs
requirements.txt, what a learner needs, into it (with constraints.txt, if present) whenever
requirements.txt, pyproject.toml or constraints.txt changed since the last install; a hash of
them is kept in .venv/.course-stamp. `test`, `refresh`, `classroom` and `lock` install
requirements-dev.txt instead: the same plus the tools for tests, labs and benchmarks. Paths
are relative to the repository root. This script uses only the Python standard library,
because it runs before .venv exists.

`test`, `run` and `refresh` point NOCONTENT_PROGRESS (where `check()` records solved
exercises) at a temporary file, so a run never reads or changes the author's own progress
and saved outputs never depend on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".course-stamp"
WINDOWS = os.name == "nt"
BIN = VENV / ("Scripts" if WINDOWS else "bin")
PYTHON = BIN / ("python.exe" if WINDOWS else "python")
JUPYTER = BIN / ("jupyter.exe" if WINDOWS else "jupyter")
START = "notebooks/00-start-here.ipynb"
SANITIZE = "tests/sanitize.cfg"
PROGRESS = "NOCONTENT_PROGRESS"
LINTED = ("src", "tests", "benchmarks", "classroom", "course.py")
LEARNER = "requirements.txt"
"""What a learner needs to take the course, and nothing else."""
DEV = "requirements-dev.txt"
"""LEARNER (it includes it) plus the tools for tests, labs, the classroom and benchmarks."""
HUB = "classroom/requirements.txt"
"""What a hub adds to a learner's image; DEV includes it (the classroom rehearsal's hub)."""
STAMPED = ("pyproject.toml", "constraints.txt")
"""Besides the requirements files: what changes what an install puts into .venv."""
KEPT = "# -- Kept as written by `course.py lock`"
"""Starts the end of constraints.txt that `lock` keeps: pins for other Pythons, by hand."""
LOOPBACK = "127.0.0.1,localhost,::1"

# Course limits, per notebook: `stats` marks what is over them, tests/test_notebooks.py
# fails on it. Words are counted by prose_words(); "teaching prose" is every markdown cell
# except the final Questions and Glossary sections.
MAX_MINUTES = 25
MAX_TEACHING_WORDS = 1500
MAX_MARKDOWN_WORDS = 1800
MAX_SECTIONS = 8
"""Teaching `##` sections: neither the opening nor Recap, Questions and Glossary count."""
MIN_QUESTIONS, MAX_QUESTIONS = 5, 8
CLOSING = ("Recap", "Questions", "Glossary")
"""The last three `##` sections of every notebook, in this order."""

# The minutes estimate (see Stats.minutes).
WORDS_PER_MINUTE = 180
MINUTES_PER_CODE_CELL = 0.5
MINUTES_PER_EXERCISE = 3
MINUTES_PER_QUESTION = 0.5

# Run inside .venv by `lock`: copies `pip freeze` lines, and gives a pin whose package
# does not support MIN_PYTHON a marker, so a lock made on a newer Python still installs on it.
MARK_PINS = """
import platform, sys
from importlib.metadata import distribution
from packaging.specifiers import SpecifierSet
print(f"# Made with Python {platform.python_version()} on {sys.platform}.")
for line in sys.stdin.read().splitlines():
    name, _, version = line.partition("==")
    spec = SpecifierSet(distribution(name).metadata.get("Requires-Python") or "") if version else ""
    if spec and not spec.contains(sys.argv[1]):
        line += " ; " + " and ".join(f'python_full_version {s.operator} "{s.version}"'
                                     for s in spec)
    print(line)
"""

# Run inside .venv by `refresh`: executes one notebook in a fresh kernel, in its own folder,
# and saves it with the state of its widgets (so they render without a kernel) and without
# timings. The widget state of an earlier run is dropped first: only this run's widgets stay.
# The kernel's own log (a warning on every start) is shown only if the run fails.
EXECUTE_IN_PLACE = """
import sys, tempfile
from pathlib import Path
import nbformat
from nbclient import NotebookClient
path = Path(sys.argv[1])
notebook = nbformat.read(path, as_version=4)
notebook.metadata.pop("widgets", None)
client = NotebookClient(notebook, kernel_name="python3", timeout=600, store_widget_state=True,
                        record_timing=False, resources={"metadata": {"path": str(path.parent)}})
with tempfile.TemporaryFile() as kernel_log:
    try:
        client.execute(stderr=kernel_log)
    except Exception as exc:
        kernel_log.seek(0)
        sys.exit(kernel_log.read().decode(errors="replace") + str(exc))
nbformat.write(notebook, path)
"""


def step(message: str) -> None:
    """Say what the script is doing, in one line."""
    print(f"course.py: {message}", flush=True)


def call(*cmd: object) -> int:
    """Run a command in the repository root; return its exit status."""
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def quietly(*cmd: object) -> bool:
    """Run a command in the repository root, showing its output only if it fails."""
    done = subprocess.run([str(c) for c in cmd], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    if done.returncode != 0:
        print(done.stdout, end="", flush=True)
    return done.returncode == 0


def replace_process(*cmd: object) -> None:
    """Become the command (exec) on POSIX; elsewhere run it and exit with its status."""
    args = [str(c) for c in cmd]
    if os.name == "posix":
        os.execv(args[0], args)
    sys.exit(subprocess.call(args, cwd=ROOT))


def wanted_stamp(requirements: str = LEARNER) -> str:
    """``requirements`` and a hash of the files an install of it depends on."""
    digest = hashlib.sha256()
    for name in ((LEARNER, DEV, HUB) if requirements == DEV else (LEARNER,)) + STAMPED:
        path = ROOT / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{requirements} {digest.hexdigest()}"


def installed(requirements: str) -> bool:
    """True when the stamp says ``requirements`` (or DEV, which includes LEARNER) is up to date."""
    done = STAMP.read_text().strip() if STAMP.exists() else ""
    return done in (wanted_stamp(requirements), wanted_stamp(DEV))


def bytecode_option() -> list[str]:
    """What pip is told about compiling the modules it installs to bytecode (``.pyc``).

    By default pip compiles every module, 47 MB of the learner's .venv that the
    course mostly never imports. Python writes the bytecode of a module itself the
    first time it is imported, so pip need not, unless PYTHONDONTWRITEBYTECODE
    forbids that: then every start would compile from source again, and pip
    compiles everything up front as usual.
    """
    return [] if os.environ.get("PYTHONDONTWRITEBYTECODE") else ["--no-compile"]


def setup(requirements: str = LEARNER, constrained: bool = True) -> None:
    """Create .venv if needed and install ``requirements`` when the stamp is out of date."""
    if not PYTHON.exists():
        step(f"creating .venv with Python {sys.version.split()[0]} ({sys.executable})")
        try:
            venv.EnvBuilder(with_pip=True, symlinks=not WINDOWS, clear=VENV.exists()).create(VENV)
        except Exception as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"Could not create .venv: {exc}\n"
                     "On Debian or Ubuntu, install the venv module: sudo apt install python3-venv")
        # A newer pip is nice to have, not needed: carry on if it cannot be fetched.
        step("updating pip in .venv")
        if not quietly(PYTHON, "-m", "pip", "install", "--upgrade", *bytecode_option(), "pip"):
            step("could not update pip (see above); carrying on with the one .venv has")
        if sys.version_info < (3, 12):
            # Python 3.10 and 3.11 put setuptools (10 MB) into every venv, 3.12 no longer
            # does; nothing here uses it (pip builds the editable install in isolation).
            quietly(PYTHON, "-m", "pip", "uninstall", "--yes", "setuptools")
    if constrained and installed(requirements):
        return
    step(f"installing {requirements} into .venv (the first time takes a minute or two)")
    command = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check",
               *bytecode_option(), "-r", requirements]
    if constrained and (ROOT / "constraints.txt").exists():
        command += ["-c", "constraints.txt"]
    if not quietly(*command):
        sys.exit(f"Installing {requirements} failed; see pip's message above.")
    STAMP.write_text(wanted_stamp(requirements) + "\n")


@contextlib.contextmanager
def throwaway_progress() -> Iterator[None]:
    """Point NOCONTENT_PROGRESS at a new temporary file while the block runs."""
    saved = os.environ.get(PROGRESS)
    with tempfile.TemporaryDirectory(prefix="nocontent-progress-") as folder:
        os.environ[PROGRESS] = str(Path(folder) / "progress.json")
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(PROGRESS, None)
            else:
                os.environ[PROGRESS] = saved


def lab(args: list[str]) -> None:
    setup()
    # `jupyter lab FILE` would serve FILE's folder only; the course folder is the root, so
    # README.md and solutions/ are one click away.
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    step(f"starting JupyterLab in {ROOT} with {START} open (Ctrl-C stops it)")
    replace_process(JUPYTER, "lab", START, f"--ServerApp.root_dir={ROOT}",
                    "--ServerApp.log_level=WARN", "--LabApp.log_level=WARN", *root, *args)


def test(args: list[str]) -> int:
    setup(DEV)
    step("checking the code with ruff")
    status = call(PYTHON, "-m", "ruff", "check", *[p for p in LINTED if (ROOT / p).exists()])
    if status != 0:
        return status
    step("running pytest: the unit tests, then every notebook under nbval")
    with throwaway_progress():
        return call(PYTHON, "-m", "pytest", "--nbval", "--nbval-current-env",
                    "--nbval-sanitize-with", SANITIZE, *args)


def notebooks(names: list[str]) -> list[Path]:
    """The named notebooks, or every notebook under notebooks/."""
    if not names:
        found = (ROOT / "notebooks").rglob("*.ipynb")
        return sorted(p.relative_to(ROOT) for p in found if ".ipynb_checkpoints" not in p.parts)
    missing = [name for name in names if not (ROOT / name).is_file()]
    if missing:
        sys.exit(f"No such notebook: {', '.join(missing)} (paths are relative to {ROOT})")
    return [Path(name) for name in names]


def run(args: list[str]) -> int:
    setup()
    out = Path(tempfile.mkdtemp(prefix="nocontent-run-"))
    step("running each notebook in a fresh kernel (nocontent._runner)")
    with throwaway_progress():
        status = call(PYTHON, "-m", "nocontent._runner", "--out", out, *notebooks(args))
    if status != 0:
        print(f"The executed copies are in {out}")
        return 1
    shutil.rmtree(out)
    return 0


# -- saving notebooks --------------------------------------------------------------------


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join each run of consecutive stream outputs of the same name into one output.

    The kernel flushes a cell's prints in chunks, at whatever moments it likes; JupyterLab
    shows the chunks as one block, nbconvert, GitHub and nbviewer as several.
    """
    merged: list[dict[str, Any]] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (last is not None and output["output_type"] == "stream"
                and last["output_type"] == "stream" and last["name"] == output["name"]):
            last["text"] = (_text(last["text"]) + _text(output["text"])).splitlines(True)
        else:
            merged.append(dict(output))
            if output["output_type"] == "stream":
                merged[-1]["text"] = _text(output["text"]).splitlines(True)
    return merged


def write_notebook(path: Path, notebook: dict[str, Any]) -> None:
    """Write ``notebook`` byte for byte as nbformat.write does."""
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))


def tidy(path: Path) -> None:
    """Merge consecutive stream outputs and drop timing metadata; keep the widget state."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
        if "outputs" in cell:
            cell["outputs"] = merge_streams(cell["outputs"])
    write_notebook(path, notebook)


def refresh(args: list[str]) -> int:
    if not args:
        sys.exit("usage: python3 course.py refresh NOTEBOOK...")
    setup(DEV)
    with throwaway_progress():
        for notebook in notebooks(args):
            step(f"refreshing {notebook}")
            if call(PYTHON, "-c", EXECUTE_IN_PLACE, notebook) != 0:
                step(f"{notebook} failed (see above); it is left as it was")
                return 1
            tidy(ROOT / notebook)
    return 0


def lock(args: list[str]) -> int:
    setup(DEV, constrained=False)
    freeze = [PYTHON, "-m", "pip", "freeze", "--exclude-editable"]
    pins = subprocess.run(freeze, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    minimum = ".".join(map(str, MIN_PYTHON))
    marked = subprocess.run([PYTHON, "-c", MARK_PINS, minimum], input=pins, cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    # Pins for other Pythons cannot be frozen from this one: the section that holds them
    # is kept as it was written.
    before = (ROOT / "constraints.txt").read_text() if (ROOT / "constraints.txt").exists() else ""
    kept = before[before.index(KEPT):] if KEPT in before else ""
    header = ("# Exact versions of everything in .venv, used by course.py as pip constraints.\n"
              "# After changing requirements.txt or requirements-dev.txt, regenerate it with:\n"
              "# python3 course.py lock\n"
              "# (using the newest Python the course supports: a pin an older Python cannot\n"
              "# install gets a marker that skips it there, but not the other way round).\n")
    (ROOT / "constraints.txt").write_text(header + marked + kept)
    STAMP.write_text(wanted_stamp(DEV) + "\n")
    print(f"wrote constraints.txt ({len(marked.splitlines()) - 1} pins)")
    return 0


# -- reading notebooks: shared by `stats` and tests/test_notebooks.py ---------------------

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SECTION = re.compile(r"^##[ \t]+(.*?)[ \t#]*$")
LIST_ITEM = re.compile(r"^(?:\d{1,2}[.)]|[-*+])[ \t]+")
EXERCISE = re.compile(r"\bcheck\(\s*[\"']")


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict[str, Any]) -> str:
    return _text(cell.get("source", ""))


def markdown(notebook: dict[str, Any]) -> str:
    """Every markdown cell's source, in order, one blank line apart.

    A code block left open at the end of a cell is closed there, as JupyterLab renders it.
    """
    texts = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = source(cell)
            _, still_open = _scan(text)
            texts.append(f"{text}\n{still_open}" if still_open else text)
    return "\n\n".join(texts)


def _scan(text: str) -> tuple[list[tuple[str, bool]], str]:
    """Each line of ``text`` with whether it is prose (not in or on a fenced code block),
    and the fence of a code block still open at the end ("" if none)."""
    lines, fence = [], ""
    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            lines.append((line, False))
        elif opening:
            fence = opening.group(1)
            lines.append((line, False))
        else:
            lines.append((line, True))
    return lines, fence


def _outside_fences(text: str) -> list[tuple[str, bool]]:
    return _scan(text)[0]


def sections(text: str) -> list[tuple[str, str]]:
    """Split markdown into its opening and its `##` sections: (title, text) pairs.

    The opening (everything before the first `##` heading) comes first, with the title "";
    each section's text starts after its heading. Headings in code blocks do not count.
    """
    found: list[tuple[str, list[str]]] = [("", [])]
    for line, prose in _outside_fences(text):
        heading = SECTION.match(line) if prose else None
        if heading:
            found.append((heading.group(1).strip(), []))
        else:
            found[-1][1].append(line)
    return [(title, "\n".join(lines)) for title, lines in found]


def prose_words(text: str) -> int:
    """Words of markdown prose: code blocks, code spans, HTML tags and link targets left out.

    A word is a whitespace-separated token with at least one letter or digit in it.
    """
    prose = "\n".join(line for line, is_prose in _outside_fences(text) if is_prose)
    prose = re.sub(r"<!--.*?-->", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", prose)
    prose = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", prose)
    prose = re.sub(r"<[^>]*>", " ", prose)
    return sum(any(ch.isalnum() for ch in token) for token in prose.split())


def markdown_tokens(text: str) -> int:
    """All of a notebook's markdown, counted coarsely: every token but code and tags.

    Link targets and the Questions and Glossary count too, and ``#*|>-``
    separate tokens (``If-None-Match`` is three); anything between backticks is
    left out, fenced diagrams included. It is the count the project's review
    tooling flags above :data:`MAX_MARKDOWN_WORDS`, so the course holds itself
    to the same measure.
    """
    return len(re.sub(r"`[^`]*`|<[^>]+>|[#*|>-]", " ", text).split())


def _last_section(found: list[tuple[str, str]], title: str) -> int | None:
    indexes = [i for i, (name, _) in enumerate(found) if name.lower() == title.lower()]
    return indexes[-1] if indexes else None


def teaching_text(notebook: dict[str, Any]) -> str:
    """The markdown without the final Questions and Glossary sections."""
    found = sections(markdown(notebook))
    left_out = {_last_section(found, "Questions"), _last_section(found, "Glossary")}
    return "\n".join(text if i == 0 else f"## {title}\n{text}"
                     for i, (title, text) in enumerate(found) if i not in left_out)


def questions(notebook: dict[str, Any]) -> list[str]:
    """The items of the final Questions section: top-level list items, each with its answer."""
    found = sections(markdown(notebook))
    index = _last_section(found, "Questions")
    if index is None:
        return []
    items: list[list[str]] = []
    for line, prose in _outside_fences(found[index][1]):
        if prose and LIST_ITEM.match(line):
            items.append([line])
        elif items:
            items[-1].append(line)
    return ["\n".join(item).strip() for item in items]


@dataclass(frozen=True)
class Stats:
    """How big a notebook is.

    Attributes:
        notebook: the file name without .ipynb.
        prose: words of teaching prose (markdown but the final Questions and Glossary).
        markdown: all its markdown, counted coarsely (:func:`markdown_tokens`).
        sections: `##` sections (the opening is not one).
        code: code cells.
        exercises: code cells that call check("...").
        questions: items of the final Questions section.
    """

    notebook: str
    prose: int
    markdown: int
    sections: int
    code: int
    exercises: int
    questions: int

    @property
    def minutes(self) -> float:
        """Estimated time for a learner, in minutes: reading at WORDS_PER_MINUTE (180), plus
        MINUTES_PER_CODE_CELL (0.5) to read, run and look at each code cell, plus
        MINUTES_PER_EXERCISE (3) more for each exercise, plus MINUTES_PER_QUESTION (0.5) for
        each question. Rough on purpose: it compares notebooks, it does not time anyone."""
        return (self.prose / WORDS_PER_MINUTE + self.code * MINUTES_PER_CODE_CELL
                + self.exercises * MINUTES_PER_EXERCISE + self.questions * MINUTES_PER_QUESTION)


def notebook_stats(path: Path) -> Stats:
    return stats_of(load(path), Path(path).stem)


def stats_of(notebook: dict[str, Any], name: str) -> Stats:
    code = [source(c) for c in notebook["cells"] if c["cell_type"] == "code"]
    return Stats(
        notebook=name,
        prose=prose_words(teaching_text(notebook)),
        markdown=markdown_tokens(markdown(notebook)),
        sections=sum(title not in CLOSING for title, _ in sections(markdown(notebook))[1:]),
        code=len(code),
        exercises=sum(bool(EXERCISE.search(text)) for text in code),
        questions=len(questions(notebook)),
    )


def over_limits(stats: Stats) -> dict[str, str]:
    """What is over a course limit, by Stats field: {"prose": "1712 words > 1500", ...}."""
    over = {}
    if stats.prose > MAX_TEACHING_WORDS:
        over["prose"] = f"{stats.prose} words of teaching prose > {MAX_TEACHING_WORDS}"
    if stats.markdown > MAX_MARKDOWN_WORDS:
        over["markdown"] = f"{stats.markdown} words of markdown > {MAX_MARKDOWN_WORDS}"
    if stats.sections > MAX_SECTIONS:
        over["sections"] = f"{stats.sections} sections > {MAX_SECTIONS}"
    if not MIN_QUESTIONS <= stats.questions <= MAX_QUESTIONS:
        over["questions"] = (f"{stats.questions} questions, not "
                             f"{MIN_QUESTIONS} to {MAX_QUESTIONS}")
    if stats.minutes > MAX_MINUTES:
        over["minutes"] = f"about {stats.minutes:.0f} minutes > {MAX_MINUTES}"
    return over


def stats(args: list[str]) -> int:
    columns = ("prose", "markdown", "sections", "code", "exercises", "questions", "minutes")
    rows = [notebook_stats(ROOT / notebook) for notebook in notebooks(args)]
    width = max([len("notebook"), *(len(row.notebook) for row in rows)])
    print(f"{'notebook':<{width}}" + "".join(f"  {name:>9}" for name in columns))
    for row in rows:
        over = over_limits(row)
        cells = [f"{getattr(row, name):.0f}" + ("*" if name in over else " ")
                 for name in columns]
        print(f"{row.notebook:<{width}}" + "".join(f"  {cell:>9}" for cell in cells))
    print(f"* over a limit: prose (markdown words but the final Questions and Glossary) "
          f"<= {MAX_TEACHING_WORDS},\n  markdown <= {MAX_MARKDOWN_WORDS}, sections (## headings) "
          f"<= {MAX_SECTIONS}, questions {MIN_QUESTIONS} to {MAX_QUESTIONS}, "
          f"minutes <= {MAX_MINUTES}\n"
          f"minutes = prose / {WORDS_PER_MINUTE} + {MINUTES_PER_CODE_CELL} per code cell + "
          f"{MINUTES_PER_EXERCISE} per exercise + {MINUTES_PER_QUESTION} per question")
    return 0


def classroom(args: list[str]) -> int:
    setup(DEV)
    return call(PYTHON, "-m", "classroom", *args)


COMMANDS = {"test": test, "run": run, "refresh": refresh, "stats": stats, "lock": lock,
            "classroom": classroom}


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"The course needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; "
                 f"this is {sys.version.split()[0]}.")
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__)
        return 0
    os.chdir(ROOT)
    # Like `source .venv/bin/activate`, for the tools started from here (kernels, terminals);
    # and never send loopback requests (the course's own server) through a proxy.
    os.environ["VIRTUAL_ENV"] = str(VENV)
    os.environ["PATH"] = str(BIN) + os.pathsep + os.environ.get("PATH", "")
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), LOOPBACK]))
    if argv[:1] and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    if argv[:1] == ["lab"]:
        argv = argv[1:]
    if argv and not argv[0].startswith("-"):
        sys.exit(f"Unknown command {argv[0]!r}; see: python3 course.py --help")
    lab(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
