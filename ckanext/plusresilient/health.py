"""What an installer needs to know before trusting the portal.

CKAN starts even when Solr, Redis or a plugin's migrations are missing, and
then fails on the first dataset save or search. These checks say up front
which piece is missing, in the order an installer fixes them.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Callable, Iterator

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

# Plugins whose tables the suite relies on, in the order they are migrated.
MIGRATED_PLUGINS = ("activity", "harvest", "plusresilient")


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _database() -> str:
    with model.Session.get_bind().connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
    return f"PostgreSQL {version}"


def _solr() -> str:
    from ckan.lib import search

    if not search.is_available():
        raise RuntimeError(f"Solr does not answer at {tk.config.get('solr_url')}")
    search.check_solr_schema_version()
    count = search.query_for(model.Package).run({"q": "*:*", "rows": 0})["count"]
    return f"{tk.config.get('solr_url')} ({count} datasets indexed for this site)"


def _redis() -> str:
    from ckan.lib.redis import connect_to_redis

    info = connect_to_redis().info("server")
    return f"Redis {info['redis_version']}"


def _job_workers() -> str:
    import rq

    from ckan.lib.jobs import get_queue
    from ckan.lib.redis import connect_to_redis

    queue = get_queue()
    workers = [w for w in rq.Worker.all(connection=connect_to_redis()) if queue.name in w.queue_names()]
    if not workers:
        raise RuntimeError(
            f"no RQ worker listens on {queue.name}: start `ckan jobs worker`"
        )
    return f"{len(workers)} worker(s) on {queue.name}"


def pending_migrations(plugin: str) -> list[str]:
    """Revisions of ``plugin`` not yet applied to the database."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ckan.cli.db import _resolve_alembic_config  # the path CKAN itself uses

    script = ScriptDirectory(os.path.dirname(_resolve_alembic_config(plugin)))
    with model.Session.get_bind().connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": f"{plugin}_alembic_version"}
        )
        applied = set(context.get_current_heads())
    pending = []
    for revision in script.walk_revisions():
        if revision.revision in applied:
            break
        pending.append(revision.revision)
    return pending


def _migrations() -> str:
    missing = {
        plugin: revisions
        for plugin in MIGRATED_PLUGINS
        if p.plugin_loaded(plugin) and (revisions := pending_migrations(plugin))
    }
    if missing:
        raise RuntimeError(
            "; ".join(
                f"{plugin}: {len(revs)} pending, run `ckan db upgrade -p {plugin}`"
                for plugin, revs in missing.items()
            )
        )
    loaded = [plugin for plugin in MIGRATED_PLUGINS if p.plugin_loaded(plugin)]
    return "up to date for " + ", ".join(loaded)


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "migrations": _migrations,
    "solr": _solr,
    "redis": _redis,
    "job workers": _job_workers,
}


def run_checks(skip: tuple[str, ...] = ()) -> Iterator[Check]:
    for name, check in CHECKS.items():
        if name in skip:
            continue
        try:
            yield Check(name, True, check())
        except Exception as error:  # each failure is reported, none stops the rest
            yield Check(name, False, f"{type(error).__name__}: {error}")
