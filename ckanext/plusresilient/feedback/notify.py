"""Who hears of new feedback: the dataset's activity stream and the
organization's admins by mail."""
from __future__ import annotations

import logging

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.plusresilient import config, labels
from ckanext.plusresilient.after_commit import run_after_commit
from ckanext.plusresilient.feedback.access import Caller
from ckanext.plusresilient.model.feedback import Feedback

__all__ = ["ACTIVITY_TYPE", "mail_admins_after_commit", "record_activity"]

log = logging.getLogger(__name__)

#: The activity stream entry of an item made public.
ACTIVITY_TYPE = "new feedback"


def record_activity(item: Feedback, package: model.Package) -> None:
    """A "new feedback" activity on the dataset, once per item, by its author
    (the site user for an anonymous one), visible to those who see the
    dataset. It carries no text: a later hidden item must not live on there.
    Within the change's transaction, in a savepoint: its failure is logged
    and leaves the change whole.

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


def mail_admins_after_commit(item: Feedback, package: model.Package, who: Caller) -> None:
    """Mail the organization's admins (not the author) about a new item once
    it is committed, when the site asks for it (``feedback.mail_admins``).
    Recipients and text are read now, inside the transaction; the sending
    waits for the commit (no mail about an item rolled back). Failures are
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
    admin_ids = set(authz.get_group_or_org_admin_ids(package.owner_org))
    admin_ids.discard(item.author_id)
    if not admin_ids:
        return
    recipients = [(admin.name, admin.display_name, admin.email) for admin in (
        model.Session.query(model.User)
        .filter(model.User.id.in_(admin_ids), model.User.state == "active",
                model.User.email.isnot(None), model.User.email != ""))]
    subject, body = _mail(item, package, who)
    item_id = item.id

    def send() -> None:
        from ckan.lib import mailer

        for name, display_name, address in recipients:
            try:
                mailer.mail_recipient(display_name, address, subject, body)
            except Exception as error:  # noqa: BLE001 - mail is a courtesy, the item is saved
                log.warning("feedback %s not mailed to %s: %s: %s",
                            item_id, name, type(error).__name__, error)

    run_after_commit(("feedback-mail", item_id), send)


def _mail(item: Feedback, package: model.Package, who: Caller) -> tuple[str, str]:
    """Plain text: the author's words cannot become markup in anyone's mail reader."""
    title = " ".join((package.title or package.name).split())
    author = who.user.display_name if who.user else "An anonymous visitor"
    kind = labels.feedback_kind_noun(item.kind)
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
