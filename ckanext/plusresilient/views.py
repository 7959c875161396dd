"""Web pages of the suite: ``/portals``, the directory of the MED portals;
the quality report; the community feedback forms, moderation queue and
"my feedback"."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from ckan.config.middleware.flask_app import csrf
from flask import Blueprint, current_app

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.helpers import current_language

__all__ = ["portals", "quality", "feedback"]

log = logging.getLogger(__name__)

portals = Blueprint("plusresilient_portals", __name__)
quality = Blueprint("plusresilient_quality", __name__)
feedback = Blueprint("plusresilient_feedback", __name__)

# Product names stay as they are; only the generic labels are translated.
SOFTWARE_NAMES = {
    "ckan": "CKAN",
    "dkan": "DKAN",
    "dcat": "DCAT-AP",
    "udata": "udata",
    "opendatasoft": "Opendatasoft",
    "socrata": "Socrata",
}


def _software_label(software: str) -> str:
    return SOFTWARE_NAMES.get(software) or tk._("Other")


def _level_label(level: str) -> str:
    return {
        "national": tk._("National"),
        "regional": tk._("Regional"),
        "local": tk._("Local"),
    }.get(level, level)


@portals.route("/portals")
def index() -> str:
    """The portals grouped by country, with a country filter."""
    lang = current_language()
    selected = [code for code in tk.request.args.getlist("country") if code.strip()]
    context: dict[str, Any] = {"user": tk.current_user.name if tk.current_user else None}
    try:
        portal_dicts = tk.get_action("plusresilient_portal_list")(
            context, {"country": selected})
    except tk.ValidationError as error:
        tk.abort(400, "; ".join(error.error_dict.get("country", [])))
    selected = [directory.normalise_country(code) for code in selected]

    countries = vocabularies.get("countries")
    regions = vocabularies.get("regions")
    totals: dict[str, int] = {}
    for portal in directory.load():
        totals[portal.country] = totals.get(portal.country, 0) + 1
    country_filter = [
        {"code": code, "label": countries.label(code, lang), "count": totals[code],
         "active": code in selected}
        for code in directory.countries()
    ]

    groups: list[dict[str, Any]] = []
    by_country: dict[str, list[dict[str, Any]]] = {}
    for item in portal_dicts:
        item = dict(item)
        item["software_label"] = _software_label(item["software"])
        item["level_label"] = _level_label(item["level"])
        item["region_label"] = regions.label(item["region"], lang) if item["region"] else None
        by_country.setdefault(item["country"], []).append(item)
    for code in directory.countries():
        if code in by_country:
            groups.append({"code": code, "label": countries.label(code, lang),
                           "portals": by_country[code]})

    return tk.render("plusresilient/portals.html", extra_vars={
        "groups": groups,
        "country_filter": country_filter,
        "selected": selected,
        "total": sum(totals.values()),
        "shown": len(portal_dicts),
    })


@quality.route("/dataset/<id>/quality")
def report(id: str) -> str:
    """A dataset's quality report: every MQA indicator with what to do about
    it, each resource's validation and links, and the score's history."""
    context: dict[str, Any] = {}
    try:
        package = tk.get_action("package_show")(context, {"id": id})
        annotation = tk.get_action("plusresilient_quality_show")(
            context, {"id": package["id"], "history": True})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    may_refresh = tk.h.check_access("plusresilient_quality_refresh", {"id": package["id"]})
    dimensions: list[dict[str, Any]] = []
    if annotation.get("metadata"):
        by_dimension: dict[str, list[dict[str, Any]]] = {}
        for indicator in annotation["metadata"]["indicators"]:
            by_dimension.setdefault(indicator["dimension"], []).append(indicator)
        for name, indicators in by_dimension.items():
            totals = annotation["metadata"]["dimensions"][name]
            dimensions.append({"name": name, "points": totals["points"], "max": totals["max"],
                               "indicators": indicators})
    return tk.render("plusresilient/quality_report.html", extra_vars={
        "pkg_dict": package,
        "pkg": package,
        "dataset_type": package["type"],
        "quality": annotation,
        "dimensions": dimensions,
        "may_refresh": may_refresh,
    })


@quality.route("/dataset/<id>/quality/refresh", methods=["POST"])
def refresh(id: str) -> Any:
    """Ask for a new scoring (editors of the dataset); the form carries
    CKAN's CSRF token like every other POST."""
    try:
        tk.get_action("plusresilient_quality_refresh")({}, {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Not authorized to refresh the quality of this dataset"))
    except Exception:  # noqa: BLE001 - e.g. Redis unreachable: say so, keep the page
        log.exception("could not queue the quality check of %s", id)
        tk.h.flash_error(tk._("The quality check could not be queued; try again later."))
        return tk.redirect_to("plusresilient_quality.report", id=id)
    tk.h.flash_success(tk._("The quality check is queued; reload this page in a moment."))
    return tk.redirect_to("plusresilient_quality.report", id=id)


# -- community feedback ------------------------------------------------------------------
# Every form posts to a view that calls one plusresilient_feedback_* action and
# goes back to the page the form was on; the actions decide who may do what,
# the views only turn their refusals into 403/404 and their messages into flashes.

#: The form fields plusresilient_feedback_create reads (empty ones are left out,
#: so a rating form does not send an empty category the action would refuse).
CREATE_FIELDS = ("kind", "rating", "category", "resource_id", "text")


def _local_path(value: str | None) -> str | None:
    """``came_from`` when it stays on this site: a path, never a URL that
    leaves it (``//host``, ``/\\host`` and schemes are refused), so a crafted
    form cannot turn the redirect into an open one."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in value):
        return None
    return value


def _back(package_id: str) -> Any:
    """Back to the page the form was on, or to the dataset's feedback panel."""
    target = _local_path(tk.request.form.get("came_from"))
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


@feedback.before_request
def _check_csrf_token() -> None:
    """Check a logged-in browser's CSRF token on every form of ours.

    CKAN skips the check for anonymous and API-token callers by adding the
    view to flask-wtf's exempt list, and that list is process-wide: after one
    anonymous post to a view, nobody's posts to it would be checked again.
    So the check is repeated here for callers logged in by session (the
    ones a forged cross-site form could act for), whatever the list says.
    """
    if (tk.request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True)
            and not tk.g.get("login_via_auth_header")):
        csrf.protect()


quality.before_request(_check_csrf_token)  # the "Check again" form, too


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
