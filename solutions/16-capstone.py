"""Worked answers to the exercises of notebooks/16-capstone.ipynb.

Each answer is a handler: a request in, a response out, sent exactly as
written. They take ``store``, a dict from request target to the stored bytes.
"""

from __future__ import annotations

from nocontent import Request, Response, etag_for

TEXT = ("Content-Type", "text/plain; charset=utf-8")


def _text(status: int, message: str, *headers: tuple[str, str]) -> Response:
    """A small text reply; a handler sent as written must state its own Content-Length."""
    body = message.encode()
    return Response(status=status, headers=(TEXT, ("Content-Length", str(len(body))), *headers),
                    body=body)


def delete_doc(request: Request, store: dict[str, bytes]) -> Response:
    """16.delete-204: remove the document, then a 204 that ends at its empty line."""
    if request.method != "DELETE":
        return _text(405, "Only DELETE here.\n", ("Allow", "DELETE"))
    if request.target not in store:
        return _text(404, "No such document.\n")
    del store[request.target]
    return Response(status=204)  # no Content-Length, no Transfer-Encoding, no body


def get_doc(request: Request, store: dict[str, bytes]) -> Response:
    """GET: 200 with the stored bytes, their length and their ETag."""
    body = store.get(request.target)
    if body is None:
        return _text(404, "No such document.\n")
    return Response(status=200, headers=(TEXT, ("Content-Length", str(len(body))),
                                         ("ETag", etag_for(body))), body=body)


def save_doc(request: Request, store: dict[str, bytes]) -> Response:
    """16.put-etag: store the bytes as sent; 204 with the ETag of those bytes."""
    if request.method == "GET":
        return get_doc(request, store)
    if request.method != "PUT":
        return _text(405, "GET or PUT here.\n", ("Allow", "GET, PUT"))
    store[request.target] = request.body  # verbatim: RFC 9110 §9.3.4 lets us send the ETag
    return Response(status=204, headers=(("ETag", etag_for(request.body)),))


def if_match_holds(field: str | None, current: bytes | None) -> bool:
    """RFC 9110 §13.1.1: absent is true; * needs a current document; else a strong match.

    The strong comparison (§8.8.3.2) never matches a weak tag, so ``W/"..."``
    is simply never equal to the strong tag etag_for() makes.
    """
    if field is None:
        return True
    if current is None:
        return False
    if field.strip() == "*":
        return True
    tags = [tag.strip() for tag in field.split(",")]
    return etag_for(current) in tags


def save_doc_safely(request: Request, store: dict[str, bytes]) -> Response:
    """16.if-match: check the precondition first; write only when it holds."""
    if request.method == "GET":
        return get_doc(request, store)
    if request.method != "PUT":
        return _text(405, "GET or PUT here.\n", ("Allow", "GET, PUT"))
    if not if_match_holds(request.header("If-Match"), store.get(request.target)):
        return _text(412, "Someone saved a newer version; nothing was written.\n")
    existed = request.target in store
    store[request.target] = request.body
    tag = ("ETag", etag_for(request.body))
    if not existed:
        return Response(status=201, headers=(("Location", request.target), tag,
                                             ("Content-Length", "0")))
    return Response(status=204, headers=(tag,))


def api(request: Request, store: dict[str, bytes]) -> Response:
    """16.cors: a clean 204 preflight, and a 204 to PUT whose ETag the page may read."""
    origin = request.header("Origin") or "*"
    if request.method == "OPTIONS":
        return Response(status=204, headers=(
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Allow-Headers", "Content-Type, If-Match"),
            ("Access-Control-Max-Age", "600"),
        ))
    if request.method == "PUT":
        store[request.target] = request.body
        return Response(status=204, headers=(
            ("ETag", etag_for(request.body)),
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", "ETag"),
        ))
    return _text(405, "OPTIONS or PUT here.\n", ("Allow", "OPTIONS, PUT"))


SOLUTIONS = {
    "16.delete-204": delete_doc,
    "16.put-etag": save_doc,
    "16.if-match": save_doc_safely,
    "16.cors": api,
}
