"""Template helpers: vocabulary labels in the user's language and the links
between use cases and the datasets they used."""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import vocabularies

__all__ = [
    "plusresilient_vocabulary_choices",
    "plusresilient_vocabulary_label",
    "plusresilient_linked_datasets",
    "plusresilient_use_cases_of",
    "plusresilient_dataset_names_text",
]


def current_language() -> str:
    """The request's language, or the default one outside a request (CLI, jobs)."""
    try:
        return tk.h.lang() or tk.config.get("ckan.locale_default", "en")
    except (RuntimeError, TypeError, AttributeError):
        return tk.config.get("ckan.locale_default", "en")


def plusresilient_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming choices with every language's label, so the form shows the
    user's (scheming picks the language from the label dict)."""
    vocabulary = vocabularies.get(field["vocabulary"])
    choices = []
    for term in vocabulary.terms:
        labels = dict(term.labels)
        country = term.extra.get("country") if vocabulary.name == "regions" else None
        if country:
            labels = {lang: f"{label} ({country})" for lang, label in labels.items()}
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
