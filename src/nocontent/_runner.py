"""Run notebooks one after another, each in a fresh kernel: what ``python3 course.py run`` does.

Every notebook gets a kernel that has run nothing before it, as with Run All
after a restart. Two waits belong to the runner, not to the notebooks, and are
taken off the path: the next notebook's kernel starts while the current one
runs, and a finished kernel shuts down while the next one runs.

    python -m nocontent._runner [--out FOLDER] NOTEBOOK...

prints a line per notebook and exits 1 if any failed. ``--out`` keeps the
executed copies there. A notebook fails on an error in a cell not tagged
``raises-exception``, or when its kernel dies or a cell runs over its time.
The kernels' own log goes to standard error only when a notebook failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

KERNEL = "python3"
CELL_TIMEOUT = 600  # seconds, as for nbval in CI


@dataclass(frozen=True)
class Result:
    """How one notebook went; ``seconds`` from its turn to its last cell."""

    notebook: Path
    seconds: float
    problems: tuple[str, ...]

    def __str__(self) -> str:
        verdict = "FAIL" if self.problems else "pass"
        first = f"  {self.problems[0]}" if self.problems else ""
        return f"{verdict}  {self.notebook}  ({self.seconds:.1f} s){first}"


def problems(notebook: nbformat.NotebookNode) -> tuple[str, ...]:
    """The errors an executed notebook shows, except in cells tagged raises-exception."""
    return tuple(
        f"In [{cell.get('execution_count')}]: {output['ename']}: {output['evalue']}"
        for cell in notebook.cells
        if cell.cell_type == "code" and "raises-exception" not in cell.metadata.get("tags", [])
        for output in cell.outputs
        if output.output_type == "error"
    )


async def _start(folder: Path, log: IO[bytes]) -> AsyncKernelManager:
    manager = AsyncKernelManager(kernel_name=KERNEL)
    await manager.start_kernel(cwd=str(folder), stdout=log, stderr=log)
    return manager


async def _run_one(path: Path, notebook: nbformat.NotebookNode,
                   manager: AsyncKernelManager) -> None:
    client = NotebookClient(notebook, km=manager, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                            allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
    try:
        await client.async_execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()


async def run(paths: list[Path], out: Path | None = None, *, log: IO[bytes],
              report: bool = True) -> list[Result]:
    """Run ``paths`` in order, a fresh kernel each; save the executed copies in ``out``."""
    results: list[Result] = []
    stopping: list[asyncio.Task[None]] = []
    if not paths:
        return results
    upcoming = asyncio.create_task(_start(paths[0].parent, log))
    for index, path in enumerate(paths):
        began = time.monotonic()
        manager = await upcoming
        if index + 1 < len(paths):
            upcoming = asyncio.create_task(_start(paths[index + 1].parent, log))
        notebook = nbformat.read(path, as_version=4)
        try:
            await _run_one(path, notebook, manager)
        except Exception as exc:  # the kernel died, or a cell ran over its time
            found: tuple[str, ...] = (f"{type(exc).__name__}: {exc}".splitlines()[0],)
        else:
            found = problems(notebook)
        if out is not None:
            nbformat.write(notebook, out / path.name)
        stopping.append(asyncio.create_task(manager.shutdown_kernel()))
        results.append(Result(path, time.monotonic() - began, found))
        if report:
            print(results[-1], flush=True)
    await asyncio.gather(*stopping)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the executed copies")
    parser.add_argument("notebooks", type=Path, nargs="+")
    args = parser.parse_args(argv)
    with tempfile.TemporaryFile() as log:
        began = time.monotonic()
        results = asyncio.run(run(args.notebooks, args.out, log=log))
        failed = sum(bool(r.problems) for r in results)
        print(f"{len(results) - failed} passed, {failed} failed "
              f"in {time.monotonic() - began:.1f} s")
        if failed:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
