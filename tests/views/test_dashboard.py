"""/quality, the catalog's quality dashboard, rendered by the real app: the
tables the charts are drawn from, their links into the search, privacy, the
chart contract and the asset bundles."""
from __future__ import annotations

import datetime
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.scoring import dataset as quality
from ckanext.plusresilient.quality.score import overall_band
from tests.factories import Cluster, QualityHistoryRow, QualityRow, SVRCDataset
from tests.forms import PASSWORD, login

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

CHARTS = {"bands-by-country", "bands-by-region", "bands-by-cluster", "bands-by-source",
          "trend", "indicators"}
KINDS = {"stacked-bar", "line", "bar"}
NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def anonymous():
    return {"user": "", "ignore_auth": False}


def _report(score, failing):
    """A stored report, as complete as the badge needs, whose metadata fails
    these indicator keys."""
    band = overall_band(score)
    return json.dumps({
        "overall": {"score": score, "band": band, "components": {"metadata": score},
                    "weights": {"metadata": 1.0}},
        "metadata": {"points": round(score * 4.05), "max_points": 405, "band": band,
                     "dimensions": {}, "indicators": [
                         {"key": key, "dimension": "findability", "label": key, "points_max": 30,
                          "points": 0, "passed": False, "reason": "", "fix": ""}
                         for key in failing]}})


def _score(dataset, score, failing=("keywords",), days_ago=0):
    """Store a scoring as the scorer would (current row, history, index)."""
    when = NOW - datetime.timedelta(days=days_ago)
    QualityRow(package_id=dataset["id"], overall_score=score, scored_at=when,
               report=_report(score, failing))
    QualityHistoryRow(package_id=dataset["id"], overall_score=score, scored_at=when,
                      overall_band=overall_band(score))
    quality._reindex(dataset["id"], defer_commit=False)


@pytest.fixture
def member():
    return factories.User(password=PASSWORD)


@pytest.fixture
def catalog(member):
    """Veneto (IT): excellent, good, one not scored; Andalucía (ES): bad;
    a private cluster in Slovenia, only its member sees it."""
    veneto = Cluster(name="svrc-veneto", title="SVRC Veneto")
    andalucia = Cluster(name="svrc-andalucia", title="SVRC Andalucía", country="ES", region="ES61")
    hidden = Cluster(name="svrc-ljubljana", title="SVRC Ljubljana", country="SI", region="SI04",
                     users=[{"name": member["name"], "capacity": "member"}])
    _score(SVRCDataset(owner_org=veneto["id"], country="IT", region="ITH3"), 95.0, failing=())
    _score(SVRCDataset(owner_org=veneto["id"], country="IT", region="ITH3"), 60.0,
           failing=("keywords", "temporal"), days_ago=2)
    SVRCDataset(owner_org=veneto["id"], country="IT", region="ITH5")
    _score(SVRCDataset(owner_org=andalucia["id"], country="ES", region="ES61"), 20.0,
           failing=("keywords",), days_ago=1)
    secret = SVRCDataset(owner_org=hidden["id"], country="SI", region="SI04", private=True)
    _score(secret, 10.0, failing=("licence",), days_ago=9)
    return {"veneto": veneto, "andalucia": andalucia, "hidden": hidden, "secret": secret}


def page(app, user=None, path="/quality"):
    login(app, user)
    answer = app.get(path)
    assert answer.status_code == 200
    return BeautifulSoup(answer.body, "html.parser")


def figure(soup, chart):
    found = soup.select(f'figure.plusresilient-chart[data-chart="{chart}"]')
    assert len(found) == 1, chart
    return found[0]


def band_rows(soup, chart):
    """key -> {series: value, "total": n, "label": text} of a bands table."""
    rows = {}
    for row in figure(soup, chart).select("tbody tr"):
        values = {cell["data-series"]: int(cell["data-value"]) for cell in row.select("td[data-series]")}
        values["total"] = int(row.select_one("td[data-total]")["data-total"])
        values["label"] = row.th.get_text(strip=True)
        rows[row["data-key"]] = values
    return rows


def counts(excellent=0, good=0, sufficient=0, bad=0, not_scored=0, total=None, label=None):
    row = {"excellent": excellent, "good": good, "sufficient": sufficient, "bad": bad,
           "not_scored": not_scored}
    row["total"] = sum(row.values()) if total is None else total
    if label is not None:
        row["label"] = label
    return row


def without_labels(rows):
    return {key: {k: v for k, v in row.items() if k != "label"} for key, row in rows.items()}


# -- the tables -------------------------------------------------------------------------

def test_each_grouping_shows_the_bands_the_visitor_may_see(app, catalog):
    soup = page(app)

    assert band_rows(soup, "bands-by-country") == {
        "IT": counts(excellent=1, good=1, not_scored=1, label="Italy"),
        "ES": counts(bad=1, label="Spain"),
    }
    assert without_labels(band_rows(soup, "bands-by-region")) == {
        "ITH3": counts(excellent=1, good=1), "ITH5": counts(not_scored=1), "ES61": counts(bad=1)}
    assert band_rows(soup, "bands-by-cluster") == {
        "svrc-veneto": counts(excellent=1, good=1, not_scored=1, label="SVRC Veneto"),
        "svrc-andalucia": counts(bad=1, label="SVRC Andalucía"),
    }
    overall = {row["data-band"]: int(row.select_one("td[data-value]")["data-value"])
               for row in soup.select(".plusresilient-dashboard-bands tbody tr")}
    assert overall == {"excellent": 1, "good": 1, "sufficient": 0, "bad": 1, "not_scored": 1}
    assert soup.select_one(".plusresilient-dashboard")["data-total"] == "4"


def test_the_tables_hold_what_the_actions_answer(app, catalog):
    soup = page(app)

    for by, chart in (("country", "bands-by-country"), ("region", "bands-by-region"),
                      ("organization", "bands-by-cluster")):
        summary = call_action("plusresilient_quality_summary", context=anonymous(), by=by)
        assert without_labels(band_rows(soup, chart)) == {
            group["key"]: dict(group["bands"], total=group["total"]) for group in summary["groups"]}

    trend = call_action("plusresilient_quality_trend", context=anonymous())
    rows = figure(soup, "trend").select("tbody tr")
    assert [row["data-period"] for row in rows] == [p["period"] for p in trend["periods"]]
    for row, period in zip(rows, trend["periods"]):
        assert int(row.select_one("td[data-datasets]")["data-datasets"]) == period["datasets"]
        assert float(row.select_one('td[data-series="average"]')["data-value"]) == pytest.approx(
            period["average"], abs=0.05)
        assert {band: int(row.select_one(f'td[data-series="{band}"]')["data-value"])
                for band in quality.BANDS} == period["bands"]
    assert trend["periods"][-1]["datasets"] == 3
    averages = [row.select_one('td[data-series="average"]').get_text(strip=True) for row in rows]
    assert averages[0] == "60.0" and averages[-1] == "58.3"  # one decimal, always

    indicators = call_action("plusresilient_quality_indicators", context=anonymous())
    rows = figure(soup, "indicators").select("tbody tr")
    assert [(row["data-indicator"], int(row.select_one("td[data-failed]")["data-failed"]))
            for row in rows] == [("keywords", 2), ("temporal", 1)]
    assert [(i["key"], i["failed"]) for i in indicators["indicators"]] == [("keywords", 2), ("temporal", 1)]
    assert rows[0].th.get_text(strip=True) == "Keywords"
    assert rows[0].select_one('td[data-series="share"]')["data-value"] == "66.7"


def test_group_and_band_links_open_the_same_datasets_in_the_search(app, catalog):
    soup = page(app)
    italy = figure(soup, "bands-by-country").select_one('tr[data-key="IT"]')
    veneto = figure(soup, "bands-by-cluster").select_one('tr[data-key="svrc-veneto"]')
    region = figure(soup, "bands-by-region").select_one('tr[data-key="ITH3"]')

    links = {
        "country total": (italy.th.a["href"], {"vocab_country": ["IT"]}, 3),
        "country band": (italy.select_one('td[data-series="excellent"] a')["href"],
                         {"vocab_country": ["IT"], "plusresilient_quality_band": ["excellent"]}, 1),
        "region band": (region.select_one('td[data-series="good"] a')["href"],
                        {"vocab_region": ["ITH3"], "plusresilient_quality_band": ["good"]}, 1),
        "cluster band": (veneto.select_one('td[data-series="good"] a')["href"],
                         {"organization": ["svrc-veneto"], "plusresilient_quality_band": ["good"]}, 1),
    }
    for name, (href, query, found) in links.items():
        parts = urlsplit(href)
        assert parts.path == "/dataset/" and parse_qs(parts.query) == query, name
        results = BeautifulSoup(app.get(href).body, "html.parser").select("li.dataset-item")
        assert len(results) == found, name
    # zero and "not scored yet" are not links: there is nothing, or no field, to filter on
    assert italy.select_one('td[data-series="bad"] a') is None
    assert italy.select_one('td[data-series="not_scored"] a') is None


def test_the_page_narrows_to_a_country_or_a_cluster(app, catalog):
    spain = page(app, path="/quality?country=es")

    assert spain.select_one(".plusresilient-dashboard")["data-total"] == "1"
    assert band_rows(spain, "bands-by-country") == {"ES": counts(bad=1, label="Spain")}
    assert list(band_rows(spain, "bands-by-cluster")) == ["svrc-andalucia"]
    assert spain.select_one("#quality-filter-country option[selected]")["value"] == "ES"
    cluster_link = figure(spain, "bands-by-cluster").select_one('td[data-series="bad"] a')["href"]
    assert parse_qs(urlsplit(cluster_link).query) == {
        "vocab_country": ["ES"], "organization": ["svrc-andalucia"],
        "plusresilient_quality_band": ["bad"]}
    trend = figure(spain, "trend").select("tbody tr")
    assert int(trend[-1].select_one("td[data-datasets]")["data-datasets"]) == 1

    veneto = page(app, path="/quality?organization=svrc-veneto")
    assert veneto.select_one(".plusresilient-dashboard")["data-total"] == "3"
    assert list(band_rows(veneto, "bands-by-country")) == ["IT"]
    assert [(row["data-indicator"]) for row in figure(veneto, "indicators").select("tbody tr")] == [
        "keywords", "temporal"]

    nothing = page(app, path="/quality?country=FR")
    assert nothing.select_one(".plusresilient-dashboard-empty")
    assert nothing.select_one("#quality-filter-country")  # to widen it again


@pytest.mark.parametrize("query", ["country=XX", "organization=no-such-cluster"])
def test_an_unknown_filter_is_a_bad_request(app, catalog, query):
    answer = app.get(f"/quality?{query}")
    assert answer.status_code == 400


def test_the_page_counts_every_grouping_in_one_search(app, catalog, monkeypatch):
    """Four groupings by band used to be twenty searches per view."""
    from ckan.lib.search.query import PackageSearchQuery

    searches = []
    run = PackageSearchQuery.run

    def counted(self, query, *args, **kwargs):
        searches.append(query.get("fq"))
        return run(self, query, *args, **kwargs)

    monkeypatch.setattr(PackageSearchQuery, "run", counted)
    page(app)

    # the summaries' one search, the example report's and the late datasets'
    assert len(searches) == 3


def test_harvest_sources_are_named_and_linked(app, sysadmin_context):
    from ckan.lib import search
    from ckanext.harvest import model as harvest_model

    source = call_action("harvest_source_create", context=sysadmin_context, name="portal-x",
                         title="Portal X", url="https://portal.example.org", source_type="ckan")
    job = call_action("harvest_job_create", context=sysadmin_context, source_id=source["id"], run=False)
    dataset = SVRCDataset()
    _score(dataset, 95.0)
    harvest_model.HarvestObject(
        guid="x-1", job=harvest_model.HarvestJob.get(job["id"]),
        source=harvest_model.HarvestSource.get(source["id"]),
        package_id=dataset["id"], current=True).save()
    search.rebuild(dataset["id"])

    soup = page(app)

    assert band_rows(soup, "bands-by-source") == {
        source["id"]: counts(excellent=1, label="Portal X")}
    href = figure(soup, "bands-by-source").select_one('td[data-series="excellent"] a')["href"]
    assert parse_qs(urlsplit(href).query) == {"vocab_harvest_sources": [source["id"]],
                                              "plusresilient_quality_band": ["excellent"]}
    results = BeautifulSoup(app.get(href).body, "html.parser").select("li.dataset-item")
    assert len(results) == 1


# -- privacy ----------------------------------------------------------------------------

def test_private_data_is_absent_for_anonymous_visitors_and_outsiders(app, catalog):
    outsider = factories.User(password=PASSWORD)
    anonymous = page(app)
    stranger = page(app, outsider)

    for soup in (anonymous, stranger):
        text = str(soup)
        assert "SI" not in band_rows(soup, "bands-by-country")
        assert "SI04" not in band_rows(soup, "bands-by-region")
        assert "svrc-ljubljana" not in text and "SVRC Ljubljana" not in text and "Slovenia" not in text
        assert [row["data-indicator"] for row in figure(soup, "indicators").select("tbody tr")] == [
            "keywords", "temporal"]
        periods = figure(soup, "trend").select("tbody tr")
        assert periods[0]["data-period"] == (NOW - datetime.timedelta(days=2)).date().isoformat()
        assert soup.select_one(".plusresilient-dashboard")["data-total"] == "4"
    assert band_rows(anonymous, "bands-by-cluster") == band_rows(stranger, "bands-by-cluster")


def test_a_member_sees_the_private_datasets_of_the_cluster(app, catalog, member):
    soup = page(app, member)

    assert band_rows(soup, "bands-by-country")["SI"] == counts(bad=1, label="Slovenia")
    assert band_rows(soup, "bands-by-cluster")["svrc-ljubljana"]["label"] == "SVRC Ljubljana"
    assert "licence" in [row["data-indicator"] for row in figure(soup, "indicators").select("tbody tr")]
    first = figure(soup, "trend").select("tbody tr")[0]
    assert first["data-period"] == (NOW - datetime.timedelta(days=9)).date().isoformat()
    assert first.select_one('td[data-series="bad"]')["data-value"] == "1"


def test_group_labels_are_escaped(app):
    cluster = Cluster(name="svrc-escape", title='<script>alert("x")</script> Cluster')
    _score(SVRCDataset(owner_org=cluster["id"]), 60.0)

    body = app.get("/quality").body

    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;alert" in body


# -- charts and assets ------------------------------------------------------------------

def test_every_chart_follows_the_contract(app, catalog):
    soup = page(app)
    figures = soup.select("figure.plusresilient-chart")

    assert {f["data-chart"] for f in figures} == CHARTS - {"bands-by-source"}  # nothing harvested
    for item in figures:
        assert item["data-module"] == "plusresilient-chart"
        assert item["data-module-kind"] in KINDS
        assert item.figcaption.get_text(strip=True)
        canvas = item.find("canvas", recursive=False)
        assert canvas["role"] == "img" and canvas["aria-label"].strip()
        table = item.find("table", recursive=False)
        assert "table" in table["class"] and table.select("tbody tr")
        series = [head["data-series"] for head in table.select("thead th[data-series]")]
        assert series and all(table.select(f'tbody td[data-series="{key}"]') for key in series)
    kinds = {f["data-chart"]: f["data-module-kind"] for f in figures}
    assert kinds == {"bands-by-country": "stacked-bar", "bands-by-region": "stacked-bar",
                     "bands-by-cluster": "stacked-bar", "trend": "line", "indicators": "bar"}
    assert "bands-by-source" not in str(soup) and "No dataset was harvested yet." in str(soup)


def test_the_bundles_are_included_and_served(app, catalog):
    body = app.get("/quality").body
    scripts = re.findall(r'<script src="(/webassets/plusresilient/[^"]+)"', body)
    styles = re.findall(r'<link href="(/webassets/plusresilient/[^"]+)" rel="stylesheet"', body)

    assert [s.rsplit("_", 1)[1] for s in scripts] == ["chart.js", "dashboard.js"]
    assert sorted(s.rsplit("_", 1)[1] for s in styles) == ["dashboard.css", "quality.css"]
    chart, module = (app.get(url) for url in scripts)
    assert chart.status_code == 200 and module.status_code == 200
    assert "Chart.js v4.6.1" in chart.body and "window.Chart" in chart.body
    assert 'ckan.module("plusresilient-chart"' in module.body and "data-rendered" in module.body
    for url in styles:
        answer = app.get(url)
        assert answer.status_code == 200
    assert "--plusresilient-band-excellent" in app.get(
        next(url for url in styles if url.endswith("quality.css"))).body
    # CKAN's own modules load first: ours needs ckan.module
    assert body.index("_main.js") < body.index(scripts[1])


def test_an_empty_catalog_says_so_and_draws_nothing(app):
    body = app.get("/quality").body
    soup = BeautifulSoup(body, "html.parser")

    assert soup.select_one(".plusresilient-dashboard-empty")
    assert not soup.select("figure") and not soup.select("canvas")
    assert "_dashboard.js" not in body


def test_a_catalog_never_scored_draws_no_empty_trend(app):
    SVRCDataset(country="IT")

    soup = page(app)

    assert band_rows(soup, "bands-by-country") == {"IT": counts(not_scored=1, label="Italy")}
    assert not soup.select('figure[data-chart="trend"]')
    assert not soup.select('figure[data-chart="indicators"]')
    assert soup.select_one("#quality-trend .empty") and soup.select_one("#quality-indicators .empty")


def test_the_page_speaks_the_visitor_language(app, catalog):
    soup = page(app, path="/it/quality")

    heads = [head.get_text(strip=True) for head in
             figure(soup, "bands-by-country").select("thead th[data-series]")]
    assert heads[0] == "Eccellente"
    assert band_rows(soup, "bands-by-country")["IT"]["label"] == "Italia"
    first_period = figure(soup, "trend").select_one("tbody tr")
    assert first_period.select_one('td[data-series="average"]').get_text(strip=True) == "60,0"


# -- late datasets ------------------------------------------------------------------------

@pytest.fixture
def late_catalog(member):
    """Late: one public dataset in Veneto (IT), one in Andalucía (ES), one
    private in a cluster only ``member`` belongs to; not late: an up-to-date
    one and one without a schedule. Each scored for real."""
    veneto = Cluster(name="svrc-veneto", title="SVRC Veneto")
    andalucia = Cluster(name="svrc-andalucia", title="SVRC Andalucía", country="ES", region="ES61")
    hidden = Cluster(name="svrc-ljubljana", title="SVRC Ljubljana", country="SI", region="SI04",
                     users=[{"name": member["name"], "capacity": "member"}])
    datasets = {
        "late-it": SVRCDataset(name="late-it", owner_org=veneto["id"], frequency="MONTHLY",
                               modified="2020-01-15"),
        "later-es": SVRCDataset(name="later-es", owner_org=andalucia["id"], country="ES",
                                frequency="ANNUAL", modified="2018"),
        "late-secret": SVRCDataset(name="late-secret", owner_org=hidden["id"], country="SI",
                                   private=True, frequency="WEEKLY", modified="2021-05-03"),
        "fresh": SVRCDataset(name="fresh", owner_org=veneto["id"], frequency="ANNUAL",
                             modified=str(NOW.year)),
        "no-schedule": SVRCDataset(name="no-schedule", owner_org=veneto["id"]),
    }
    for dataset in datasets.values():
        quality.score_dataset(dataset["id"], with_links=False, with_data=False)
    return datasets


def late_rows(soup):
    return [row["data-dataset"] for row in soup.select("#quality-late tbody tr")]


def test_late_datasets_are_listed_most_overdue_first_as_the_visitor_may_see_them(app, late_catalog, member):
    anonymous_page = page(app)
    assert anonymous_page.select_one("#quality-late")["data-late"] == "2"
    assert late_rows(anonymous_page) == ["later-es", "late-it"]  # due end of 2019, then Feb 2020
    row = anonymous_page.select_one('#quality-late tr[data-dataset="late-it"]')
    assert row.select_one("td[data-expected-by]")["data-expected-by"] == "2020-02-15T23:59:59+00:00"
    assert "Monthly" in row.get_text() and "SVRC Veneto" in row.get_text()
    assert row.a["href"] == "/dataset/late-it/quality"

    member_page = page(app, member)
    assert late_rows(member_page) == ["later-es", "late-it", "late-secret"]


def test_the_late_list_follows_the_page_filters_and_links_to_the_same_search(app, late_catalog):
    soup = page(app, path="/quality?country=IT")
    assert late_rows(soup) == ["late-it"]
    link = soup.select_one("#quality-late a.plusresilient-late-search")["href"]
    assert parse_qs(urlsplit(link).query) == {"vocab_country": ["IT"], "plusresilient_freshness": ["late"]}
    assert "late-it" in app.get(link).body and "later-es" not in app.get(link).body


def test_no_late_dataset_says_so(app, catalog):
    soup = page(app)
    assert soup.select_one("#quality-late")["data-late"] == "0"
    assert soup.select_one("#quality-late .empty")
