"""Freshness: has the dataset been updated as often as it says it is?

A dataset declares how often it is updated (``frequency``, DCAT's
dct:accrualPeriodicity, a code of the EU frequency table) and when it last
was. From the two follows the moment by which the next update is due
(``expected_by``); a dataset is

``up_to_date``
    while that moment has not passed;
``late``
    once it has, with no newer update;
``unknown``
    when nothing is due: no frequency declared, one without a period
    (continuous, irregular, never, unknown, other, or a code this table does
    not know), or no date to count from. "Never" is unknown too, not up to
    date for ever: a verdict that can never turn is no verdict, and would
    reward declaring it.

The last update is the one the dataset publishes: its ``modified`` date
(for a harvested dataset, the source's own: the harvest keeps it following
the source), else ``metadata_modified``, the last change on this portal.
That is the fallback ckanext-dcat's profile writes as dct:modified, so the
verdict is the one an aggregator reading our DCAT would reach, and a
re-import that only re-maps the record does not make a year-old source
look fresh. A ``modified`` date that starts more than a day after the
moment judged is not believed (nobody updated a dataset tomorrow): the
portal's own date is used instead.

Dates are read as the latest moment they may mean, so a publisher is never
late because of the precision of its date: ``2024-03-15`` is the end of that
day, ``2024-03`` the end of March, ``2024`` the end of 2024 ("the 2024
edition; the next one by the end of 2025"). A time without a zone is UTC, as
CKAN stores its own. Periods are calendar periods: a month after 31 January
is the end of February, a month after the end of February the end of March.
Twice a month is 16 days (half the longest month, rounded up).

Nothing here reads the clock: ``now`` is always given, so the verdict of a
scoring can be recomputed for the moment it was made (the search index does
this, see scoring/dataset.py).
"""
from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LATE",
    "NO_PERIOD",
    "PERIODS",
    "STATUSES",
    "UNKNOWN",
    "UP_TO_DATE",
    "Freshness",
    "Period",
    "assess",
    "assess_values",
    "parse_moment",
]

UP_TO_DATE = "up_to_date"
LATE = "late"
UNKNOWN = "unknown"
#: Every status, in the order pages list them.
STATUSES = (UP_TO_DATE, LATE, UNKNOWN)

#: Where the last update was read: the record's modification date, or the
#: portal's own last change of the record.
DECLARED = "declared"
PORTAL = "portal"

#: A declared date may start this much after ``now`` (time zones ahead of UTC).
FUTURE_TOLERANCE = datetime.timedelta(days=1)

_UTC = datetime.timezone.utc
_FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"


@dataclass(frozen=True)
class Period:
    """A calendar period: months, then days and hours, added to a moment."""

    months: int = 0
    days: int = 0
    hours: int = 0

    def after(self, moment: datetime.datetime) -> datetime.datetime:
        return _add_months(moment, self.months) + datetime.timedelta(days=self.days,
                                                                     hours=self.hours)


#: The frequencies of the vocabulary that promise an update within a period.
PERIODS: Mapping[str, Period] = {
    "TRIENNIAL": Period(months=36),
    "BIENNIAL": Period(months=24),
    "ANNUAL": Period(months=12),
    "ANNUAL_2": Period(months=6),
    "ANNUAL_3": Period(months=4),
    "QUARTERLY": Period(months=3),
    "BIMONTHLY": Period(months=2),
    "MONTHLY": Period(months=1),
    "MONTHLY_2": Period(days=16),
    "BIWEEKLY": Period(days=14),
    "WEEKLY": Period(days=7),
    "DAILY": Period(days=1),
    "HOURLY": Period(hours=1),
}
#: The frequencies of the vocabulary that promise none: always "unknown".
NO_PERIOD = frozenset({"CONT", "UPDATE_CONT", "IRREG", "NEVER", "UNKNOWN", "OTHER"})


@dataclass(frozen=True)
class Freshness:
    """One verdict. ``reason`` says why an unknown is unknown
    (``no_frequency``, ``no_period``, ``no_date``), None otherwise; moments
    are aware, in UTC."""

    status: str
    frequency: str | None = None
    last_update: datetime.datetime | None = None
    last_update_source: str | None = None
    expected_by: datetime.datetime | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "frequency": self.frequency,
            "last_update": _iso(self.last_update),
            "last_update_source": self.last_update_source,
            "expected_by": _iso(self.expected_by),
            "reason": self.reason,
        }


def assess(dataset: Mapping[str, Any], now: datetime.datetime) -> Freshness:
    """The verdict on a dataset dict (package_show's, or the search index's)."""
    return assess_values(dataset.get("frequency"), dataset.get("modified"),
                         dataset.get("metadata_modified"), now)


def assess_values(frequency: Any, modified: Any, metadata_modified: Any,
                  now: datetime.datetime) -> Freshness:
    """The verdict from the three values, judged at ``now`` (naive: UTC)."""
    now = _utc(now)
    code = _frequency_code(frequency)
    last, source = _last_update(modified, metadata_modified, now)
    if code is None:
        return Freshness(UNKNOWN, None, last, source, reason="no_frequency")
    period = PERIODS.get(code)
    if period is None:
        return Freshness(UNKNOWN, code, last, source, reason="no_period")
    if last is None:
        return Freshness(UNKNOWN, code, reason="no_date")
    due = period.after(last)
    return Freshness(LATE if now > due else UP_TO_DATE, code, last, source, due)


def parse_moment(value: Any) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The first and the last moment (aware, UTC) a date or time may mean:
    ``2024`` is all of 2024, ``2024-03-15T10:00:00`` one second. None for
    what is not a date."""
    if isinstance(value, datetime.datetime):
        moment = _utc(value)
        return moment, moment
    if isinstance(value, datetime.date):
        return _day(value.year, value.month, value.day)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    partial = _PARTIAL.match(text)
    if partial:
        year, month, day = (int(part) if part else None for part in partial.groups())
        try:
            if day is not None:
                return _day(year, month, day)
            if month is not None:
                last_day = calendar.monthrange(year, month)[1]
                return _start(year, month, 1), _end(year, month, last_day)
            return _start(year, 1, 1), _end(year, 12, 31)
        except ValueError:  # 2024-02-30, month 13
            return None
    try:
        moment = _utc(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment, moment


# -- reading the values -------------------------------------------------------------------

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _frequency_code(value: Any) -> str | None:
    """The EU code of a stored frequency (its code in any case, or its URI)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith(_FREQUENCY_BASE):
        text = text[len(_FREQUENCY_BASE):]
    return text.upper()


def _last_update(modified: Any, metadata_modified: Any, now: datetime.datetime
                 ) -> tuple[datetime.datetime | None, str | None]:
    declared = parse_moment(modified)
    if declared is not None and declared[0] <= now + FUTURE_TOLERANCE:
        return declared[1], DECLARED
    ours = parse_moment(metadata_modified)
    if ours is not None:
        return ours[1], PORTAL
    return None, None


# -- moments ----------------------------------------------------------------------------

def _utc(moment: datetime.datetime) -> datetime.datetime:
    """Aware UTC; a naive moment is UTC already (CKAN's convention)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _start(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, tzinfo=_UTC)


def _end(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 23, 59, 59, tzinfo=_UTC)


def _day(year: int, month: int, day: int) -> tuple[datetime.datetime, datetime.datetime]:
    return _start(year, month, day), _end(year, month, day)


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day ``months`` later, or that month's last day when it is
    shorter; from a month's last day, to the last day (the end of February
    and a month is the end of March: "2024-02" is read as 29 February)."""
    if not months:
        return moment
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    at_month_end = moment.day == calendar.monthrange(moment.year, moment.month)[1]
    day = last_day if at_month_end else min(moment.day, last_day)
    return moment.replace(year=year, month=month, day=day)


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
