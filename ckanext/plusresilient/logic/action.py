"""API actions of the suite (``/api/3/action/plusresilient_*``)."""
from __future__ import annotations

import json
import logging
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.plusresilient import config as settings
from ckanext.plusresilient import helpers, jobs, search
from ckanext.plusresilient import portals as directory
from ckanext.plusresilient.logic import feedback, provenance, quality, quality_stats, schema

__all__ = [
    "plusresilient_portal_list",
    "plusresilient_portals_sync",
    "plusresilient_quality_show",
    "plusresilient_quality_refresh",
    "plusresilient_quality_summary",
    "plusresilient_quality_trend",
    "plusresilient_quality_indicators",
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
    "plusresilient_harvest_provenance",
]

log = logging.getLogger(__name__)

#: ckanext-harvest's dataset type for harvest sources.
HARVEST_SOURCE_TYPE = "harvest"
#: What the sync keeps equal between a portal and its harvest source.
SYNCED_FIELDS = ("url", "source_type", "title", "config")
# The frequency and the owner organization are written only when the sync
# creates a source: afterwards they are the admin's.
#: The title of the organization the sync creates to own the sources.
DIRECTORY_ORGANIZATION_TITLE = "Open data portals of the MED countries"


def _validated(name: str, context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The action's parameters checked against its schema (logic/schema.py),
    first of all: a wrong type is a 409 naming the parameter, never a 500,
    and the auth function and the logic see only the documented types.
    Unknown parameters are dropped."""
    return schema.validate(data_dict, schema.for_action(name), context)


def _sources_by_name(names: list[str]) -> dict[str, Any]:
    """The active harvest source packages with these names, by name."""
    if not names:
        return {}
    packages = (
        model.Session.query(model.Package)
        .filter(model.Package.type == HARVEST_SOURCE_TYPE)
        .filter(model.Package.state == "active")
        .filter(model.Package.name.in_(names))
        .all()
    )
    return {package.name: package for package in packages}


def _last_job_status(source_id: str) -> str | None:
    from ckanext.harvest.model import HarvestJob

    job = (
        HarvestJob.filter(source_id=source_id)
        .order_by(HarvestJob.created.desc())
        .first()
    )
    return job.status if job else None


def _dataset_counts(context: dict[str, Any], source_ids: list[str]) -> dict[str, int]:
    """Datasets per harvest source, from the search index (so the counts are
    what the caller can find), in one query faceted on every source that
    publishes each dataset (search.HARVEST_SOURCES_FIELD): a dataset both a
    regional portal and the national aggregator publish counts under each,
    where ckanext-harvest's harvest_source_id names only the last importer."""
    if not source_ids:
        return {}
    field = search.HARVEST_SOURCES_FIELD
    quoted = " OR ".join(f'"{source_id}"' for source_id in source_ids)
    result = tk.get_action("package_search")(
        {"user": context.get("user")},
        {
            "q": "",
            "fq": f"{field}:({quoted})",
            "rows": 0,
            "facet": "true",
            "facet.field": [field],
            "facet.limit": -1,
            "include_private": True,
        },
    )
    counts = result.get("facets", {}).get(field, {})
    return {source_id: int(counts.get(source_id, 0)) for source_id in source_ids}


@tk.side_effect_free
def plusresilient_portal_list(context: dict[str, Any], data_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """The directory of the MED open-data portals.

    Public. Each portal as in ``portals.yaml`` (id, name, url, country,
    region, level, software, api_url, harvester, language, verified,
    frequency) plus ``harvest_source``: ``{id, name, url, datasets,
    last_job_status}`` when the portal has a harvest source (see
    ``plusresilient_portals_sync``), else null. ``datasets`` counts the
    datasets that source publishes and the caller can see, including those
    another source publishes too.

    :param country: only these countries' portals: a code, a comma-separated
        list or a repeated parameter (``GR`` is taken as ``EL``)
    :type country: string or list of strings
    :rtype: list of dictionaries
    """
    data_dict = _validated("plusresilient_portal_list", context, data_dict)
    tk.check_access("plusresilient_portal_list", context, data_dict)
    codes = data_dict["country"]
    selected = directory.for_country(codes) if codes else directory.load()
    sources = _sources_by_name([portal.harvest_source_name for portal in selected])
    counts = _dataset_counts(context, [source.id for source in sources.values()])

    result = []
    for portal in selected:
        item = portal.as_dict()
        source = sources.get(portal.harvest_source_name)
        item["harvest_source"] = None if source is None else {
            "id": source.id,
            "name": source.name,
            "url": source.url,
            "datasets": counts.get(source.id, 0),
            "last_job_status": _last_job_status(source.id),
        }
        result.append(item)
    return result


def _registered_harvesters() -> set[str]:
    """The source types ckanext-harvest accepts right now (the ``name`` of
    every loaded IHarvester plugin), as its own validator computes them."""
    from ckanext.harvest.interfaces import IHarvester

    types = set()
    for harvester in p.PluginImplementations(IHarvester):
        try:
            info = harvester.info()
        except AttributeError:
            continue
        if info and info.get("name"):
            types.add(info["name"])
    return types


def _wanted_source(portal: directory.Portal, source_type: str) -> dict[str, Any]:
    config = {
        "portal": portal.id,
        "country": portal.country,
        "region": portal.region,
        "language": portal.language,
    }
    return {
        "name": portal.harvest_source_name,
        "title": portal.name,
        "url": portal.api_url,
        "source_type": source_type,
        "frequency": portal.frequency,
        "config": json.dumps(config, sort_keys=True),
    }


class _DirectoryOrganization:
    """The organization that owns the directory's sources (the option
    ``ckanext.plusresilient.portals.organization``), looked up once per
    sync and created the first time a source needs it, never in a dry run.

    Directory sources go to this one organization, not to a cluster: a
    portal is run by a public administration, not by an SVRC cluster, and
    ``portals.yaml`` names none. An admin who wants a portal's datasets under
    a cluster moves its source there; the sync keeps it there.
    """

    def __init__(self, user: str | None, dry_run: bool) -> None:
        try:
            self.name = settings.portals_organization()
        except ValueError as error:
            raise tk.ValidationError({"organization": [str(error)]}) from None
        self.user = user
        self.dry_run = dry_run
        self._id: str | None = None

    def id(self) -> str | None:
        if self._id is None:
            self._id = self._find() or self._create()
        return self._id

    def _find(self) -> str | None:
        group = model.Group.get(self.name)  # by id or name
        if group is None:
            return None
        if not group.is_organization or group.state != "active":
            kind = "organization" if group.is_organization else "group"
            raise tk.ValidationError({"organization": [
                f"{settings.PORTALS_ORGANIZATION_OPTION} names the {group.state} {kind} "
                f"{group.name!r}: restore it, or name another organization"]})
        return group.id

    def _create(self) -> str | None:
        if self.dry_run:
            return None
        organization = tk.get_action("organization_create")({"user": self.user}, {
            "name": self.name,
            "title": DIRECTORY_ORGANIZATION_TITLE,
            "description": "The harvest sources of the directory of open data portals "
                           "(`ckan plusresilient portals sync`) and the datasets "
                           "harvested through them.",
        })
        log.info("organization %s created for the directory's harvest sources", self.name)
        return organization["id"]


def _differences(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    changed = []
    for field in SYNCED_FIELDS:
        have, want = current.get(field), wanted[field]
        if field == "config":
            try:
                have = json.loads(have) if have else None
            except ValueError:
                pass
            want = json.loads(want)
        if have != want:
            changed.append(field)
    return changed


def plusresilient_portals_sync(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, list[Any]]:
    """Create or update one ckanext-harvest source per portal that has a
    harvester. Sysadmins only.

    Each source is named ``portal-<id>``, titled with the portal's name,
    points at the portal's ``api_url`` and carries the config
    ``{"portal", "country", "region", "language"}``; those are brought back
    to the directory's values on every run. It is created with the portal's
    ``frequency`` (WEEKLY unless ``portals.yaml`` says otherwise) and owned
    by the organization ``ckanext.plusresilient.portals.organization``
    names (created when missing), so that it is accepted where
    ``ckan.auth.create_unowned_dataset`` is off. Later runs never change
    the frequency or the organization: an admin may have chosen them. A
    source an older version left without organization gets it. A second
    run changes nothing. Sources are never deleted here.

    :param country: only these countries' portals (as in
        ``plusresilient_portal_list``)
    :type country: string or list of strings
    :param dry_run: report what would change without changing it
    :type dry_run: bool
    :param harvester_override: portal software -> harvest source type, e.g.
        ``{"ckan": "ckan"}`` to harvest the CKAN portals with ckanext-harvest's
        stock CKAN harvester. For tests, and for sites that prefer the stock
        harvesters. A dict or its JSON.
    :type harvester_override: dict

    :returns: ``{"created": [...], "updated": [...], "unchanged": [...]}``
        with the portal ids, and ``"skipped": [{"id", "reason"}]`` for the
        portals without a harvester or whose harvester is not enabled
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_portals_sync", context, data_dict)
    tk.check_access("plusresilient_portals_sync", context, data_dict)
    codes = data_dict["country"]
    dry_run = data_dict["dry_run"]
    override = data_dict["harvester_override"]
    registered = _registered_harvesters()
    selected = directory.for_country(codes) if codes else directory.load()
    user = context.get("user")
    organization = _DirectoryOrganization(user, dry_run)

    report: dict[str, list[Any]] = {"created": [], "updated": [], "unchanged": [], "skipped": []}
    for portal in selected:
        source_type = override.get(portal.software) or portal.harvester
        if not source_type:
            report["skipped"].append({
                "id": portal.id,
                "reason": f"no harvester for this {portal.software} portal",
            })
            continue
        if source_type not in registered:
            report["skipped"].append({
                "id": portal.id,
                "reason": f"harvester {source_type} not enabled",
            })
            continue
        if not portal.api_url:
            report["skipped"].append({"id": portal.id, "reason": "no API URL"})
            continue

        wanted = _wanted_source(portal, source_type)
        try:
            # not the cached search-index copy: a finished job's reindex leaves
            # it without type, frequency or config, and every source would differ
            current = tk.get_action("harvest_source_show")(
                {"user": user, "use_cache": False}, {"id": wanted["name"]})
        except tk.ObjectNotFound:
            current = None

        if current is None:
            owner_org = organization.id()
            if not dry_run:
                tk.get_action("harvest_source_create")(
                    {"user": user}, dict(wanted, owner_org=owner_org))
            report["created"].append(portal.id)
            log.info("portal %s: harvest source %s created", portal.id, wanted["name"])
            continue

        changed = _differences(current, wanted)
        if not current.get("owner_org"):
            changed.append("owner_org")
        if current.get("state", "active") != "active":
            changed.append("state")
        if not changed:
            report["unchanged"].append(portal.id)
            continue
        if not dry_run:
            update = dict(wanted, id=current["id"], state="active",
                          frequency=current.get("frequency") or wanted["frequency"],
                          owner_org=current.get("owner_org") or organization.id())
            if current.get("notes"):
                update["notes"] = current["notes"]
            tk.get_action("harvest_source_update")({"user": user}, update)
        report["updated"].append(portal.id)
        log.info("portal %s: harvest source %s updated (%s)",
                 portal.id, wanted["name"], ", ".join(changed))
    return report


# -- quality ---------------------------------------------------------------------------

#: ``by`` of plusresilient_quality_summary -> the Solr field grouped on
#: (the schema's SUMMARY_GROUPINGS).
SUMMARY_GROUPS = {
    "country": "vocab_country",
    "region": "vocab_region",
    "organization": "organization",
    # every source that publishes the dataset, as the directory counts it
    "harvest_source": search.HARVEST_SOURCES_FIELD,
}
QUALITY_BAND_FIELD = "plusresilient_quality_band"


def _dataset(data_dict: dict[str, Any]) -> model.Package:
    """The dataset named by ``id`` (an id or a name)."""
    value = data_dict.get("id")
    if not value or not isinstance(value, str):
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    package = model.Package.get(value)
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return package


@tk.side_effect_free
def plusresilient_quality_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The quality annotation of a dataset.

    Anyone who may see the dataset may see it; for a dataset the caller may
    not see the answer is "not found", as for one that does not exist. The
    data reports' cell values, column labels and validator messages (the
    ``first_errors``, and the message of "schema" and "internal" errors) are
    given only to those who may edit the dataset: they quote the file, which
    is whatever its URL answered. Others get the figures and error types,
    and ``details_hidden`` true on each report where something was left out.

    :param id: the dataset's id or name
    :type id: string
    :param history: also return every past scoring (default false)
    :type history: bool

    :returns: ``{"package_id", "status": "not_scored" | "scored" | "error",
        "scored_at", "error", "overall", "metadata", "data": {"summary",
        "resources": [{"resource_id", "name", "url", "report"}]}, "links":
        {"summary", "statuses"}, "community"}``, plus ``"history"``: a list of
        ``{scored_at, overall_score, overall_band, metadata_points, data_score,
        links_score, community_score}``, oldest first, when asked for. An
        "error" status keeps the figures of the last scoring that worked.
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_quality_show", context, data_dict)
    try:
        tk.check_access("plusresilient_quality_show", context, data_dict)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    package = _dataset(data_dict)
    return quality.annotation(package.id, with_history=data_dict["history"],
                              with_details=_may_edit(context, package.id))


def _may_edit(context: dict[str, Any], package_id: str) -> bool:
    """Whether the caller may edit the dataset (and so read what its files say)."""
    if context.get("ignore_auth"):
        return True
    try:
        tk.check_access("package_update", {"user": context.get("user"),
                                           "auth_user_obj": context.get("auth_user_obj")},
                        {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


def plusresilient_quality_refresh(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Score a dataset again: in the background, or now.

    For whoever may edit the dataset (its organization's editors and admins,
    sysadmins).

    :param id: the dataset's id or name
    :type id: string
    :param wait: score now and return the annotation (default false: queue
        the job). The checks then take at most
        ``ckanext.plusresilient.quality.refresh_wait_seconds`` (20 s by
        default); links and resources not reached by then are reported as not
        checked (a refresh without ``wait``, which queues the background job
        and its longer budget, checks them)
    :type wait: bool

    :returns: with ``wait``, the annotation as ``plusresilient_quality_show``
        gives it; else ``{"package_id", "queued"}``, where ``queued`` is false
        when a job already waiting in the queue will score the dataset
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_quality_refresh", context, data_dict)
    tk.check_access("plusresilient_quality_refresh", context, data_dict)
    package = _dataset(data_dict)
    if data_dict["wait"]:
        return quality.score_dataset(package.id, budget_seconds=settings.refresh_wait_seconds())
    return {"package_id": package.id, "queued": jobs.enqueue_scoring(package.id) is not None}


def _band_counts(counts: dict[str, int], total: int) -> dict[str, int]:
    bands = {band: int(counts.get(band, 0)) for band in quality.BANDS}
    bands["not_scored"] = total - sum(bands.values())
    return bands


def _search_facets(context: dict[str, Any], fq: str, fields: list[str]) -> dict[str, Any]:
    return tk.get_action("package_search")(
        {"user": context.get("user")},
        {"q": "", "fq": fq, "rows": 0, "facet": "true", "facet.field": fields,
         "facet.limit": -1, "include_private": True},
    )


def _group_labels(by: str, result: dict[str, Any], keys: list[str]) -> dict[str, str]:
    """What a person reads for each group: the facet's label, or the harvest
    source's title (its facet shows only ids)."""
    if by == "harvest_source":
        rows = model.Session.query(model.Package.id, model.Package.title).filter(
            model.Package.id.in_(keys))
        return {row.id: row.title or row.id for row in rows}
    items = result.get("search_facets", {}).get(SUMMARY_GROUPS[by], {}).get("items", [])
    return {item["name"]: item.get("display_name") or item["name"] for item in items}


@tk.side_effect_free
def plusresilient_quality_summary(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """How many datasets are in each quality band, overall and per group.

    Public. Counted from the search index, so each caller counts only the
    datasets they may see (private ones of their organizations included).
    Datasets of the scored types only (not harvest sources).

    :param by: group the counts by ``country``, ``region``,
        ``organization`` or ``harvest_source`` (optional)
    :type by: string

    :returns: ``{"by", "total", "bands": {"excellent", "good", "sufficient",
        "bad", "not_scored"}, "groups": [{"key", "label", "total", "bands"}]}``,
        groups by decreasing total (empty without ``by``)
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_quality_summary", context, data_dict)
    tk.check_access("plusresilient_quality_summary", context, data_dict)
    by = data_dict.get("by")
    types = " OR ".join(f'"{name}"' for name in quality.scored_types())
    scope = f"+dataset_type:({types})"
    group_field = SUMMARY_GROUPS.get(by or "")
    everything = _search_facets(context, scope, [QUALITY_BAND_FIELD] + ([group_field] if by else []))
    summary: dict[str, Any] = {
        "by": by,
        "total": everything["count"],
        "bands": _band_counts(everything["facets"].get(QUALITY_BAND_FIELD, {}), everything["count"]),
        "groups": [],
    }
    if not by:
        return summary
    group_totals = everything["facets"].get(group_field, {})
    per_band = {band: _search_facets(context, f"{scope} +{QUALITY_BAND_FIELD}:{band}",
                                     [group_field])["facets"].get(group_field, {})
                for band in quality.BANDS}
    keys = sorted(group_totals, key=lambda key: (-group_totals[key], key))
    labels = _group_labels(by, everything, keys)
    summary["groups"] = [{
        "key": key,
        "label": labels.get(key, key),
        "total": group_totals[key],
        "bands": _band_counts({band: counts.get(key, 0) for band, counts in per_band.items()},
                              group_totals[key]),
    } for key in keys]
    return summary


# -- community feedback ----------------------------------------------------------------
# Every item is returned as ``{id, package_id, package_name, package_title, resource_id, kind,
# rating, category, text, author_name, created, updated, status, moderation,
# flags, replies: [{id, author_name, text, created}], may_moderate, may_delete}``:
# ``author_name`` is a display name (None for an anonymous author), times are
# ISO 8601 in UTC, ``may_moderate`` and ``may_delete`` are the caller's rights
# on the item. Texts are returned as written: escaping them is the page's job.


def _item_dict(item: Any, who: feedback.Caller) -> dict[str, Any]:
    return feedback.as_dicts([item], who)[0]


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
    data_dict = _validated("plusresilient_feedback_create", context, data_dict)
    tk.check_access("plusresilient_feedback_create", context, data_dict)
    item = feedback.create(context, data_dict)
    return _item_dict(item, feedback.caller_of(context))


@tk.side_effect_free
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
    data_dict = _validated("plusresilient_feedback_list", context, data_dict)
    tk.check_access("plusresilient_feedback_list", context, data_dict)
    package = feedback.dataset_or_not_found(data_dict.get("package_id"))
    who = feedback.caller_of(context)
    return feedback.as_dicts(feedback.items_of_dataset(who, package, data_dict), who)


@tk.side_effect_free
def plusresilient_feedback_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """One item, for whoever may see it ("not found" for the others).

    :param id: the item's id
    :type id: string
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_feedback_show", context, data_dict)
    tk.check_access("plusresilient_feedback_show", context, data_dict)
    item, _ = feedback.item_or_not_found(data_dict.get("id"))
    return _item_dict(item, feedback.caller_of(context))


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
    data_dict = _validated("plusresilient_feedback_update_status", context, data_dict)
    tk.check_access("plusresilient_feedback_update_status", context, data_dict)
    item, package = feedback.item_or_not_found(data_dict.get("id"))
    feedback.set_status(item, package, data_dict.get("status"))
    return _item_dict(item, feedback.caller_of(context))


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
    data_dict = _validated("plusresilient_feedback_reply", context, data_dict)
    tk.check_access("plusresilient_feedback_reply", context, data_dict)
    item, _ = feedback.item_or_not_found(data_dict.get("id"))
    who = feedback.caller_of(context)
    feedback.add_reply(item, who, data_dict.get("text"))
    return _item_dict(item, who)


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
    data_dict = _validated("plusresilient_feedback_moderate", context, data_dict)
    tk.check_access("plusresilient_feedback_moderate", context, data_dict)
    item, package = feedback.item_or_not_found(data_dict.get("id"))
    feedback.moderate(item, package, data_dict.get("moderation"))
    return _item_dict(item, feedback.caller_of(context))


def plusresilient_feedback_delete(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Withdraw one's own item (sysadmins may withdraw any). Moderators hide
    instead.

    :param id: the item's id
    :type id: string
    :returns: ``{"id", "state": "deleted"}``
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_feedback_delete", context, data_dict)
    tk.check_access("plusresilient_feedback_delete", context, data_dict)
    item, package = feedback.item_or_not_found(data_dict.get("id"))
    feedback.delete(item, package)
    return {"id": item.id, "state": "deleted"}


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
    data_dict = _validated("plusresilient_feedback_flag", context, data_dict)
    tk.check_access("plusresilient_feedback_flag", context, data_dict)
    item, package = feedback.item_or_not_found(data_dict.get("id"))
    new = feedback.flag(item, package, feedback.caller_of(context), data_dict.get("reason"))
    return {"id": item.id, "flagged": True, "new": new}


@tk.side_effect_free
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
    data_dict = _validated("plusresilient_feedback_queue", context, data_dict)
    tk.check_access("plusresilient_feedback_queue", context, data_dict)
    who = feedback.caller_of(context)
    organization_id = None
    if data_dict.get("organization"):
        organization = model.Group.get(data_dict["organization"])
        if organization is None or not organization.is_organization:
            raise tk.ObjectNotFound("Organization not found")
        organization_id = organization.id
    return feedback.as_dicts(feedback.queue(who, organization_id, data_dict), who)


@tk.side_effect_free
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
    data_dict = _validated("plusresilient_feedback_mine", context, data_dict)
    tk.check_access("plusresilient_feedback_mine", context, data_dict)
    who = feedback.caller_of(context)
    return feedback.as_dicts(feedback.items_of_author(who, data_dict), who)


# -- catalog quality: trend and failing indicators --------------------------------------
# Figures over the whole catalog, computed in PostgreSQL (logic/quality_stats.py)
# on the datasets the caller could find by searching, private ones included.

def _stats_filters(data_dict: dict[str, Any]) -> quality_stats.Filters:
    """``organization`` (id or name) and ``country`` (as in portal_list)."""
    organization_id = None
    wanted = data_dict.get("organization")
    if wanted is not None:
        organization = model.Group.get(wanted)
        if organization is None or not organization.is_organization or organization.state != "active":
            raise tk.ValidationError({"organization": [tk._("Organization not found")]})
        organization_id = organization.id
    return quality_stats.Filters(organization_id=organization_id,
                                 countries=tuple(data_dict["country"]))


@tk.side_effect_free
def plusresilient_quality_trend(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The catalog's quality over time, from every dataset's scoring history.

    Public, and counted only on the datasets the caller could find with
    ``package_search(include_private=True)``. Per period, each dataset counts
    with its latest scoring at or before the period's end (a dataset scored in
    January still counts in March). One period per day when the history spans
    at most 62 days, per ISO week up to two years, per month beyond; at most
    60 periods, the latest.

    :param organization: only this organization's datasets (id or name; optional)
    :type organization: string
    :param country: only these countries' datasets: a code, a comma-separated
        list or a repeated parameter (optional)
    :type country: string or list of strings

    :returns: ``{"granularity": "day" | "week" | "month" | null, "periods":
        [{"period", "start", "end", "datasets", "average", "bands":
        {"excellent", "good", "sufficient", "bad"}}]}``, oldest first;
        ``period`` is ISO 8601 (``2026-11-26``, ``2026-W48``, ``2026-11``),
        ``start`` and ``end`` its first and last day (UTC), ``average`` the
        mean overall score (null when nothing was scored by then); no
        granularity and no periods when nothing was ever scored
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_quality_trend", context, data_dict)
    tk.check_access("plusresilient_quality_trend", context, data_dict)
    filters = _stats_filters(data_dict)
    return quality_stats.trend(quality_stats.visibility_of(context), filters)


@tk.side_effect_free
def plusresilient_quality_indicators(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The MQA indicators failed by the largest share of the catalog.

    Public, and counted only on the datasets the caller could find with
    ``package_search(include_private=True)``, from their current reports.

    :param limit: how many indicators (default 10, at most 50)
    :type limit: int
    :param organization: only this organization's datasets (id or name; optional)
    :type organization: string
    :param country: only these countries' datasets (optional, as for the trend)
    :type country: string or list of strings

    :returns: ``{"scored": n, "indicators": [{"key", "dimension", "label",
        "failed", "share", "points_lost"}]}``: ``scored`` datasets have a
        report, ``failed`` of them fail the indicator (``share`` = failed /
        scored), losing ``points_lost`` MQA points in all; by share, then
        points lost; ``label`` in the request's language; indicators nobody
        fails are left out
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_quality_indicators", context, data_dict)
    tk.check_access("plusresilient_quality_indicators", context, data_dict)
    filters = _stats_filters(data_dict)
    result = quality_stats.failing_indicators(
        quality_stats.visibility_of(context), data_dict["limit"], filters)
    for indicator in result["indicators"]:
        indicator["label"] = helpers.plusresilient_quality_indicator_label(indicator)
    return result


# -- harvest provenance ----------------------------------------------------------------

@tk.side_effect_free
def plusresilient_harvest_provenance(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Where a dataset comes from, and what was edited here.

    Whoever may see the dataset. For a dataset made here every list is empty.

    :param id: the dataset's id or name
    :type id: string

    :returns: ``sources``: every harvest source that publishes it now
        (``id``, ``name``, ``title``, ``url``, ``identifier`` at the source,
        ``first_seen``, ``last_seen``); ``edited_here``: each harvested field
        whose value was changed here and is kept across harvests (``field``,
        ``value``, ``source_value``); ``harvested``: when it was last imported
    :rtype: dictionary
    """
    data_dict = _validated("plusresilient_harvest_provenance", context, data_dict)
    tk.check_access("plusresilient_harvest_provenance", context, data_dict)
    dataset = tk.get_action("package_show")(dict(context), {"id": data_dict["id"]})
    return provenance.of_dataset(dataset)
