"""The link check against real loopback servers.

Pure Python: no CKAN service is needed (the suite's --ckan-ini is harmless).
"""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time

import pytest

from ckanext.plusresilient.quality.links import LinkStatus, check_link, check_links
from ckanext.plusresilient.safe_http import HttpPolicy, SafeSession

from .servers import endless_csv, http, policy, server  # noqa: F401 - fixtures

MB = 1024 * 1024


def refuse_head(route):
    """A server that answers GET with ``route`` and HEAD with 405."""
    def answer(handler):
        if handler.command == "HEAD":
            handler.reply(405, headers=[("Allow", "GET")])
        else:
            route(handler)
    return answer


def test_head_200(server, http):
    url = server.serve("/data.csv", b"id\n1\n")
    status = check_link(url, http=http)
    assert isinstance(status, LinkStatus)
    assert (status.status, status.ok, status.kind) == (200, True, None)
    assert status.final_url == url and status.message == "HTTP 200"
    assert server.hits["HEAD", "/data.csv"] == 1 and server.hits["GET", "/data.csv"] == 0
    checked = datetime.datetime.fromisoformat(status.checked_at)
    assert checked.tzinfo is not None
    assert abs((datetime.datetime.now(datetime.timezone.utc) - checked).total_seconds()) < 60
    assert 0 <= status.seconds < 2
    assert json.loads(json.dumps(status.to_dict()))["url"] == url


@pytest.mark.parametrize("refusal", [403, 405, 501])
def test_head_refused_falls_back_to_get(server, http, refusal):
    def answer(handler):
        if handler.command == "HEAD":
            handler.reply(refusal)
        else:
            handler.reply(200, b"id\n1\n", "text/csv")

    server.routes["/data.csv"] = answer
    status = check_link(server.url("/data.csv"), http=http)
    assert (status.status, status.ok) == (200, True)
    assert server.hits["GET", "/data.csv"] == 1


def test_head_dropped_falls_back_to_get(server, http):
    """Some servers close the connection on HEAD without a word."""
    def answer(handler):
        if handler.command == "HEAD":
            handler.close_connection = True
        else:
            handler.reply(200, b"ok")

    server.routes["/feed"] = answer
    status = check_link(server.url("/feed"), http=http)
    assert (status.status, status.ok) == (200, True)


def test_404_is_not_retried_with_get(server, http):
    status = check_link(server.url("/missing.csv"), http=http)
    assert (status.status, status.ok, status.kind) == (404, False, "http")
    assert status.message == f"HTTP 404 from {server.url('/missing.csv')}"
    assert server.hits["GET", "/missing.csv"] == 0


def test_get_fallback_failing_too(server, http):
    server.routes["/down"] = refuse_head(lambda h: h.reply(503, b"maintenance"))
    status = check_link(server.url("/down"), http=http)
    assert (status.status, status.ok, status.kind) == (503, False, "http")


def test_redirect_chain_within_the_limit(server, http):
    server.routes["/old"] = lambda h: h.reply(301, headers=[("Location", "/older")])
    server.routes["/older"] = lambda h: h.reply(302, headers=[("Location", "/data.csv")])
    server.serve("/data.csv", b"id\n1\n")
    status = check_link(server.url("/old"), http=http)
    assert (status.status, status.ok) == (200, True)
    assert status.url == server.url("/old")
    assert status.final_url == server.url("/data.csv")


def test_redirect_chain_beyond_the_limit(server):
    for n in range(5):
        server.routes[f"/hop{n}"] = (lambda k: lambda h: h.reply(
            302, headers=[("Location", f"/hop{k + 1}")]))(n)
    server.serve("/hop5", b"finally")
    with SafeSession(policy(max_redirects=3)) as session:
        status = check_link(server.url("/hop0"), http=session)
    assert (status.ok, status.kind, status.status) == (False, "too_many_redirects", 302)
    assert server.hits["HEAD", "/hop5"] == 0


def test_redirect_to_a_private_address_is_blocked(server, http):
    server.routes["/out"] = lambda h: h.reply(
        302, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
    started = time.monotonic()
    status = check_link(server.url("/out"), http=http)
    assert time.monotonic() - started < 1
    assert (status.status, status.ok, status.kind) == (None, False, "blocked")
    assert status.final_url == "http://169.254.169.254/latest/meta-data/"
    assert "169.254.169.254" in status.message


def test_loopback_refused_by_the_default_policy(server):
    url = server.serve("/admin", b"secret")
    with SafeSession(HttpPolicy(timeout=2, retries=0)) as session:
        status = check_link(url, http=session)
    assert (status.status, status.ok, status.kind) == (None, False, "blocked")
    assert sum(server.hits.values()) == 0


def test_timeout(server, http):
    def slow(handler):
        server.stopping.wait(5)
        handler.reply(200, b"too late")

    server.routes["/slow"] = slow
    started = time.monotonic()
    status = check_link(server.url("/slow"), http=http, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert (status.status, status.ok, status.kind) == (None, False, "timeout")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_big_file_is_not_downloaded(server, http, declared):
    """The GET fallback on a 256 MB file: the server gets to send a sliver."""
    size = 256 * MB
    url = server.stream("/big.csv", endless_csv, length=size if declared else None)
    server.routes["/big.csv"] = refuse_head(server.routes["/big.csv"])
    started = time.monotonic()
    status = check_link(url, http=http)
    assert (status.status, status.ok, status.kind) == (200, True, None)
    assert time.monotonic() - started < 2
    time.sleep(0.3)  # let the server notice the hang-up
    assert server.sent["/big.csv"] < 16 * MB


def test_unchecked_input_is_a_status_not_an_exception(http):
    for url in ("", "ftp://example.org/x.csv", "http://"):
        status = check_link(url, http=http)
        assert status.ok is False and status.kind in ("scheme", "malformed")


def test_check_links_deduplicates_in_order(server, http):
    a = server.serve("/a", b"a")
    b = server.serve("/b", b"b")
    missing = server.url("/missing")
    results = check_links([b, a, b, missing, a], http, workers=1)
    assert list(results) == [b, a, missing]
    assert [results[u].ok for u in results] == [True, True, False]
    assert server.hits["HEAD", "/a"] == 1 and server.hits["HEAD", "/b"] == 1


def test_check_links_in_parallel(server, http):
    def slow(handler):
        server.stopping.wait(0.4)
        handler.reply(200)

    for n in range(8):
        server.routes[f"/slow{n}"] = slow
    urls = [server.url(f"/slow{n}") for n in range(8)]
    started = time.monotonic()
    results = check_links(urls + urls[:3], http, workers=4)
    elapsed = time.monotonic() - started
    assert list(results) == urls
    assert all(status.ok for status in results.values())
    assert 0.7 < elapsed < 2.4  # two rounds of four, not eight in a row
    assert sum(n for (method, _), n in server.hits.items() if method == "HEAD") == 8


def test_check_links_timeout_applies_to_every_worker(server, http):
    def slow(handler):
        server.stopping.wait(5)
        handler.reply(200)

    server.routes["/slow1"] = server.routes["/slow2"] = slow
    started = time.monotonic()
    results = check_links([server.url("/slow1"), server.url("/slow2")], http, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert {status.kind for status in results.values()} == {"timeout"}


def test_the_module_imports_no_ckan():
    code = ("import sys; import ckanext.plusresilient.quality.links; "
            "print(sorted(m for m in sys.modules if m == 'ckan' or m.startswith('ckan.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_checks_cut_by_the_callers_deadline_are_left_out(server, http):
    """An unfinished check says nothing about a link: it is not reported
    broken, and the caller's time is not overrun."""
    server.routes["/slow"] = lambda h: server.stopping.wait(5)
    server.routes["/fast"] = lambda h: h.reply(200, b"ok")
    urls = [server.url("/slow"), server.url("/fast")]
    with SafeSession(policy(timeout=3, retries=2)) as session:
        started = time.monotonic()
        results = check_links(urls, session, workers=2, deadline=started + 0.6)
        elapsed = time.monotonic() - started
    assert list(results) == [server.url("/fast")]
    assert results[server.url("/fast")].ok
    assert elapsed < 1.2
