"""SafeSession: one fetch, with its redirects, retries, deadline and size limit.

The guard (``policy``) says what may be reached and the connections
(``connection``) hold to it; this is the loop around them: redirects are
followed here (each target checked again), what may succeed later is
retried, the caller's deadline ends it all, and the body is read within
``max_bytes``, into memory or into a file.
"""
from __future__ import annotations

import dataclasses
import email.utils
import logging
import socket
import ssl
import threading
import time
from typing import IO, Any, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions

from ckanext.plusresilient.safe_http.connection import _Attempt, _GuardedAdapter
from ckanext.plusresilient.safe_http.policy import (
    HttpPolicy,
    _Blocked,
    _parse_allowances,
    check_url,
)
from ckanext.plusresilient.safe_http.response import FetchError, Response, _redact, _size

# The package's logger: the whole client logs under one name.
log = logging.getLogger(__package__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 30.0
CHUNK = 64 * 1024


class SafeSession:
    """requests with the suite's guard, limits and retries; see the package docstring.

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
        included (see the package docstring).
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
