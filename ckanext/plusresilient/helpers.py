"""Template helpers: vocabulary labels in the user's language, the links
between use cases and the datasets they used, the quality annotation and the
community feedback."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import entity_labels, home, labels, search, vocabularies
from ckanext.plusresilient.feedback.access import caller_of, moderated_organization_ids
from ckanext.plusresilient.field_values import values_of
from ckanext.plusresilient.harvesters import provenance
from ckanext.plusresilient.labels import current_language
from ckanext.plusresilient.model.feedback import OPEN_STATUSES, Feedback

__all__ = [
    "plusresilient_vocabulary_choices",
    "plusresilient_vocabulary_label",
    "plusresilient_vocabulary_labels",
    "plusresilient_linked_datasets",
    "plusresilient_use_cases_of",
    "plusresilient_dataset_names_text",
    "plusresilient_quality",
    "plusresilient_quality_badge",
    "plusresilient_resource_check",
    "plusresilient_quality_band_label",
    "plusresilient_freshness_label",
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
    "plusresilient_facet_href",
    "humanize_entity_type",
]

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


def plusresilient_vocabulary_labels(name: str, **extra: Any) -> list[str]:
    """The labels of a vocabulary's terms (those whose extra keys have these
    values: ``network=True``), in its order and the user's language."""
    lang = current_language()
    return [term.label(lang) for term in vocabularies.get(name).where(**extra)]


def plusresilient_linked_datasets(value: Any) -> list[dict[str, Any]]:
    """The linked datasets the current user may see (private ones stay hidden)."""
    datasets = []
    for dataset_id in values_of(value):
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
    for dataset_id in values_of(value):
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


def plusresilient_resource_check(package_id: str, resource_id: str) -> dict[str, Any] | None:
    """One resource's data check and table preview (``report``, ``preview``)
    from its dataset's quality report, as the visitor may see it."""
    quality = plusresilient_quality(package_id)
    items = ((quality or {}).get("data") or {}).get("resources") or ()
    return next((item for item in items if item.get("resource_id") == resource_id), None)


def plusresilient_quality_badge(package_id: str) -> dict[str, Any] | None:
    """What a result list's badge needs (band, score, MQA points), as
    plusresilient_quality gives it: for a dataset a search of this request
    listed, read with the other results in one query; else through the action."""
    listed, badge = search.listed_badge(package_id)
    return badge if listed else plusresilient_quality(package_id)


def plusresilient_quality_band_label(band: str | None) -> str:
    return labels.band_label(band)


def plusresilient_freshness_label(status: str | None) -> str:
    """A freshness status's label (up_to_date, late, unknown)."""
    return labels.label_of(labels.FRESHNESS, status)


def plusresilient_quality_dimension_label(dimension: str) -> str:
    return labels.dimension_label(dimension)


def plusresilient_quality_indicator_label(indicator: dict[str, Any]) -> str:
    return labels.indicator_label(indicator.get("key"), indicator.get("label", ""))


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

#: Items shown on a dataset page (newest first); older ones stay in the API.
PANEL_LIMIT = 100


def _allowed(action: str, data_dict: dict[str, Any]) -> bool:
    """h.check_access, also False when the auth function says "not found"."""
    try:
        return tk.h.check_access(action, data_dict)
    except tk.ObjectNotFound:
        return False


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
    summary = Feedback.community_summary(package_id)
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
            if item.get("moderation") == "approved" and item.get("status") in OPEN_STATUSES]


def plusresilient_feedback_categories() -> list[tuple[str, str]]:
    """(code, label) of the problem categories, for the report form."""
    return [(code, label()) for code, label in labels.FEEDBACK_CATEGORIES.items()]


def plusresilient_feedback_category_label(code: str | None) -> str:
    return labels.label_of(labels.FEEDBACK_CATEGORIES, code)


def plusresilient_feedback_kind_label(kind: str | None) -> str:
    return labels.label_of(labels.FEEDBACK_KINDS, kind)


def plusresilient_feedback_status_label(status: str | None) -> str:
    return labels.label_of(labels.FEEDBACK_STATUSES, status)


def plusresilient_feedback_statuses() -> list[tuple[str, str]]:
    """(code, label) of the statuses, for the moderators' status form."""
    return [(code, label()) for code, label in labels.FEEDBACK_STATUSES.items()]


def plusresilient_feedback_moderation_label(state: str | None) -> str:
    return labels.label_of(labels.FEEDBACK_MODERATION, state)


def plusresilient_feedback_moderates_any() -> bool:
    """Whether the user moderates some dataset's feedback: a sysadmin, or an
    editor or admin of at least one organization (the feedback logic's own
    rule, so the dashboard's link and the queue agree)."""
    if not tk.current_user.is_authenticated:
        return False
    caller = caller_of({"user": tk.current_user.name})
    return moderated_organization_ids(caller) != []


def plusresilient_as_list(value: Any) -> list[str]:
    """A field that holds one code or several (search results give either)."""
    return values_of(value)


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


def plusresilient_facet_href(name: str, value: str, active: bool,
                             extras: dict[str, Any] | None = None,
                             alternative_url: str | None = None) -> str:
    """The link of one facet item: CKAN's ``remove_url_param(name, value)``
    for an active item, ``add_url_param(new_params={name: value})`` for
    another, the same string, with the page's base URL built once per
    request instead of once per item (a search page with the SVRC facets
    shows some two hundred items)."""
    params = [(key, item) for key, item in tk.request.args.items(multi=True) if key != "page"]
    if not active:
        params.append((name, value))
    elif value:
        params.remove((name, value))
    else:
        params = [(key, item) for key, item in params if key != name]
    base = alternative_url or _current_page_url(extras)
    if not params:
        return base
    return base + "?" + urlencode([(key, item.encode("utf-8") if isinstance(item, str) else str(item))
                                   for key, item in params])


def _current_page_url(extras: dict[str, Any] | None) -> str:
    """url_for of the current view, as CKAN's url param helpers build it, once
    per request and ``extras``."""
    known = tk.g.setdefault("plusresilient_page_urls", {})
    key = repr(sorted((extras or {}).items()))
    if key not in known:
        arguments = extras or dict(tk.request.view_args or {})
        blueprint, view = tk.get_endpoint()
        endpoint = f"{getattr(tk.g, 'controller', blueprint)}.{getattr(tk.g, 'action', view)}"
        known[key] = tk.h.url_for(endpoint, **arguments)
    return known[key]
