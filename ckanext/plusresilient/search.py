"""How SVRC records are indexed and faceted.

CKAN's Solr schema has no multi-valued catch-all field, so every vocabulary
field is indexed as ``vocab_<field>`` (a multi-valued string field CKAN
already declares); facets and ``fq`` filters use those names, and facet
items are relabelled in the user's language after each search.

The quality band and score come from the stored annotation, read at index
time (one primary-key query), as ``plusresilient_quality_band`` and
``plusresilient_quality_score``. The datasets' own dicts stay as they are:
pages read the annotation through plusresilient_quality_show.

A dataset that several harvest sources publish (a regional portal and the
national aggregator) is one CKAN dataset, but ckanext-harvest indexes one
``harvest_source_id``, that of the source which imported it last. Every
source that publishes it is indexed in ``vocab_harvest_sources``, so that
the portal directory counts it under each.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.helpers import current_language
from ckanext.plusresilient.logic import quality

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


def dataset_type_labels() -> dict[str, str]:
    return {
        "dataset": tk._("Dataset"),
        "use-case": tk._("Use case"),
        "training": tk._("Training material"),
    }


def quality_band_labels() -> dict[str, str]:
    return {
        "excellent": tk._("Excellent"),
        "good": tk._("Good"),
        "sufficient": tk._("Sufficient"),
        "bad": tk._("Bad"),
    }


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
    """The quality band facet, on the pages of the types that are scored."""
    if package_type is None or package_type in quality.scored_types():
        titles[QUALITY_BAND_FACET] = tk._("Quality")
    return titles


def add_facets(facets: dict[str, Any], package_type: str | None) -> dict[str, Any]:
    """Ours first, then CKAN's (organization, groups, tags, formats, licences)."""
    ordered = dict(facet_titles(package_type))
    ordered.update((key, value) for key, value in facets.items() if key not in ordered)
    facets.clear()
    facets.update(ordered)
    return facets


def values_of(value: Any) -> list[str]:
    """A field's codes as a list, whichever way it came: one code, a list, or
    a JSON list as text (the validated record stores some fields that way)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                return [value]
        else:
            return [value]
    return [item for item in value if isinstance(item, str) and item]


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
        pkg_dict.update(quality.index_values(pkg_dict["id"]))
        sources = harvest_sources(pkg_dict["id"])
        if sources:
            pkg_dict[HARVEST_SOURCES_FIELD] = sources
    return pkg_dict


def harvest_sources(package_id: str) -> list[str]:
    """The ids of the harvest sources that publish the dataset now.

    Our harvesters' records that hold it (package_id set, not withdrawn),
    and the source of its current harvest object: the source importing the
    dataset right now writes its record only after the dataset is indexed,
    and ckanext-harvest's own harvesters keep no record at all.
    """
    from ckanext.plusresilient.model import HarvestRecord

    ids = [record.source_id for record in HarvestRecord.sources_of(package_id)]
    if p.plugin_loaded("harvest"):  # without it, there may be no harvest_object table
        from ckanext.harvest.model import HarvestObject

        ids += [source_id for (source_id,) in model.Session.query(HarvestObject.harvest_source_id)
                .filter(HarvestObject.package_id == package_id,
                        HarvestObject.current.is_(True))]
    return sorted(set(ids))


def label_facets(search_results: dict[str, Any]) -> dict[str, Any]:
    """Show facet items by their label in the user's language, not their code."""
    facets = search_results.get("search_facets") or {}
    lang = None
    fixed_labels = {"dataset_type": dataset_type_labels(), QUALITY_BAND_FACET: quality_band_labels()}
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
