"""The conformance checker: rules from the RFCs, judged against one :class:`Exchange`.

:func:`judge` is pure: it looks only at the bytes an exchange captured, so
every rule can be tested without a server. :func:`check` is the one
convenience that does I/O: it sends a request and judges what came back.

Each rule lives once, in :data:`RULES`, with its level and its RFC section;
the framing questions ("may this response carry content or a
Content-Length?") are answered by :mod:`nocontent._framing`, not here.
"""

from __future__ import annotations

import enum
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._frame_checks import FRAME_CHECKS
from ._frames import FrameExchange
from ._framing import may_send_content_length, may_send_transfer_encoding
from ._http import (
    Headers,
    ProtocolError,
    WireResponse,
    header_values,
    http_date,
    last_header,
    parse_response,
    reason_phrase,
    requests_in,
    return_preference,
)
from ._wire import GRACE, Exchange, build_request, conversation

__all__ = [
    "CHANGES",
    "HEURISTICALLY_CACHEABLE",
    "RULES",
    "Finding",
    "Level",
    "Report",
    "Rule",
    "check",
    "grace_for",
    "judge",
    "rule",
]


class Level(str, enum.Enum):
    """How binding a rule is.

    MUST and SHOULD are the RFC 2119 keywords of the requirement broken;
    INFO is something worth knowing that breaks nothing.
    """

    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for MUST, 1 for SHOULD, 2 for INFO: lower is more serious."""
        return list(Level).index(self)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One requirement the checker knows.

    Attributes:
        id: a short, stable kebab-case name, such as ``204-content-length``.
        level: MUST, SHOULD or INFO.
        message: what the rule says, in one line.
        rfc: where it comes from, such as ``RFC 9110 §8.6``.
    """

    id: str
    level: Level
    message: str
    rfc: str


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A rule that applies to an exchange, with the evidence.

    Attributes:
        rule: the rule that fired.
        detail: the concrete evidence, such as the offending header line or
            the stray bytes (shown with :func:`nocontent.visible`).
    """

    rule: Rule
    detail: str


_MUST, _SHOULD, _INFO = Level.MUST, Level.SHOULD, Level.INFO

RULES: tuple[Rule, ...] = (
    # Not a rule of its own: the bytes that came back were not a complete
    # HTTP/1.1 response (illegal status line, closed early, timed out).
    Rule(
        id="no-response",
        level=_MUST,
        rfc="RFC 9112 §2.1",
        message="no complete HTTP/1.1 response came back",
    ),
    # RFC 9112 §9.2: "If a client receives data on a connection that doesn't have
    # outstanding requests, the client MUST NOT consider that data to be a valid
    # response"; §6.3: "A client MUST NOT process, cache, or forward such extra data
    # as a separate response". The fault is the client's (here: whoever read these
    # bytes as the answer); the server's fault is reported on the response before.
    Rule(
        id="not-a-response",
        level=_MUST,
        rfc="RFC 9112 §9.2, RFC 9112 §6.3",
        message="a client MUST NOT take bytes that came before its request as a response",
    ),
    # RFC 9110 §15.3.5: "terminated by the end of the header section; it cannot
    # contain content or trailers". Judged on bytes actually found after the empty
    # line: a Content-Length with nothing after it is 204-content-length alone.
    Rule(
        id="204-content",
        level=_MUST,
        rfc="RFC 9110 §15.3.5, RFC 9112 §6.3",
        message="a 204 ends at its header section; it cannot carry content",
    ),
    # RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in any
    # response with a status code of 1xx (Informational) or 204 (No Content)."
    Rule(
        id="204-content-length",
        level=_MUST,
        rfc="RFC 9110 §8.6",
        message="a server MUST NOT send Content-Length in a 204, not even 0",
    ),
    # RFC 9112 §6.1: "A server MUST NOT send a Transfer-Encoding header field in
    # any response with a status code of 1xx (Informational) or 204 (No Content)."
    Rule(
        id="204-transfer-encoding",
        level=_MUST,
        rfc="RFC 9112 §6.1",
        message="a server MUST NOT send Transfer-Encoding in a 204",
    ),
    Rule(
        id="1xx-content-length",
        level=_MUST,
        rfc="RFC 9110 §8.6",
        message="a server MUST NOT send Content-Length in a 1xx response",
    ),
    Rule(
        id="1xx-transfer-encoding",
        level=_MUST,
        rfc="RFC 9112 §6.1",
        message="a server MUST NOT send Transfer-Encoding in a 1xx response",
    ),
    # RFC 9110 §15.3.6: "a server MUST NOT generate content in a 205 response".
    # A 205 is framed as usual, so Content-Length: 0 is fine.
    Rule(
        id="205-content",
        level=_MUST,
        rfc="RFC 9110 §15.3.6",
        message="a server MUST NOT generate content in a 205",
    ),
    # A 304 and a reply to HEAD may carry the Content-Length of the 200 (RFC 9110
    # §8.6), so only bytes actually sent after the header section count.
    Rule(
        id="304-content",
        level=_MUST,
        rfc="RFC 9110 §15.4.5, RFC 9112 §6.3",
        message="a 304 ends at its header section; it cannot carry content",
    ),
    Rule(
        id="head-content",
        level=_MUST,
        rfc="RFC 9110 §9.3.2, RFC 9112 §6.3",
        message="a server MUST NOT send content in a response to HEAD",
    ),
    # Bytes after a response that answer no request of this exchange: the server's
    # framing (RFC 9112 §6.3) does not account for them, and whatever reads them next
    # takes them for the start of another response.
    Rule(
        id="extra-bytes",
        level=_MUST,
        rfc="RFC 9112 §6.3",
        message="bytes arrived that the response's own framing does not account for",
    ),
    # RFC 9110 §6.6.1: "An origin server with a clock ... MUST generate a Date header
    # field in all 2xx (Successful), 3xx (Redirection), and 4xx (Client Error)
    # responses" (MAY in 1xx and 5xx).
    Rule(
        id="date-missing",
        level=_MUST,
        rfc="RFC 9110 §6.6.1",
        message="an origin server with a clock MUST send Date in 2xx, 3xx and 4xx",
    ),
    # RFC 9111 §4.2.2: a cache MAY assign a heuristic lifetime to a response without
    # explicit freshness whose status is heuristically cacheable (RFC 9110 §15.1,
    # 204 among them) or that is marked explicitly cacheable (e.g. public). 10% of
    # the time since Last-Modified is only the RFC's suggestion. REDbot and httplint
    # still use RFC 2616's list and call a bare 204 "cannot be stored by caches".
    Rule(
        id="heuristically-cacheable",
        level=_INFO,
        rfc="RFC 9110 §15.1, RFC 9111 §4.2.2",
        message="a cache may reuse this response with no explicit freshness",
    ),
    # RFC 9110 §9.3.4: "An origin server MUST NOT send a validator field (Section
    # 8.8), such as an ETag or Last-Modified field, in a successful response to PUT
    # unless the request's representation data was saved without any transformation".
    # The wire cannot show whether that is true, hence INFO.
    Rule(
        id="put-validator",
        level=_INFO,
        rfc="RFC 9110 §9.3.4",
        message="a validator on a successful PUT promises the content was stored as sent",
    ),
    # RFC 9110 §15.3.1: "If some aspect of the request indicates a preference for no
    # content upon success, the origin server ought to send a 204 (No Content)
    # response instead." Not for a request that asked for the representation
    # (§6.4.1: other responses "do include content, although that content might be
    # of zero length"), nor for GET or HEAD, where an empty representation is content.
    Rule(
        id="empty-200",
        level=_INFO,
        rfc="RFC 9110 §15.3.1",
        message="an empty 200 to a change: 204 No Content would say so in the status line",
    ),
    # -- HTTP/2 and HTTP/3 (judged on a FrameExchange) --------------------------------
    # Not a rule of its own: no complete response on the request's stream (reset,
    # connection closed, timed out, no :status).
    Rule(
        id="no-response-stream",
        level=_MUST,
        rfc="RFC 9113 §8.1, RFC 9114 §4.1",
        message="no complete HTTP/2 or HTTP/3 response came back on the request's stream",
    ),
    # RFC 9110 §15.3.5: a 204 "cannot contain content or trailers". RFC 9113 §8.1.1: a
    # malformed response is one that is "invalid due to the presence of extraneous frames"
    # ...; "Malformed requests or responses that are detected MUST be treated as a stream
    # error (Section 5.4.2) of type PROTOCOL_ERROR" and "Clients MUST NOT accept a
    # malformed response."
    Rule(
        id="204-data",
        level=_MUST,
        rfc="RFC 9110 §15.3.5, RFC 9113 §8.1.1",
        message="a 204 cannot contain content: DATA after its HEADERS frame",
    ),
    Rule(
        id="204-trailers",
        level=_MUST,
        rfc="RFC 9110 §15.3.5",
        message="a 204 cannot contain trailers",
    ),
    # RFC 9113 §8.1.1: "A response that is defined to have no content, as described in
    # Section 6.4.1 of [HTTP], MAY have a non-zero content-length header field, even though
    # no content is included in DATA frames." RFC 9114 §4.1.2 says the same for HTTP/3.
    # The sender's MUST NOT (RFC 9110 §8.6) is 204-content-length, reported beside it.
    Rule(
        id="204-content-length-tolerated",
        level=_INFO,
        rfc="RFC 9113 §8.1.1, RFC 9114 §4.1.2",
        message="not malformed in HTTP/2 or HTTP/3; a hazard where a gateway makes it HTTP/1.1",
    ),
    # RFC 9113 §8.2.2: "Any message containing connection-specific header fields MUST be
    # treated as malformed"; they are Connection, Proxy-Connection, Keep-Alive,
    # Transfer-Encoding and Upgrade. RFC 9114 §4.2: "any message containing
    # connection-specific fields MUST be treated as malformed."
    Rule(
        id="connection-specific-field",
        level=_MUST,
        rfc="RFC 9113 §8.2.2, RFC 9114 §4.2",
        message="an HTTP/2 or HTTP/3 message MUST NOT carry connection-specific fields",
    ),
    # RFC 9113 §8.2: "Field names MUST be converted to lowercase when constructing an
    # HTTP/2 message"; §8.1.1 counts "the inclusion of uppercase field names" as malformed.
    # RFC 9114 §4.2: "A request or response containing uppercase characters in field names
    # MUST be treated as malformed."
    Rule(
        id="uppercase-field-name",
        level=_MUST,
        rfc="RFC 9113 §8.2, RFC 9114 §4.2",
        message="HTTP/2 and HTTP/3 field names are lowercase; an uppercase one is malformed",
    ),
)
"""Every rule the checker knows, in the order findings are listed."""

_BY_ID = {r.id: r for r in RULES}

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose success :data:`empty-200 <RULES>` considers: a change, not a read or an OPTIONS."""

HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
"""RFC 9110 §15.1's heuristically cacheable status codes.

RFC 2616 §13.4 listed only 200, 203, 206, 300, 301 and 410. REDbot and
httplint still use that old list, so they report a bare 204 as "cannot be
stored by caches"; do not use them as the oracle for 204 cacheability.
"""

_SHOWN = 100
"""How many stray bytes a finding shows."""

WIDTH = 88
"""Columns a report's lines fit in (a long unbroken evidence word may still exceed it)."""


def rule(rule_id: str) -> Rule:
    """The rule with this id; raises KeyError for an unknown one."""
    return _BY_ID[rule_id]


@dataclass(frozen=True, kw_only=True)
class Report:
    """The checker's verdict on one exchange.

    Attributes:
        exchange: the exchange that was judged.
        findings: the rules that fired, most serious first, then in
            :data:`RULES` order.
    """

    exchange: Exchange | FrameExchange
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Level | None:
        """The most serious level among the findings, or None when there are none."""
        return min((f.rule.level for f in self.findings), key=lambda lv: lv.rank, default=None)

    @property
    def passed(self) -> bool:
        """True when no MUST is broken."""
        return all(f.rule.level is not Level.MUST for f in self.findings)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules that fired, in order."""
        return tuple(f.rule.id for f in self.findings)

    def count(self, level: Level) -> int:
        """How many findings have ``level``."""
        return sum(f.rule.level is level for f in self.findings)

    def verdict(self) -> str:
        """One line: what came back, to what, and how many findings of each level."""
        response = self.exchange.response
        method = self.exchange.method
        if response is None:
            what = f"no response to {method}"
        elif isinstance(self.exchange, FrameExchange):  # no reason phrase in HTTP/2 or HTTP/3
            what = f"{response.status} to {method} over HTTP/{self.exchange.version}"
        else:
            reason = response.reason or reason_phrase(response.status)
            what = f"{response.status} {reason}".rstrip() + f" to {method}"
            if self.exchange.unrequested:
                what += " (read from bytes that came before the request)"
        counts = ", ".join(f"{self.count(level)} {level}" for level in Level)
        return f"{what}: {counts} ({'pass' if self.passed else 'FAIL'})"

    def table(self) -> str:
        """The verdict, then each finding: its level, rule and section, message and evidence.

        Lines stay within :data:`WIDTH` columns (a long evidence wraps between words), so
        the report reads whole in a notebook on a laptop screen.
        """
        lines = [self.verdict()]
        if not self.findings:
            return "\n".join([*lines, "no findings"])
        indent = " " * (max(len(str(f.rule.level)) for f in self.findings) + 1)
        for finding in self.findings:
            rule = finding.rule
            lines.append(f"{str(rule.level).ljust(len(indent) - 1)} {rule.id} ({rule.rfc})")
            for text in (rule.message, f"evidence: {finding.detail}"):
                lines += textwrap.wrap(text, WIDTH, initial_indent=indent,
                                       subsequent_indent=indent + "  ",
                                       break_long_words=False, break_on_hyphens=False)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the table when a notebook cell ends with a report."""
        printer.text(self.table())


# -- evidence ---------------------------------------------------------------------


def _show(data: bytes) -> str:
    """Bytes as a Python bytes literal on one line (``b'null'``), cut to :data:`_SHOWN`.

    The literal form shows CR, LF and other odd bytes as escapes, and cannot be
    mistaken for a word of the message: ``b'null'`` is four bytes, not "nothing".
    """
    more = f" ... ({len(data)} bytes in all)" if len(data) > _SHOWN else ""
    return repr(bytes(data[:_SHOWN])) + more


def _bytes_after(data: bytes, where: str) -> str:
    plural = "" if len(data) == 1 else "s"
    detail = f"{len(data)} byte{plural} after {where}: {_show(data)}"
    if data.startswith(b"HTTP/"):
        status_line = data.split(b"\r\n", 1)[0][:60].decode("latin-1")
        detail += (
            f" -- a whole second response ({status_line}): a client that takes it as the answer "
            "to its next request breaks RFC 9112 §6.3"
        )
    return detail


def _field_lines(headers: Headers, name: str) -> str:
    """The fields called ``name`` as they were sent, joined with " | "."""
    wanted = name.lower()
    return " | ".join(f"{key}: {value}" for key, value in headers if key.lower() == wanted)


def _declared_length(headers: Headers) -> int | None:
    """The Content-Length value when it is one clear number, else None."""
    values = {value.strip() for value in header_values(headers, "content-length")}
    if len(values) != 1:
        return None
    value = values.pop()
    return int(value) if value.isascii() and value.isdigit() else None


def _duration(seconds: float) -> str:
    """A coarse, stable duration: ``1d``, ``2h 24m``, ``5m`` or ``under a minute``."""
    minutes = int(seconds // 60)
    if minutes <= 0:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "m")) if n]
    return " ".join(parts)


# -- the checks: one generator per concern, each yielding (rule id, detail) ---------

_Check = Callable[[Exchange, WireResponse], Iterator[tuple[str, str]]]


def _framing_fields(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """Content-Length and Transfer-Encoding where RFC 9110 §8.6 / RFC 9112 §6.1 forbid them."""
    status = response.status
    if status == 204:
        prefix = "204"
    elif 100 <= status < 200:
        prefix = "1xx"
    else:
        return  # 2xx to CONNECT (a tunnel) is out of this checker's scope
    headers = response.headers
    if header_values(headers, "content-length") and not may_send_content_length(status, ex.method):
        detail = _field_lines(headers, "content-length")
        declared = _declared_length(headers)
        if declared == 0:
            detail += " (clients tested tolerate 0, but the field itself is forbidden)"
        elif declared:
            detail += (f" (a recipient that trusts it over RFC 9112 §6.3 waits for {declared} "
                       "bytes that are not part of this response)")
        yield f"{prefix}-content-length", detail
    if header_values(headers, "transfer-encoding") and not may_send_transfer_encoding(
        status, ex.method
    ):
        yield f"{prefix}-transfer-encoding", _field_lines(headers, "transfer-encoding")


def _unanswered(ex: Exchange) -> bytes:
    """The leftover bytes that answer no request of this exchange.

    When the exchange sent several requests at once (pipelining, RFC 9112
    §9.3.2), the leftover starts with the answers to the later ones; those
    are parsed off, and only what remains is stray.
    """
    leftover = ex.leftover
    for method, _ in requests_in(ex.request)[1:]:
        try:
            parsed = parse_response(leftover, method)
        except ProtocolError:
            break
        if parsed is None:
            break
        leftover = leftover[parsed[1]:]
    return leftover


def _stray_content(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """Bytes where no content may be, or beyond what the response framed (RFC 9112 §6.3).

    Only bytes actually sent count: a field that announces content is the
    business of :func:`_framing_fields`.
    """
    status = response.status
    if 100 <= status < 200:
        return  # an interim response: what follows is the final response
    evidence = []
    if status == 204:
        rule_id, where = "204-content", "the empty line that ends the 204"
    elif status == 304:
        rule_id, where = "304-content", "the empty line that ends the 304"
    elif ex.method.upper() == "HEAD":
        rule_id, where = "head-content", "the empty line that ends the reply to HEAD"
    elif status == 205:
        rule_id, where = "205-content", "the end of the 205"
        if response.body:
            evidence.append(
                f"{len(response.body)} bytes of content ({response.framing}): "
                f"{_show(response.body)}"
            )
    else:
        rule_id, where = "extra-bytes", f"the end of the response ({response.framing})"
    stray = _unanswered(ex)
    if stray:
        evidence.append(_bytes_after(stray, where))
    if evidence:
        yield rule_id, "; ".join(evidence)


def _date(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §6.6.1: Date in 2xx, 3xx and 4xx."""
    if 200 <= response.status < 500 and last_header(response.headers, "date") is None:
        yield "date-missing", (
            f"no Date field in the {response.status} response (the requirement binds an origin "
            "server with a clock, which the wire cannot show; this checker assumes one)"
        )


def _directives(headers: Headers) -> set[str]:
    """The Cache-Control directive names, lower-cased."""
    return {
        part.split("=", 1)[0].strip().lower()
        for value in header_values(headers, "cache-control")
        for part in value.split(",")
    }


def _cacheable(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9111 §4.2.2: reuse without explicit freshness."""
    headers = response.headers
    directives = _directives(headers)
    if ex.method.upper() not in ("GET", "HEAD"):
        return
    # A 304 only freshens a stored response (RFC 9111 §4.3.4); it is never stored itself.
    marked = "public" in directives and response.status != 304
    if response.status not in HEURISTICALLY_CACHEABLE and not marked:
        return
    # Explicit freshness (max-age, s-maxage, Expires) rules heuristics out ("A cache
    # MUST NOT use heuristics to determine freshness when an explicit expiration time
    # is present"); no-store forbids storing, no-cache forbids reuse without validation.
    if directives & {"max-age", "s-maxage", "no-store", "no-cache"}:
        return
    if header_values(headers, "expires"):
        return
    if response.status in HEURISTICALLY_CACHEABLE:
        detail = f"{response.status} is heuristically cacheable (RFC 9110 §15.1)"
    else:
        detail = f"{response.status} is marked explicitly cacheable (Cache-Control: public)"
    detail += " and has no freshness from Cache-Control or Expires"
    modified = http_date(last_header(headers, "last-modified"))
    date = http_date(last_header(headers, "date"))
    suggested = "the RFC's suggested heuristic (10% of the time since Last-Modified)"
    if modified is None:
        detail += f"; no Last-Modified, so {suggested} has nothing to measure"
    elif date is None:
        detail += "; Last-Modified but no Date to measure its age from"
    elif modified >= date:
        detail += f"; Last-Modified is not before Date, so {suggested} gives nothing"
    else:
        age = date - modified
        detail += (
            f"; Last-Modified is {_duration(age)} before Date, "
            f"so {suggested} gives {_duration(age / 10)} of freshness"
        )
    detail += ("; a cache may use any heuristic; add Cache-Control: no-store if it must not "
               "be reused")
    yield "heuristically-cacheable", detail


def _put_validator(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §9.3.4: ETag or Last-Modified on a 2xx to PUT."""
    if ex.method.upper() == "PUT" and 200 <= response.status < 300:
        fields = [line for name in ("etag", "last-modified")
                  if (line := _field_lines(response.headers, name))]
        if fields:
            yield "put-validator", f"{' | '.join(fields)} on a {response.status} to PUT"


def _preference(ex: Exchange) -> str | None:
    """The ``return`` preference of the (first) request, per RFC 7240 §4.2, if any."""
    if isinstance(ex, FrameExchange):
        return return_preference(ex.request_fields)
    found = requests_in(ex.request)
    return return_preference(found[0][1]) if found else None


def _empty_200(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §15.3.1: an empty 200 to a change, where 204 would say more."""
    if response.status != 200 or ex.method.upper() not in CHANGES or response.body:
        return
    preference = _preference(ex)
    if preference == "return=representation":
        return  # the representation was asked for, and it is empty: 200 is exact
    detail = f"the content is empty ({response.framing})"
    if preference == "return=minimal":
        detail += ("; the request asked for return=minimal, a preference for no content, so "
                   "RFC 9110 §15.3.1 says the server ought to send 204 (RFC 7240 §4.2 calls 204 "
                   "typical and also allows an empty 200)")
    else:
        detail += ("; nothing in the request asked for content, and a 204 would say 'nothing "
                   "to send' in its status line (advice: RFC 9110 §15.3.1's 'ought to send a "
                   "204' applies when the request indicates a preference for no content)")
    yield "empty-200", detail


_CHECKS: tuple[_Check, ...] = (
    _framing_fields,
    _stray_content,
    _date,
    _cacheable,
    _put_validator,
    _empty_200,
)


def _not_a_response(ex: Exchange) -> Finding:
    size = len(ex.received)
    return Finding(rule=_BY_ID["not-a-response"], detail=(
        f"all {size} bytes of this {ex.status} were on the connection before the request was "
        "sent: they answer no request; they are the stray bytes of the previous response, "
        "where the server's fault is reported"
    ))


_VERSIONLESS: tuple[_Check, ...] = (_date, _cacheable, _put_validator, _empty_200)
"""The checks that hold in every HTTP version, run on HTTP/2 and HTTP/3 exchanges too."""


def _judge_frames(exchange: FrameExchange) -> list[Finding]:
    response = exchange.response
    if response is None:
        detail = exchange.error or "no response"
        return [Finding(rule=_BY_ID["no-response-stream"], detail=detail)]
    checks = (*FRAME_CHECKS, *_VERSIONLESS)
    return [Finding(rule=_BY_ID[rule_id], detail=detail)
            for check_one in checks
            for rule_id, detail in check_one(exchange, response)]  # type: ignore[arg-type]


def judge(exchange: Exchange | FrameExchange) -> Report:
    """Judge one exchange against :data:`RULES`; pure, no I/O.

    An HTTP/1.1 :class:`Exchange` is judged on its bytes, a :class:`FrameExchange`
    (HTTP/2 or HTTP/3) on its frames.
    """
    response = exchange.response
    if isinstance(exchange, FrameExchange):
        found = _judge_frames(exchange)
    elif response is None:
        detail = exchange.error or "no response"
        if exchange.received:
            detail += f" (received {len(exchange.received)} bytes: {_show(exchange.received)})"
        found = [Finding(rule=_BY_ID["no-response"], detail=detail)]
    elif exchange.unrequested:
        found = [_not_a_response(exchange)]
    else:
        found = [
            Finding(rule=_BY_ID[rule_id], detail=detail)
            for check_one in _CHECKS
            for rule_id, detail in check_one(exchange, response)
        ]
    order = {r.id: index for index, r in enumerate(RULES)}
    found.sort(key=lambda f: (f.rule.level.rank, order[f.rule.id]))
    return Report(exchange=exchange, findings=tuple(found))


LATE_GRACE = 0.5
"""Seconds :func:`grace_for` listens while content a response announced has not arrived."""


def grace_for(method: str, response: WireResponse, arrived: bytes) -> float:
    """How long to keep listening after ``response``: the default wait of :func:`check`.

    :data:`LATE_GRACE` (0.5 s) while content the header section announced is
    missing: a Content-Length other than 0, or a Transfer-Encoding, on a
    response that may carry neither (a 204: RFC 9110 §8.6, RFC 9112 §6.1),
    with fewer bytes ``arrived`` after it than announced. That server meant a
    body to follow and may write it late, as ``/misbehave/body-late`` does,
    0.3 s after the header section. Any other response announces nothing
    more, and bytes written with it are read at once, so the wire view's
    short :data:`nocontent._wire.GRACE` (0.05 s) is enough. On a reply to
    HEAD or a 304 these fields describe what a GET would have returned (RFC
    9110 §8.6), not content of this message, so they announce nothing.
    """
    status, headers = response.status, response.headers
    if header_values(headers, "transfer-encoding") and not may_send_transfer_encoding(
        status, method
    ):
        missing = not arrived
    elif {value.strip() for value in header_values(headers, "content-length")} - {"0"} and (
        not may_send_content_length(status, method)
    ):
        declared = _declared_length(headers)
        missing = declared is None or len(arrived) < declared
    else:
        missing = False
    return LATE_GRACE if missing else GRACE


def check(
    url: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    grace: float | None = None,
    timeout: float = 5.0,
    http_version: int = 1,
    ca_file: str | None = None,
) -> Report:
    """Send one request to ``url`` on a new connection and judge the reply.

    ``grace`` is how long to keep listening after the response ends, for
    stray bytes: by default :func:`grace_for` decides (half a second after a
    204 that announced a body not yet received, 0.05 s otherwise); a number
    listens that long after any response. Listening stops sooner when the
    server is one this process runs and it waits for the next request.
    Raises :class:`nocontent.LocalProtocolError` for a request that is not
    valid HTTP (nothing is sent) and :class:`OSError` when the server cannot
    be reached.
    """
    if http_version != 1:  # HTTP/2 or HTTP/3: judged on the frames
        from ._frame_client import frame_exchange  # needs h2 and aioquic: imported on use

        return judge(frame_exchange(url, method, headers, body, http_version=http_version,
                                    grace=GRACE if grace is None else grace, timeout=timeout,
                                    ca_file=ca_file))
    request = build_request(method, url, headers, body)
    listen = grace_for if grace is None else grace
    return judge(conversation(url, [(method, request)], grace=listen, timeout=timeout)[0])
