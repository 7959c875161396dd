"""Connections that resolve a host once, check every address, and connect to what they checked.

Checking a URL and then letting urllib3 resolve the name again would leave
the DNS-rebinding window the package docstring describes: these connection
classes close it, and carry the watchdog (``_Attempt``) that cuts a
response off at its whole-response deadline. SafeSession mounts them
through ``_GuardedAdapter``.
"""
from __future__ import annotations

import socket
import threading

import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from urllib3.util import connection as _u3_connection

from ckanext.plusresilient.safe_http.policy import Allowance, _check_address


class _Attempt:
    """One request's whole-response deadline: at expiry its socket is shut down."""

    def __init__(self, limit: float) -> None:
        self._lock = threading.Lock()
        self._sock = None
        self._done = False
        self.limit = limit  # seconds the whole response may take
        self.expired = False
        self.written = 0  # bytes already given to stream_to

    def attach(self, conn) -> None:
        # The socket, not the connection: http.client drops conn.sock as soon as
        # a response will end at close, while the response still reads from it.
        sock = getattr(conn, "sock", None)
        with self._lock:
            if self._done:
                return
            self._sock = sock
            expired = self.expired
        if expired:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = self._sock
        _shutdown(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sock = None


def _shutdown(sock) -> None:
    if sock is not None:
        try:
            # socket.socket's own shutdown: an SSLSocket's would drop its TLS
            # object under the feet of the thread reading it.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


class _GuardedConnectionMixin:
    _allowances: tuple[Allowance, ...] = ()
    _attempts: threading.local

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]")
        port = self.port or self.default_port
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise urllib3.exceptions.NameResolutionError(self.host, self, exc) from exc
        addresses: list[str] = []
        for info in infos:
            _check_address(host, info[4][0], port, self._allowances)  # raises _Blocked
            if info[4][0] not in addresses:
                addresses.append(info[4][0])
        error: OSError | None = None
        for address in addresses:
            try:
                return _u3_connection.create_connection(
                    (address, port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except OSError as exc:
                error = exc
        if isinstance(error, socket.timeout):
            raise urllib3.exceptions.ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from error
        raise urllib3.exceptions.NewConnectionError(
            self, f"Failed to establish a new connection: {error}") from error

    def getresponse(self, *args, **kwargs):
        attempt = getattr(self._attempts, "current", None)
        if attempt is not None:
            attempt.attach(self)
        return super().getresponse(*args, **kwargs)


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, allowances: tuple[Allowance, ...], attempts: threading.local):
        attrs = {"_allowances": allowances, "_attempts": attempts}
        http_conn = type("GuardedHTTPConnection",
                         (_GuardedConnectionMixin, urllib3.connection.HTTPConnection), attrs)
        https_conn = type("GuardedHTTPSConnection",
                          (_GuardedConnectionMixin, urllib3.connection.HTTPSConnection), attrs)
        self._pool_classes = {
            "http": type("GuardedHTTPConnectionPool",
                         (urllib3.connectionpool.HTTPConnectionPool,),
                         {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSConnectionPool",
                          (urllib3.connectionpool.HTTPSConnectionPool,),
                          {"ConnectionCls": https_conn}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)
