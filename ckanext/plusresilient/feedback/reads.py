"""The lists of items the actions return, and each item as the API gives it."""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa
from ckan import model

from ckanext.plusresilient.feedback.access import (
    Caller,
    dataset_visible,
    is_author,
    may_moderate,
    moderated_organization_ids,
)
from ckanext.plusresilient.model.feedback import Feedback, FeedbackReply
from ckanext.plusresilient.timestamps import iso

__all__ = ["MAX_LIMIT", "as_dict", "as_dicts", "items_of_author", "items_of_dataset", "queue"]

#: Items one call returns at most, whatever ``limit`` asks (the schema
#: refuses only what cannot be a page size at all).
MAX_LIMIT = 200


def items_of_dataset(who: Caller, package: model.Package, params: dict[str, Any]) -> list[Feedback]:
    """The items of a visible dataset the caller may see, newest first."""
    limit, offset = _limit_and_offset(params)
    query = _filtered(Feedback.active().filter(Feedback.package_id == package.id), params)
    if not (params["include_hidden"] and may_moderate(who, package)):
        visible = Feedback.moderation == "approved"
        if who.user is not None:
            visible = sa.or_(visible, Feedback.author_id == who.user.id)
        query = query.filter(visible)
    return _page(query, limit, offset)


def items_of_author(who: Caller, params: dict[str, Any]) -> list[Feedback]:
    """The caller's own items on the datasets they may still see."""
    limit, offset = _limit_and_offset(params)
    if who.user is None:
        return []
    query = _filtered(Feedback.active().filter(Feedback.author_id == who.user.id), params)
    items = _page(query, None, 0)
    visible = {package_id for package_id in {item.package_id for item in items}
               if dataset_visible(who, package_id)}
    return [item for item in items if item.package_id in visible][offset:offset + limit]


def queue(who: Caller, organization_id: str | None, params: dict[str, Any]) -> list[Feedback]:
    """Pending and flagged items on the active datasets the caller moderates."""
    limit, offset = _limit_and_offset(params)
    query = (Feedback.active()
             .join(model.Package, model.Package.id == Feedback.package_id)
             .filter(model.Package.state == "active",
                     sa.or_(Feedback.moderation == "pending", Feedback.flags > 0)))
    organizations = moderated_organization_ids(who)
    if organization_id is not None:
        organizations = [organization_id]
    if organizations is not None:
        query = query.filter(model.Package.owner_org.in_(organizations))
    return _page(_filtered(query, params), limit, offset)


def _limit_and_offset(params: dict[str, Any]) -> tuple[int, int]:
    """The page asked for (validated by the action's schema), at most MAX_LIMIT long."""
    return min(params["limit"], MAX_LIMIT), params["offset"]


def _filtered(query: Any, params: dict[str, Any]) -> Any:
    """Only the items of the ``status`` and ``kind`` asked for (validated by
    the action's schema), when asked."""
    for name, column in (("status", Feedback.status), ("kind", Feedback.kind)):
        if params.get(name) is not None:
            query = query.filter(column == params[name])
    return query


def _page(query: Any, limit: int | None, offset: int) -> list[Feedback]:
    query = query.order_by(Feedback.created.desc(), Feedback.id).offset(offset)
    return (query.limit(limit) if limit is not None else query).all()


def as_dict(item: Feedback, who: Caller) -> dict[str, Any]:
    return as_dicts([item], who)[0]


def as_dicts(items: list[Feedback], who: Caller) -> list[dict[str, Any]]:
    """The items as the API gives them, with three queries for any number
    (replies, names, datasets) instead of three per item."""
    replies = FeedbackReply.of_items(item.id for item in items)
    user_ids = {item.author_id for item in items} | {
        reply.author_id for group in replies.values() for reply in group}
    names = _display_names(user_id for user_id in user_ids if user_id)
    packages = {package.id: package for package in model.Session.query(model.Package)
                .filter(model.Package.id.in_({item.package_id for item in items}))}
    moderates: dict[str, bool] = {}
    result = []
    for item in items:
        package = packages[item.package_id]
        if package.id not in moderates:
            moderates[package.id] = may_moderate(who, package)
        result.append({
            "id": item.id,
            "package_id": item.package_id,
            "package_name": package.name,
            "package_title": package.title,
            "resource_id": item.resource_id,
            "kind": item.kind,
            "rating": item.rating,
            "category": item.category,
            "text": item.text,
            "author_name": names.get(item.author_id) if item.author_id else None,
            "created": iso(item.created),
            "updated": iso(item.updated),
            "status": item.status,
            "moderation": item.moderation,
            "flags": item.flags,
            "replies": [{"id": reply.id, "author_name": names.get(reply.author_id),
                         "text": reply.text, "created": iso(reply.created)}
                        for reply in replies[item.id]],
            "may_moderate": moderates[package.id],
            "may_delete": is_author(who, item) or who.sysadmin,
        })
    return result


def _display_names(user_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    users = model.Session.query(model.User).filter(model.User.id.in_(wanted))
    return {user.id: user.display_name for user in users}
