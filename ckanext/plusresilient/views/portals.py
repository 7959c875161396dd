"""``/portals``: the directory of the MED open data portals."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.plusresilient import portals as directory
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.labels import current_language

portals = Blueprint("plusresilient_portals", __name__)

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
