"""plusresilient_quality_trend and plusresilient_quality_indicators, on the
real stack: history rows with chosen dates for the periods, reports written
by the real scorer for the indicators, and the privacy of both."""
from __future__ import annotations

import configparser
import datetime
import json
import pathlib

import pytest
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.scoring import catalog as quality_stats
from ckanext.plusresilient.scoring import dataset as quality
from ckanext.plusresilient.quality.score import overall_band
from tests.factories import Cluster, QualityHistoryRow, QualityRow, SVRCDataset, Training

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _test_plugins() -> str:
    """test.ini's plugins, for a test that adds one."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(pathlib.Path(__file__).parents[2] / "test.ini")
    return parser["app:main"]["ckan.plugins"]


PLUGINS = _test_plugins()


def anonymous():
    return {"user": "", "ignore_auth": False}


def as_user(user):
    return {"user": user["name"], "ignore_auth": False}


def scored(package_id, when, score):
    """One history row: the dataset scored ``score`` at ``when``."""
    QualityHistoryRow(package_id=package_id, scored_at=when, overall_score=score,
                      overall_band=overall_band(score))


def day(month, number, hour=12):
    return datetime.datetime(2026, month, number, hour)


def bands(excellent=0, good=0, sufficient=0, bad=0):
    return {"excellent": excellent, "good": good, "sufficient": sufficient, "bad": bad}


@pytest.fixture
def people():
    """A cluster with a member, a user of no organization, a sysadmin."""
    member, outsider, sysadmin = factories.User(), factories.User(), factories.Sysadmin()
    cluster = Cluster(users=[{"name": member["name"], "capacity": "member"}])
    return {"cluster": cluster, "member": member, "outsider": outsider, "sysadmin": sysadmin}


# -- trend: periods ---------------------------------------------------------------------

def test_each_day_counts_every_dataset_by_its_latest_scoring_up_to_then():
    first, second = SVRCDataset(), SVRCDataset()
    scored(first["id"], day(1, 1), 40.0)           # sufficient
    scored(second["id"], day(1, 2), 60.0)          # good
    scored(first["id"], day(1, 4, hour=8), 20.0)   # bad, replaced the same day:
    scored(first["id"], day(1, 4, hour=20), 90.0)  # excellent

    result = call_action("plusresilient_quality_trend", context=anonymous())

    assert result["granularity"] == "day"
    assert [(p["period"], p["start"], p["end"]) for p in result["periods"]] == [
        ("2026-01-01", "2026-01-01", "2026-01-01"), ("2026-01-02", "2026-01-02", "2026-01-02"),
        ("2026-01-03", "2026-01-03", "2026-01-03"), ("2026-01-04", "2026-01-04", "2026-01-04")]
    figures = [(p["datasets"], p["average"], p["bands"]) for p in result["periods"]]
    assert figures == [
        (1, pytest.approx(40.0), bands(sufficient=1)),
        (2, pytest.approx(50.0), bands(sufficient=1, good=1)),
        (2, pytest.approx(50.0), bands(sufficient=1, good=1)),  # nothing new: carried over
        (2, pytest.approx(75.0), bands(excellent=1, good=1)),
    ]


def test_a_scoring_at_midnight_belongs_to_the_day_it_starts():
    dataset = SVRCDataset()
    scored(dataset["id"], day(3, 1), 40.0)
    scored(dataset["id"], datetime.datetime(2026, 3, 2, 0, 0, 0), 90.0)

    periods = call_action("plusresilient_quality_trend", context=anonymous())["periods"]

    assert [(p["period"], p["bands"]) for p in periods] == [
        ("2026-03-01", bands(sufficient=1)), ("2026-03-02", bands(excellent=1))]


def test_a_history_of_a_hundred_days_is_drawn_per_iso_week():
    early, late = SVRCDataset(), SVRCDataset()
    scored(early["id"], datetime.datetime(2025, 12, 31, 9), 60.0)  # Wednesday of ISO week 2026-W01
    scored(late["id"], datetime.datetime(2026, 4, 10, 9), 90.0)    # ISO week 2026-W15

    result = call_action("plusresilient_quality_trend", context=anonymous())

    assert result["granularity"] == "week"
    periods = result["periods"]
    assert len(periods) == 15
    assert (periods[0]["period"], periods[0]["start"], periods[0]["end"]) == (
        "2026-W01", "2025-12-29", "2026-01-04")
    assert (periods[-1]["period"], periods[-1]["start"], periods[-1]["end"]) == (
        "2026-W15", "2026-04-06", "2026-04-12")
    assert [p["datasets"] for p in periods] == [1] * 14 + [2]
    assert periods[-1]["bands"] == bands(excellent=1, good=1)


def test_a_long_history_is_drawn_per_month_and_keeps_the_last_sixty():
    old, recent = SVRCDataset(), SVRCDataset()
    scored(old["id"], datetime.datetime(2019, 5, 20), 20.0)   # long before the first month shown
    scored(recent["id"], datetime.datetime(2026, 2, 3), 95.0)

    result = call_action("plusresilient_quality_trend", context=anonymous())

    assert result["granularity"] == "month"
    periods = result["periods"]
    assert len(periods) == quality_stats.MAX_PERIODS
    assert (periods[0]["period"], periods[0]["start"], periods[0]["end"]) == (
        "2021-03", "2021-03-01", "2021-03-31")
    assert (periods[-1]["period"], periods[-1]["end"]) == ("2026-02", "2026-02-28")
    # the old scoring still counts in every period shown
    assert periods[0]["datasets"] == 1 and periods[0]["bands"] == bands(bad=1)
    assert periods[-1]["datasets"] == 2 and periods[-1]["average"] == pytest.approx(57.5)


@pytest.mark.parametrize("first, last, expected", [
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1), "day"),
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 4), "day"),     # 62 days
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 5), "week"),    # 63 days
    (datetime.date(2026, 1, 1), datetime.date(2028, 1, 1), "week"),    # two years
    (datetime.date(2026, 1, 1), datetime.date(2028, 1, 2), "month"),
    (datetime.date(2024, 2, 29), datetime.date(2026, 2, 28), "week"),
    (datetime.date(2024, 2, 29), datetime.date(2026, 3, 1), "month"),
])
def test_the_granularity_follows_the_span(first, last, expected):
    assert quality_stats.granularity_for(first, last) == expected


def test_no_history_no_periods():
    SVRCDataset()

    assert call_action("plusresilient_quality_trend", context=anonymous()) == {
        "granularity": None, "periods": []}


def test_deleted_datasets_and_harvest_sources_are_left_out(sysadmin_context):
    kept, deleted = SVRCDataset(), SVRCDataset()
    source = call_action("harvest_source_create", context=sysadmin_context, name="portal-y",
                         title="Portal Y", url="https://portal.example.org", source_type="ckan")
    scored(kept["id"], day(5, 1), 60.0)
    scored(deleted["id"], day(5, 1), 95.0)
    scored(source["id"], day(5, 1), 10.0)
    call_action("package_delete", context=sysadmin_context, id=deleted["id"])

    periods = call_action("plusresilient_quality_trend", context=anonymous())["periods"]

    assert [(p["datasets"], p["bands"]) for p in periods] == [(1, bands(good=1))]


@pytest.mark.ckan_config("ckanext.plusresilient.quality.types", "dataset training")
def test_every_scored_type_counts():
    training = Training()
    scored(training["id"], day(6, 1), 90.0)

    periods = call_action("plusresilient_quality_trend", context=anonymous())["periods"]

    assert periods[0]["bands"] == bands(excellent=1)


def test_types_not_scored_are_left_out():
    """Training material is not scored by default: an old score is not counted."""
    scored(Training()["id"], day(6, 1), 90.0)

    assert call_action("plusresilient_quality_trend", context=anonymous())["periods"] == []


# -- privacy ----------------------------------------------------------------------------

TEN_DAYS_AGO = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
                - datetime.timedelta(days=10))


@pytest.fixture
def private_catalog(people):
    """A public dataset, and a private one of the cluster scored worse,
    earlier, failing an indicator no public dataset fails."""
    public = SVRCDataset(tags=[{"name": "census"}])
    secret = SVRCDataset(owner_org=people["cluster"]["id"], private=True)  # no keywords
    quality.score_dataset(public["id"], with_links=False, with_data=False)
    quality.score_dataset(secret["id"], with_links=False, with_data=False)
    scored(secret["id"], TEN_DAYS_AGO, 10.0)
    return public, secret


def _figures(context):
    return (call_action("plusresilient_quality_trend", context=context),
            call_action("plusresilient_quality_indicators", context=context, limit=50))


def test_a_private_dataset_changes_no_figure_for_anonymous_or_outsiders(people, private_catalog):
    public, secret = private_catalog
    public_only = _figures(anonymous())

    assert _figures(as_user(people["outsider"])) == public_only
    trend, indicators = public_only
    assert indicators["scored"] == 1
    assert all(p["datasets"] == 1 for p in trend["periods"])
    assert [p["period"] for p in trend["periods"]] == [datetime.date.today().isoformat()]
    assert "keywords" not in {i["key"] for i in indicators["indicators"]}


def test_a_private_dataset_counts_for_its_organization_and_sysadmins(people, private_catalog):
    public, secret = private_catalog
    public_only = _figures(anonymous())

    for context in (as_user(people["member"]), as_user(people["sysadmin"])):
        trend, indicators = _figures(context)
        assert (trend, indicators) != public_only
        assert indicators["scored"] == 2
        assert trend["periods"][0]["period"] == TEN_DAYS_AGO.date().isoformat()
        assert trend["periods"][0]["bands"] == bands(bad=1)
        assert trend["periods"][-1]["datasets"] == 2
        failing = {i["key"]: i for i in indicators["indicators"]}
        assert failing["keywords"]["failed"] == 1 and failing["keywords"]["share"] == 0.5


def test_the_visible_set_is_what_search_finds(people, private_catalog):
    """The running sums' conditions against the ids package_search(include_private) gives."""
    unowned_private = SVRCDataset(owner_org=people["cluster"]["id"], private=True)
    scored(unowned_private["id"], day(2, 1), 70.0)

    for user in (None, people["outsider"], people["member"], people["sysadmin"]):
        name = user["name"] if user else ""
        context = {"user": name, "ignore_auth": False}
        by_sql = quality_stats.visibility_of(context)
        by_search = quality_stats.Visibility(ids=tuple(quality_stats.ids_from_search(name)))
        assert by_sql.ids is None
        assert quality_stats.trend(by_sql) == quality_stats.trend(by_search)


@pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true")
def test_a_collaborator_counts_the_private_dataset_shared_with_them(people):
    collaborator = factories.User()
    shared = SVRCDataset(owner_org=people["cluster"]["id"], private=True)
    SVRCDataset(owner_org=people["cluster"]["id"], private=True)  # not shared
    for dataset in call_action("package_search", context={"ignore_auth": True},
                               include_private=True)["results"]:
        scored(dataset["id"], day(8, 1), 95.0 if dataset["id"] == shared["id"] else 60.0)
    call_action("package_collaborator_create", context={"ignore_auth": True},
                id=shared["id"], user_id=collaborator["id"], capacity="member")

    theirs = call_action("plusresilient_quality_trend", context=as_user(collaborator))["periods"]
    members = call_action("plusresilient_quality_trend", context=as_user(people["member"]))["periods"]
    found = call_action("package_search", context=as_user(collaborator), include_private=True)

    assert found["count"] == 1
    assert theirs[0]["bands"] == bands(excellent=1)
    assert members[0]["bands"] == bands(excellent=1, good=1)


@pytest.mark.ckan_config("ckan.plugins", PLUGINS + " example_ipermissionlabels")
def test_a_labels_plugin_of_its_own_is_followed_through_the_search_index(people):
    """CKAN's example labels plugin hides public "Proposed:" datasets from
    everyone but their creator: the figures must follow it."""
    creator = factories.User()
    SVRCDataset()
    proposed = SVRCDataset(notes="Proposed: a new census", user=creator)
    for dataset in call_action("package_search", context={"ignore_auth": True},
                               include_private=True)["results"]:
        scored(dataset["id"], day(7, 1), 95.0 if dataset["id"] == proposed["id"] else 60.0)

    assert quality_stats.visibility_of(anonymous()).ids is not None
    public = call_action("plusresilient_quality_trend", context=anonymous())["periods"]
    own = call_action("plusresilient_quality_trend", context=as_user(creator))["periods"]

    assert public[0]["bands"] == bands(good=1)
    assert own[0]["bands"] == bands(excellent=1, good=1)


# -- filters ----------------------------------------------------------------------------

def test_the_trend_and_indicators_filter_by_organization_and_country(people):
    other = Cluster(name="svrc-andalucia", country="ES", region="ES61")
    italian = SVRCDataset(owner_org=people["cluster"]["id"], country="IT")
    spanish = SVRCDataset(owner_org=other["id"], country="ES", tags=[{"name": "empleo"}])
    for dataset in (italian, spanish):
        quality.score_dataset(dataset["id"], with_links=False, with_data=False)

    by_org = call_action("plusresilient_quality_trend", context=anonymous(),
                         organization="svrc-andalucia")
    by_country = call_action("plusresilient_quality_indicators", context=anonymous(), country="it")
    both = call_action("plusresilient_quality_indicators", context=anonymous(), country="IT,ES",
                       limit=50)

    assert by_org["periods"][-1]["datasets"] == 1
    assert by_country["scored"] == 1
    assert {i["key"]: i["failed"] for i in by_country["indicators"]}["keywords"] == 1
    assert both["scored"] == 2
    assert {i["key"]: i["failed"] for i in both["indicators"]}["keywords"] == 1

    summary = call_action("plusresilient_quality_summary", context=anonymous(), by="country",
                          organization=people["cluster"]["name"])
    assert summary["total"] == 1 and [g["key"] for g in summary["groups"]] == ["IT"]
    summary = call_action("plusresilient_quality_summary", context=anonymous(), by="organization",
                          country="es")
    assert summary["total"] == 1 and [g["key"] for g in summary["groups"]] == ["svrc-andalucia"]
    assert sum(summary["groups"][0]["bands"].values()) == 1
    assert summary["groups"][0]["bands"]["not_scored"] == 0


@pytest.mark.parametrize("action", ["plusresilient_quality_trend", "plusresilient_quality_indicators",
                                    "plusresilient_quality_summary"])
def test_unknown_filters_are_refused(action):
    with pytest.raises(tk.ValidationError) as error:
        call_action(action, context=anonymous(), organization="no-such-cluster")
    assert "organization" in error.value.error_dict

    with pytest.raises(tk.ValidationError) as error:
        call_action(action, context=anonymous(), country="XX")
    assert "XX" in error.value.error_dict["country"][0]


# -- indicators -------------------------------------------------------------------------

def test_the_indicators_are_counted_from_the_reports_the_scorer_wrote():
    datasets = [
        SVRCDataset(),
        SVRCDataset(tags=[{"name": "census"}], theme=["SOCI"]),
        SVRCDataset(tags=[{"name": "jobs"}], license_id="notspecified",
                    resources=[{"url": "https://data.example.org/jobs.csv", "format": "CSV"}]),
    ]
    reports = [quality.score_dataset(d["id"], with_links=False, with_data=False)["metadata"]
               for d in datasets]

    result = call_action("plusresilient_quality_indicators", context=anonymous(), limit=50)

    expected: dict[str, list[int]] = {}
    for report in reports:
        for indicator in report["indicators"]:
            if indicator["passed"] is False:
                counts = expected.setdefault(indicator["key"], [0, 0])
                counts[0] += 1
                counts[1] += indicator["points_max"] - indicator["points"]
    assert result["scored"] == 3
    assert {i["key"]: [i["failed"], i["points_lost"]] for i in result["indicators"]} == expected
    assert {i["key"]: i["failed"] for i in result["indicators"]}["keywords"] == 1
    assert "licence" in expected and expected["licence"][0] == 1
    shares = [i["share"] for i in result["indicators"]]
    assert shares == sorted(shares, reverse=True)
    keywords = next(i for i in result["indicators"] if i["key"] == "keywords")
    assert keywords == {"key": "keywords", "dimension": "findability", "label": "Keywords",
                        "failed": 1, "share": pytest.approx(1 / 3), "points_lost": 30}


def _report(*verdicts):
    """A stored report whose metadata has these (key, dimension, points_max, points, passed)."""
    return json.dumps({"metadata": {"indicators": [
        {"key": key, "dimension": dimension, "label": key.title(), "points_max": points_max,
         "points": points, "passed": passed, "reason": "", "fix": ""}
        for key, dimension, points_max, points, passed in verdicts]}})


def stored(**values):
    """A current row, indexed as the scorer leaves it (the figures are counted
    by the search index)."""
    row = QualityRow(**values)
    quality._reindex(row.package_id, defer_commit=False)
    return row


def test_order_limit_and_what_counts_as_failed():
    stored(report=_report(("keywords", "findability", 30, 0, False),
                          ("licence", "reusability", 20, 0, False),
                          ("download_url_status", "accessibility", 30, 0, None)))
    stored(report=_report(("keywords", "findability", 30, 0, False),
                          ("licence", "reusability", 20, 20, True),
                          ("spatial", "findability", 20, 0, False)))
    stored(report=_report(("keywords", "findability", 30, 30, True),
                          ("temporal", "findability", 20, 0, False)))
    stored(status="error", report=None, overall_score=None, overall_band=None,
           metadata_points=None, metadata_band=None)  # never scored: not in the count

    top = call_action("plusresilient_quality_indicators", context=anonymous())
    two = call_action("plusresilient_quality_indicators", context=anonymous(), limit="2")

    assert top["scored"] == 3
    assert [(i["key"], i["failed"], i["points_lost"]) for i in top["indicators"]] == [
        ("keywords", 2, 60), ("licence", 1, 20), ("spatial", 1, 20), ("temporal", 1, 20)]
    assert [i["key"] for i in two["indicators"]] == ["keywords", "licence"]
    # "not checked yet" (passed null) is not a failure
    assert "download_url_status" not in [i["key"] for i in top["indicators"]]
    assert top["indicators"][0]["label"] == "Keywords"
    assert top["indicators"][0]["share"] == pytest.approx(2 / 3)


def test_nothing_scored_nothing_failing():
    SVRCDataset()

    assert call_action("plusresilient_quality_indicators", context=anonymous()) == {
        "scored": 0, "indicators": []}


def test_the_label_is_in_the_language_of_the_request(app):
    stored(report=_report(("keywords", "findability", 30, 0, False)))

    italian = app.get("/it/api/3/action/plusresilient_quality_indicators").json["result"]
    english = app.get("/api/3/action/plusresilient_quality_indicators").json["result"]

    assert italian["indicators"][0]["label"] == "Parole chiave"
    assert english["indicators"][0]["label"] == "Keywords"


@pytest.mark.parametrize("limit", [0, -1, 51, "ten", 2.5])
def test_a_bad_limit_is_refused(limit):
    with pytest.raises(tk.ValidationError) as error:
        call_action("plusresilient_quality_indicators", context=anonymous(), limit=limit)
    assert list(error.value.error_dict) == ["limit"]
