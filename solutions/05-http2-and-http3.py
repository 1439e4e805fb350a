"""Solutions to the exercises of notebooks/05-http2-and-http3.ipynb."""

from __future__ import annotations

from http import HTTPStatus

import nocontent

# What each client did with a 204 followed by a DATA frame (/misbehave/body), as the
# saved matrix recorded it: curl and Node.js's http2 run on nghttp2, which reset the
# stream (PROTOCOL_ERROR); httpx (on h2), Go 1.19 and Chromium 156 handed the 204 over
# with its 4 bytes, null.
BODY_AFTER_204 = {
    "httpx": "accepted",
    "curl": "refused",
    "node-http2": "refused",
    "go-net-http": "accepted",
    "chromium-h2": "accepted",
}


def to_http1(fields):
    """An HTTP/2 response's header section as the HTTP/1.1 head a gateway sends on."""
    status = int(dict(fields)[":status"])
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]  # HTTP/2 carried no phrase
    for name, value in fields:
        if name.startswith(":"):
            continue
        if name == "content-length" and not nocontent.may_send_content_length(status, "GET"):
            continue  # allowed in HTTP/2 (RFC 9113 §8.1.1), a MUST NOT here (RFC 9110 §8.6)
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


SOLUTIONS = {
    "05.refused": BODY_AFTER_204,
    "05.gateway": to_http1,
}
