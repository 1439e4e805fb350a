"""One learner on the hub, over HTTP, as the learner's browser would go: every request
goes through the hub's proxy, with the learner's own login and token.

1. log in on the hub's login form (cookies, as a browser keeps them);
2. ask the hub for a token of the learner's own (``POST /hub/api/users/NAME/tokens``);
3. start the learner's server through the hub's REST API and follow its progress stream;
4. follow the course's nbgitpuller link, then pull as its page's script does
   (``git-pull/api``, an event stream);
5. run every notebook of the pulled course, each in a kernel of its own started as
   JupyterLab starts one (``api/sessions``), cell by cell over the kernel protocol.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .kernel import Kernel, KernelError

COURSE = "nocontent"
"""The folder nbgitpuller pulls the course into: the repository URL's last part."""
START = f"{COURSE}/notebooks/00-start-here.ipynb"
CELL_TIMEOUT = 300.0
SPAWN_TIMEOUT = 300.0
NOTEBOOK = re.compile(r"^\d\d-.*\.ipynb$")


def course_link(hub_url: str, repository: str, branch: str = "main") -> str:
    """The course's nbgitpuller link, as docs/instructors.md gives it to a class."""
    query = urllib.parse.urlencode({"repo": repository, "branch": branch,
                                    "urlpath": f"lab/tree/{START}"})
    return f"{hub_url}/hub/user-redirect/git-pull?{query}"


@dataclass
class Report:
    """What happened to one learner.

    Attributes:
        name: the learner's name on the hub (and Unix account).
        way: "http" or "chromium".
        failures: what went wrong, one line each; none when the learner passed.
        seconds: from the login to each step's end: login, server, pull, first cell.
        notebooks: seconds each notebook took, kernel start included.
        server_mb, kernel_mb: peak resident memory of the single-user server and of the
            largest of its kernels.
        cpu_seconds: CPU time of the server and everything it ran, at the end.
        editor: the editor page the Chromium learner saved through (behind the hub's
            jupyter-server-proxy), or "".
    """

    name: str
    way: str = "http"
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    notebooks: dict[str, float] = field(default_factory=dict)
    server_mb: float = 0.0
    kernel_mb: float = 0.0
    cpu_seconds: float = 0.0
    editor: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def memory_mb(self) -> float:
        return self.server_mb + self.kernel_mb


class Session:
    """A learner's browser-like session with the hub: cookies, then a token."""

    def __init__(self, hub_url: str, name: str) -> None:
        self.hub_url, self.name = hub_url, name
        self.prefix = f"/user/{name}/"
        self.http = httpx.Client(base_url=hub_url, follow_redirects=True, timeout=120)
        self.token = ""

    def close(self) -> None:
        self.http.close()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_in(self, password: str) -> None:
        # next=/hub/home: land on the hub's home page; the server is started below, through
        # the REST API (the default next, /hub/spawn, would start it).
        self.http.get("/hub/login").raise_for_status()
        reply = self.http.post("/hub/login", params={"next": "/hub/home"}, data={
            "username": self.name, "password": password, "_xsrf": self.http.cookies["_xsrf"]})
        if reply.url.path != "/hub/home":
            raise AssertionError(f"login as {self.name} ended at {reply.url.path} "
                                 f"({reply.status_code})")

    def take_token(self) -> None:
        """A token of the learner's own, asked for with the login cookie (as the hub's
        token page does)."""
        reply = self.http.post(f"/hub/api/users/{self.name}/tokens",
                               json={"note": "classroom rehearsal"},
                               headers={"X-XSRFToken": self.http.cookies["_xsrf"]})
        reply.raise_for_status()
        self.token = reply.json()["token"]

    def start_server(self) -> None:
        """Start the learner's server with the REST API; return once the hub says ready."""
        started = self.http.post(f"/hub/api/users/{self.name}/server", headers=self.auth)
        if started.status_code not in (201, 202):
            raise AssertionError(f"starting the server: {started.status_code} {started.text}")
        last: dict[str, Any] = {}
        with self.http.stream("GET", f"/hub/api/users/{self.name}/server/progress",
                              headers=self.auth, timeout=SPAWN_TIMEOUT) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    last = json.loads(line[5:])
                    if last.get("ready") or last.get("failed"):
                        break
        if not last.get("ready"):
            raise AssertionError(f"the server did not start: {last.get('message', last)}")

    def pull(self, link: str) -> None:
        """Follow the nbgitpuller link, then pull as the page it opens does."""
        page = self.http.get(link)
        page.raise_for_status()
        if page.url.path != f"{self.prefix}git-pull":
            raise AssertionError(f"the nbgitpuller link ended at {page.url.path}")
        data = {key: urllib.parse.unquote(value) for key, value
                in re.findall(r'data-([a-z-]+)="([^"]*)"', page.text)}
        params = {"repo": data["repo"], "branch": data["branch"],
                  "targetpath": data["targetpath"], "_xsrf": data["xsrf"]}
        last: dict[str, Any] = {}
        with self.http.stream("GET", f"{self.prefix}git-pull/api", params=params) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    last = json.loads(line[5:])
        if last.get("phase") != "finished":
            raise AssertionError(f"nbgitpuller: {last.get('message') or last}")

    def notebooks(self) -> list[str]:
        """The course's notebooks in the learner's pulled copy, in order."""
        folder = self.http.get(f"{self.prefix}api/contents/{COURSE}/notebooks",
                               headers=self.auth)
        folder.raise_for_status()
        return sorted(item["path"] for item in folder.json()["content"]
                      if NOTEBOOK.match(item["name"]))

    def open_kernel(self, path: str) -> tuple[str, Kernel]:
        """A new session (and kernel) for the notebook at ``path``, as JupyterLab opens one;
        its id and a connection to its kernel."""
        session = self.http.post(f"{self.prefix}api/sessions", headers=self.auth, json={
            "path": path, "name": path.rsplit("/", 1)[-1], "type": "notebook",
            "kernel": {"name": "python3"}})
        session.raise_for_status()
        body = session.json()
        ws_url = self.hub_url.replace("http", "ws", 1)
        kernel = Kernel(f"{ws_url}{self.prefix}api/kernels/{body['kernel']['id']}/channels",
                        self.token)
        kernel.wait_ready(CELL_TIMEOUT)
        return body["id"], kernel

    def close_session(self, session_id: str) -> None:
        self.http.delete(f"{self.prefix}api/sessions/{session_id}", headers=self.auth)

    def shut_down_kernels(self) -> None:
        sessions = self.http.get(f"{self.prefix}api/sessions", headers=self.auth)
        for session in sessions.json():
            self.close_session(session["id"])

    def run_notebook(self, path: str, on_first_cell: Callable[[], None] | None = None,
                     ) -> tuple[list[str], str]:
        """Run every code cell of the notebook at ``path`` in a fresh kernel, in order.

        Returns the failures (an error in a cell not tagged raises-exception, or no answer)
        and the session's id: the kernel is left running, to be measured, then closed.
        """
        notebook = self.http.get(f"{self.prefix}api/contents/{urllib.parse.quote(path)}",
                                 headers=self.auth)
        notebook.raise_for_status()
        cells = [cell for cell in notebook.json()["content"]["cells"]
                 if cell["cell_type"] == "code"]
        session_id, kernel = self.open_kernel(path)
        failures = []
        try:
            for number, cell in enumerate(cells, 1):
                source = "".join(cell["source"])
                result = kernel.execute(source, CELL_TIMEOUT)
                if number == 1 and on_first_cell is not None:
                    on_first_cell()
                expected = "raises-exception" in cell.get("metadata", {}).get("tags", [])
                if result.status != "ok" and not expected:
                    failures.append(f"{path} cell {number}: {result.error or result.status}")
                    break
        except KernelError as exc:
            failures.append(f"{path}: {exc}")
        finally:
            kernel.close()
        return failures, session_id
