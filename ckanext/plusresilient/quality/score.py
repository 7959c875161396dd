"""The combined quality score: one number and one band per dataset.

MQA judges the description only. A reuser also wants to know whether the
data opens, whether the links work, what other users found and whether the
data is as recent as promised, so the portal's annotation combines five
components, each on 0..100:

metadata
    MQA points / 405 × 100 (:mod:`.metadata`).
data
    The share of tabular resources whose check ended "valid":
    valid / (valid + invalid + errored) × 100. A check that errored (a file
    too large to check, HTML served as CSV, a timeout) counts as not
    validated, because a reuser meets the same wall. ``error_count`` is
    reported, not scored: a million identical errors from one bad column are
    one problem, not a million. None when no resource is tabular.
links
    The share of checked links that answer: ok / checked × 100. Links not
    checked yet count nowhere. None when none was checked.
community
    From the dataset's feedback: the average rating, 1–5 mapped to 0..100
    ((average − 1) / 4 × 100), minus 10 per open approved quality report,
    floored at 0. Reports without any rating start from 0: a report is only
    negative evidence, and starting anywhere higher would let a resolved
    report (which makes the component disappear) lower the score. None when
    there is neither a rating nor an open report.

freshness
    From the declared update frequency and the last update
    (:mod:`.freshness`): 100 while the dataset is up to date, 0 once it is
    late. None when freshness is unknown (no frequency, one without a
    period such as irregular or continuous, no date), so a dataset that
    promises no schedule is not punished for it. Two values, not a decay
    with the days late: the score is stored when the dataset is scored, and
    a score that fell a little every day would be wrong every day after;
    this one changes at one known moment (``expected_by``), when the
    scheduler scores the dataset again (scheduler.py).

The score is the weighted mean of the components present, weights metadata
0.4, data 0.3, links 0.2, community 0.1, freshness 0.2, renormalised over
the present ones: a dataset without tabular data, unchecked links, feedback
or a schedule is judged on what can be judged, not punished for what does
not apply. Metadata is always present, so the score always exists. The
weights of the first four are unchanged by freshness, so a dataset without
a schedule keeps the score it had before freshness was scored.

Why 0.2 for freshness (a sixth of the score when all five apply, a third
with metadata alone): it is the smallest round weight with which a late
dataset can never be Excellent (at best 1 / 1.2 = 83.3 < 86.67; it takes
more than 0.154), and a late dataset with everything else perfect stays
Good, because being late says the data is old, not that it is wrong.
udata makes ``update_fulfilled_in_time`` one criterion among several;
Toronto's data-quality score weighs freshness 35 %, but Toronto publishes
its own datasets, so their schedule is under its control; most of this
catalogue is harvested, and what our scorer can judge best is the
description and the file, so they keep the larger share.

Bands keep MQA's proportions, so a dataset with metadata alone has the same
band here as on data.europa.eu: excellent from 351/405 × 100 (86.67),
good from 221/405 × 100 (54.57), sufficient from 121/405 × 100 (29.88), bad
below.

Monotonicity: resolving a report raises the community component or, for the
last report of a dataset without ratings, removes a component worth 0; either
way the score does not go down.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ckanext.plusresilient.quality.freshness import LATE, UP_TO_DATE, Freshness
from ckanext.plusresilient.quality.metadata import MAX_POINTS, MetadataScore, link_answers

__all__ = [
    "WEIGHTS",
    "BAND_THRESHOLDS",
    "REPORT_PENALTY",
    "DataSummary",
    "LinkSummary",
    "CommunitySummary",
    "Overall",
    "overall_band",
    "overall_score",
]

#: Weight of each component before renormalisation.
WEIGHTS: Mapping[str, float] = {"metadata": 0.4, "data": 0.3, "links": 0.2, "community": 0.1,
                                "freshness": 0.2}

#: Lowest score of each band, best first: MQA's band limits as shares of 405.
BAND_THRESHOLDS: tuple[tuple[float, str], ...] = (
    (351 / MAX_POINTS * 100, "excellent"),
    (221 / MAX_POINTS * 100, "good"),
    (121 / MAX_POINTS * 100, "sufficient"),
    (0.0, "bad"),
)

#: Points the community component loses per open approved quality report.
REPORT_PENALTY = 10.0

# A weighted mean of a single component can differ from it in the last bit;
# without this a dataset of exactly 351 points could fall to "good".
_EPSILON = 1e-9


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


@dataclass(frozen=True)
class DataSummary:
    """The data checks of a dataset's tabular resources (skipped ones excluded)."""

    valid: int = 0
    invalid: int = 0
    errored: int = 0
    error_count: int = 0

    def __post_init__(self) -> None:
        for name in ("valid", "invalid", "errored", "error_count"):
            _count(name, getattr(self, name))

    @property
    def checked(self) -> int:
        return self.valid + self.invalid + self.errored

    @classmethod
    def from_reports(cls, reports: Iterable[Any]) -> DataSummary:
        """Count DataReports (or their dicts) by status; "skipped" (not
        tabular) ones do not count."""
        counts = {"valid": 0, "invalid": 0, "error": 0}
        errors = 0
        for report in reports:
            status = _attribute(report, "status")
            if status in counts:
                counts[status] += 1
                number = _attribute(report, "error_count")
                errors += number if isinstance(number, int) and number > 0 else 0
        return cls(counts["valid"], counts["invalid"], counts["error"], errors)


@dataclass(frozen=True)
class LinkSummary:
    """The link checks of a dataset's resources: ``checked`` = ok + broken."""

    checked: int = 0
    ok: int = 0
    broken: int = 0

    def __post_init__(self) -> None:
        for name in ("checked", "ok", "broken"):
            _count(name, getattr(self, name))
        if self.ok + self.broken != self.checked:
            raise ValueError(f"ok ({self.ok}) + broken ({self.broken}) must equal "
                             f"checked ({self.checked})")

    @classmethod
    def from_statuses(cls, statuses: Mapping[str, Any]) -> LinkSummary:
        """From the same URL → status mapping score_metadata reads; URLs not
        checked yet are left out."""
        verdicts = [link_answers(status) for status in statuses.values()]
        ok = sum(1 for v in verdicts if v is True)
        broken = sum(1 for v in verdicts if v is False)
        return cls(ok + broken, ok, broken)


@dataclass(frozen=True)
class CommunitySummary:
    """A dataset's feedback: ratings and open approved quality reports."""

    ratings: int = 0
    average_rating: float | None = None
    open_reports: int = 0

    def __post_init__(self) -> None:
        _count("ratings", self.ratings)
        _count("open_reports", self.open_reports)
        if self.ratings and (self.average_rating is None
                             or not 1 <= self.average_rating <= 5):
            raise ValueError(f"average_rating must be within 1..5 when there are ratings, "
                             f"not {self.average_rating!r}")


@dataclass(frozen=True)
class Overall:
    """The combined score. ``components`` holds every component (None where
    it does not apply); ``weights`` the renormalised weights actually used."""

    score: float
    band: str
    components: Mapping[str, float | None]
    weights: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "band": self.band,
            "components": {name: None if value is None else round(value, 2)
                           for name, value in self.components.items()},
            "weights": {name: round(weight, 4) for name, weight in self.weights.items()},
        }


def _attribute(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def overall_band(score: float) -> str:
    """The band of a 0..100 score (MQA's limits, proportionally)."""
    for lowest, band in BAND_THRESHOLDS:
        if score + _EPSILON >= lowest:
            return band
    return "bad"


def _metadata_component(metadata: MetadataScore | Mapping[str, Any]) -> float:
    if isinstance(metadata, MetadataScore):
        points, maximum = metadata.points, metadata.max_points
    elif isinstance(metadata, Mapping):
        points, maximum = metadata.get("points"), metadata.get("max_points", MAX_POINTS)
    else:
        raise TypeError(f"metadata must be a MetadataScore or its dict, not {type(metadata)!r}")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                  for v in (points, maximum))
    if not numbers or maximum <= 0:
        raise ValueError(f"metadata points {points!r} / {maximum!r} are not a score")
    return min(100.0, max(0.0, points / maximum * 100))


def _data_component(data: DataSummary | None) -> float | None:
    if data is None or data.checked == 0:
        return None
    return data.valid / data.checked * 100


def _links_component(links: LinkSummary | None) -> float | None:
    if links is None or links.checked == 0:
        return None
    return links.ok / links.checked * 100


def _community_component(community: CommunitySummary | None) -> float | None:
    if community is None or (community.ratings == 0 and community.open_reports == 0):
        return None
    base = (community.average_rating - 1) / 4 * 100 if community.ratings else 0.0
    return max(0.0, base - REPORT_PENALTY * community.open_reports)


def _freshness_component(freshness: Freshness | Mapping[str, Any] | None) -> float | None:
    status = _attribute(freshness, "status") if freshness is not None else None
    return {UP_TO_DATE: 100.0, LATE: 0.0}.get(status) if isinstance(status, str) else None


def overall_score(metadata: MetadataScore | Mapping[str, Any],
                  data: DataSummary | None = None,
                  links: LinkSummary | None = None,
                  community: CommunitySummary | None = None,
                  freshness: Freshness | Mapping[str, Any] | None = None) -> Overall:
    """Combine the components (the formula is in the module docstring)."""
    components = {
        "metadata": _metadata_component(metadata),
        "data": _data_component(data),
        "links": _links_component(links),
        "community": _community_component(community),
        "freshness": _freshness_component(freshness),
    }
    present = {name: value for name, value in components.items() if value is not None}
    total_weight = sum(WEIGHTS[name] for name in present)
    weights = {name: WEIGHTS[name] / total_weight for name in present}
    score = sum(weights[name] * value for name, value in present.items())
    score = min(100.0, max(0.0, score))
    return Overall(score=score, band=overall_band(score), components=components,
                   weights=weights)
