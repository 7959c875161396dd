"""Harvest queue consumers that survive an idle queue and a Redis restart,
and say that they are alive.

ckanext-harvest's own consumers (``ckan harvester gather-consumer`` and
``fetch-consumer``) wait for work with ``BLPOP`` and no time limit, on a
client that keeps redis-py's default socket timeout (5 s in redis-py 8, which
CKAN 2.12 installs). The client gives up on the silent socket first: after
5 s without a job the consumer dies of ``redis.exceptions.TimeoutError``,
and jobs started later stay "Running" for ever. A Redis restart kills them
the same way.

These consumers read the same queues with ckanext-harvest's own
:class:`~ckanext.harvest.queue.RedisConsumer` (same routing keys, same
persistence keys, so ``ckan harvester run`` still resubmits what a dead
consumer left behind) and hand each message to its own ``gather_callback``
or ``fetch_callback``. Only the waiting differs:

* each ``BLPOP`` asks Redis to answer within :data:`POLL_SECONDS` (less
  than the client's socket timeout), and simply asks again when no job came;
* a lost connection is retried with a capped backoff, logged, until Redis is
  back; a callback that raises is logged and the next message is taken;
* a harvest object whose fetch or import the database cut short (PostgreSQL
  restarted) goes back on the queue once the database answers (:func:`put_back`);
* SIGTERM (or Ctrl-C) lets the message in hand finish, then exits 0;
* a heartbeat (:class:`Heartbeat`) is kept in Redis, so ``ckan plusresilient
  doctor`` and ``bin/stack status`` can tell a live consumer from a dead or
  frozen one.

Only the Redis backend needs this: with ``ckan.harvest.mq.type = amqp``
:func:`run` hands over to ckanext-harvest's own consumer.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import signal
import socket
import threading
import types
from typing import Any, Callable, Iterator

import redis
from ckan import model
from ckan.plugins import toolkit as tk
from ckanext.harvest import queue as harvest_queue

from ckanext.plusresilient.scoring import outages

log = logging.getLogger(__name__)

#: The longest a single BLPOP waits on the server. Kept below the client's
#: socket timeout (see :func:`poll_seconds`), and short enough that SIGTERM
#: stops an idle consumer within it.
POLL_SECONDS = 2.0
#: Reconnection delays double from the first to the cap.
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0

#: Heartbeats: one Redis hash per consumer process, rewritten every
#: ``interval`` seconds. A consumer is *stale* after this many missed beats
#: (``bin/stack status`` reads the hash too, and counts the same three);
#: the key expires after ``TTL_BEATS`` so that a killed consumer stays
#: visible (as stale) for a while and then disappears.
HEARTBEAT_SECONDS = 5
STALE_BEATS = 3
TTL_BEATS = 12
KEY_PREFIX = "plusresilient:worker:"


@dataclasses.dataclass(frozen=True)
class Stage:
    kind: str
    routing_key: Callable[[], str]
    queue_name: Callable[[], str]
    callback: Callable[..., Any]
    stock_consumer: str  # ckanext.harvest.utils' function, for other backends


STAGES = {
    "gather": Stage("gather", harvest_queue.get_gather_routing_key, harvest_queue.get_gather_queue_name,
                    harvest_queue.gather_callback, "gather_consumer"),
    "fetch": Stage("fetch", harvest_queue.get_fetch_routing_key, harvest_queue.get_fetch_queue_name,
                   harvest_queue.fetch_callback, "fetch_consumer"),
}


def heartbeat_key(host: str, pid: int) -> str:
    """One key per process: a pid is unique on its host while it lives.
    ``bin/stack status`` builds the same key from a worker's pidfile."""
    return f"{KEY_PREFIX}{host}:{pid}"


def redis_now(connection: redis.Redis) -> float:
    """Redis' clock, so that ages are right whichever machine reads them."""
    seconds, microseconds = connection.time()
    return int(seconds) + int(microseconds) / 1e6


def socket_timeout(connection: redis.Redis) -> float | None:
    """The read timeout the client's connections get: the URL's or the
    caller's, else the connection class' default (5 s in redis-py 8)."""
    pool = connection.connection_pool
    try:
        return pool.connection_class(**pool.connection_kwargs).socket_timeout
    except TypeError:  # pragma: no cover - a pool with arguments of its own
        return pool.connection_kwargs.get("socket_timeout")


def poll_seconds(connection: redis.Redis) -> float:
    """The server-side wait of one BLPOP: below the client's socket timeout,
    or the client gives up on the socket before Redis answers."""
    timeout = socket_timeout(connection)
    return POLL_SECONDS if timeout is None else min(POLL_SECONDS, float(timeout) / 2)


# ----------------------------------------------------------------- heartbeats ----

@dataclasses.dataclass(frozen=True)
class Beat:
    """A consumer's heartbeat as read back from Redis."""

    kind: str
    site_id: str
    routing_key: str
    host: str
    pid: int
    started: float
    last_seen: float
    interval: float
    handled: int
    failed: int
    state: str            # idle | busy
    busy_since: float | None
    current: str          # the job or object id in hand, when busy
    age: float            # seconds since last_seen, by Redis' clock at reading

    @property
    def stale(self) -> bool:
        return self.age > STALE_BEATS * self.interval

    @classmethod
    def from_hash(cls, fields: dict[str, str], now: float) -> "Beat":
        last_seen = float(fields["last_seen"])
        return cls(
            kind=fields.get("kind", ""), site_id=fields.get("site_id", ""),
            routing_key=fields.get("queue", ""), host=fields.get("host", ""),
            pid=int(fields.get("pid", 0)), started=float(fields.get("started") or last_seen),
            last_seen=last_seen, interval=float(fields.get("interval") or HEARTBEAT_SECONDS),
            handled=int(fields.get("handled") or 0), failed=int(fields.get("failed") or 0),
            state=fields.get("state", ""),
            busy_since=float(fields["busy_since"]) if fields.get("busy_since") else None,
            current=fields.get("current", ""), age=max(0.0, now - last_seen),
        )


def read_heartbeats(connection: redis.Redis, site_id: str | None = None,
                    kind: str | None = None) -> list[Beat]:
    """The consumers whose heartbeat is in Redis (fresh or stale), of this
    site and kind when given, ordered by kind, host and pid."""
    now = redis_now(connection)
    beats = []
    for key in connection.scan_iter(match=f"{KEY_PREFIX}*", count=500):
        fields = connection.hgetall(key)
        if not fields.get("last_seen"):
            continue  # expired between SCAN and HGETALL
        beat = Beat.from_hash({_text(k): _text(v) for k, v in fields.items()}, now)
        if (site_id is None or beat.site_id == site_id) and (kind is None or beat.kind == kind):
            beats.append(beat)
    return sorted(beats, key=lambda b: (b.kind, b.host, b.pid))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Heartbeat:
    """Keeps this consumer's hash in Redis fresh from a thread of its own, so
    that a gather taking minutes does not look like a dead consumer; what the
    consumer is doing (idle, or busy with which job since when) is written as
    it changes. The key is removed on a clean exit."""

    def __init__(self, connection: redis.Redis, kind: str, routing_key: str,
                 interval: float = HEARTBEAT_SECONDS) -> None:
        self.connection = connection
        self.interval = interval
        self.key = heartbeat_key(socket.gethostname(), os.getpid())
        self.fields: dict[str, Any] = {
            "kind": kind, "site_id": tk.config.get("ckan.site_id") or "default",
            "queue": routing_key, "host": socket.gethostname(), "pid": os.getpid(),
            "interval": interval, "handled": 0, "failed": 0,
            "state": "idle", "busy_since": "", "current": "", "started": "",
        }
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._beat_forever, name=f"{kind}-heartbeat", daemon=True)
        self._unreachable = False

    def __enter__(self) -> "Heartbeat":
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._closed.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            self.connection.delete(self.key)
        except redis.RedisError:
            pass  # it expires on its own

    def busy(self, current: str) -> None:
        self._update(state="busy", current=current, busy_since=None)

    def done(self, failed: bool) -> None:
        with self._lock:
            self.fields["handled"] += 1
            self.fields["failed"] += int(failed)
        self._update(state="idle", current="", busy_since="")

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self.fields.update(changes)
        self.beat()

    def beat(self) -> None:
        """Write the hash now, stamped with Redis' clock. Never raises: while
        Redis is away the consumer's own loop reports it."""
        try:
            with self._lock:
                now = redis_now(self.connection)
                if not self.fields["started"]:
                    self.fields["started"] = now
                if self.fields["busy_since"] is None:
                    self.fields["busy_since"] = now
                fields = {**self.fields, "last_seen": now}
                with self.connection.pipeline() as pipe:
                    pipe.hset(self.key, mapping=fields)
                    pipe.expire(self.key, int(TTL_BEATS * self.interval) + 1)
                    pipe.execute()
        except redis.RedisError as error:
            if not self._unreachable:
                log.debug("heartbeat not written: %s", error)
            self._unreachable = True
        else:
            self._unreachable = False

    def _beat_forever(self) -> None:
        while not self._closed.wait(self.interval):
            self.beat()


# ------------------------------------------------------------------ consuming ----

class StopSignal:
    """SIGTERM or SIGINT asks the consumer to stop once the message in hand
    is done. A second signal stops it at once."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopSignal":
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: types.FrameType | None) -> None:
        if self.event.is_set():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        log.info("%s received: stopping once the current message is done", signal.Signals(signum).name)
        self.event.set()


class ResilientRedisConsumer(harvest_queue.RedisConsumer):
    """ckanext-harvest's RedisConsumer, waiting in short server-side BLPOPs
    and riding out Redis outages instead of raising out of ``consume``."""

    def __init__(self, connection: redis.Redis, routing_key: str, stop: threading.Event) -> None:
        super().__init__(connection, routing_key)
        self.stop = stop
        self.poll = poll_seconds(connection)

    def consume(self, queue: str | None = None) -> Iterator[tuple[Any, Any, str]]:
        """Yield ``(method, channel, body)`` as ckanext-harvest's consumer
        does, until the stop event is set. ``queue`` is ignored, as there."""
        failures = 0
        while not self.stop.is_set():
            try:
                item = self.redis.blpop([self.routing_key], timeout=self.poll)
            except (redis.ConnectionError, redis.TimeoutError) as error:
                failures += 1
                delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (failures - 1))
                log.warning("Redis unreachable (%s: %s); retrying in %.1f s (attempt %d)",
                            type(error).__name__, error, delay, failures)
                self.stop.wait(delay)
                continue
            if failures:
                log.info("Redis reachable again after %d failed attempt(s)", failures)
                failures = 0
            if item is None:
                continue  # nothing within the poll: ask again
            body = item[1]
            try:
                self.redis.set(self.persistance_key(body), str(datetime.datetime.now()))
            except (ValueError, KeyError, TypeError) as error:
                log.error("dropped a malformed message from %s (%s): %.200r", self.routing_key, error, body)
                continue
            except redis.RedisError as error:
                # the message is in hand: do it, without the safety net
                log.warning("could not record message %.200r as in progress (%s)", body, error)
            yield harvest_queue.FakeMethod(body), self, body

    def basic_ack(self, message: str) -> None:
        try:
            super().basic_ack(message)
        except redis.RedisError as error:
            log.warning("could not acknowledge %.200r (%s): `ckan harvester run` will resubmit it",
                        message, error)

    def message_id(self, body: str) -> str:
        try:
            return str(json.loads(body)[self.message_key])
        except (ValueError, KeyError, TypeError):
            return ""


# --------------------------------------------------------------- orphans ----

#: A message taken this long ago (by the consumer's clock) and held by no
#: consumer with a fresh heartbeat was held by a dead one. A live consumer
#: says it is busy with a message a few milliseconds after taking it.
ORPHAN_SECONDS = STALE_BEATS * HEARTBEAT_SECONDS


def reclaim_orphans(connection: redis.Redis, kind: str, min_age: float = ORPHAN_SECONDS) -> list[str]:
    """Put back on the ``kind`` queue each message a consumer took and never
    acknowledged, when no consumer with a fresh heartbeat holds it and its
    object or job was left half done; returns their ids.

    A consumer killed in the middle of a message (SIGKILL, the machine lost)
    leaves its persistence key behind. ckanext-harvest's ``resubmit_jobs``
    re-sends such a message only after 3 minutes for a fetch and 2 hours for
    a gather, since it cannot tell a dead consumer from a slow one; the
    heartbeats can.
    """
    routing_key = STAGES[kind].routing_key()
    message_key = routing_key.split(":")[-1]  # as ckanext-harvest's RedisConsumer names it
    held = {beat.current for beat in read_heartbeats(connection, kind=kind)
            if beat.state == "busy" and not beat.stale and beat.routing_key == routing_key}
    now = datetime.datetime.now()
    reclaimed = []
    for key in connection.scan_iter(match=f"{routing_key}:*", count=500):
        message_id = _text(key)[len(routing_key) + 1:]
        taken = _taken_at(connection.get(key))
        if message_id in held or taken is None or (now - taken).total_seconds() < min_age:
            continue
        wanted = _midway(kind, message_id)
        # whoever deletes the key re-sends the message: never twice
        if connection.delete(key) and wanted:
            connection.rpush(routing_key, json.dumps({message_key: message_id}))
            reclaimed.append(message_id)
    if reclaimed:
        log.warning("%s messages held by a dead consumer put back on %s: %s",
                    len(reclaimed), routing_key, ", ".join(reclaimed))
    return reclaimed


def _progress(kind: str, message_id: str) -> str | None:
    """Where the message's object (fetch: its state) or job (gather: its
    status, or "Gathering" while Running and not yet gathered) stands; None
    when there is no such object or job."""
    from ckanext.harvest.model import HarvestJob, HarvestObject

    try:
        if kind == "fetch":
            found = model.Session.get(HarvestObject, message_id)
            return None if found is None else found.state
        job = model.Session.get(HarvestJob, message_id)
        if job is None:
            return None
        return "Gathering" if job.status == "Running" and job.gather_finished is None else job.status
    finally:
        model.Session.remove()


def _midway(kind: str, message_id: str) -> bool:
    """Whether the object or job was left half done, in a state nothing else
    re-sends. A WAITING object is ckanext-harvest's resubmit_objects' to
    re-send, and a second copy could reach it after its job is Finished,
    which marks a COMPLETE object ERROR; a done one needs only its stale key
    removed."""
    return _progress(kind, message_id) in ("FETCH", "IMPORT", "Gathering")


def _done(kind: str, message_id: str) -> bool:
    """Whether the message's object or job is already done.

    ckanext-harvest's resubmit_objects re-sends a WAITING object it does not
    see on the queue, which includes one the gather committed but has not
    published yet, and one a consumer took but has not yet marked: a second
    copy of its message. Its callbacks handle a message whatever the state,
    so the copy imported the object again, or, once the job was Finished,
    turned a COMPLETE object into an ERROR without a message.
    """
    if not message_id:
        return False
    try:
        return _progress(kind, message_id) in ("COMPLETE", "ERROR", "Finished")
    except Exception:  # noqa: BLE001 - the database away: the callback's own handling decides
        model.Session.rollback()
        return False


def _taken_at(value: bytes | str | None) -> datetime.datetime | None:
    """The persistence key's value: ``str(datetime.now())`` when taken."""
    if value is None:
        return None
    text = _text(value)
    for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def run(kind: str, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
    """Consume the ``gather`` or ``fetch`` queue until SIGTERM or SIGINT."""
    stage = STAGES[kind]
    backend = tk.config.get("ckan.harvest.mq.type") or harvest_queue.MQ_TYPE
    if backend != "redis":
        from ckanext.harvest import utils

        log.info("ckan.harvest.mq.type is %s: running ckanext-harvest's own %s consumer", backend, kind)
        getattr(utils, stage.stock_consumer)()
        return
    connection = harvest_queue.get_connection_redis()
    routing_key = stage.routing_key()
    with StopSignal() as stop, Heartbeat(connection, kind, routing_key, heartbeat_seconds) as heartbeat:
        consumer = ResilientRedisConsumer(connection, routing_key, stop.event)
        address = connection.connection_pool.connection_kwargs
        log.info("%s consumer %d listening on %s (Redis %s:%s db %s, waits of %.1f s, heartbeat every %s s)",
                 kind, os.getpid(), routing_key, address.get("host"), address.get("port"),
                 address.get("db", 0), consumer.poll, heartbeat_seconds)
        for method, header, body in consumer.consume(stage.queue_name()):
            heartbeat.busy(consumer.message_id(body))
            if _done(kind, consumer.message_id(body)):
                consumer.basic_ack(body)
                heartbeat.done(False)
                continue
            failed = True
            try:
                stage.callback(consumer, method, header, body)
                failed = False
            except Exception as error:  # noqa: BLE001 - logged; the consumer takes the next message
                if kind == "fetch" and outages.database_lost(error):
                    put_back(consumer, body, stop.event)
                else:
                    log.exception("%s of %s failed", kind, consumer.message_id(body) or "a message")
                    model.Session.remove()
            finally:
                heartbeat.done(failed)
    log.info("%s consumer %d stopped", kind, os.getpid())


def put_back(consumer: ResilientRedisConsumer, body: str, stop: threading.Event) -> None:
    """The database went away in the middle of this harvest object
    (PostgreSQL restarted): nothing is wrong with the object, and the server
    rolled back what its import had written. It goes back on the queue once
    the database answers, instead of waiting, taken and half done, for the
    scheduler's reclaim; ckanext-harvest's retry count on the object still
    bounds the attempts. (A gather is not put back: ckanext-harvest
    acknowledges a failed gather, and a second gather of a half-gathered job
    is not known to be safe.)"""
    log.warning("fetch of %s cut short: the database connection was lost; it goes back on the "
                "queue once the database answers", consumer.message_id(body) or "a message")
    outages.wait_for_database(stop=stop)
    try:
        with consumer.redis.pipeline() as pipe:
            pipe.rpush(consumer.routing_key, body)
            pipe.delete(consumer.persistance_key(body))
            pipe.execute()
    except redis.RedisError as error:
        log.warning("could not put %.200r back on the queue (%s): the scheduler's round will", body, error)
