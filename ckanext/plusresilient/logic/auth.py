"""Auth functions of the suite's actions (one per action, same name)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.plusresilient import config
from ckanext.plusresilient.feedback.access import (
    Caller,
    caller_of,
    item_in,
    logged_in_user,
    may_moderate,
    may_see,
    moderated_organization_ids,
)
from ckanext.plusresilient.model.feedback import Feedback

__all__ = [
    "plusresilient_portal_list",
    "plusresilient_portals_sync",
    "plusresilient_quality_show",
    "plusresilient_quality_refresh",
    "plusresilient_quality_summary",
    "plusresilient_quality_trend",
    "plusresilient_quality_indicators",
    "plusresilient_quality_cluster_report",
    "plusresilient_feedback_create",
    "plusresilient_feedback_list",
    "plusresilient_feedback_show",
    "plusresilient_feedback_update_status",
    "plusresilient_feedback_reply",
    "plusresilient_feedback_moderate",
    "plusresilient_feedback_delete",
    "plusresilient_feedback_flag",
    "plusresilient_feedback_queue",
    "plusresilient_feedback_mine",
    "plusresilient_harvest_provenance",
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


# -- community feedback ------------------------------------------------------------------------
# Sysadmins never reach these (CKAN lets them pass), so the actions look the
# items up themselves as well.
#
# Who is anonymous is decided from the user name (feedback.access.logged_in_user),
# never from context["auth_user_obj"]: through the API that is CKAN's
# AnonymousUser for a visitor, a truthy object. For the same reason CKAN's
# own "requires an authenticated user" check, which tests auth_user_obj, lets
# API visitors through to functions without auth_allow_anonymous_access: each
# function below that needs a person refuses anonymous callers itself.

def _login_required(context: dict[str, Any], msg: str | None = None
                    ) -> dict[str, Any] | None:
    """The refusal of an anonymous caller, whatever the site allows; None
    for a logged-in one. Messages are translated here, at call time, in the
    request's language."""
    if logged_in_user(context) is not None:
        return None
    return {"success": False, "msg": msg or tk._("Log in to do this")}


def _anonymous_refused(context: dict[str, Any]) -> dict[str, Any] | None:
    """The refusal of an anonymous caller where the site wants authors
    logged in; None when the caller may go on."""
    if config.feedback_allow_anonymous():
        return None
    return _login_required(context, tk._("Log in to give feedback"))


def _visible_item(context: dict[str, Any], data_dict: dict[str, Any]
                  ) -> tuple[Feedback, model.Package, Caller]:
    """The item and its dataset when the caller may see them; ObjectNotFound
    otherwise, as for an item that does not exist."""
    item, package = item_in(context, data_dict.get("id"))
    who = caller_of(context)
    if not may_see(who, item, package):
        raise tk.ObjectNotFound(tk._("Feedback not found"))
    return item, package, who


@tk.auth_allow_anonymous_access
def plusresilient_feedback_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Logged-in users (anonymous visitors when the site allows them) who may
    see the dataset."""
    refused = _anonymous_refused(context)
    if refused:
        return refused
    require_visible_dataset(context, {"id": data_dict.get("package_id")})
    return {"success": True}


@tk.auth_allow_anonymous_access
def plusresilient_feedback_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may see the dataset (the action picks the items they may see)."""
    require_visible_dataset(context, {"id": data_dict.get("package_id")})
    return {"success": True}


@tk.auth_allow_anonymous_access
def plusresilient_feedback_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may see the item: approved ones with their dataset, the others
    by their author and the moderators."""
    _visible_item(context, data_dict)
    return {"success": True}


def _moderator(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    refused = _login_required(context)
    if refused:
        return refused
    _, package, who = _visible_item(context, data_dict)
    if may_moderate(who, package):
        return {"success": True}
    return {"success": False,
            "msg": tk._("Only the editors and admins of the dataset's organization can do this")}


def plusresilient_feedback_update_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The dataset's organization's editors and admins."""
    return _moderator(context, data_dict)


def plusresilient_feedback_reply(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The dataset's organization's editors and admins: replies speak for the publisher."""
    return _moderator(context, data_dict)


def plusresilient_feedback_moderate(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The dataset's organization's editors and admins."""
    return _moderator(context, data_dict)


def plusresilient_feedback_delete(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The author (moderators hide instead: what was said stays on record)."""
    refused = _login_required(context)
    if refused:
        return refused
    item, _, who = _visible_item(context, data_dict)
    if who.user is not None and item.author_id == who.user.id:
        return {"success": True}
    return {"success": False, "msg": tk._("Only the author can delete this feedback")}


@tk.auth_allow_anonymous_access
def plusresilient_feedback_flag(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Logged-in users (anonymous visitors when the site allows them) who may
    see the item."""
    refused = _anonymous_refused(context)
    if refused:
        return refused
    _visible_item(context, data_dict)
    return {"success": True}


def plusresilient_feedback_queue(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Editors and admins of some organization (of the one asked for, when
    one is)."""
    refused = _login_required(context)
    if refused:
        return refused
    who = caller_of(context)
    organizations = moderated_organization_ids(who)
    wanted = data_dict.get("organization")
    if wanted:
        organization = model.Group.get(wanted) if isinstance(wanted, str) else None
        if organization is None or not organization.is_organization:
            raise tk.ObjectNotFound(tk._("Organization not found"))
        allowed = organizations is None or organization.id in organizations
    else:
        allowed = organizations is None or bool(organizations)
    if allowed:
        return {"success": True}
    return {"success": False, "msg": tk._("Only editors and admins of an organization moderate feedback")}


def plusresilient_feedback_mine(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Any logged-in user."""
    return _login_required(context) or {"success": True}


# -- catalog quality: trend and failing indicators ---------------------------------------------

@tk.auth_allow_anonymous_access
def plusresilient_quality_trend(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Public, like the summary: the action counts only the datasets the
    caller could find by searching."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def plusresilient_quality_indicators(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Public, like the summary: the action counts only the datasets the
    caller could find by searching."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def plusresilient_quality_cluster_report(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Public, like the summary: the action lists only the datasets the
    caller finds by searching (a private dataset to its cluster's members)."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def plusresilient_harvest_provenance(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may see the dataset may see where it comes from."""
    require_visible_dataset(context, data_dict)
    return {"success": True}
