"""nocontent: a hands-on course on HTTP 204 No Content.

The names below are what the notebooks use: start the embedded server with
:func:`serve`, look at exact bytes with :func:`exchange`, and judge a
response against the RFCs with :func:`check`.
"""

from ._app import App, Beacon
from ._builder import Freshness, freshness
from ._checker import RULES, Finding, Level, Report, Rule, check, judge
from ._cors import (
    exposed_header_names,
    needs_preflight,
    normalize_method,
    preflight_problems,
    readable_fields,
    unsafe_request_header_names,
)
from ._editor import browser_url
from ._frames import Frame, FrameExchange
from ._framing import (
    ends_at_header_section,
    may_carry_content,
    may_send_content_length,
    may_send_transfer_encoding,
)
from ._http import Request, Response, WireResponse, parse_response
from ._misbehave import KINDS as MISBEHAVIOURS
from ._misbehave_frames import FRAME_KINDS as FRAME_MISBEHAVIOURS
from ._progress import progress
from ._server import Record, Server, serve
from ._store import Document, DocumentStore, etag_for
from ._version import __version__
from ._widgets import freshness_calculator, request_builder
from ._wire import (
    Exchange,
    LocalProtocolError,
    build_request,
    conversation,
    exchange,
    exchange_twice,
    visible,
)

__all__ = [
    "FRAME_MISBEHAVIOURS",
    "MISBEHAVIOURS",
    "RULES",
    "App",
    "Beacon",
    "Document",
    "DocumentStore",
    "Exchange",
    "Finding",
    "Frame",
    "FrameExchange",
    "Freshness",
    "Level",
    "LocalProtocolError",
    "Record",
    "Report",
    "Request",
    "Response",
    "Rule",
    "Server",
    "TLSServer",
    "WireResponse",
    "__version__",
    "browser_url",
    "build_request",
    "check",
    "conversation",
    "ends_at_header_section",
    "etag_for",
    "exchange",
    "exchange_twice",
    "exposed_header_names",
    "freshness",
    "freshness_calculator",
    "judge",
    "may_carry_content",
    "may_send_content_length",
    "may_send_transfer_encoding",
    "needs_preflight",
    "normalize_method",
    "parse_response",
    "preflight_problems",
    "progress",
    "readable_fields",
    "request_builder",
    "serve",
    "unsafe_request_header_names",
    "visible",
]


def __getattr__(name: str) -> object:
    """``TLSServer`` is imported on first use: it needs cryptography and aioquic."""
    if name == "TLSServer":
        from ._tls import TLSServer

        return TLSServer
    raise AttributeError(f"module 'nocontent' has no attribute {name!r}")
