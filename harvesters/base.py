"""What every +RESILIENT harvester shares: streaming gather, incremental
updates, deletions carried over, one dataset per remote identity, and
errors recorded instead of raised.

A platform module only says how to list its datasets (page by page) and how
to read one into a :class:`~ckanext.plusresilient.harvesters.mapping.RemoteDataset`.

Gather walks the whole listing once, one page in memory at a time:

* a dataset whose modification date equals the one recorded for this source
  is closed at once as *not modified* (no fetch, no import);
* a new or changed one becomes a harvest object for fetch and import;
* each record seen is stamped with the job's id, so when — and only when —
  the listing completed without error, records of this source left unstamped
  are datasets gone from the source, and get a *delete* object.

Identity is the remote identifier (the dataset's URI, or the platform's
global id), shared by all sources: a dataset that a regional portal and the
national aggregator both publish is one CKAN dataset, updated in place.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib.search import SearchIndexError
try:  # CKAN >= 2.12 indexes explicitly, so a caller may defer the Solr commit
    from ckan.logic import (index_update_package, index_update_package_dicts,
                            package_show_default_and_custom_schemas)
except ImportError:  # pragma: no cover - CKAN 2.11
    index_update_package = index_update_package_dicts = package_show_default_and_custom_schemas = None
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.plusresilient import config, vocabularies
from ckanext.plusresilient.harvesters import curation, resources
from ckanext.plusresilient.harvesters import source_config as source_settings
from ckanext.plusresilient.harvesters.mapping import RemoteDataset, to_package
from ckanext.plusresilient.harvesters.names import name_taken, new_dataset_name
from ckanext.plusresilient.model import HarvestedDataset, HarvestRecord
from ckanext.plusresilient.safe_http import FetchError, SafeSession
from ckanext.plusresilient.scoring import outages

log = logging.getLogger(__name__)

#: The content of an object whose dataset the source no longer has (the
#: objects carry everything in their content: no extras to load per stage).
DELETE = json.dumps({"delete": True})


@dataclass
class Listed:
    """One dataset as a listing page shows it: enough to decide whether to
    fetch it. ``dataset`` is filled when the listing already carries all of it."""

    identifier: str
    remote_id: str
    modified: str | None = None
    dataset: RemoteDataset | None = None


class SVRCHarvester(HarvesterBase):
    """Base of the platform harvesters (each is a plugin of its own;
    HarvesterBase already implements IHarvester)."""

    name = "plusresilient"
    title = "+RESILIENT"
    description = ""
    #: set by the CLI runner to watch gather page by page: (stage, pages, datasets listed)
    progress: Callable[[str, int, int], None] | None = None
    #: set by the CLI runner for a full re-harvest: every dataset listed is
    #: imported again, modified upstream or not (fields edited here are kept)
    full: bool = False
    #: What a run in this process adds to the import's action context (the
    #: demo loader's "no scoring jobs", harvesters/runner.py).
    import_context: dict[str, Any] = {}
    #: the largest ``page_size`` a source may ask of the platform's API;
    #: None where the platform decides its pages (the key is then refused)
    page_size_max: int | None = 1000

    # -- what a platform module provides -------------------------------------------------
    def list_datasets(self, url: str, source_config: dict[str, Any], http: SafeSession,
                      since: datetime.datetime | None) -> Iterator[list[Listed]]:
        """Pages of the source's complete listing (``since`` lets a platform
        ask the source for the changed ones only, if it can)."""
        raise NotImplementedError

    def fetch_dataset(self, url: str, listed: Listed, source_config: dict[str, Any],
                      http: SafeSession) -> RemoteDataset:
        """One dataset, when the listing did not carry it whole."""
        raise NotImplementedError

    # -- IHarvester ------------------------------------------------------------------------
    def info(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "description": self.description}

    def validate_config(self, source_config: str | None) -> str:
        """The source's configuration checked against the shared schema
        (``source_config.py``) when the source is saved; kept as written, so
        that saving the same text again (the portal directory's sync) is no
        change. ckanext-harvest turns the ValueError into a 409."""
        self.settings(source_config)
        return source_config or ""

    def settings(self, source_config: str | None) -> dict[str, Any]:
        """The configuration's values, normalised; ConfigError if it breaks the schema."""
        return source_settings.parse(source_config, self.page_size_max)

    def gather_stage(self, harvest_job: HarvestJob) -> list[str]:
        source = harvest_job.source
        try:
            # a source saved before the configuration was checked
            source_config = self.settings(source.config)
        except source_settings.ConfigError as error:
            self._save_gather_error(_invalid_config(error), harvest_job)
            return []
        full = self.full or bool(source_config.get("force_all"))
        digest = mapping_digest(source.config)
        since = None if full else _last_complete_gather(harvest_job)
        http = SafeSession(config.http_policy())
        object_ids: list[str] = []
        counts = {"pages": 0, "listed": 0, "unchanged": 0, "deleted": 0}
        try:
            for page in self.list_datasets(source.url, source_config, http, since):
                counts["pages"] += 1
                counts["listed"] += len(page)
                object_ids.extend(self._gather_page(harvest_job, page, counts, full, digest))
                model.Session.commit()
                if self.progress:
                    self.progress("gather", counts["pages"], counts["listed"])
        except FetchError as error:
            model.Session.rollback()
            self._save_gather_error(f"{error} (after {counts['pages']} pages; "
                                    "nothing was withdrawn)", harvest_job)
            return object_ids
        except Exception as error:  # a payload no platform module foresaw: record, never crash
            log.exception("gather of %s failed", source.url)
            model.Session.rollback()
            self._save_gather_error(f"Malformed listing from {source.url}: {error!r} "
                                    f"(after {counts['pages']} pages; nothing was withdrawn)",
                                    harvest_job)
            return object_ids
        finally:
            http.close()
        object_ids.extend(self._gather_deletions(harvest_job, counts))
        model.Session.commit()
        log.info("gather %s: %s", source.url, counts)
        return object_ids

    def _gather_page(self, job: HarvestJob, page: list[Listed], counts: dict[str, int],
                     full: bool, digest: str) -> list[str]:
        """One page in a handful of queries, whatever its size: the records
        and the states of their datasets are read together, and the new
        objects are written with one flush.

        A dataset is *not modified* only when its source date is the one
        recorded, this source still held it, the dataset is active and some
        harvest object is still its current one (a cleared job history
        leaves none: importing it again restores the link to its source),
        and it was mapped with today's rules and configuration (``digest``);
        ``full`` imports every dataset again."""
        now = datetime.datetime.utcnow()
        records = HarvestRecord.of_source(job.source_id, [listed.identifier for listed in page])
        current = _current_packages([r.package_id for r in records.values() if r.package_id])
        changed = []
        for listed in page:
            record = records.get(listed.identifier)
            if record is None:
                record = records[listed.identifier] = HarvestRecord(
                    source_id=job.source_id, identifier=listed.identifier, first_seen=now)
                model.Session.add(record)
            record.last_seen_job_id = job.id
            record.last_seen = now
            unchanged = (not full and record.withdrawn is None and record.package_id in current
                         and listed.modified is not None
                         and record.remote_modified == listed.modified
                         and record.mapping_digest == digest)
            obj = HarvestObject(guid=listed.identifier, job=job, source=job.source,
                                package_id=record.package_id if unchanged else None)
            model.Session.add(obj)
            if unchanged:
                obj.state, obj.report_status = "COMPLETE", "not modified"
                counts["unchanged"] += 1
                continue
            obj.content = json.dumps({
                "listed": {"identifier": listed.identifier, "remote_id": listed.remote_id,
                           "modified": listed.modified},
                "dataset": listed.dataset.to_dict() if listed.dataset else None,
            })
            changed.append(obj)
        model.Session.flush()
        return [obj.id for obj in changed]

    def _gather_deletions(self, job: HarvestJob, counts: dict[str, int]) -> list[str]:
        gone = (model.Session.query(HarvestRecord)
                .filter(HarvestRecord.source_id == job.source_id,
                        HarvestRecord.withdrawn.is_(None),
                        sa.or_(HarvestRecord.last_seen_job_id != job.id,
                               HarvestRecord.last_seen_job_id.is_(None)))
                .yield_per(500))
        objects = []
        for record in gone:
            obj = HarvestObject(guid=record.identifier, job=job, source=job.source,
                                package_id=record.package_id, content=DELETE)
            model.Session.add(obj)
            objects.append(obj)
            counts["deleted"] += 1
        model.Session.flush()
        return [obj.id for obj in objects]

    def fetch_stage(self, harvest_object: HarvestObject) -> bool | str:
        try:
            content = json.loads(harvest_object.content)
            if content.get("delete") or content.get("dataset"):
                return True
            listed = Listed(**content["listed"])
            source_config = self.settings(harvest_object.source.config)
            http = SafeSession(config.http_policy())
            try:
                dataset = self.fetch_dataset(harvest_object.source.url, listed, source_config, http)
            finally:
                http.close()
        except FetchError as error:
            self._save_object_error(str(error), harvest_object, "Fetch")
            return False
        except source_settings.ConfigError as error:  # changed since gather
            self._save_object_error(_invalid_config(error), harvest_object, "Fetch")
            return False
        except Exception as error:  # noqa: BLE001 - recorded on the object, the consumer goes on
            log.exception("fetch of %s failed", harvest_object.guid)
            self._save_object_error(f"Malformed dataset {harvest_object.guid}: {error!r}",
                                    harvest_object, "Fetch")
            return False
        content["dataset"] = dataset.to_dict()
        harvest_object.content = json.dumps(content)
        harvest_object.save()
        return True

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        context = {**self.import_context, "user": self._get_user_name(), "ignore_auth": True}
        source_id = harvest_object.harvest_source_id
        record, known = HarvestRecord.of_identity(source_id, harvest_object.guid)
        try:
            content = json.loads(harvest_object.content)
            if not content.get("delete"):
                remote = RemoteDataset.from_dict(content["dataset"])
                settings = self.settings(harvest_object.source.config)
                package = to_package(remote, settings)
        except source_settings.ConfigError as error:  # changed since gather
            self._save_object_error(_invalid_config(error), harvest_object, "Import")
            return False
        except Exception as error:  # noqa: BLE001 - recorded on the object, the consumer goes on
            self._save_object_error(f"Malformed dataset {harvest_object.guid}: {error!r}",
                                    harvest_object, "Import")
            return False
        if content.get("delete"):
            return self._withdraw(harvest_object, record, context)
        owner_org = _owner_org(source_id)  # a source is a dataset of type harvest
        if owner_org:
            package["owner_org"] = owner_org
        existing_id = known.package_id if known is not None else None
        if record is None:
            record = HarvestRecord(source_id=source_id, identifier=harvest_object.guid)
            model.Session.add(record)
        # set now, so that the dataset's save writes the record once; a
        # failed save rolls them back with it
        record.withdrawn = None
        record.remote_modified = content["listed"].get("modified")
        record.mapping_digest = mapping_digest(harvest_object.source.config)
        try:
            if existing_id and _package_exists(existing_id):
                written = self._update(existing_id, package, harvest_object, context)
            else:
                if existing_id and known.package_name and not name_taken(known.package_name):
                    # purged (clearsource): the same dataset again, id and name
                    package["name"] = known.package_name
                else:
                    existing_id = None
                    package["name"] = new_dataset_name(remote.title, remote.remote_id, remote.identifier)
                written = self._create(package, record, harvest_object, context, existing_id)
        except tk.ValidationError as error:
            model.Session.rollback()
            self._save_object_error(f"Invalid dataset {harvest_object.guid}: {error.error_summary}",
                                    harvest_object, "Import")
            return False
        except SearchIndexError as error:
            # Solr down or refusing the document. CKAN indexes a dataset
            # before its row is committed, so the rollback leaves nothing
            # half-saved, and the record unchanged makes the next harvest
            # import it again: say so, for the admin reading the job.
            log.warning("import of %s: search index failed: %s", harvest_object.guid, error)
            model.Session.rollback()
            self._save_object_error(
                f"Could not index dataset {harvest_object.guid} in the search index (Solr), so it was "
                f"not saved; the next harvest imports it again. {error}", harvest_object, "Import")
            return False
        except Exception as error:  # noqa: BLE001 - e.g. the database is down
            if outages.database_lost(error):
                raise  # cut short, not this dataset's error: the fetch consumer puts it back
            log.exception("import of %s failed", harvest_object.guid)
            model.Session.rollback()
            self._save_object_error(f"Could not save dataset {harvest_object.guid}: {error}",
                                    harvest_object, "Import")
            return False
        record.package_id = written["id"]
        record.package_name = written["name"]
        harvest_object.save()
        return True

    # Both paths make this object the dataset's current one *before* the
    # dataset is indexed: ckanext-harvest's indexing hook reads it to add
    # harvest_source_id, by which the source's page lists its datasets.

    @staticmethod
    def _create(package: dict[str, Any], record: HarvestRecord, harvest_object: HarvestObject,
                context: dict[str, Any], package_id: str | None = None) -> dict[str, Any]:
        """Create the dataset and index it without a Solr commit of its own.

        A Solr commit per dataset is the biggest single cost of a harvest;
        the documents become searchable at Solr's next soft commit, and at
        the latest when ckanext-harvest marks the job finished (it reindexes
        the source with a commit). The id is chosen here (or kept, for a
        dataset purged by a clearsource) so that the record points at the
        dataset in the same database transaction that creates it: whatever
        fails afterwards, the next run updates this dataset instead of
        creating a second one.
        """
        incoming = package.get("resources") or []
        package["resources"] = resources.match(incoming, [], {})
        package["id"] = record.package_id = package_id or str(uuid.uuid4())
        record.package_name = package["name"]
        if package_id:  # a fresh uuid has nothing recorded
            HarvestedDataset.forget(package["id"])
        if index_update_package is None:  # CKAN < 2.12 indexes at commit, with a Solr commit
            # deferred before _make_current flushes the object onto a dataset not created yet
            model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
            _make_current(harvest_object, package["id"], new=True)
            written = tk.get_action("package_create")(dict(context), package)
        else:
            # return_id_only: package_create's own package_show would be
            # thrown away, the index needs one made after _make_current anyway
            created_id = tk.get_action("package_create")(
                dict(context, defer_commit=True, return_id_only=True), package)
            _make_current(harvest_object, created_id, new=True)
            shown = package_show_default_and_custom_schemas(dict(context), created_id)
            index_update_package_dicts(shown, defer_commit=True)
            written = shown[1]
        _remember(written, package, incoming, [], new=not package_id)
        return written

    @staticmethod
    def _update(package_id: str, package: dict[str, Any], harvest_object: HarvestObject,
                context: dict[str, Any]) -> dict[str, Any]:
        """Write the source's new values into the dataset it became, and
        restore it if it was withdrawn: same id, name and resource ids, and
        the fields edited here left as they are (``curation.py``)."""
        current = tk.get_action("package_show")(dict(context, for_update=True), {"id": package_id})
        harvested = HarvestedDataset.get(package_id)
        merged, edited = curation.merge(package, _without_harvest_extras(current),
                                        harvested.values if harvested else None)
        incoming = package.get("resources") or []
        merged["resources"] = resources.match(incoming, current.get("resources") or [],
                                              harvested.resources if harvested else None)
        merged.update({"id": current["id"], "name": current["name"], "state": "active",
                       "owner_org": package.get("owner_org") or current.get("owner_org")})
        # CKAN keeps a metadata_modified it is given: the record's own stays
        # as it was unless dropped, and rescoring, search and every harvester
        # of this portal would miss the change (an unchanged dict still
        # writes nothing: package_update compares without it)
        merged.pop("metadata_modified", None)
        _make_current(harvest_object, package_id)
        written = tk.get_action("package_update")(dict(context), merged)
        if edited:
            log.info("%s: kept as edited here: %s", package_id, ", ".join(edited))
        _remember(written, package, incoming, edited)
        return written

    def _withdraw(self, harvest_object: HarvestObject, record: HarvestRecord | None,
                  context: dict[str, Any]) -> bool:
        """The source no longer has it: mark this source's claim withdrawn
        (the record keeps the dataset's identity for its return), and
        withdraw the dataset unless another source still publishes it."""
        package_id = record.package_id if record else harvest_object.package_id
        identifier = harvest_object.guid
        if record is not None:
            record.withdrawn = datetime.datetime.utcnow()
            model.Session.flush()
        model.Session.query(HarvestObject).filter(
            HarvestObject.package_id == package_id,
            HarvestObject.harvest_source_id == harvest_object.source.id).update(
                {"current": False}, synchronize_session=False)
        harvest_object.current = False
        harvest_object.package_id = package_id
        others_hold = HarvestRecord.others_hold(identifier, harvest_object.source.id)
        try:
            if package_id and not others_hold:
                try:
                    tk.get_action("package_delete")(dict(context), {"id": package_id})
                except tk.ObjectNotFound:
                    pass
            elif package_id and _package_exists(package_id):
                # another source still publishes it: that source's last object
                # becomes the current one, and the index forgets this source
                _make_latest_current(package_id)
                model.Session.flush()
                if index_update_package is not None:
                    index_update_package(dict(context), package_id, defer_commit=True)
                else:  # pragma: no cover - CKAN 2.11
                    from ckan.lib.search import rebuild

                    rebuild(package_id)
        except Exception as error:  # noqa: BLE001 - e.g. Solr down: recorded, the consumer goes on
            if outages.database_lost(error):
                raise  # as in import_stage: the fetch consumer puts it back
            # Raised out of the import, it left the object in IMPORT and its
            # message unacknowledged: the job stayed "Running". Rolled back,
            # the record is not withdrawn, so the next gather withdraws it again.
            log.warning("withdrawal of %s failed: %s", identifier, error)
            model.Session.rollback()
            where = " from the search index (Solr)" if isinstance(error, SearchIndexError) else ""
            self._save_object_error(f"Could not withdraw dataset {identifier}{where}, so it was left as "
                                    f"it was; the next harvest withdraws it again. {error}",
                                    harvest_object, "Import")
            return False
        harvest_object.save()
        model.Session.commit()
        return True


def mapping_digest(source_config: str | None) -> str:
    """A digest of what decides how a remote dataset is mapped: the mapping
    and vocabulary files, and the source's configuration. A dataset imported
    under another digest is imported again at the next harvest, so an
    improved ``mapping.yaml`` reaches every dataset, changed upstream or not."""
    digest = hashlib.sha256(_rules_digest().encode())
    digest.update(json.dumps(_loaded(source_config), sort_keys=True).encode())
    return digest.hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _rules_digest() -> str:
    digest = hashlib.sha256(MAPPING_REVISION.encode())
    for folder in (Path(__file__).parent, Path(vocabularies.__file__).parent):
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _loaded(source_config: str | None) -> Any:
    try:
        return json.loads(source_config or "{}")
    except ValueError:
        return source_config


#: Raised by hand when the mapping *code* changes what it makes of a dataset
#: (the files are digested by themselves).
MAPPING_REVISION = "3"


def _remember(written: dict[str, Any], package: dict[str, Any],
              incoming: list[dict[str, Any]], edited: list[str], new: bool = False) -> None:
    """What this import wrote, for the next one: the source's values and
    which distribution became which resource (``new``: a dataset created
    under a fresh id, of which nothing can be recorded yet)."""
    harvested = None if new else HarvestedDataset.get(written["id"])
    if harvested is None:
        harvested = HarvestedDataset(package_id=written["id"])
        model.Session.add(harvested)
    harvested.values = curation.recorded_values(package, written, edited)
    harvested.resources = resources.keys_of(incoming, written.get("resources") or [])
    harvested.harvested = datetime.datetime.utcnow()
    model.Session.flush()


def _without_harvest_extras(package: dict[str, Any]) -> dict[str, Any]:
    """``package_show`` as it can be written back: without the extras
    ckanext-harvest adds when it shows a harvested dataset."""
    package = dict(package)
    if isinstance(package.get("extras"), list):
        package["extras"] = [extra for extra in package["extras"]
                             if not str(extra.get("key", "")).startswith("harvest_")]
    return package


def _invalid_config(error: Exception) -> str:
    """An error that sends the admin to the source's configuration, not the portal."""
    return tk._("Invalid source configuration: {error}. Fix the harvest source's configuration "
                "and run it again.").format(error=error)


def _make_current(harvest_object: HarvestObject, package_id: str, new: bool = False) -> None:
    if not new:
        model.Session.query(HarvestObject).filter(
            HarvestObject.package_id == package_id, HarvestObject.id != harvest_object.id
        ).update({"current": False}, synchronize_session=False)
    harvest_object.package_id = package_id
    harvest_object.current = True
    model.Session.flush()


def _make_latest_current(package_id: str) -> None:
    """Make the newest completed object of a source still holding the dataset
    its current one (ckanext-harvest indexes ``harvest_source_id`` from it)."""
    holding = [record.source_id for record in HarvestRecord.sources_of(package_id)]
    latest = (model.Session.query(HarvestObject)
              .filter(HarvestObject.package_id == package_id,
                      HarvestObject.harvest_source_id.in_(holding),
                      HarvestObject.state == "COMPLETE")
              .order_by(HarvestObject.import_finished.desc().nullslast(),
                        HarvestObject.gathered.desc())
              .first()) if holding else None
    if latest is not None:
        latest.current = True


def _owner_org(package_id: str) -> str | None:
    return model.Session.query(model.Package.owner_org).filter(model.Package.id == package_id).scalar()


def _package_exists(package_id: str) -> bool:
    return model.Session.query(model.Package.id).filter(model.Package.id == package_id).first() is not None


def _current_packages(package_ids: list[str]) -> set[str]:
    """The active datasets among these that a harvest object still links to
    their source."""
    if not package_ids:
        return set()
    linked = sa.exists().where(HarvestObject.package_id == model.Package.id,
                               HarvestObject.current.is_(True))
    return {package_id for (package_id,) in model.Session.query(model.Package.id).filter(
        model.Package.id.in_(package_ids), model.Package.state == model.State.ACTIVE, linked)}


def _last_complete_gather(job: HarvestJob) -> datetime.datetime | None:
    """When the last job of this source that gathered without error started:
    changes since then (minus a margin for clock skew) are what is new."""
    previous = SVRCHarvester.last_error_free_job(job)
    if previous is None or previous.gather_started is None:
        return None
    return previous.gather_started - datetime.timedelta(hours=1)
