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
from email.utils import formatdate

from ._http import Headers
from ._preconditions import Failed, evaluate

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


def evaluate_preconditions(
    method: str, current: Document | None, headers: Headers
) -> Failed | None:
    """The first precondition that fails against ``current`` (RFC 9110 §13.2.2), or None."""
    return evaluate(
        method, headers, exists=current is not None,
        etag=current.etag if current else None,
        last_modified=formatdate(current.modified, usegmt=True) if current else None,
    )


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
