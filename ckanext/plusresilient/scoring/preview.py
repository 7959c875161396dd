"""Table previews: the checked file goes into CKAN's DataStore, and the
resource gets CKAN's table view (``datatables_view``).

Which files: those the data check read as a table ("valid" or "invalid"),
of a format ckanext-xloader loads (CSV, TSV, XLSX), no larger than
``ckanext.plusresilient.preview.max_bytes``. A table with errors is loaded
too, and its check is shown beside it: seeing the rows is how a reuser
understands "12 rows have a text in a number column", and a portal that hid
every imperfect table would preview few of the real ones. What the check could
not read as a table (an HTML page, a zip bomb, a file cut at the size limit,
a timeout) is not loaded, and a preview loaded earlier is withdrawn: the rows
it shows are no longer what the URL serves.

Why not ckanext-xloader's own job: it downloads the resource's URL again,
with plain ``requests``, following any address, including those inside the
network (and the DataStore would then publish what such an address answered).
Here xloader's loader (COPY into the DataStore, its type handling, indexes,
full-text) runs on the file the data check has just downloaded through the
suite's guarded client, in the same RQ job, so nothing is fetched twice and
nothing the HTTP policy blocks is ever loaded.

A file whose SHA-256 is the one loaded last time is not loaded again.

``datastore_active`` is set on the resource row directly (what xloader itself
does on CKAN before 2.12) rather than through ``resource_patch``, which
``datastore_create`` would otherwise call: a patch is a new version of the
dataset, with an activity and a new ``metadata_modified`` (a preview is no
change by the publisher, and freshness reads that date), and it would schedule
a rescoring of the dataset that is being scored. The scoring reindexes the
dataset afterwards anyway.
"""
from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.plusresilient import config
from ckanext.plusresilient.quality.data import DataReport
from ckanext.plusresilient.quality.interruptions import is_interruption

log = logging.getLogger(__name__)

#: The data check's formats that xloader's loader reads (not JSON).
LOADED_FORMATS = frozenset({"csv", "tsv", "xlsx"})
#: Statuses of a check that read the file as a table.
_READ_AS_TABLE = frozenset({"valid", "invalid"})
#: The resources whose DataStore table belongs to their publisher (written
#: through the DataStore API): never loaded over, never withdrawn.
_OWN_DATASTORE_URL_TYPES = frozenset({"datastore", "datapusher", "xloader"})
_HASH_CHUNK = 1024 * 1024


def enabled() -> bool:
    """Previews need the DataStore; a portal without it scores as before."""
    return config.preview_enabled() and p.plugin_loaded("datastore")


def changed_flags(resources: list[dict[str, Any]], items: list[dict[str, Any]]) -> bool:
    """Whether the previews of this scoring set or removed a resource's
    ``datastore_active`` flag, which the dataset as read before it does not say."""
    active = {item.get("resource_id"): _was_loaded(item.get("preview"))
              for item in items if "preview" in item and item.get("preview") is not None}
    return any(bool(resource.get("datastore_active")) != active[resource.get("id")]
               for resource in resources if resource.get("id") in active
               and not managed_by_publisher(resource))


def managed_by_publisher(resource: dict[str, Any]) -> bool:
    return resource.get("url_type") in _OWN_DATASTORE_URL_TYPES


def refusal(fmt: str, report: DataReport, max_bytes: int) -> str | None:
    """Why this checked file is not previewed, or None when it is."""
    if fmt not in LOADED_FORMATS:
        return "format"
    if report.status not in _READ_AS_TABLE:
        return "not_a_table"
    if report.partial:
        return "partial"
    if report.bytes > max_bytes:
        return "too_large"
    return None


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_checked_file(resource: dict[str, Any], path: str, fmt: str, report: DataReport,
                      previous: dict[str, Any] | None) -> dict[str, Any]:
    """Load (or keep, or withdraw) the preview of one checked file; returns
    what the quality report keeps of it: ``status`` (loaded, unchanged,
    not_loaded, failed), ``reason``, ``sha256``, ``rows``. Never raises but
    for an interruption: a preview is not worth the score."""
    resource_id = resource["id"]
    reason = refusal(fmt, report, config.preview_max_bytes())
    try:
        if reason is not None:
            withdraw(resource_id, previous)
            return {"status": "not_loaded", "reason": reason}
        sha256 = sha256_of(path)
        if _is_loaded(previous, sha256) and _table_exists(resource_id):
            _mark_active(resource_id, True)
            _create_views(resource_id)
            return dict(previous or {}, status="unchanged")
        rows = _load(resource_id, path, fmt)
        _create_views(resource_id)
        return {"status": "loaded", "reason": None, "sha256": sha256, "rows": rows}
    except Exception as error:  # noqa: BLE001 - the score goes on without a preview
        if is_interruption(error):
            raise
        model.Session.rollback()
        log.warning("preview of resource %s not loaded: %s: %s", resource_id,
                    type(error).__name__, error)
        return {"status": "failed", "reason": "load_error",
                "message": f"{type(error).__name__}: {str(error)[:300]}"}


def withdraw(resource_id: str, previous: dict[str, Any] | None) -> None:
    """Remove a preview this module loaded (none other)."""
    if not _was_loaded(previous) or not _table_exists(resource_id):
        return
    _mark_active(resource_id, False)
    tk.get_action("datastore_delete")(
        {"ignore_auth": True, "user": _site_user()}, {"resource_id": resource_id, "force": True})


def _is_loaded(previous: dict[str, Any] | None, sha256: str) -> bool:
    return _was_loaded(previous) and (previous or {}).get("sha256") == sha256


def _was_loaded(previous: dict[str, Any] | None) -> bool:
    return bool(previous) and previous.get("status") in ("loaded", "unchanged")


def _load(resource_id: str, path: str, fmt: str) -> int:
    """xloader's "direct load" then its tabulator load when the columns
    changed, as its own job does; returns the rows now in the table."""
    from ckanext.xloader import loader
    from ckanext.xloader.job_exceptions import LoaderError

    named = f"{path}.{fmt}"  # xloader reads the format from the extension
    os.link(path, named)
    try:
        _mark_active(resource_id, True)
        try:
            fields = loader.load_csv(named, resource_id=resource_id, mimetype=fmt,
                                     allow_type_guessing=True, logger=log)
        except LoaderError as error:
            log.info("preview of %s: %s; loading with type guessing", resource_id, error)
            loader.load_table(named, resource_id=resource_id, mimetype=fmt, logger=log)
            fields = None
        loader.calculate_record_count(resource_id=resource_id, logger=log)
        if fields:
            loader.create_column_indexes(fields=fields, resource_id=resource_id, logger=log)
    finally:
        os.unlink(named)
    info = tk.get_action("datastore_info")({"ignore_auth": True}, {"id": resource_id})
    return int((info.get("meta") or {}).get("count") or 0)


def _table_exists(resource_id: str) -> bool:
    try:
        tk.get_action("datastore_info")({"ignore_auth": True}, {"id": resource_id})
    except tk.ObjectNotFound:
        return False
    return True


def _mark_active(resource_id: str, active: bool) -> None:
    """``datastore_active`` on the resource row, without a new version of the
    dataset (see the module docstring)."""
    query = (model.Session.query(model.Resource).with_for_update(of=model.Resource)
             .filter(model.Resource.id == resource_id))
    resource = query.one_or_none()
    if resource is None:
        return
    extras = dict(resource.extras or {})
    if bool(extras.get("datastore_active")) == active:
        model.Session.commit()  # releases the row lock
        return
    extras["datastore_active"] = active
    query.update({"extras": extras}, synchronize_session=False)
    # the session's copy must say so too: datastore_create reads it, and
    # patches the resource when it sees the flag unset
    model.Session.expire(resource)
    model.Session.commit()


def _create_views(resource_id: str) -> None:
    """CKAN's default views of the resource (``ckan.views.default_views``),
    the DataStore's among them, for those it does not have yet."""
    resource = tk.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})
    # the flag set on the row a moment ago, whatever a cached dict says
    resource["datastore_active"] = True
    dataset = tk.get_action("package_show")({"ignore_auth": True}, {"id": resource["package_id"]})
    tk.get_action("resource_create_default_resource_views")(
        {"ignore_auth": True, "user": _site_user()},
        {"resource": resource, "package": dataset, "create_datastore_views": True})


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
