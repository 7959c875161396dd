"""What an installer needs to know before trusting the portal.

CKAN starts even when Solr, Redis or a plugin's migrations are missing, and
then fails on the first dataset save or search; a harvest waits for ever
when no consumer reads its queue. These checks say up front which piece is
missing, in the order an installer fixes them, and list each worker found
(RQ job workers from rq's own registry in Redis, harvest consumers from the
heartbeats ours keep there) with its pid and when it was last seen.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import socket
from typing import Callable, Iterator, Sequence, Union

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
    lines: tuple[str, ...] = ()  # one per worker found, for the checks of workers


#: What a check returns: its detail, or its detail and one line per item found.
Result = Union[str, tuple[str, Sequence[str]]]


class CheckFailed(RuntimeError):
    """A failed check that still has items to list (the stale workers)."""

    def __init__(self, message: str, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.lines = tuple(lines)


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


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _gone(host: str | None, pid: int | None) -> bool:
    """A worker of this machine whose process no longer runs."""
    if host != socket.gethostname() or not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's process
    return False


def _job_workers() -> Result:
    """Each RQ worker of this site. rq registers them in Redis and refreshes
    ``last_heartbeat`` only every few minutes while idle, so a killed one
    stays registered for up to 7 minutes: one of this machine whose process
    is gone is listed as such and not counted. Fails when none listens on
    the default queue."""
    import rq

    from ckan.lib.jobs import add_queue_name_prefix, get_queue
    from ckan.lib.redis import connect_to_redis

    default = get_queue().name
    prefix = add_queue_name_prefix("")
    now = datetime.datetime.now(datetime.timezone.utc)
    workers = sorted(
        (w for w in rq.Worker.all(connection=connect_to_redis())
         if any(name.startswith(prefix) for name in w.queue_names())),
        key=lambda w: (w.hostname or "", w.pid or 0))
    lines = []
    for worker in workers:
        seen = f"last seen {_ago((now - worker.last_heartbeat).total_seconds())} ago" \
            if worker.last_heartbeat else "never seen"
        up = f", up {_ago((now - worker.birth_date).total_seconds())}" if worker.birth_date else ""
        queues = ", ".join(name[len(prefix):] for name in worker.queue_names())
        state = "NOT RUNNING (still registered in Redis)" if _gone(worker.hostname, worker.pid) \
            else worker.get_state()
        lines.append(f"pid {worker.pid} on {worker.hostname}: {state}, {seen}{up}, "
                     f"{worker.successful_job_count} jobs done ({worker.failed_job_count} failed), "
                     f"queues {queues}")
    on_default = [w for w in workers if default in w.queue_names() and not _gone(w.hostname, w.pid)]
    if not on_default:
        raise CheckFailed(f"no RQ worker listens on {default}: start `ckan jobs worker`", lines)
    return f"{len(on_default)} worker(s) on {default}", lines


def _describe(beat) -> str:
    """One consumer's line: what it does, and when it was last seen."""
    line = f"pid {beat.pid} on {beat.host}: "
    if beat.stale:
        line += (f"STALE, last seen {_ago(beat.age)} ago (beats every {beat.interval:g} s): "
                 "frozen, cut off from Redis, or killed")
    elif beat.state == "busy" and beat.busy_since is not None:
        line += f"busy with {beat.current or 'a message'} for {_ago(beat.last_seen - beat.busy_since)}"
        line += f", last seen {_ago(beat.age)} ago"
    else:
        line += f"{beat.state}, last seen {_ago(beat.age)} ago"
    return (line + f", up {_ago(beat.last_seen - beat.started)}, "
            f"{beat.handled} messages handled ({beat.failed} failed)")


def _harvest_consumers(kind: str) -> Callable[[], Result]:
    """Each ``kind`` consumer whose heartbeat is in Redis. Fails when the
    harvest plugin is loaded and no live one is seen: jobs would stay
    "Running" for ever."""

    def check() -> Result:
        if not p.plugin_loaded("harvest"):
            return "not needed: the harvest plugin is not loaded"
        backend = tk.config.get("ckan.harvest.mq.type") or "redis"
        if backend != "redis":
            return (f"not checked: ckan.harvest.mq.type is {backend}, and only the Redis "
                    "consumers publish heartbeats")
        from ckanext.harvest import queue

        from ckanext.plusresilient.harvesters import consumers

        beats = consumers.read_heartbeats(queue.get_connection_redis(),
                                          tk.config.get("ckan.site_id") or "default", kind)
        lines = [_describe(beat) for beat in beats]
        live = [beat for beat in beats if not beat.stale]
        if not live:
            raise CheckFailed(f"no live {kind} consumer: start "
                              f"`ckan plusresilient harvest {kind}-consumer`", lines)
        stale = len(beats) - len(live)
        return f"{len(live)} live" + (f", {stale} stale" if stale else ""), lines

    return check


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


CHECKS: dict[str, Callable[[], Result]] = {
    "database": _database,
    "migrations": _migrations,
    "solr": _solr,
    "redis": _redis,
    "job workers": _job_workers,
    "gather consumers": _harvest_consumers("gather"),
    "fetch consumers": _harvest_consumers("fetch"),
}


def run_checks(skip: tuple[str, ...] = ()) -> Iterator[Check]:
    for name, check in CHECKS.items():
        if name in skip:
            continue
        try:
            result = check()
        except CheckFailed as error:
            yield Check(name, False, str(error), error.lines)
        except Exception as error:  # each failure is reported, none stops the rest
            yield Check(name, False, f"{type(error).__name__}: {error}")
        else:
            detail, lines = (result, ()) if isinstance(result, str) else result
            yield Check(name, True, detail, tuple(lines))
