"""Which responses may carry content, and which framing fields they may carry.

Every part of nocontent (the server, the wire parser, the checker and the
notebooks) asks these functions; no other module decides the rules.
"""

from __future__ import annotations

__all__ = [
    "compliant_content",
    "ends_at_header_section",
    "may_carry_content",
    "may_send_content_length",
    "may_send_transfer_encoding",
]


def ends_at_header_section(status: int, method: str) -> bool:
    """True when the message ends at the empty line after the header fields.

    RFC 9112 §6.3 rule 1: a response to HEAD, and any 1xx, 204 or 304
    response, ends at the first empty line "regardless of the header fields
    present in the message". A recipient ignores Content-Length and
    Transfer-Encoding on such a response; whatever follows belongs to the next
    message on the connection.
    """
    return method.upper() == "HEAD" or 100 <= status < 200 or status in (204, 304)


def may_carry_content(status: int, method: str) -> bool:
    """True when a server may send content in this response.

    Everything :func:`ends_at_header_section` covers, plus 205 Reset Content:
    a 205 is framed as usual but RFC 9110 §15.3.6 says a server MUST NOT
    generate content in it.
    """
    return not (ends_at_header_section(status, method) or status == 205)


def may_send_content_length(status: int, method: str) -> bool:
    """RFC 9110 §8.6: no Content-Length on a 1xx or 204, nor on a 2xx to CONNECT.

    A reply to HEAD and a 304 may carry the length the 200 would have had.
    """
    if 100 <= status < 200 or status == 204:
        return False
    return not (method.upper() == "CONNECT" and 200 <= status < 300)


def may_send_transfer_encoding(status: int, method: str) -> bool:
    """RFC 9112 §6.1: no Transfer-Encoding on a 1xx or 204, nor on a 2xx to CONNECT."""
    return may_send_content_length(status, method)


def compliant_content(status: int, method: str, body: bytes) -> tuple[bytes, int | None]:
    """What a compliant server sends of a handler's ``body``, and the Content-Length it
    adds (None: no Content-Length), in any HTTP version.

    Content is dropped where the status or method forbid it. The length is sent where
    RFC 9110 §8.6 allows one, except on a 304 (its fields describe the stored 200); for
    HEAD it is the length GET would have had.
    """
    sent = body if may_carry_content(status, method) else b""
    if not may_send_content_length(status, method) or status == 304:
        return sent, None
    like_get = method.upper() == "HEAD" and may_carry_content(status, "GET")
    return sent, len(body) if like_get else len(sent)
