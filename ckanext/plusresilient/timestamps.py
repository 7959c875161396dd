"""Moments as the suite stores and shows them.

CKAN stores naive UTC timestamps; the API shows them as ISO 8601 with the
offset, to the second, so a client never has to guess the time zone.
"""
from __future__ import annotations

import datetime

__all__ = ["iso", "utcnow"]


def utcnow() -> datetime.datetime:
    """Naive UTC, as CKAN stores its own timestamps."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def iso(moment: datetime.datetime) -> str:
    """A stored (naive UTC) moment as the API gives it: ``2026-12-06T07:15:00+00:00``."""
    return moment.replace(tzinfo=datetime.timezone.utc).isoformat(timespec="seconds")
