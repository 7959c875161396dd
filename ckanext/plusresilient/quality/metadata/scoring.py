"""Verdicts to a score: the results and ``score_metadata``.

``score_verdicts`` is shared by the dict scorer here and the RDF one
(``quality.rdf``): one verdict per indicator of the table, in its order,
becomes the same MetadataScore whichever way it was found.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from collections.abc import Iterable, Mapping
from typing import Any

from ckanext.plusresilient.quality.metadata.checks import _CHECKS
from ckanext.plusresilient.quality.metadata.indicators import (
    DIMENSION_MAX,
    DIMENSIONS,
    MAX_POINTS,
    IndicatorSpec,
    band_for,
)
from ckanext.plusresilient.quality.metadata.published import _record
from ckanext.plusresilient.quality.metadata.verdicts import Verdict


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #

@dataclass(slots=True)
class Indicator:
    """One indicator's verdict. ``passed`` None means not assessable yet (a
    link that has not been checked): no points, and nothing for the publisher
    to fix.

    Read-only by convention, not frozen: a score builds 23 of them, and a
    frozen dataclass costs four times as much to construct, most of a call.
    """

    dimension: str
    key: str
    label: str
    points_max: int
    points: int
    passed: bool | None
    reason: str
    fix: str
    #: the DCAT property data.europa.eu reads, and the values the published
    #: RDF holds for it (URIs as published, literals as text)
    property: str = ""
    found: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension, "key": self.key, "label": self.label,
            "points_max": self.points_max, "points": self.points,
            "passed": self.passed, "reason": self.reason, "fix": self.fix,
            "property": self.property, "found": list(self.found),
        }


@dataclass(frozen=True)
class MetadataScore:
    """All indicators of one dataset and their totals."""

    indicators: tuple[Indicator, ...]
    points: int
    max_points: int
    dimensions: Mapping[str, tuple[int, int]]
    band: str

    def indicator(self, key: str) -> Indicator:
        """The indicator with this key (KeyError naming it otherwise)."""
        for indicator in self.indicators:
            if indicator.key == key:
                return indicator
        raise KeyError(f"no indicator {key!r}")

    @property
    def failing(self) -> tuple[Indicator, ...]:
        """What the publisher can fix, highest points first."""
        return tuple(sorted((i for i in self.indicators if i.passed is False),
                            key=lambda i: -i.points_max))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: it is stored and served as it is."""
        return {
            "points": self.points,
            "max_points": self.max_points,
            "band": self.band,
            "dimensions": {name: {"points": points, "max": maximum}
                           for name, (points, maximum) in self.dimensions.items()},
            "indicators": [indicator.to_dict() for indicator in self.indicators],
        }


# --------------------------------------------------------------------------- #
# Scoring
# --------------------------------------------------------------------------- #

def score_verdicts(verdicts: Iterable[tuple[IndicatorSpec, Verdict]]) -> MetadataScore:
    """The MetadataScore of one verdict per indicator of the table (in its
    order): shared by the dict scorer here and the RDF one (``quality.rdf``)."""
    indicators = []
    totals = dict.fromkeys(DIMENSIONS, 0)
    for spec, verdict in verdicts:
        passed = verdict.passed
        points = spec.points if passed else 0
        totals[spec.dimension] += points
        fix = verdict.fix if verdict.fix is not None else ("" if passed else spec.fix)
        indicators.append(Indicator(spec.dimension, spec.key, spec.label, spec.points,
                                    points, passed, verdict.reason, fix, spec.property,
                                    verdict.found))
    points = sum(totals.values())
    return MetadataScore(
        indicators=tuple(indicators),
        points=points,
        max_points=MAX_POINTS,
        dimensions=MappingProxyType({d: (totals[d], DIMENSION_MAX[d]) for d in DIMENSIONS}),
        band=band_for(points),
    )


def score_metadata(dataset: Mapping[str, Any],
                   link_status: Mapping[str, Any] | None = None) -> MetadataScore:
    """The MQA verdict on a dataset dict (as package_show returns it).

    ``link_status`` maps URLs to what the link checker found (a LinkStatus,
    its dict, an HTTP status, or None); without it the link indicators are
    "not checked yet". Never raises on odd values: a field of the wrong type
    counts as missing.
    """
    record = _record(dataset if isinstance(dataset, Mapping) else {}, link_status)
    return score_verdicts((spec, check(record)) for spec, check in _CHECKS)
