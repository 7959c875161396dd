"""The test stack's own PostgreSQL and Redis, restarted under the workers.

Found the way ``bin/stack`` finds them, never by a guess: the ports from the
URLs the session runs on (``CKAN_SQLALCHEMY_URL`` and ``CKAN_REDIS_URL``,
which ``bin/stack`` exports, else test.ini's), the PostgreSQL data folder and
the Redis pidfile from ``PLUSRESILIENT_STACK_DIR`` (default ``.stack`` in the
checkout). Before anything is restarted, the process found must be listening
on the session's port: a wrong guess fails the test instead of restarting
somebody else's server.

After a restart the session's own clients are told (:func:`forget_connections`),
so that the tests that come next start on fresh connections.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

from tests.workers import ROOT

HOST = "127.0.0.1"


def stack_dir() -> Path:
    """``$PLUSRESILIENT_STACK_DIR``, else the checkout's ``.stack`` (bin/stack's STACK_DIR)."""
    return Path(os.environ.get("PLUSRESILIENT_STACK_DIR") or ROOT / ".stack")


def _url(variable: str, option: str) -> str:
    from ckan.plugins import toolkit as tk

    return os.environ.get(variable) or tk.config[option]


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (bin/stack's pid_alive)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(condition, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


# ------------------------------------------------------------------ PostgreSQL ----

def _as_postgres(command: list[str]) -> list[str]:
    """bin/stack's as_postgres: the cluster belongs to postgres when root runs the stack."""
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@dataclasses.dataclass(frozen=True)
class StackPostgres:
    """The stack's cluster: ``pg_ctl`` on its data folder, as bin/stack runs it."""

    port: int
    data_dir: Path
    pg_ctl: Path

    @classmethod
    def of_session(cls) -> "StackPostgres":
        port = urlsplit(_url("CKAN_SQLALCHEMY_URL", "sqlalchemy.url")).port or 5432
        server = cls(port, cls._data_dir(), cls._pg_bin() / "pg_ctl")
        listed = server._pidfile_lines()
        # postmaster.pid: pid, data folder, start time, port, ...
        if len(listed) < 4 or listed[3].strip() != str(port) or not pid_alive(int(listed[0])):
            raise AssertionError(f"no PostgreSQL of the test stack on port {port} in {server.data_dir} "
                                 f"(postmaster.pid: {listed[:4]})")
        return server

    @staticmethod
    def _data_dir() -> Path:
        """bin/stack's pg_data: the stack folder's ``postgres``, unless root runs
        the stack and the postgres user cannot reach that folder."""
        folder = stack_dir()
        if os.getuid() == 0 and subprocess.run(
                ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)],
                stderr=subprocess.DEVNULL, check=False).returncode != 0:
            digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
            return Path(f"/var/lib/postgresql/plusresilient-{digest}")
        return folder / "postgres"

    @staticmethod
    def _pg_bin() -> Path:
        """bin/stack's pg_bin: Debian's newest PostgreSQL."""
        found = glob.glob("/usr/lib/postgresql/*/bin")
        if not found:
            raise AssertionError("no PostgreSQL binaries in /usr/lib/postgresql")
        return Path(max(found, key=lambda path: [int(part) for part in Path(path).parent.name.split(".")
                                                  if part.isdigit()]))

    def _pidfile_lines(self) -> list[str]:
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def pid(self) -> int:
        """The postmaster's pid."""
        return int(self._pidfile_lines()[0])

    def restart(self, timeout: int = 60) -> float:
        """``pg_ctl restart -m fast``: every connection is cut (their sessions
        roll back) and the server is back when this returns; the seconds it took.
        pg_ctl keeps the options the stack started it with (postmaster.opts)."""
        before = self.pid()
        started = time.monotonic()
        subprocess.run(_as_postgres([str(self.pg_ctl), "restart", "-D", str(self.data_dir),
                                     "-m", "fast", "-w", "-t", str(timeout)]),
                       check=True, stdout=subprocess.DEVNULL, timeout=timeout + 10)
        assert self.pid() != before, "pg_ctl restart left the same postmaster"
        return time.monotonic() - started


# ------------------------------------------------------------------------ Redis ----

@dataclasses.dataclass(frozen=True)
class StackRedis:
    """The stack's redis-server: no persistence, so a restart empties it."""

    port: int
    pidfile: Path

    @classmethod
    def of_session(cls) -> "StackRedis":
        port = urlsplit(_url("CKAN_REDIS_URL", "ckan.redis.url")).port or 6379
        server = cls(port, stack_dir() / "run" / "redis.pid")
        pid = server.pid()
        if not pid_alive(pid) or str(port) not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(
                errors="replace"):
            raise AssertionError(f"no Redis of the test stack on port {port} (pidfile {server.pidfile})")
        return server

    def pid(self) -> int:
        return int(self.pidfile.read_text().split()[0])

    def restart(self, timeout: float = 20) -> float:
        """Stop it (SIGTERM, as bin/stack down does) and start it again as
        bin/stack up does; the seconds it took. Everything it held is gone."""
        started = time.monotonic()
        pid = self.pid()
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pid_alive(pid), timeout, f"Redis (pid {pid}) to stop")
        folder = stack_dir()
        subprocess.run(
            ["redis-server", "--bind", HOST, "--port", str(self.port), "--daemonize", "yes",
             "--pidfile", str(self.pidfile), "--logfile", str(folder / "log" / "redis.log"),
             "--dir", str(folder / "redis"), "--save", "", "--appendonly", "no"],
            check=True, timeout=timeout)
        client = redis.Redis(host=HOST, port=self.port)
        wait_for(lambda: _answers(client), timeout, f"Redis on port {self.port} to answer")
        return time.monotonic() - started


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


# ------------------------------------------------------------ the session's side ----

def forget_connections() -> None:
    """Drop the session's pooled database connections (cut by a restart):
    the next query opens a fresh one. Redis' pool reconnects by itself."""
    from ckan import model

    model.Session().invalidate()  # no ROLLBACK on a connection the server has cut
    model.Session.remove()
    model.meta.engine.dispose()
