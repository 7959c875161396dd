"""Community feedback forms, the moderation queue and "my feedback"."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.plusresilient.views.forms import check_csrf_token, local_path

feedback = Blueprint("plusresilient_feedback", __name__)
feedback.before_request(check_csrf_token)

# Every form posts to a view that calls one plusresilient_feedback_* action and
# goes back to the page the form was on; the actions decide who may do what,
# the views only turn their refusals into 403/404 and their messages into flashes.

#: The form fields plusresilient_feedback_create reads (empty ones are left out,
#: so a rating form does not send an empty category the action would refuse).
CREATE_FIELDS = ("kind", "rating", "category", "resource_id", "text")


def _back(package_id: str) -> Any:
    """Back to the page the form was on, or to the dataset's feedback panel."""
    target = local_path(tk.request.form.get("came_from"))
    if target:
        return tk.redirect_to(target)
    return tk.redirect_to(tk.url_for("dataset.read", id=package_id) + "#feedback")


def _error_messages(error: tk.ValidationError) -> str:
    """A ValidationError's messages as one line for a flash."""
    messages: list[str] = []
    for value in (error.error_dict or {}).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        messages.extend(str(item) for item in items if item)
    return " ".join(messages) or str(error)


def _login_first(came_from: str) -> Any:
    return tk.redirect_to(tk.url_for("user.login", came_from=came_from))


def _refuse(error: Exception, package_id: str | None = None) -> Any:
    """404 for what the caller may not see, 403 for what they may not do;
    anonymous callers are sent to log in first, and back to the dataset
    afterwards (not to the form's address, which only answers POSTs)."""
    if isinstance(error, tk.ObjectNotFound):
        return tk.abort(404, tk._("Feedback not found"))
    if not tk.current_user.is_authenticated:
        if package_id:
            return _login_first(tk.url_for("dataset.read", id=package_id))
        return _login_first(tk.request.path)
    return tk.abort(403, tk._("Not authorized to do this"))


def _item_of_dataset(id: str, fid: str) -> dict[str, Any]:
    """The feedback item, refused as not found unless it belongs to the
    dataset in the URL (so a URL cannot act on one dataset's item while
    showing another's page)."""
    item = tk.get_action("plusresilient_feedback_show")({}, {"id": fid})
    if id not in (item.get("package_id"), item.get("package_name")):
        raise tk.ObjectNotFound(tk._("Feedback not found"))
    return item


@feedback.route("/dataset/<id>/feedback", methods=["POST"])
def create(id: str) -> Any:
    """Rate, report a problem, comment or suggest a fix."""
    form = tk.request.form
    data_dict: dict[str, Any] = {"package_id": id}
    data_dict.update({name: form[name] for name in CREATE_FIELDS if form.get(name, "").strip()})
    data_dict.setdefault("text", "")
    try:
        item = tk.get_action("plusresilient_feedback_create")({}, data_dict)
    except (tk.ObjectNotFound, tk.NotAuthorized) as error:
        return _refuse(error, id)
    except tk.ValidationError as error:
        tk.h.flash_error(_error_messages(error))
        return _back(id)
    if item.get("moderation") == "pending":
        tk.h.flash_success(tk._("Thank you: your feedback is waiting for moderation."))
    else:
        tk.h.flash_success(tk._("Thank you for your feedback."))
    return _back(id)


def _act(id: str, fid: str, action: str, fields: dict[str, Any], done: str) -> Any:
    """Check the item belongs to the dataset, call the action, flash ``done``."""
    try:
        _item_of_dataset(id, fid)
        tk.get_action(action)({}, {"id": fid, **fields})
    except (tk.ObjectNotFound, tk.NotAuthorized) as error:
        return _refuse(error, id)
    except tk.ValidationError as error:
        tk.h.flash_error(_error_messages(error))
        return _back(id)
    tk.h.flash_success(done)
    return _back(id)


@feedback.route("/dataset/<id>/feedback/<fid>/status", methods=["POST"])
def status(id: str, fid: str) -> Any:
    return _act(id, fid, "plusresilient_feedback_update_status",
                {"status": tk.request.form.get("status", "")}, tk._("Status changed."))


@feedback.route("/dataset/<id>/feedback/<fid>/reply", methods=["POST"])
def reply(id: str, fid: str) -> Any:
    return _act(id, fid, "plusresilient_feedback_reply",
                {"text": tk.request.form.get("text", "")}, tk._("Reply published."))


@feedback.route("/dataset/<id>/feedback/<fid>/moderate", methods=["POST"])
def moderate(id: str, fid: str) -> Any:
    return _act(id, fid, "plusresilient_feedback_moderate",
                {"moderation": tk.request.form.get("moderation", "")}, tk._("Moderation saved."))


@feedback.route("/dataset/<id>/feedback/<fid>/delete", methods=["POST"])
def delete(id: str, fid: str) -> Any:
    return _act(id, fid, "plusresilient_feedback_delete", {}, tk._("Feedback deleted."))


@feedback.route("/dataset/<id>/feedback/<fid>/flag", methods=["POST"])
def flag(id: str, fid: str) -> Any:
    return _act(id, fid, "plusresilient_feedback_flag",
                {"reason": tk.request.form.get("reason", "")},
                tk._("Thank you: the moderators will look at it."))


@feedback.route("/feedback/queue")
def queue() -> Any:
    """The moderation queue of the datasets the caller may moderate."""
    if not tk.current_user.is_authenticated:
        return _login_first(tk.request.path)
    organization = tk.request.args.get("organization") or None
    data_dict = {"organization": organization} if organization else {}
    try:
        items = tk.get_action("plusresilient_feedback_queue")({}, data_dict)
    except (tk.ObjectNotFound, tk.NotAuthorized) as error:
        return _refuse(error)
    return tk.render("plusresilient/feedback_queue.html", extra_vars={
        "items": items,
        "organization": organization,
    })


@feedback.route("/dashboard/feedback")
def mine() -> Any:
    """The caller's own feedback, with its status and the publishers' replies."""
    if not tk.current_user.is_authenticated:
        return _login_first(tk.request.path)
    try:
        items = tk.get_action("plusresilient_feedback_mine")({}, {})
    except tk.NotAuthorized as error:
        return _refuse(error)
    return tk.render("plusresilient/feedback_mine.html", extra_vars={"items": items})
