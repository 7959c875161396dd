"""The outbound HTTP client against real HTTP servers on 127.0.0.1.

No CKAN stack is needed:
    python -m pytest tests/infra/test_safe_http.py -p no:ckan -o addopts=""
"""
from __future__ import annotations

import collections
import gzip
import io
import json
import socket
import time

import pytest

from ckanext.plusresilient.safe_http import (
    FetchError,
    HttpPolicy,
    SafeSession,
    check_url,
)
from tests.loopback_http import policy, server, unlisted_server  # noqa: F401 - fixtures

OPTION = "ckanext.plusresilient.http.allowed_private_networks"


def fetch_error(call, *args, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        call(*args, **kwargs)
    return info.value


# -- successful fetches ---------------------------------------------------------

def test_json_200(server):
    payload = {"success": True, "result": ["a", "é"]}
    server.routes["/api"] = lambda h: h.reply(
        200, json.dumps(payload).encode(), "application/json; charset=utf-8")
    with SafeSession(policy(user_agent="test-agent")) as session:
        response = session.get(server.url("/api"), params={"q": "x"},
                               accept="application/json")
    assert response.status == 200
    assert response.json() == payload
    assert response.content_type == "application/json"
    assert response.headers["content-type"].startswith("application/json")
    assert response.url == server.url("/api?q=x")
    assert response.elapsed < 1


def test_malformed_json_names_the_url(server):
    server.routes["/bad"] = lambda h: h.reply(200, b"<html>secret page</html>", "text/html")
    with SafeSession(policy()) as session:
        response = session.get(server.url("/bad"))
    error = fetch_error(response.json)
    assert error.kind == "malformed"
    assert str(error).startswith(f"malformed JSON from {server.url('/bad')}: ")
    assert "secret" not in str(error)


def test_text_uses_the_declared_charset(server):
    server.routes["/latin"] = lambda h: h.reply(200, "Ciència oberta".encode("latin-1"),
                                               "text/plain; charset=ISO-8859-1")
    server.routes["/undeclared"] = lambda h: h.reply(200, b"caf\xc3\xa9 \xff", "text/plain")
    with SafeSession(policy()) as session:
        assert session.get(server.url("/latin")).text() == "Ciència oberta"
        assert session.get(server.url("/undeclared")).text() == "café \ufffd"


def test_sends_the_user_agent_and_accept(server):
    seen = {}

    def echo(handler):
        seen.update(handler.headers)
        handler.reply(200, b"ok")

    server.routes["/echo"] = echo
    with SafeSession(policy(user_agent="svrc-harvester/1")) as session:
        session.get(server.url("/echo"), accept="application/rdf+xml")
    assert seen["User-Agent"] == "svrc-harvester/1"
    assert seen["Accept"] == "application/rdf+xml"


def test_head_reads_no_body_and_ignores_a_large_length(server):
    def big(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/zip")
        handler.send_header("Content-Length", str(10 * 1024 * 1024))
        handler.end_headers()

    server.routes["/file.zip"] = big
    with SafeSession(policy(max_bytes=1024)) as session:
        response = session.head(server.url("/file.zip"))
    assert response.status == 200
    assert response.content == b""
    assert response.content_type == "application/zip"


def test_gzip_body_is_decoded(server):
    body = json.dumps({"ok": True}).encode()
    server.routes["/gz"] = lambda h: h.reply(200, gzip.compress(body), "application/json",
                                            headers=[("Content-Encoding", "gzip")])
    with SafeSession(policy()) as session:
        assert session.get(server.url("/gz")).json() == {"ok": True}


# -- the guard --------------------------------------------------------------------

def test_loopback_refused_unless_allowed(server):
    server.routes["/"] = lambda h: h.reply(200, b"internal")
    with SafeSession(policy(allowed_private_networks=())) as session:
        error = fetch_error(session.get, server.url("/"))
    assert error.kind == "blocked"
    assert "127.0.0.1" in str(error) and OPTION in str(error)
    assert error.url == server.url("/")
    assert server.count("/") == 0


@pytest.mark.parametrize("url, address", [
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("http://10.0.0.1/", "10.0.0.1"),
    ("http://[::1]:8080/", "::1"),
    ("http://0.0.0.0/", "0.0.0.0"),
    ("http://[::ffff:10.0.0.1]/", "10.0.0.1"),
    ("http://localhost/", "localhost"),
])
def test_internal_addresses_refused(url, address):
    strict = policy(allowed_private_networks=())
    error = fetch_error(check_url, url, strict)
    assert error.kind == "blocked"
    assert address in str(error) and OPTION in str(error)
    with SafeSession(strict) as session:
        started = time.monotonic()
        assert fetch_error(session.get, url).kind == "blocked"
        assert time.monotonic() - started < 1


@pytest.mark.parametrize("url", ["ftp://example.org/data.csv", "file:///etc/passwd",
                                 "gopher://example.org/"])
def test_other_schemes_refused(url):
    assert fetch_error(check_url, url, policy()).kind == "scheme"
    with SafeSession(policy()) as session:
        assert fetch_error(session.get, url).kind == "scheme"


def test_public_address_passes_the_guard():
    check_url("https://93.184.216.34/", policy(allowed_private_networks=()))


def test_invalid_allowed_network_is_a_config_error():
    with pytest.raises(ValueError, match=OPTION):
        HttpPolicy(allowed_private_networks=("not-a-network",))


@pytest.mark.parametrize("entry, says", [
    ("127.0.0.1/32", "names no port"),
    ("127.0.0.1", "names no port"),
    ("10.20.0.0/16", "names no port"),
    ("[::1]", "names no port"),
    ("::1", "names no port"),
    ("127.0.0.1:http", "port"),
    ("127.0.0.1:0", "port"),
    ("127.0.0.1:65536", "port"),
    ("localhost:5001", "not an address or network"),
    ("::1:8080", "brackets"),
])
def test_an_allowance_names_one_port(entry, says):
    """A bare network opened every port of those machines (the database,
    Solr, Redis); an allowance now opens one service."""
    with pytest.raises(ValueError) as info:
        HttpPolicy(allowed_private_networks=(entry,))
    message = str(info.value)
    assert OPTION in message and repr(entry) in message and says in message
    assert "127.0.0.1:5001" in message  # the message shows how to write it


@pytest.mark.parametrize("entry", ["127.0.0.1:5001", "10.20.0.0/16:443", "[::1]:8080",
                                   "[fd00::/8]:443", " 127.0.0.1:5001 "])
def test_allowances_with_a_port_are_accepted(entry):
    HttpPolicy(allowed_private_networks=(entry,))


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "0x7f000001",
                                  "localhost"])
def test_an_allowance_opens_its_port_only(server, unlisted_server, host):
    """However the address is spelled, only the allowed port answers."""
    server.routes["/ok"] = lambda h: h.reply(200, b"sample portal")
    unlisted_server.routes["/select"] = lambda h: h.reply(200, b"title\nSECRET plan\n", "text/csv")
    only = policy(allowed_private_networks=(f"127.0.0.1:{server.port}",))
    with SafeSession(only) as session:
        assert session.get(f"http://{host}:{server.port}/ok").content == b"sample portal"
        error = fetch_error(session.get, f"http://{host}:{unlisted_server.port}/select?q=*")
    assert error.kind == "blocked"
    assert f"port {unlisted_server.port}" in str(error)
    assert unlisted_server.count("/select") == 0
    with pytest.raises(FetchError) as info:
        check_url(f"http://{host}:{unlisted_server.port}/select", only)
    assert info.value.kind == "blocked"
    check_url(f"http://{host}:{server.port}/ok", only)


def test_the_default_port_counts(server):
    """http://10.0.0.1/ is port 80: an allowance for :443 does not open it."""
    only = policy(allowed_private_networks=("10.0.0.0/8:443",))
    assert fetch_error(check_url, "http://10.0.0.1/", only).kind == "blocked"
    check_url("https://10.0.0.1/", only)


def test_redirect_to_another_port_is_blocked(server, unlisted_server):
    server.routes["/go"] = lambda h: h.reply(
        302, headers=[("Location", unlisted_server.url("/select?q=title:SECRET*"))])
    only = policy(allowed_private_networks=(f"127.0.0.1:{server.port}",))
    with SafeSession(only) as session:
        error = fetch_error(session.get, server.url("/go"))
    assert error.kind == "blocked"
    assert unlisted_server.count("/select") == 0


def test_redirect_to_metadata_service_is_blocked(server):
    server.routes["/go"] = lambda h: h.reply(
        302, headers=[("Location", "http://169.254.169.254/latest/meta-data")])
    with SafeSession(policy(timeout=5, retries=2)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/go"))
    assert time.monotonic() - started < 1  # refused, not a connect attempt timing out
    assert error.kind == "blocked"
    assert error.url == "http://169.254.169.254/latest/meta-data"
    assert "169.254.169.254" in str(error)


def test_dns_rebinding_is_caught_at_connection_time(server, monkeypatch):
    """A name that is public for the check and loopback for the connection."""
    server.routes["/"] = lambda h: h.reply(200, b"internal")
    real = socket.getaddrinfo
    lookups = collections.Counter()

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            lookups[host] += 1
            address = "93.184.216.34" if lookups[host] == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with SafeSession(policy(allowed_private_networks=())) as session:
        error = fetch_error(session.get, f"http://rebind.example:{server.port}/")
    assert error.kind == "blocked"
    assert "rebind.example resolves to 127.0.0.1" in str(error)
    assert lookups["rebind.example"] == 2
    assert server.count("/") == 0


# -- redirects ----------------------------------------------------------------------

def test_redirect_chain_followed(server):
    server.routes["/a"] = lambda h: h.reply(301, headers=[("Location", "/b")])
    server.routes["/b"] = lambda h: h.reply(302, headers=[("Location", server.url("/c"))])
    server.routes["/c"] = lambda h: h.reply(307, headers=[("Location", "d?page=2")])
    server.routes["/d"] = lambda h: h.reply(200, b"arrived")
    with SafeSession(policy()) as session:
        response = session.get(server.url("/a"))
    assert response.content == b"arrived"
    assert response.url == server.url("/d?page=2")


def test_redirect_loop(server):
    server.routes["/x"] = lambda h: h.reply(302, headers=[("Location", "/y")])
    server.routes["/y"] = lambda h: h.reply(302, headers=[("Location", "/x")])
    with SafeSession(policy(max_redirects=5)) as session:
        error = fetch_error(session.get, server.url("/x"))
    assert error.kind == "too_many_redirects"
    assert server.count("/x") + server.count("/y") == 6


# -- retries ------------------------------------------------------------------------

def test_500_twice_then_200(server):
    def flaky(handler):
        if server.count("/flaky") <= 2:
            handler.reply(500, b"oops")
        else:
            handler.reply(200, b"fine")

    server.routes["/flaky"] = flaky
    with SafeSession(policy(retries=2)) as session:
        assert session.get(server.url("/flaky")).content == b"fine"
    assert server.count("/flaky") == 3


def test_500_always(server):
    server.routes["/down"] = lambda h: h.reply(500, b"internal details")
    with SafeSession(policy(retries=2)) as session:
        error = fetch_error(session.get, server.url("/down"))
    assert error.kind == "http" and error.status == 500
    assert str(error) == f"HTTP 500 from {server.url('/down')} after 3 attempts"
    assert server.count("/down") == 3


def test_404_not_retried(server):
    with SafeSession(policy(retries=3)) as session:
        error = fetch_error(session.get, server.url("/missing"))
    assert error.kind == "http" and error.status == 404
    assert str(error) == f"HTTP 404 from {server.url('/missing')}"
    assert server.count("/missing") == 1


def test_429_with_retry_after_is_retried(server):
    def limited(handler):
        if server.count("/limited") == 1:
            handler.reply(429, headers=[("Retry-After", "0")])
        else:
            handler.reply(200, b"ok")

    server.routes["/limited"] = limited
    # backoff is large: the Retry-After of 0 must win over it.
    with SafeSession(policy(retries=1, backoff=5)) as session:
        started = time.monotonic()
        assert session.get(server.url("/limited")).content == b"ok"
    assert time.monotonic() - started < 1
    assert server.count("/limited") == 2


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with SafeSession(policy(retries=1, allowed_private_networks=(f"127.0.0.1:{port}",))) as session:
        error = fetch_error(session.get, f"http://127.0.0.1:{port}/")
    assert error.kind == "connection"
    assert "refused" in str(error) and "after 2 attempts" in str(error)


# -- slow servers -------------------------------------------------------------------

def test_server_slower_than_timeout(server):
    def slow(handler):
        server.stopping.wait(3)
        handler.reply(200, b"too late")

    server.routes["/slow"] = slow
    p = policy(timeout=0.3, retries=0)
    with SafeSession(p) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/slow"))
    assert error.kind == "timeout"
    assert time.monotonic() - started < 2 * p.timeout + p.backoff


def test_slow_server_retried_then_reported(server):
    server.routes["/slow"] = lambda h: server.stopping.wait(3)
    with SafeSession(policy(timeout=0.2, retries=1)) as session:
        error = fetch_error(session.get, server.url("/slow"))
    assert error.kind == "timeout" and "after 2 attempts" in str(error)
    assert server.count("/slow") == 2


def test_trickling_body_hits_the_whole_response_deadline(server):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()  # no length: the body would end when the server closes
        while not server.stopping.wait(0.2):
            handler.wfile.write(b"x")
            handler.wfile.flush()

    server.routes["/trickle"] = trickle
    with SafeSession(policy(timeout=0.5, retries=2)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/trickle"))
    elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert "within 2 s" in str(error)
    assert 1.9 < elapsed < 3  # ~4 * timeout, and the deadline is not retried
    assert server.count("/trickle") == 1


def test_trickling_headers_hit_the_deadline(server):
    def trickle(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not server.stopping.wait(0.1):
            handler.wfile.write(b"X-Pad: y\r\n")
            handler.wfile.flush()

    server.routes["/headers"] = trickle
    with SafeSession(policy(timeout=0.25)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/headers"))
    assert error.kind == "timeout"
    assert time.monotonic() - started < 1.5


def test_deadline_bounds_every_attempt_and_retry(server):
    """Each attempt waits a read timeout and the retries multiply it (the
    data check once took 123.6 s against its 60 s limit): a caller's
    deadline ends the whole fetch, retries and backoff included."""
    url = server.stall("/stall.csv")  # headers, 4 bytes, then nothing
    with SafeSession(policy(timeout=1, retries=3, backoff=0.5)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, url, deadline=started + 1.5)
        elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert elapsed < 1.9
    assert "1.5 s" in str(error) and url in str(error)


def test_no_retry_is_started_past_the_deadline(server):
    server.routes["/busy"] = lambda h: h.reply(503, b"busy", headers=[("Retry-After", "20")])
    with SafeSession(policy(timeout=1, retries=3)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/busy"), deadline=started + 1)
        elapsed = time.monotonic() - started
    assert (error.kind, error.status) == ("http", 503)
    assert elapsed < 0.5  # a 20 s Retry-After would overrun the deadline: not waited for
    assert server.count("/busy") == 1


def test_retries_still_happen_within_the_deadline(server):
    answers = iter([500, 500, 200])
    server.routes["/flaky"] = lambda h: h.reply(next(answers), b"ok")
    with SafeSession(policy(timeout=1, retries=3)) as session:
        response = session.get(server.url("/flaky"), deadline=time.monotonic() + 10)
    assert response.status == 200 and server.count("/flaky") == 3


def test_a_spent_deadline_sends_nothing(server):
    server.routes["/x"] = lambda h: h.reply(200, b"x")
    with SafeSession(policy()) as session:
        error = fetch_error(session.head, server.url("/x"), deadline=time.monotonic() - 1)
    assert error.kind == "timeout"
    assert server.count("/x") == 0


# -- size limits --------------------------------------------------------------------

def test_declared_length_over_the_limit_refused_unread(server):
    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(10 * 1024 * 1024))
        handler.end_headers()
        handler.wfile.flush()
        server.stopping.wait(5)  # never sends the body: reading it would time out

    server.routes["/huge"] = huge
    with SafeSession(policy(max_bytes=1024 * 1024, timeout=3)) as session:
        started = time.monotonic()
        error = fetch_error(session.get, server.url("/huge"))
    assert error.kind == "too_large"
    assert time.monotonic() - started < 1
    assert "10 MB" in str(error) and "1 MB" in str(error)


def test_endless_chunked_stream_stopped_at_the_limit(server):
    sent = collections.Counter()

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"a,b,c\n" * 2000
        while not server.stopping.is_set():
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent["bytes"] += len(chunk)

    server.routes["/endless"] = endless
    limit = 1024 * 1024
    sink = io.BytesIO()
    with SafeSession(policy(max_bytes=limit)) as session:
        error = fetch_error(session.get, server.url("/endless"), stream_to=sink)
    assert error.kind == "too_large"
    assert limit - 64 * 1024 <= len(sink.getvalue()) <= limit


def test_gzip_bomb_stopped_at_the_decoded_limit(server):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 256 * 1024
    server.routes["/bomb"] = lambda h: h.reply(200, bomb, "application/json",
                                              headers=[("Content-Encoding", "gzip")])
    with SafeSession(policy(max_bytes=1024 * 1024)) as session:
        error = fetch_error(session.get, server.url("/bomb"))
    assert error.kind == "too_large"


def test_max_bytes_per_call(server):
    server.routes["/body"] = lambda h: h.reply(200, b"y" * 5000)
    with SafeSession(policy()) as session:
        assert len(session.get(server.url("/body")).content) == 5000
        assert fetch_error(session.get, server.url("/body"), max_bytes=4096).kind == "too_large"


def test_keep_alive_connection_reused(server):
    ports = set()

    def who(handler):
        ports.add(handler.client_address[1])
        handler.reply(200, b"ok")

    server.routes["/who"] = who
    with SafeSession(policy()) as session:
        for _ in range(3):
            session.get(server.url("/who"))
    assert len(ports) == 1


def test_fetch_error_survives_pickling():
    import pickle

    error = FetchError("http://x/", 503, "http", "HTTP 503 from http://x/ after 2 attempts")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.url, copy.kind, copy.status) == (
        str(error), "http://x/", "http", 503)


def test_fetch_error_by_keyword_and_default_message():
    error = FetchError(url="http://x/", status=None, kind="malformed")
    assert str(error) == "malformed error on http://x/"
    assert str(FetchError("http://x/", 502, "http")) == "HTTP 502 from http://x/"
    with pytest.raises(ValueError):
        FetchError("http://x/", None, "nonsense")
