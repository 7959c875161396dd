"""What every action does around its domain call: find the objects its
parameters name, and commit unless its caller owns the transaction."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

__all__ = ["commit", "dataset_or_not_found", "organization_or_not_found"]


def dataset_or_not_found(name_or_id: str) -> model.Package:
    """The dataset (any state), by id or name; whether the caller may see it
    is the auth function's question.

    :raises ckan.logic.NotFound: no such dataset
    """
    package = model.Package.get(name_or_id)
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return package


def organization_or_not_found(name_or_id: str, *, active_only: bool = False) -> model.Group:
    """The organization, by id or name (a group is none).

    :raises ckan.logic.NotFound: no such organization
    """
    organization = model.Group.get(name_or_id)
    if (organization is None or not organization.is_organization
            or (active_only and organization.state != "active")):
        raise tk.ObjectNotFound(tk._("Organization not found"))
    return organization


def commit(context: dict[str, Any]) -> None:
    """Commit the action's changes, unless the caller will (``defer_commit``,
    as CKAN's own actions read it): then a caller can make several changes
    one transaction, or roll them all back."""
    if not context.get("defer_commit"):
        model.repo.commit()
