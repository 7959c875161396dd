"""The link check: does a resource's URL answer? Without downloading it.

data.europa.eu's Metadata Quality Assessment counts an access or download
URL as available when it answers HTTP 2xx or 3xx, checked with HEAD and a
10 s timeout, and with GET only where HEAD is refused or unsupported. The
same here, with the suite's guard: every URL and redirect goes through
:class:`SafeSession`, so a link (or a redirect) to a private address is
refused ("blocked") and never requested.

ckanext-archiver filled disks and queues by downloading what it checked;
nothing is stored here, and the GET fallback asks for at most one byte:
SafeSession refuses a declared Content-Length over that before reading, and
otherwise stops after the first read (at most 64 KiB), closing the
connection. A body "too large" for that limit is a server that answered,
so the link counts as working with the status it sent.

A caller's deadline (a dataset's time budget) cuts the checks still running
when it passes; those links are left out of the result rather than reported
broken: an unfinished check says nothing about the link.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import queue
import threading
import time
from typing import Any, ContextManager, Iterable

from ckanext.plusresilient.quality.interruptions import is_interruption
from ckanext.plusresilient.safe_http import FetchError, HttpPolicy, SafeSession

__all__ = ["LinkStatus", "check_link", "check_links", "LINK_TIMEOUT"]

log = logging.getLogger(__name__)

#: MQA's timeout for a URL check.
LINK_TIMEOUT = 10.0
#: HEAD answers after which GET is tried: "refused or unsupported".
HEAD_REFUSED = frozenset({403, 405, 501})
#: Failures of HEAD after which GET is tried: servers that drop HEAD requests.
HEAD_FAILED_KINDS = frozenset({"connection"})
#: GET reads at most this much: enough to know the server answers.
PROBE_BYTES = 1
DEFAULT_WORKERS = 4
MAX_WORKERS = 8


@dataclasses.dataclass
class LinkStatus:
    """One URL's answer: ``status`` is the HTTP status (None when none came),
    ``kind`` the FetchError kind of a failure, ``final_url`` where redirects
    led (or the URL that failed)."""

    url: str
    status: int | None
    ok: bool
    kind: str | None
    message: str
    final_url: str | None
    checked_at: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def check_link(url: str, *, http: SafeSession, timeout: float | None = None,
               deadline: float | None = None) -> LinkStatus:
    """HEAD ``url``, falling back to a one-byte GET; never raises.

    ``timeout`` replaces the session's for this check (a SafeSession's
    timeout is its policy's, so a session with that policy is used: it has
    the policy, not the cookies or auth of a requests.Session given to ``http``).
    ``deadline`` (``time.monotonic()``) ends the check, retries included.
    """
    started = time.monotonic()
    checked_at = _now()
    with _with_timeout(http, timeout) as session:
        outcome = _probe(url, session, deadline)
    return LinkStatus(url=url, checked_at=checked_at,
                      seconds=round(time.monotonic() - started, 3), **outcome)


def check_links(urls: Iterable[str], http: SafeSession, *, timeout: float | None = None,
                workers: int = DEFAULT_WORKERS,
                deadline: float | None = None) -> dict[str, LinkStatus]:
    """Each distinct URL checked once, in input order; ``workers`` threads at most.

    A SafeSession serves one thread at a time: with one worker ``http`` is
    used; with more, each thread opens its own session with ``http``'s policy.
    Entries that are no string (a resource without a URL) are left out, and
    so are the checks the ``deadline`` cut short.
    """
    distinct = list(dict.fromkeys(url for url in urls if isinstance(url, str)))
    workers = max(1, min(workers, MAX_WORKERS, len(distinct)))
    if workers == 1:
        with _with_timeout(http, timeout) as session:
            results = {url: check_link(url, http=session, deadline=deadline) for url in distinct}
    else:
        policy = http.policy if timeout is None else dataclasses.replace(http.policy,
                                                                           timeout=timeout)
        results = _in_threads(distinct, policy, workers, deadline)
    return {url: results[url] for url in distinct
            if not _cut_short(results[url], deadline)}


def _cut_short(status: LinkStatus, deadline: float | None) -> bool:
    """A check that timed out because the caller's time was up, not the server's."""
    return (deadline is not None and status.kind == "timeout"
            and time.monotonic() >= deadline - 0.05)


def _with_timeout(http: SafeSession, timeout: float | None) -> ContextManager[SafeSession]:
    if timeout is None or timeout == http.policy.timeout:
        return contextlib.nullcontext(http)
    return SafeSession(dataclasses.replace(http.policy, timeout=timeout))


def _in_threads(urls: list[str], policy: HttpPolicy, workers: int,
                deadline: float | None) -> dict[str, LinkStatus]:
    pending: queue.SimpleQueue[str] = queue.SimpleQueue()
    for url in urls:
        pending.put(url)
    results: dict[str, LinkStatus] = {}
    lock = threading.Lock()

    def work() -> None:
        with SafeSession(policy) as session:
            while True:
                try:
                    url = pending.get_nowait()
                except queue.Empty:
                    return
                status = check_link(url, http=session, deadline=deadline)
                with lock:
                    results[url] = status

    threads = [threading.Thread(target=work, name=f"link-check-{n}", daemon=True)
               for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _probe(url: str, http: SafeSession, deadline: float | None) -> dict[str, Any]:
    try:
        try:
            response = http.head(url, deadline=deadline)
        except FetchError as error:
            if not _worth_a_get(error):
                raise
            response = http.get(url, max_bytes=PROBE_BYTES, deadline=deadline)
        return _answered(response.status, response.url)
    except FetchError as error:
        if error.kind == "too_large" and error.status is not None:
            return _answered(error.status, error.url)
        return {"status": error.status, "ok": False, "kind": error.kind,
                "message": str(error), "final_url": error.url}
    except Exception as error:  # noqa: BLE001 - one odd URL must not stop a batch
        if is_interruption(error):
            raise
        log.exception("link check of %r failed", url)
        return {"status": None, "ok": False, "kind": "malformed",
                "message": f"cannot check {url!r}: {type(error).__name__}", "final_url": None}


def _worth_a_get(error: FetchError) -> bool:
    if error.kind == "http":
        return error.status in HEAD_REFUSED
    return error.kind in HEAD_FAILED_KINDS


def _answered(status: int, final_url: str) -> dict[str, Any]:
    ok = 200 <= status < 400
    return {"status": status, "ok": ok, "kind": None if ok else "http",
            "message": f"HTTP {status}", "final_url": final_url}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
