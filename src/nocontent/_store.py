"""The in-memory document store behind ``/docs/{name}``, and its preconditions.

Each write runs its precondition check and the change under one lock, so
two editors racing with ``If-Match`` can never both win (no lost update).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._http import Headers, http_date, last_header

__all__ = [
    "SEED",
    "Document",
    "DocumentStore",
    "Failed",
    "etag_for",
    "evaluate_preconditions",
    "precondition_failure",
]

SEED: dict[str, tuple[bytes, str]] = {
    "welcome": (b"Welcome to nocontent. Edit me with PUT.\n", "text/plain; charset=utf-8"),
    "settings": (b'{"theme": "light", "autosave": true}\n', "application/json"),
}
"""Documents every new store starts with (body, Content-Type)."""


def etag_for(body: bytes) -> str:
    """A strong entity tag derived from the bytes alone, so it repeats run after run."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@dataclass(frozen=True, kw_only=True)
class Document:
    """One stored representation.

    Attributes:
        body: the bytes exactly as the client sent them (RFC 9110 §9.3.4).
        content_type: the Content-Type they were sent with.
        etag: the strong entity tag of ``body``.
        modified: when it was stored, in whole seconds since the epoch.
        version: how many times this name has been written.
    """

    body: bytes
    content_type: str
    etag: str
    modified: int
    version: int


def _tags(field: str) -> list[str]:
    return [tag.strip() for tag in field.split(",") if tag.strip()]


def _weak_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


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


def evaluate_preconditions(
    method: str, current: Document | None, headers: Headers
) -> Failed | None:
    """The first precondition that fails, in the order of RFC 9110 §13.2.2, or None."""
    if_match = last_header(headers, "if-match")
    if if_match is not None:
        # §13.1.1: strong comparison; "*" needs a current representation.
        if current is None:
            return Failed(status=412, field="If-Match", reason=(
                f"If-Match: {if_match} needs a current representation, and there is none "
                "(RFC 9110 §13.1.1)"))
        if if_match.strip() != "*" and current.etag not in _tags(if_match):
            return Failed(status=412, field="If-Match", reason=(
                f"If-Match: {if_match} does not match the current ETag {current.etag} "
                "(RFC 9110 §13.1.1, strong comparison: a weak W/ tag never matches)"))
    elif current is not None:
        since = http_date(last_header(headers, "if-unmodified-since"))
        if since is not None and current.modified > since:
            return Failed(status=412, field="If-Unmodified-Since", reason=(
                "the document was modified after the If-Unmodified-Since date "
                "(RFC 9110 §13.1.4)"))
    safe = method in ("GET", "HEAD")
    if_none_match = last_header(headers, "if-none-match")
    if if_none_match is not None:
        # §13.1.2: weak comparison; false means 304 for GET/HEAD, else 412.
        if if_none_match.strip() == "*":
            matched = current is not None
        else:
            matched = current is not None and any(
                _weak_equal(tag, current.etag) for tag in _tags(if_none_match)
            )
        if matched:
            what = ("a current representation exists" if if_none_match.strip() == "*"
                    else f"the current ETag {current.etag if current else ''} matches")
            return Failed(status=304 if safe else 412, field="If-None-Match", reason=(
                f"If-None-Match: {if_none_match} is false: {what} (RFC 9110 §13.1.2)"))
    elif safe and current is not None:
        since = http_date(last_header(headers, "if-modified-since"))
        if since is not None and current.modified <= since:
            return Failed(status=304, field="If-Modified-Since", reason=(
                "not modified since the If-Modified-Since date (RFC 9110 §13.1.3)"))
    return None


def precondition_failure(method: str, current: Document | None, headers: Headers) -> int | None:
    """The status a failed precondition gives (412 or 304), or None when all pass."""
    failed = evaluate_preconditions(method, current, headers)
    return failed.status if failed else None


Check = Callable[[Document | None], "int | None"]
Change = Callable[[Document], "bytes"]
"""Computes a document's new bytes from its current state; raises ValueError to refuse."""


class DocumentStore:
    """Named documents in memory, safe to use from many threads."""

    def __init__(self, seed: dict[str, tuple[bytes, str]] | None = None) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, Document] = {}
        self._seed = dict(SEED if seed is None else seed)
        self.reset()

    def reset(self) -> None:
        """Forget every change and go back to the seed documents."""
        now = int(time.time())
        with self._lock:
            self._docs = {
                name: Document(body=body, content_type=ctype, etag=etag_for(body),
                               modified=now, version=1)
                for name, (body, ctype) in self._seed.items()
            }

    def get(self, name: str) -> Document | None:
        with self._lock:
            return self._docs.get(name)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._docs)

    def put(
        self, name: str, body: bytes, content_type: str, check: Check
    ) -> tuple[int | None, Document | None, Document | None]:
        """Store ``body`` unless ``check(current)`` returns a failure status.

        Returns (failure, previous, stored); ``stored`` is None on failure.
        """
        with self._lock:
            current = self._docs.get(name)
            failure = check(current)
            if failure is not None:
                return failure, current, None
            stored = Document(
                body=body,
                content_type=content_type,
                etag=etag_for(body),
                modified=int(time.time()),
                version=current.version + 1 if current else 1,
            )
            self._docs[name] = stored
            return None, current, stored

    def update(
        self, name: str, change: Change, check: Check
    ) -> tuple[int | None, Document | None, Document | None]:
        """Replace ``name`` with ``change(current)`` unless ``check(current)`` fails.

        Check, change and write happen under one lock, so no other write can
        slip in between (RFC 5789 §2: a PATCH is applied atomically). Returns
        (failure, previous, stored) like :meth:`put`; a ValueError from
        ``change`` propagates and nothing is written.
        """
        with self._lock:
            current = self._docs.get(name)
            failure = check(current)
            if failure is not None or current is None:
                return failure or 404, current, None
            body = change(current)
            stored = Document(body=body, content_type=current.content_type,
                              etag=etag_for(body), modified=int(time.time()),
                              version=current.version + 1)
            self._docs[name] = stored
            return None, current, stored

    def delete(self, name: str, check: Check) -> tuple[int | None, Document | None]:
        """Remove ``name`` unless ``check(current)`` fails; returns (failure, previous)."""
        with self._lock:
            current = self._docs.get(name)
            failure = check(current)
            if failure is None and current is not None:
                del self._docs[name]
            return failure, current
