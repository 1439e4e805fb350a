"""Exercises of notebook 05, "204 beyond HTTP/1.1".

``05.refused`` is judged against the saved HTTP/2 and HTTP/3 client matrix;
``05.gateway`` runs the learner's conversion of an HTTP/2 header section to an
HTTP/1.1 head on canned sections and reads the result with the wire view's
own parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .._framing import may_send_content_length
from .._http import Headers, ProtocolError, parse_response
from ..lab.show import saved_h2h3
from . import exercise

__all__ = ["CHOICES", "PREDICTED", "SECTIONS"]

# -- 05.refused ---------------------------------------------------------------------

PREDICTED = ("httpx", "curl", "node-http2", "go-net-http", "chromium-h2")
"""The clients whose reaction to DATA after a 204 (``/misbehave/body``) the learner predicts."""

CHOICES = ("accepted", "refused")
"""What a client can do with the 204: hand over the 204 with its content, or raise an error."""

_AS = {"204 + content": "accepted", "refused": "refused"}


@exercise(
    "05.refused",
    "Predict which clients refuse a 204 whose HEADERS frame is followed by DATA",
    "RFC 9113 §8.1.1 says a client MUST NOT accept a malformed response, but a client is "
    "only as strict as the HTTP/2 code that reads its frames. curl and Node.js's http2 "
    "module both run on the nghttp2 library; httpx (on the h2 library), Go 1.19 and "
    "Chromium each have HTTP/2 code of their own. Group the five by library.",
    nudge="Ask, for each client, which HTTP/2 code reads its frames.",
)
def _refused(answer: Any) -> list[str]:
    if not isinstance(answer, Mapping):
        return ['the answer should be a dict such as {"httpx": "refused", ...}']
    missing = [name for name in PREDICTED if answer.get(name) not in CHOICES]
    if missing:
        return [f"predict {' or '.join(repr(c) for c in CHOICES)} for: {', '.join(missing)}"]
    rows = {r["client"]: r for r in saved_h2h3()["rows"] if r["case"] == "body"}
    problems = []
    for name in PREDICTED:
        found = _AS.get(rows[name]["reading"], rows[name]["reading"])
        if answer[name] != found:
            problems.append(f"{name}: you predicted {answer[name]!r}; the matrix recorded "
                            f"{found!r} ({rows[name]['first']})")
    return problems


# -- 05.gateway ---------------------------------------------------------------------

SECTIONS: dict[str, tuple[Headers, bytes]] = {
    "a clean 204": (((":status", "204"), ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                     ("etag", '"v2"')), b""),
    "a 204 with content-length: 4": (((":status", "204"), ("date", "Sun, 06 Nov 1994 "
                                      "08:49:37 GMT"), ("content-length", "4")), b""),
    "a 204 with content-length: 0": (((":status", "204"), ("date", "Sun, 06 Nov 1994 "
                                      "08:49:37 GMT"), ("content-length", "0")), b""),
    "a 200 with 7 bytes of content": (((":status", "200"), ("content-type", "text/plain"),
                                       ("content-length", "7")), b"200 OK\n"),
}
"""HTTP/2 responses to a GET, as a gateway receives them: the header section's fields (the
``:status`` pseudo-header field first) and the content of the DATA frames."""


def _converted(to_http1: Callable[[Headers], Any], fields: Headers, content: bytes,
               what: str) -> list[str]:
    try:
        head = to_http1(fields)
    except Exception as exc:
        return [f"for {what}, your function raised {type(exc).__name__}: {exc}"]
    if not isinstance(head, bytes):
        return [f"for {what}, your function returned {type(head).__name__}, not bytes"]
    if not head.endswith(b"\r\n\r\n"):
        return [f"for {what}, the head does not end with an empty line (CRLF CRLF)"]
    first, _, rest = head.partition(b"\r\n")
    if re.fullmatch(rb"HTTP/1\.1 \d{3}", first):
        return [f"for {what}, the status line {first.decode('latin-1')!r} has no space after "
                "the code: a server MUST send it even when the reason-phrase is absent "
                "(RFC 9112 §4)"]
    if any(line.startswith(b":") for line in rest.split(b"\r\n")):
        return [f"for {what}, a pseudo-header field went into the HTTP/1.1 head; :status "
                "becomes the status line instead"]
    try:
        found = parse_response(head + content, "GET", eof=True)
    except ProtocolError as exc:
        return [f"for {what}, an HTTP/1.1 client cannot read the head: {exc}"]
    if found is None:
        return [f"for {what}, an HTTP/1.1 client cannot read the head: it is incomplete"]
    response = found[0]
    status = int(dict(fields)[":status"])
    problems = []
    if response.status != status:
        problems.append(f"for {what}, the status line says {response.status}, not {status}")
    names = [name.lower() for name, _ in response.headers]
    length = [value for name, value in response.headers if name.lower() == "content-length"]
    if length and not may_send_content_length(status, "GET"):
        problems.append(f"for {what}, you forwarded Content-Length: {length[0]}; a server "
                        f"MUST NOT send it on a {status}, not even 0 (RFC 9110 §8.6)")
    if content and length != [str(len(content))]:
        problems.append(f"for {what}, the Content-Length: {len(content)} is gone: an HTTP/1.1 "
                        "client would then read the content until the connection closes")
    lost = [name for name, _ in fields if not name.startswith(":")
            and name != "content-length" and name not in names]
    if lost:
        problems.append(f"for {what}, the field{'s' if len(lost) > 1 else ''} "
                        f"{', '.join(lost)} went missing")
    return problems


@exercise(
    "05.gateway",
    "Turn an HTTP/2 response's header section into the HTTP/1.1 head a gateway forwards",
    "The :status pseudo-header field becomes the status line (HTTP/1.1 needs a reason "
    "phrase there, or nothing after the space); every other field goes on as a field line. "
    "HTTP/2 allowed content-length on a 204 (RFC 9113 §8.1.1), but on the HTTP/1.1 side the "
    "gateway is the server, and a server MUST NOT send Content-Length on a 204 (RFC 9110 "
    "§8.6): skip the field where nocontent.may_send_content_length(status, \"GET\") is "
    "False, and keep it everywhere else.",
    nudge="Which field may an HTTP/2 204 carry that an HTTP/1.1 204 may not?",
)
def _gateway(answer: Any) -> list[str]:
    if not callable(answer):
        return ["pass your function itself: check(\"05.gateway\", to_http1)"]
    problems = []
    for what, (fields, content) in SECTIONS.items():
        problems += _converted(answer, fields, content, what)
    return problems
