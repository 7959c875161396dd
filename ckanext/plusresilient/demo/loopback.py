"""The one threaded HTTP server on loopback: the sample portals, the
imitation portals of the tests and the browser's live CKAN all run on it.

Why one class: starting on a free port, stopping without a traceback when a
client hangs up, and being told which ports are serving are the same chores
for every server on 127.0.0.1, and they were written four times. What a
server answers is its own business, in one of two shapes:

* a *responder*, a function of the request handler (:class:`LoopbackHandler`),
  for servers that must misbehave at the socket level (stall, trickle,
  cut a body short);
* an *app*, a function of a :class:`Request` giving an :class:`Answer`
  (:func:`serve_app`), for servers that answer like an API;

and :class:`WSGILoopbackServer` serves a WSGI application (CKAN itself).

A suite that allows no private address needs to know which ports are
serving: :func:`watch` registers callbacks told when a server starts and
stops. The package registers none; the tests do. Standard library only.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ["HOST", "Request", "Answer", "LoopbackHandler", "LoopbackServer", "WSGILoopbackServer",
           "serve_app", "watch"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"

Responder = Callable[["LoopbackHandler"], None]
PortWatcher = Callable[[int], None]

#: (on start, on stop) callbacks, each given the port (see :func:`watch`).
_WATCHERS: list[tuple[PortWatcher, PortWatcher]] = []


def watch(on_start: PortWatcher, on_stop: PortWatcher) -> None:
    """Be told the port of every announced server when it starts serving and
    when it stops (a server built with ``announce=False`` tells no one)."""
    if (on_start, on_stop) not in _WATCHERS:
        _WATCHERS.append((on_start, on_stop))


@dataclasses.dataclass(frozen=True)
class Request:
    """What an app needs of a request: path, query and headers (lower-cased names)."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    target: str = ""   # as sent: path and query string

    @classmethod
    def of(cls, handler: BaseHTTPRequestHandler) -> "Request":
        parts = urlsplit(handler.path)
        return cls(path=parts.path, query=parse_qs(parts.query),
                   headers={key.lower(): value for key, value in handler.headers.items()},
                   method=handler.command, target=handler.path)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclasses.dataclass(frozen=True)
class Answer:
    """A whole answer: status, content type, body and any other headers."""

    status: int
    content_type: str | None
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, payload: Any, status: int = 200, content_type: str = "application/json") -> "Answer":
        return cls(status, content_type, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> "Answer":
        return cls(status, content_type, text.encode("utf-8"))


class LoopbackHandler(BaseHTTPRequestHandler):
    """Hands GET (and HEAD, where the server takes it) to the server's
    responder; quiet, since a test's report is no place for access logs."""

    server: "LoopbackServer"
    # Headers and body go out in two writes: on a kept-alive connection,
    # Nagle's algorithm would hold the body until the client's delayed ACK,
    # some 40 ms an answer.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        # HTTP/1.1 keeps connections open; an imitation that must refuse
        # requests once stopped asks for HTTP/1.0 (one request a connection).
        self.protocol_version = self.server.protocol
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.responder(self)

    def do_HEAD(self) -> None:  # noqa: N802
        if "HEAD" not in self.server.methods:
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        self.server.responder(self)

    def reply(self, status: int, body: bytes = b"", content_type: str | None = "text/plain",
              headers: Iterable[tuple[str, str]] = ()) -> None:
        """Status, headers and body with its length (no body to a HEAD)."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send(self, answer: Answer) -> None:
        self.reply(answer.status, answer.body, answer.content_type, answer.headers)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        log.debug("%s %s", self.address_string(), format % args)


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on ``host:port`` (0: a free port the kernel
    picks, so parallel runs never collide), bound when built, serving from a
    daemon thread between :meth:`start` and :meth:`stop` (or as a context
    manager), or in the foreground with ``serve_forever``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, responder: Responder | None = None, port: int = 0, host: str = HOST, *,
                 handler: type[BaseHTTPRequestHandler] = LoopbackHandler, announce: bool = True,
                 methods: tuple[str, ...] = ("GET", "HEAD"), protocol: str = "HTTP/1.1") -> None:
        self.responder = responder or _not_found
        self.methods = methods
        self.protocol = protocol
        self.announce = announce
        self.thread: threading.Thread | None = None
        super().__init__((host, port), handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, poll_interval: float = 0.1, name: str = "loopback-server") -> "LoopbackServer":
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": poll_interval},
                                       name=name, daemon=True)
        self.thread.start()
        if self.announce:
            for on_start, _ in list(_WATCHERS):
                on_start(self.port)
        return self

    def stop(self) -> None:
        """Stop serving and free the port (requests still running end on their own)."""
        if self.thread is not None:
            self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
            self.thread = None
            if self.announce:
                for _, on_stop in list(_WATCHERS):
                    on_stop(self.port)

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is what link checkers and the
        # abuse tests do, by design: no traceback for that.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _not_found(handler: LoopbackHandler) -> None:
    handler.reply(404, b"Not Found")


def serve_app(app: Callable[[Request], Answer]) -> Responder:
    """A responder answering what ``app`` answers; a bug in the app is a
    500, as a portal would answer."""
    def respond(handler: LoopbackHandler) -> None:
        try:
            answer = app(Request.of(handler))
        except Exception:  # noqa: BLE001 - any bug of the app
            log.exception("loopback app failed on %s", handler.path)
            handler.send_error(500)
            return
        handler.send(answer)
    return respond


class _QuietWSGIHandler(WSGIRequestHandler):
    disable_nagle_algorithm = True   # as LoopbackHandler: headers and body are two writes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


class WSGILoopbackServer(LoopbackServer, WSGIServer):
    """A WSGI application (CKAN's) on the same server, through the standard
    library's WSGI handler. Not announced by default: the application is the
    portal under test, not a service it should be allowed to reach."""

    def __init__(self, app: Callable[..., Iterable[bytes]], port: int = 0, host: str = HOST, *,
                 announce: bool = False) -> None:
        super().__init__(None, port, host, handler=_QuietWSGIHandler, announce=announce)
        self.set_app(app)
