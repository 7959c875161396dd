"""``ckan plusresilient scheduler`` as the production layout runs it: a real
process doing its chores on their clocks until SIGTERM."""
from __future__ import annotations

import pytest

from tests.workers import Worker, wait_until

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_the_scheduler_runs_each_chore_on_its_clock_and_stops_on_sigterm(tmp_path):
    worker = Worker(["plusresilient", "scheduler", "--harvest-every", "1", "--links-every", "2"],
                    tmp_path / "scheduler.log")
    try:
        wait_until(lambda: worker.output(20000).count("link re-check done") >= 2, 60,
                   "two link re-checks", (worker,))
    finally:
        code = worker.stop()

    output = worker.output(20000)
    assert code == 0, output
    assert f"scheduler {worker.pid}: harvest round every 1 s, link re-check every 2 s" in output
    assert "re-checked 0 links, 0 changed; 0 datasets to rescore: 0 queued, 0 already waiting" in output
    assert "failed" not in output
    assert f"scheduler {worker.pid} stopped" in output
