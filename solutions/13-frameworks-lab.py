"""Solutions to the exercises of notebooks/13-frameworks-lab.ipynb."""

from __future__ import annotations

from collections.abc import Callable

from nocontent import Request, Response

WHICH_SENT = {
    "Go net/http": False,  # Write returns ErrBodyNotAllowed; nothing goes out
    "Node.js http": False,  # write() is ignored
    "Symfony, no prepare()": True,  # nothing between send() and the socket strips the {}
    "Python http.server": True,  # wfile.write() is the socket
    "Flask": False,  # Werkzeug empties the body of every 204
    "uvicorn with h11": False,  # h11 refuses the body and uvicorn closes the connection
    "uvicorn with httptools": True,  # it trusts the app's content-length: 4
}

FRAMING = ("content-length", "transfer-encoding")


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
    "13.which-sent": WHICH_SENT,
    "13.fix-204": fix_204,
}
