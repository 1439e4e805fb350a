"""The request builder's model and the freshness calculator, as plain functions.

The widgets in :mod:`nocontent._widgets` only gather input and show results;
every decision lives here, with no I/O: which targets to offer, what a
preset switches on, whether a request may be sent (and why not), the exact
bytes it becomes, and how fresh a cached response is (RFC 9111 §4.2).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from itertools import product

from ._app import ROUTES
from ._checker import HEURISTICALLY_CACHEABLE, Report
from ._http import MAX_BODY, WireResponse, field_value_problem, header_values, token_problem
from ._misbehave import KINDS
from ._store import SEED
from ._wire import Exchange, LocalProtocolError, build_request

__all__ = [
    "BODY_METHODS",
    "HEURISTIC_FRACTION",
    "METHODS",
    "NO_ETAG",
    "PRESETS",
    "PRESET_METHODS",
    "BuilderState",
    "Freshness",
    "Row",
    "Sent",
    "apply_preset",
    "body_bytes",
    "document_name",
    "duration",
    "fields",
    "freshness",
    "freshness_of_response",
    "http_date",
    "preset_rows",
    "targets",
    "to_request_bytes",
    "validate",
]

METHODS = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH")
"""The methods the builder offers, in the order its buttons show them."""

BODY_METHODS = frozenset({"PUT", "POST", "PATCH"})
"""Methods whose request content has a defined meaning (RFC 9110 §9.3.3, §9.3.4; RFC 5789)."""

ETAG = "{etag}"
"""Stands in a preset's value for the document's current entity tag."""

NO_ETAG = '"no-such-etag"'
"""The tag a preset uses when the target is no stored document: it matches nothing."""

PRESETS: dict[str, tuple[tuple[str, str], ...]] = {
    "If-Match": (("If-Match", ETAG),),
    "If-None-Match": (("If-None-Match", ETAG),),
    "If-None-Match: *": (("If-None-Match", "*"),),
    "Prefer: return=minimal": (("Prefer", "return=minimal"),),
    "Prefer: return=representation": (("Prefer", "return=representation"),),
    "Cache-Control: no-cache": (("Cache-Control", "no-cache"),),
    "CORS preflight": (
        ("Origin", "https://editor.example"),
        ("Access-Control-Request-Method", "PUT"),
    ),
    "Content-Type": (("Content-Type", "application/json"),),
}
"""Header rows a learner can switch on in one click, by button label.

``{etag}`` in a value is replaced by the target document's current ETag
(see :func:`preset_rows`). ``If-Match`` makes a write conditional (RFC 9110
§13.1.1), ``If-None-Match`` a read (304, §13.1.2) and ``If-None-Match: *``
a create-only PUT; ``Prefer`` asks for a 204 or for the stored
representation (RFC 7240 §4.2); the CORS pair is what a browser sends in a
preflight (Fetch standard).
"""

PRESET_METHODS: dict[str, str] = {"CORS preflight": "OPTIONS"}
"""Presets that also choose the method: a preflight is always an OPTIONS request."""

_FRAMING_FIELDS = {
    "host": "the builder writes Host itself, and HTTP/1.1 allows exactly one (RFC 9112 §3.2)",
    "content-length": "the builder writes Content-Length from the body; one that disagrees "
    "would leave the server waiting for bytes that never come (RFC 9112 §6.2)",
    "transfer-encoding": "the builder frames the body with Content-Length; Transfer-Encoding "
    "would need a chunked body (RFC 9112 §6.1). Hand-made framing belongs in "
    "nocontent.exchange(url, raw=...)",
}


@dataclass(frozen=True)
class Row:
    """One header row of the builder.

    Attributes:
        enabled: whether the row is sent (its on/off toggle).
        name: the field name as typed.
        value: the field value as typed.
    """

    enabled: bool
    name: str
    value: str

    @property
    def blank(self) -> bool:
        """True for a free row nobody filled in; it is never sent and never an error."""
        return not self.name.strip() and not self.value.strip()


@dataclass(frozen=True, kw_only=True)
class BuilderState:
    """Everything the builder's controls hold, as one value.

    Attributes:
        method: the method token, exactly as typed (methods are case-sensitive).
        target: the path on the embedded server, such as ``/docs/welcome``.
        rows: the header rows in order, switched on or off.
        body: the request content as text; sent as UTF-8.
    """

    method: str = "GET"
    target: str = "/docs/welcome"
    rows: tuple[Row, ...] = ()
    body: str = ""


# -- targets and presets ------------------------------------------------------------


def targets(
    documents: Iterable[str] | None = None, kinds: Iterable[str] | None = None
) -> tuple[str, ...]:
    """The paths the builder offers, derived from the server's :data:`ROUTES`.

    Each ``{placeholder}`` of a route is filled with examples: ``{name}``
    with ``documents`` (the seed documents by default), ``{code}`` with
    204, 200, 205 and 304, ``{n}`` with 60 and ``{kind}`` with every kind
    of ``/misbehave/`` route.
    """
    examples = {
        "name": tuple(documents if documents is not None else SEED),
        "code": ("204", "200", "205", "304"),
        "n": ("60",),
        "kind": tuple(kinds if kinds is not None else KINDS),
    }
    found: list[str] = []
    for route, _ in ROUTES:
        path = route.split()[-1]
        names = [field for _, field, _, _ in string.Formatter().parse(path) if field]
        for values in product(*(examples[name] for name in names)):
            filled = path.format(**dict(zip(names, values, strict=True)))
            if filled not in found:
                found.append(filled)
    return tuple(found)


def document_name(target: str) -> str | None:
    """The document a ``/docs/{name}`` target names, or None for any other target."""
    match = re.fullmatch(r"/docs/([A-Za-z0-9._-]{1,64})", target.split("?", 1)[0])
    return match.group(1) if match else None


def preset_rows(preset: str, etag: str | None = None) -> tuple[Row, ...]:
    """The rows ``preset`` switches on, with ``{etag}`` filled in.

    ``etag`` is the target document's current ETag; without one (no such
    document) the rows carry :data:`NO_ETAG`, which matches no document.
    Raises KeyError for an unknown preset.
    """
    return tuple(
        Row(True, name, value.replace(ETAG, etag or NO_ETAG)) for name, value in PRESETS[preset]
    )


def apply_preset(state: BuilderState, preset: str, etag: str | None = None) -> BuilderState:
    """``state`` with ``preset``'s rows switched on.

    A row with the same field name (in any case) is switched on and given
    the preset's value; otherwise the row is added at the end. A preset in
    :data:`PRESET_METHODS` also sets the method.
    """
    rows = list(state.rows)
    for row in preset_rows(preset, etag):
        same = [i for i, old in enumerate(rows) if old.name.strip().lower() == row.name.lower()]
        if same:
            rows[same[0]] = row
        else:
            rows.append(row)
    return replace(state, rows=tuple(rows), method=PRESET_METHODS.get(preset, state.method))


# -- validation and bytes ---------------------------------------------------------------


def _target_problem(what: str, target: str) -> str | None:
    if not target:
        return f"the {what} is empty; a path starts with '/', such as /docs/welcome"
    if not target.startswith("/"):
        return (f"the {what} {target!r} does not start with '/'; the builder sends a path "
                "on the embedded server (origin form, RFC 9112 §3.2.1)")
    for ch in target:
        if ch in "\r\n":
            return (f"the {what} {target!r} contains a line break, which would end the "
                    "request line early (request splitting)")
        if ch == " ":
            return (f"the {what} {target!r} contains a space, which would split the request "
                    "line; percent-encode it as %20")
        if not ch.isascii():
            return (f"the {what} {target!r} contains non-ASCII character {ch!r}; "
                    "percent-encode it (RFC 3986 §2.1)")
        if not "\x21" <= ch <= "\x7e":
            return f"the {what} {target!r} contains the control character {ch!r}"
    return None


def validate(
    state: BuilderState, max_body: int = MAX_BODY, *, then: str | None = None
) -> list[str]:
    """Every reason ``state`` cannot be sent, one sentence each; empty when it can.

    Checks the method token (RFC 9110 §9.1, §5.6.2), the target, every row
    that is switched on (field names are tokens, §5.1; values have no CR, LF
    or other controls, §5.5, so no header injection; ASCII only), and the
    body (only with PUT, POST or PATCH, and at most ``max_body`` bytes, the
    server's limit beyond which it answers 413). ``then`` is the target of a
    second request on the same connection, checked like the first.
    """
    problems = []
    if problem := token_problem("the method", state.method):
        problems.append(problem[0].upper() + problem[1:] + " (RFC 9110 §9.1)")
    for what, target in (("target", state.target), ("second target", then)):
        if target is not None and (problem := _target_problem(what, target)):
            problems.append(problem[0].upper() + problem[1:])
    for number, row in enumerate(state.rows, start=1):
        if not row.enabled or row.blank:
            continue
        name = row.name
        where = f"Header row {number}" + (f" ({name})" if name.strip() else "")
        if not name:
            problems.append(f"{where} has a value but no name")
            continue
        if problem := token_problem("field name", name):
            problems.append(f"{where}: {problem} (RFC 9110 §5.1)")
        elif name.lower() in _FRAMING_FIELDS:
            problems.append(f"{where}: {_FRAMING_FIELDS[name.lower()]}; switch this row off")
        if problem := field_value_problem(row.value):
            problems.append(f"{where}: {problem} (RFC 9110 §5.5)")
    if state.body:
        if state.method not in BODY_METHODS:
            problems.append(
                f"A body is only sent with PUT, POST or PATCH: content in a {state.method} "
                "request has no generally defined meaning (RFC 9110 §9.3); clear the body or "
                "choose another method"
            )
        try:
            size = len(state.body.encode("utf-8"))
        except UnicodeEncodeError as exc:
            problems.append(f"The body cannot be encoded as UTF-8: {exc.reason}")
        else:
            if size > max_body:
                problems.append(
                    f"The body is {size} bytes; the server accepts at most {max_body} and "
                    "would answer 413 Content Too Large (RFC 9110 §15.5.14)"
                )
    return problems


def fields(state: BuilderState) -> tuple[tuple[str, str], ...]:
    """The header fields the builder sends: rows switched on and filled in, in order."""
    return tuple((row.name, row.value) for row in state.rows if row.enabled and not row.blank)


def body_bytes(state: BuilderState) -> bytes:
    """The request content: the body text as UTF-8."""
    return state.body.encode("utf-8")


def to_request_bytes(state: BuilderState, base_url: str) -> bytes:
    """The exact bytes the builder sends for ``state`` to the server at ``base_url``.

    Built by :func:`nocontent.build_request` (Host first, then the rows, then
    Content-Length for PUT, POST and PATCH). Raises
    :class:`nocontent.LocalProtocolError` listing every problem
    :func:`validate` finds.
    """
    problems = validate(state)
    if problems:
        raise LocalProtocolError("; ".join(problems))
    url = base_url.rstrip("/") + state.target
    return build_request(state.method, url, fields(state), body_bytes(state))


@dataclass(frozen=True, kw_only=True)
class Sent:
    """One press of the Send button and what came back.

    Attributes:
        number: how many sends the builder had made, this one included.
        state: the builder's state when it was sent.
        exchange: the request and its response.
        report: the checker's verdict on ``exchange``.
        second: the follow-up request on the same connection, if one was asked for.
        second_report: the checker's verdict on ``second``.
    """

    number: int
    state: BuilderState
    exchange: Exchange
    report: Report
    second: Exchange | None = None
    second_report: Report | None = None

    def summary(self) -> str:
        """One line: the request, the status and the verdict."""
        line = f"#{self.number} {self.state.method} {self.state.target}: {self.report.verdict()}"
        if self.second is not None and self.second_report is not None:
            line += f"; then {self.second_report.verdict()}"
        return line


# -- freshness (RFC 9111 §4.2) ----------------------------------------------------------

HEURISTIC_FRACTION = 0.1
"""The fraction of the time since Last-Modified RFC 9111 §4.2.2 suggests as a lifetime."""


def http_date(text: str | None) -> float | None:
    """Seconds since the epoch for an HTTP-date such as ``Sun, 01 Mar 2026 12:00:00 GMT``.

    None when ``text`` is None or not a date (RFC 9110 §5.6.7).
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


def duration(seconds: float) -> str:
    """A duration such as ``1d 2h``, ``1m 30s`` or ``0s`` (whole seconds, rounded down)."""
    left = int(abs(seconds))
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    text = " ".join(parts) or "0s"
    return f"-{text}" if seconds <= -1 else text


def _seconds(moment: float | datetime) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


@dataclass(frozen=True, kw_only=True)
class Freshness:
    """How fresh a stored response is at one moment, as a private cache reckons it.

    Attributes:
        date: the response's Date, in seconds since the epoch.
        last_modified: its Last-Modified, or None.
        max_age: its ``Cache-Control: max-age``, or None.
        expires: its Expires, or None.
        now: the moment asked about.
        source: where the lifetime comes from: ``"max-age"``, ``"expires"``,
            ``"heuristic"``, ``"none"`` (no lifetime can be worked out) or
            ``"no-store"`` (a cache may not keep it at all).
        lifetime: the freshness lifetime in seconds, or None (RFC 9111 §4.2.1).
        age: the current age in seconds, simplified to ``now - date``.
        fresh: whether the lifetime is greater than the age (RFC 9111 §4.2).
    """

    date: float
    last_modified: float | None
    max_age: int | None
    expires: float | None
    now: float
    source: str
    lifetime: float | None
    age: float
    fresh: bool

    @property
    def remaining(self) -> float | None:
        """Seconds of freshness left (negative once stale), or None without a lifetime."""
        return None if self.lifetime is None else self.lifetime - self.age

    def lines(self) -> list[str]:
        """The working, one step per line, with the RFC section of each step."""
        out = [f"Date:           {formatdate(self.date, usegmt=True)}"]
        if self.last_modified is not None:
            before = duration(self.date - self.last_modified)
            out.append(f"Last-Modified:  {formatdate(self.last_modified, usegmt=True)} "
                       f"({before} before Date)")
        if self.max_age is not None:
            out.append(f"Cache-Control:  max-age={self.max_age}")
        if self.expires is not None:
            out.append(f"Expires:        {formatdate(self.expires, usegmt=True)}")
        out.append(f"request time:   {formatdate(self.now, usegmt=True)}")
        if self.source == "no-store":
            out.append("no-store: a cache must not keep this response at all (RFC 9111 §5.2.2.5)")
        elif self.lifetime is None:
            out.append("lifetime:       none: no max-age, no Expires, and no Last-Modified "
                       "before Date for the heuristic (RFC 9111 §4.2.2)")
        elif self.source == "max-age":
            out.append(f"lifetime:       {duration(self.lifetime)}, from max-age, which wins over "
                       "any heuristic (RFC 9111 §4.2.1)")
        elif self.source == "expires":
            out.append(f"lifetime:       {duration(self.lifetime)}, Expires minus Date "
                       "(RFC 9111 §4.2.1)")
        else:
            assert self.last_modified is not None
            out.append(f"lifetime:       {duration(self.lifetime)}, 10% of the "
                       f"{duration(self.date - self.last_modified)} between Last-Modified "
                       "and Date (heuristic, RFC 9111 §4.2.2)")
        out.append(f"current age:    {duration(self.age)}, request time minus Date "
                   "(simplified RFC 9111 §4.2.3: no Age field, no transit delay)")
        out.append(f"verdict:        {self.verdict()}")
        return out

    def verdict(self) -> str:
        """``fresh`` or ``stale``, with how much freshness is left or how late it is."""
        remaining = self.remaining
        if self.source == "no-store":
            return "not stored (no-store)"
        if remaining is None:
            return "stale (no freshness lifetime)"
        if self.fresh:
            return f"fresh ({duration(remaining)} left)"
        return f"stale ({duration(-remaining)} past its lifetime)"

    def __str__(self) -> str:
        return "\n".join(self.lines())


def freshness(
    date: float | datetime,
    last_modified: float | datetime | None,
    max_age: int | None,
    now: float | datetime,
    *,
    expires: float | datetime | None = None,
    status: int = 204,
    no_store: bool = False,
) -> Freshness:
    """How fresh a response with these fields is at ``now`` (RFC 9111 §4.2).

    Times are seconds since the epoch or aware datetimes. The lifetime is
    ``max_age`` when given, else Expires minus Date (both explicit, RFC 9111
    §4.2.1); else, for a heuristically cacheable ``status`` (RFC 9110 §15.1,
    204 among them), 10% of the time between Last-Modified and Date
    (RFC 9111 §4.2.2). The current age is ``now - date``: RFC 9111 §4.2.3
    also adds an Age field and the time the response spent in transit, which
    a response straight from the origin does not have. Fresh means the
    lifetime is greater than the age (§4.2).
    """
    date_s, now_s = _seconds(date), _seconds(now)
    modified = None if last_modified is None else _seconds(last_modified)
    expires_s = None if expires is None else _seconds(expires)
    lifetime: float | None
    if no_store:
        source, lifetime = "no-store", None
    elif max_age is not None:
        source, lifetime = "max-age", float(max_age)
    elif expires_s is not None:
        source, lifetime = "expires", max(expires_s - date_s, 0.0)
    elif modified is not None and modified < date_s and status in HEURISTICALLY_CACHEABLE:
        source, lifetime = "heuristic", HEURISTIC_FRACTION * (date_s - modified)
    else:
        source, lifetime = "none", None
    age = max(now_s - date_s, 0.0)
    return Freshness(
        date=date_s,
        last_modified=modified,
        max_age=max_age,
        expires=expires_s,
        now=now_s,
        source=source,
        lifetime=lifetime,
        age=age,
        fresh=lifetime is not None and lifetime > age,
    )


def _directives(values: Sequence[str]) -> Mapping[str, str | None]:
    found: dict[str, str | None] = {}
    for value in values:
        for part in value.split(","):
            name, equals, argument = part.strip().partition("=")
            if name:
                found.setdefault(name.lower(), argument.strip('"') if equals else None)
    return found


def freshness_of_response(response: WireResponse, now: float | datetime) -> Freshness:
    """:func:`freshness` for a response read from the wire, at ``now``.

    Reads Date (``now`` when absent or invalid), Last-Modified, Expires (an
    invalid one counts as already expired) and the ``max-age`` and
    ``no-store`` directives of Cache-Control. A shared
    cache would also honour ``s-maxage``; this is a private cache's view.
    """
    headers = response.headers
    directives = _directives(header_values(headers, "cache-control"))
    max_age = None
    argument = directives.get("max-age")
    if argument is not None and argument.isascii() and argument.isdigit():
        max_age = int(argument)
    date = http_date(response.header("date"))
    if date is None:
        date = _seconds(now)
    expires_field = response.header("expires")
    expires = http_date(expires_field)
    if expires_field is not None and expires is None:
        expires = date  # RFC 9111 §5.3: an invalid Expires, such as 0, is already expired
    return freshness(
        date,
        http_date(response.header("last-modified")),
        max_age,
        now,
        expires=expires,
        status=response.status,
        no_store="no-store" in directives,
    )
