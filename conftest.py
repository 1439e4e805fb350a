"""Settings for every pytest run from the repository root, notebooks (nbval) included."""

from __future__ import annotations

import os
import tempfile


def pytest_configure() -> None:
    # Exercises record what a learner solved (src/nocontent/_progress.py). A test run, and
    # the notebook kernels nbval starts from it, must neither read nor change the author's
    # own progress, so that a notebook's saved progress line is the same for everyone.
    if "NOCONTENT_PROGRESS" not in os.environ:
        folder = tempfile.mkdtemp(prefix="nocontent-progress-")
        os.environ["NOCONTENT_PROGRESS"] = os.path.join(folder, "progress.json")
