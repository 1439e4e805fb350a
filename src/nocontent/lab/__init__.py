"""The frameworks and clients lab: what real servers send for a 204, and what real clients do.

Two tools, both run from the command line and both saving data files that the
course's notebooks read, so the course works offline with nothing but Python:

* ``python -m nocontent lab capture [--only NAME ...]`` runs a minimal app per
  framework (Go, Node.js, Rack, Rails, Symfony, http.server, Flask, Starlette
  on uvicorn) on loopback and saves the exact bytes of its 204s
  (:mod:`nocontent.lab.capture`);
* ``python -m nocontent lab clients [--only NAME ...]`` runs httpx, requests,
  http.client, urllib, curl and Node's ``http`` and ``fetch`` against the
  embedded server's correct and broken 204s (:mod:`nocontent.lab.clients`),
  and httpx, curl, nghttp, Node's ``http2``, Go, aioquic and Chromium against
  its HTTP/2 and HTTP/3 ones (:mod:`nocontent.lab.clients_h2h3`);
* ``python -m nocontent lab browsers [--only ENGINE ...]`` runs the browser
  lab's page headless in Chromium, Firefox and WebKitGTK
  (:mod:`nocontent.lab.browsers`).

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
    """Where the saved captures live: ``notebooks/data`` of the course checkout.

    Installed as a copy (a hub's image), the package has no checkout: the course is the
    folder a learner pulled, and a notebook's kernel runs in its ``notebooks/`` folder.
    """
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "course.py").is_file() and (checkout / "notebooks").is_dir():
        return checkout / "notebooks" / "data"
    here = Path.cwd()
    return here / "data" if here.name == "notebooks" else here / "notebooks" / "data"


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
    from . import clients, clients_h2h3
    from .capture import refuse_unknown

    matrices = ((clients, args.out or data_dir() / "clients.json", None),
                (clients_h2h3, args.out_h2h3 or data_dir() / "clients-h2h3.json", ()))
    names = {client.name for module, _, _ in matrices for client in module.CLIENTS}
    try:
        refuse_unknown("client", args.only, sorted(names))
    except ValueError as exc:
        return _fail(str(exc))
    failed = False
    for module, out, versions in matrices:
        only = [name for name in args.only if name in {c.name for c in module.CLIENTS}]
        if args.only and not only:
            continue  # --only named no client of this matrix
        path = Path(out)
        previous: dict[str, Any] | None = None
        if path.is_file():
            previous = json.loads(path.read_text(encoding="utf-8"))
        fresh = module.matrix(only, previous=previous)
        if args.check:
            if previous is None:
                print(f"DIFFERS: nothing saved at {path}")
                failed = True
                continue
            ran = [c["name"] for c in fresh["clients"]
                   if any(r["client"] == c["name"] for r in fresh["rows"])]
            problems = module.differences(previous, fresh, only or ran, versions=versions)
            print(f"{path.name}: same as saved" if not problems else f"{path.name}: DIFFERS",
                  *problems, sep="\n  ")
            failed = failed or bool(problems)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(fresh, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 1 if failed else 0


def _browsers(args: argparse.Namespace) -> int:
    from .browsers import capture_all, differences, load_browsers

    directory = Path(args.out) if args.out else data_dir() / "browsers"
    try:
        results = capture_all(directory, args.only, write=not args.check)
    except ValueError as exc:
        return _fail(str(exc))
    if not args.check:
        return 0
    saved = load_browsers(directory)
    failed = False
    for name, fresh in results.items():
        if isinstance(fresh, str):
            continue
        problems = differences(saved[name], fresh) if name in saved else [
            f"nothing saved in {directory}"]
        failed = failed or bool(problems)
        print(f"{'DIFFERS ' if problems else 'same    '} {name}", *problems, sep="\n  ")
    return 1 if failed else 0


def add_commands(commands: Any) -> None:
    """Add ``lab capture``, ``lab clients`` and ``lab browsers`` to the command line."""
    lab = commands.add_parser(
        "lab", help="capture real frameworks' 204s, real clients' and browsers' reactions",
        description="Tools that regenerate the data files notebooks 13, 14 and 15 read.",
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
    clients = tools.add_parser("clients", help="run the client matrices (HTTP/1.1; HTTP/2 "
                               "and HTTP/3) and save them")
    clients.add_argument("--only", nargs="+", default=[], metavar="NAME",
                         help="only these clients (default: all; others keep their saved rows)")
    clients.add_argument("--out", metavar="FILE",
                         help="where to save (default: notebooks/data/clients.json)")
    clients.add_argument("--out-h2h3", metavar="FILE",
                         help="where to save the HTTP/2 and HTTP/3 matrix (default: "
                              "notebooks/data/clients-h2h3.json)")
    clients.add_argument("--check", action="store_true",
                         help="save nothing; exit 1 if a fresh row differs from the saved one")
    clients.set_defaults(run=_clients)
    browsers = tools.add_parser("browsers",
                                help="run the browser lab's page in Chromium, Firefox, WebKitGTK")
    browsers.add_argument("--only", nargs="+", default=[], metavar="ENGINE",
                          help="only these engines: chromium, firefox, webkit (default: all)")
    browsers.add_argument("--out", metavar="DIR",
                          help="where to save (default: notebooks/data/browsers)")
    browsers.add_argument("--check", action="store_true",
                          help="save nothing; exit 1 if a fresh capture differs from the saved "
                               "one (versions and dates aside)")
    browsers.set_defaults(run=_browsers)
