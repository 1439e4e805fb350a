"""The Python apps of the frameworks lab, each run in its own process by the capture tool.

``python -m nocontent.lab.pyapps NAME PORT`` serves app ``NAME`` on
``127.0.0.1:PORT`` until it is stopped. Every app answers the same paths:

* ``/idiomatic``: the 204 as the framework's documentation writes it;
* ``/mistake`` (and, for some, more ``/mistake-...`` paths): a 204 with a body;
* ``/names``: JSON with the framework's version and its names for 204;
* anything else: ``200 OK`` with the two bytes ``ok``, the answer to the second request.

A line on stdout that starts with ``LAB `` is something the app or the
framework said while answering (an exception it raised or logged); the capture
tool keeps those lines next to the bytes.
"""

from __future__ import annotations

import http.client
import json
import logging
import sys
from collections.abc import Callable
from http import HTTPStatus
from importlib.metadata import version
from typing import Any

__all__ = ["APPS", "main"]


def note(text: str) -> None:
    """Report something the capture tool should keep."""
    print(f"LAB {text}", flush=True)


class _NoteErrors(logging.Handler):
    """Turn a framework's logged errors into ``LAB`` lines: the message and the exception."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__module__}.{type(exc).__qualname__}: {exc}"
        note(f"{record.name} logged {record.levelname}: {text}")


def _watch(logger: str) -> None:
    handler = _NoteErrors(level=logging.ERROR)
    logging.getLogger(logger).addHandler(handler)


def _names(extra: dict[str, Any]) -> bytes:
    return json.dumps({**extra, "python": _PYTHON}, sort_keys=True).encode()


_PYTHON = sys.version.split()[0]


# -- Python's http.server -----------------------------------------------------------------


def http_server(port: int) -> None:
    """The standard library's ``http.server``, with HTTP/1.1 so connections stay open."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0 (the default) closes every connection; a keep-alive API server sets this.
        protocol_version = "HTTP/1.1"

        def do_DELETE(self) -> None:
            if self.path == "/idiomatic":
                self.send_response(HTTPStatus.NO_CONTENT)
                self.end_headers()
            elif self.path == "/mistake":
                # A JSON helper that always writes json.dumps(result): None becomes null.
                body = json.dumps(None).encode()
                self.send_response(HTTPStatus.NO_CONTENT)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.do_GET()

        def do_GET(self) -> None:
            if self.path == "/names":
                body = _names({
                    "http.HTTPStatus.NO_CONTENT": int(HTTPStatus.NO_CONTENT),
                    "http.HTTPStatus.NO_CONTENT.phrase": HTTPStatus.NO_CONTENT.phrase,
                    "http.client.NO_CONTENT": int(http.client.NO_CONTENT),
                    "version": _PYTHON,
                })
                content_type = "application/json"
            else:
                body, content_type = b"ok", "text/plain"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the access log says nothing the bytes do not

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# -- Flask on Werkzeug's development server -----------------------------------------------


def flask_app(port: int) -> None:
    """Flask, served the way ``app.run()`` serves it: Werkzeug's threaded development server."""
    from flask import Flask, jsonify
    from werkzeug.serving import make_server

    app = Flask("lab")

    @app.route("/idiomatic", methods=["DELETE"])
    def idiomatic() -> Any:
        return "", 204

    @app.route("/mistake", methods=["DELETE"])
    def mistake() -> Any:
        # A JSON body with 204: Flask serialises the dict and sets its length.
        return {"deleted": True}, 204

    @app.route("/mistake-jsonify", methods=["DELETE"])
    def mistake_jsonify() -> Any:
        return jsonify(None), 204

    @app.route("/names")
    def names() -> Any:
        return app.response_class(_names({
            "version": version("flask"),
            "werkzeug": version("werkzeug"),
            "http.HTTPStatus.NO_CONTENT": int(HTTPStatus.NO_CONTENT),
        }), mimetype="application/json")

    @app.route("/ok")
    def ok() -> Any:
        return "ok", 200, {"Content-Type": "text/plain"}

    _watch("werkzeug")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


# -- Starlette on uvicorn, and a raw ASGI app ----------------------------------------------


def _starlette(http: str) -> Any:
    from starlette import status
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def idiomatic(request: Any) -> Response:
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    async def mistake(request: Any) -> Response:
        # Kludex/starlette#1764: the body is kept, only Content-Length is left out.
        return Response("null", status_code=status.HTTP_204_NO_CONTENT)

    async def names(request: Any) -> Response:
        return Response(_names({
            "version": version("starlette"),
            "uvicorn": version("uvicorn"),
            http: version(http),
            "starlette.status.HTTP_204_NO_CONTENT": status.HTTP_204_NO_CONTENT,
        }), media_type="application/json")

    async def ok(request: Any) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[
        Route("/idiomatic", idiomatic, methods=["DELETE"]),
        Route("/mistake", mistake, methods=["DELETE"]),
        Route("/names", names),
        Route("/{path:path}", ok),
    ])


def _raw_asgi(fallback: Any) -> Any:
    """A bare ASGI app for ``/mistake-content-length``: a 204 that declares and sends 4 bytes."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/mistake-content-length":
            await send({
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4")],
            })
            await send({"type": "http.response.body", "body": b"null"})
            return
        await fallback(scope, receive, send)

    return app


def _uvicorn(http: str) -> Callable[[int], None]:
    def run(port: int) -> None:
        import uvicorn

        _watch("uvicorn.error")
        config = uvicorn.Config(_raw_asgi(_starlette(http)), host="127.0.0.1", port=port, http=http,
                                lifespan="off", log_config=None, access_log=False)
        uvicorn.Server(config).run()

    run.__doc__ = f"Starlette on uvicorn with its {http} HTTP/1.1 implementation."
    return run


APPS: dict[str, Callable[[int], None]] = {
    "http.server": http_server,
    "flask": flask_app,
    "uvicorn-h11": _uvicorn("h11"),
    "uvicorn-httptools": _uvicorn("httptools"),
}
"""Each Python app by name, as a function of the port it serves on."""


def main(argv: list[str]) -> int:
    name, port = argv
    APPS[name](int(port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
