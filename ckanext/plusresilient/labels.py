"""Every word the suite shows for one of its codes, in the user's language.

The actions, the models and the pure scorer speak codes ("good",
"broken_link", "byte_size"); pages, facets, the API's indicator labels and
the mail turn them into words here, and only here. This module sits at the
bottom of the suite (it imports only CKAN's translation, the scorer's
English table and the vocabularies), so template helpers, search, actions
and mail can all import it without importing each other.
"""
from __future__ import annotations

from typing import Callable, Iterable

import ckan.plugins.toolkit as tk

from ckanext.plusresilient.quality.metadata import INDICATOR_BY_KEY
from ckanext.plusresilient.vocabularies import Vocabulary

__all__ = [
    "FEEDBACK_CATEGORIES",
    "FEEDBACK_KINDS",
    "FEEDBACK_MODERATION",
    "FEEDBACK_STATUSES",
    "SUMMARY_GROUPINGS",
    "band_label",
    "choices_text",
    "current_language",
    "dataset_type_labels",
    "dimension_label",
    "feedback_kind_noun",
    "freshness_labels",
    "indicator_label",
    "label_of",
    "quality_band_labels",
    "vocabulary_choices_text",
]

Labels = dict[str, Callable[[], str]]


def current_language() -> str:
    """The request's language, or the default one outside a request (CLI, jobs),
    without its region: CKAN offers Portuguese only as ``pt_PT`` (it has no
    plain ``pt``), while the vocabularies label their terms in ``pt``."""
    try:
        locale = tk.h.lang() or tk.config.get("ckan.locale_default", "en")
    except (RuntimeError, TypeError, AttributeError):
        locale = tk.config.get("ckan.locale_default", "en")
    return locale.split("_")[0]


def label_of(labels: Labels, code: str | None) -> str:
    """The code's label, or the code itself when it has none."""
    label = labels.get(code or "")
    return label() if label else (code or "")


def _choice(label: str, code: str) -> str:
    return code if label == code else f"{label} ({code})"


def choices_text(labels: Labels, codes: Iterable[str]) -> str:
    """The allowed values of a refusal: each label in the user's language,
    with the code an API caller sends ("Broken link (broken_link), ...")."""
    return ", ".join(_choice(label_of(labels, code), code) for code in codes)


def vocabulary_choices_text(vocabulary: Vocabulary, codes: Iterable[str]) -> str:
    """The same for a vocabulary's codes, labelled by the vocabulary."""
    lang = current_language()
    return ", ".join(_choice(vocabulary.label(code, lang), code) for code in codes)


# -- record types and quality ----------------------------------------------------------

def dataset_type_labels() -> dict[str, str]:
    return {
        "dataset": tk._("Dataset"),
        "use-case": tk._("Use case"),
        "training": tk._("Training material"),
    }


QUALITY_BANDS: Labels = {
    "excellent": lambda: tk._("Excellent"),
    "good": lambda: tk._("Good"),
    "sufficient": lambda: tk._("Sufficient"),
    "bad": lambda: tk._("Bad"),
}


def quality_band_labels() -> dict[str, str]:
    return {band: label() for band, label in QUALITY_BANDS.items()}


#: The freshness statuses (quality/freshness.py), in the order pages list them.
FRESHNESS: Labels = {
    "up_to_date": lambda: tk._("Up to date"),
    "late": lambda: tk._("Late"),
    "unknown": lambda: tk._("Unknown"),
}


def freshness_labels() -> dict[str, str]:
    return {status: label() for status, label in FRESHNESS.items()}


def band_label(band: str | None) -> str:
    """One band's label (a page of results labels twenty: one lookup each)."""
    label = QUALITY_BANDS.get(band or "")
    return label() if label else tk._("Not scored yet")


QUALITY_DIMENSIONS: Labels = {
    "findability": lambda: tk._("Findability"),
    "accessibility": lambda: tk._("Accessibility"),
    "interoperability": lambda: tk._("Interoperability"),
    "reusability": lambda: tk._("Reusability"),
    "contextuality": lambda: tk._("Contextuality"),
}


def dimension_label(dimension: str) -> str:
    return label_of(QUALITY_DIMENSIONS, dimension)


def indicator_label(key: str | None, fallback: str = "") -> str:
    """An MQA indicator's label: the scorer's English one (marked for the
    catalog where the scorer defines it), translated; ``fallback`` for a key
    the scorer no longer knows (an old stored report)."""
    spec = INDICATOR_BY_KEY.get(key or "")
    return tk._(spec.label) if spec is not None else fallback


#: ``by`` of plusresilient_quality_summary: what the dashboard's tables group by.
SUMMARY_GROUPINGS: Labels = {
    "country": lambda: tk._("Country"),
    "region": lambda: tk._("Region"),
    "organization": lambda: tk._("Cluster"),
    "harvest_source": lambda: tk._("Harvest source"),
}


# -- community feedback ----------------------------------------------------------------
# The order is the order of the forms' choices.

FEEDBACK_CATEGORIES: Labels = {
    "broken_link": lambda: tk._("Broken link"),
    "wrong_values": lambda: tk._("Wrong or missing values"),
    "outdated": lambda: tk._("Outdated"),
    "missing_metadata": lambda: tk._("Missing metadata"),
    "unclear_licence": lambda: tk._("Unclear licence"),
    "other": lambda: tk._("Other problem"),
}
FEEDBACK_KINDS: Labels = {
    "rating": lambda: tk._("Rating"),
    "report": lambda: tk._("Problem report"),
    "comment": lambda: tk._("Comment"),
    "suggestion": lambda: tk._("Suggested fix"),
}
FEEDBACK_STATUSES: Labels = {
    "open": lambda: tk._("Open"),
    "acknowledged": lambda: tk._("Acknowledged"),
    "resolved": lambda: tk._("Resolved"),
    "rejected": lambda: tk._("Rejected"),
}
FEEDBACK_MODERATION: Labels = {
    "pending": lambda: tk._("Waiting for moderation"),
    "approved": lambda: tk._("Approved"),
    "hidden": lambda: tk._("Hidden"),
}

#: A kind as a noun in the English mail to an organization's admins (the
#: mail goes out in no request, so in no user's language).
_MAIL_KIND_NOUNS = {"rating": "rating", "report": "quality report", "comment": "comment",
                    "suggestion": "suggested fix"}


def feedback_kind_noun(kind: str) -> str:
    return _MAIL_KIND_NOUNS.get(kind, kind)
