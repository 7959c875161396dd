"""The MQA table: data.europa.eu's dimensions, indicators, points and bands.

Data, not logic: the checks (``checks``), the RDF scorer (``quality.rdf``),
the DQV export and the report pages all read this one table, so it stands
alone and imports nothing of the suite.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from collections.abc import Mapping

FINDABILITY = "findability"
ACCESSIBILITY = "accessibility"
INTEROPERABILITY = "interoperability"
REUSABILITY = "reusability"
CONTEXTUALITY = "contextuality"

#: The MQA dimensions, in the order data.europa.eu shows them.
DIMENSIONS: tuple[str, ...] = (
    FINDABILITY, ACCESSIBILITY, INTEROPERABILITY, REUSABILITY, CONTEXTUALITY,
)

#: Lowest points of each band, best first (MQA: Excellent 351–405, Good
#: 221–350, Sufficient 121–220, Bad 0–120).
BANDS: tuple[tuple[int, str], ...] = (
    (351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"),
)


def N_(message: str) -> str:
    """Marks a message for the translation catalog without translating it:
    this module does not import CKAN, so the text is stored in English and
    the report page translates it (``_(indicator.fix)``, labels.indicator_label)."""
    return message


PENDING_FIX = N_("Nothing to do yet: the links are checked periodically.")


# --------------------------------------------------------------------------- #
# The indicator table
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class IndicatorSpec:
    """One row of the MQA table. ``property`` is the DCAT property
    data.europa.eu reads for it; ``fix`` is the advice when it fails."""

    key: str
    dimension: str
    label: str
    points: int
    property: str
    fix: str


#: The MQA indicators with data.europa.eu's points, in its order.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("keywords", FINDABILITY, N_("Keywords"), 30, "dcat:keyword",
                  N_("Add at least one keyword (tag).")),
    IndicatorSpec("categories", FINDABILITY, N_("Categories (EU data themes)"), 30, "dcat:theme",
                  N_("Choose at least one EU data theme.")),
    IndicatorSpec("spatial", FINDABILITY, N_("Geographical coverage"), 20, "dct:spatial",
                  N_("Set the country, and the region if the data covers one.")),
    IndicatorSpec("temporal", FINDABILITY, N_("Temporal coverage"), 20, "dct:temporal",
                  N_("Set the start or the end of the temporal coverage.")),
    IndicatorSpec("access_url_status", ACCESSIBILITY, N_("Access URL answers"), 50, "dcat:accessURL",
                  N_("Fix or replace the resource URLs that do not answer.")),
    IndicatorSpec("download_url", ACCESSIBILITY, N_("Download URL"), 20, "dcat:downloadURL",
                  N_("Link at least one resource directly to a data file: upload it, "
                     "or give its file URL and its format.")),
    IndicatorSpec("download_url_status", ACCESSIBILITY, N_("Download URL answers"), 30,
                  "dcat:downloadURL",
                  N_("Fix or replace the file links that do not answer.")),
    IndicatorSpec("format", INTEROPERABILITY, N_("Format"), 20, "dct:format",
                  N_("Set the format of the resources (e.g. CSV); a media type such as "
                     "text/csv belongs in the Media type field.")),
    IndicatorSpec("media_type", INTEROPERABILITY, N_("Media type"), 10, "dcat:mediaType",
                  N_("Set the media type of the resources (e.g. text/csv).")),
    IndicatorSpec("format_vocabulary", INTEROPERABILITY,
                  N_("Format or media type from the vocabulary"), 10, "dct:format, dcat:mediaType",
                  N_("Use a format of the EU file-type list (e.g. CSV, JSON, XLSX) or a "
                     "registered media type.")),
    IndicatorSpec("non_proprietary", INTEROPERABILITY, N_("Non-proprietary format"), 20, "dct:format",
                  N_("Also publish the data in an open format such as CSV, JSON or ODS.")),
    IndicatorSpec("machine_readable", INTEROPERABILITY, N_("Machine-readable format"), 20, "dct:format",
                  N_("Also publish the data in a machine-readable format such as CSV, "
                     "JSON or XML.")),
    IndicatorSpec("dcat_ap_compliance", INTEROPERABILITY, N_("DCAT-AP compliance"), 30,
                  "dct:title, dct:description, dcat:accessURL",
                  N_("Give the dataset a title and a description, and every resource a URL.")),
    IndicatorSpec("licence", REUSABILITY, N_("Licence"), 20, "dct:license",
                  N_("Choose the licence the data is published under.")),
    IndicatorSpec("licence_vocabulary", REUSABILITY, N_("Licence from the vocabulary"), 10,
                  "dct:license",
                  N_("Choose a licence of the EU licence list, such as CC BY 4.0.")),
    IndicatorSpec("access_rights", REUSABILITY, N_("Access rights"), 10, "dct:accessRights",
                  N_("Set the access rights (public, restricted or non-public).")),
    IndicatorSpec("access_rights_vocabulary", REUSABILITY, N_("Access rights from the vocabulary"), 5,
                  "dct:accessRights",
                  N_("Choose the access rights from the list: public, restricted or non-public.")),
    IndicatorSpec("contact_point", REUSABILITY, N_("Contact point"), 20, "dcat:contactPoint",
                  N_("Add a contact point with a name or an email address.")),
    IndicatorSpec("publisher", REUSABILITY, N_("Publisher"), 10, "dct:publisher",
                  N_("Publish the dataset under an organization.")),
    IndicatorSpec("rights", CONTEXTUALITY, N_("Rights"), 5, "dct:rights",
                  N_("Add a rights statement to a resource (its rights field, exported "
                     "as dct:rights).")),
    IndicatorSpec("byte_size", CONTEXTUALITY, N_("File size"), 5, "dcat:byteSize",
                  N_("Give the size in bytes of the resource files (uploads get it "
                     "automatically).")),
    IndicatorSpec("issued", CONTEXTUALITY, N_("Release date"), 5, "dct:issued",
                  N_("Set the release date.")),
    IndicatorSpec("modified", CONTEXTUALITY, N_("Modification date"), 5, "dct:modified",
                  N_("Set the modification date.")),
)

INDICATOR_BY_KEY: Mapping[str, IndicatorSpec] = MappingProxyType({s.key: s for s in INDICATORS})
MAX_POINTS: int = sum(spec.points for spec in INDICATORS)
DIMENSION_MAX: Mapping[str, int] = MappingProxyType({
    dimension: sum(s.points for s in INDICATORS if s.dimension == dimension)
    for dimension in DIMENSIONS
})
# The table is data.europa.eu's; a typo in it would silently shift every band.
assert MAX_POINTS == 405, MAX_POINTS


def band_for(points: float) -> str:
    """The MQA band of a total: excellent, good, sufficient or bad."""
    for lowest, band in BANDS:
        if points >= lowest:
            return band
    return "bad"
