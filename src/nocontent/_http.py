"""HTTP/1.1 messages as bytes: parsing and rendering, with no I/O.

Headers are kept as an ordered tuple of ``(name, value)`` pairs so the wire
view shows order and duplicates exactly as they travelled. Names and values
are decoded as Latin-1, which maps every byte to one character and back.
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from ._framing import (
    compliant_content,
    ends_at_header_section,
)

__all__ = [
    "MAX_BODY",
    "MAX_BUFFERED",
    "MAX_HEAD",
    "PATH_CHARACTERS",
    "Headers",
    "ProtocolError",
    "RemoteProtocolError",
    "Request",
    "Response",
    "WireResponse",
    "field_value_problem",
    "header_values",
    "host_problem",
    "http_date",
    "last_header",
    "parse_chunked",
    "parse_request_head",
    "parse_response",
    "reason_phrase",
    "render_as_written",
    "render_request",
    "render_response",
    "request_body_length",
    "requests_in",
    "return_preference",
    "split_head",
    "split_request_head",
    "split_target",
    "target_problem",
    "token_problem",
]

Headers = tuple[tuple[str, str], ...]

MAX_HEAD = 64 * 1024
"""Largest header section the server reads (bytes); beyond it, 431."""
MAX_BODY = 1024 * 1024
"""Largest request body the server accepts (bytes); beyond it, 413."""
MAX_BUFFERED = 8 * MAX_BODY
"""The most request content one HTTP/2 or HTTP/3 connection holds at once, over all its
streams; beyond it, the connection is closed."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_REASON = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_STATUS_LINE = re.compile(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?")
_REQUEST_LINE = re.compile(r"([^ ]+) ([^ ]+) (HTTP/\d\.\d)")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:;[^\r\n]*)?")
_BARE_LF = re.compile(rb"(?<!\r)\n")

# The URI grammar of RFC 3986 (https://www.rfc-editor.org/rfc/rfc3986), which RFC 9110 §4.1
# adopts for request targets:
#   pchar      = unreserved / pct-encoded / sub-delims / ":" / "@"     (§3.3)
#   unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"                  (§2.3)
#   sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="   (§2.2)
#   query      = *( pchar / "/" / "?" )                                 (§3.4)
#   reg-name   = *( unreserved / pct-encoded / sub-delims )             (§3.2.2)
# So "!" is a legal path character, while '"', "<", ">", "{", "}", "|", "\\", "^", "`",
# "[", "]" (outside an IP literal), "#", a space and any non-ASCII byte are not.
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|{_PCT})"
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_ORIGIN_FORM = re.compile(rf"(?:/{_PCHAR}*)+(?:\?{_QUERY})?")  # RFC 9112 §3.2.1
_HTTP_URI = re.compile(  # RFC 9110 §4.2.1-§4.2.2: scheme "://" authority path-abempty [ "?" query ]
    rf"(https?)://([^/?]*)((?:/{_PCHAR}*)*)(\?{_QUERY})?", re.IGNORECASE)
_SUB_DELIMS = "!$&'()*+,;="
_OTHER_URI = re.compile(  # absolute-URI (RFC 3986 §4.3) of another scheme, IP literals loosely
    rf"([A-Za-z][A-Za-z0-9+\-.]*):"  # scheme ":" hier-part [ "?" query ], hier-part being
    rf"(?://(?:(?:[A-Za-z0-9\-._~{_SUB_DELIMS}:]|{_PCT})*@)?"  # "//" [ userinfo "@" ]
    rf"(?:\[[A-Za-z0-9\-._~{_SUB_DELIMS}:]+\]|(?:[A-Za-z0-9\-._~{_SUB_DELIMS}]|{_PCT})*)"
    rf"(?::[0-9]*)?(?:/{_PCHAR}*)*"  # host [ ":" port ] path-abempty
    rf"|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"  # or path-absolute, path-rootless, path-empty
    rf"(?:\?{_QUERY})?")
_HOST = re.compile(  # uri-host [ ":" port ]; an IP-literal's inside is checked by ipaddress
    rf"(\[[^\]]*\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|{_PCT})*)(?::([0-9]*))?")


class ProtocolError(Exception):
    """Something broke HTTP/1.1 framing or syntax."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something HTTP/1.1 does not allow.

    ``status_hint`` is the status a server answers with (400, 413, 431, 501).
    """

    def __init__(self, message: str, status_hint: int = 400) -> None:
        super().__init__(message)
        self.status_hint = status_hint


def reason_phrase(status: int) -> str:
    """The standard reason phrase, or an empty one for unregistered codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def token_problem(what: str, text: str) -> str | None:
    """Why ``text`` is not a valid token (RFC 9110 §5.6.2), or None when it is."""
    if not text:
        return f"{what} is empty"
    if _TOKEN.fullmatch(text):
        return None
    bad = next(ch for ch in text if not _TOKEN.fullmatch(ch))
    if bad == " ":
        return f"{what} {text!r} contains a space; a token has no spaces"
    if bad == ":":
        return f"{what} {text!r} contains a colon, which ends a field name"
    if not bad.isascii():
        return f"{what} {text!r} contains non-ASCII character {bad!r}"
    return f"{what} {text!r} contains {bad!r}, which is not allowed in a token"


def field_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be a field value (RFC 9110 §5.5), or None.

    CR and LF would end the field early and let the rest be read as another
    field or message (header injection); other controls are refused too.
    """
    for ch in value:
        if ch in "\r\n":
            return "the value contains a line break (CR or LF), which would inject a new line"
        if ch == "\0" or (ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F:
            return f"the value contains the control character {ch!r}"
        if ord(ch) > 0xFF or not ch.isascii():
            return f"the value contains non-ASCII character {ch!r}; send ASCII text"
    return None


def http_date(text: str | None) -> float | None:
    """Seconds since the epoch for an HTTP-date such as ``Sun, 06 Nov 1994 08:49:37 GMT``.

    None when ``text`` is None or not a date: RFC 9110 §13.1.3 and §13.1.4 say a
    recipient ignores a conditional date field it cannot parse. A date without a
    zone (as the obsolete forms allow) is GMT (RFC 9110 §5.6.7).
    """
    if text is None:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of the field ``name`` (case-insensitive), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def return_preference(headers: Headers) -> str | None:
    """The ``return`` preference of the Prefer fields (RFC 7240 §4.2), if any:
    ``return=minimal`` or ``return=representation``. A field repeated is read as one list
    (RFC 9110 §5.3); the first ``return`` in it counts."""
    for value in ",".join(header_values(headers, "prefer")).split(","):
        token = value.split(";")[0].strip().lower().replace(" ", "")
        if token in ("return=minimal", "return=representation"):
            return token
    return None


def last_header(headers: Headers, name: str) -> str | None:
    """The last value of ``name``, or None when absent."""
    values = header_values(headers, name)
    return values[-1] if values else None


@dataclass(frozen=True, kw_only=True)
class Request:
    """A request as the server parsed it.

    Attributes:
        method: the method token, as sent (case-sensitive, RFC 9110 §9.1).
        target: the request target, usually an origin-form path.
        version: ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
        headers: the header fields in order, duplicates kept.
        body: the decoded request content.
    """

    method: str
    target: str
    version: str = "HTTP/1.1"
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return last_header(self.headers, name)


@dataclass(frozen=True, kw_only=True)
class Response:
    """A response a handler wants to send, before the server frames it.

    Attributes:
        status: the status code.
        headers: header fields other than the framing ones; the server adds
            Content-Length itself where RFC 9110 allows one.
        body: the content; dropped by :func:`render_response` where the status
            or the method forbid content.
        reason: the reason phrase of the status line, for a handler sent as
            written (:func:`render_as_written`); None for the registered phrase.
            The compliant server always sends the registered one.
    """

    status: int
    headers: Headers = ()
    body: bytes = b""
    reason: str | None = None

    def header(self, name: str) -> str | None:
        return last_header(self.headers, name)


@dataclass(frozen=True, kw_only=True)
class WireResponse:
    """A response as it was read from the wire.

    Attributes:
        version: the HTTP version in the status line.
        status: the status code.
        reason: the reason phrase (possibly empty).
        headers: the header fields in order, duplicates kept.
        body: the content, framed per RFC 9112 §6.3 (chunked coding removed).
        framing: how the end of the message was found, in words.
        trailers: fields of a chunked trailer section, if any.
        raw: the exact bytes of this message.
    """

    version: str
    status: int
    reason: str
    headers: Headers
    body: bytes
    framing: str
    trailers: Headers
    raw: bytes

    def header(self, name: str) -> str | None:
        return last_header(self.headers, name)

    @property
    def head(self) -> bytes:
        """The status line and header section, up to and including the empty line."""
        return self.raw[: self.raw.index(b"\r\n\r\n") + 4]


def render_response(response: Response, method: str) -> bytes:
    """The bytes a compliant server sends for ``response`` to ``method``.

    Framing is decided here and only here: Content-Length and
    Transfer-Encoding supplied by a handler are dropped, content is dropped
    where the status or method forbid it, and Content-Length is added where
    RFC 9110 §8.6 allows it (for HEAD, the length GET would have had).
    """
    status = response.status
    lines = [f"HTTP/1.1 {status} {reason_phrase(status)}"]
    for name, value in response.headers:
        if name.lower() not in ("content-length", "transfer-encoding"):
            lines.append(f"{name}: {value}")
    body, length = compliant_content(status, method, response.body)
    if length is not None:
        lines.append(f"Content-Length: {length}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def render_as_written(response: Response) -> bytes:
    """The bytes of ``response`` exactly as a handler wrote it: no field added or dropped.

    This is how a learner's handler is sent, so its mistakes reach the wire
    where the checker can see them.
    """
    status, reason = response.status, response.reason
    if reason is None:
        reason = reason_phrase(status)
    elif _REASON.fullmatch(reason) is None:
        # RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); a CR or LF
        # would end the status line early and let the handler forge fields.
        raise ValueError(f"a reason phrase is tabs, spaces and visible characters: {reason!r}")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in response.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


def render_request(method: str, target: str, headers: Headers, body: bytes = b"") -> bytes:
    """The exact bytes of a request, with the fields exactly as given."""
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def split_head(buffer: bytes, limit: int = MAX_HEAD) -> int | None:
    """Where the header section in ``buffer`` ends (after the empty line).

    None while the empty line has not arrived; raises 431 when the header
    section is longer than ``limit``.
    """
    end = buffer.find(b"\r\n\r\n", 0, limit + 4)
    if end >= 0:
        return end + 4
    if len(buffer) > limit:
        raise RemoteProtocolError(f"header section larger than {limit} bytes", 431)
    return None


def split_request_head(buffer: bytes | bytearray, limit: int = MAX_HEAD) -> int | None:
    """:func:`split_head` for a request a server reads: a bare LF is refused as it arrives.

    RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator".
    This server does not, because the fields before a bare LF already refuse one
    (a bare LF in a field value is invalid, RFC 9110 §5.5) and reading it as a line
    end in one place only would let two parsers disagree on where a field ends,
    which is how requests are smuggled (RFC 9112 §11.2). Waiting for a CRLF CRLF
    that never comes would leave the client with no answer until the read timeout,
    so the head is refused at once: §2.2 again, "the server SHOULD respond with a
    400 (Bad Request) response and close the connection".
    """
    end = split_head(buffer, limit)
    _refuse_bare_lf(buffer if end is None else buffer[:end], "the request head")
    return end


def _refuse_bare_lf(data: bytes | bytearray, where: str) -> None:
    found = _BARE_LF.search(data)
    if found:
        before = bytes(data[max(found.start() - 20, 0) : found.start() + 1])
        raise RemoteProtocolError(
            f"a bare LF (no CR before it) in {where}, ending {before!r}: HTTP/1.1 lines end "
            "with CRLF, and this server does not take a bare LF for one (RFC 9112 §2.2)")


def _parse_fields(lines: list[bytes]) -> Headers:
    fields = []
    for line in lines:
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t"):
            raise RemoteProtocolError("obsolete line folding is not allowed (RFC 9112 §5.2)")
        name, colon, value = text.partition(":")
        if not colon:
            raise RemoteProtocolError(f"header line without a colon: {text[:60]!r}")
        problem = token_problem("field name", name)
        if problem:
            raise RemoteProtocolError(problem)
        value = value.strip(" \t")
        if any(ch in "\r\n\0" for ch in value):
            raise RemoteProtocolError(f"invalid character in the value of {name}")
        fields.append((name, value))
    return tuple(fields)


def _uri_problem(target: str) -> str:
    """Why ``target`` is not URI text: its first character RFC 3986 refuses, in words."""
    shown = target[:80]
    allowed = PATH_CHARACTERS if target.startswith("/") else _URI_CHARACTERS
    for at, ch in enumerate(target):
        if ch < " " or ch == "\x7f":
            return f"control character {ch!r} in the request target {shown!r}"
        if ch == "#":
            # RFC 9110 §7.1: "The target URI excludes the reference's fragment component".
            return (f"the request target {shown!r} has a fragment (#...), which a client keeps "
                    "to itself (RFC 9110 §7.1); '#' itself is sent as %23")
        if ch == "%" and not re.match(_PCT, target[at : at + 3]):
            return (f"the request target {shown!r} has a '%' without two hex digits after it "
                    "(RFC 3986 §2.1)")
        if not ch.isascii():
            return (f"the request target {shown!r} holds the byte 0x{ord(ch):02X}; a URI is "
                    "ASCII, other bytes are percent-encoded (RFC 3986 §2.1)")
        if ch not in allowed:
            return (f"the request target {shown!r} holds {ch!r}, which RFC 3986 (§3.3, §3.4) "
                    f"allows there only percent-encoded, as %{ord(ch):02X}")
    return (f"the request target {shown!r} is neither a path (origin-form) nor a whole URI "
            "(absolute-form) (RFC 9112 §3.2)")


PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?%")
"""What an origin-form target may hold as it is (RFC 3986 pchar, '/', '?' and '%')."""
_URI_CHARACTERS = PATH_CHARACTERS | frozenset("[]")
_HOST_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=%:[]")
_IPV_FUTURE = re.compile(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+")


def host_problem(value: str, what: str = "Host") -> str | None:
    """Why ``value`` is not ``uri-host [ ":" port ]`` (RFC 9110 §7.2), or None when it is.

    An empty value is valid: RFC 9112 §3.2 asks for one when the target URI has no
    authority. The grammar's ``port = *DIGIT`` has no upper bound, but an http
    origin server listens for TCP connections on its port (RFC 9110 §4.2.1), and a
    TCP port is 16 bits, so a port over 65535 names nothing and is refused too.
    """
    match = _HOST.fullmatch(value)
    shown = value[:80]
    if match is None:
        bad = next((ch for ch in value if ch not in _HOST_CHARACTERS), None)
        if bad == "@":
            return (f"{what} {shown!r} holds '@': a host is given without user information "
                    "(RFC 9110 §4.2.4, §7.2)")
        if bad is not None:
            return f"{what} {shown!r} holds {bad!r}, which a host name cannot (RFC 3986 §3.2.2)"
        if value.startswith("[") and "]" not in value:
            return f"{what} {shown!r} opens an IP literal with '[' and never closes it"
        return f"{what} {shown!r} is not a host with an optional :port (RFC 9110 §7.2)"
    host, port = match.groups()
    if host.startswith("["):
        inside = host[1:-1]
        if not _IPV_FUTURE.fullmatch(inside):
            try:
                ipaddress.IPv6Address(inside)
            except ValueError:
                return f"{what} {shown!r} has {host!r}, which is not an IPv6 address"
            if "%" in inside:  # Python reads a zone id; RFC 3986's IPv6address has none
                return f"{what} {shown!r} has a zone id, which RFC 3986 §3.2.2 does not allow"
    if port and (len(port) > 5 or int(port) > 65535):
        return f"{what} {shown!r} has port {port[:12]}, over 65535, the largest TCP port"
    return None


def target_problem(method: str, target: str) -> str | None:
    """Why ``target`` is not a request-target for ``method`` (RFC 9112 §3.2), or None.

    The forms are origin-form (a path and query, §3.2.1), absolute-form (a whole
    URI, §3.2.2), authority-form (``host:port``, CONNECT only, §3.2.3) and
    asterisk-form (``*``, OPTIONS only, §3.2.4). Each is held to the URI grammar
    (RFC 3986, see the rules above) and refused only where that grammar refuses it.
    """
    if target == "*":
        if method == "OPTIONS":
            return None
        return f"the target * is for OPTIONS only, not {method} (RFC 9112 §3.2.4)"
    if method == "CONNECT":
        match = _HOST.fullmatch(target)
        if match is None or not match.group(1) or match.group(2) is None:
            return f"CONNECT takes host:port as its target, not {target[:80]!r} (RFC 9112 §3.2.3)"
        return host_problem(target, "the CONNECT target")
    if target.startswith("/"):
        return None if _ORIGIN_FORM.fullmatch(target) else _uri_problem(target)
    match = _HTTP_URI.fullmatch(target)
    if match:
        authority = match.group(2)
        if not authority or authority.startswith(":"):
            # RFC 9110 §4.2.1: "A recipient that processes such a URI reference MUST reject
            # it as invalid."
            return f"the URI {target[:80]!r} has an empty host (RFC 9110 §4.2.1)"
        return host_problem(authority, "the authority of the target")
    other = _OTHER_URI.fullmatch(target)
    if other and other.group(1).lower() not in ("http", "https"):
        return None
    return _uri_problem(target)


def split_target(method: str, target: str) -> tuple[str | None, str]:
    """The scheme a valid request-target names (None for a path), and the path and query.

    An http or https URI (absolute-form) gives its lower-cased scheme and its path
    and query; an empty path is "/" (RFC 9110 §4.2.3), or "*" for OPTIONS with no
    query (RFC 9112 §3.2.4). Its authority is dropped: an origin server "MUST
    ignore the received Host header field (if any) and instead use the host
    information of the request-target" (RFC 9112 §3.2.2), and this server answers
    for every host alike. Another scheme gives that scheme and "". A path, ``*``
    and CONNECT's ``host:port`` give None and the target unchanged.
    """
    if target.startswith("/") or target == "*" or method == "CONNECT":
        return None, target
    match = _HTTP_URI.fullmatch(target)
    if match:
        query = match.group(4) or ""
        empty = "*" if method == "OPTIONS" and not query else "/"
        return match.group(1).lower(), (match.group(3) or empty) + query
    other = _OTHER_URI.fullmatch(target)
    return (other.group(1).lower(), "") if other else (None, target)


def parse_request_head(head: bytes) -> tuple[str, str, str, Headers]:
    """Parse a request line and header section into method, target, version, headers."""
    # Only the final empty line is cut: a bare CR or LF before it is refused below, as it
    # is on any other line (RFC 9112 §2.2), instead of being silently stripped.
    request_line, *field_lines = head.removesuffix(b"\r\n\r\n").split(b"\r\n")
    match = _REQUEST_LINE.fullmatch(request_line.decode("latin-1"))
    if not match:
        raise RemoteProtocolError(f"malformed request line: {request_line[:80]!r}")
    method, target, version = match.groups()
    if token_problem("method", method):
        raise RemoteProtocolError(f"invalid method: {method[:40]!r}")
    if problem := target_problem(method, target):
        # RFC 9112 §3.2: "Recipients of an invalid request-line SHOULD respond with either a
        # 400 (Bad Request) error or a 301 (Moved Permanently) redirect"; never routed.
        raise RemoteProtocolError(problem)
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise RemoteProtocolError(f"unsupported version {version}", 505)
    headers = _parse_fields(field_lines)
    # RFC 9112 §3.2: a server MUST answer 400 to "any HTTP/1.1 request message that lacks
    # a Host header field and to any request message that contains more than one Host
    # header field line or a Host header field with an invalid field value".
    hosts = header_values(headers, "host")
    if len(hosts) > 1 or (version == "HTTP/1.1" and not hosts):
        raise RemoteProtocolError("a request has at most one Host field, and an HTTP/1.1 one "
                                  "exactly one Host field (RFC 9112 §3.2)")
    if hosts and (problem := host_problem(hosts[0])):
        raise RemoteProtocolError(problem)
    if version == "HTTP/1.0" and header_values(headers, "transfer-encoding"):
        # RFC 9112 §6.1: the framing of such a message is faulty; reading it as chunked
        # and keeping the connection would let a request be smuggled past an HTTP/1.0 hop.
        raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)")
    return method, target, version, headers


def requests_in(data: bytes) -> list[tuple[str, Headers]]:
    """The method and fields of each complete request in ``data``, in order.

    For a client's own bytes: it stops at the first request it cannot parse,
    so junk yields what came before it.
    """
    found: list[tuple[str, Headers]] = []
    while data:
        end = split_head(data)
        if end is None:
            break
        try:
            method, _, _, headers = parse_request_head(data[:end])
            length = request_body_length(headers)
        except ProtocolError:
            break
        if length is None:
            decoded = parse_chunked(data[end:])
            if decoded is None:
                break
            length = decoded[2]
        found.append((method, headers))
        data = data[end + length:]
    return found


def request_body_length(headers: Headers) -> int | None:
    """The request's content length, or None for chunked content (RFC 9112 §6.3).

    Ambiguous framing is refused rather than guessed, because a guess that
    differs from another server's is how requests get smuggled.
    """
    encodings = header_values(headers, "transfer-encoding")
    lengths = header_values(headers, "content-length")
    if encodings and lengths:
        raise RemoteProtocolError("both Transfer-Encoding and Content-Length (RFC 9112 §6.1)")
    if encodings:
        # Only SP and HTAB are whitespace here (RFC 9110 §5.6.3): str.strip() would also
        # take "\x0b" or "\xa0" off, and read "\x0bchunked" as chunked, unlike other servers.
        codings = [c.strip(" \t").lower() for e in encodings for c in e.split(",")]
        # RFC 9110 §5.6.1.2: "A recipient MUST parse and ignore a reasonable number of
        # empty list elements", so ",chunked" and "chunked," are chunked.
        codings = [coding for coding in codings if coding]
        if not codings or codings[-1] != "chunked":
            # RFC 9112 §6.3: without chunked last the length cannot be known: 400, not 501.
            raise RemoteProtocolError(
                f"chunked is not the final transfer coding in {', '.join(encodings)!r}")
        if codings != ["chunked"]:
            raise RemoteProtocolError(f"unsupported transfer coding {', '.join(encodings)}", 501)
        return None
    if len(lengths) > 1:
        raise RemoteProtocolError("more than one Content-Length field (RFC 9112 §6.3)")
    if not lengths:
        return 0
    if not lengths[0].isdigit() or not lengths[0].isascii() or len(lengths[0]) > 12:
        raise RemoteProtocolError(f"invalid Content-Length {lengths[0][:20]!r}")
    length = int(lengths[0])
    if length > MAX_BODY:
        raise RemoteProtocolError(f"content of {length} bytes exceeds {MAX_BODY}", 413)
    return length


def parse_chunked(buffer: bytes, limit: int = MAX_BODY) -> tuple[bytes, Headers, int] | None:
    """Decode chunked content at the start of ``buffer`` (RFC 9112 §7.1).

    Returns the content, the trailer fields and how many bytes were used, or
    None when more bytes are needed.
    """
    body = bytearray()
    pos = 0
    while True:
        line_end = buffer.find(b"\r\n", pos, pos + 1024)
        if line_end < 0:
            _refuse_bare_lf(buffer[pos : pos + 1024], "a chunk size line")
            if len(buffer) - pos > 1024:
                raise RemoteProtocolError("chunk size line too long")
            return None
        match = _CHUNK_SIZE.fullmatch(buffer[pos:line_end])
        if not match:
            raise RemoteProtocolError(f"invalid chunk size line {buffer[pos:line_end][:20]!r}")
        size = int(match.group(1), 16)
        pos = line_end + 2
        if size == 0:
            break
        if len(body) + size > limit:
            raise RemoteProtocolError(f"chunked content exceeds {limit} bytes", 413)
        after = buffer[pos + size : pos + size + 2]
        if not b"\r\n".startswith(after):  # refused as soon as a wrong byte arrives
            raise RemoteProtocolError("chunk data not followed by CRLF")
        if len(after) < 2:
            return None
        body += buffer[pos : pos + size]
        pos += size + 2
    if buffer[pos : pos + 2] == b"\r\n":
        return bytes(body), (), pos + 2
    end = split_head(buffer[pos:], 8 * 1024)
    if end is None:
        _refuse_bare_lf(buffer[pos:], "the trailer section")
        return None
    trailers = _parse_fields(buffer[pos : pos + end - 4].split(b"\r\n"))
    return bytes(body), trailers, pos + end


def parse_response(
    buffer: bytes, method: str, *, eof: bool = False
) -> tuple[WireResponse, int] | None:
    """Read one response from the start of ``buffer``, framed per RFC 9112 §6.3.

    ``method`` is the method of the request it answers. Returns the response
    and the number of bytes it used (anything after belongs to the next
    message), or None when more bytes are needed. With ``eof`` the peer has
    closed, which ends a message that has no declared length.
    """
    end = split_head(buffer)
    if end is None:
        if eof and buffer:
            raise RemoteProtocolError(f"closed inside the header section: {buffer[:40]!r}")
        return None
    status_line, *field_lines = buffer[: end - 4].split(b"\r\n")
    match = _STATUS_LINE.fullmatch(status_line.decode("latin-1"))
    if not match:
        raise RemoteProtocolError(f"illegal status line: {status_line[:60]!r}")
    version, code, reason = match.group(1), int(match.group(2)), match.group(3) or ""
    headers = _parse_fields(field_lines)
    rest = buffer[end:]
    trailers: Headers = ()
    codings = ",".join(header_values(headers, "transfer-encoding")).lower()
    if ends_at_header_section(code, method):
        body, used, framing = b"", 0, f"ends at the empty line ({code} to {method.upper()})"
    elif codings.rstrip(" ,").endswith("chunked"):
        decoded = parse_chunked(rest)
        if decoded is None:
            return None
        body, trailers, used = decoded
        framing = "chunked"
    elif header_values(headers, "content-length"):
        lengths = sorted({v.strip() for v in header_values(headers, "content-length")})
        if len(lengths) != 1 or not (lengths[0].isascii() and lengths[0].isdigit()):
            raise RemoteProtocolError(f"invalid Content-Length {lengths}")
        used = int(lengths[0])
        if len(rest) < used:
            if eof:
                raise RemoteProtocolError(f"connection closed after {len(rest)} of {used} bytes")
            return None
        body, framing = rest[:used], f"Content-Length: {used}"
    else:
        if not eof:
            return None
        body, used, framing = rest, len(rest), "read until the connection closed"
    message = WireResponse(
        version=version,
        status=code,
        reason=reason,
        headers=headers,
        body=body,
        framing=framing,
        trailers=trailers,
        raw=buffer[: end + used],
    )
    return message, end + used
