"""What every imitation portal shares: routes, misbehaviour on request, and
either a loopback server of its own or a place on the sample portals' one.

A portal is built one of two ways, and answers the same either way:

* on its own server (the tests): ``with CKANPortal() as portal:`` serves it
  on a free port of 127.0.0.1 while the block runs; the test adds, changes
  and removes datasets, makes a path fail (:attr:`LoopbackPortal.failures`)
  or replaces a route, and reads what was asked (:attr:`LoopbackPortal.hits`);
* mounted (the demo): ``CKANPortal.sample(base)`` reads the payloads of
  ``demo/payloads/<platform>/`` and answers through :meth:`LoopbackPortal.answer`
  on the sample portals' server at ``base``.

A route is a function of the query giving ``(status, headers, body)``, so a
test can swap one for a lambda.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ckanext.plusresilient.demo.loopback import Answer, LoopbackHandler, LoopbackServer, Request

Query = dict[str, list[str]]
Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[Query], Reply]

#: The sample portals' payloads, ``<platform>/``, and the files they link to, ``files/``.
PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"

JSON_UTF8 = "application/json; charset=utf-8"
CSV_UTF8 = "text/csv; charset=utf-8"


def json_response(payload: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(payload).encode()


def read_payload(path: Path, base: str, host: str) -> str:
    """A payload file with ``{base}`` (the server's address) and ``{host}`` filled in."""
    return path.read_text(encoding="utf-8").replace("{base}", base).replace("{host}", host)


def int_arg(query: Query, name: str, default: int) -> int | None:
    """A whole-number parameter, or None when it is not one."""
    try:
        return int((query.get(name) or [str(default)])[0] or default)
    except ValueError:
        return None


def first(query: Query, name: str, default: str | None = None) -> str | None:
    return (query.get(name) or [default])[0]


class Routes(dict):
    """Routes by exact path, whose ``get`` also finds a route by the
    portal's patterns (``/api/1/datasets/{id}/``), as a request would."""

    def __init__(self, patterns: Callable[[str], Route | None]) -> None:
        super().__init__()
        self._patterns = patterns

    def get(self, path: str, default: Any = None) -> Any:  # noqa: D102 - dict's
        if path in self:
            return self[path]
        route = self._patterns(path)
        return default if route is None else route


class LoopbackPortal:
    """Routes by exact path (plus :meth:`pattern_route`); ``failures``
    makes a path misbehave the way real portals do: ``"500"``,
    ``"malformed"``, ``"slow"``, ``"private-redirect"`` or ``"huge"``."""

    def __init__(self, mounted_at: str | None = None) -> None:
        self.routes: dict[str, Route] = Routes(self.pattern_route)
        self.failures: dict[str, str] = {}
        self.hits: list[str] = []
        self._local = threading.local()
        self.server: LoopbackServer | None = None
        if mounted_at is None:
            # HTTP/1.0 (one request a connection), so a stopped portal refuses
            # the next request even from a client's pooled connection; GET only.
            self.server = LoopbackServer(self.respond, methods=("GET",), protocol="HTTP/1.0")
            self.url = self.server.url
        else:
            self.url = mounted_at

    @property
    def serving(self) -> bool:
        """Whether the links a dataset gets now can point at this portal."""
        return self.server is None or self.server.running

    @property
    def request(self) -> Request | None:
        """The request the current thread is answering (headers a route cannot see)."""
        return getattr(self._local, "request", None)

    def pattern_route(self, path: str) -> Route | None:
        """The route of a path no exact route has (a subclass's patterns)."""
        return None

    def answer(self, request: Request) -> Answer | None:
        """What the route of ``request.path`` answers, or None when no route has it."""
        route = self.routes.get(request.path)
        if route is None:
            return None
        self._local.request = request
        try:
            status, headers, body = route(request.query)
        finally:
            self._local.request = None
        headers = dict(headers)
        content_type = headers.pop("Content-Type", None)
        return Answer(status, content_type, body, tuple(headers.items()))

    def respond(self, handler: LoopbackHandler) -> None:
        """The portal's own server: counts the hit, misbehaves on request, answers."""
        request = Request.of(handler)
        self.hits.append(handler.path)
        self.record(request)
        failure = self.failures.get(request.path)
        if failure:
            self._misbehave(handler, failure)
            return
        answer = self.answer(request)
        handler.send(answer or Answer(404, "text/plain", b"not found"))

    def record(self, request: Request) -> None:
        """A subclass keeping more of each request than its path."""

    def _misbehave(self, handler: LoopbackHandler, failure: str) -> None:
        if failure == "500":
            handler.reply(500, b"<h1>Internal Server Error</h1>", "text/html")
        elif failure == "malformed":
            handler.reply(200, b'{"success": true, "result": {"count": 3, "resul', "application/json")
        elif failure == "slow":
            time.sleep(8)
            handler.reply(200, b"{}", "application/json")
        elif failure == "private-redirect":
            handler.reply(302, b"", None, [("Location", "http://169.254.169.254/latest/meta-data/")])
        elif failure == "huge":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(100_000):  # ~6 GB if nobody stops reading
                    handler.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def __enter__(self) -> "LoopbackPortal":
        assert self.server is not None, "a mounted portal is served by the sample portals' server"
        self.server.start(poll_interval=0.1, name=f"{type(self).__name__}-loopback")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.server is not None:
            self.server.stop()
