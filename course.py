#!/usr/bin/env python3
"""Set up and run the nocontent course.

usage:
  python3 course.py [lab] [ARGS...]        set up, then open the course in JupyterLab
                                           (ARGS go to `jupyter lab`, e.g. --no-browser --port 8899)
  python3 course.py test [ARGS...]         set up, then ruff and pytest: unit tests and every
                                           notebook under nbval (ARGS go to pytest)
  python3 course.py run [NOTEBOOK...]      execute notebooks headless into a temporary folder and
                                           report pass/fail; committed files are not touched
  python3 course.py refresh NOTEBOOK...    re-execute notebooks in place to regenerate their saved
                                           outputs (for authors)
  python3 course.py lock                   install requirements.txt, then write constraints.txt
                                           from what is installed
  python3 course.py --help                 show this help

"Set up" creates .venv with the standard venv module if it is missing, and installs
requirements.txt into it (with constraints.txt, if present) whenever requirements.txt,
pyproject.toml or constraints.txt changed since the last install; a hash of them is kept in
.venv/.course-stamp. Paths are relative to the repository root. This script uses only the
Python standard library, because it runs before .venv exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".course-stamp"
WINDOWS = os.name == "nt"
BIN = VENV / ("Scripts" if WINDOWS else "bin")
PYTHON = BIN / ("python.exe" if WINDOWS else "python")
JUPYTER = BIN / ("jupyter.exe" if WINDOWS else "jupyter")
START = "notebooks/00-start-here.ipynb"
SANITIZE = "notebooks/sanitize.cfg"
LINTED = ("src", "tests", "benchmarks", "course.py")
STAMPED = ("requirements.txt", "pyproject.toml", "constraints.txt")
LOOPBACK = "127.0.0.1,localhost,::1"
EXECUTE = ("nbconvert", "--to", "notebook", "--execute", "--log-level=WARN",
           "--ExecutePreprocessor.kernel_name=python3", "--ExecutePreprocessor.timeout=600")

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


def call(*cmd: object) -> int:
    """Run a command in the repository root, echoing it; return its exit status."""
    args = [str(c) for c in cmd]
    print("$", " ".join(args), flush=True)
    return subprocess.call(args, cwd=ROOT)


def replace_process(*cmd: object) -> None:
    """Become the command (exec) on POSIX; elsewhere run it and exit with its status."""
    args = [str(c) for c in cmd]
    print("$", " ".join(args), flush=True)
    if os.name == "posix":
        os.execv(args[0], args)
    sys.exit(subprocess.call(args, cwd=ROOT))


def wanted_stamp() -> str:
    digest = hashlib.sha256()
    for name in STAMPED:
        path = ROOT / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def setup(constrained: bool = True) -> None:
    """Create .venv if needed and install requirements.txt when the stamp is out of date."""
    if not PYTHON.exists():
        print(f"Creating .venv with {sys.executable} (Python {sys.version.split()[0]})", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, symlinks=not WINDOWS, clear=VENV.exists()).create(VENV)
        except Exception as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"Could not create .venv: {exc}\n"
                     "On Debian or Ubuntu, install the venv module: sudo apt install python3-venv")
        # A newer pip is nice to have, not needed: carry on if it cannot be fetched.
        call(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    if constrained and STAMP.exists() and STAMP.read_text().strip() == wanted_stamp():
        return
    print("Installing requirements.txt into .venv (the first time takes a few minutes)")
    command = [PYTHON, "-m", "pip", "install", "-r", "requirements.txt"]
    if constrained and (ROOT / "constraints.txt").exists():
        command += ["-c", "constraints.txt"]
    if call(*command) != 0:
        sys.exit("Installing requirements.txt failed; see pip's message above.")
    STAMP.write_text(wanted_stamp() + "\n")


def lab(args: list[str]) -> None:
    setup()
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    replace_process(JUPYTER, "lab", START, *root, *args)


def test(args: list[str]) -> int:
    setup()
    status = call(PYTHON, "-m", "ruff", "check", *[p for p in LINTED if (ROOT / p).exists()])
    if status != 0:
        return status
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


def errors(path: Path) -> list[str]:
    """The errors an executed notebook shows, except in cells tagged raises-exception."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [f"In [{cell.get('execution_count')}]: {output['ename']}: {output['evalue']}"
            for cell in cells if "raises-exception" not in cell["metadata"].get("tags", [])
            for output in cell.get("outputs", []) if output["output_type"] == "error"]


def run(args: list[str]) -> int:
    setup()
    out = Path(tempfile.mkdtemp(prefix="nocontent-run-"))
    results = []
    for notebook in notebooks(args):
        started = time.monotonic()
        # --allow-errors: run every cell and keep the copy, so a failure can be looked at.
        status = call(JUPYTER, *EXECUTE, "--allow-errors", "--output-dir", out, notebook)
        copy = out / notebook.name
        problems = errors(copy) if copy.exists() else []
        if status != 0 and not problems:
            problems = [f"nbconvert exited with status {status}"]
        results.append((notebook, problems, time.monotonic() - started))
    print()
    for notebook, problems, seconds in results:
        print(f"{'FAIL' if problems else 'pass'}  {notebook}  ({seconds:.1f} s)", *problems[:1])
    failed = sum(bool(problems) for _, problems, _ in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        print(f"The executed copies are in {out}")
        return 1
    shutil.rmtree(out)
    return 0


def normalise(path: Path) -> None:
    """Drop widget state and timing metadata; write as nbformat does (sorted keys, indent 1)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))


def refresh(args: list[str]) -> int:
    if not args:
        sys.exit("usage: python3 course.py refresh NOTEBOOK...")
    setup()
    for notebook in notebooks(args):
        status = call(JUPYTER, *EXECUTE, "--inplace", notebook)
        if status != 0:
            return status
        normalise(ROOT / notebook)
        print(f"refreshed {notebook}")
    return 0


def lock(args: list[str]) -> int:
    setup(constrained=False)
    freeze = [PYTHON, "-m", "pip", "freeze", "--exclude-editable"]
    pins = subprocess.run(freeze, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    minimum = ".".join(map(str, MIN_PYTHON))
    marked = subprocess.run([PYTHON, "-c", MARK_PINS, minimum], input=pins, cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    header = ("# Exact versions of everything in .venv, used by course.py as pip constraints.\n"
              "# After changing requirements.txt, regenerate it with: python3 course.py lock\n"
              "# (using the newest Python the course supports: a pin an older Python cannot\n"
              "# install gets a marker that skips it there, but not the other way round).\n")
    (ROOT / "constraints.txt").write_text(header + marked)
    STAMP.write_text(wanted_stamp() + "\n")
    print(f"wrote constraints.txt ({len(marked.splitlines()) - 1} pins)")
    return 0


COMMANDS = {"test": test, "run": run, "refresh": refresh, "lock": lock}


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
