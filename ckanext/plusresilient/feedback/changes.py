"""What a user or a moderator changes, and what each change sets off.

Every function here works inside the caller's transaction and commits
nothing: the action commits (unless its own caller asked for
``defer_commit``), so several changes can be one transaction. Rescoring
and mail wait for that commit (after_commit.py).
"""
from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model

from ckanext.plusresilient import config, jobs, labels
from ckanext.plusresilient.feedback import notify
from ckanext.plusresilient.feedback.access import Caller, may_moderate
from ckanext.plusresilient.feedback.rate_limit import check_rate
from ckanext.plusresilient.model.feedback import (
    CATEGORIES,
    MAX_TEXT,
    OPEN_STATUSES,
    Feedback,
    FeedbackFlag,
    FeedbackReply,
)
from ckanext.plusresilient.timestamps import utcnow

__all__ = [
    "MAX_REASON",
    "NewFeedback",
    "add_reply",
    "clean_text",
    "create",
    "delete",
    "flag",
    "moderate",
    "set_status",
    "validate_new",
]

#: Characters of a flag's reason.
MAX_REASON = 500
#: Line breaks and tabs are text; every other control character is noise or an attack.
_KEPT_CONTROLS = frozenset("\n\t")


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
        return "", tk._("Must be text")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text
                   if char in _KEPT_CONTROLS or unicodedata.category(char) != "Cc").strip()
    if len(text) > maximum:
        return text, tk._("At most {maximum} characters, not {count}").format(
            maximum=maximum, count=len(text))
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
        errors["rating"] = [tk._("Must be a whole number from {minimum} to {maximum}").format(
            minimum=1, maximum=5)]
    elif kind != "rating" and rating is not None:
        errors["rating"] = [tk._("Only ratings have a rating")]

    category = params.get("category")
    if kind == "report" and category is None:
        errors["category"] = [tk._("Must be one of: {values}").format(
            values=labels.choices_text(labels.FEEDBACK_CATEGORIES, CATEGORIES))]
    elif kind != "report" and category is not None:
        errors["category"] = [tk._("Only quality reports have a category")]

    text, problem = clean_text(params.get("text", ""))
    text_needed = kind in ("comment", "suggestion") or (kind == "report" and category == "other")
    if problem:
        errors["text"] = [problem]
    elif text_needed and not text:
        errors["text"] = [tk._("Missing value")]

    resource_id = params.get("resource_id")
    if resource_id is not None and not _resource_of(resource_id, package):
        errors["resource_id"] = [tk._("Not a resource of this dataset")]

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


def create(who: Caller, package: model.Package, params: dict[str, Any], *,
           rescore: bool) -> Feedback:
    """Add a new item (a rating replaces the rater's previous one), announce
    it, and mail it after the commit. Access has been checked."""
    new = validate_new(params, package)
    check_rate(who)

    trusted = may_moderate(who, package) or not config.feedback_premoderation()
    now = utcnow()
    if new.kind == "rating":
        previous = Feedback.rating_of(package.id, author_id=who.user.id if who.user else None,
                                      ip_hash=who.ip_hash)
        if previous is not None:
            counted = _counts(previous)
            previous.state, previous.updated = "deleted", now
            _after_change(previous, package, counted, rescore=rescore)
    item = Feedback(
        id=str(uuid.uuid4()), package_id=package.id, resource_id=new.resource_id, kind=new.kind,
        rating=new.rating, category=new.category, text=new.text,
        author_id=who.user.id if who.user else None, author_ip_hash=who.ip_hash,
        created=now, updated=now, status="open",
        moderation="approved" if trusted else "pending", flags=0, state="active")
    model.Session.add(item)
    model.Session.flush()
    _after_change(item, package, counted_before=False, made_public=item.moderation == "approved",
                  rescore=rescore)
    notify.mail_admins_after_commit(item, package, who)
    return item


def set_status(item: Feedback, package: model.Package, status: str, *,
               rescore: bool) -> Feedback:
    """``status`` is one of STATUSES (the action's schema checked it)."""
    counted = _counts(item)
    item.status, item.updated = status, utcnow()
    _after_change(item, package, counted, rescore=rescore)
    return item


def moderate(item: Feedback, package: model.Package, moderation: str, *,
             rescore: bool) -> Feedback:
    """A moderator's decision (one of MODERATION_STATES, checked by the
    action's schema); it also clears the flags counted so far (the flaggers
    cannot flag the same item again)."""
    made_public = moderation == "approved" and item.moderation != "approved"
    counted = _counts(item)
    item.moderation, item.flags, item.updated = moderation, 0, utcnow()
    _after_change(item, package, counted, made_public=made_public, rescore=rescore)
    return item


def add_reply(item: Feedback, who: Caller, text: Any) -> FeedbackReply:
    cleaned, problem = clean_text(text)
    if problem or not cleaned:
        raise tk.ValidationError({"text": [problem or tk._("Missing value")]})
    reply = FeedbackReply(id=str(uuid.uuid4()), feedback_id=item.id,
                          author_id=who.user.id if who.user else None,
                          text=cleaned, created=utcnow())
    model.Session.add(reply)
    item.updated = reply.created
    return reply


def delete(item: Feedback, package: model.Package, *, rescore: bool) -> None:
    counted = _counts(item)
    item.state, item.updated = "deleted", utcnow()
    _after_change(item, package, counted, rescore=rescore)


def flag(item: Feedback, package: model.Package, who: Caller, reason: Any, *,
         rescore: bool) -> bool:
    """Record the caller's flag; True when it was new. Hides the item at the
    configured count."""
    if who.identity is None:
        raise tk.ValidationError({"id": [tk._("Flagging needs a user or a known address")]})
    cleaned, problem = clean_text(reason, MAX_REASON)
    if problem:
        raise tk.ValidationError({"reason": [problem]})
    if FeedbackFlag.get(item.id, who.identity) is not None:
        return False
    try:
        with model.Session.begin_nested():  # the same person flagging twice at once
            model.Session.add(FeedbackFlag(feedback_id=item.id, flagger=who.identity,
                                           reason=cleaned or None, created=utcnow()))
    except sa.exc.IntegrityError:
        return False
    item.flags += 1
    if item.flags >= config.feedback_flags_to_hide() and item.moderation != "hidden":
        counted = _counts(item)
        item.moderation, item.updated = "hidden", utcnow()
        _after_change(item, package, counted, rescore=rescore)
    return True


def _counts(item: Feedback) -> bool:
    """Whether the item is part of the dataset's community component."""
    if item.state != "active" or item.moderation != "approved":
        return False
    return item.kind == "rating" or (item.kind == "report" and item.status in OPEN_STATUSES)


def _after_change(item: Feedback, package: model.Package, counted_before: bool, *,
                  rescore: bool, made_public: bool = False) -> None:
    """Within the change's transaction: what the change sets off. The score
    is redone (after the commit) when the item counted for it before or does
    now, and ``rescore`` (the action's jobs.scoring_wanted: quality.auto on,
    no NO_SCORING in its context) says so."""
    if rescore and (counted_before or _counts(item)) and package.type in config.scored_types():
        jobs.schedule_scoring(package.id)
    if made_public:
        notify.record_activity(item, package)

