"""The browser's portal on loopback: the test's own CKAN app, served from a
background thread of the test process by the suite's one loopback server
(ckanext/plusresilient/demo/loopback.py), with the standard library's WSGI
handler.

The server lives for the whole session (one port, one thread); each test
builds its CKAN app after its fixtures (plugins, config, ``ckan.site_url``)
are in place and mounts it. Requests run in threads of their own, each with
its own SQLAlchemy session, so they see what the test's factories committed.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ckanext.plusresilient.demo.loopback import HOST, WSGILoopbackServer

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LiveServer:
    """Serves whichever app is mounted; 503 between tests, when none is."""

    def __init__(self, host: str = HOST) -> None:
        self._app: WSGIApp | None = None
        # Port 0: the kernel picks a free port, so parallel runs never collide.
        # Not announced: CKAN is the portal under test, not a server it may reach.
        self._server = WSGILoopbackServer(self._dispatch, host=host, announce=False)
        self.url = self._server.url

    def start(self) -> None:
        self._server.start(name="browser-live-server")

    def stop(self) -> None:
        self._server.stop()

    def mount(self, app: WSGIApp | None) -> None:
        self._app = app

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self._app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no CKAN app is mounted: the test has not started or has ended"]
        return app(environ, start_response)
