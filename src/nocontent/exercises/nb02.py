"""Exercises of notebook 02, "Asking for nothing"."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .._http import Request, Response
from .._server import serve
from . import exercise

# -- 02.prefer ----------------------------------------------------------------------

_PREFER_DOC = "exercise-02-prefer"
_PREFER_BODY = b"Draft 2: the stored text comes back in the response.\n"


def _header_list(answer: Any) -> list[tuple[str, str]] | None:
    if isinstance(answer, Mapping):
        return [(str(k), str(v)) for k, v in answer.items()]
    if isinstance(answer, list | tuple) and all(
            isinstance(pair, list | tuple) and len(pair) == 2 for pair in answer):
        return [(str(k), str(v)) for k, v in answer]
    return None


@exercise(
    "02.prefer",
    "Write the request headers of a PUT that asks for the stored document back",
    "RFC 7240 §4.2 defines two values of the Prefer field's return preference: "
    "return=minimal asks for as little as possible (typically a 204), "
    "return=representation for the current state of the resource. Add the field "
    "Prefer with the second one.",
    nudge="Look again at the two PUTs at the start of this notebook.",
)
def _prefer(answer: Any) -> list[str]:
    import httpx

    headers = _header_list(answer)
    if headers is None:
        return ['the answer should be a dict of header fields, such as {"Name": "value"}']
    url = f"{serve().url}/docs/{_PREFER_DOC}"
    with httpx.Client(trust_env=False) as client:
        client.put(url, content=b"Draft 1\n")  # the document exists, so a PUT replaces it
        try:
            reply = client.put(url, content=_PREFER_BODY, headers=headers)
        except httpx.HTTPError as exc:
            return [f"the PUT with your headers failed: {type(exc).__name__}: {exc}"]
    applied = reply.headers.get("Preference-Applied")
    if reply.status_code == 204:
        if applied:
            return [f"the server answered 204 with Preference-Applied: {applied}: "
                    "it honoured your preference for the minimal response"]
        return ["the server answered 204 with no content and no Preference-Applied: "
                "it used its default, because your request stated no preference it knows"]
    problems = []
    if reply.status_code != 200:
        problems.append(f"the server answered {reply.status_code}, not 200 "
                        f"({reply.text.strip()[:120]})")
    if reply.content != _PREFER_BODY:
        problems.append("the response did not carry the stored document")
    if applied != "return=representation":
        problems.append(f"Preference-Applied was {applied!r}, not 'return=representation'")
    return problems


# -- 02.safe-json -------------------------------------------------------------------

_JSON = ("Content-Type", "application/json")
_NOTHING = object()
"""Stands for "safe_json must raise ValueError" among the expected results."""

_SAFE_JSON_CASES: tuple[tuple[str, Response, object], ...] = (
    ("204 No Content", Response(status=204), None),
    ("205 Reset Content with Content-Length: 0",
     Response(status=205, headers=(("Content-Length", "0"),)), None),
    ("200 OK with Content-Length: 0",
     Response(status=200, headers=(_JSON, ("Content-Length", "0"))), None),
    ("200 OK with a JSON object",
     Response(status=200, headers=(_JSON, ("Content-Length", "29")),
              body=b'{"saved": true, "version": 3}'), {"saved": True, "version": 3}),
    ("201 Created with a JSON list",
     Response(status=201, headers=(_JSON, ("Content-Length", "6")), body=b"[1, 2]"), [1, 2]),
    ("200 OK with an HTML page where JSON was promised",
     Response(status=200, headers=(_JSON, ("Content-Length", "20")),
              body=b"<h1>Bad gateway</h1>"), _NOTHING),
)


def _fixed(response: Response) -> Callable[[Request], Response]:
    return lambda request: response


def _judge_one(answer: Callable[[Any], Any], label: str, reply: Any,
               expected: object) -> str | None:
    """What is wrong with ``answer(reply)``, or None."""
    try:
        got = answer(reply)
    except ValueError as exc:
        if expected is _NOTHING:
            return None
        return f"{label}: it raised {type(exc).__name__}: {exc}"
    except Exception as exc:
        return f"{label}: it raised {type(exc).__name__}: {exc}"
    if expected is _NOTHING:
        return (f"{label}: it returned {got!r}; content that is not JSON is a real error, "
                "so let the ValueError from .json() reach the caller")
    if got != expected or type(got) is not type(expected):
        want = "None" if expected is None else json.dumps(expected)
        return f"{label}: it returned {got!r}, expected {want}"
    return None


@exercise(
    "02.safe-json",
    "Write safe_json(response): the decoded JSON, or None when there is nothing to decode",
    "Look before you decode: return None when response.status_code is 204 or 205 or "
    "response.content is empty (b\"\"), and otherwise return response.json(). Do not "
    "catch the ValueError: content that is not JSON is a real error, not \"nothing\".",
    nudge="Look again at the three rules in \"Handling nothing in client code\".",
)
def _safe_json(answer: Any) -> list[str]:
    import httpx
    import requests

    if not callable(answer):
        return ["the answer should be your function safe_json itself (no parentheses)"]
    server = serve()
    problems = []
    with httpx.Client(trust_env=False) as client, requests.Session() as session:
        session.trust_env = False
        for index, (label, response, expected) in enumerate(_SAFE_JSON_CASES):
            url = server.mount(f"/exercise/02/safe-json/{index}", _fixed(response))
            for library, reply in (("httpx", client.get(url)), ("requests", session.get(url))):
                problem = _judge_one(answer, f"for {label} from {library}", reply, expected)
                if problem:
                    problems.append(problem)
    return problems
