"""Memory and CPU of a learner's processes, read from Linux's /proc.

A learner's single-user server is the process the hub started (its process id is in the
server's state, which the rehearsal's service may read); its kernels are its children.
Peak resident memory is ``VmHWM`` in /proc/PID/status: the most the process ever held, so
a sample taken just before a kernel is shut down covers the kernel's whole life.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Sample:
    server_mb: float  # the server's peak resident memory
    kernel_mb: float  # the largest peak among its child processes (its kernels)
    cpu_seconds: float  # user and system time of the server and its waited-for children


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return []


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if len(fields) > 1 and fields[1] == str(pid):  # field 4, ppid
                found.append(int(entry.name))
    return found


def sample(server_pid: int) -> Sample:
    kernels = [_status_kb(pid, "VmHWM") for pid in children(server_pid)]
    fields = _stat(server_pid)
    # utime, stime, cutime, cstime: fields 14-17 of /proc/PID/stat (11-14 after the name)
    ticks = sum(int(value) for value in fields[11:15]) if len(fields) > 14 else 0
    return Sample(server_mb=_status_kb(server_pid, "VmHWM") / 1024,
                  kernel_mb=max(kernels, default=0) / 1024, cpu_seconds=ticks / TICKS)
