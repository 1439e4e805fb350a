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
from email.utils import parsedate_to_datetime

from ._http import Headers, last_header

__all__ = ["SEED", "Document", "DocumentStore", "etag_for", "precondition_failure"]

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


def _date(field: str | None) -> float | None:
    if field is None:
        return None
    try:
        return parsedate_to_datetime(field).timestamp()
    except (TypeError, ValueError, IndexError):
        return None  # RFC 9110 §13.1.3: an invalid date is ignored


def precondition_failure(method: str, current: Document | None, headers: Headers) -> int | None:
    """The status a failed precondition gives (412 or 304), or None when all pass.

    Evaluated in the order of RFC 9110 §13.2.2.
    """
    if_match = last_header(headers, "if-match")
    if if_match is not None:
        # §13.1.1: strong comparison; "*" needs a current representation.
        if current is None:
            return 412
        if if_match.strip() != "*" and current.etag not in _tags(if_match):
            return 412
    elif current is not None:
        since = _date(last_header(headers, "if-unmodified-since"))
        if since is not None and current.modified > since:
            return 412
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
            return 304 if safe else 412
    elif safe and current is not None:
        since = _date(last_header(headers, "if-modified-since"))
        if since is not None and current.modified <= since:
            return 304
    return None


Check = Callable[[Document | None], "int | None"]


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

    def delete(self, name: str, check: Check) -> tuple[int | None, Document | None]:
        """Remove ``name`` unless ``check(current)`` fails; returns (failure, previous)."""
        with self._lock:
            current = self._docs.get(name)
            failure = check(current)
            if failure is None and current is not None:
                del self._docs[name]
            return failure, current
