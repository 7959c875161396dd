"""A dataset's quality report page and its "Check again" form."""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.plusresilient.views.forms import check_csrf_token

log = logging.getLogger(__name__)

quality = Blueprint("plusresilient_quality", __name__)
quality.before_request(check_csrf_token)


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
