"""Classroom scale, small: two learners at once, each in its own kernel.

Runs ``benchmarks/classroom.py`` itself (as a learner-facing script it must keep
working), on notebooks 00 and 03 only so the suite stays quick; the script runs
the whole course for eight learners on demand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_two_learners_at_once_each_get_their_own_server_and_nothing_crosses() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "classroom.py"), "--kernels", "2",
               "--notebooks", "00", "03", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    learners = summary["learners"]
    failures = [failure for learner in learners for failure in learner["failures"]]
    assert failures == []
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary["all passed"] and summary["own ports"] and summary["no cross-talk"]
    assert len({learner["port"] for learner in learners}) == 2
    assert len({learner["pid"] for learner in learners}) == 2
    for learner in learners:
        assert list(learner["seconds"]) == ["00-start-here.ipynb",
                                            "03-where-a-204-ends.ipynb"]
        assert learner["learner_documents"] == [f"learner-{learner['number']}"]
        assert learner["seen_from_outside"] == [learner["port"]]
        assert 0 < learner["peak_mb"] < 1024
