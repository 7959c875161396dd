"""Fixtures of the fault tests: the test stack's services, as objects that
restart them (services.py), and real worker processes stopped at the end.

A restart cuts every connection of the session too: the fixtures drop the
session's pooled connections afterwards, so the tests that come next (in
this folder or elsewhere) start on fresh ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.faults import services
from tests.workers import Worker, stop_all


@pytest.fixture
def stack_postgres() -> Iterator[services.StackPostgres]:
    """The stack's PostgreSQL (``.restart()``); the session reconnects after the test."""
    yield services.StackPostgres.of_session()
    services.forget_connections()


@pytest.fixture
def stack_redis() -> Iterator[services.StackRedis]:
    """The stack's Redis (``.restart()``: no persistence, so it comes back empty)."""
    yield services.StackRedis.of_session()


StartWorker = Callable[..., Worker]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """``start_worker(name, args, options=None, env=None)``: a ``ckan -c test.ini
    ARGS`` process logging to ``<tmp>/<name>.log``; every one still running is
    stopped (SIGTERM, then SIGKILL after 20 s) when the test ends."""
    started: list[Worker] = []

    def start(name: str, args: list[str], options: dict[str, str] | None = None,
              env: dict[str, str] | None = None) -> Worker:
        worker = Worker(args, tmp_path / f"{name}.log", env=env, options=options)
        started.append(worker)
        return worker

    yield start
    stop_all(*started)
