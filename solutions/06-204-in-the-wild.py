"""Solutions to the exercises of notebooks/06-204-in-the-wild.ipynb."""

from __future__ import annotations

from collections.abc import Callable

from nocontent import Request, Response

FRAMING = ("content-length", "transfer-encoding")


def legacy_preflight(request: Request) -> Response:
    """A preflight answer old browsers accept: 200 and Content-Length: 0, which a 200 may carry."""
    origin = request.header("Origin") or "*"
    return Response(
        status=200,
        headers=(
            ("Access-Control-Allow-Origin", origin),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "GET, PUT, DELETE"),
            ("Access-Control-Allow-Headers", request.header("Access-Control-Request-Headers")
             or ""),
            ("Access-Control-Max-Age", "600"),
            ("Content-Length", "0"),
        ),
    )


def fix_204(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Wrap ``handler`` so that a 204 leaves with its fields but no framing fields and no body.

    This is what Werkzeug (pallets/werkzeug#1294) and gunicorn (benoitc/gunicorn#3616) do at
    the edge, whatever the application wrote.
    """

    def fixed(request: Request) -> Response:
        response = handler(request)
        if response.status != 204:
            return response
        kept = tuple((name, value) for name, value in response.headers
                     if name.lower() not in FRAMING)
        return Response(status=204, headers=kept)

    return fixed


SOLUTIONS = {
    "06.legacy-preflight": legacy_preflight,
    "06.fix-204": fix_204,
}
