"""The frameworks and clients lab: what real servers send for a 204, and what real clients do.

Two tools, both run from the command line and both saving data files that the
course's notebooks read, so the course works offline with nothing but Python:

* ``python -m nocontent lab capture [--only NAME ...]`` runs a minimal app per
  framework (Go, Node.js, Rack, Symfony, http.server, Flask, Starlette on
  uvicorn) on loopback and saves the exact bytes of its 204s
  (:mod:`nocontent.lab.capture`);
* ``python -m nocontent lab clients [--only NAME ...]`` runs httpx, requests,
  http.client, urllib, curl and Node's ``http`` and ``fetch`` against the
  embedded server's correct and broken 204s (:mod:`nocontent.lab.clients`).

A framework or client whose toolchain is missing is skipped, with the reason;
its saved data is kept. ``--check`` regenerates without writing and exits 1
when a fresh result differs from the saved one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "data_dir"]


def data_dir() -> Path:
    """Where the saved captures live: ``notebooks/data`` of the course checkout."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "course.py").is_file() and (checkout / "notebooks").is_dir():
        return checkout / "notebooks" / "data"
    return Path.cwd() / "notebooks" / "data"


def _fail(message: str) -> int:
    print(f"nocontent: error: {message}", file=sys.stderr)
    return 2


def _capture(args: argparse.Namespace) -> int:
    from .capture import capture_all, differences, load_captures

    directory = Path(args.out) if args.out else data_dir() / "captures"
    try:
        results = capture_all(directory, args.only, write=not args.check)
    except ValueError as exc:
        return _fail(str(exc))
    if not args.check:
        return 0
    saved = load_captures(directory)
    failed = False
    for name, fresh in results.items():
        if isinstance(fresh, str):
            continue
        if name not in saved:
            print(f"DIFFERS  {name}: nothing saved in {directory}")
            failed = True
            continue
        problems = differences(saved[name], fresh)
        failed = failed or bool(problems)
        print(f"{'DIFFERS ' if problems else 'same    '} {name}", *problems, sep="\n  ")
    return 1 if failed else 0


def _clients(args: argparse.Namespace) -> int:
    from .clients import differences, matrix

    path = Path(args.out) if args.out else data_dir() / "clients.json"
    previous: dict[str, Any] | None = None
    if path.is_file():
        previous = json.loads(path.read_text(encoding="utf-8"))
    try:
        fresh = matrix(args.only, previous=previous)
    except ValueError as exc:
        return _fail(str(exc))
    if args.check:
        if previous is None:
            print(f"DIFFERS: nothing saved at {path}")
            return 1
        ran = [c["name"] for c in fresh["clients"]
               if any(r["client"] == c["name"] for r in fresh["rows"])]
        problems = differences(previous, fresh, args.only or ran)
        print("same as saved" if not problems else "DIFFERS", *problems, sep="\n  ")
        return 1 if problems else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fresh, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


def add_commands(commands: Any) -> None:
    """Add ``lab capture`` and ``lab clients`` to the ``nocontent`` command line."""
    lab = commands.add_parser(
        "lab", help="capture real frameworks' 204s and real clients' reactions to them",
        description="Tools that regenerate the data files notebooks 12 and 13 read.",
    )
    tools = lab.add_subparsers(dest="tool", required=True, metavar="TOOL")
    capture = tools.add_parser("capture", help="run each framework's app and save its 204s")
    capture.add_argument("--only", nargs="+", default=[], metavar="NAME",
                         help="only these frameworks (default: all)")
    capture.add_argument("--out", metavar="DIR",
                         help="where to save (default: notebooks/data/captures)")
    capture.add_argument("--check", action="store_true",
                         help="save nothing; exit 1 if a fresh capture differs from the saved one")
    capture.set_defaults(run=_capture)
    clients = tools.add_parser("clients", help="run the client matrix and save it")
    clients.add_argument("--only", nargs="+", default=[], metavar="NAME",
                         help="only these clients (default: all; others keep their saved rows)")
    clients.add_argument("--out", metavar="FILE",
                         help="where to save (default: notebooks/data/clients.json)")
    clients.add_argument("--check", action="store_true",
                         help="save nothing; exit 1 if a fresh row differs from the saved one")
    clients.set_defaults(run=_clients)
