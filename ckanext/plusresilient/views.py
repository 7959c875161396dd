"""Web pages of the suite: ``/portals``, the directory of the MED portals."""
from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.helpers import current_language

__all__ = ["portals", "quality"]

log = logging.getLogger(__name__)

portals = Blueprint("plusresilient_portals", __name__)
quality = Blueprint("plusresilient_quality", __name__)

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
