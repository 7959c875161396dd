"""Community feedback inside CKAN: who may see and do what, and what it changes.

Visibility
    An item is never more visible than its dataset: whoever may not see the
    dataset gets "not found" for the dataset and for every item on it, the
    same answer as for something that does not exist. Within a visible
    dataset, "approved" items are for everyone; "pending" and "hidden" ones
    only for the moderators and the item's author (who should see that their
    report waits, not that it vanished).

Moderators
    The editors and admins of the dataset's organization, and sysadmins: the
    people who can fix what a report is about. Dataset collaborators are not
    moderators, so the moderation queue and the per-item rights agree.

What a change sets off
    An item that counts for the quality score (an approved rating, an approved
    open or acknowledged report) changing in any way schedules the dataset's
    rescoring after the commit (when ``quality.auto`` is on). An item made
    public for the first time becomes a "new feedback" activity of the
    dataset; a new item is mailed to the organization's admins when the site
    asks for it (``feedback.mail_admins``). Neither the activity's nor the
    mail's failure fails the action: the feedback itself has been saved.

Abuse
    New items are counted per user (per keyed address hash for anonymous
    visitors) in Redis within the configured window. Flags are one per person;
    the configured number of them hides an item until a moderator decides,
    and a decision starts the count again.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import logging
import unicodedata
import uuid
from typing import Any, Iterable

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.model.feedback import (
    CATEGORIES,
    MAX_TEXT,
    Feedback,
    FeedbackFlag,
    FeedbackReply,
)
from ckanext.plusresilient.quality.score import CommunitySummary

__all__ = [
    "ACTIVITY_TYPE",
    "OPEN_STATUSES",
    "Caller",
    "add_reply",
    "as_dicts",
    "caller_of",
    "community_summary",
    "create",
    "dataset_visible",
    "delete",
    "flag",
    "item_or_not_found",
    "items_of_dataset",
    "items_of_author",
    "may_moderate",
    "may_see",
    "moderate",
    "moderated_organization_ids",
    "queue",
    "rate_limit_key",
    "set_status",
]

log = logging.getLogger(__name__)

#: The activity stream entry of an item made public.
ACTIVITY_TYPE = "new feedback"
#: Statuses of a report that still counts against the dataset.
OPEN_STATUSES = ("open", "acknowledged")
#: Organization roles that moderate.
MODERATOR_ROLES = ("editor", "admin")
#: Characters of a flag's reason.
MAX_REASON = 500
#: Items one call returns at most, whatever ``limit`` asks (the schema
#: refuses only what cannot be a page size at all).
MAX_LIMIT = 200
#: Line breaks and tabs are text; every other control character is noise or an attack.
_KEPT_CONTROLS = frozenset("\n\t")


# -- who is asking ---------------------------------------------------------------------------

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
    return Caller(user=logged_in_user(context), ip_hash=hash_address(_client_address()))


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


# -- who may see and do what -----------------------------------------------------------------

def dataset_visible(who: Caller, package_id: str) -> bool:
    """Whether the caller may see the dataset, as package_show decides it
    (private datasets, drafts and deleted ones included)."""
    context = {"user": who.user.name if who.user else "", "auth_user_obj": who.user}
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


def may_see(who: Caller, item: Feedback, package: model.Package) -> bool:
    if not dataset_visible(who, package.id):
        return False
    if item.moderation == "approved" or _is_author(who, item):
        return True
    return may_moderate(who, package)


def _is_author(who: Caller, item: Feedback) -> bool:
    return who.user is not None and item.author_id == who.user.id


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


def dataset_or_not_found(value: Any) -> model.Package:
    if not value or not isinstance(value, str):
        raise tk.ValidationError({"package_id": [tk._("Missing value")]})
    package = model.Package.get(value)
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return package


def item_or_not_found(value: Any) -> tuple[Feedback, model.Package]:
    """The active item and its dataset. Whether the caller may see them is
    the auth functions' question."""
    if not value or not isinstance(value, str):
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    item = Feedback.get(value)
    package = model.Package.get(item.package_id) if item is not None else None
    if item is None or package is None:
        raise tk.ObjectNotFound("Feedback not found")
    return item, package


# -- checking what is sent -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class NewFeedback:
    kind: str
    text: str
    rating: int | None
    category: str | None
    resource_id: str | None


def clean_text(value: Any, maximum: int = MAX_TEXT) -> tuple[str, str | None]:
    """The text as stored (control characters out, line ends unified,
    surrounding blanks trimmed) and the problem with it, if any. Markup is
    kept as written: it is escaped where it is shown."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", "Must be text"
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text
                   if char in _KEPT_CONTROLS or unicodedata.category(char) != "Cc").strip()
    if len(text) > maximum:
        return text, f"At most {maximum} characters, not {len(text)}"
    return text, None


def validate_new(params: dict[str, Any], package: model.Package) -> NewFeedback:
    """What create stores, or a ValidationError naming every problem at once.

    ``params`` have passed the action's schema (each value of its type,
    ``text`` a string); what is checked here is how they fit together and
    with the dataset.
    """
    errors: dict[str, list[str]] = {}
    kind = params["kind"]
    rating = params.get("rating")
    if kind == "rating" and rating is None:
        errors["rating"] = ["A whole number from 1 to 5"]
    elif kind != "rating" and rating is not None:
        errors["rating"] = ["Only ratings have a rating"]

    category = params.get("category")
    if kind == "report" and category is None:
        errors["category"] = [tk._("Must be one of: {values}").format(values=", ".join(CATEGORIES))]
    elif kind != "report" and category is not None:
        errors["category"] = ["Only quality reports have a category"]

    text, problem = clean_text(params.get("text", ""))
    text_needed = kind in ("comment", "suggestion") or (kind == "report" and category == "other")
    if problem:
        errors["text"] = [problem]
    elif text_needed and not text:
        errors["text"] = [tk._("Missing value")]

    resource_id = params.get("resource_id")
    if resource_id is not None and not _resource_of(resource_id, package):
        errors["resource_id"] = ["Not a resource of this dataset"]

    if errors:
        raise tk.ValidationError(errors)
    return NewFeedback(kind=kind, text=text, rating=rating, category=category,
                       resource_id=resource_id)


def _resource_of(resource_id: Any, package: model.Package) -> bool:
    if not isinstance(resource_id, str):
        return False
    resource = model.Resource.get(resource_id)
    return (resource is not None and resource.package_id == package.id
            and resource.state == "active")


def _limit_and_offset(params: dict[str, Any]) -> tuple[int, int]:
    """The page asked for (validated by the action's schema), at most MAX_LIMIT long."""
    return min(params["limit"], MAX_LIMIT), params["offset"]


# -- rate limit ------------------------------------------------------------------------------

def rate_limit_key(identity: str) -> str:
    """Site-scoped: sites may share a Redis server."""
    return f"plusresilient-feedback-rate-{tk.config.get('ckan.site_id')}-{identity}"


def check_rate(who: Caller) -> None:
    """Count one more item for the caller; ValidationError past the limit.

    A Redis failure lets the item through (logged): premoderation still
    stands between spam and the public, and feedback is not worth an outage.
    """
    from ckan.lib.redis import connect_to_redis

    limit = config.feedback_rate_limit()
    key = rate_limit_key(who.identity or "anonymous")
    try:
        with connect_to_redis().pipeline() as pipe:  # MULTI: the counter never lives without expiry
            pipe.set(key, 0, ex=limit.seconds, nx=True)
            pipe.incr(key)
            _, count = pipe.execute()
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("feedback rate limit not checked: %s: %s", type(error).__name__, error)
        return
    if count > limit.count:
        raise tk.ValidationError({"rate": [
            f"Too much feedback at once: at most {limit.count} items per "
            f"{_period(limit.seconds)}. Please try again later."]})


def _period(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


# -- changes ---------------------------------------------------------------------------------

def create(context: dict[str, Any], data_dict: dict[str, Any]) -> Feedback:
    """Store a new item (a rating replaces the rater's previous one), then
    announce and mail it. Access has been checked."""
    package = dataset_or_not_found(data_dict.get("package_id"))
    who = caller_of(context)
    new = validate_new(data_dict, package)
    check_rate(who)

    trusted = may_moderate(who, package) or not config.feedback_premoderation()
    now = _utcnow()
    if new.kind == "rating":
        previous = Feedback.rating_of(package.id, author_id=who.user.id if who.user else None,
                                      ip_hash=who.ip_hash)
        if previous is not None:
            counted = _counts(previous)
            previous.state, previous.updated = "deleted", now
            _after_change(previous, package, counted)
    item = Feedback(
        id=str(uuid.uuid4()), package_id=package.id, resource_id=new.resource_id, kind=new.kind,
        rating=new.rating, category=new.category, text=new.text,
        author_id=who.user.id if who.user else None, author_ip_hash=who.ip_hash,
        created=now, updated=now, status="open",
        moderation="approved" if trusted else "pending", flags=0, state="active")
    model.Session.add(item)
    _after_change(item, package, counted_before=False, made_public=item.moderation == "approved")
    model.Session.commit()
    _notify_admins(item, package, who)
    return item


def set_status(item: Feedback, package: model.Package, status: str) -> Feedback:
    """``status`` is one of STATUSES (the action's schema checked it)."""
    counted = _counts(item)
    item.status, item.updated = status, _utcnow()
    _after_change(item, package, counted)
    model.Session.commit()
    return item


def moderate(item: Feedback, package: model.Package, moderation: str) -> Feedback:
    """A moderator's decision (one of MODERATION_STATES, checked by the
    action's schema); it also clears the flags counted so far (the flaggers
    cannot flag the same item again)."""
    made_public = moderation == "approved" and item.moderation != "approved"
    counted = _counts(item)
    item.moderation, item.flags, item.updated = moderation, 0, _utcnow()
    _after_change(item, package, counted, made_public=made_public)
    model.Session.commit()
    return item


def add_reply(item: Feedback, who: Caller, text: Any) -> FeedbackReply:
    cleaned, problem = clean_text(text)
    if problem or not cleaned:
        raise tk.ValidationError({"text": [problem or tk._("Missing value")]})
    reply = FeedbackReply(id=str(uuid.uuid4()), feedback_id=item.id,
                          author_id=who.user.id if who.user else None,
                          text=cleaned, created=_utcnow())
    model.Session.add(reply)
    item.updated = reply.created
    model.Session.commit()
    return reply


def delete(item: Feedback, package: model.Package) -> None:
    counted = _counts(item)
    item.state, item.updated = "deleted", _utcnow()
    _after_change(item, package, counted)
    model.Session.commit()


def flag(item: Feedback, package: model.Package, who: Caller, reason: Any) -> bool:
    """Record the caller's flag; True when it was new. Hides the item at the
    configured count."""
    if who.identity is None:
        raise tk.ValidationError({"id": ["Flagging needs a user or a known address"]})
    cleaned, problem = clean_text(reason, MAX_REASON)
    if problem:
        raise tk.ValidationError({"reason": [problem]})
    if FeedbackFlag.get(item.id, who.identity) is not None:
        return False
    model.Session.add(FeedbackFlag(feedback_id=item.id, flagger=who.identity,
                                   reason=cleaned or None, created=_utcnow()))
    item.flags += 1
    if item.flags >= config.feedback_flags_to_hide() and item.moderation != "hidden":
        counted = _counts(item)
        item.moderation, item.updated = "hidden", _utcnow()
        _after_change(item, package, counted)
    try:
        model.Session.commit()
    except sa.exc.IntegrityError:  # the same person flagging twice at once
        model.Session.rollback()
        return False
    return True


def _counts(item: Feedback) -> bool:
    """Whether the item is part of the dataset's community component."""
    if item.state != "active" or item.moderation != "approved":
        return False
    return item.kind == "rating" or (item.kind == "report" and item.status in OPEN_STATUSES)


def _after_change(item: Feedback, package: model.Package, counted_before: bool,
                  made_public: bool = False) -> None:
    """Within the change's transaction: what the change sets off. The score
    is redone when the item counted for it before or does now."""
    if counted_before or _counts(item):
        _schedule_rescoring(package)
    if made_public:
        _record_activity(item, package)


def _schedule_rescoring(package: model.Package) -> None:
    from ckanext.plusresilient.logic.quality import scored_types

    if config.quality_auto() and package.type in scored_types():
        jobs.schedule_scoring(package.id)


# -- notifications ---------------------------------------------------------------------------

def _record_activity(item: Feedback, package: model.Package) -> None:
    """A "new feedback" activity on the dataset, once per item, by its author
    (the site user for an anonymous one), visible to those who see the
    dataset. It carries no text: a later hidden item must not live on there.

    activity_create accepts only the types it can render, so the schema is
    the default one with the type's and object's checks replaced (the object
    must still be a dataset); activities without a template of their own are
    shown with the activity plugin's fallback.
    """
    if not plugins.plugin_loaded("activity") or _announced(item):
        return
    from ckan.lib.plugins import get_permission_labels
    from ckanext.activity.logic.schema import default_create_activity_schema

    schema = default_create_activity_schema()
    schema["object_id"] = [tk.get_validator("not_empty"), tk.get_validator("package_id_exists")]
    schema["activity_type"] = [tk.get_validator("not_empty"), tk.get_validator("unicode_safe")]
    author = model.Session.get(model.User, item.author_id) if item.author_id else None
    actor = author or model.User.get(tk.get_action("get_site_user")(
        {"ignore_auth": True, "defer_commit": True}, {})["name"])
    activity = {
        "user_id": actor.id,
        "object_id": package.id,
        "activity_type": ACTIVITY_TYPE,
        "data": {
            "package": {"id": package.id, "name": package.name, "title": package.title,
                        "type": package.type},
            "actor": author.name if author else None,
            "feedback": {"id": item.id, "kind": item.kind, "category": item.category,
                         "rating": item.rating, "resource_id": item.resource_id},
        },
        "permission_labels": get_permission_labels().get_dataset_labels(package),
    }
    try:
        with model.Session.begin_nested():
            tk.get_action("activity_create")(
                {"ignore_auth": True, "defer_commit": True, "schema": schema,
                 "user": actor.name}, activity)
    except Exception:  # noqa: BLE001 - the feedback is saved without its activity
        log.exception("no activity recorded for feedback %s", item.id)


def _announced(item: Feedback) -> bool:
    from ckanext.activity.model import Activity

    rows = (model.Session.query(Activity.data)
            .filter(Activity.object_id == item.package_id,
                    Activity.activity_type == ACTIVITY_TYPE))
    return any(((row.data or {}).get("feedback") or {}).get("id") == item.id for row in rows)


def _notify_admins(item: Feedback, package: model.Package, who: Caller) -> None:
    """Mail the organization's admins (not the author) about a new item,
    when the site asks for it (``feedback.mail_admins``). Failures are
    logged, never raised.

    Not "when smtp.server is set": CKAN gives it a default (localhost), so
    it is set on every site, mail server or not. And never without
    ``smtp.mail_from``: CKAN's mailer builds the From header from it and
    fails with an AttributeError on every message when it is missing.
    """
    if not config.feedback_mail_admins() or not package.owner_org:
        return
    if not tk.config.get("smtp.mail_from"):
        log.warning("feedback %s not mailed to the organization's admins: "
                    "smtp.mail_from is not set", item.id)
        return
    from ckan.lib import mailer

    admin_ids = set(authz.get_group_or_org_admin_ids(package.owner_org))
    admin_ids.discard(item.author_id)
    if not admin_ids:
        return
    recipients = (model.Session.query(model.User)
                  .filter(model.User.id.in_(admin_ids), model.User.state == "active",
                          model.User.email.isnot(None), model.User.email != ""))
    subject, body = _mail(item, package, who)
    for admin in recipients:
        try:
            mailer.mail_user(admin, subject, body)
        except Exception as error:  # noqa: BLE001 - mail is a courtesy, the item is saved
            log.warning("feedback %s not mailed to %s: %s: %s",
                        item.id, admin.name, type(error).__name__, error)


KIND_LABELS = {"rating": "rating", "report": "quality report", "comment": "comment",
               "suggestion": "suggested fix"}


def _mail(item: Feedback, package: model.Package, who: Caller) -> tuple[str, str]:
    """Plain text: the author's words cannot become markup in anyone's mail reader."""
    title = " ".join((package.title or package.name).split())
    author = who.user.display_name if who.user else "An anonymous visitor"
    kind = KIND_LABELS[item.kind]
    lines = [f"{author} left a {kind} on the dataset \"{title}\"."]
    if item.rating is not None:
        lines.append(f"Rating: {item.rating} of 5")
    if item.category:
        lines.append(f"Category: {item.category.replace('_', ' ')}")
    if item.text:
        lines += ["", item.text, ""]
    if item.moderation == "pending":
        lines.append("It waits for moderation before anyone else sees it.")
    site_url = str(tk.config.get("ckan.site_url") or "").rstrip("/")
    lines.append(f"{site_url}/{package.type or 'dataset'}/{package.name}")
    return f"New {kind} on \"{title}\"", "\n".join(lines)


# -- reading ---------------------------------------------------------------------------------

def items_of_dataset(who: Caller, package: model.Package, data_dict: dict[str, Any]) -> list[Feedback]:
    """The items of a visible dataset the caller may see, newest first."""
    limit, offset = _limit_and_offset(data_dict)
    query = Feedback.active().filter(Feedback.package_id == package.id)
    query = _filtered(query, data_dict)
    if not (data_dict["include_hidden"] and may_moderate(who, package)):
        visible = Feedback.moderation == "approved"
        if who.user is not None:
            visible = sa.or_(visible, Feedback.author_id == who.user.id)
        query = query.filter(visible)
    return _page(query, limit, offset)


def items_of_author(who: Caller, data_dict: dict[str, Any]) -> list[Feedback]:
    """The caller's own items on the datasets they may still see."""
    limit, offset = _limit_and_offset(data_dict)
    if who.user is None:
        return []
    query = _filtered(Feedback.active().filter(Feedback.author_id == who.user.id), data_dict)
    items = _page(query, None, 0)
    visible = _visible_packages(who, {item.package_id for item in items})
    return [item for item in items if item.package_id in visible][offset:offset + limit]


def queue(who: Caller, organization_id: str | None, data_dict: dict[str, Any]) -> list[Feedback]:
    """Pending and flagged items on the active datasets the caller moderates."""
    limit, offset = _limit_and_offset(data_dict)
    query = (Feedback.active()
             .join(model.Package, model.Package.id == Feedback.package_id)
             .filter(model.Package.state == "active",
                     sa.or_(Feedback.moderation == "pending", Feedback.flags > 0)))
    organizations = moderated_organization_ids(who)
    if organization_id is not None:
        organizations = [organization_id]
    if organizations is not None:
        query = query.filter(model.Package.owner_org.in_(organizations))
    return _page(_filtered(query, data_dict), limit, offset)


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


def _visible_packages(who: Caller, package_ids: Iterable[str]) -> set[str]:
    return {package_id for package_id in package_ids if dataset_visible(who, package_id)}


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
            "created": _iso(item.created),
            "updated": _iso(item.updated),
            "status": item.status,
            "moderation": item.moderation,
            "flags": item.flags,
            "replies": [{"id": reply.id, "author_name": names.get(reply.author_id),
                         "text": reply.text, "created": _iso(reply.created)}
                        for reply in replies[item.id]],
            "may_moderate": moderates[package.id],
            "may_delete": _is_author(who, item) or who.sysadmin,
        })
    return result


def _display_names(user_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    users = model.Session.query(model.User).filter(model.User.id.in_(wanted))
    return {user.id: user.display_name for user in users}


# -- the quality score's community component -------------------------------------------------

def community_summary(package_id: str) -> CommunitySummary | None:
    """Approved ratings and approved open or acknowledged reports; None when
    the dataset has neither, so the component is left out."""
    scored = Feedback.active().filter(Feedback.package_id == package_id,
                                      Feedback.moderation == "approved")
    is_rating = Feedback.kind == "rating"
    row = scored.with_entities(
        sa.func.count().filter(is_rating).label("ratings"),
        sa.func.avg(Feedback.rating).filter(is_rating).label("average"),
        sa.func.count().filter(Feedback.kind == "report",
                               Feedback.status.in_(OPEN_STATUSES)).label("open_reports"),
    ).one()
    if not row.ratings and not row.open_reports:
        return None
    return CommunitySummary(ratings=int(row.ratings),
                            average_rating=float(row.average) if row.ratings else None,
                            open_reports=int(row.open_reports))


# -- small helpers ---------------------------------------------------------------------------

def _utcnow() -> datetime.datetime:
    """Naive UTC, as CKAN stores its own timestamps."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _iso(moment: datetime.datetime) -> str:
    return moment.replace(tzinfo=datetime.timezone.utc).isoformat(timespec="seconds")
