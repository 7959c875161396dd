"""The tests' side of the loopback server (ckanext/plusresilient/demo/loopback.py):
allowances for test.ini, and :class:`Server`, whose routes are plain functions
of the request handler, with counters of what was asked and sent, so a test
can prove a client never connected or stopped reading.

The suite allows no private address by itself (test.ini): each loopback
server, while it runs, allows exactly its own ``127.0.0.1:<port>`` (this
module watches every server start and stop), in the policies :func:`policy`
makes and in CKAN's configuration, so every other service on the machine
(PostgreSQL, Redis, Solr, another test's server) stays out of reach as it
would in production.
"""
from __future__ import annotations

import collections
import contextlib
import sys
import threading
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import pytest

from ckanext.plusresilient.demo import loopback
from ckanext.plusresilient.demo.loopback import LoopbackHandler, LoopbackServer
from ckanext.plusresilient.safe_http import ALLOWED_NETWORKS_OPTION, HttpPolicy

#: Ports of the imitation servers running now (a port may serve twice over a run).
_SERVING: collections.Counter = collections.Counter()
#: Set while a test pins the option with a ckan_config mark: the mark wins.
_PINNED = threading.Event()


def allowances() -> tuple[str, ...]:
    """``127.0.0.1:<port>`` of every imitation server running now."""
    return tuple(f"127.0.0.1:{port}" for port in sorted(_SERVING) if _SERVING[port] > 0)


def publish_allowances() -> None:
    """CKAN's option follows the servers running now (when CKAN is loaded:
    the pure tests run without it), unless the test pinned it."""
    config = sys.modules.get("ckan.common")
    if config is not None and not _PINNED.is_set():
        config.config[ALLOWED_NETWORKS_OPTION] = list(allowances())


def allow_port(port: int) -> None:
    """Allow ``127.0.0.1:port`` while the server on it runs."""
    _SERVING[port] += 1
    publish_allowances()


def release_port(port: int) -> None:
    _SERVING[port] -= 1
    if _SERVING[port] <= 0:
        del _SERVING[port]
    publish_allowances()


@contextlib.contextmanager
def allowing(url: str) -> Iterator[str]:
    """Allow the port of ``url`` (a server started elsewhere) while the block runs."""
    port = urlsplit(url).port
    allow_port(port)
    try:
        yield url
    finally:
        release_port(port)


def policy(**overrides) -> HttpPolicy:
    """Fast failures, and the imitation servers running now allowed, port by port."""
    values = dict(timeout=2, retries=0, backoff=0.01, allowed_private_networks=allowances())
    values.update(overrides)
    return HttpPolicy(**values)


class Server:
    """A loopback server whose routes are plain functions of the handler
    (``handler.reply(status, body, content_type, headers)`` answers).

    ``hits`` counts requests per (method, path); ``sent`` counts body bytes
    per path as the routes below write them, so a test can prove that a
    client stopped reading.
    """

    def __init__(self, allow: bool = True):
        self.routes: dict[str, Callable] = {}
        self.hits: collections.Counter = collections.Counter()
        self.sent: collections.Counter = collections.Counter()
        self.stopping = threading.Event()
        self.httpd = LoopbackServer(self._dispatch, announce=allow)
        self.port = self.httpd.port
        self.allowed = allow
        self.httpd.start(poll_interval=0.05)

    def _dispatch(self, handler: LoopbackHandler) -> None:
        path = handler.path.split("?", 1)[0]
        self.hits[handler.command, path] += 1
        route = self.routes.get(path)
        if route is None:
            handler.reply(404, b"not here")
            return
        try:
            route(handler)
        except OSError:  # the client hung up: expected in the abuse tests
            handler.close_connection = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str) -> int:
        """Requests to ``path``, whatever their method."""
        return sum(n for (_method, hit_path), n in self.hits.items() if hit_path == path)

    def route(self, path: str):
        """Decorator: the function answers requests to ``path``."""
        def register(function):
            self.routes[path] = function
            return function
        return register

    def serve(self, path: str, body: bytes, content_type: str = "text/csv",
              headers: Sequence[tuple[str, str]] = ()) -> str:
        """Serve a fixed body at ``path``; returns its URL."""
        self.routes[path] = lambda handler: handler.reply(200, body, content_type, headers)
        return self.url(path)

    def stall(self, path: str, head: bytes = b"id,n", content_type: str = "text/csv") -> str:
        """Headers promising 1000 bytes, ``head`` of them, then nothing until the
        server stops (HEAD gets the headers only); returns its URL."""
        def stall(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            if handler.command == "GET":
                handler.wfile.write(head)
                handler.wfile.flush()
                self.stopping.wait(120)

        self.routes[path] = stall
        return self.url(path)

    def stream(self, path: str, chunks: Iterable[bytes], content_type: str = "text/csv",
               length: int | None = None, pause: float = 0.0) -> str:
        """Send ``chunks`` as they come (chunked unless a length is declared),
        counting what was written, until the client hangs up or the server stops."""
        def send(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            if length is None:
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                handler.send_header("Content-Length", str(length))
            handler.end_headers()
            if handler.command == "HEAD":
                return
            for chunk in chunks():
                if self.stopping.is_set() or (pause and self.stopping.wait(pause)):
                    break
                frame = chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
                handler.wfile.write(frame)
                handler.wfile.flush()
                self.sent[path] += len(chunk)
            if length is None:
                handler.wfile.write(b"0\r\n\r\n")
            handler.close_connection = True

        self.routes[path] = send
        return self.url(path)

    def close(self):
        self.stopping.set()
        self.httpd.stop()
        self.allowed = False


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def unlisted_server():
    """A second service on 127.0.0.1 that no allowance names: what a URL
    pointing inside the network (Solr, Redis, another port) would reach."""
    srv = Server(allow=False)
    yield srv
    srv.close()


loopback.watch(allow_port, release_port)
