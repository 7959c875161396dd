"""A real HTTP server on loopback for the browser: the test's own CKAN app,
served from a background thread of the test process.

The server lives for the whole session (one port, one thread); each test
builds its CKAN app after its fixtures (plugins, config, ``ckan.site_url``)
are in place and mounts it. Requests run in threads of their own, each with
its own SQLAlchemy session, so they see what the test's factories committed.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
HOST = "127.0.0.1"


class LiveServer:
    """Serves whichever app is mounted; 503 between tests, when none is."""

    def __init__(self, host: str = HOST) -> None:
        # One line per request drowns a failure's report; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._app: WSGIApp | None = None
        # Port 0: the kernel picks a free port, so parallel runs never collide.
        self._server: BaseWSGIServer = make_server(host, 0, self._dispatch, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="browser-live-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def mount(self, app: WSGIApp | None) -> None:
        self._app = app

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self._app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no CKAN app is mounted: the test has not started or has ended"]
        return app(environ, start_response)
