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

This package imports only requests, urllib3 and the standard library, so code
without a CKAN stack (the quality scorer's core, tests) can use it. Its parts
read alone, each on one role:

``policy``
    The guard: the options of every request, the allowances that name one
    private service each, what counts as a non-public address, ``check_url``.
``response``
    What a fetch gives back: a Response, or a FetchError of one line; and
    the redaction every message goes through.
``connection``
    Connections that resolve a host once, check every address and connect
    only to those (DNS rebinding), with the whole-response watchdog.
``session``
    SafeSession: redirects, retries, the caller's deadline, the size limit.

Everything is imported from here (``from ckanext.plusresilient.safe_http
import SafeSession``); the parts are not an API of their own.
"""
from ckanext.plusresilient.safe_http.policy import Allowance, HttpPolicy, check_url
from ckanext.plusresilient.safe_http.response import FetchError, Response
from ckanext.plusresilient.safe_http.session import SafeSession

# Read from here too, outside __all__: the option's name (the loopback test
# servers and the demo allow their own port with it), the constants, the
# helpers the data check's messages share, and the function pickled
# FetchErrors (job queues) are rebuilt with.
from ckanext.plusresilient.safe_http.policy import (  # noqa: F401
    ALLOWANCE_EXAMPLE, ALLOWED_NETWORKS_OPTION,
)
from ckanext.plusresilient.safe_http.response import (  # noqa: F401
    KINDS, _rebuild_fetch_error, _redact, _size,
)
from ckanext.plusresilient.safe_http.session import (  # noqa: F401
    CHUNK, MAX_RETRY_AFTER, REDIRECT_STATUSES, RETRY_STATUSES,
)

__all__ = ["Allowance", "HttpPolicy", "FetchError", "Response", "SafeSession", "check_url"]
