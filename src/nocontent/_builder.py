"""The request builder's model and the freshness calculator, as plain functions.

The widgets in :mod:`nocontent._widgets` only gather input and show results;
every decision lives here, with no I/O: which targets to offer, what a
preset switches on, whether a request may be sent (and why not), the exact
bytes it becomes, the same request as a curl command or an httpx call, which
precondition a 412 answered, and how fresh a cached response is (RFC 9111 §4.2).
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import formatdate
from itertools import product

from ._app import ROUTES
from ._checker import HEURISTICALLY_CACHEABLE, Report
from ._http import (
    MAX_BODY,
    PATH_CHARACTERS,
    WireResponse,
    field_value_problem,
    header_values,
    http_date,
    reason_phrase,
    target_problem,
    token_problem,
)
from ._misbehave import KINDS
from ._preconditions import PRECONDITION_FIELDS, evaluate
from ._store import SEED
from ._wire import Exchange, LocalProtocolError, build_request

__all__ = [
    "BODY_METHODS",
    "HEURISTIC_FRACTION",
    "METHODS",
    "NO_ETAG",
    "PRECONDITION_FIELDS",
    "PRESETS",
    "PRESET_METHODS",
    "BuilderState",
    "Freshness",
    "Row",
    "Sent",
    "apply_preset",
    "as_curl",
    "as_httpx",
    "body_bytes",
    "document_name",
    "duration",
    "failed_precondition",
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

# RFC 3986 §3.3 and §3.4: "pchar = unreserved / pct-encoded / sub-delims / ":" / "@"" and
# "query = *( pchar / "/" / "?" )", with "unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~""
# and "sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="".
# Clients disagree on anything else (measured: httpx 0.28.1 percent-encodes '"' and '{',
# curl 7.88.1 sends them as typed), so the builder asks the learner to encode it.
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


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
        if ch == "#":
            # RFC 9110 §7.1: "The target URI excludes the reference's fragment component,
            # if any, since fragment identifiers are reserved for client-side processing".
            return (f"the {what} {target!r} contains '#', which starts a fragment: clients "
                    "keep the fragment to themselves and never send it (RFC 9110 §7.1); "
                    "percent-encode '#' as %23 to send it")
        if ch not in PATH_CHARACTERS:
            return (f"the {what} {target!r} contains {ch!r}, which a URI path or query cannot "
                    f"hold as it is (RFC 3986 §3.3); percent-encode it as %{ord(ch):02X}")
    if _LONE_PERCENT.search(target):
        return (f"the {what} {target!r} has a '%' without two hex digits after it; a "
                "percent-encoding is '%' HEXDIG HEXDIG, so '%' itself is written %25 "
                "(RFC 3986 §2.1)")
    # The messages above say how to fix the usual mistakes; the server's own reading of a
    # target (one owner of the grammar) has the last word.
    return target_problem("GET", target)


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


# -- the same request for curl and httpx --------------------------------------------------

CURL_ARGUMENT_LIMIT = 100_000
"""The longest body, quoted, that :func:`as_curl` puts on a command line, in bytes.

Linux refuses a single argument of 128 KiB or more (measured here: 131,072 bytes
gives "Argument list too long").
"""


def _sent_url(state: BuilderState, base_url: str) -> str:
    """The URL of the request the builder sends, taken from its exact bytes.

    Raises :class:`LocalProtocolError` as :func:`to_request_bytes` does, so a
    snippet is refused for the same reasons as the Send button.
    """
    request_line = to_request_bytes(state, base_url).split(b"\r\n", 1)[0]
    return base_url.rstrip("/") + request_line.split(b" ")[1].decode("ascii")


def _has_dot_segment(url: str) -> bool:
    path = url.split("?", 1)[0].split("//", 1)[-1]
    return any(segment in (".", "..") for segment in path.split("/"))


def _snippet_fields(state: BuilderState) -> list[tuple[str, str]]:
    # RFC 9110 §5.5: "a field value does not include leading or trailing whitespace", so the
    # value without it is the same field, and httpx (through h11) refuses it otherwise.
    return [(name, value.strip(" \t")) for name, value in fields(state)]


def as_curl(state: BuilderState, base_url: str) -> str:
    """A curl command line for a POSIX shell that sends what the builder sends for ``state``.

    The same method, target, header fields (in order) and body; curl adds
    User-Agent and Accept of its own, and the first lines say so. Every
    argument is quoted with :func:`shlex.quote`. Raises
    :class:`nocontent.LocalProtocolError` with the reasons the Send button
    gives, or when the body cannot travel on a command line.
    """
    url = _sent_url(state, base_url)
    body = state.body if state.method in BODY_METHODS else None
    if body is not None and "\0" in body:
        raise LocalProtocolError("the body contains a NUL character, which no command-line "
                                 "argument can carry; the httpx version can send it")
    if body is not None and len(shlex.quote(body).encode("utf-8")) > CURL_ARGUMENT_LIMIT:
        raise LocalProtocolError(
            f"the body is too long for one command-line argument (more than "
            f"{CURL_ARGUMENT_LIMIT} bytes quoted); save it to a file and send it with "
            "curl --data-binary @file")
    notes = ["# curl adds User-Agent and Accept fields of its own."]
    first = ["curl"]
    if state.method == "HEAD":
        # -I (--head), not -X HEAD: -X only changes the method name, and curl still expects
        # the content that Content-Length announces, which a response to HEAD never has
        # (RFC 9110 §9.3.2). Measured with curl 7.88.1: -X HEAD waits until it times out.
        first.append("-I")
        notes.append("# -I sends HEAD and reads a response without content (RFC 9110 §9.3.2).")
    else:
        first.append("-i")  # print the status line and header fields too
        # --data-binary makes the method POST; any other method is named with -X.
        if state.method not in ("GET", "POST"):
            first += ["-X", state.method]
    if _has_dot_segment(url):
        first.append("--path-as-is")
        notes.append("# --path-as-is keeps the '.' and '..' segments, which curl would remove.")
    first.append(url)
    rest = []
    for name, value in _snippet_fields(state):
        # "Name:" would remove a field, so an empty value is written "Name;" (curl's manual).
        rest += ["-H", f"{name}: {value}" if value else f"{name};"]
    if body is not None:
        if not any(name.lower() == "content-type" for name, _ in fields(state)):
            # With --data-binary curl sends Content-Type: application/x-www-form-urlencoded
            # unless told otherwise; an empty -H value removes it, as the builder sends none.
            rest += ["-H", "Content-Type:"]
            notes.append("# -H 'Content-Type:' stops curl adding a Content-Type the builder "
                         "does not send.")
        # --data-binary sends the bytes as they are (-d would drop CR and LF read from a
        # file); --data-raw is the same but does not read a file for a leading '@'.
        rest += ["--data-raw" if body.startswith("@") else "--data-binary", body]
    lines = [" ".join(shlex.quote(arg) for arg in first)]
    lines += [" ".join(shlex.quote(arg) for arg in rest[i : i + 2]) for i in range(0, len(rest), 2)]
    return "\n".join([*notes, " \\\n  ".join(lines)])


def as_httpx(state: BuilderState, base_url: str) -> str:
    """Python code that sends what the builder sends for ``state`` with httpx.

    The same method, target, header fields (in order) and body; httpx adds
    Accept, Accept-Encoding, Connection and User-Agent of its own, and a
    comment says so. Raises :class:`nocontent.LocalProtocolError` with the
    reasons the Send button gives, or when httpx would send something else:
    it upper-cases every method and removes ``.`` and ``..`` path segments.
    """
    url = _sent_url(state, base_url)
    if state.method != state.method.upper():
        raise LocalProtocolError(
            f"httpx upper-cases the method, so it would send {state.method.upper()} instead of "
            f"{state.method} (methods are case-sensitive, RFC 9110 §9.1); the curl command "
            "sends it as typed")
    if _has_dot_segment(url):
        raise LocalProtocolError(
            "httpx removes the '.' and '..' segments of the path (RFC 3986 §5.2.4), so it "
            "would send another target; the curl command keeps them")
    lines = [
        "import httpx",
        "",
        "# httpx adds Accept, Accept-Encoding, Connection and User-Agent fields of its own.",
        "response = httpx.request(",
        f"    {state.method!r},",
        f"    {url!r},",
    ]
    snippet_fields = _snippet_fields(state)
    if snippet_fields:
        lines.append("    headers=[")
        lines += [f"        ({name!r}, {value!r})," for name, value in snippet_fields]
        lines.append("    ],")
    if state.body and state.method in BODY_METHODS:
        lines.append(f"    content={state.body!r},  # sent as UTF-8")
    lines += [
        ")",
        "print(response.status_code, response.reason_phrase)",
        "print(response.headers)",
        "print(response.content)",
    ]
    return "\n".join(lines)


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
        precondition: for a 412, which precondition failed and why
            (:func:`failed_precondition`); None for any other status.
    """

    number: int
    state: BuilderState
    exchange: Exchange
    report: Report
    second: Exchange | None = None
    second_report: Report | None = None
    precondition: str | None = None

    def summary(self) -> str:
        """One line: the request, the status and the verdict."""
        line = f"#{self.number} {self.state.method} {self.state.target}: {self.report.verdict()}"
        if self.second is not None and self.second_report is not None:
            line += f"; then {self.second_report.verdict()}"
        return line


# -- which precondition a 412 answered (RFC 9110 §13) -------------------------------------

def failed_precondition(
    method: str,
    request_fields: Sequence[tuple[str, str]],
    etag: str | None,
    last_modified: str | None,
    *,
    exists: bool | None = None,
) -> str:
    """Which precondition of a request answered 412 failed, and why, in one sentence.

    ``request_fields`` are the fields the request carried (:func:`fields`);
    ``etag`` and ``last_modified`` are the target's current ETag and
    Last-Modified values, None when it has none. ``exists`` says whether the
    target has a current representation; by default, whether either
    validator is given. The preconditions are evaluated as an origin server
    does, in the order of RFC 9110 §13.2.2: If-Match, else
    If-Unmodified-Since, then If-None-Match (which gives 412 only to methods
    other than GET and HEAD). The sentence names the first that fails, says
    that the request had none, or that all of them hold now.
    """
    if exists is None:
        exists = etag is not None or last_modified is not None
    if not any(name.strip().lower() == wanted.lower()
               for name, _ in request_fields for wanted in PRECONDITION_FIELDS):
        return ("The request carries no If-Match, If-Unmodified-Since or If-None-Match field, "
                "so no precondition failed (RFC 9110 §13.1): the 412 comes from the target "
                "itself")
    failed = evaluate(method, request_fields, exists=exists, etag=etag,
                      last_modified=last_modified)
    if failed is not None and failed.status == 412:
        return failed.reason
    now = (f"ETag {etag or '(none)'}, Last-Modified {last_modified or '(none)'}" if exists
           else "the document does not exist")
    return (f"Every precondition in the request holds now ({now}), evaluated in the order of "
            "RFC 9110 §13.2.2: the target changed after it answered 412, or it does not "
            "evaluate them as this function does")


# -- freshness (RFC 9111 §4.2) ----------------------------------------------------------

HEURISTIC_FRACTION = 0.1
"""The fraction of the time since Last-Modified that RFC 9111 §4.2.2 suggests as a lifetime.

A suggestion, not a rule: "caches are encouraged to use a heuristic expiration value that
is no more than some fraction of the interval since that time. A typical setting of this
fraction might be 10%." The section also says "This specification does not provide
specific algorithms": a cache MAY use any heuristic.
"""


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
        status: its status code.
        public: whether its Cache-Control has ``public``.
        source: where the lifetime comes from: ``"max-age"`` or ``"expires"``
            (explicit, RFC 9111 §4.2.1); ``"heuristic"`` (the RFC's suggested
            heuristic, 10% of the time since Last-Modified, §4.2.2);
            ``"unmeasured"`` (a heuristic is allowed, but the suggested one has
            no Last-Modified to measure; another cache may use another);
            ``"no-heuristic"`` (no explicit lifetime, and the status is neither
            heuristically cacheable nor marked ``public``); ``"no-store"``
            (a cache must not keep it at all).
        lifetime: the freshness lifetime in seconds, or None when the three
            last sources give none.
        age: the current age in seconds, simplified to ``now - date``.
        fresh: whether the lifetime is greater than the age (RFC 9111 §4.2);
            False also when there is no lifetime, which for ``"unmeasured"``
            does not mean stale: :meth:`verdict` says what it means.
    """

    date: float
    last_modified: float | None
    max_age: int | None
    expires: float | None
    now: float
    status: int = 204
    public: bool = False
    source: str
    lifetime: float | None
    age: float
    fresh: bool

    @property
    def remaining(self) -> float | None:
        """Seconds of freshness left (negative once stale), or None without a lifetime."""
        return None if self.lifetime is None else self.lifetime - self.age

    @property
    def heuristic_allowed(self) -> bool:
        """Whether a cache may give this response a heuristic lifetime (RFC 9111 §4.2.2).

        "heuristics can only be used on responses without explicit freshness whose status
        codes are defined as heuristically cacheable (e.g., see Section 15.1 of [HTTP]) and
        on responses without explicit freshness that have been marked as explicitly
        cacheable (e.g., with a public response directive)."
        """
        return self.status in HEURISTICALLY_CACHEABLE or self.public

    def rows(self) -> list[tuple[str, str]]:
        """The working as (step, text) pairs, with the RFC section of each rule used."""
        out = [("Date", formatdate(self.date, usegmt=True))]
        if self.last_modified is None:
            out.append(("Last-Modified", "not sent"))
        elif self.last_modified <= self.date:
            out.append(("Last-Modified", f"{formatdate(self.last_modified, usegmt=True)} "
                        f"({duration(self.date - self.last_modified)} before Date)"))
        else:
            out.append(("Last-Modified", f"{formatdate(self.last_modified, usegmt=True)} "
                        f"({duration(self.last_modified - self.date)} after Date, which an "
                        "origin server MUST NOT send; it counts as Date (RFC 9110 §8.8.2.1))"))
        directives = [
            *(["no-store"] if self.source == "no-store" else []),
            *(["public"] if self.public else []),
            *([f"max-age={self.max_age}"] if self.max_age is not None else []),
        ]
        if directives:
            out.append(("Cache-Control", ", ".join(directives)))
        if self.expires is not None:
            out.append(("Expires", formatdate(self.expires, usegmt=True)))
        out.append(("status", self._status_text()))
        out.append(("request time", formatdate(self.now, usegmt=True)))
        out.append(("lifetime", self._lifetime_text()))
        out.append(("current age", f"{duration(self.age)}, request time minus Date "
                    "(simplified RFC 9111 §4.2.3: no Age field, no transit delay)"))
        out.append(("verdict", self.verdict()))
        return out

    def _status_text(self) -> str:
        status = f"{self.status} {reason_phrase(self.status)}".rstrip()
        if self.status in HEURISTICALLY_CACHEABLE:
            return f"{status}, heuristically cacheable (RFC 9110 §15.1)"
        if self.public:
            # RFC 9111 §5.2.2.9: "If a response with the public directive has no explicit
            # freshness information, it is heuristically cacheable (Section 4.2.2)."
            return (f"{status}, not heuristically cacheable (RFC 9110 §15.1), but public "
                    "marks it explicitly cacheable, which allows a heuristic (RFC 9111 §5.2.2.9)")
        return f"{status}, not heuristically cacheable (RFC 9110 §15.1)"

    def _lifetime_text(self) -> str:
        if self.source == "no-store":
            return ("none needed: with no-store a cache MUST NOT store the response "
                    "(RFC 9111 §5.2.2.5)")
        if self.source == "max-age" and self.lifetime is not None:
            return (f"{duration(self.lifetime)}, from max-age, which wins over any heuristic "
                    "(RFC 9111 §4.2.1)")
        if self.source == "expires" and self.lifetime is not None:
            return f"{duration(self.lifetime)}, Expires minus Date (RFC 9111 §4.2.1)"
        if self.source == "heuristic" and self.lifetime is not None:
            assert self.last_modified is not None
            span = duration(max(self.date - self.last_modified, 0.0))
            return (f"{duration(self.lifetime)}, the RFC's suggested heuristic: 10% of the "
                    f"{span} between Last-Modified and Date (RFC 9111 §4.2.2); a cache MAY "
                    "use another heuristic")
        explicit = "no max-age and no Expires (RFC 9111 §4.2.1)"
        if self.source == "unmeasured":
            return (f"not given: {explicit}, so a cache MAY assign a heuristic one. The RFC's "
                    "suggested heuristic, 10% of the time since Last-Modified, has nothing to "
                    "measure without Last-Modified; another cache may use another heuristic "
                    "(RFC 9111 §4.2.2)")
        return (f"none: {explicit}, and a heuristic may only be used for a heuristically "
                "cacheable status or a response marked explicitly cacheable, such as with "
                "public (RFC 9111 §4.2.2)")

    def lines(self) -> list[str]:
        """The working, one step per line, with the RFC section of each rule used."""
        return [f"{label + ':':<16}{text}" for label, text in self.rows()]

    def verdict(self) -> str:
        """Fresh or stale with the time left or past, or why the answer is the cache's to give."""
        remaining = self.remaining
        if self.source == "no-store":
            return "not stored: no-store (RFC 9111 §5.2.2.5)"
        if self.source == "unmeasured":
            return ("up to the cache: the RFC's suggested heuristic has nothing to measure "
                    "without Last-Modified, and another cache may use another (RFC 9111 §4.2.2)")
        if self.source == "no-heuristic" or remaining is None:
            return (f"no heuristic lifetime: {self.status} is not heuristically cacheable and "
                    "not marked public (RFC 9111 §4.2.2)")
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
    public: bool = False,
    no_store: bool = False,
) -> Freshness:
    """How fresh a response with these fields is at ``now`` (RFC 9111 §4.2).

    Times are seconds since the epoch or aware datetimes. The lifetime is
    ``max_age`` when given, else Expires minus Date (both explicit, RFC 9111
    §4.2.1). Without either, a cache MAY use a heuristic, but only for a
    heuristically cacheable ``status`` (RFC 9110 §15.1, 204 among them) or a
    response marked ``public`` (RFC 9111 §4.2.2); this function uses the
    heuristic that section suggests, 10% of the time between Last-Modified
    and Date, and without Last-Modified has no lifetime to give (source
    ``"unmeasured"``). The current age is ``now - date``: RFC 9111 §4.2.3
    also adds an Age field and the time the response spent in transit, which
    a response straight from the origin does not have. Fresh means the
    lifetime is greater than the age (§4.2).
    """
    date_s, now_s = _seconds(date), _seconds(now)
    modified = None if last_modified is None else _seconds(last_modified)
    expires_s = None if expires is None else _seconds(expires)
    lifetime: float | None = None
    if no_store:
        source = "no-store"
    elif max_age is not None:
        source, lifetime = "max-age", float(max_age)
    elif expires_s is not None:
        source, lifetime = "expires", max(expires_s - date_s, 0.0)
    elif status not in HEURISTICALLY_CACHEABLE and not public:
        source = "no-heuristic"
    elif modified is None:
        source = "unmeasured"
    else:
        # RFC 9110 §8.8.2.1: a Last-Modified later than Date is replaced by Date, so the
        # interval is never negative.
        source, lifetime = "heuristic", HEURISTIC_FRACTION * max(date_s - modified, 0.0)
    age = max(now_s - date_s, 0.0)
    return Freshness(
        date=date_s,
        last_modified=modified,
        max_age=max_age,
        expires=expires_s,
        now=now_s,
        status=status,
        public=public,
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

    Reads the status, Date (``now`` when absent or invalid), Last-Modified,
    Expires (an invalid one counts as already expired) and the ``max-age``,
    ``public`` and ``no-store`` directives of Cache-Control. A shared
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
        public="public" in directives,
        no_store="no-store" in directives,
    )
