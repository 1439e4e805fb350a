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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from ._framing import may_send_content_length, may_send_transfer_encoding
from ._http import Headers, WireResponse, header_values, last_header, reason_phrase
from ._wire import Exchange, build_request, exchange, visible

__all__ = [
    "HEURISTICALLY_CACHEABLE",
    "RULES",
    "Finding",
    "Level",
    "Report",
    "Rule",
    "check",
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
    # RFC 9110 §15.3.5: "terminated by the end of the header section; it cannot
    # contain content or trailers". RFC 9112 §6.3 rule 1: the bytes after the
    # empty line belong to the next message on the connection.
    Rule(
        id="204-content",
        level=_MUST,
        rfc="RFC 9110 §15.3.5, RFC 9112 §6.3",
        message="a 204 ends at its header section; it cannot carry content",
    ),
    # RFC 9110 §8.6: MUST NOT send Content-Length in a 1xx or 204; a value of 0
    # is no exception, even though most clients tolerate it.
    Rule(
        id="204-content-length",
        level=_MUST,
        rfc="RFC 9110 §8.6",
        message="a server MUST NOT send Content-Length in a 204, not even 0",
    ),
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
    # RFC 9110 §15.3.6: a 205 is framed as usual (Content-Length: 0 is fine)
    # but a server MUST NOT generate content in it.
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
    # RFC 9112 §6.3, last paragraphs: a client MUST NOT process extra data as a
    # separate response (cache poisoning). The MUST here is the server's: it
    # sent bytes its own framing does not account for.
    Rule(
        id="extra-bytes",
        level=_MUST,
        rfc="RFC 9112 §6.3",
        message="bytes arrived after the end of the response as framed",
    ),
    # RFC 9110 §6.6.1: an origin server with a clock MUST send Date in 2xx, 3xx
    # and 4xx (MAY in 1xx and 5xx). Having a clock cannot be seen on the wire,
    # hence SHOULD.
    Rule(
        id="date-missing",
        level=_SHOULD,
        rfc="RFC 9110 §6.6.1",
        message="a server with a clock sends Date in every 2xx, 3xx and 4xx",
    ),
    # RFC 9110 §15.1 lists the heuristically cacheable codes, 204 among them;
    # RFC 9111 §4.2.2 suggests 10% of the time since Last-Modified as the
    # lifetime. REDbot and httplint still use RFC 2616's list (200, 203, 206,
    # 300, 301, 410) and call a bare 204 "cannot be stored by caches".
    Rule(
        id="heuristically-cacheable",
        level=_INFO,
        rfc="RFC 9110 §15.1, RFC 9111 §4.2.2",
        message="a cache may reuse this response with no explicit freshness",
    ),
    # RFC 9110 §9.3.4: a validator on a successful PUT says the bytes were stored
    # without any transformation. The wire cannot show whether that is true.
    Rule(
        id="put-etag",
        level=_INFO,
        rfc="RFC 9110 §9.3.4",
        message="an ETag on a successful PUT promises the content was stored as sent",
    ),
    # RFC 9110 §15.3.5: 204 says "done, nothing to send" in the status line.
    Rule(
        id="empty-200",
        level=_INFO,
        rfc="RFC 9110 §15.3.5",
        message="a 200 with empty content: 204 No Content says so explicitly",
    ),
)
"""Every rule the checker knows, in the order findings are listed."""

_BY_ID = {r.id: r for r in RULES}

HEURISTICALLY_CACHEABLE = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
"""RFC 9110 §15.1's heuristically cacheable status codes.

RFC 2616 §13.4 listed only 200, 203, 206, 300, 301 and 410. REDbot and
httplint still use that old list, so they report a bare 204 as "cannot be
stored by caches"; do not use them as the oracle for 204 cacheability.
"""

_SHOWN = 100
"""How many stray bytes a finding shows."""


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

    exchange: Exchange
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
        else:
            reason = response.reason or reason_phrase(response.status)
            what = f"{response.status} {reason}".rstrip() + f" to {method}"
        counts = ", ".join(f"{self.count(level)} {level}" for level in Level)
        return f"{what}: {counts} ({'pass' if self.passed else 'FAIL'})"

    def table(self) -> str:
        """The verdict, then one row per finding (level, rule, RFC, message) and its evidence."""
        lines = [self.verdict()]
        if not self.findings:
            return "\n".join([*lines, "no findings"])
        rows = [("LEVEL", "RULE", "RFC", "MESSAGE")]
        rows += [(str(f.rule.level), f.rule.id, f.rule.rfc, f.rule.message) for f in self.findings]
        widths = [max(len(row[col]) for row in rows) for col in range(3)]
        indent = " " * (widths[0] + 2)
        for index, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
            lines.append("  ".join([*cells, row[3]]).rstrip())
            if index:
                lines.append(f"{indent}evidence: {self.findings[index - 1].detail}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the table when a notebook cell ends with a report."""
        printer.text(self.table())


# -- evidence ---------------------------------------------------------------------


def _show(data: bytes) -> str:
    """Stray bytes on one line, with CR and LF made visible, cut to :data:`_SHOWN`."""
    text = visible(data[:_SHOWN]).replace("\n", "")
    more = f" ... ({len(data)} bytes in all)" if len(data) > _SHOWN else ""
    return text + more


def _bytes_after(data: bytes, where: str) -> str:
    plural = "" if len(data) == 1 else "s"
    detail = f"{len(data)} byte{plural} after {where}: {_show(data)}"
    if data.startswith(b"HTTP/"):
        status_line = data.split(b"\r\n", 1)[0][:60].decode("latin-1")
        detail += (
            f" -- a whole second response ({status_line}) that a client may take "
            "as the answer to its next request"
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


def _http_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


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
        if _declared_length(headers) == 0:
            detail += " (clients tolerate 0, but the field itself is forbidden)"
        yield f"{prefix}-content-length", detail
    if header_values(headers, "transfer-encoding") and not may_send_transfer_encoding(
        status, ex.method
    ):
        yield f"{prefix}-transfer-encoding", _field_lines(headers, "transfer-encoding")


def _stray_content(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """Content where none may be, and bytes beyond what the response framed (RFC 9112 §6.3)."""
    status, leftover = response.status, ex.leftover
    if 100 <= status < 200:
        return  # an interim response: what follows is the final response
    evidence = []
    if status == 204:
        rule_id, where = "204-content", "the empty line that ends the 204"
        declared = _declared_length(response.headers)
        if declared:
            evidence.append(f"Content-Length: {declared} announces content")
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
    if leftover:
        evidence.append(_bytes_after(leftover, where))
    if evidence:
        yield rule_id, "; ".join(evidence)


def _date(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §6.6.1: Date in 2xx, 3xx and 4xx."""
    if 200 <= response.status < 500 and last_header(response.headers, "date") is None:
        yield "date-missing", f"no Date field in the {response.status} response"


def _cacheable(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §15.1 and RFC 9111 §4.2.2: reuse without explicit freshness."""
    if ex.method.upper() not in ("GET", "HEAD") or response.status not in HEURISTICALLY_CACHEABLE:
        return
    headers = response.headers
    directives = {
        part.split("=", 1)[0].strip().lower()
        for value in header_values(headers, "cache-control")
        for part in value.split(",")
    }
    # Explicit freshness (max-age, s-maxage, Expires) rules heuristics out
    # (RFC 9111 §4.2.2); no-store forbids storing, no-cache forbids reuse
    # without revalidation.
    if directives & {"max-age", "s-maxage", "no-store", "no-cache"}:
        return
    if header_values(headers, "expires"):
        return
    detail = "no freshness from Cache-Control or Expires"
    modified = _http_date(last_header(headers, "last-modified"))
    date = _http_date(last_header(headers, "date"))
    if modified is None:
        detail += "; no Last-Modified, so the 10% rule gives no lifetime"
    elif date is None:
        detail += "; Last-Modified but no Date to measure its age from"
    elif modified >= date:
        detail += "; Last-Modified is not before Date, so the 10% rule gives no lifetime"
    else:
        age = date - modified
        detail += (
            f"; Last-Modified is {_duration(age)} before Date, "
            f"so the 10% rule gives {_duration(age / 10)} of freshness"
        )
    detail += "; add Cache-Control: no-store if it must not be reused"
    yield "heuristically-cacheable", detail


def _put_validator(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §9.3.4: ETag on a 2xx to PUT."""
    if ex.method.upper() == "PUT" and 200 <= response.status < 300:
        etag = _field_lines(response.headers, "etag")
        if etag:
            yield "put-etag", f"{etag} on a {response.status} to PUT"


def _empty_200(ex: Exchange, response: WireResponse) -> Iterator[tuple[str, str]]:
    """RFC 9110 §15.3.5: an empty 200 where 204 would say more."""
    method = ex.method.upper()
    if response.status == 200 and method not in ("HEAD", "CONNECT") and not response.body:
        yield "empty-200", f"the content is empty ({response.framing})"


_CHECKS: tuple[_Check, ...] = (
    _framing_fields,
    _stray_content,
    _date,
    _cacheable,
    _put_validator,
    _empty_200,
)


def judge(exchange: Exchange) -> Report:
    """Judge one exchange against :data:`RULES`; pure, no I/O."""
    response = exchange.response
    if response is None:
        detail = exchange.error or "no response"
        if exchange.received:
            detail += f" (received {len(exchange.received)} bytes: {_show(exchange.received)})"
        found = [Finding(rule=_BY_ID["no-response"], detail=detail)]
    else:
        found = [
            Finding(rule=_BY_ID[rule_id], detail=detail)
            for check_one in _CHECKS
            for rule_id, detail in check_one(exchange, response)
        ]
    order = {r.id: index for index, r in enumerate(RULES)}
    found.sort(key=lambda f: (f.rule.level.rank, order[f.rule.id]))
    return Report(exchange=exchange, findings=tuple(found))


def check(
    url: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    grace: float = 0.5,
    timeout: float = 5.0,
) -> Report:
    """Send one request to ``url`` on a new connection and judge the reply.

    ``grace`` is how long to keep listening after the response ends; half a
    second catches a stray body sent a moment after a 204's header section.
    Raises :class:`nocontent.LocalProtocolError` for a request that is not
    valid HTTP (nothing is sent) and :class:`OSError` when the server cannot
    be reached.
    """
    request = build_request(method, url, headers, body)
    return judge(exchange(url, method, raw=request, grace=grace, timeout=timeout))
