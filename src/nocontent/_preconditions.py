"""Conditional requests, evaluated once for the server and for the request builder.

RFC 9110 §13: preconditions are checked in the order of §13.2.2, and the first
one that is false decides the answer: 412 for If-Match, If-Unmodified-Since
and (on a method other than GET or HEAD) If-None-Match; 304 for If-None-Match
and If-Modified-Since on GET or HEAD. Each failure comes with the reason a
learner reads, with its section. Pure functions over field values: the
server asks about a stored document, the builder about what a HEAD reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._http import http_date

__all__ = ["PRECONDITION_FIELDS", "Failed", "evaluate"]


@dataclass(frozen=True, kw_only=True)
class Failed:
    """A precondition that did not hold.

    Attributes:
        status: 412, or 304 for a GET or HEAD whose copy is still current.
        field: the header field whose condition was false, such as ``If-Match``.
        reason: why, in one sentence with its section, for a learner to read.
    """

    status: int
    field: str
    reason: str

    @property
    def may_already_be_applied(self) -> bool:
        """True when RFC 9110 lets a 2xx answer a change that has already succeeded.

        §13.1.1 (If-Match) and §13.1.4 (If-Unmodified-Since): "if the request is a
        state-changing operation that appears to have already been applied to the
        selected representation, the origin server MAY respond with a 2xx". §13.1.2
        (If-None-Match) has no such allowance.
        """
        return self.status == 412 and self.field in ("If-Match", "If-Unmodified-Since")


PRECONDITION_FIELDS = ("If-Match", "If-Unmodified-Since", "If-None-Match")
"""The request fields whose failure can give 412 (If-Modified-Since gives 304 only)."""

# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; weak = %s"W/";
# opaque-tag = DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text.
_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"')
_LIST_MEMBER = re.compile(r'(?:W/)?"[^"]*"|[^,\s][^,]*')


def _combined(fields: Sequence[tuple[str, str]], name: str) -> tuple[str | None, int]:
    """The value of ``name`` with its field lines joined, and how many lines there were.

    RFC 9110 §5.3: a recipient "MAY combine multiple field lines within a field section
    into one field line ... by appending each subsequent field line value to the initial
    field line value in order, separated by a comma".
    """
    values = [value.strip(" \t") for key, value in fields if key.strip().lower() == name.lower()]
    return (", ".join(values) if values else None), len(values)


def _members(value: str) -> list[str]:
    """The members of an entity-tag list; a comma inside quotes does not split one."""
    return [m.group(0).strip() for m in _LIST_MEMBER.finditer(value)]


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def _if_match_failure(value: str, etag: str | None, exists: bool) -> str | None:
    # RFC 9110 §13.1.1: "If the field value is "*", the condition is true if the origin
    # server has a current representation for the target resource. If the field value is a
    # list of entity tags, the condition is true if any of the listed tags match the entity
    # tag of the selected representation. Otherwise, the condition is false."
    # "An origin server MUST use the strong comparison function when comparing entity tags
    # for If-Match (Section 8.8.3.2)"; §8.8.3.2: "Strong comparison: two entity tags are
    # equivalent if both are not weak and their opaque-tags match character-by-character."
    field = f"If-Match: {value}"
    if value == "*":
        if exists:
            return None
        return f"{field} failed: the document does not exist (RFC 9110 §13.1.1)"
    if not exists:
        return (f"{field} failed: the document does not exist, so it has no current ETag for "
                "a tag to match (RFC 9110 §13.1.1)")
    if etag is None:
        return (f"{field} failed: the document has no ETag, so no listed tag can match it "
                "(RFC 9110 §13.1.1)")
    tags = [tag for tag in _members(value) if _ENTITY_TAG.fullmatch(tag)]
    strong = not etag.startswith("W/")
    if strong and etag in tags:
        return None
    if not tags:
        return (f"{field} lists no entity tag: a tag is quoted, such as {etag}, and may be "
                "marked weak with W/ (RFC 9110 §8.8.3), so nothing in it can match the current "
                f"ETag {etag} (RFC 9110 §13.1.1)")
    reason = (f"{field} does not match the current ETag {etag} "
              "(RFC 9110 §13.1.1: strong comparison)")
    if any(_opaque(tag) == _opaque(etag) for tag in tags):
        weak = etag if not strong else next(t for t in tags if _opaque(t) == _opaque(etag))
        reason += (f"; {weak} is weak, and the strong comparison never matches a weak tag, "
                   "not even with itself (RFC 9110 §8.8.3.2)")
    return reason


def _if_unmodified_since_failure(
    value: str, lines: int, last_modified: str | None
) -> str | None:
    # RFC 9110 §13.1.4: "A recipient MUST ignore the If-Unmodified-Since header field if the
    # received field value is not a valid HTTP-date (including when the field value appears
    # to be a list of dates)." and "... if the resource does not have a modification date
    # available." "If the selected representation's last modification date is earlier than
    # or equal to the date provided in the field value, the condition is true. Otherwise,
    # the condition is false."
    since, modified = http_date(value), http_date(last_modified)
    listed = lines != 1 or value.count(",") > 1  # an HTTP-date has at most one comma
    if listed or since is None or modified is None or modified <= since:
        return None
    return (f"If-Unmodified-Since: {value} failed: the document was last modified later, at "
            f"{last_modified} (RFC 9110 §13.1.4: the condition holds only when the last "
            "modification is earlier than or equal to the date given)")


def _if_none_match_failure(value: str, method: str, etag: str | None, exists: bool) -> str | None:
    # RFC 9110 §13.1.2: "If the field value is "*", the condition is false if the origin
    # server has a current representation for the target resource. If the field value is a
    # list of entity tags, the condition is false if one of the listed tags matches the
    # entity tag of the selected representation." "A recipient MUST use the weak comparison
    # function"; when false, "the 412 (Precondition Failed) status code for all other
    # request methods" than GET and HEAD, which get 304.
    field = f"If-None-Match: {value}"
    if not exists:
        return None
    if value == "*":
        return f"{field} failed: the document exists (RFC 9110 §13.1.2)"
    if etag is None:
        return None
    matched = [tag for tag in _members(value) if _ENTITY_TAG.fullmatch(tag)
               and _opaque(tag) == _opaque(etag)]
    if not matched:
        return None
    answer = "304" if method in ("GET", "HEAD") else "412"
    return (f"{field} failed: {matched[0]} matches the current ETag {etag} under the weak "
            f"comparison, and for {method} a match means {answer} (RFC 9110 §13.1.2)")



def _if_modified_since_failure(value: str, lines: int, last_modified: str | None) -> str | None:
    # RFC 9110 §13.1.3: "A recipient MUST ignore the If-Modified-Since header field if the
    # received field value is not a valid HTTP-date, the field value has more than one
    # member, or if the request method is neither GET nor HEAD." "If the selected
    # representation's last modification date is earlier or equal to the date provided in
    # the field value, the condition is false."
    since, modified = http_date(value), http_date(last_modified)
    listed = lines != 1 or value.count(",") > 1
    if listed or since is None or modified is None or modified > since:
        return None
    return (f"If-Modified-Since: {value} is false: not modified since then (last modified "
            f"{last_modified}), so a GET or HEAD gets 304 (RFC 9110 §13.1.3)")


def evaluate(
    method: str,
    fields: Sequence[tuple[str, str]],
    *,
    exists: bool,
    etag: str | None,
    last_modified: str | None,
) -> Failed | None:
    """The first precondition of a request that is false, in RFC 9110 §13.2.2's order.

    ``fields`` are the request's fields; ``exists``, ``etag`` and
    ``last_modified`` describe the target's current representation (its
    ETag and Last-Modified field values, None when it has none).
    """
    found = {name: _combined(fields, name)
             for name in (*PRECONDITION_FIELDS, "If-Modified-Since")}
    if_match, _ = found["If-Match"]
    since, since_lines = found["If-Unmodified-Since"]
    none_match, _ = found["If-None-Match"]
    modified_since, modified_lines = found["If-Modified-Since"]
    safe = method in ("GET", "HEAD")
    if if_match is not None:
        reason = _if_match_failure(if_match, etag, exists)
        if reason:
            return Failed(status=412, field="If-Match", reason=reason)
    elif since is not None and exists:  # §13.1.4: "MUST ignore ... if ... If-Match"
        reason = _if_unmodified_since_failure(since, since_lines, last_modified)
        if reason:
            return Failed(status=412, field="If-Unmodified-Since", reason=reason)
    if none_match is not None:
        reason = _if_none_match_failure(none_match, method, etag, exists)
        if reason:
            return Failed(status=304 if safe else 412, field="If-None-Match", reason=reason)
    elif modified_since is not None and safe and exists:
        reason = _if_modified_since_failure(modified_since, modified_lines, last_modified)
        if reason:
            return Failed(status=304, field="If-Modified-Since", reason=reason)
    return None
