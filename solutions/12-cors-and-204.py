"""Worked answers to the exercises of notebooks/12-cors-and-204.ipynb.

Each answer is a handler: a request in, a response out, sent exactly as written.
"""

from __future__ import annotations

from nocontent import Request, Response, etag_for


def legacy_preflight(request: Request) -> Response:
    """12.legacy-preflight: a 200 old browsers accept, framed by Content-Length: 0.

    Content-Length is forbidden on a 204 (RFC 9110 §8.6), not on a 200, where it
    is what tells the client that the response ends right after the empty line.
    """
    return Response(status=200, headers=(
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE"),
        ("Access-Control-Allow-Headers", request.header("Access-Control-Request-Headers") or ""),
        ("Content-Length", "0"),
    ))


def save_across_origins(request: Request) -> Response:
    """12.expose-etag: a 204 whose ETag a script on the page's origin may read."""
    return Response(status=204, headers=(
        ("ETag", etag_for(request.body)),
        ("Access-Control-Allow-Origin", request.header("Origin") or "*"),
        ("Access-Control-Expose-Headers", "ETag"),
    ))


SOLUTIONS = {
    "12.legacy-preflight": legacy_preflight,
    "12.expose-etag": save_across_origins,
}
