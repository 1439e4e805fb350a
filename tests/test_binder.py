"""The classroom files stay in step with the course: Binder's pins, runtime and badge."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)(?:\s*;\s*(.+))?$")


def pins(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """name -> [(version, marker)] for every ``name==version`` line of a requirements file."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            name = re.sub(r"[-_.]+", "-", match[1]).lower()
            found.setdefault(name, []).append((match[2], match[3]))
    return found


def test_binder_pins_the_versions_the_course_is_tested_with() -> None:
    course = pins(ROOT / "requirements.txt")
    binder = pins(ROOT / "binder" / "requirements.txt")
    assert binder, "binder/requirements.txt pins nothing"
    for name, [(version, _marker)] in binder.items():
        # Binder runs Python 3.11 (runtime.txt), so the pin for 3.11 is the one to match.
        tested = [v for v, marker in course.get(name, []) if marker != 'python_version < "3.11"']
        assert tested == [version], f"{name}: binder has {version}, requirements.txt {tested}"
    assert "jupyter-server-proxy" in binder


def test_binder_installs_the_package_and_a_supported_python() -> None:
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "-e ." in lines  # repo2docker runs pip from the repository's root
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.(\d+)", runtime) and int(runtime.split(".")[1]) >= 10


def test_the_binder_badge_opens_the_start_notebook() -> None:
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\?urlpath=lab/tree/([^)]+)\)", readme)
    assert badge, "no Binder badge in README.md"
    assert (ROOT / badge[1]).is_file()
    assert (ROOT / "docs" / "instructors.md").is_file()
