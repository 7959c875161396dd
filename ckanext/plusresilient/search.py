"""How SVRC records are indexed and faceted.

CKAN's Solr schema has no multi-valued catch-all field, so every vocabulary
field is indexed as ``vocab_<field>`` (a multi-valued string field CKAN
already declares); facets and ``fq`` filters use those names, and facet
items are relabelled in the user's language after each search.

The quality band and score come from the stored annotation, read at index
time (one primary-key query), as ``plusresilient_quality_band`` and
``plusresilient_quality_score``; the freshness as of that scoring as
``plusresilient_freshness`` (up_to_date, late, unknown: the "Freshness"
facet) and the moment the next update is due as
``plusresilient_freshness_due_date`` (a Solr date, for
``[* TO NOW]`` queries through the API and the scheduler's re-scoring).
Facet, filter, badge and band all read the one verdict of the last scoring;
time moves it on through the scheduler (scheduler.py), not here. The datasets' own dicts stay as they are:
pages read the annotation through plusresilient_quality_show.

A dataset that several harvest sources publish (a regional portal and the
national aggregator) is one CKAN dataset, but ckanext-harvest indexes one
``harvest_source_id``, that of the source which imported it last. Every
source that publishes it is indexed in ``vocab_harvest_sources``, so that
the portal directory counts it under each.

The quality summary (plusresilient_quality_summary) is counted here too,
from the facets of those fields, so each caller counts what they can find.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from flask import g, has_request_context

from ckanext.plusresilient import config, vocabularies
from ckanext.plusresilient.field_values import values_of
from ckanext.plusresilient.labels import (
    current_language,
    dataset_type_labels,
    freshness_labels,
    quality_band_labels,
)
from ckanext.plusresilient.model import HarvestRecord
from ckanext.plusresilient.quality.metadata import INDICATOR_BY_KEY
from ckanext.plusresilient.scoring.dataset import (
    BANDS,
    FAILED_INDICATORS_FIELD,
    FRESHNESS_FIELD,
    badges,
    index_values,
)

# record field -> vocabulary; each is indexed as vocab_<field>
INDEXED_VOCABULARY_FIELDS: dict[str, str] = {
    "svrc_scenario": "scenarios",
    "si_area": "si_areas",
    "theme": "data_themes",
    "od_category": "od_categories",
    "helix_actor": "helix_actors",
    "country": "countries",
    "region": "regions",
    "language": "languages",
    "use_case_phase": "use_case_phases",
    "training_format": "training_formats",
    "training_level": "training_levels",
    "skills": "skills",
    "audience": "audiences",
}
# indexed as vocab_<field> too, without labels
INDEXED_LINK_FIELDS = ("datasets_used",)
QUALITY_BAND_FACET = "plusresilient_quality_band"
#: Every harvest source that publishes the dataset (multi-valued, in CKAN's
#: own schema as vocab_*).
HARVEST_SOURCES_FIELD = "vocab_harvest_sources"


def facet_titles(package_type: str | None) -> dict[str, str]:
    """Our facets, in the order shown, for a search page of ``package_type``
    (None: the API, where every type is searched). Each page offers only the
    fields its type has: training material has no macro-scenario, a use case
    no EU data theme."""
    if package_type == "training":
        titles = {
            "vocab_training_format": tk._("Format"),
            "vocab_skills": tk._("Skills addressed"),
            "vocab_training_level": tk._("Level"),
            "vocab_language": tk._("Language"),
            "vocab_audience": tk._("Audience"),
        }
        return _with_quality(titles, package_type)
    titles = {
        "vocab_svrc_scenario": tk._("SVRC macro-scenario"),
        "vocab_si_area": tk._("Social-innovation area"),
    }
    if package_type in (None, "dataset"):
        titles["vocab_theme"] = tk._("EU data theme")
    if package_type == "use-case":
        titles["vocab_use_case_phase"] = tk._("Phase")
    if package_type is None:
        titles["vocab_training_format"] = tk._("Format")
        titles["vocab_skills"] = tk._("Skills addressed")
        titles["vocab_training_level"] = tk._("Level")
    titles["vocab_country"] = tk._("Country")
    titles["vocab_region"] = tk._("Region (NUTS 2)")
    titles = _with_quality(titles, package_type)
    titles["dataset_type"] = tk._("Type")
    return titles


def _with_quality(titles: dict[str, str], package_type: str | None) -> dict[str, str]:
    """The quality band and freshness facets, on the pages of the types that are scored."""
    if package_type is None or package_type in config.scored_types():
        titles[QUALITY_BAND_FACET] = tk._("Quality")
        titles[FRESHNESS_FIELD] = tk._("Freshness")
    return titles


def add_facets(facets: dict[str, Any], package_type: str | None) -> dict[str, Any]:
    """Ours first, then CKAN's (organization, groups, tags, formats, licences)."""
    ordered = dict(facet_titles(package_type))
    ordered.update((key, value) for key, value in facets.items() if key not in ordered)
    facets.clear()
    facets.update(ordered)
    return facets


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Add ``vocab_<field>`` lists from the validated record, and the stored
    quality band and score."""
    validated = pkg_dict.get("validated_data_dict")
    record = json.loads(validated) if isinstance(validated, str) else (validated or pkg_dict)
    for field in (*INDEXED_VOCABULARY_FIELDS, *INDEXED_LINK_FIELDS):
        values = values_of(record.get(field))
        if values:
            pkg_dict[f"vocab_{field}"] = values
    if pkg_dict.get("id"):
        pkg_dict.update(index_values(pkg_dict["id"], record))
        sources = harvest_sources(pkg_dict["id"])
        if sources:
            pkg_dict[HARVEST_SOURCES_FIELD] = sources
        pkg_dict.update(band_by_group(pkg_dict))
    return pkg_dict


def band_by_group(pkg_dict: dict[str, Any]) -> dict[str, list[str]]:
    """The dataset's band paired with each of its groups ("good:IT"), one
    field per grouping of the summary: facets on these count every group's
    bands in the one search that counts the groups."""
    band = pkg_dict.get(QUALITY_BAND_FACET)
    if not band:
        return {}
    fields = {}
    for by, field in SUMMARY_GROUPS.items():
        keys = values_of(pkg_dict.get(field))
        if keys:
            fields[BAND_BY_GROUP[by]] = [f"{band}:{key}" for key in keys]
    return fields


def harvest_sources(package_id: str) -> list[str]:
    """The ids of the harvest sources that publish the dataset now.

    Our harvesters' records that hold it (package_id set, not withdrawn),
    and the source of its current harvest object: ckanext-harvest's own
    harvesters keep no record at all.
    """
    held = model.Session.query(HarvestRecord.source_id).filter(
        HarvestRecord.package_id == package_id, HarvestRecord.withdrawn.is_(None))
    if p.plugin_loaded("harvest"):  # without it, there may be no harvest_object table
        from ckanext.harvest.model import HarvestObject

        # one round trip: this runs for every dataset indexed
        held = held.union(model.Session.query(HarvestObject.harvest_source_id).filter(
            HarvestObject.package_id == package_id, HarvestObject.current.is_(True)))
    return sorted({source_id for (source_id,) in held})


def after_search(search_results: dict[str, Any]) -> dict[str, Any]:
    """The plugin's after_dataset_search: facet labels, and the page's ids
    kept for the quality badges."""
    remember_listed(search_results)
    return label_facets(search_results)


# -- the quality badges of a page of results -------------------------------------------
# A result list shows a badge per dataset. Each read through
# plusresilient_quality_show would be an auth check and a report per result;
# the results are already what the caller may see, so the badges of all the
# datasets one request listed are read together, once, when the first is shown.

_LISTED = "plusresilient_listed"
_BADGES = "plusresilient_badges"


def remember_listed(search_results: dict[str, Any]) -> None:
    """Note the ids of the results this request may show (nothing is read yet:
    an API search shows no badge)."""
    if not has_request_context():
        return
    listed = g.setdefault(_LISTED, set())
    listed.update(result["id"] for result in search_results.get("results") or ()
                  if isinstance(result, dict) and isinstance(result.get("id"), str))


def listed_badge(package_id: str) -> tuple[bool, dict[str, Any] | None]:
    """``(True, badge or None)`` for a dataset this request's searches listed
    (read with every other listed one the first time); ``(False, None)`` for
    another, which the caller must read with its access check."""
    if not has_request_context() or package_id not in (g.get(_LISTED) or ()):
        return False, None
    known: dict[str, Any] = g.setdefault(_BADGES, {})
    if package_id not in known:
        unread = [listed for listed in g.get(_LISTED) if listed not in known]
        found = badges(unread)
        known.update({listed: found.get(listed) for listed in unread})
    return True, known[package_id]


def label_facets(search_results: dict[str, Any]) -> dict[str, Any]:
    """Show facet items by their label in the user's language, not their code."""
    facets = search_results.get("search_facets") or {}
    lang = None
    fixed_labels = {"dataset_type": dataset_type_labels(), QUALITY_BAND_FACET: quality_band_labels(),
                    FRESHNESS_FIELD: freshness_labels()}
    for key, facet in facets.items():
        field = key[len("vocab_"):] if key.startswith("vocab_") else None
        vocabulary_name = INDEXED_VOCABULARY_FIELDS.get(field or "")
        if vocabulary_name is None and key not in fixed_labels:
            continue
        lang = lang or current_language()
        for item in facet.get("items", []):
            if key in fixed_labels:
                item["display_name"] = fixed_labels[key].get(item["name"], item["name"])
            else:
                item["display_name"] = vocabularies.get(vocabulary_name).label(item["name"], lang)
    return search_results


# -- the quality summary: bands counted by the facets ----------------------------------

#: ``by`` of plusresilient_quality_summary -> the Solr field grouped on
#: (the schema's SUMMARY_GROUPINGS).
SUMMARY_GROUPS = {
    "country": "vocab_country",
    "region": "vocab_region",
    "organization": "organization",
    # every source that publishes the dataset, as the directory counts it
    "harvest_source": HARVEST_SOURCES_FIELD,
}


#: ``by`` -> the field holding "<band>:<group key>" (see band_by_group).
BAND_BY_GROUP = {by: f"vocab_quality_band_by_{by}" for by in SUMMARY_GROUPS}


def _band_counts(counts: dict[str, int], total: int) -> dict[str, int]:
    bands = {band: int(counts.get(band, 0)) for band in BANDS}
    bands["not_scored"] = total - sum(bands.values())
    return bands


def facet_counts(user: str | None, fq: str, fields: list[str]) -> dict[str, Any]:
    """A search of what ``user`` can find (private datasets included) for its
    count and every value of each facet field, no rows."""
    return tk.get_action("package_search")(
        {"user": user},
        {"q": "", "fq": fq, "rows": 0, "facet": "true", "facet.field": fields,
         "facet.limit": -1, "include_private": True},
    )


def _group_labels(by: str, result: dict[str, Any], keys: list[str]) -> dict[str, str]:
    """What a person reads for each group: the facet's label, or the harvest
    source's title (its facet shows only ids)."""
    if by == "harvest_source":
        rows = model.Session.query(model.Package.id, model.Package.title).filter(
            model.Package.id.in_(keys))
        return {row.id: row.title or row.id for row in rows}
    items = result.get("search_facets", {}).get(SUMMARY_GROUPS[by], {}).get("items", [])
    return {item["name"]: item.get("display_name") or item["name"] for item in items}


def quality_summary(user: str | None, by: str | None, organization_id: str | None = None,
                    countries: tuple[str, ...] = ()) -> dict[str, Any]:
    """What plusresilient_quality_summary documents, counted as ``user``
    finds datasets, within one organization and some countries when given.

    One search counts the bands, every grouping's groups and each group's
    bands (the band_by_group fields); the dashboard asks for all four
    groupings in one request, so the search is kept for the request."""
    counted = _summary_search(user, _scope(organization_id, countries))
    total = counted["count"]
    facets = counted["facets"]
    summary: dict[str, Any] = {
        "by": by,
        "total": total,
        "bands": _band_counts(facets.get(QUALITY_BAND_FACET, {}), total),
        "groups": [],
    }
    if not by:
        return summary
    group_totals = facets.get(SUMMARY_GROUPS[by], {})
    per_group: dict[str, dict[str, int]] = {}
    for value, count in facets.get(BAND_BY_GROUP[by], {}).items():
        band, _, key = value.partition(":")
        per_group.setdefault(key, {})[band] = count
    keys = sorted(group_totals, key=lambda key: (-group_totals[key], key))
    labels = _group_labels(by, counted, keys)
    summary["groups"] = [{
        "key": key,
        "label": labels.get(key, key),
        "total": group_totals[key],
        "bands": _band_counts(per_group.get(key, {}), group_totals[key]),
    } for key in keys]
    return summary


def failing_indicators(user: str | None, limit: int, organization_id: str | None = None,
                       countries: tuple[str, ...] = ()) -> dict[str, Any]:
    """What plusresilient_quality_indicators documents: the indicators failed
    by the largest share of the scored datasets ``user`` finds, counted by
    the facet of the failed keys (the summary's search). Dimension, label
    (English) and the points a failure loses come from the indicator table;
    keys it no longer has are left out."""
    counted = _summary_search(user, _scope(organization_id, countries))
    facets = counted["facets"]
    scored = sum(facets.get(QUALITY_BAND_FACET, {}).values())
    found = []
    for key, failed in facets.get(FAILED_INDICATORS_FIELD, {}).items():
        spec = INDICATOR_BY_KEY.get(key)
        if spec is not None and failed:
            found.append({"key": key, "dimension": spec.dimension, "label": spec.label,
                          "failed": failed, "share": failed / scored,
                          "points_lost": failed * spec.points})
    found.sort(key=lambda item: (-item["failed"], -item["points_lost"], item["key"]))
    return {"scored": scored, "indicators": found[:limit]}


def _scope(organization_id: str | None, countries: tuple[str, ...]) -> str:
    """The datasets of the catalogue's figures: the scored types, within one
    organization and some countries when given."""
    types = " OR ".join(f'"{name}"' for name in config.scored_types())
    scope = f"+dataset_type:({types})"
    if organization_id:
        scope += f' +owner_org:"{organization_id}"'
    if countries:
        scope += " +vocab_country:(" + " OR ".join(f'"{code}"' for code in countries) + ")"
    return scope


_SUMMARY_SEARCHES = "plusresilient_summary_searches"


def _summary_search(user: str | None, scope: str) -> dict[str, Any]:
    """The one search of the summaries and the failing indicators (bands,
    groups, bands per group, failed keys), kept for the rest of the request:
    the dashboard asks for all of them at once."""
    kept = g.setdefault(_SUMMARY_SEARCHES, {}) if has_request_context() else {}
    if (user, scope) not in kept:
        fields = [QUALITY_BAND_FACET, *SUMMARY_GROUPS.values(), *BAND_BY_GROUP.values(),
                  FAILED_INDICATORS_FIELD]
        kept[(user, scope)] = facet_counts(user, scope, fields)
    return kept[(user, scope)]
