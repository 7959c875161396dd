"""The test stack's own Solr, stopped and started again under the workers.

Found the way ``bin/stack`` finds it: its pidfile ``run/solr.pid`` in
``PLUSRESILIENT_STACK_DIR`` (default ``.stack`` in the checkout), and the
session's Solr URL (``CKAN_SOLR_URL``, which ``bin/stack`` exports, else
test.ini's ``solr_url``). Before anything is stopped, the process found must
be the stack's launcher on the session's port: a wrong guess fails the test
instead of stopping somebody else's Solr.

It is started again with the very command line, working folder, environment
and log that ``bin/stack``'s ``start_solr`` gave it (read from ``/proc``
before it is stopped), in a session of its own (``setsid``) as there, so the
restarted Solr is the one ``bin/stack down`` stops, whichever launcher and
options the stack used. Ready means what it means to ``bin/stack``: the
launcher prints ``READY`` into its log once the core has loaded; then the
core answers its ping.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.faults.services import pid_alive, stack_dir, wait_for

#: bin/stack's stop_solr: SIGTERM, then SIGKILL after 30 s
STOP_SECONDS = 30
#: bin/stack's start_solr waits 180 s for READY; a restart on a loaded core takes a few
START_SECONDS = 120


def session_solr_url() -> str:
    from ckan.plugins import toolkit as tk

    return (os.environ.get("CKAN_SOLR_URL") or tk.config["solr_url"]).rstrip("/")


@dataclasses.dataclass(frozen=True)
class Launch:
    """How the running Solr was started: enough to start it again the same way."""

    argv: list[str]
    cwd: str
    env: dict[str, str]
    log: Path


@dataclasses.dataclass
class StackSolr:
    """The stack's Solr: ``.stop()``, ``.start()``, ``.answers()``."""

    url: str
    pidfile: Path
    launch: Launch
    #: the Solr this object started, kept so that it is reaped when it exits
    process: subprocess.Popen | None = None

    @classmethod
    def of_session(cls) -> "StackSolr":
        url = session_solr_url()
        port = str(urlsplit(url).port or 8983)
        pidfile = stack_dir() / "run" / "solr.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            raise AssertionError(f"no Solr of the test stack: no pid in {pidfile}") from None
        argv = _argv(pid)
        # the launcher's arguments end with SOLR_HOME and the port (bin/stack's start_solr)
        if not pid_alive(pid) or not any("SolrLauncher" in arg for arg in argv) or port not in argv:
            raise AssertionError(f"no Solr launcher of the test stack on port {port} "
                                 f"(pid {pid} from {pidfile}: {' '.join(argv)[-200:]})")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        env = dict(item.decode(errors="replace").split("=", 1) for item in environ if b"=" in item)
        launch = Launch(argv, os.readlink(f"/proc/{pid}/cwd"), env, Path(os.readlink(f"/proc/{pid}/fd/1")))
        return cls(url, pidfile, launch)

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        pid = self.pid()
        return pid is not None and pid_alive(pid)

    def answers(self) -> bool:
        """The core answers its ping (``/admin/ping``, an implicit handler)."""
        try:
            reply = requests.get(f"{self.url}/admin/ping", params={"wt": "json"}, timeout=5)
            return reply.ok and reply.json().get("status") == "OK"
        except (requests.RequestException, ValueError):
            return False

    def stop(self) -> float:
        """SIGTERM and wait for the process to exit (SIGKILL after 30 s), as
        ``bin/stack down`` does; the seconds it took."""
        started = time.monotonic()
        pid = self.pid()
        if pid is not None and pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(lambda: not pid_alive(pid), STOP_SECONDS, f"Solr (pid {pid}) to exit")
            except AssertionError:
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda: not pid_alive(pid), 10, f"Solr (pid {pid}) to die")
        self.pidfile.unlink(missing_ok=True)
        return time.monotonic() - started

    def start(self) -> float:
        """Start it as ``bin/stack`` did and wait for ``READY`` and the ping;
        the seconds it took. Does nothing when it is running."""
        started = time.monotonic()
        if self.running():
            return 0.0
        offset = self.launch.log.stat().st_size if self.launch.log.exists() else 0
        with open(self.launch.log, "ab") as log:
            process = subprocess.Popen(["setsid", *self.launch.argv], cwd=self.launch.cwd, env=self.launch.env,
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        # setsid execs in place when it may (the child is no group leader): same pid
        self.pidfile.write_text(f"{process.pid}\n")
        self.process = process
        wait_for(lambda: self._ready(offset) or process.poll() is not None, START_SECONDS, "Solr to print READY")
        if process.poll() is not None:
            raise AssertionError(f"Solr exited ({process.returncode}) while starting: "
                                 f"{self._log_since(offset)[-2000:]}")
        wait_for(self.answers, 30, f"Solr's core to answer at {self.url}")
        return time.monotonic() - started

    def _log_since(self, offset: int) -> str:
        with open(self.launch.log, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _ready(self, offset: int) -> bool:
        return any(line.startswith("READY") for line in self._log_since(offset).splitlines())


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
