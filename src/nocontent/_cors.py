"""What a browser does with CORS, as plain functions over header fields (Fetch standard).

Two questions, each answered once here for the notebooks and the exercise
judges: does a preflight answer let the real request go (the CORS-preflight
fetch and CORS check), and which response fields may the page's script read
(the CORS filtered response)? The Fetch standard's own words are quoted next
to each step. Browsers are measured against these in the browser lab; where
an engine differs, the data says so.

Simplified on purpose: no credentials other than the ``credentials`` switch,
no preflight cache, and the byte-level checks of request-header values are
reduced to the Content-Type check and the 128-byte limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._http import Headers, header_values, last_header

__all__ = [
    "SAFELISTED_METHODS",
    "SAFELISTED_RESPONSE_HEADERS",
    "cors_check",
    "exposed_header_names",
    "needs_preflight",
    "normalize_method",
    "preflight_problems",
    "readable_fields",
    "unsafe_request_header_names",
]

SAFELISTED_METHODS = ("GET", "HEAD", "POST")
"""Fetch: "A CORS-safelisted method is a method that is `GET`, `HEAD`, or `POST`."""

SAFELISTED_RESPONSE_HEADERS = (
    "cache-control", "content-language", "content-length", "content-type", "expires",
    "last-modified", "pragma",
)
"""Fetch's CORS-safelisted response-header names: a script may always read these.

ETag is not among them: without ``Access-Control-Expose-Headers: ETag`` a page
on another origin cannot read the tag a 204 carries.
"""

_FORBIDDEN_RESPONSE_HEADERS = ("set-cookie", "set-cookie2")
_NORMALIZED = ("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT")
_SAFE_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
_SAFE_REQUEST_HEADERS = ("accept", "accept-language", "content-language", "content-type")


def normalize_method(method: str) -> str:
    """Fetch: "To normalize a method, if it is a byte-case-insensitive match for `DELETE`,
    `GET`, `HEAD`, `OPTIONS`, `POST`, or `PUT`, byte-uppercase it."

    So ``fetch(url, {method: "put"})`` sends ``PUT``, but ``"patch"`` stays ``patch``.
    """
    return method.upper() if method.upper() in _NORMALIZED else method


def _values(headers: Headers, name: str) -> list[str] | None:
    """Fetch's "extracting header list values": the comma-separated items, or None if absent."""
    found = header_values(headers, name)
    if not found:
        return None
    return [item.strip(" \t") for value in found for item in value.split(",") if item.strip(" \t")]


def _safelisted_request_header(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered not in _SAFE_REQUEST_HEADERS or len(value.encode("latin-1")) > 128:
        return False
    if lowered == "content-type":
        return value.split(";")[0].strip().lower() in _SAFE_CONTENT_TYPES
    return True


def unsafe_request_header_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Fetch's "CORS-unsafe request-header names": sorted, lower-cased.

    These are the names a browser lists in ``Access-Control-Request-Headers``.
    """
    return sorted({name.lower() for name, value in headers
                   if not _safelisted_request_header(name, value)})


def needs_preflight(method: str, headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a cross-origin ``fetch`` with this method and these fields sends a preflight.

    Fetch sets the use-CORS-preflight flag when the method is not a
    CORS-safelisted method or some request field is CORS-unsafe.
    """
    return (normalize_method(method) not in SAFELISTED_METHODS
            or bool(unsafe_request_header_names(headers)))


def cors_check(headers: Headers, origin: str, *, credentials: bool = False) -> str | None:
    """Fetch's CORS check of a response: None for success, else why it fails."""
    allowed = last_header(headers, "access-control-allow-origin")
    if allowed is None:
        return "no Access-Control-Allow-Origin (Fetch, CORS check: \"If origin is null, then " \
               "return failure\")"
    if not credentials and allowed == "*":
        return None
    if allowed != origin:
        return (f"Access-Control-Allow-Origin: {allowed} is not the page's origin {origin} "
                "(compared byte for byte)")
    if credentials and last_header(headers, "access-control-allow-credentials") != "true":
        return "credentials need Access-Control-Allow-Credentials: true"
    return None


def preflight_problems(
    status: int,
    headers: Headers,
    *,
    origin: str,
    method: str,
    request_headers: Sequence[tuple[str, str]] = (),
    credentials: bool = False,
) -> list[str]:
    """Why a browser would refuse this preflight answer; empty when the real request may go.

    ``status`` and ``headers`` are the preflight response's; ``method`` and
    ``request_headers`` are the real request the page wants to make.
    """
    problems = []
    failure = cors_check(headers, origin, credentials=credentials)
    if failure:
        problems.append(failure)
    if not 200 <= status <= 299:
        problems.append(f"status {status} is not an ok status (Fetch: \"a status in the range "
                        "200 to 299, inclusive\")")
    methods = _values(headers, "access-control-allow-methods")
    names = [name.lower() for name in _values(headers, "access-control-allow-headers") or []]
    wanted = normalize_method(method)
    if methods is None:
        methods = [wanted]  # "If methods is null and request's use-CORS-preflight flag is set"
    if (wanted not in methods and wanted not in SAFELISTED_METHODS
            and (credentials or "*" not in methods)):
        problems.append(f"{wanted} is not in Access-Control-Allow-Methods: "
                        f"{', '.join(methods)} (methods compare case-sensitively)")
    fields = list(request_headers)
    if any(name.lower() == "authorization" for name, _ in fields) and "authorization" not in names:
        problems.append("Authorization must be listed by name; * does not cover it")
    for name in unsafe_request_header_names(fields):
        if name != "authorization" and name not in names and (credentials or "*" not in names):
            problems.append(f"{name} is not in Access-Control-Allow-Headers "
                            "(header names compare case-insensitively)")
    return problems


def exposed_header_names(headers: Headers, *, credentials: bool = False) -> list[str]:
    """The response fields a cross-origin script may read, lower-cased, in response order.

    Fetch's CORS filtered response keeps only "CORS-safelisted response-header
    names", given the names listed in ``Access-Control-Expose-Headers`` (``*``
    means all of them when no credentials are sent); Set-Cookie never.
    """
    listed = [name.lower() for name in _values(headers, "access-control-expose-headers") or []]
    present = list(dict.fromkeys(name.lower() for name, _ in headers))
    if not credentials and "*" in listed:
        listed = present
    allowed = {*SAFELISTED_RESPONSE_HEADERS, *listed} - set(_FORBIDDEN_RESPONSE_HEADERS)
    return [name for name in present if name in allowed]


def readable_fields(headers: Headers, *, credentials: bool = False) -> Headers:
    """The response's fields as ``response.headers`` shows them to a cross-origin script."""
    keep = set(exposed_header_names(headers, credentials=credentials))
    return tuple((name, value) for name, value in headers if name.lower() in keep)
