"""Exercises of notebook 01, "What 204 means"."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .._http import Request, Response
from .._server import serve
from . import exercise

__all__ = ["SITUATIONS"]

SITUATIONS: dict[str, str] = {
    "autosave": "An editor autosaved a document the user is still editing; "
                "the stored text is exactly what the editor shows.",
    "comment": "A new comment was stored under a URL the server chose.",
    "transcode": "A video was accepted for transcoding, which will finish some time later.",
    "survey": "A survey form was submitted; the browser should clear the form for the next answer.",
    "echo": "A client replaced a document and asked to get the stored document back.",
}
"""Situations for exercise 01.neighbours, by key."""

_BEST = {"autosave": 204, "comment": 201, "transcode": 202, "survey": 205, "echo": 200}
_WHY = {
    201: "201 Created says a new resource exists (RFC 9110 §15.3.2)",
    202: "202 Accepted says the work has not been done yet (RFC 9110 §15.3.3)",
    204: "204 No Content says it is done and there is nothing to send (RFC 9110 §15.3.5)",
    205: "205 Reset Content asks the client to reset its view (RFC 9110 §15.3.6)",
    200: "200 OK carries a representation in its content (RFC 9110 §15.3.1)",
}


@exercise(
    "01.neighbours",
    "Pick the status code for each situation",
    "Ask of each one: is the work done yet? Is there anything to send back? "
    "Did something new get created? Should the client's form be cleared?",
)
def _neighbours(answer: Any) -> list[str]:
    if not isinstance(answer, Mapping):
        return ["the answer should be a dict from situation key to status code, "
                'such as {"autosave": 200, ...}']
    problems = []
    missing = [key for key in SITUATIONS if answer.get(key, ...) is ...]
    if missing:
        problems.append(f"no status code yet for: {', '.join(missing)}")
    extra = [str(key) for key in answer if key not in SITUATIONS]
    if extra:
        problems.append(f"unknown situation keys: {', '.join(extra)}")
    for key, best in _BEST.items():
        if key in missing:
            continue
        given = answer[key]
        try:
            code = int(given)
        except (TypeError, ValueError):
            problems.append(f"{key}: {given!r} is not a status code")
            continue
        if code != best:
            problems.append(f"{key}: {code} is not the best fit; think about what "
                            f"{code} promises the client")
    return problems


_PREFER_DOC = "exercise-01-prefer"
_PREFER_BODY = b"Draft 2: the stored text comes back in the response.\n"


@exercise(
    "01.prefer",
    "Write the request headers of a PUT that asks for the stored document back",
    "RFC 7240 §4.2 defines two values of the Prefer field's return preference; "
    "you want the one that is not minimal.",
)
def _prefer(answer: Any) -> list[str]:
    import httpx

    if isinstance(answer, Mapping):
        headers = [(str(k), str(v)) for k, v in answer.items()]
    elif isinstance(answer, list | tuple):
        headers = [(str(k), str(v)) for k, v in answer]
    else:
        return ['the answer should be a dict of header fields, such as {"Name": "value"}']
    server = serve()
    url = f"{server.url}/docs/{_PREFER_DOC}"
    with httpx.Client() as client:
        client.put(url, content=b"Draft 1\n")  # make sure the document exists
        reply = client.put(url, content=_PREFER_BODY, headers=headers)
    applied = reply.headers.get("Preference-Applied")
    if reply.status_code == 204:
        if applied:
            return [f"the server answered 204 with Preference-Applied: {applied}: "
                    "you asked for the minimal response"]
        return ["the server answered 204 with no content and no Preference-Applied: "
                "it used its default, because your request stated no preference"]
    problems = []
    if reply.status_code != 200:
        problems.append(f"the server answered {reply.status_code}, not 200")
    if reply.content != _PREFER_BODY:
        problems.append("the response did not carry the stored document")
    if applied != "return=representation":
        problems.append(f"Preference-Applied was {applied!r}, not 'return=representation'")
    return problems


_SAFE_JSON_CASES: tuple[tuple[str, Response, object], ...] = (
    ("204 No Content", Response(status=204), None),
    ("205 Reset Content with Content-Length: 0",
     Response(status=205, headers=(("Content-Length", "0"),)), None),
    ("200 OK with an empty body",
     Response(status=200, headers=(("Content-Type", "application/json"),
                                   ("Content-Length", "0"))), None),
    ("200 OK with a JSON body",
     Response(status=200, headers=(("Content-Type", "application/json"),
                                   ("Content-Length", "29")),
              body=b'{"saved": true, "version": 3}'), {"saved": True, "version": 3}),
    ("201 Created with a JSON list",
     Response(status=201, headers=(("Content-Type", "application/json"),
                                   ("Content-Length", "6")), body=b"[1, 2]"), [1, 2]),
)


def _fixed(response: Response) -> Callable[[Request], Response]:
    return lambda request: response


@exercise(
    "01.safe-json",
    "Write safe_json(response): the decoded JSON, or None when there is nothing to decode",
    "Look at response.status_code and response.content before you call response.json(): "
    "204 and 205 never carry content, and a 200 can be empty too.",
)
def _safe_json(answer: Any) -> list[str]:
    import httpx

    if not callable(answer):
        return ["the answer should be your function safe_json itself (no parentheses)"]
    server = serve()
    problems = []
    with httpx.Client() as client:
        for index, (label, response, expected) in enumerate(_SAFE_JSON_CASES):
            url = server.mount(f"/exercise/01/safe-json/{index}", _fixed(response))
            reply = client.get(url)
            try:
                got = answer(reply)
            except Exception as exc:
                problems.append(f"for {label} it raised {type(exc).__name__}: {exc}")
                continue
            if got != expected or type(got) is not type(expected):
                want = "None" if expected is None else json.dumps(expected)
                problems.append(f"for {label} it returned {got!r}, expected {want}")
    return problems
