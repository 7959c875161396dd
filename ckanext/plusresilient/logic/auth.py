"""Auth functions of the suite's actions (one per action, same name)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz

__all__ = [
    "plusresilient_portal_list",
    "plusresilient_portals_sync",
    "plusresilient_quality_show",
    "plusresilient_quality_refresh",
    "plusresilient_quality_summary",
]


@tk.auth_allow_anonymous_access
def plusresilient_portal_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The portal directory is public."""
    return {"success": True}


def plusresilient_portals_sync(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Only sysadmins (who pass every auth function) may create harvest
    sources from the directory."""
    return {
        "success": False,
        "msg": tk._("Only sysadmins can synchronise the portals' harvest sources"),
    }


def require_visible_dataset(context: dict[str, Any], data_dict: dict[str, Any]) -> None:
    """ObjectNotFound, the same for a dataset that does not exist and for one
    the caller may not see: a quality report must not reveal that a private
    dataset exists."""
    try:
        visible = authz.is_authorized("package_show", context, {"id": data_dict.get("id")})
    except tk.ObjectNotFound:
        visible = {"success": False}
    if not visible["success"]:
        raise tk.ObjectNotFound(tk._("Dataset not found"))


@tk.auth_allow_anonymous_access
def plusresilient_quality_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may see the dataset may see its quality report."""
    require_visible_dataset(context, data_dict)
    return {"success": True}


def plusresilient_quality_refresh(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may edit the dataset (its organization's editors and admins)."""
    require_visible_dataset(context, data_dict)
    return authz.is_authorized("package_update", context, {"id": data_dict.get("id")})


@tk.auth_allow_anonymous_access
def plusresilient_quality_summary(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Public: the counts come from a search, so each caller counts only the
    datasets they may see."""
    return {"success": True}
