"""Worked answers to the exercises of notebooks/06-metadata-after-the-action.ipynb."""

from __future__ import annotations

from nocontent import Response, etag_for


def reply(sent: bytes, stored: bytes) -> Response:
    """The answer to a PUT after which the store holds ``stored``; ``sent`` is what arrived."""
    if stored != sent:
        # RFC 9110 §9.3.4: no validator unless the content was saved without any transformation.
        return Response(status=204)
    return Response(status=204, headers=(("ETag", etag_for(stored)),))


SOLUTIONS = {
    "06.validator-or-not": reply,
    # a: PUT answered 204 with validators; d: PUT answered 201 with validators;
    # f: PUT answered 204 with Last-Modified, a validator field too (RFC 9110 §9.3.4).
    # Not b (no validator), c (PATCH sends a change), e (DELETE leaves nothing).
    "06.trust-the-etag": {"a", "d", "f"},
}
