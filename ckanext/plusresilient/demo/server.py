"""The HTTP server of the sample portals, on loopback.

A newcomer's machine may be offline, and the demo must still show harvesting
and quality scoring end to end: the five sample portals of :mod:`.apis` are
served by a small threaded server from the standard library, in the
foreground (``ckan plusresilient demo serve``, a worker of ``bin/stack
demo``) or in a thread for the duration of a load (:func:`serving`).

Payloads that must carry the server's own address are filled in when the
server starts, so the resource links point at this very server.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

from ckanext.plusresilient.demo.apis import Request, SamplePortals

__all__ = ["SamplePortalServer", "serving", "DEFAULT_PORT", "HOST"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: The port ``bin/stack demo`` serves them on (PLUSRESILIENT_DEMO_PORT).
DEFAULT_PORT = 5001


class SamplePortalServer(ThreadingHTTPServer):
    """The sample portals on ``HOST:port`` (0: a free port)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, host: str = HOST) -> None:
        super().__init__((host, port), _Handler)
        self.portals = SamplePortals(self.url)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - the base signature
        # A link checker hangs up after the first bytes, by design: no traceback for that.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: SamplePortalServer
    protocol_version = "HTTP/1.1"
    server_version = "plusresilient-sample-portals"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        request = Request(path=parts.path, query=parse_qs(parts.query),
                          headers={key.lower(): value for key, value in self.headers.items()})
        try:
            answer = self.server.portals.answer(request)
        except Exception:  # noqa: BLE001 - a bug in a sample portal: answer 500 as a portal would
            log.exception("sample portal failed on %s", self.path)
            self.send_error(500)
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base signature
        log.debug("%s %s", self.address_string(), format % args)


@contextlib.contextmanager
def serving(port: int = 0) -> Iterator[str]:
    """The sample portals served from a thread while the block runs; yields
    their base URL."""
    server = SamplePortalServer(port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="sample-portals", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
