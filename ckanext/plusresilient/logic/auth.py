"""Auth functions of the suite's actions (one per action, same name)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

__all__ = ["plusresilient_portal_list", "plusresilient_portals_sync"]


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
