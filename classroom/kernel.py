"""The Jupyter kernel protocol over a Jupyter server's websocket, as JupyterLab speaks it.

A learner's kernel is reached through the hub's proxy, at
``/user/NAME/api/kernels/ID/channels``: each message is one JSON text frame with its
``channel`` (https://jupyter-server.readthedocs.io/en/latest/developers/websocket-protocols.html).
Only what running a notebook needs is here: ``kernel_info_request``, then one
``execute_request`` per cell, each done when both its ``execute_reply`` (shell) and the
kernel's return to ``idle`` (iopub) have arrived, in whichever order they come.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import websocket

PROTOCOL_VERSION = "5.3"


@dataclass
class Result:
    """What one ``execute_request`` gave.

    Attributes:
        status: the reply's status: ``ok``, ``error`` or ``aborted``.
        stdout, stderr: the text the cell printed to each stream.
        error: ``Name: value`` of the error it raised, or "".
        seconds: from sending the request to the later of its reply and ``idle``.
    """

    status: str = ""
    stdout: str = ""
    stderr: str = ""
    error: str = ""
    seconds: float = 0.0
    outputs: list[dict[str, Any]] = field(default_factory=list)


class KernelError(Exception):
    """The kernel did not answer in time, or the connection closed."""


class Kernel:
    """One websocket connection to a running kernel.

    Args:
        url: ``ws://HOST/user/NAME/api/kernels/ID/channels``.
        token: a token that may use the learner's server (the learner's own).
    """

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        self.session = uuid.uuid4().hex
        self._socket = websocket.create_connection(
            f"{url}?session_id={self.session}", timeout=timeout,
            header=[f"Authorization: token {token}"])

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, msg_type: str, content: dict[str, Any]) -> str:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "username": "learner",
                  "session": self.session, "version": PROTOCOL_VERSION,
                  "date": datetime.now(timezone.utc).isoformat()}
        self._socket.send(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                      "content": content, "channel": "shell", "buffers": []}))
        return msg_id

    def _messages(self, msg_id: str, deadline: float):
        """The messages whose parent is ``msg_id``, until ``deadline``."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelError("the kernel did not answer in time")
            self._socket.settimeout(remaining)
            try:
                frame = self._socket.recv()
            except websocket.WebSocketTimeoutException as exc:
                raise KernelError("the kernel did not answer in time") from exc
            except (websocket.WebSocketException, OSError) as exc:
                raise KernelError(f"the kernel's connection closed: {exc}") from exc
            if isinstance(frame, bytes):  # binary frames carry buffers of widget messages
                continue
            message = json.loads(frame)
            if message.get("parent_header", {}).get("msg_id") == msg_id:
                yield message

    def wait_ready(self, timeout: float) -> None:
        """Ask for the kernel's info until it answers (it may still be starting)."""
        msg_id = self._send("kernel_info_request", {})
        for message in self._messages(msg_id, time.monotonic() + timeout):
            if message["msg_type"] == "kernel_info_reply":
                return

    def execute(self, code: str, timeout: float) -> Result:
        started = time.monotonic()
        msg_id = self._send("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        result, replied, idle = Result(), False, False
        for message in self._messages(msg_id, started + timeout):
            kind, content = message["msg_type"], message["content"]
            if kind == "execute_reply":
                result.status, replied = content["status"], True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "stream":
                if content["name"] == "stderr":
                    result.stderr += content["text"]
                else:
                    result.stdout += content["text"]
            elif kind == "error":
                result.error = f"{content['ename']}: {content['evalue']}"
            if kind in ("stream", "error", "execute_result", "display_data"):
                result.outputs.append({"type": kind, **content})
            if replied and idle:
                result.seconds = time.monotonic() - started
                return result
        raise AssertionError("unreachable")  # _messages ends only by raising
