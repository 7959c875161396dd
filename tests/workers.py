"""Real worker processes for the tests: ``ckan`` commands started as the
stack starts them (same interpreter, the CKAN_* variables of the test
session), each logging to a file the test can quote when it fails."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
CKAN = str(Path(sys.executable).with_name("ckan"))


def ini_with(options: dict[str, str], ini: Path) -> Path:
    """Write ``ini``: test.ini plus ``options``. How a test hands a worker a
    setting it changed at run time (an imitation portal's port allowed, say),
    which the worker would not see otherwise."""
    lines = ["[app:main]", f"use = config:{ROOT / 'test.ini'}"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    # CKAN 2.11 configures logging from the file it is given only, and fails
    # on one without the logging sections: test.ini's, as they are
    test_ini = (ROOT / "test.ini").read_text()
    lines.append(test_ini[test_ini.index("[loggers]"):])
    ini.write_text("\n".join(lines) + "\n")
    return ini


class Worker:
    """One ``ckan -c test.ini ARGS`` process (with ``options`` over test.ini)."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None,
                 options: dict[str, str] | None = None) -> None:
        self.args = args
        self.log = log
        ini = ini_with(options, log.with_suffix(".ini")) if options else ROOT / "test.ini"
        with open(log, "w") as output:
            self.process = subprocess.Popen(
                [CKAN, "-c", str(ini), *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def terminate(self) -> None:
        """One SIGTERM (a second one would stop our consumers at once)."""
        if self.alive():
            self.process.send_signal(signal.SIGCONT)  # in case a test left it stopped
            self.process.terminate()

    def wait(self, timeout: float = 20) -> int:
        """The exit code; SIGKILL if it does not exit in time."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit code."""
        self.terminate()
        return self.wait(timeout)


def consumer(kind: str, log: Path, heartbeat: int = 1, env: dict[str, str] | None = None,
             options: dict[str, str] | None = None) -> Worker:
    """Our harvest consumer (``gather`` or ``fetch``), beating every
    ``heartbeat`` seconds so that a stale one shows within seconds."""
    return Worker(["plusresilient", "harvest", f"{kind}-consumer", "--heartbeat", str(heartbeat)],
                  log, env, options)


def wait_until(condition: Callable[[], object], timeout: float, what: str,
               workers: tuple[Worker, ...] = (), interval: float = 0.2) -> object:
    """Poll ``condition`` until it is truthy; fail with the workers' logs
    when ``timeout`` passes or one of them exits."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        dead = [worker for worker in workers if not worker.alive()]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(f"--- {' '.join(w.args)} (exit {w.process.returncode}):\n{w.output()}"
                             for w in workers)
            why = "a worker exited" if dead else f"{timeout} s passed"
            raise AssertionError(f"{what}: {why}\n{logs}")
        time.sleep(interval)


def stop_all(*workers: Worker) -> list[int]:
    """SIGTERM them all at once, then wait for each: their exit codes."""
    for worker in workers:
        worker.terminate()
    return [worker.wait() for worker in workers]
