"""``ckan plusresilient scheduler`` as the production layout runs it: a real
process doing its chores on their clocks until SIGTERM."""
from __future__ import annotations

import datetime

import pytest
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient.scoring.dataset import score_dataset
from ckanext.plusresilient.timestamps import utcnow
from tests.factories import SVRCDataset
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


@pytest.mark.usefixtures("clean_index", "scoring_queue")
def test_the_scheduler_turns_an_overdue_dataset_late_in_its_freshness_round(tmp_path):
    """Hourly, last updated 59 min 57 s ago: up to date when scored here, due
    three seconds later; the scheduler process's round scores it again."""
    last_update = utcnow().replace(microsecond=0) - datetime.timedelta(minutes=59, seconds=57)
    dataset = SVRCDataset(frequency="HOURLY", modified=last_update.isoformat())
    assert score_dataset(dataset["id"], with_links=False, with_data=False)["freshness"]["status"] == "up_to_date"

    worker = Worker(["plusresilient", "scheduler", "--harvest-every", "1", "--links-every", "0"],
                    tmp_path / "scheduler.log", options={"ckanext.plusresilient.quality.auto": "true"})
    try:
        wait_until(lambda: "1 of 1 datasets due for an update since their last scoring scored again"
                   in worker.output(20000), 60, "the freshness round", (worker,))
    finally:
        code = worker.stop()

    assert code == 0, worker.output(20000)
    assert "freshness failed" not in worker.output(20000)
    model.Session.remove()
    shown = call_action("plusresilient_quality_show", id=dataset["id"])
    assert shown["freshness"]["status"] == "late", (shown["freshness"], shown["scored_at"])
    late = call_action("package_search", fq="plusresilient_freshness:late")
    assert [result["id"] for result in late["results"]] == [dataset["id"]]
