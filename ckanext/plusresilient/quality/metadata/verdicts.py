"""What a check returns (a Verdict) and the rule every link indicator follows.

The dict scorer (``checks``) and the RDF scorer (``quality.rdf``) both build
their verdicts with these, so the two agree on wording and on the
best-distribution rule for links by construction.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ckanext.plusresilient.quality.metadata.indicators import PENDING_FIX


# --------------------------------------------------------------------------- #
# Link statuses
# --------------------------------------------------------------------------- #

def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def link_answers(status: Any) -> bool | None:
    """Whether a link answers: True, False, or None when it was not checked.

    Accepts an HTTP status (2xx and 3xx answer), a LinkStatus or its dict
    (its own ``ok`` verdict wins, since the checker knows about redirects and
    the GET fallback), or None.
    """
    if status is None:
        return None
    if isinstance(status, bool):
        return status
    if isinstance(status, int):
        return 200 <= status < 400
    ok = _field(status, "ok")
    if isinstance(ok, bool):
        return ok
    code = _field(status, "status")
    if isinstance(code, int) and not isinstance(code, bool):
        return 200 <= code < 400
    return None


def _describe(status: Any) -> str:
    """"HTTP 404", "timeout"...: what a reason sentence says about a link."""
    if isinstance(status, int) and not isinstance(status, bool):
        return f"HTTP {status}"
    code = _field(status, "status")
    if isinstance(code, int) and not isinstance(code, bool):
        return f"HTTP {code}"
    kind = _field(status, "kind")
    if isinstance(kind, str) and kind:
        return kind.replace("_", " ")
    return "no answer"


# --------------------------------------------------------------------------- #
# Verdicts
# --------------------------------------------------------------------------- #

class Verdict:
    """What one check found: passed (None: not assessable yet), the reason,
    the values the published RDF holds for the property, and a fix when it
    differs from the table's (a pending link, a dataset without resources).

    A plain class with slots: a score builds 23 of them per dataset."""

    __slots__ = ("passed", "reason", "found", "fix")

    def __init__(self, passed: bool | None, reason: str,
                 found: Iterable[str] = (), fix: str | None = None) -> None:
        self.passed = passed
        self.reason = reason
        self.found = tuple(dict.fromkeys(v for v in found if v))
        self.fix = fix


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def links_answer(urls: Iterable[str], link_status: Mapping[str, Any], what: str) -> Verdict:
    """The best-distribution rule for a link indicator."""
    urls = list(dict.fromkeys(urls))
    unchecked = 0
    failed: list[tuple[str, str]] = []
    for url in urls:
        status = link_status.get(url)
        verdict = link_answers(status)
        if verdict:
            return Verdict(True, f"{url} answers ({_describe(status)}).", urls)
        if verdict is None:
            unchecked += 1
        else:
            failed.append((url, _describe(status)))
    if unchecked:
        reason = f"{plural(unchecked, what)} not checked yet"
        if failed:
            reason += f"; {failed[0][0]} failed ({failed[0][1]})"
        return Verdict(None, reason + ".", urls, PENDING_FIX)
    url, description = failed[0]
    others = f" (and {plural(len(failed) - 1, 'other')})" if len(failed) > 1 else ""
    return Verdict(False, f"{url} does not answer ({description}){others}.", urls)
