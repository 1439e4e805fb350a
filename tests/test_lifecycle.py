"""Lifecycle: serve()/stop() cycles, a notebook run twice in one kernel, kernel restarts.

A learner re-runs cells, re-runs whole notebooks and restarts kernels; none of it
may leave a thread, a socket or a file descriptor behind, or a second server.
The kernel tests start real ipykernel kernels with jupyter_client and nbclient,
and look inside them with a probe cell.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from rawhttp import TIMEOUT, ask

import nocontent._server as server_module
from nocontent._server import serve

pytestmark = pytest.mark.live

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
START_HERE = NOTEBOOKS / "00-start-here.ipynb"
linux_only = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")

PROBE = """
import gc, json, os, threading, time
gc.collect()
deadline = time.monotonic() + 5  # connection threads end once their client has closed
while any(t.name == "nocontent-conn" for t in threading.enumerate()):
    if time.monotonic() > deadline:
        break
    time.sleep(0.01)
links = []
for fd in os.listdir("/proc/self/fd"):
    try:
        links.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass  # the descriptor listdir itself used
print(json.dumps({
    "threads": sorted(t.name for t in threading.enumerate()),
    "descriptors": len(links),
    "sockets": sum(link.startswith("socket:") for link in links),
}))
"""
"""Run inside a kernel: its threads, descriptors and sockets, as one line of JSON."""


COUNT_SERVERS = """
import threading
print(sum(t.name == "nocontent-accept" for t in threading.enumerate()))
"""


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def start_cell_source() -> str:
    """The source of notebook 00's first cell that starts the server."""
    notebook = nbformat.read(START_HERE, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "nocontent.serve()" in cell.source:
            return cell.source
    raise LookupError("notebook 00 has no cell calling nocontent.serve()")


# -- serve() and stop() in this process --------------------------------------------------------


@linux_only
def test_a_hundred_serve_stop_cycles_leave_nothing_behind(monkeypatch) -> None:
    """serve() itself (the shared server), not only Server(): the module state is reset too."""
    monkeypatch.setattr(server_module, "_shared", None)  # as in a fresh process

    def cycle() -> None:
        running = serve()
        assert serve() is running  # a re-run start cell gets the same server
        assert ask(running, "PUT", "/docs/cycle", body=b"x").status == 201
        running.stop()
        assert server_module._shared is None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((running.host, running.port), timeout=TIMEOUT).close()

    cycle()  # the first use creates what is created once (imports, caches)
    threads, descriptors = set(threading.enumerate()), open_descriptors()
    for _ in range(100):
        cycle()
        assert set(threading.enumerate()) - threads == set()  # stop() joined them all
        assert open_descriptors() <= descriptors


# -- in a kernel -------------------------------------------------------------------------------


def extra_cell(client: NotebookClient, source: str) -> str:
    """Run ``source`` as a new last cell of the client's notebook; what it printed."""
    cell = nbformat.v4.new_code_cell(source)
    client.nb.cells.append(cell)  # nbclient stores each executed cell back by its index
    client.execute_cell(cell, len(client.nb.cells) - 1)
    return "".join(output.get("text", "") for output in cell.outputs)


def probe(client: NotebookClient) -> dict:
    return json.loads(extra_cell(client, PROBE).strip().splitlines()[-1])


@linux_only
def test_running_notebook_00_twice_in_one_kernel_leaves_nothing_behind() -> None:
    notebook = nbformat.read(START_HERE, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    cells = list(enumerate(notebook.cells))
    seen = []
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in cells:
                client.execute_cell(cell, index)
            seen.append(probe(client))
        servers = extra_cell(client, COUNT_SERVERS)
    first, second = seen
    assert "nocontent-accept" in first["threads"]
    assert "nocontent-conn" not in second["threads"]
    assert second == first  # the same threads, as many descriptors and sockets
    assert servers.strip() == "1"  # one server, however often the notebook ran


def run(client, code: str) -> str:
    """Execute ``code`` in the kernel behind ``client``; its printed output."""
    printed: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("\n".join(message["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=60, output_hook=keep)
    assert reply["content"]["status"] == "ok", "".join(printed)
    return "".join(printed)


SERVE_AND_REPORT = """
import threading
{start}
print(server.port, sum(t.name == "nocontent-accept" for t in threading.enumerate()))
"""


def test_kernel_restart_frees_the_port_and_the_start_cell_never_starts_a_second_server():
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(NOTEBOOKS))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        code = SERVE_AND_REPORT.format(start=start_cell_source())
        port, servers = map(int, run(client, code).split()[-2:])
        assert servers == 1
        for _ in range(3):  # the start cell again, and again: the same server
            assert run(client, code).split()[-2:] == [str(port), "1"]
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT):
            pass  # listening, from the kernel process

        manager.restart_kernel(now=False)  # as JupyterLab's Restart Kernel does
        client.wait_for_ready(timeout=60)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
        socket.create_server(("127.0.0.1", port)).close()  # and free to bind

        new_port, servers = map(int, run(client, code).split()[-2:])
        assert servers == 1
        manager.restart_kernel(now=True)  # a kill, as when a kernel dies
        client.wait_for_ready(timeout=60)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", new_port), timeout=TIMEOUT).close()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
