"""The classroom rehearsal, small: two learners on a real JupyterHub, with real accounts.

Runs ``python -m classroom`` (what ``python3 course.py classroom`` runs) with two
learners and notebooks 00 and 08: the first notebook, and the one whose editor page
goes through jupyter-server-proxy behind the hub. Learner 1 takes them in Chromium,
learner 2 over the kernel protocol; then learner 1 tries to reach learner 2's
documents. ``python3 course.py classroom --learners 8`` runs every notebook for eight.

It needs root (to make Unix accounts), Node.js 20 and npm (the hub's proxy), git and
Chromium. Where accounts cannot be made it skips and says why; under ``CI=true`` it
runs or fails (.ci/run installs what it needs).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from classroom import browser, hub
from classroom.__main__ import STATE

pytestmark = [pytest.mark.hub, pytest.mark.live]

ROOT = Path(__file__).resolve().parent.parent

LEARNERS = ["nc-learner-1", "nc-learner-2"]


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the classroom rehearsal must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def rehearsal() -> dict:
    reason = hub.can_make_accounts()
    if reason:
        unavailable(reason)
    for tool in ("node", "npm", "git"):
        if shutil.which(tool) is None:
            unavailable(f"the rehearsal needs {tool}")
    reason = browser.unavailable()
    if reason:
        unavailable(f"the rehearsal's Chromium learner cannot run: {reason}")
    command = [sys.executable, "-m", "classroom", "--learners", "2", "--notebooks", "00", "08",
               "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    lines = done.stdout.strip().splitlines()
    assert lines, f"no report (exit {done.returncode}):\n{done.stderr[-3000:]}"
    found = json.loads(lines[-1])
    found["returncode"], found["stderr"] = done.returncode, done.stderr
    return found


def test_every_learner_passed(rehearsal) -> None:
    failures = {learner["name"]: learner["failures"] for learner in rehearsal["learners"]}
    assert failures == {name: [] for name in LEARNERS}, rehearsal["stderr"][-3000:]
    assert rehearsal["returncode"] == 0
    assert rehearsal["accounts"] == "unix"


def test_each_learner_ran_both_notebooks_in_its_own_server(rehearsal) -> None:
    for learner in rehearsal["learners"]:
        assert sorted(learner["notebooks"]) == ["00-start-here.ipynb",
                                                "08-staying-on-the-page.ipynb"]
        seconds = learner["seconds"]
        # Each step after the one before: login, server started, course pulled, first cell.
        assert 0 < seconds["login"] <= seconds["server"] <= seconds["pull"] \
            <= seconds["first cell"]
        assert 10 < learner["server_mb"] < 2048  # measured, so neither nothing nor absurd
        assert 10 < learner["kernel_mb"] < 2048
        assert learner["cpu_seconds"] > 0


def test_one_learner_used_jupyterlab_and_the_editor_behind_the_hub(rehearsal) -> None:
    ways = {learner["name"]: learner["way"] for learner in rehearsal["learners"]}
    assert ways == {"nc-learner-1": "chromium", "nc-learner-2": "http"}
    editor = rehearsal["learners"][0]["editor"]
    assert editor.startswith("/user/nc-learner-1/proxy/")
    assert editor.endswith("/editor?doc=welcome")


def test_learner_1_could_not_reach_learner_2s_documents(rehearsal) -> None:
    kept_apart = rehearsal["isolation"]
    assert kept_apart["failures"] == []
    assert kept_apart["direct"] == {"GET": "closed unread", "PUT": "closed unread",
                                    "home": "refused", "notebook": "refused"}
    for got in kept_apart["own_proxy"].values():
        assert not got.startswith("2")
        assert "Only B wrote this" not in got
    assert kept_apart["their_proxy"] == 403
    assert kept_apart["refused"] >= 4
    assert kept_apart["owner"] == {"status": 200, "has_text": True}
    assert kept_apart["body"] == "Only B wrote this.\n"


def test_everything_it_started_is_gone(rehearsal) -> None:
    for name in LEARNERS:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    assert not STATE.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(rehearsal["hub"] + "/hub/api/", timeout=5)
