"""The classroom files stay in step with the course: Binder's pins, runtime and badge.

Binder (and a hub image built from ``binder/``) installs the learner's set,
``requirements.txt``, at the same versions, plus what only a hub needs; none
of the test tools of ``requirements-dev.txt``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)(?:\s*;\s*([^#]+?))?\s*(?:#.*)?$")
HUB_ONLY = {"jupyter-server-proxy", "nbgitpuller"}
"""What learners on a hub need and a learner's own machine does not (binder/requirements.txt)."""


def pins(path: Path, python: str | None = None) -> dict[str, str]:
    """name -> version for every ``name==version`` line of a requirements file.

    With ``python`` ("3.11"), only the lines whose marker holds for that Python.
    """
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if not match:
            continue
        name, version, marker = re.sub(r"[-_.]+", "-", match[1]).lower(), match[2], match[3]
        environment = {"python_version": python, "python_full_version": f"{python}.0"}
        if python and marker and not Marker(marker).evaluate(environment):
            continue
        assert python is None or name not in found, f"{path.name}: two pins of {name}"
        found[name] = version
    return found


def binder_python() -> str:
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.(\d+))", runtime)
    assert match and int(match[2]) >= 10, runtime
    return match[1]


def test_binder_installs_the_learners_set_at_the_tested_versions() -> None:
    python = binder_python()
    learner = pins(ROOT / "requirements.txt", python)
    binder = pins(ROOT / "binder" / "requirements.txt", python)
    assert learner, "requirements.txt pins nothing"
    assert {name: binder.get(name) for name in learner} == learner


def test_binder_adds_only_what_a_hub_needs_at_the_tested_version() -> None:
    python = binder_python()
    learner = pins(ROOT / "requirements.txt", python)
    binder = pins(ROOT / "binder" / "requirements.txt", python)
    tested = {**pins(ROOT / "requirements-dev.txt", python),
              **pins(ROOT / "classroom" / "requirements.txt", python)}
    extra = {name: version for name, version in binder.items() if name not in learner}
    assert set(extra) == HUB_ONLY
    assert extra == {name: tested.get(name) for name in extra}


def test_the_learners_set_holds_no_test_tool() -> None:
    learner = pins(ROOT / "requirements.txt")
    dev_only = set(pins(ROOT / "requirements-dev.txt")) - set(learner)
    assert {"pytest", "nbval", "ruff", "playwright", "hypothesis"} <= dev_only
    hub = set(pins(ROOT / "classroom" / "requirements.txt"))
    assert dev_only | hub >= HUB_ONLY


def test_the_dev_set_includes_the_learners_set() -> None:
    lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in lines


def test_every_pin_is_also_in_the_constraints() -> None:
    constrained = pins(ROOT / "constraints.txt", "3.11")
    for path in ("requirements.txt", "requirements-dev.txt", "binder/requirements.txt",
                 "classroom/requirements.txt"):
        wanted = pins(ROOT / path, "3.11")
        assert {name: constrained.get(name) for name in wanted} == wanted, path


SUPPORTED = ("3.10.0", "3.10.19", "3.11.0", "3.11.4", "3.11.5", "3.12.0", "3.13.0", "3.14.0")
PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
     "platform_machine": "x86_64"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
     "platform_machine": "arm64"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
     "platform_machine": "x86_64"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
     "platform_machine": "AMD64"},
)


def pinned_for(path: Path, environment: dict[str, str]) -> list[str]:
    """The names a requirements or constraints file pins in ``environment``, repeats kept."""
    names = []
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match and (match[3] is None or Marker(match[3]).evaluate(environment)):
            names.append(re.sub(r"[-_.]+", "-", match[1]).lower())
    return names


def test_the_constraints_pin_each_package_once_on_every_supported_python() -> None:
    for full in SUPPORTED:
        for platform in PLATFORMS:
            environment = {"python_version": full.rsplit(".", 1)[0],
                           "python_full_version": full, **platform}
            names = pinned_for(ROOT / "constraints.txt", environment)
            twice = sorted({name for name in names if names.count(name) > 1})
            assert twice == [], f"Python {full} on {platform['sys_platform']}: {twice}"


def test_what_311_pins_310_pins_too_unless_it_skips_it() -> None:
    """A marker that drops a pin on 3.10 needs a 3.10 pin beside it, or 3.10 floats."""
    def everything(full: str) -> set[str]:
        environment = {"python_version": full.rsplit(".", 1)[0], "python_full_version": full}
        return {name for path in ("constraints.txt", "requirements.txt", "requirements-dev.txt")
                for name in pinned_for(ROOT / path, environment)}

    skipped_on_310 = {"starlette"}  # requirements-dev.txt: the frameworks lab skips it on 3.10
    assert everything("3.11.5") - everything("3.10.19") == skipped_on_310


def test_ci_runs_the_test_command_on_every_supported_python() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    [job] = workflow["jobs"].values()
    requires = re.search(r'requires-python = ">=3\.(\d+)"', (ROOT / "pyproject.toml").read_text())
    assert requires
    assert job["strategy"]["matrix"]["python"] == [f"3.{minor}"
                                                   for minor in range(int(requires[1]), 15)]
    assert [step["run"] for step in job["steps"] if "run" in step] == ["bash .ci/run"]


def test_binder_installs_the_package_and_a_supported_python() -> None:
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "-e ." in lines  # repo2docker runs pip from the repository's root
    binder_python()


def test_the_binder_badge_opens_the_start_notebook() -> None:
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\?urlpath=lab/tree/([^)]+)\)", readme)
    assert badge, "no Binder badge in README.md"
    assert (ROOT / badge[1]).is_file()
    assert (ROOT / "docs" / "instructors.md").is_file()
