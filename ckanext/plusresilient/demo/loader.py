"""Fill a portal with the demo: clusters, training, harvested and scored
datasets, use cases and a little community feedback.

Everything goes through CKAN's own actions, as the site user, in the order
the references need: clusters first (they own the harvest sources, the
training and the use cases), then the harvest of each sample portal, then
the use cases (they name harvested datasets), the feedback, and last the
quality scoring (which reads the feedback).

Idempotent: each record is looked up by its stable name and created when
missing, patched when it differs from the content files, and otherwise left
alone, so a second load writes nothing and no ``metadata_modified`` moves.
The harvest of an unchanged sample portal finds nothing changed (the
harvesters are incremental); it still records a job with one "not modified"
object per dataset, which is ckanext-harvest's log of that run.

Load against one address: the DCAT, OpenDataSoft and Socrata harvesters
know a dataset by URIs that include the portal's host and port, so sample
portals moved to another port are other portals to them — their datasets
are withdrawn and harvested again under new names (no duplicate stays).

Scoring: the loader scores synchronously what needs it — a dataset never
scored, scored with an error, modified since its last scoring, or given new
feedback by this load — and leaves the others (``rescore`` scores all). So
a second load adds no row to the quality history. Its saves queue no
background scoring (``jobs.NO_SCORING`` in each action's context, harvests
included): they would score a second time every dataset it scores itself.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import time
from collections import Counter
from typing import Any, Callable

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.demo.apis import portal_paths
from ckanext.plusresilient.demo.content import Content, DatasetRef, dataset_refs, load_content
from ckanext.plusresilient.harvesters.runner import Summary as HarvestSummary
from ckanext.plusresilient.harvesters.runner import run_source
from ckanext.plusresilient.model import HarvestRecord
from ckanext.plusresilient.model.quality import Quality
from ckanext.plusresilient.scoring import dataset as scoring

__all__ = ["Changes", "LoadSummary", "load", "source_url"]

log = logging.getLogger(__name__)

CLUSTER_FIELDS = ("title", "description", "country", "region", "svrc_scenario",
                  "members_public_administration", "members_research", "members_business",
                  "members_civil_society")
TRAINING_FIELDS = ("title", "notes", "training_format", "training_level", "language",
                   "duration_minutes", "skills", "audience")
USE_CASE_FIELDS = ("title", "notes", "use_case_phase", "problem", "outcome", "svrc_scenario",
                   "si_area", "country", "region")


@dataclasses.dataclass
class Changes:
    """What a load did to one kind of record, by name."""

    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)

    def line(self, what: str) -> str:
        return (f"{what}: created {len(self.created)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")


@dataclasses.dataclass
class LoadSummary:
    portals_url: str
    clusters: Changes = dataclasses.field(default_factory=Changes)
    users: Changes = dataclasses.field(default_factory=Changes)
    training: Changes = dataclasses.field(default_factory=Changes)
    sources: Changes = dataclasses.field(default_factory=Changes)
    use_cases: Changes = dataclasses.field(default_factory=Changes)
    feedback: Changes = dataclasses.field(default_factory=Changes)
    harvests: dict[str, HarvestSummary] = dataclasses.field(default_factory=dict)
    scored: list[str] = dataclasses.field(default_factory=list)
    #: every scored dataset of the portal by its current band (not only this load's)
    bands: dict[str, int] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def bands_line(self) -> str:
        return ", ".join(f"{band} {self.bands.get(band, 0)}" for band in scoring.BANDS)


def source_url(portals_url: str, portal: str) -> str:
    """The harvest source URL of a sample portal served at ``portals_url``."""
    return portals_url.rstrip("/") + portal_paths()[portal]


def load(portals_url: str, *, rescore: bool = False,
         echo: Callable[[str], None] | None = None) -> LoadSummary:
    """Load the demo against the sample portals served at ``portals_url``
    (``ckan plusresilient demo serve``, or :func:`..server.serving`).

    ``echo`` receives one line per step. Content problems raise ValueError
    before anything is written; a failing harvest, an unresolved dataset of a
    use case or a failed scoring is recorded in ``errors`` and the load goes on.
    """
    started = time.monotonic()
    say = echo or log.info
    content = load_content()
    summary = LoadSummary(portals_url=portals_url.rstrip("/"))
    actor = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    clusters = _load_clusters(content, actor, summary.clusters)
    say(summary.clusters.line("clusters"))
    _load_users(content, actor, summary.users)
    say(summary.users.line("demo users"))
    _load_training(content, clusters, actor, summary.training)
    say(summary.training.line("training"))
    sources = _load_sources(content, clusters, summary.portals_url, actor, summary.sources)
    say(summary.sources.line("harvest sources"))
    for source in content.sources:
        _harvest(source["name"], summary, say)
    harvested = _harvested_datasets(content, sources)
    _load_use_cases(content, clusters, harvested, actor, summary, say)
    say(summary.use_cases.line("use cases"))
    touched = _load_feedback(content, harvested, actor, summary)
    say(summary.feedback.line("feedback"))
    _score(rescore, touched, summary, say)
    summary.seconds = time.monotonic() - started
    return summary


def _context(user: str) -> dict[str, Any]:
    """A fresh dict per call (actions write into their context); no scoring
    job for what this load saves: it scores what needs it itself, once."""
    return {"user": user, jobs.NO_SCORING: True}


# -- comparing --------------------------------------------------------------------------------

def _normal(value: Any) -> Any:
    """Comparable form: no empty values, no outer whitespace, and lists in
    one order (CKAN stores coded values in their vocabulary's order)."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return sorted((_normal(item) for item in value), key=repr)
    return value


def _differences(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The fields of ``wanted`` whose value ``current`` does not have."""
    changed = []
    for key, want in wanted.items():
        have = current.get(key)
        if key == "tags":
            have = sorted(tag["name"] for tag in have or [])
            want = sorted(tag["name"] for tag in want)
        elif key == "config":
            have, want = json.loads(have or "{}"), json.loads(want)
        if _normal(have) != _normal(want):
            changed.append(key)
    return changed


def _tags(entry: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": tag} for tag in entry.get("tags") or []]


def _show(action: str, actor: str, name: str) -> dict[str, Any] | None:
    """The record as the database has it: after a harvest job, the search
    index's cached copy of a harvest source lacks its type, frequency and
    configuration, which would read as changes."""
    try:
        return tk.get_action(action)(dict(_context(actor), use_cache=False), {"id": name})
    except tk.ObjectNotFound:
        return None


def _save(kind: str, name: str, action: str, actor: str, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return tk.get_action(action)(_context(actor), data)
    except tk.ValidationError as error:
        raise ValueError(f"{kind} {name}: {error.error_summary}") from error


def _ensure_package(kind: str, wanted: dict[str, Any], actor: str, changes: Changes,
                    show: str = "package_show", create: str = "package_create",
                    update: str = "package_patch") -> dict[str, Any]:
    """Create, patch or leave one record (dataset, harvest source) by name."""
    name = wanted["name"]
    current = _show(show, actor, name)
    if current is None:
        changes.created.append(name)
        return _save(kind, name, create, actor, wanted)
    changed = _differences(current, wanted)
    if current.get("state", "active") != "active":  # a deleted record keeps its name: revive it
        changed.append("state")
    if not changed:
        changes.unchanged.append(name)
        return current
    log.info("%s %s: updating %s", kind, name, ", ".join(changed))
    changes.updated.append(name)
    return _save(kind, name, update, actor, dict(wanted, id=current["id"], state="active"))


# -- the steps --------------------------------------------------------------------------------

def _load_clusters(content: Content, actor: str, changes: Changes) -> dict[str, str]:
    """Cluster name -> organization id."""
    ids = {}
    for cluster in content.clusters:
        name = cluster["name"]
        wanted = {key: cluster.get(key) for key in CLUSTER_FIELDS}
        current = _show("organization_show", actor, name)
        if current is None:
            saved = _save("cluster", name, "organization_create", actor, dict(wanted, name=name))
            changes.created.append(name)
        elif _differences(current, wanted) or current.get("state") != "active":
            saved = _save("cluster", name, "organization_patch", actor,
                          dict(wanted, id=current["id"], state="active"))
            changes.updated.append(name)
        else:
            saved = current
            changes.unchanged.append(name)
        ids[name] = saved["id"]
    return ids


def _load_users(content: Content, actor: str, changes: Changes) -> None:
    for user in content.users:
        wanted = {key: user.get(key) for key in ("fullname", "about")}
        current = _show("user_show", actor, user["name"])
        if current is None:
            # nobody knows the password: these accounts only author sample feedback
            _save("user", user["name"], "user_create", actor,
                  dict(wanted, name=user["name"], email=user["email"],
                       password=secrets.token_urlsafe(24)))
            changes.created.append(user["name"])
        elif _differences(current, wanted):
            _save("user", user["name"], "user_patch", actor, dict(wanted, id=current["id"]))
            changes.updated.append(user["name"])
        else:
            changes.unchanged.append(user["name"])


def _load_training(content: Content, clusters: dict[str, str], actor: str, changes: Changes) -> None:
    for item in content.training:
        wanted = {key: item.get(key) for key in TRAINING_FIELDS}
        wanted.update(type="training", name=item["name"], owner_org=clusters[item["cluster"]],
                      tags=_tags(item))
        _ensure_package("training", wanted, actor, changes)


def _load_sources(content: Content, clusters: dict[str, str], portals_url: str, actor: str,
                  changes: Changes) -> dict[str, str]:
    """Source name -> harvest source id."""
    ids = {}
    for source in content.sources:
        wanted = {
            "name": source["name"], "title": source["title"], "notes": source["notes"],
            "url": source_url(portals_url, source["portal"]), "source_type": source["source_type"],
            "frequency": "MANUAL", "owner_org": clusters[source["cluster"]],
            "config": json.dumps(source["config"], sort_keys=True),
        }
        saved = _ensure_package("harvest source", wanted, actor, changes, show="harvest_source_show",
                                create="harvest_source_create", update="harvest_source_update")
        ids[source["name"]] = saved["id"]
    return ids


def _harvest(name: str, summary: LoadSummary, say: Callable[[str], None]) -> None:
    try:
        result = run_source(name, context={jobs.NO_SCORING: True})
    except (tk.ObjectNotFound, tk.ValidationError) as error:
        message = error.error_summary if isinstance(error, tk.ValidationError) else str(error)
        summary.errors.append(f"harvest {name}: {message}")
        say(f"harvest {name}: not run: {message}")
        return
    summary.harvests[name] = result
    say(f"harvest {name}: {result.line()}")
    summary.errors.extend(f"harvest {name}: {message}"
                          for message in [*result.gather_errors, *result.object_errors])


def _harvested_datasets(content: Content, sources: dict[str, str]) -> dict[DatasetRef, str]:
    """(portal, title) -> the name of the dataset harvested from it."""
    found: dict[DatasetRef, str] = {}
    for source in content.sources:
        rows = (model.Session.query(model.Package.title, model.Package.name)
                .join(HarvestRecord, HarvestRecord.package_id == model.Package.id)
                .filter(HarvestRecord.source_id == sources[source["name"]],
                        model.Package.state == model.State.ACTIVE))
        for title, name in rows:
            found[DatasetRef(portal=source["portal"], title=title)] = name
    return found


def _load_use_cases(content: Content, clusters: dict[str, str], harvested: dict[DatasetRef, str],
                    actor: str, summary: LoadSummary, say: Callable[[str], None]) -> None:
    for item in content.use_cases:
        refs = dataset_refs(item)
        missing = [str(ref) for ref in refs if ref not in harvested]
        if missing:
            summary.errors.append(f"use case {item['name']}: not loaded, the harvest did not bring "
                                  f"{', '.join(missing)}")
            say(summary.errors[-1])
            continue
        wanted = {key: item.get(key) for key in USE_CASE_FIELDS}
        wanted.update(type="use-case", name=item["name"], owner_org=clusters[item["cluster"]],
                      tags=_tags(item),
                      # stored as ids (the validator turns names into ids)
                      datasets_used=[model.Package.get(harvested[ref]).id for ref in refs])
        _ensure_package("use case", wanted, actor, summary.use_cases)


def _load_feedback(content: Content, harvested: dict[DatasetRef, str], actor: str,
                   summary: LoadSummary) -> set[str]:
    """The ids of the datasets whose community component this load changed."""
    touched: set[str] = set()
    mine: dict[str, list[dict[str, Any]]] = {}
    for item in content.feedback:
        ref = DatasetRef(portal=item["portal"], title=item["title"])
        user = item["user"]
        label = f"{user}: {item['kind']} on {harvested.get(ref, ref.title)}"
        if ref not in harvested:
            summary.errors.append(f"feedback {label}: the harvest did not bring {ref}")
            continue
        package = model.Package.get(harvested[ref])
        if user not in mine:
            mine[user] = tk.get_action("plusresilient_feedback_mine")(_context(user), {"limit": 200})
        existing = next((i for i in mine[user] if i["package_id"] == package.id and i["kind"] == item["kind"]
                         and i["category"] == item.get("category")), None)
        if existing is None:
            data = {key: item[key] for key in ("kind", "rating", "category", "text") if key in item}
            existing = _save("feedback", label, "plusresilient_feedback_create", user,
                             dict(data, package_id=package.id))
            summary.feedback.created.append(label)
            touched.add(package.id)
        elif existing["moderation"] == "approved":
            summary.feedback.unchanged.append(label)
            continue
        else:
            summary.feedback.updated.append(label)
            touched.add(package.id)
        if existing["moderation"] != "approved":  # the sample is published: a moderator approves it
            _save("feedback", label, "plusresilient_feedback_moderate", actor,
                  {"id": existing["id"], "moderation": "approved"})
    return touched


def _needing_score(touched: set[str]) -> set[str]:
    """Datasets never scored, scored with an error, changed since, or touched."""
    modified = sa.func.date_trunc("second", model.Package.metadata_modified)
    rows = (model.Session.query(model.Package.id)
            .outerjoin(Quality, Quality.package_id == model.Package.id)
            .filter(model.Package.state == model.State.ACTIVE,
                    model.Package.type.in_(config.scored_types()),
                    sa.or_(Quality.package_id.is_(None), Quality.status != "scored",
                           modified > Quality.scored_at)))
    return {package_id for (package_id,) in rows} | touched


def _score(rescore: bool, touched: set[str], summary: LoadSummary, say: Callable[[str], None]) -> None:
    from ckan.lib import search

    every = scoring.scored_dataset_ids()
    wanted = every if rescore else [i for i in every if i in _needing_score(touched)]
    say(f"quality: scoring {len(wanted)} of {len(every)} datasets (links and data checked)")
    for number, package_id in enumerate(wanted, start=1):
        result = scoring.score_dataset(package_id, defer_index_commit=True)
        if result is None:
            continue
        name = model.Package.get(package_id).name
        if result["status"] == "error":
            summary.errors.append(f"quality {name}: {result['error']}")
            say(f"  {number}/{len(wanted)} {name}: error")
            continue
        summary.scored.append(name)
        overall = result["overall"]
        say(f"  {number}/{len(wanted)} {name}: {overall['band']} ({overall['score']:.0f})")
    search.commit()
    bands = (model.Session.query(Quality.overall_band)
             .join(model.Package, model.Package.id == Quality.package_id)
             .filter(model.Package.state == model.State.ACTIVE, Quality.overall_band.isnot(None),
                     model.Package.type.in_(config.scored_types())))
    summary.bands = dict(Counter(band for (band,) in bands))
    say(f"quality bands: {summary.bands_line()}")
