"""Short plain-text answers the server chooses itself, shared by every route and transport."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from ._http import Headers, Request, Response, reason_phrase

__all__ = ["not_allowed", "query", "text"]


def text(status: int, message: str, headers: Headers = ()) -> Response:
    """``STATUS REASON: message`` as plain text. Kept ASCII ("section 13.1.1", not
    "§13.1.1"), so the wire view, which shows other bytes as escapes, shows it as a
    reader would."""
    line = f"{status} {reason_phrase(status)}: {message}\n".replace("§", "section ")
    return Response(status=status,
                    headers=(("Content-Type", "text/plain; charset=utf-8"), *headers),
                    body=line.encode("ascii", "backslashreplace"))


def not_allowed(allow: str) -> Response:
    """405 with the Allow field it MUST carry (RFC 9110 §15.5.6)."""
    return text(405, f"allowed methods are {allow}", (("Allow", allow),))


def query(request: Request) -> dict[str, str]:
    """The query's parameters; the last value wins when a name repeats."""
    return dict(parse_qsl(urlsplit(request.target).query, keep_blank_values=True))
