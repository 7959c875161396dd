"""The HTTP server of the sample portals, on loopback.

A newcomer's machine may be offline, and the demo must still show harvesting
and quality scoring end to end: the five sample portals of :mod:`.apis` are
served by the loopback server of :mod:`.loopback`, in the foreground
(``ckan plusresilient demo serve``, a worker of ``bin/stack demo``) or in a
thread for the duration of a load (:func:`serving`).

Payloads that must carry the server's own address are filled in when the
server starts, so the resource links point at this very server.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from ckanext.plusresilient.demo.apis import SamplePortals
from ckanext.plusresilient.demo.loopback import HOST, LoopbackServer, serve_app

__all__ = ["SamplePortalServer", "serving", "DEFAULT_PORT", "HOST"]

#: The port ``bin/stack demo`` serves them on (PLUSRESILIENT_DEMO_PORT).
DEFAULT_PORT = 5001


class SamplePortalServer(LoopbackServer):
    """The sample portals on ``HOST:port`` (0: a free port)."""

    def __init__(self, port: int = 0, host: str = HOST) -> None:
        super().__init__(None, port, host)
        self.portals = SamplePortals(self.url)
        self.responder = serve_app(self.portals.answer)


@contextlib.contextmanager
def serving(port: int = 0) -> Iterator[str]:
    """The sample portals served from a thread while the block runs; yields
    their base URL."""
    server = SamplePortalServer(port).start(name="sample-portals")
    try:
        yield server.url
    finally:
        server.stop()
