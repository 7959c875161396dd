"""What CKAN's pages call our dataset types.

CKAN builds "Add Use-case", "Use-cases", "Search trainings..." by gluing the
type's name into English templates, which reads badly in English and cannot
be translated. Each label here is a whole sentence of its own, so every
language gets a natural one. Purposes not listed keep CKAN's wording with the
type's name as CKAN spells it.
"""
from __future__ import annotations

from typing import Callable

import ckan.plugins.toolkit as tk

Labels = dict[str, Callable[[], str]]

USE_CASE: Labels = {
    "add link": lambda: tk._("Add use case"),
    "breadcrumb": lambda: tk._("Use cases"),
    "content tab": lambda: tk._("Use cases"),
    "create label": lambda: tk._("Create use case"),
    "create title": lambda: tk._("Create use case"),
    "delete confirmation": lambda: tk._("Are you sure you want to delete this use case?"),
    "edit label": lambda: tk._("Edit use case"),
    "facet label": lambda: tk._("Use cases"),
    "form label": lambda: tk._("Use case form"),
    "main nav": lambda: tk._("Use cases"),
    "my label": lambda: tk._("My use cases"),
    "no any objects": lambda: tk._("There are no use cases yet."),
    "page title": lambda: tk._("Use cases"),
    "save label": lambda: tk._("Save use case"),
    "search placeholder": lambda: tk._("Search use cases..."),
    "update label": lambda: tk._("Update use case"),
    "view label": lambda: tk._("View use case"),
    "no description": lambda: tk._("There is no description for this use case."),
}

TRAINING: Labels = {
    "add link": lambda: tk._("Add training material"),
    "breadcrumb": lambda: tk._("Training"),
    "content tab": lambda: tk._("Training"),
    "create label": lambda: tk._("Create training material"),
    "create title": lambda: tk._("Create training material"),
    "delete confirmation": lambda: tk._("Are you sure you want to delete this training material?"),
    "edit label": lambda: tk._("Edit training material"),
    "facet label": lambda: tk._("Training"),
    "form label": lambda: tk._("Training material form"),
    "main nav": lambda: tk._("Training"),
    "my label": lambda: tk._("My training material"),
    "no any objects": lambda: tk._("There is no training material yet."),
    "page title": lambda: tk._("Training"),
    "save label": lambda: tk._("Save training material"),
    "search placeholder": lambda: tk._("Search training material..."),
    "update label": lambda: tk._("Update training material"),
    "view label": lambda: tk._("View training material"),
    "no description": lambda: tk._("There is no description for this training material."),
}

BY_TYPE: dict[tuple[str, str], Labels] = {
    ("package", "use-case"): USE_CASE,
    ("package", "training"): TRAINING,
}


def label(entity_type: str, object_type: str, purpose: str) -> str | None:
    """The label, or None when CKAN's own wording is kept."""
    text = BY_TYPE.get((entity_type, object_type), {}).get(purpose)
    return text() if text else None
