"""Fixtures for tests in a real browser and against a real Jupyter server.

The browser is the system's Chromium (Debian's ``chromium`` package), driven
by Playwright from Python through its executable path: nothing is downloaded.
Without Chromium (or Playwright) these tests skip and say why; with
``CI=true`` a missing browser fails them instead, so CI can never pass by
skipping them. ``NOCONTENT_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from nocontent.lab.browsers import chromium_path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JUPYTER_START = 120.0
"""Seconds a Jupyter server may take to answer /api/status."""
BASE_URL = "/user/learner/"
"""The Jupyter server's base URL: the path JupyterHub gives a learner's server."""
LAB_SETTINGS = {
    # Every cell in the DOM, so widgets below the fold can be found (no virtual scrolling).
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news or update checks: nothing may reach the internet, and no toast may cover a cell.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip the test, or fail it under CI=true, where every browser test must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run in CI; "
                    ".ci/run installs Chromium)", pytrace=False)
    pytest.skip(reason)


# Package scope (this folder is a package), not session: a sync Playwright left running
# would make every later sync_playwright() in the session fail ("using Playwright Sync API
# inside the asyncio loop"), and the browser lab's capture tests outside this folder start
# their own.
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """A headless system Chromium, with a fresh profile, for the tests in this folder."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed in this environment (python3 course.py installs it)")
    path = chromium_path()
    if path is None:
        missing("no Chromium found: install it with `apt-get install chromium` "
                "(or set NOCONTENT_CHROMIUM to a Chromium binary)")
    with sync_playwright() as playwright:
        # Playwright gives each launch a new temporary profile (user data dir).
        launched = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def expect(browser):
    """Playwright's ``expect``: waits for a locator to match, then asserts.

    Tests wait with it rather than with ``page.wait_for_function``, whose
    polling evaluates script in the page, which the editor page's
    Content-Security-Policy (no ``unsafe-eval``) rightly refuses.
    """
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=15_000)
    return playwright_expect


@pytest.fixture
def page(browser):
    """A new page in its own browser context (own cookies and cache), closed afterwards."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.nc_errors = errors  # uncaught script errors, for tests to assert on
    yield opened
    context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True, kw_only=True)
class Jupyter:
    """A running ``jupyter lab``.

    Attributes:
        origin: ``http://127.0.0.1:PORT``.
        prefix: its base URL, the path a hub gives a learner's server (``/user/learner/``).
        base: ``origin`` plus ``prefix``.
        token: the token that authenticates requests.
        root: the folder it serves (a temporary copy of ``notebooks/``).
        log: the file its output goes to.
    """

    origin: str
    prefix: str
    base: str
    token: str
    root: Path
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started.

    SIGTERM to its process group makes Jupyter shut its kernels down; kernels
    run in sessions of their own, so any that outlive it are killed by their
    own process group afterwards.
    """
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal_number)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
    for child in family:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            if child.is_running() and os.getpgid(child.pid) == child.pid:
                os.killpg(child.pid, signal.SIGKILL)
            elif child.is_running():
                child.kill()
    psutil.wait_procs(family, timeout=10)


@pytest.fixture(scope="session")
def jupyter() -> Iterator[Jupyter]:
    """``jupyter lab`` from this environment, on a free port, in a temporary folder.

    Its settings, workspaces, runtime and data folders are temporary too, so
    nothing from the machine's own Jupyter setup leaks in or is changed.
    Stopped, with its kernels, at the end of the session.
    """
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        missing("jupyter is not installed next to this Python (python3 course.py installs it)")
    temp = Path(tempfile.mkdtemp(prefix="nocontent-lab-"))
    root = temp / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = temp / "settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    token = os.urandom(16).hex()
    port = free_port()
    environment = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(temp / "config"),
        "JUPYTER_DATA_DIR": str(temp / "data"),
        "JUPYTER_RUNTIME_DIR": str(temp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(temp / "workspaces"),
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    environment.pop("JUPYTERHUB_SERVICE_PREFIX", None)
    log = temp / "jupyter.log"
    command = [
        str(Path(sys.executable).parent / "jupyter"), "lab",
        "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--ServerApp.base_url={BASE_URL}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=root, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    origin = f"http://127.0.0.1:{port}"
    running = Jupyter(origin=origin, prefix=BASE_URL, base=origin + BASE_URL, token=token,
                      root=root, log=log)
    try:
        deadline = time.monotonic() + JUPYTER_START
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n"
                            f"{running.log_tail()}", pytrace=False)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(running.base + "api/status", headers=running.headers,
                             timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {JUPYTER_START:.0f} s:\n"
                            f"{running.log_tail()}", pytrace=False)
            time.sleep(0.25)
        yield running
    finally:
        _stop(process)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def proxied(request) -> Jupyter:
    """The ``jupyter`` server, once it is known to have jupyter-server-proxy enabled."""
    if importlib.util.find_spec("jupyter_server_proxy") is None:
        missing("jupyter-server-proxy is not installed in this environment "
                "(python3 course.py installs it)")
    running: Jupyter = request.getfixturevalue("jupyter")
    info = httpx.get(running.base + "server-proxy/servers-info", headers=running.headers)
    if info.status_code != 200:
        pytest.fail("jupyter-server-proxy is installed but the server did not load it "
                    f"(GET server-proxy/servers-info: {info.status_code}):\n{running.log_tail()}",
                    pytrace=False)
    return running
