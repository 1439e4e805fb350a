"""JupyterHub configuration for a classroom rehearsal of the course, on one machine.

`python3 course.py classroom` writes the rehearsal's settings to a JSON file and starts
`jupyterhub -f classroom/jupyterhub_config.py` with NOCONTENT_CLASSROOM naming that file.
The hub is set up as a small hub without containers is (The Littlest JupyterHub's way):

- its real proxy, configurable-http-proxy from npm (classroom/package.json);
- one real Unix account per learner, each learner's Jupyter server started as that
  account by LocalProcessSpawner; or, in the mode without root ("accounts": "shared"),
  every server run as the instructor's own user with a home folder of its own
  (SimpleLocalProcessSpawner: for trying the rehearsal alone; learners are not kept apart);
- a shared-password authenticator: a password made for this rehearsal lets the listed
  learners in, and anyone who has it can log in as any of them. That suits a rehearsal
  only, so this file refuses any address but loopback: the hub is never reachable from
  another machine. A class needs a real authenticator (for example PAM or OAuth);
- the single-user environment named by "environment": the course's packages
  (binder/requirements.txt), jupyter-server-proxy and nbgitpuller, and
  jupyterhub-singleuser.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821 (JupyterHub provides it)

settings = json.loads(Path(os.environ["NOCONTENT_CLASSROOM"]).read_text(encoding="utf-8"))
state = Path(settings["state"])
host = settings["host"]
if not ipaddress.ip_address(host).is_loopback:
    raise SystemExit(f"refusing to bind the rehearsal hub to {host}: its shared-password "
                     "authenticator is for loopback only")

# -- the hub and its proxy -----------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{host}:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://{host}:{settings['hub_port']}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://{host}:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.ConfigurableHTTPProxy.auth_token = settings["proxy_token"]
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server
c.JupyterHub.cleanup_proxy = True

# -- who may log in ----------------------------------------------------------------------
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = set(settings["learners"])

# The rehearsal's own service: it reads each learner's server state (the process id) to
# measure memory, and nothing else. Learners act with their own logins and tokens.
c.JupyterHub.services = [{"name": "rehearsal", "api_token": settings["service_token"]}]
c.JupyterHub.load_roles = [{"name": "rehearsal", "services": ["rehearsal"],
                            "scopes": ["list:users", "read:servers", "admin:server_state"]}]

# -- each learner's server ---------------------------------------------------------------
environment = Path(settings["environment"])
if settings["accounts"] == "unix":
    c.JupyterHub.spawner_class = "localprocess"
else:
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.cmd = [str(environment / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(environment / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    "VIRTUAL_ENV": str(environment),
    # The course's requests go to the kernel's own loopback server, never via a proxy.
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "no_proxy": "127.0.0.1,localhost,::1",
    # The learner's own git settings, plus the course repository marked safe: it is a
    # local folder another account owns, which git refuses by default.
    "GIT_CONFIG_GLOBAL": settings["git_config"],
}
c.Spawner.args = [
    "--ServerApp.log_level=WARN",
    # Nothing reaches the internet: no news, no update checks.
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    # The rehearsal's Chromium learner reads JupyterLab's state through window.jupyterapp.
    "--LabApp.expose_app_in_browser=True",
]
if settings["accounts"] != "unix" and os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")  # --shared as root: every server runs as root

# Eight servers starting at once on two cores take a while; the defaults (30 s, 60 s) are
# for one at a time.
c.Spawner.http_timeout = 180
c.Spawner.start_timeout = 240
