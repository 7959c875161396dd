"""Template helpers: vocabulary labels in the user's language, the links
between use cases and the datasets they used, the quality annotation and the
community feedback."""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import entity_labels, home, search, vocabularies
from ckanext.plusresilient.logic import feedback, provenance
from ckanext.plusresilient.logic.quality import community_summary

__all__ = [
    "plusresilient_vocabulary_choices",
    "plusresilient_vocabulary_label",
    "plusresilient_linked_datasets",
    "plusresilient_use_cases_of",
    "plusresilient_dataset_names_text",
    "plusresilient_quality",
    "plusresilient_quality_band_label",
    "plusresilient_quality_dimension_label",
    "plusresilient_quality_indicator_label",
    "plusresilient_quality_finding",
    "plusresilient_feedback_for",
    "plusresilient_feedback_open_reports",
    "plusresilient_feedback_categories",
    "plusresilient_feedback_category_label",
    "plusresilient_feedback_kind_label",
    "plusresilient_feedback_status_label",
    "plusresilient_feedback_statuses",
    "plusresilient_feedback_moderation_label",
    "plusresilient_feedback_moderates_any",
    "plusresilient_decimal",
    "plusresilient_platform_functions",
    "plusresilient_as_list",
    "plusresilient_harvest_provenance",
    "humanize_entity_type",
]

# The labels of the MQA indicators and dimensions, in the user's language.
# The MQA indicators by key (the pure core speaks English; pages translate).
QUALITY_INDICATORS = {
    "keywords": lambda: tk._("Keywords"),
    "categories": lambda: tk._("Categories (EU data themes)"),
    "spatial": lambda: tk._("Geographical coverage"),
    "temporal": lambda: tk._("Temporal coverage"),
    "access_url_status": lambda: tk._("Access URL answers"),
    "download_url": lambda: tk._("Download URL"),
    "download_url_status": lambda: tk._("Download URL answers"),
    "format": lambda: tk._("Format"),
    "media_type": lambda: tk._("Media type"),
    "format_vocabulary": lambda: tk._("Format or media type from the vocabulary"),
    "non_proprietary": lambda: tk._("Non-proprietary format"),
    "machine_readable": lambda: tk._("Machine-readable format"),
    "dcat_ap_compliance": lambda: tk._("DCAT-AP compliance"),
    "licence": lambda: tk._("Licence"),
    "licence_vocabulary": lambda: tk._("Licence from the vocabulary"),
    "access_rights": lambda: tk._("Access rights"),
    "access_rights_vocabulary": lambda: tk._("Access rights from the vocabulary"),
    "contact_point": lambda: tk._("Contact point"),
    "publisher": lambda: tk._("Publisher"),
    "rights": lambda: tk._("Rights"),
    "byte_size": lambda: tk._("File size"),
    "issued": lambda: tk._("Release date"),
    "modified": lambda: tk._("Modification date"),
}
QUALITY_DIMENSIONS = {
    "findability": lambda: tk._("Findability"),
    "accessibility": lambda: tk._("Accessibility"),
    "interoperability": lambda: tk._("Interoperability"),
    "reusability": lambda: tk._("Reusability"),
    "contextuality": lambda: tk._("Contextuality"),
}


def current_language() -> str:
    """The request's language, or the default one outside a request (CLI, jobs),
    without its region: CKAN offers Portuguese only as ``pt_PT`` (it has no
    plain ``pt``), while the vocabularies label their terms in ``pt``."""
    try:
        locale = tk.h.lang() or tk.config.get("ckan.locale_default", "en")
    except (RuntimeError, TypeError, AttributeError):
        locale = tk.config.get("ckan.locale_default", "en")
    return locale.split("_")[0]


def _regional_locales() -> dict[str, list[str]]:
    """Offered locales with a region, by language: {"pt": ["pt_PT"]}."""
    regional: dict[str, list[str]] = {}
    for locale in tk.aslist(tk.config.get("ckan.locales_offered")):
        if "_" in locale:
            regional.setdefault(locale.split("_")[0], []).append(locale)
    return regional


def plusresilient_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming choices with every language's label, so the form shows the
    user's (scheming picks the language from the label dict)."""
    vocabulary = vocabularies.get(field["vocabulary"])
    regional = _regional_locales()
    choices = []
    for term in vocabulary.terms:
        labels = dict(term.labels)
        country = term.extra.get("country") if vocabulary.name == "regions" else None
        if country:
            labels = {lang: f"{label} ({country})" for lang, label in labels.items()}
        for lang, locales in regional.items():  # scheming looks labels up by locale
            if lang in labels:
                labels.update((locale, labels[lang]) for locale in locales)
        choices.append({"value": term.code, "label": labels})
    return choices


def plusresilient_vocabulary_label(name: str, code: str, lang: str | None = None) -> str:
    return vocabularies.get(name).label(code, lang or current_language())


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [item for item in value or [] if isinstance(item, str)]


def plusresilient_linked_datasets(value: Any) -> list[dict[str, Any]]:
    """The linked datasets the current user may see (private ones stay hidden)."""
    datasets = []
    for dataset_id in _ids(value):
        try:
            datasets.append(tk.get_action("package_show")({}, {"id": dataset_id}))
        except (tk.ObjectNotFound, tk.NotAuthorized):
            continue
    return datasets


def plusresilient_use_cases_of(dataset_id: str, rows: int = 20) -> list[dict[str, Any]]:
    """Use cases that list the dataset among the datasets they used, through
    the search index (which already applies the user's permissions)."""
    result = tk.get_action("package_search")({}, {
        "fq": f'+dataset_type:use-case +vocab_datasets_used:"{dataset_id}"',
        "rows": rows,
        "sort": "title_string asc",
    })
    return result["results"]


def plusresilient_dataset_names_text(value: Any) -> str:
    """Linked datasets as names, one per line, for editing (ids are kept when
    a dataset cannot be read, so saving the form does not drop it)."""
    if isinstance(value, str) and not value.startswith("["):
        return value
    names = []
    for dataset_id in _ids(value):
        try:
            names.append(tk.get_action("package_show")({}, {"id": dataset_id})["name"])
        except (tk.ObjectNotFound, tk.NotAuthorized):
            names.append(dataset_id)
    return "\n".join(names)


def plusresilient_quality(package_id: str, history: bool = False) -> dict[str, Any] | None:
    """The dataset's quality annotation as the current user may see it, or
    None: not scored yet, or not the user's to see (the action decides, so a
    private dataset's score never reaches a page that could not show it)."""
    try:
        quality = tk.get_action("plusresilient_quality_show")({}, {"id": package_id, "history": history})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None
    return quality if quality.get("status") == "scored" else None


def plusresilient_quality_band_label(band: str | None) -> str:
    return search.quality_band_labels().get(band or "") or tk._("Not scored yet")


def plusresilient_quality_dimension_label(dimension: str) -> str:
    label = QUALITY_DIMENSIONS.get(dimension)
    return label() if label else dimension


def plusresilient_quality_indicator_label(indicator: dict[str, Any]) -> str:
    label = QUALITY_INDICATORS.get(indicator.get("key", ""))
    return label() if label else indicator.get("label", "")


#: Values of the published RDF listed per indicator; the rest are counted.
FOUND_SHOWN = 10


def plusresilient_quality_finding(indicator: dict[str, Any]) -> dict[str, Any]:
    """One indicator of a stored report as the report page shows it: what
    data.europa.eu will see, in the user's language.

    The scorer stores English (it imports no CKAN); its fix texts are
    catalog messages, so they are translated here. The reason sentence is
    composed with counts and values, so no catalog can hold it: it stays
    English, and ``reason_lang``/``fix_lang`` say "en" on a page in another
    language (a fix the catalogs do not know stays English too), for the
    page to mark it so. Reports stored before the DCAT property and the
    published values were kept have no ``property``: ``published`` is then
    False and the page shows the reason alone, as it did. Values are
    returned as text, for the template to escape (they are publishers' data).
    """
    foreign = current_language() != "en"
    prop = indicator.get("property")
    found = indicator.get("found")
    published = isinstance(prop, str) and bool(prop.strip()) and isinstance(found, list)
    values = [str(value) for value in found or () if value not in (None, "")] if published else []
    fix = indicator.get("fix")
    fix_text = tk._(fix) if isinstance(fix, str) and fix.strip() else ""
    return {
        "published": published,
        "properties": [part.strip() for part in prop.split(",") if part.strip()] if published else [],
        "found": values[:FOUND_SHOWN],
        "found_count": len(values),
        "found_more": max(len(values) - FOUND_SHOWN, 0),
        "fix": fix_text,
        "fix_lang": "en" if foreign and fix_text == fix else "",
        "reason": str(indicator.get("reason") or ""),
        "reason_lang": "en" if foreign else "",
    }


# -- community feedback ------------------------------------------------------------------
# The actions speak codes; the pages translate them here. Order is the order
# of the forms' choices.

FEEDBACK_CATEGORIES = {
    "broken_link": lambda: tk._("Broken link"),
    "wrong_values": lambda: tk._("Wrong or missing values"),
    "outdated": lambda: tk._("Outdated"),
    "missing_metadata": lambda: tk._("Missing metadata"),
    "unclear_licence": lambda: tk._("Unclear licence"),
    "other": lambda: tk._("Other problem"),
}
FEEDBACK_KINDS = {
    "rating": lambda: tk._("Rating"),
    "report": lambda: tk._("Problem report"),
    "comment": lambda: tk._("Comment"),
    "suggestion": lambda: tk._("Suggested fix"),
}
FEEDBACK_STATUSES = {
    "open": lambda: tk._("Open"),
    "acknowledged": lambda: tk._("Acknowledged"),
    "resolved": lambda: tk._("Resolved"),
    "rejected": lambda: tk._("Rejected"),
}
FEEDBACK_MODERATION = {
    "pending": lambda: tk._("Waiting for moderation"),
    "approved": lambda: tk._("Approved"),
    "hidden": lambda: tk._("Hidden"),
}
#: Items shown on a dataset page (newest first); older ones stay in the API.
PANEL_LIMIT = 100


def _allowed(action: str, data_dict: dict[str, Any]) -> bool:
    """h.check_access, also False when the auth function says "not found"."""
    try:
        return tk.h.check_access(action, data_dict)
    except tk.ObjectNotFound:
        return False


def _label(labels: dict[str, Any], code: str | None) -> str:
    label = labels.get(code or "")
    return label() if label else (code or "")


def plusresilient_feedback_for(package_id: str) -> dict[str, Any]:
    """The feedback panel's content as the current user may see it.

    ``items`` come from plusresilient_feedback_list (so pending and hidden
    ones only reach moderators and their authors), ``ratings`` and
    ``average_rating`` from the approved ratings the quality score uses,
    ``may_give`` says whether the user may post. Never raises: a dataset the
    user may not see gives an empty panel, not an error page.
    """
    empty: dict[str, Any] = {"items": [], "ratings": 0, "average_rating": None, "may_give": False}
    try:
        items = tk.get_action("plusresilient_feedback_list")(
            {}, {"package_id": package_id, "include_hidden": True, "limit": PANEL_LIMIT})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return empty
    summary = community_summary(package_id)
    return {
        "items": items,
        "ratings": summary.ratings if summary else 0,
        "average_rating": summary.average_rating if summary and summary.ratings else None,
        "may_give": _allowed("plusresilient_feedback_create", {"package_id": package_id}),
    }


def plusresilient_feedback_open_reports(package_id: str) -> list[dict[str, Any]]:
    """The approved problem reports still open or acknowledged: the ones the
    community component counts, shown beside the automatic findings."""
    try:
        items = tk.get_action("plusresilient_feedback_list")(
            {}, {"package_id": package_id, "kind": "report", "limit": PANEL_LIMIT})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return []
    return [item for item in items
            if item.get("moderation") == "approved" and item.get("status") in feedback.OPEN_STATUSES]


def plusresilient_feedback_categories() -> list[tuple[str, str]]:
    """(code, label) of the problem categories, for the report form."""
    return [(code, label()) for code, label in FEEDBACK_CATEGORIES.items()]


def plusresilient_feedback_category_label(code: str | None) -> str:
    return _label(FEEDBACK_CATEGORIES, code)


def plusresilient_feedback_kind_label(kind: str | None) -> str:
    return _label(FEEDBACK_KINDS, kind)


def plusresilient_feedback_status_label(status: str | None) -> str:
    return _label(FEEDBACK_STATUSES, status)


def plusresilient_feedback_statuses() -> list[tuple[str, str]]:
    """(code, label) of the statuses, for the moderators' status form."""
    return [(code, label()) for code, label in FEEDBACK_STATUSES.items()]


def plusresilient_feedback_moderation_label(state: str | None) -> str:
    return _label(FEEDBACK_MODERATION, state)


def plusresilient_feedback_moderates_any() -> bool:
    """Whether the user moderates some dataset's feedback: a sysadmin, or an
    editor or admin of at least one organization (the feedback logic's own
    rule, so the dashboard's link and the queue agree)."""
    if not tk.current_user.is_authenticated:
        return False
    caller = feedback.caller_of({"user": tk.current_user.name})
    return feedback.moderated_organization_ids(caller) != []


def plusresilient_as_list(value: Any) -> list[str]:
    """A field that holds one code or several (search results give either)."""
    return search.values_of(value)


def plusresilient_platform_functions() -> list[home.PlatformFunction]:
    return home.platform_functions()


@tk.chained_helper
def humanize_entity_type(next_helper: Any, entity_type: str, object_type: str,
                         purpose: str) -> str | None:
    """Our dataset types' names in whole, translatable sentences."""
    return entity_labels.label(entity_type, object_type, purpose) or next_helper(
        entity_type, object_type, purpose)


def plusresilient_decimal(value: float, digits: int = 1) -> str:
    """A number with a fixed count of decimals, in the user's locale
    ("55.0", "55,0"): CKAN's localised_number drops a trailing zero, and
    then the figures of one column neither line up nor read alike."""
    from flask_babel import format_decimal

    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return format_decimal(value, format=pattern)


# -- harvest provenance ------------------------------------------------------------------

def plusresilient_harvest_provenance(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """The sources of a harvested dataset and its fields edited here, ready
    to show (labels in the user's language); None for a dataset made here.
    ``pkg`` is the dataset the page already shows (so the user may see it):
    not read a second time."""
    shown = provenance.of_dataset(pkg)
    if not shown["sources"] and not shown["edited_here"]:
        return None
    fields = {field["field_name"]: field for field in
              (tk.h.scheming_get_dataset_schema(pkg.get("type") or "dataset") or {}).get("dataset_fields", [])}
    for item in shown["edited_here"]:
        field = fields.get(item["field"], {})
        item["label"] = tk.h.scheming_language_text(field.get("label")) or item["field"]
        item["value_text"] = _shown_value(field, item["value"])
        item["source_text"] = _shown_value(field, item["source_value"]) or tk._("(none)")
    return shown


def _shown_value(field: dict[str, Any], value: Any) -> str:
    """A field's value as words: vocabulary labels, tag names, contacts."""
    values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
    words = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("display_name") or item.get("name") or item.get("email") or ""
        elif field.get("vocabulary"):
            item = plusresilient_vocabulary_label(field["vocabulary"], str(item))
        words.append(str(item))
    return ", ".join(word for word in words if word)

