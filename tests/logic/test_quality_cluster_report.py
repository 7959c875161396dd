"""plusresilient_quality_cluster_report: one cluster's datasets with their
quality, as the caller may see them, read whole however many there are."""
from __future__ import annotations

import datetime
import json

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.quality.metadata import MAX_POINTS
from ckanext.plusresilient.quality.score import overall_band
from ckanext.plusresilient.scoring import dataset as quality
from tests.factories import Cluster, FeedbackItem, QualityRow, SVRCDataset, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ACTION = "plusresilient_quality_cluster_report"
NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
#: A stored verdict (quality/freshness.py's to_dict)
LATE = {"status": "late", "frequency": "MONTHLY", "last_update": "2025-01-31T23:59:59+00:00",
        "last_update_source": "declared", "expected_by": "2025-02-28T23:59:59+00:00", "reason": None}


def as_user(user=None):
    return {"user": user["name"] if user else "", "ignore_auth": False}


def score(dataset, value, failing=(), freshness=None):
    """A stored scoring failing these MQA indicators (and with this freshness
    verdict), indexed as the scorer does."""
    band = overall_band(value)
    report = {"overall": {"score": value, "band": band, "components": {"metadata": value},
                          "weights": {"metadata": 1.0}},
              "metadata": {"points": round(value * 4.05), "max_points": MAX_POINTS, "band": band,
                           "dimensions": {}, "indicators": [
                               {"key": key, "dimension": "findability", "label": key,
                                "points_max": 30, "points": 0, "passed": False}
                               for key in failing]},
              "freshness": freshness}
    QualityRow(package_id=dataset["id"], overall_score=value, scored_at=NOW,
               report=json.dumps(report))
    quality._reindex(dataset["id"], defer_commit=False)


@pytest.fixture
def member():
    return factories.User()


@pytest.fixture
def cluster(member):
    """Three public datasets (one never scored), a private one, a use case
    (not scored), and a neighbour cluster's dataset."""
    own = Cluster(name="svrc-liguria", title="SVRC Liguria",
                  users=[{"name": member["name"], "capacity": "member"}])
    other = Cluster(name="svrc-other")
    b = SVRCDataset(owner_org=own["id"], name="b-care-homes", title="Care homes")
    a = SVRCDataset(owner_org=own["id"], name="a-jobs", title="Jobs")
    c = SVRCDataset(owner_org=own["id"], name="c-schools", title="Schools")
    secret = SVRCDataset(owner_org=own["id"], name="d-secret", title="Secret", private=True)
    UseCase(owner_org=own["id"], name="e-use-case")
    SVRCDataset(owner_org=other["id"], name="f-elsewhere")
    score(a, 92.0)
    score(b, 40.0, failing=("keywords", "licence"), freshness=LATE)
    score(secret, 20.0, failing=("keywords",))
    FeedbackItem(package_id=b["id"], category="broken_link")
    FeedbackItem(package_id=b["id"], category="broken_link", status="acknowledged")
    FeedbackItem(package_id=b["id"], category="outdated")
    # not counted: resolved, waiting for moderation, a comment
    FeedbackItem(package_id=b["id"], category="outdated", status="resolved")
    FeedbackItem(package_id=b["id"], category="wrong_values", moderation="pending")
    FeedbackItem(package_id=a["id"], kind="comment")
    return {"own": own, "a": a, "b": b, "c": c, "secret": secret}


def test_every_dataset_of_the_cluster_with_its_figures(cluster):
    report = call_action(ACTION, context=as_user(), organization="svrc-liguria")

    assert report["organization"] == {"id": cluster["own"]["id"], "name": "svrc-liguria",
                                      "title": "SVRC Liguria"}
    assert report["count"] == 3
    by_name = {item["name"]: item for item in report["datasets"]}
    assert list(by_name) == ["a-jobs", "b-care-homes", "c-schools"]
    care = by_name["b-care-homes"]
    assert care["title"] == "Care homes" and care["type"] == "dataset"
    assert care["status"] == "scored" and care["band"] == overall_band(40.0)
    assert care["score"] == 40.0 and care["metadata_points"] == round(40.0 * MAX_POINTS / 100)
    assert care["metadata_max_points"] == MAX_POINTS
    assert sorted(care["failed_indicators"]) == ["keywords", "licence"]
    assert care["open_reports"] == 3
    assert care["open_report_categories"] == {"broken_link": 2, "outdated": 1}
    assert care["private"] is False and care["scored_at"].startswith(NOW.date().isoformat())
    assert care["freshness"] == {"status": "late", "expected_by": "2025-02-28T23:59:59+00:00"}
    assert by_name["a-jobs"]["freshness"] is None  # a scoring that judged no freshness
    assert by_name["a-jobs"]["open_reports"] == 0 and by_name["a-jobs"]["failed_indicators"] == []
    never = by_name["c-schools"]
    assert never["status"] == "not_scored"
    assert (never["band"], never["score"], never["metadata_points"], never["scored_at"],
            never["freshness"]) == (None, None, None, None, None)


def test_private_datasets_only_for_those_who_may_read_them(cluster, member):
    outsider = factories.User()
    names = {who: [item["name"] for item in call_action(
        ACTION, context=as_user(user), organization=cluster["own"]["id"])["datasets"]]
        for who, user in (("anonymous", None), ("outsider", outsider), ("member", member),
                          ("sysadmin", factories.Sysadmin()))}

    assert names["anonymous"] == names["outsider"] == ["a-jobs", "b-care-homes", "c-schools"]
    assert names["member"] == names["sysadmin"] == ["a-jobs", "b-care-homes", "c-schools", "d-secret"]
    secret = call_action(ACTION, context=as_user(member), organization="svrc-liguria")["datasets"][-1]
    assert secret["private"] is True and secret["failed_indicators"] == ["keywords"]


@pytest.mark.ckan_config("ckan.search.rows_max", "2")
def test_a_cluster_larger_than_a_search_page_is_read_whole(cluster, member):
    """CKAN gives at most rows_max results a search: 2 here, for 4 datasets."""
    search = call_action("package_search", context=as_user(member), q="", rows=1000,
                         fq=f'owner_org:"{cluster["own"]["id"]}"', include_private=True)
    assert len(search["results"]) == 2 and search["count"] == 5  # the cut the report must page past

    report = call_action(ACTION, context=as_user(member), organization="svrc-liguria")

    assert [item["name"] for item in report["datasets"]] == [
        "a-jobs", "b-care-homes", "c-schools", "d-secret"]
    assert report["count"] == 4


def test_an_unknown_or_deleted_cluster_is_not_found(cluster):
    gone = Cluster(name="svrc-gone")
    call_action("organization_delete", context={"user": factories.Sysadmin()["name"]}, id=gone["id"])

    for name in ("no-such-cluster", "svrc-gone"):
        with pytest.raises(tk.ObjectNotFound):
            call_action(ACTION, context=as_user(), organization=name)


def test_the_organization_is_required():
    with pytest.raises(tk.ValidationError) as raised:
        call_action(ACTION, context=as_user())
    assert "organization" in raised.value.error_dict
