"""Who is asking, and what they may see and moderate."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.plusresilient.model.feedback import Feedback

__all__ = [
    "MODERATOR_ROLES",
    "Caller",
    "caller_of",
    "dataset_visible",
    "hash_address",
    "is_author",
    "item_in",
    "logged_in_user",
    "may_moderate",
    "may_see",
    "moderated_organization_ids",
]

#: Organization roles that moderate.
MODERATOR_ROLES = ("editor", "admin")
#: The context keys under which one action's auth function and body share
#: what they looked up (CKAN passes them the same context).
_CALLER = "plusresilient_feedback_caller"
_ITEM = "plusresilient_feedback_item"


@dataclasses.dataclass(frozen=True)
class Caller:
    """The user (None when anonymous) and the keyed hash of the request's
    address (None outside a request, e.g. the CLI)."""

    user: model.User | None
    ip_hash: str | None

    @property
    def sysadmin(self) -> bool:
        return bool(self.user is not None and self.user.sysadmin)

    @property
    def identity(self) -> str | None:
        """Who counts as one person for rate limits and flags."""
        if self.user is not None:
            return self.user.id
        return f"ip:{self.ip_hash}" if self.ip_hash else None


def logged_in_user(context: dict[str, Any]) -> model.User | None:
    """The active user the action runs for; None for an anonymous caller.

    Decided from the user *name*, never from ``auth_user_obj``: through the
    API that is CKAN's AnonymousUser for a visitor who is not logged in, an
    object that is truthy.
    """
    name = context.get("user")
    user = model.User.get(name) if name and isinstance(name, str) else None
    return user if user is not None and user.state == "active" else None


def caller_of(context: dict[str, Any]) -> Caller:
    """The caller, looked up once per action call (auth and body share it)."""
    name = context.get("user")
    cached = context.get(_CALLER)
    if cached is not None and cached[0] == name:
        return cached[1]
    caller = Caller(user=logged_in_user(context), ip_hash=hash_address(_client_address()))
    context[_CALLER] = (name, caller)
    return caller


def _client_address() -> str | None:
    from flask import has_request_context, request

    if not has_request_context():
        return None
    return request.remote_addr or None


def hash_address(address: str | None) -> str | None:
    """A keyed hash: equal addresses match, yet a leaked table cannot be
    reversed by hashing the four billion IPv4 addresses."""
    if not address:
        return None
    secret = str(tk.config.get("SECRET_KEY") or tk.config.get("beaker.session.secret") or "")
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def dataset_visible(who: Caller, package_id: str) -> bool:
    """Whether the caller may see the dataset, as package_show decides it
    (private datasets, drafts and deleted ones included)."""
    # "model": CKAN 2.11's auth functions read it from the context (2.12 imports it)
    context = {"user": who.user.name if who.user else "", "auth_user_obj": who.user, "model": model}
    try:
        return bool(authz.is_authorized("package_show", context, {"id": package_id})["success"])
    except tk.ObjectNotFound:
        return False


def may_moderate(who: Caller, package: model.Package) -> bool:
    if who.user is None:
        return False
    if who.sysadmin:
        return True
    if not package.owner_org:
        return False
    return authz.users_role_for_group_or_org(package.owner_org, who.user.name) in MODERATOR_ROLES


def is_author(who: Caller, item: Feedback) -> bool:
    return who.user is not None and item.author_id == who.user.id


def may_see(who: Caller, item: Feedback, package: model.Package) -> bool:
    if not dataset_visible(who, package.id):
        return False
    if item.moderation == "approved" or is_author(who, item):
        return True
    return may_moderate(who, package)


def moderated_organization_ids(who: Caller) -> list[str] | None:
    """The organizations whose datasets' feedback the caller moderates; None
    means all of them (a sysadmin)."""
    if who.sysadmin:
        return None
    if who.user is None:
        return []
    rows = (model.Session.query(model.Member.group_id)
            .join(model.Group, model.Group.id == model.Member.group_id)
            .filter(model.Member.table_name == "user", model.Member.table_id == who.user.id,
                    model.Member.state == "active", model.Member.capacity.in_(MODERATOR_ROLES),
                    model.Group.is_organization.is_(True), model.Group.state == "active"))
    return sorted({row.group_id for row in rows})


def item_in(context: dict[str, Any], item_id: Any) -> tuple[Feedback, model.Package]:
    """The active item and its dataset, looked up once per action call: the
    auth function and the action share it through the context (sysadmins
    skip the auth function, so the action may be the first to ask).
    Whether the caller may see them is the auth functions' question.

    :raises ckan.logic.NotFound: no such active item, or its dataset is gone
    """
    cached = context.get(_ITEM)
    if cached is not None and cached[0].id == item_id:
        return cached
    item = Feedback.get(item_id) if isinstance(item_id, str) else None
    package = model.Package.get(item.package_id) if item is not None else None
    if item is None or package is None:
        raise tk.ObjectNotFound(tk._("Feedback not found"))
    context[_ITEM] = (item, package)
    return item, package
