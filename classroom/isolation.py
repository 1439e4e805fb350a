"""Learner A against learner B's documents, with two real Unix accounts.

B's kernel starts its teaching server and saves a document only B should see. Then A
tries to read it and to change it, in every way A has:

- directly, from A's kernel, to B's port on the shared loopback (and A tries B's files);
- through A's own jupyter-server-proxy (``/user/A/proxy/B's port/...``);
- through B's jupyter-server-proxy, with A's token (``/user/B/proxy/...``).

B's server must close A's connections unread and count them, keep B's document as B
wrote it, and still serve B through B's own proxy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .learner import Session

DOCUMENT = "b-only"
B_TEXT = "Only B wrote this.\n"
B_SERVES = f"""
import json, nocontent
server = nocontent.serve()
reply = nocontent.exchange(server.url + "/docs/{DOCUMENT}", "PUT",
                           [("Content-Type", "text/plain")], {B_TEXT.encode()!r})
print(json.dumps({{"port": server.port, "status": reply.status}}))
"""
A_KNOCKS = """
import json, os, socket
def knock(request):
    try:
        sock = socket.create_connection(("127.0.0.1", {port}), timeout=10)
    except OSError as exc:
        return "no connection: " + type(exc).__name__
    with sock:
        try:
            sock.sendall(request)
            reply = sock.recv(65536)
        except ConnectionResetError:
            reply = b""
    return "closed unread" if reply == b"" else reply.decode("latin-1")
def read(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        return "read"
    except PermissionError:
        return "refused"
print(json.dumps({{
    "GET": knock(b"GET /docs/{document} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"),
    "PUT": knock(b"PUT /docs/{document} HTTP/1.1\\r\\nHost: x\\r\\n"
                 b"Content-Length: 2\\r\\n\\r\\nA!"),
    "home": read({home!r}),
    "notebook": read({home!r} + "/nocontent/notebooks/00-start-here.ipynb"),
}}))
"""
B_AFTER = f"""
print(json.dumps({{"body": server.app.store.get({DOCUMENT!r}).body.decode(),
                  "refused": server.refused_other_users}}))
"""


@dataclass
class Isolation:
    """What A managed against B's documents (see the module's docstring).

    Attributes:
        direct: what A's kernel got for a GET and a PUT sent straight to B's port, and for
            reading B's home folder and B's copy of a notebook.
        own_proxy: status and body of A's GET and PUT through A's own proxy.
        their_proxy: status of A's GET through B's proxy with A's token.
        owner: status of B's own GET through B's proxy, and whether it had B's text.
        refused: connections B's server closed unread, by its own count.
        body: B's document at the end.
    """

    a: str
    b: str
    direct: dict[str, str] = field(default_factory=dict)
    own_proxy: dict[str, str] = field(default_factory=dict)
    their_proxy: int = 0
    owner: dict[str, object] = field(default_factory=dict)
    refused: int = 0
    body: str = ""
    failures: list[str] = field(default_factory=list)

    def judge(self) -> None:
        """Fill ``failures`` with every way A got through."""
        for what, got in self.direct.items():
            wanted = "refused" if what in ("home", "notebook") else "closed unread"
            if got != wanted:
                self.failures.append(f"{self.a} direct {what}: {got[:120]!r}, not {wanted}")
        for method, got in self.own_proxy.items():
            if got.startswith("2") or B_TEXT.strip() in got:
                self.failures.append(f"{self.a} {method} through its own proxy: {got[:120]!r}")
        if self.their_proxy != 403:
            self.failures.append(f"{self.a} through {self.b}'s proxy: {self.their_proxy}")
        if self.owner != {"status": 200, "has_text": True}:
            self.failures.append(f"{self.b} through its own proxy: {self.owner}")
        if self.body != B_TEXT:
            self.failures.append(f"{self.b}'s document changed: {self.body!r}")
        if self.refused < 4:  # two connections direct, two through A's proxy
            self.failures.append(f"{self.b}'s server counted {self.refused} refused, not 4")


def _json(session: Session, kernel, code: str) -> dict:
    result = kernel.execute(code, 120)
    if result.status != "ok":
        raise AssertionError(f"{session.name}'s kernel: {result.error or result.status}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check(a: Session, b: Session, b_home: str) -> Isolation:
    found = Isolation(a=a.name, b=b.name)
    b_session, b_kernel = b.open_kernel("isolation-b.ipynb")
    a_session, a_kernel = a.open_kernel("isolation-a.ipynb")
    try:
        port = _json(b, b_kernel, B_SERVES)["port"]
        found.direct = _json(a, a_kernel, A_KNOCKS.format(port=port, document=DOCUMENT,
                                                          home=b_home))
        path = f"proxy/{port}/docs/{DOCUMENT}"
        got = a.http.get(f"{a.prefix}{path}", headers=a.auth)
        found.own_proxy["GET"] = f"{got.status_code} {got.text[:200]}"
        got = a.http.put(f"{a.prefix}{path}", headers=a.auth, content=b"A!")
        found.own_proxy["PUT"] = f"{got.status_code} {got.text[:200]}"
        found.their_proxy = a.http.get(f"{b.prefix}{path}", headers=a.auth).status_code
        got = b.http.get(f"{b.prefix}{path}", headers=b.auth)
        found.owner = {"status": got.status_code, "has_text": got.text == B_TEXT}
        after = _json(b, b_kernel, B_AFTER)
        found.body, found.refused = after["body"], after["refused"]
    finally:
        a_kernel.close()
        b_kernel.close()
        a.close_session(a_session)
        b.close_session(b_session)
    found.judge()
    return found
