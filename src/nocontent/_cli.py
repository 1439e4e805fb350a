"""The ``nocontent`` command: run the teaching server, or check a URL against the rules.

``nocontent serve`` prints the base URL as its first line and serves until
interrupted. ``nocontent check URL`` prints the checker's table and exits
1 when a MUST is broken, 0 otherwise, and 2 (with one line on stderr) when
the request cannot be made at all.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from collections.abc import Sequence

from ._checker import check
from .lab import add_commands as _add_lab_commands

__all__ = ["main"]

PROG = "nocontent"


def _fail(message: str) -> int:
    """One line on stderr, exit status 2 (a usage or connection problem, not a verdict)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0..65535")
    return port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    from ._server import serve  # imported here so `check` never starts threads

    try:
        server = serve(host=args.host, port=args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    try:
        print(server.url, flush=True)
        if not _is_loopback(args.host):
            print(
                f"{PROG}: warning: listening on {args.host}; other machines can reach it "
                "(other users of this machine cannot)",
                file=sys.stderr,
                flush=True,
            )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _header(text: str) -> tuple[str, str]:
    """``Name: value`` as a pair; the name and value are checked later, by build_request."""
    name, colon, value = text.partition(":")
    if not colon:
        raise ValueError(f"-H {text!r} has no colon; write it as 'Name: value'")
    return name, value.strip(" \t")


def _check(args: argparse.Namespace) -> int:
    method = args.method  # an empty -X is kept, so build_request can refuse it
    if method is None:
        method = "GET" if args.data is None else "POST"  # as curl does
    body = b"" if args.data is None else args.data.encode("utf-8")
    try:
        headers = [_header(text) for text in args.header]
        report = check(args.url, method, headers, body)
    except ValueError as exc:  # LocalProtocolError, or a URL urllib cannot parse
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot reach {args.url}: {exc.strerror or exc}")
    print(report.table())
    return 0 if report.passed else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="A hands-on course on HTTP 204 No Content."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the teaching server until Ctrl-C")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, loopback only)",
    )
    serve.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default 0: any free port)"
    )
    serve.set_defaults(run=_serve)

    check_ = commands.add_parser(
        "check",
        help="send one request and judge the response against the RFCs",
        description="Exit status: 0 no MUST broken, 1 a MUST broken, 2 request not made.",
    )
    check_.add_argument("url", metavar="URL", help="an http:// URL")
    check_.add_argument(
        "-X",
        "--request",
        dest="method",
        metavar="METHOD",
        help="the method (default GET, or POST with -d)",
    )
    check_.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="add a header field; repeatable",
    )
    check_.add_argument(
        "-d",
        "--data",
        metavar="DATA",
        help="send DATA (UTF-8) as the content; implies POST without -X",
    )
    check_.set_defaults(run=_check)
    _add_lab_commands(commands)  # `lab capture` and `lab clients` (nocontent.lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status
