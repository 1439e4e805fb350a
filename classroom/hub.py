"""What the rehearsal sets up on the machine, and takes down again.

- the proxy: configurable-http-proxy, installed with ``npm ci`` into classroom/node_modules
  from the committed package.json and package-lock.json;
- the single-user environment: with Unix accounts, a virtual environment under
  /opt/nocontent-classroom made from a Python every account may run, with the learner's
  packages (binder/requirements.txt) and the hub's (classroom/requirements.txt); it is kept
  for the next rehearsal and rebuilt when those files, or the course package, change.
  Without root, the course's own .venv;
- the course as a git repository the learners' nbgitpuller pulls from: a bare clone of
  this repository's committed HEAD, as branch main, in a folder everyone may read;
- one Unix account per learner (``useradd``), each with a home only it may read;
- the hub itself, in a session of its own, with its log in the state folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
NODE_MAJOR = 20
"""configurable-http-proxy 5.2 needs Node.js 20 or newer (its package.json says so)."""
SHARED_ENVIRONMENTS = Path("/opt/nocontent-classroom")
USER_REQUIREMENTS = (ROOT / "binder" / "requirements.txt", HERE / "requirements.txt")
ACCOUNT_COMMENT = "nocontent classroom rehearsal"
"""The GECOS field of the accounts the rehearsal makes: only those are ever removed."""
HUB_START = 120.0


class SetupError(Exception):
    """Something the rehearsal needs is missing; the message says what to do."""


def run(*command: object, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise SetupError with the end of its output."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SetupError(f"{' '.join(map(str, command))} failed:\n{tail}")
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the proxy ----------------------------------------------------------------------------------


def install_proxy() -> Path:
    """configurable-http-proxy, installed from package-lock.json if it is not yet."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        raise SetupError("configurable-http-proxy needs Node.js and npm: "
                         "apt-get install nodejs npm")
    version = run(node, "--version").stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        raise SetupError(f"configurable-http-proxy needs Node.js {NODE_MAJOR} or newer; "
                         f"this is {version}")
    lock = HERE / "package-lock.json"
    installed = HERE / "node_modules" / ".package-lock.json"
    if (not PROXY.exists() or not installed.exists()
            or installed.stat().st_mtime < lock.stat().st_mtime):
        run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=HERE)
    return PROXY


# -- the single-user environment ----------------------------------------------------------------


def world_runnable(path: Path) -> bool:
    """Whether any account may run ``path``: it and every folder above it open to others."""
    real = path.resolve()
    if not real.stat().st_mode & stat.S_IXOTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)


def shared_python() -> Path:
    """A Python 3.10+ with venv that every learner account may run."""
    candidates = [Path(sys._base_executable), Path("/usr/bin/python3"),
                  Path("/usr/local/bin/python3")]
    for python in candidates:
        if python.exists() and world_runnable(python):
            probe = subprocess.run([str(python), "-c", "import sys, venv, ensurepip; "
                                    "sys.exit(sys.version_info < (3, 10))"],
                                   capture_output=True)
            if probe.returncode == 0:
                return python
    raise SetupError("no Python 3.10+ with venv that other accounts may run (this one is "
                     f"{sys._base_executable}); on Debian: apt-get install python3-venv")


def _fingerprint(python: Path) -> str:
    digest = hashlib.sha256(str(python).encode())
    for path in (*USER_REQUIREMENTS, ROOT / "constraints.txt"):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _package_fingerprint() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for path in sorted((ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def user_environment(say) -> Path:
    """The single-user environment for learner accounts, built or updated if needed."""
    python = shared_python()
    environment = SHARED_ENVIRONMENTS / "env"
    stamp = environment / ".classroom-stamp.json"
    wanted = {"packages": _fingerprint(python), "course": _package_fingerprint()}
    found = json.loads(stamp.read_text()) if stamp.exists() else {}
    if found.get("packages") != wanted["packages"]:
        say(f"building the learners' environment in {environment} with {python} "
            "(the first time takes a minute or two)")
        shutil.rmtree(environment, ignore_errors=True)
        SHARED_ENVIRONMENTS.mkdir(mode=0o755, parents=True, exist_ok=True)
        run(python, "-m", "venv", environment)
        requirements = environment / "requirements.txt"
        # binder/requirements.txt's "-e ." is the course package: installed below, as a copy,
        # so that learner accounts need not read this checkout.
        lines = [line for path in USER_REQUIREMENTS
                 for line in path.read_text().splitlines() if line.strip() != "-e ."]
        requirements.write_text("\n".join(lines) + "\n")
        pip = [environment / "bin" / "python", "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "-r", requirements]
        if (ROOT / "constraints.txt").exists():
            pip += ["-c", ROOT / "constraints.txt"]
        run(*pip)
        found = {}
    if found.get("course") != wanted["course"]:
        say("installing the course package into the learners' environment")
        with tempfile.TemporaryDirectory(prefix="nocontent-package-") as folder:
            # Built from a copy: setuptools writes build/ next to the sources it builds.
            copy = Path(folder)
            for name in ("pyproject.toml", "README.md"):
                shutil.copy2(ROOT / name, copy / name)
            shutil.copytree(ROOT / "src", copy / "src",
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info",
                                                          "node_modules"))
            run(environment / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
                "--force-reinstall", "--disable-pip-version-check", copy)
    stamp.write_text(json.dumps(wanted))
    run("chmod", "-R", "a+rX", environment)
    return environment


def own_environment() -> Path:
    """This environment (.venv), for learners who all run as the instructor's user."""
    environment = Path(sys.prefix)
    if (not (environment / "bin" / "jupyterhub-singleuser").exists()
            or importlib.util.find_spec("nbgitpuller") is None):
        raise SetupError(f"{environment} lacks jupyterhub or nbgitpuller: install "
                         f"{HERE / 'requirements.txt'} into it")
    return environment


# -- the course, as a repository to pull from ---------------------------------------------------


def publish_course(folder: Path) -> str:
    """A bare clone of HEAD as branch main in ``folder``/nocontent; its file:// URL.

    The folder is named ``nocontent`` so that nbgitpuller's folder (the URL's last part)
    is the one the course's link opens, as with https://github.com/OWNER/nocontent.
    """
    repository = folder / "nocontent"
    run("git", "init", "--quiet", "--bare", repository)
    run("git", "-C", repository, "fetch", "--quiet", ROOT, "HEAD:refs/heads/main")
    run("git", "-C", repository, "symbolic-ref", "HEAD", "refs/heads/main")
    run("chmod", "-R", "a+rX", folder)
    return repository.as_uri()


def git_config(state: Path, repository: Path) -> Path:
    """A global git configuration for the learners: their own, plus the course repository
    marked safe (git refuses a repository another account owns, and it is root's)."""
    path = state / "gitconfig"
    path.write_text(f"[include]\n\tpath = ~/.gitconfig\n[safe]\n\tdirectory = {repository}\n")
    path.chmod(0o644)
    return path


# -- accounts -------------------------------------------------------------------------------------


def can_make_accounts() -> str:
    """Why Unix accounts cannot be made here, or "" when they can."""
    if not sys.platform.startswith("linux"):
        return "Unix accounts are made with useradd, on Linux only"
    if os.geteuid() != 0:
        return "making Unix accounts needs root"
    if shutil.which("useradd") is None or shutil.which("userdel") is None:
        return "useradd and userdel are missing (Debian: apt-get install passwd)"
    return ""


def make_account(name: str) -> pwd.struct_passwd:
    """A new learner account with a home only it may read."""
    with contextlib.suppress(KeyError):
        existing = pwd.getpwnam(name)
        if existing.pw_gecos != ACCOUNT_COMMENT:
            raise SetupError(f"an account {name} exists and is not the rehearsal's")
        remove_account(name)
    run("useradd", "--create-home", "--shell", "/bin/bash", "--comment", ACCOUNT_COMMENT, name)
    account = pwd.getpwnam(name)
    Path(account.pw_dir).chmod(0o700)
    return account


def remove_account(name: str) -> None:
    """Remove a rehearsal account, its home and any process it still runs."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return
    if account.pw_gecos != ACCOUNT_COMMENT:
        return
    for pid in processes_of(account.pw_uid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
    return found


# -- the hub ------------------------------------------------------------------------------------


@dataclass
class Hub:
    """A rehearsal hub's settings (what jupyterhub_config.py reads) and its process.

    Written to ``state/settings.json``; ``--stop`` reads it back to stop a kept hub.
    """

    state: str
    learners: list[str]
    accounts: str  # "unix" or "shared"
    environment: str
    proxy: str
    repository: str
    git_config: str
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    hub_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    service_token: str = field(default_factory=lambda: secrets.token_hex(32))
    proxy_token: str = field(default_factory=lambda: secrets.token_hex(32))
    pid: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def settings(self) -> Path:
        return Path(self.state) / "settings.json"

    @property
    def log(self) -> Path:
        return Path(self.state) / "jupyterhub.log"

    def save(self) -> None:
        self.settings.write_text(json.dumps(asdict(self), indent=1))
        self.settings.chmod(0o600)

    @classmethod
    def load(cls, settings: Path) -> Hub:
        return cls(**json.loads(settings.read_text()))

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def start(self) -> None:
        """Start jupyterhub and wait until its API answers."""
        self.save()
        env = {**os.environ, "NOCONTENT_CLASSROOM": str(self.settings)}
        with self.log.open("wb") as log:
            process = subprocess.Popen(
                [Path(sys.executable).parent / "jupyterhub", "-f", HERE / "jupyterhub_config.py"],
                cwd=self.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = process.pid
        self.save()
        deadline = time.monotonic() + HUB_START
        while True:
            if process.poll() is not None:
                raise SetupError(f"jupyterhub exited with {process.returncode}:\n"
                                 f"{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise SetupError(f"jupyterhub did not answer in {HUB_START:.0f} s:\n"
                                 f"{self.log_tail()}")
            time.sleep(0.25)

    def stop(self) -> None:
        """Stop the hub; it stops every learner's server and its proxy first."""
        if not self.pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and alive(self.pid):
                time.sleep(0.2)
            if alive(self.pid):  # it did not stop in time: its whole session goes
                os.killpg(self.pid, signal.SIGKILL)
        self.pid = 0

    def user_api(self, name: str) -> dict:
        """The hub's record of learner ``name`` (the rehearsal service may read it)."""
        reply = httpx.get(f"{self.url}/hub/api/users/{name}", timeout=30,
                          headers={"Authorization": f"token {self.service_token}"})
        reply.raise_for_status()
        return reply.json()


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (and is not a zombie waiting for us)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
