"""plusresilient_quality_show, _refresh and _summary, on the real stack."""
from __future__ import annotations

import datetime
import json

import pytest
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient import jobs
from ckanext.plusresilient.scoring import dataset as quality
from tests.factories import Cluster, QualityHistoryRow, QualityRow, SVRCDataset, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ROLES = ("member", "editor", "admin")


def anonymous():
    return {"user": "", "ignore_auth": False}


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


@pytest.fixture
def cluster():
    """An organization with one user per role, and one admin of another."""
    users = {role: factories.User() for role in ROLES}
    organization = Cluster(users=[{"name": users[role]["name"], "capacity": role} for role in ROLES])
    users["other admin"] = factories.User()
    Cluster(users=[{"name": users["other admin"]["name"], "capacity": "admin"}])
    users["sysadmin"] = factories.Sysadmin()
    users["outsider"] = factories.User()
    return organization, users


REPORT = {
    "scored_at": "2026-01-02T03:04:05+00:00",
    "overall": {"score": 60.0, "band": "good", "components": {"metadata": 60.0}, "weights": {}},
    "metadata": {"points": 243, "max_points": 405, "band": "good", "dimensions": {}, "indicators": []},
    "data": {"summary": {"valid": 0, "invalid": 0, "errored": 0, "error_count": 0, "checked": 0},
             "resources": []},
    "links": {"summary": {"checked": 0, "ok": 0, "broken": 0}, "statuses": []},
    "community": None,
}


# -- show -----------------------------------------------------------------------------

def test_show_before_any_scoring():
    dataset = SVRCDataset()

    result = call_action("plusresilient_quality_show", context=anonymous(), id=dataset["name"])

    assert result == {"package_id": dataset["id"], "status": "not_scored", "scored_at": None,
                      "error": None, "overall": None, "metadata": None, "data": None,
                      "links": None, "community": None, "freshness": None}


def test_show_a_scored_public_dataset_to_anyone():
    dataset = SVRCDataset()
    QualityRow(package_id=dataset["id"], report=json.dumps(REPORT))

    result = call_action("plusresilient_quality_show", context=anonymous(), id=dataset["id"])

    assert result["status"] == "scored" and result["error"] is None
    assert result["overall"] == REPORT["overall"] and result["metadata"] == REPORT["metadata"]
    assert result["data"] == REPORT["data"] and result["links"] == REPORT["links"]
    assert "history" not in result


def test_show_with_history_oldest_first():
    dataset = SVRCDataset()
    QualityRow(package_id=dataset["id"], overall_score=70.0, report=json.dumps(REPORT))
    for day, score in ((3, 70.0), (1, 40.0), (2, 55.0)):
        QualityHistoryRow(package_id=dataset["id"], overall_score=score,
                          scored_at=datetime.datetime(2026, 1, day))

    result = call_action("plusresilient_quality_show", context=anonymous(),
                         id=dataset["id"], history=True)

    assert [entry["overall_score"] for entry in result["history"]] == [40.0, 55.0, 70.0]
    assert result["history"][0] == {
        "scored_at": "2026-01-01T00:00:00+00:00", "overall_score": 40.0, "overall_band": "good",
        "metadata_points": 243, "data_score": None, "links_score": None, "community_score": None}


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other admin"])
def test_show_hides_a_private_dataset_as_if_it_did_not_exist(cluster, who):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    QualityRow(package_id=dataset["id"], report=json.dumps(REPORT))
    context = anonymous() if who == "anonymous" else as_user(users[who])

    with pytest.raises(tk.ObjectNotFound) as hidden:
        call_action("plusresilient_quality_show", context=context, id=dataset["id"])
    with pytest.raises(tk.ObjectNotFound) as unknown:
        call_action("plusresilient_quality_show", context=dict(context), id="no-such-dataset")

    assert str(hidden.value) == str(unknown.value)


@pytest.mark.parametrize("who", [*ROLES, "sysadmin"])
def test_show_a_private_dataset_to_its_organization(cluster, who):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    QualityRow(package_id=dataset["id"], report=json.dumps(REPORT))

    result = call_action("plusresilient_quality_show", context=as_user(users[who]), id=dataset["id"])

    assert result["status"] == "scored"


def test_over_the_api_a_private_dataset_and_an_unknown_one_answer_alike(app, cluster):
    organization, _ = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    QualityRow(package_id=dataset["id"], report=json.dumps(REPORT))

    hidden = app.get(f"/api/3/action/plusresilient_quality_show?id={dataset['id']}", status=404)
    unknown = app.get("/api/3/action/plusresilient_quality_show?id=no-such-dataset", status=404)

    assert hidden.json["error"] == unknown.json["error"]
    public = SVRCDataset(owner_org=organization["id"])
    assert app.get(f"/api/3/action/plusresilient_quality_show?id={public['name']}"
                   ).json["result"]["status"] == "not_scored"


def test_show_needs_an_id():
    with pytest.raises(tk.ValidationError):
        call_action("plusresilient_quality_show", context=anonymous())


# -- refresh ----------------------------------------------------------------------------

@pytest.mark.parametrize("who, allowed", [
    ("anonymous", False), ("outsider", False), ("member", False), ("other admin", False),
    ("editor", True), ("admin", True), ("sysadmin", True),
])
def test_refresh_is_for_those_who_may_edit_the_dataset(cluster, who, allowed):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    context = anonymous() if who == "anonymous" else as_user(users[who])

    if not allowed:
        with pytest.raises(tk.NotAuthorized):
            call_action("plusresilient_quality_refresh", context=context, id=dataset["id"], wait=True)
        assert quality.annotation(dataset["id"])["status"] == "not_scored"
        return
    result = call_action("plusresilient_quality_refresh", context=context, id=dataset["id"], wait=True)
    assert result["status"] == "scored" and result["package_id"] == dataset["id"]
    assert result["metadata"]["points"] > 0


@pytest.mark.parametrize("who", ["outsider", "other admin"])
def test_refresh_of_a_private_dataset_one_may_not_see_is_not_found(cluster, who):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)

    with pytest.raises(tk.ObjectNotFound):
        call_action("plusresilient_quality_refresh", context=as_user(users[who]), id=dataset["id"])


def test_refresh_queues_one_job_however_often_it_is_asked(cluster, scoring_queue):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    context = as_user(users["editor"])

    first = call_action("plusresilient_quality_refresh", context=context, id=dataset["name"])
    second = call_action("plusresilient_quality_refresh", context=dict(context), id=dataset["id"])

    assert first == {"package_id": dataset["id"], "queued": True}
    assert second == {"package_id": dataset["id"], "queued": False}
    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]


# -- summary ----------------------------------------------------------------------------

@pytest.fixture
def catalog(cluster):
    """Scored and unscored datasets in two clusters, one private."""
    organization, users = cluster
    andalucia = Cluster(name="svrc-andalucia", country="ES", region="ES61")
    rows = [
        (organization["id"], "IT", "ITH3", 90.0, False),
        (organization["id"], "IT", "ITH3", 60.0, False),
        (organization["id"], "IT", "ITH5", 20.0, True),   # private
        (organization["id"], "IT", "ITH5", None, False),  # not scored
        (andalucia["id"], "ES", "ES61", 60.0, False),
        (andalucia["id"], "ES", "ES61", None, False),
    ]
    for owner, country, region, score, private in rows:
        dataset = SVRCDataset(owner_org=owner, country=country, region=region, private=private)
        if score is not None:
            QualityRow(package_id=dataset["id"], overall_score=score)
            quality._reindex(dataset["id"], defer_commit=False)
    SVRCDataset(owner_org=andalucia["id"], country="ES")  # no region, never scored
    UseCase(owner_org=andalucia["id"], country="ES")  # not a scored type: never counted
    return organization, andalucia, users


def bands(excellent=0, good=0, sufficient=0, bad=0, not_scored=0):
    return {"excellent": excellent, "good": good, "sufficient": sufficient, "bad": bad,
            "not_scored": not_scored}


def test_summary_counts_only_what_the_caller_may_see(catalog):
    organization, _, users = catalog

    public = call_action("plusresilient_quality_summary", context=anonymous())
    member = call_action("plusresilient_quality_summary", context=as_user(users["member"]))

    assert public == {"by": None, "total": 6, "bands": bands(excellent=1, good=2, not_scored=3),
                      "groups": []}
    assert member["total"] == 7
    assert member["bands"] == bands(excellent=1, good=2, bad=1, not_scored=3)


def test_summary_by_country_region_and_organization(catalog):
    organization, andalucia, users = catalog

    by_country = call_action("plusresilient_quality_summary", context=anonymous(), by="country")
    by_region = call_action("plusresilient_quality_summary", context=as_user(users["member"]),
                            by="region")
    by_org = call_action("plusresilient_quality_summary", context=anonymous(), by="organization")

    assert by_country["groups"] == [  # the largest first, then by key
        {"key": "ES", "label": "Spain", "total": 3, "bands": bands(good=1, not_scored=2)},
        {"key": "IT", "label": "Italy", "total": 3, "bands": bands(excellent=1, good=1, not_scored=1)},
    ]
    assert {group["key"]: group["bands"] for group in by_region["groups"]} == {
        "ITH3": bands(excellent=1, good=1),
        "ITH5": bands(bad=1, not_scored=1),
        "ES61": bands(good=1, not_scored=1),
    }
    assert {g["key"]: (g["label"], g["total"]) for g in by_org["groups"]} == {
        organization["name"]: (organization["title"], 3), "svrc-andalucia": (andalucia["title"], 3)}


def test_summary_by_harvest_source_names_the_sources(catalog, sysadmin_context):
    from ckan.lib import search
    from ckanext.harvest import model as harvest_model

    source = call_action("harvest_source_create", context=sysadmin_context, name="portal-x",
                         title="Portal X", url="https://portal.example.org", source_type="ckan")
    job = call_action("harvest_job_create", context=sysadmin_context, source_id=source["id"],
                      run=False)
    dataset = SVRCDataset()
    QualityRow(package_id=dataset["id"], overall_score=95.0)
    harvest_model.HarvestObject(
        guid="x-1", job=harvest_model.HarvestJob.get(job["id"]),
        source=harvest_model.HarvestSource.get(source["id"]),
        package_id=dataset["id"], current=True).save()
    search.rebuild(dataset["id"])

    result = call_action("plusresilient_quality_summary", context=anonymous(), by="harvest_source")

    assert result["groups"] == [{"key": source["id"], "label": "Portal X", "total": 1,
                                 "bands": bands(excellent=1)}]


def test_summary_refuses_an_unknown_grouping():
    with pytest.raises(tk.ValidationError) as error:
        call_action("plusresilient_quality_summary", context=anonymous(), by="colour")
    assert "country" in error.value.error_dict["by"][0]
