"""The community feedback actions.

Every item is returned as ``{id, package_id, package_name, package_title,
resource_id, kind, rating, category, text, author_name, created, updated,
status, moderation, flags, replies: [{id, author_name, text, created}],
may_moderate, may_delete}``: ``author_name`` is a display name (None for an
anonymous author), times are ISO 8601 in UTC, ``may_moderate`` and
``may_delete`` are the caller's rights on the item. Texts are returned as
written: escaping them is the page's job.

Each action validates (logic/schema.py), checks access (logic/auth.py),
calls the domain (``feedback/``) and commits unless the caller defers it;
the item the auth function loaded is the one the action changes.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient import jobs
from ckanext.plusresilient.feedback import changes, reads
from ckanext.plusresilient.feedback.access import caller_of, item_in
from ckanext.plusresilient.logic import schema
from ckanext.plusresilient.logic.lookup import commit, dataset_or_not_found, organization_or_not_found

__all__ = [
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
]


@tk.validate_action_data(schema.feedback_create)
def plusresilient_feedback_create(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Rate a dataset, report a quality problem, comment or suggest a fix.

    For logged-in users who may see the dataset (anonymous visitors when
    ``ckanext.plusresilient.feedback.allow_anonymous`` is on). The item is
    "pending" until a moderator approves it, unless its author moderates the
    dataset or premoderation is off. A user's new rating replaces their
    previous one. Rate-limited (``ckanext.plusresilient.feedback.rate_limit``):
    past the limit the answer is a validation error on ``rate``.

    :param package_id: the dataset's id or name
    :type package_id: string
    :param resource_id: one of its resources, when the item is about it (optional)
    :type resource_id: string
    :param kind: ``rating``, ``report``, ``comment`` or ``suggestion``
    :type kind: string
    :param rating: 1 to 5; ratings only
    :type rating: int
    :param category: ``broken_link``, ``wrong_values``, ``outdated``,
        ``missing_metadata``, ``unclear_licence`` or ``other``; reports only
    :type category: string
    :param text: up to 5000 characters; needed for comments, suggestions and
        reports of category ``other``
    :type text: string

    :returns: the item
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_create", context, data_dict)
    who = caller_of(context)
    item = changes.create(who, dataset_or_not_found(data_dict["package_id"]), data_dict,
                          rescore=jobs.scoring_wanted(context))
    commit(context)
    return reads.as_dict(item, who)


@tk.side_effect_free
@tk.validate_action_data(schema.feedback_list)
def plusresilient_feedback_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset's feedback, newest first.

    Approved items for whoever may see the dataset, plus the caller's own
    pending or hidden ones; moderators see every item with ``include_hidden``.

    :param package_id: the dataset's id or name
    :type package_id: string
    :param status: only items with this status (optional)
    :type status: string
    :param kind: only items of this kind (optional)
    :type kind: string
    :param include_hidden: for moderators, also pending and hidden items
        (default false; ignored for others)
    :type include_hidden: bool
    :param limit: at most this many items (default 50; a larger one gives 200)
    :type limit: int
    :param offset: skip this many first (default 0, at most 2147483647)
    :type offset: int

    :rtype: list of dictionaries
    """
    tk.check_access("plusresilient_feedback_list", context, data_dict)
    package = dataset_or_not_found(data_dict["package_id"])
    who = caller_of(context)
    return reads.as_dicts(reads.items_of_dataset(who, package, data_dict), who)


@tk.side_effect_free
@tk.validate_action_data(schema.feedback_show)
def plusresilient_feedback_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """One item, for whoever may see it ("not found" for the others).

    :param id: the item's id
    :type id: string
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_show", context, data_dict)
    item, _ = item_in(context, data_dict["id"])
    return reads.as_dict(item, caller_of(context))


@tk.validate_action_data(schema.feedback_update_status)
def plusresilient_feedback_update_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Say where the publisher is with an item. For the editors and admins of
    the dataset's organization. Resolving or rejecting a report takes it out
    of the dataset's quality score.

    :param id: the item's id
    :type id: string
    :param status: ``open``, ``acknowledged``, ``resolved`` or ``rejected``
    :type status: string
    :returns: the item
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_update_status", context, data_dict)
    item, package = item_in(context, data_dict["id"])
    changes.set_status(item, package, data_dict["status"], rescore=jobs.scoring_wanted(context))
    commit(context)
    return reads.as_dict(item, caller_of(context))


@tk.validate_action_data(schema.feedback_reply)
def plusresilient_feedback_reply(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Answer an item on the publisher's behalf. For the editors and admins
    of the dataset's organization.

    :param id: the item's id
    :type id: string
    :param text: the answer, up to 5000 characters
    :type text: string
    :returns: the item, with the reply last in ``replies``
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_reply", context, data_dict)
    item, _ = item_in(context, data_dict["id"])
    who = caller_of(context)
    changes.add_reply(item, who, data_dict["text"])
    commit(context)
    return reads.as_dict(item, who)


@tk.validate_action_data(schema.feedback_moderate)
def plusresilient_feedback_moderate(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Approve, hide, or send back to the queue. For the editors and admins
    of the dataset's organization. Clears the item's flags.

    :param id: the item's id
    :type id: string
    :param moderation: ``approved``, ``hidden`` or ``pending``
    :type moderation: string
    :returns: the item
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_moderate", context, data_dict)
    item, package = item_in(context, data_dict["id"])
    changes.moderate(item, package, data_dict["moderation"], rescore=jobs.scoring_wanted(context))
    commit(context)
    return reads.as_dict(item, caller_of(context))


@tk.validate_action_data(schema.feedback_delete)
def plusresilient_feedback_delete(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Withdraw one's own item (sysadmins may withdraw any). Moderators hide
    instead.

    :param id: the item's id
    :type id: string
    :returns: ``{"id", "state": "deleted"}``
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_delete", context, data_dict)
    item, package = item_in(context, data_dict["id"])
    changes.delete(item, package, rescore=jobs.scoring_wanted(context))
    commit(context)
    return {"id": item.id, "state": "deleted"}


@tk.validate_action_data(schema.feedback_flag)
def plusresilient_feedback_flag(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Flag an item as abusive. For logged-in users who may see it (anonymous
    visitors, by address, when the site allows them). One flag per person;
    ``ckanext.plusresilient.feedback.flags_to_hide`` of them hide the item
    until a moderator decides.

    :param id: the item's id
    :type id: string
    :param reason: why, up to 500 characters (optional)
    :type reason: string
    :returns: ``{"id", "flagged": true, "new": bool}``, ``new`` false when the
        caller had already flagged it
    :rtype: dictionary
    """
    tk.check_access("plusresilient_feedback_flag", context, data_dict)
    item, package = item_in(context, data_dict["id"])
    new = changes.flag(item, package, caller_of(context), data_dict["reason"],
                       rescore=jobs.scoring_wanted(context))
    commit(context)
    return {"id": item.id, "flagged": True, "new": new}


@tk.side_effect_free
@tk.validate_action_data(schema.feedback_queue)
def plusresilient_feedback_queue(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """What waits for moderation: pending and flagged items on the active
    datasets of the organizations the caller moderates (every organization
    for a sysadmin), newest first.

    :param organization: only this organization's (id or name; optional)
    :type organization: string
    :param status: only items with this status (optional)
    :type status: string
    :param kind: only items of this kind (optional)
    :type kind: string
    :param limit: at most this many items (default 50; a larger one gives 200)
    :type limit: int
    :param offset: skip this many first (default 0, at most 2147483647)
    :type offset: int
    :rtype: list of dictionaries
    """
    tk.check_access("plusresilient_feedback_queue", context, data_dict)
    who = caller_of(context)
    organization_id = None
    if data_dict.get("organization"):
        organization_id = organization_or_not_found(data_dict["organization"]).id
    return reads.as_dicts(reads.queue(who, organization_id, data_dict), who)


@tk.side_effect_free
@tk.validate_action_data(schema.feedback_mine)
def plusresilient_feedback_mine(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """The caller's own items, whatever their moderation, on the datasets
    they may still see, newest first, with their status and replies.

    :param status: only items with this status (optional)
    :type status: string
    :param kind: only items of this kind (optional)
    :type kind: string
    :param limit: at most this many items (default 50; a larger one gives 200)
    :type limit: int
    :param offset: skip this many first (default 0, at most 2147483647)
    :type offset: int
    :rtype: list of dictionaries
    """
    tk.check_access("plusresilient_feedback_mine", context, data_dict)
    who = caller_of(context)
    return reads.as_dicts(reads.items_of_author(who, data_dict), who)
