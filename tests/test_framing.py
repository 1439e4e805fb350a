"""The one owner of "may this response carry content, Content-Length, Transfer-Encoding"."""

from __future__ import annotations

import pytest

from nocontent._framing import (
    ends_at_header_section,
    may_carry_content,
    may_send_content_length,
    may_send_transfer_encoding,
)

# (status, method, ends at header section, may carry content, may send CL/TE)
CASES = [
    # RFC 9112 §6.3 rule 1 and RFC 9110 §8.6: 1xx and 204 end at the empty line, no CL/TE.
    (100, "GET", True, False, False),
    (103, "GET", True, False, False),
    (204, "GET", True, False, False),
    (204, "PUT", True, False, False),
    (204, "HEAD", True, False, False),
    # 304 ends at the empty line but may carry the 200's Content-Length (RFC 9110 §8.6).
    (304, "GET", True, False, True),
    # A reply to HEAD ends at the empty line but may carry GET's Content-Length.
    (200, "HEAD", True, False, True),
    (200, "head", True, False, True),
    (404, "HEAD", True, False, True),
    # 205 is framed as usual, yet carries no content (RFC 9110 §15.3.6).
    (205, "GET", False, False, True),
    (205, "POST", False, False, True),
    # Ordinary responses.
    (200, "GET", False, True, True),
    (201, "PUT", False, True, True),
    (206, "GET", False, True, True),
    (404, "GET", False, True, True),
    (500, "POST", False, True, True),
    # RFC 9110 §8.6 / RFC 9112 §6.1: no CL or TE in a 2xx to CONNECT; other classes may.
    (200, "CONNECT", False, True, False),
    (407, "CONNECT", False, True, True),
]


@pytest.mark.parametrize(("status", "method", "ends", "content", "fields"), CASES)
def test_framing_table(status: int, method: str, ends: bool, content: bool, fields: bool) -> None:
    assert ends_at_header_section(status, method) is ends
    assert may_carry_content(status, method) is content
    assert may_send_content_length(status, method) is fields
    assert may_send_transfer_encoding(status, method) is fields


def test_content_implies_not_ending_at_the_header_section() -> None:
    for status in range(100, 600):
        for method in ("GET", "HEAD", "POST"):
            if may_carry_content(status, method):
                assert not ends_at_header_section(status, method), (status, method)
