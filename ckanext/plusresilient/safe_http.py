"""The suite's outbound HTTP client: every harvester and link check goes through it.

A remote portal is untrusted. A harvest source URL, or any redirect it answers
with, must not reach the portal's own network (cloud metadata at
169.254.169.254, the database, Solr, Redis); a slow, huge or compressed-bomb
answer must not hold a worker or fill its memory; a failure must become one
clear line saying what failed on which URL.

The guard
    ``check_url`` refuses anything but http and https, and any host that
    resolves (any of its addresses, IPv4 or IPv6, IPv4-mapped IPv6 included) to
    a private, loopback, link-local, multicast, reserved, unspecified or
    otherwise non-public address, unless that address *and port* are allowed
    by one of ``HttpPolicy.allowed_private_networks`` (the option
    ``ckanext.plusresilient.http.allowed_private_networks``). SafeSession runs
    it on the URL and on every redirect target before connecting; redirects are
    followed here, never by requests.

Allowances name a port
    Each allowance is an address or network and one port, ``127.0.0.1:5001``,
    ``10.20.0.0/16:443`` or ``[fd00::/8]:443``. An address alone would open
    every service of that machine: allowing a sample portal on 127.0.0.1 once
    let a resource URL read the portal's own Solr (every private dataset) by
    its port, however the address was spelled (``2130706433``, ``127.1``,
    ``0x7f000001``, ``localhost``: all resolve to the same address, which is
    what is checked). A URL without a port is port 80 or 443. An allowance
    without a port is a configuration error, not a silent "every port".

DNS rebinding
    Checking a name and then letting the HTTP library resolve it again leaves a
    window in which the name can change to an internal address. SafeSession
    closes it: its connections resolve the host once, check every address that
    came back and connect only to those checked addresses. The host name itself
    is kept for the Host header, TLS SNI and certificate verification, so
    nothing changes for the remote server. Limit: when an HTTP(S) proxy is
    configured in the environment, the proxy resolves the target; only the URL
    check applies then.

Limits
    ``timeout`` bounds the connection and every single read; a whole response
    (headers and body) must arrive within ``4 * timeout``, after which the
    socket is shut down: a server trickling one byte at a time cannot hold a
    worker. The body is decoded from gzip/deflate and the decoded size counts
    against ``max_bytes``; a declared Content-Length over the limit is refused
    before reading, otherwise reading stops at the limit (at most one 64 KiB
    read past it).

Retries
    After a connection error, a timeout or HTTP 429/500/502/503/504, with
    exponential backoff (``backoff * 2**n`` seconds), or Retry-After (capped at
    30 s) when the server sends one. A whole-response deadline overrun is not
    retried: it already cost four timeouts.

The caller's deadline
    ``get`` and ``head`` take ``deadline`` (a ``time.monotonic()`` value) by
    which the whole fetch must end, every attempt, redirect and backoff
    included: each attempt's timeouts are cut to the time left, no retry is
    started (nor waited for) that could not end before it, and a response
    still arriving then is cut off. Without it, the worst case is the
    timeouts times the attempts, minutes for a server that sends four bytes
    and then nothing.

Messages never contain the response body, nor user:password from a URL.

This module imports only requests, urllib3 and the standard library, so code
without a CKAN stack (the quality scorer's core, tests) can use it.
"""
from __future__ import annotations

import codecs
import dataclasses
import email.utils
import functools
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from typing import IO, Any, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from urllib3.util import connection as _u3_connection

__all__ = ["Allowance", "HttpPolicy", "FetchError", "Response", "SafeSession", "check_url"]

log = logging.getLogger(__name__)

ALLOWED_NETWORKS_OPTION = "ckanext.plusresilient.http.allowed_private_networks"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 30.0
CHUNK = 64 * 1024

KINDS = frozenset({
    "blocked", "timeout", "connection", "http", "too_large",
    "too_many_redirects", "malformed", "scheme",
})

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWANCE_EXAMPLE = "127.0.0.1:5001, 10.20.0.0/16:443 or [fd00::/8]:443"


@dataclasses.dataclass(frozen=True)
class Allowance:
    """One private service that may be reached: an address or network, and a port."""

    network: _Network
    port: int

    def admits(self, address: _Address, port: int) -> bool:
        return (port == self.port and address.version == self.network.version
                and address in self.network)

    def __str__(self) -> str:
        shown = str(self.network) if self.network.num_addresses > 1 else str(
            self.network.network_address)
        return f"[{shown}]:{self.port}" if self.network.version == 6 else f"{shown}:{self.port}"


@dataclasses.dataclass(frozen=True)
class HttpPolicy:
    """The rules of every outbound request (built from the plugin options)."""

    timeout: float = 30
    retries: int = 3
    max_bytes: int = 50 * 1024 * 1024
    allowed_private_networks: tuple[str, ...] = ()
    user_agent: str = "ckanext-plusresilient"
    max_redirects: int = 5
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if not self.timeout or self.timeout <= 0:
            raise ValueError(f"HTTP timeout must be positive, not {self.timeout!r}")
        if self.retries < 0:
            raise ValueError(f"HTTP retries cannot be negative ({self.retries!r})")
        if self.max_bytes <= 0:
            raise ValueError(f"HTTP max_bytes must be positive, not {self.max_bytes!r}")
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects cannot be negative ({self.max_redirects!r})")
        if self.backoff < 0:
            raise ValueError(f"HTTP backoff cannot be negative ({self.backoff!r})")
        # A list, or a space-separated string, from the config is accepted too;
        # keep the policy hashable.
        networks = self.allowed_private_networks or ()
        if isinstance(networks, str):
            networks = networks.split()
        object.__setattr__(self, "allowed_private_networks",
                           tuple(str(entry).strip() for entry in networks if str(entry).strip()))
        _parse_allowances(self.allowed_private_networks)  # fail at startup, not on first fetch


class FetchError(Exception):
    """One clear line for a harvest error / a link check: what failed, on which URL.

    ``FetchError(url, status, kind, message)``, positionally or by keyword;
    ``kind`` is one of KINDS; without a message a plain one is made up.
    """

    def __init__(self, url: str, status: int | None = None, kind: str | None = None,
                 message: str | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown FetchError kind {kind!r}")
        if message is None:
            message = (f"HTTP {status} from {url}" if kind == "http"
                       else f"{kind.replace('_', ' ')} error on {url}")
        super().__init__(message)
        self.message = message
        self.url = url
        self.kind = kind
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"FetchError(kind={self.kind!r}, status={self.status!r}, url={self.url!r})"

    def __reduce__(self):  # keyword-only arguments: pickle (job queues) needs help
        return (_rebuild_fetch_error, (self.message, self.url, self.kind, self.status))


def _rebuild_fetch_error(message: str, url: str, kind: str, status: int | None) -> FetchError:
    return FetchError(url, status, kind, message)


@dataclasses.dataclass
class Response:
    """A fully read response (``content`` is empty for HEAD or with ``stream_to``)."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    elapsed: float

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower case ("" when not declared)."""
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset declared in Content-Type, if any."""
        for param in (self.headers.get("Content-Type") or "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8 (bad bytes replaced)."""
        charset = self.charset or "utf-8"
        try:
            codec = "utf-8-sig" if _codec_name(charset) == "utf-8" else charset
            return self.content.decode(codec, errors="replace")
        except LookupError:
            return self.content.decode("utf-8-sig", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; FetchError(kind="malformed") when it is not."""
        try:
            return json.loads(self.text())
        except (ValueError, RecursionError) as exc:
            reason = (f"{exc.msg} at line {exc.lineno} column {exc.colno}"
                      if isinstance(exc, json.JSONDecodeError) else "nested too deeply")
            raise FetchError(message=f"malformed JSON from {_redact(self.url)}: {reason}",
                             url=_redact(self.url), kind="malformed",
                             status=self.status) from None


def check_url(url: str, policy: HttpPolicy) -> None:
    """The guard alone: resolve the URL's host and refuse what the policy forbids.

    Raises FetchError with kind "scheme" (not http/https), "malformed" (no host,
    bad port), "blocked" (a forbidden address) or "connection" (the name does not
    resolve).
    """
    host, port = _split_target(url)
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(message=f"cannot resolve the host of {_redact(url)}",
                         url=_redact(url), kind="connection") from None
    allowances = _parse_allowances(policy.allowed_private_networks)
    for info in infos:
        try:
            _check_address(host, info[4][0], port, allowances)
        except _Blocked as blocked:
            raise blocked.fetch_error(url) from None


class SafeSession:
    """requests with the suite's guard, limits and retries; see the module docstring.

    ``session`` may be given (cookies, auth, extra headers); the guarded
    adapters are mounted on it for http:// and https://. One SafeSession is
    meant for one thread at a time, like a requests.Session.
    """

    def __init__(self, policy: HttpPolicy | None = None,
                 session: requests.Session | None = None):
        self.policy = policy or HttpPolicy()
        self._allowances = _parse_allowances(self.policy.allowed_private_networks)
        self._local = threading.local()
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._adapter = _GuardedAdapter(self._allowances, self._local)
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)

    def __enter__(self) -> SafeSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()
        else:
            self._adapter.close()

    def get(self, url: str, *, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None, accept: str | None = None,
            max_bytes: int | None = None, stream_to: IO[bytes] | None = None,
            deadline: float | None = None) -> Response:
        """GET ``url``, following redirects, and read the whole body.

        ``max_bytes`` overrides the policy's limit for this call. With
        ``stream_to`` (a binary file) the body is written there instead of
        kept in ``content``; on a failure the file may hold part of it.
        ``deadline`` (``time.monotonic()``) ends the whole fetch, retries
        included (see the module docstring).
        """
        return self._fetch("GET", url, params=params, headers=headers, accept=accept,
                           max_bytes=max_bytes or self.policy.max_bytes, stream_to=stream_to,
                           deadline=deadline)

    def head(self, url: str, *, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, accept: str | None = None,
             max_bytes: int | None = None, stream_to: IO[bytes] | None = None,
             deadline: float | None = None) -> Response:
        """HEAD ``url`` (link checks): status and headers, no body."""
        return self._fetch("HEAD", url, params=params, headers=headers, accept=accept,
                           max_bytes=max_bytes or self.policy.max_bytes, stream_to=None,
                           deadline=deadline)

    # -- internals ---------------------------------------------------------

    def _fetch(self, method: str, url: str, *, params, headers, accept,
               max_bytes: int, stream_to, deadline: float | None) -> Response:
        started = time.monotonic()
        clock = _Clock(started, deadline)
        request_headers = {"User-Agent": self.policy.user_agent}
        if accept:
            request_headers["Accept"] = accept
        request_headers.update(headers or {})
        current = url
        redirects = 0
        while True:
            outcome = self._with_retries(method, current, params, request_headers,
                                         max_bytes, stream_to, clock)
            if isinstance(outcome, _Redirect):
                redirects += 1
                if redirects > self.policy.max_redirects:
                    raise FetchError(
                        message=f"more than {self.policy.max_redirects} redirects from "
                                f"{_redact(url)}",
                        url=_redact(url), kind="too_many_redirects", status=outcome.status)
                target = urljoin(outcome.url, outcome.location.strip())
                target = urlunsplit(urlsplit(target)._replace(fragment=""))
                if urlsplit(target).hostname != urlsplit(outcome.url).hostname:
                    request_headers = {k: v for k, v in request_headers.items()
                                       if k.lower() not in ("authorization", "cookie",
                                                            "proxy-authorization")}
                current, params = target, None  # the Location carries its own query
                continue
            outcome.elapsed = time.monotonic() - started
            return outcome

    def _with_retries(self, method, url, params, headers, max_bytes, stream_to, clock):
        retries = self.policy.retries
        rewind = _rewinder(stream_to)
        attempts = 0
        while True:
            clock.check(url, attempts)
            attempts += 1
            try:
                outcome = self._attempt(method, url, params, headers, max_bytes,
                                        stream_to, rewind, clock)
            except _Failure as failure:
                delay = self._backoff(attempts)
                retry = failure.retryable and attempts <= retries
                if retry and clock.allows(delay):
                    log.info("retrying (%d of %d): %s", attempts, retries, failure.message)
                    time.sleep(delay)
                    continue
                raise FetchError(message=failure.message + _attempts_suffix(attempts)
                                 + (clock.no_retry() if retry else ""),
                                 url=_redact(url), kind=failure.kind) from None
            if isinstance(outcome, _ErrorStatus):
                delay = outcome.retry_after
                delay = self._backoff(attempts) if delay is None else delay
                retry = outcome.status in RETRY_STATUSES and attempts <= retries
                if retry and clock.allows(delay):
                    log.info("retrying (%d of %d): HTTP %d from %s", attempts, retries,
                             outcome.status, _redact(outcome.url))
                    time.sleep(delay)
                    continue
                raise FetchError(
                    message=f"HTTP {outcome.status} from {_redact(outcome.url)}"
                    + _attempts_suffix(attempts) + (clock.no_retry() if retry else ""),
                    url=_redact(outcome.url), kind="http", status=outcome.status)
            return outcome

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.backoff * 2 ** (attempt - 1), MAX_RETRY_AFTER)

    def _attempt(self, method, url, params, headers, max_bytes, stream_to, rewind, clock):
        """One request; returns a Response, a _Redirect or an _ErrorStatus."""
        timeout = clock.cut(float(self.policy.timeout))
        try:
            check_url(url, self.policy)
        except FetchError as error:
            if error.kind == "connection":  # DNS may come back: retry
                raise _Failure("connection", str(error), retryable=True) from None
            raise
        attempt = _Attempt(clock.cut(4 * float(self.policy.timeout)))
        watchdog = threading.Timer(attempt.limit, attempt.expire)
        watchdog.daemon = True
        self._local.current = attempt
        watchdog.start()
        response = None
        finished = False
        try:
            response = self._session.request(
                method, url, params=params, headers=headers, timeout=(timeout, timeout),
                allow_redirects=False, stream=True)
            status = response.status_code
            location = response.headers.get("Location")
            if status in REDIRECT_STATUSES and location:
                return _Redirect(response.url, status, location)
            if status >= 400:
                return _ErrorStatus(response.url, status,
                                    _retry_after(response.headers.get("Retry-After")))
            content = b""
            if method != "HEAD":
                content = self._read_body(response, max_bytes, stream_to, attempt, timeout)
                finished = True
            return Response(url=response.url, status=status, headers=response.headers,
                            content=content, elapsed=0.0)
        except _Blocked as blocked:  # raised by the connection itself (DNS rebinding)
            raise blocked.fetch_error(url) from None
        except (FetchError, _Failure):
            raise
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
            if attempt.expired:
                raise _Failure("timeout", _deadline_message(url, attempt.limit)) from None
            failure = _classify(exc, url, timeout)
            if failure is None:
                raise
            if failure.retryable and attempt.written and not rewind():
                failure.retryable = False
            raise failure from None
        finally:
            watchdog.cancel()
            attempt.finish()
            self._local.current = None
            if response is not None:
                if finished:
                    response.raw.release_conn()
                else:
                    response.close()

    def _read_body(self, response, max_bytes, stream_to, attempt, timeout) -> bytes:
        url = response.url
        declared = (response.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(
                message=f"response from {_redact(url)} is {_size(int(declared))}, over the "
                f"{_size(max_bytes)} limit", url=_redact(url), kind="too_large",
                status=response.status_code)
        parts: list[bytes] = []
        total = 0
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            total += len(chunk)
            if total > max_bytes:
                raise FetchError(
                    message=f"response from {_redact(url)} is over the "
                            f"{_size(max_bytes)} limit",
                    url=_redact(url), kind="too_large", status=response.status_code)
            if attempt.expired:
                break
            if stream_to is not None:
                stream_to.write(chunk)
                attempt.written += len(chunk)
            else:
                parts.append(chunk)
        if attempt.expired:  # the watchdog may have cut a body that ends at close
            raise _Failure("timeout", _deadline_message(url, attempt.limit))
        return b"".join(parts)


# -- the guard ---------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _parse_allowances(entries: tuple[str, ...]) -> tuple[Allowance, ...]:
    return tuple(_parse_allowance(str(entry).strip()) for entry in entries)


def _parse_allowance(entry: str) -> Allowance:
    def refuse(why: str) -> ValueError:
        return ValueError(f"{ALLOWED_NETWORKS_OPTION}: {entry!r} {why}; allow one service at "
                          f"a time, as an address or network and a port, like "
                          f"{ALLOWANCE_EXAMPLE}")

    if entry.startswith("["):
        inside, bracket, rest = entry[1:].partition("]")
        if not bracket:
            raise refuse("has no closing bracket")
        if not rest:
            raise refuse("names no port (it would open every port of those addresses)")
        if not rest.startswith(":"):
            raise refuse("has something other than :port after the brackets")
        address, port = inside, rest[1:]
    elif entry.count(":") > 1:
        try:  # a bare IPv6 address or network, with or without a port glued on
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise refuse("is ambiguous: write an IPv6 address in brackets, [::1]:8080") from None
        raise refuse("names no port (it would open every port of those addresses); write "
                     "an IPv6 address in brackets, [::1]:8080")
    elif ":" in entry:
        address, _, port = entry.rpartition(":")
    else:
        address, port = entry, ""
    try:
        network = ipaddress.ip_network(address, strict=False)
    except ValueError:
        raise refuse("is not an address or network (host names are not allowed: "
                     "the address they resolve to is what is checked)") from None
    if not port:
        raise refuse("names no port (it would open every port of those addresses)")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise refuse(f"has no valid port ({port!r}: a number from 1 to 65535)")
    return Allowance(network, int(port))


def _split_target(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(message=f"malformed URL {_redact(url)!r}", url=_redact(url),
                         kind="malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise FetchError(message=f"refused {_redact(url)}: only http and https URLs are "
                                 f"fetched ({shown})", url=_redact(url), kind="scheme")
    if not parts.hostname:
        raise FetchError(message=f"malformed URL {_redact(url)!r}: no host",
                         url=_redact(url), kind="malformed")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def _forbidden(ip: _Address) -> str | None:
    """Why an address may not be reached, or None for a public one."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def _check_address(host: str, address: str, port: int,
                   allowances: tuple[Allowance, ...]) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.insert(0, ip.ipv4_mapped)
    reason = next((r for r in map(_forbidden, candidates) if r), None)
    if reason is None:
        return
    if any(allowance.admits(c, port) for c in candidates for allowance in allowances):
        return
    raise _Blocked(host, str(candidates[0]), port, reason)


class _Blocked(Exception):
    """A forbidden address met at connection time (not an OSError: urllib3 lets it through)."""

    def __init__(self, host: str, address: str, port: int, reason: str):
        super().__init__(host, address, port, reason)
        self.host, self.address, self.port, self.reason = host, address, port, reason

    def fetch_error(self, url: str) -> FetchError:
        host = self.host.strip("[]")
        where = (f"{self.address} is" if host == self.address
                 else f"host {host} resolves to {self.address},")
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return FetchError(
            url=_redact(url), kind="blocked",
            message=f"refused {_redact(url)}: {where} {_article(self.reason)} {self.reason} "
                    f"address (port {self.port}); to allow this one service, add "
                    f"{shown}:{self.port} to {ALLOWED_NETWORKS_OPTION}")


# -- connections that resolve once, check, and connect to what they checked ----

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


# -- the caller's deadline -------------------------------------------------------

class _Clock:
    """The time left of one fetch, when its caller set a deadline."""

    def __init__(self, started: float, deadline: float | None):
        self.started = started
        self.deadline = deadline

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def cut(self, seconds: float) -> float:
        """``seconds``, or the time left if that is shorter."""
        left = self.left()
        return seconds if left is None else max(min(seconds, left), 0.001)

    def allows(self, delay: float) -> bool:
        """Whether a retry after ``delay`` would still start before the deadline."""
        left = self.left()
        return left is None or delay < left

    def allowed(self) -> float:
        return max((self.deadline or self.started) - self.started, 0.0)

    def no_retry(self) -> str:
        """Why a retryable failure was not retried: the caller's deadline."""
        return f", with no time left to retry within the {self.allowed():.3g} s allowed"

    def check(self, url: str, attempts: int) -> None:
        """Raise the timeout once the deadline has passed."""
        left = self.left()
        if left is not None and left <= 0:
            raise FetchError(
                message=f"timed out: {_redact(url)} did not finish within the "
                        f"{self.allowed():.3g} s allowed" + _attempts_suffix(attempts),
                url=_redact(url), kind="timeout")


# -- outcomes and failures -----------------------------------------------------

@dataclasses.dataclass
class _Redirect:
    url: str
    status: int
    location: str


@dataclasses.dataclass
class _ErrorStatus:
    url: str
    status: int
    retry_after: float | None


class _Failure(Exception):
    def __init__(self, kind: str, message: str, retryable: bool = False):
        super().__init__(message)
        self.kind, self.message, self.retryable = kind, message, retryable


def _classify(exc: BaseException, url: str, timeout: float) -> _Failure | None:
    shown = _redact(url)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _Failure("timeout", f"timed out after {timeout:g} s connecting to {shown}",
                        retryable=True)
    if isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError,
                        socket.timeout)):
        return _Failure("timeout", f"timed out after {timeout:g} s waiting for {shown}",
                        retryable=True)
    if isinstance(exc, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
        return _Failure("connection", f"TLS failure with {shown}: {_reason(exc)}")
    if isinstance(exc, (urllib3.exceptions.DecodeError,
                        requests.exceptions.ContentDecodingError)):
        return _Failure("malformed", f"cannot decode the compressed body from {shown}")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader,
                        urllib3.exceptions.LocationParseError)):
        return _Failure("malformed", f"malformed URL or header for {shown}")
    if isinstance(exc, (requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError,
                        OSError)):
        return _Failure("connection", f"connection to {shown} failed: {_reason(exc)}",
                        retryable=True)
    return None


def _reason(exc: BaseException) -> str:
    """A short cause from the errno of the deepest OSError; never str() of a message
    that might quote the body (urllib3 quotes bad chunk lines, for one)."""
    stack, seen, found = [exc], set(), None
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (socket.gaierror, urllib3.exceptions.NameResolutionError)):
            return "the host name does not resolve"
        if isinstance(current, ssl.SSLCertVerificationError) and current.verify_message:
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, OSError) and current.strerror:
            found = current.strerror
        stack.extend(e for e in (current.__cause__, current.__context__,
                                 getattr(current, "reason", None), *current.args)
                     if isinstance(e, BaseException))
    if found:
        return found[:1].lower() + found[1:]
    if isinstance(exc, (urllib3.exceptions.ProtocolError, requests.exceptions.ConnectionError)):
        return "the connection broke off"
    return type(exc).__name__


def _deadline_message(url: str, limit: float) -> str:
    return (f"timed out: {_redact(url)} did not send its whole response within "
            f"{limit:.3g} s")


def _attempts_suffix(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _rewinder(stream_to):
    """A callable that undoes a failed attempt's writes; False when it cannot."""
    if stream_to is None:
        return lambda: True
    try:
        start = stream_to.tell() if stream_to.seekable() else None
    except (OSError, ValueError, AttributeError):
        start = None

    def rewind() -> bool:
        try:
            if start is None:
                return False
            stream_to.seek(start)
            stream_to.truncate()
            return True
        except (OSError, ValueError, AttributeError):
            return False

    return rewind


def _redact(url: str) -> str:
    """The URL without user:password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _codec_name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return charset.lower()
