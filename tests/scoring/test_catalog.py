"""The trend's running sums (kept by the triggers of migration 0005) against
the history they summarise: for every kind of caller and filter, the trend
from the sums equals the trend read from every scoring, after each change a
dataset can go through (scorings out of order, a move to another cluster or
country, privacy, deletion and restore, purge, a change of type)."""
from __future__ import annotations

import datetime

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.quality.score import overall_band
from ckanext.plusresilient.scoring import catalog
from tests.factories import Cluster, QualityHistoryRow, SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

TODAY = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def scored(dataset, days_ago, score):
    QualityHistoryRow(package_id=dataset["id"], scored_at=TODAY - datetime.timedelta(days=days_ago),
                      overall_score=score, overall_band=overall_band(score))


@pytest.fixture
def world():
    member, creator = factories.User(), factories.User()
    italy = Cluster(name="svrc-veneto", users=[{"name": member["name"], "capacity": "member"}])
    spain = Cluster(name="svrc-andalucia", country="ES", region="ES61")
    public = SVRCDataset(owner_org=italy["id"], country="IT")
    secret = SVRCDataset(owner_org=italy["id"], country="IT", private=True)
    spanish = SVRCDataset(owner_org=spain["id"], country="ES")
    # scorings inserted out of order, two on one day, one months ago
    scored(public, 10, 60.0)
    scored(public, 40, 20.0)
    scored(public, 0, 95.0)
    scored(secret, 20, 45.0)
    scored(secret, 20, 70.0)
    scored(spanish, 100, 30.0)
    scored(spanish, 3, 85.0)
    return {"member": member, "creator": creator, "italy": italy, "spain": spain,
            "public": public, "secret": secret, "spanish": spanish}


def assert_sums_match_history(world):
    visibilities = {
        "sysadmin": catalog.Visibility(everything=True),
        "anonymous": catalog.visibility_of({"user": ""}),
        "member": catalog.visibility_of({"user": world["member"]["name"]}),
        "creator": catalog.visibility_of({"user": world["creator"]["name"]}),
    }
    filters = [catalog.Filters(), catalog.Filters(organization_id=world["italy"]["id"]),
               catalog.Filters(countries=("ES",)), catalog.Filters(countries=("IT", "ES"))]
    for name, visibility in visibilities.items():
        assert catalog.from_running_sums(visibility), name
        for narrowing in filters:
            expected = catalog.trend(visibility, narrowing, from_history=True)
            assert catalog.trend(visibility, narrowing) == expected, (name, narrowing)


def test_the_sums_equal_the_history_for_every_caller_and_filter(world):
    figures = catalog.trend(catalog.Visibility(everything=True))
    assert figures["granularity"] == "week" and figures["periods"][-1]["datasets"] == 3
    assert_sums_match_history(world)


def test_the_sums_follow_a_dataset_through_every_change(world, sysadmin_context):
    def patch(dataset, **changes):
        call_action("package_patch", context=dict(sysadmin_context), id=dataset["id"], **changes)
        assert_sums_match_history(world)

    patch(world["public"], owner_org=world["spain"]["id"])
    patch(world["public"], country="ES")
    patch(world["secret"], private=False)
    patch(world["spanish"], private=True)
    call_action("package_delete", context=dict(sysadmin_context), id=world["spanish"]["id"])
    assert_sums_match_history(world)
    patch(world["spanish"], state="active")
    scored(world["spanish"], 1, 10.0)
    assert_sums_match_history(world)
    call_action("dataset_purge", context=dict(sysadmin_context), id=world["public"]["id"])
    assert_sums_match_history(world)
    assert catalog.trend(catalog.Visibility(everything=True))["periods"][-1]["datasets"] == 2


def test_a_private_dataset_without_organization_counts_for_its_creator(world):
    """CKAN creates none, but one is left when its organization goes: it
    becomes its creator's (a plain UPDATE of package moves its share)."""
    import sqlalchemy as sa
    from ckan import model

    own = SVRCDataset(owner_org=world["spain"]["id"], private=True, user=world["creator"])
    scored(own, 5, 80.0)
    model.Session.execute(sa.text("UPDATE package SET owner_org = NULL WHERE id = :id"), {"id": own["id"]})
    model.Session.commit()

    creator = catalog.visibility_of({"user": world["creator"]["name"]})
    assert creator.creator_ids and catalog.from_running_sums(creator)
    assert catalog.trend(creator)["periods"][-1]["datasets"] == 3  # two public ones, and this
    assert catalog.trend(catalog.visibility_of({"user": ""}))["periods"][-1]["datasets"] == 2
    assert_sums_match_history(world)
