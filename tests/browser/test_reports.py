"""The downloadable quality reports in a browser: a visitor opens the
dashboard's Download menu, saves a table as CSV, and the file holds the rows
the page's table shows; a cluster's page downloads its datasets."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from ckanext.plusresilient.scoring.dataset import score_dataset
from tests.browser.people import cluster
from tests.factories import SVRCDataset

RICH = {"tags": [{"name": "care"}, {"name": "elderly"}], "theme": ["SOCI"], "language": ["it"],
        "frequency": "ANNUAL", "access_rights": "PUBLIC", "temporal_start": "2020",
        "temporal_end": "2024",
        "resources": [{"name": "Data", "url": "https://data.example.org/data.csv", "format": "CSV",
                       "mimetype": "text/csv"}]}


def _catalog() -> dict[str, str]:
    """Two clusters in two countries, datasets from sparse to rich metadata
    (different bands), one not scored; a title Excel would run as a formula."""
    veneto = cluster(title="Veneto social cluster", name="veneto")
    andalusia = cluster(title="Clúster social de Andalucía", country="ES", region="ES61")
    datasets = [
        SVRCDataset(owner_org=veneto["id"], country="IT", region="ITH3", title="Care homes", **RICH),
        SVRCDataset(owner_org=veneto["id"], country="IT", region="ITC4", title="=1+1 jobs"),
        SVRCDataset(owner_org=andalusia["id"], country="ES", region="ES61", **RICH),
    ]
    for dataset in datasets:
        score_dataset(dataset["id"], with_links=False, with_data=False)
    SVRCDataset(owner_org=andalusia["id"], country="ES")
    return {"veneto": veneto["name"]}


def _rows(table: Locator) -> list[list[str]]:
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]


def _download(page: Page, link: Locator) -> tuple[str, list[list[str]]]:
    """Click the link as a person would; the saved file's name and rows."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would garble the labels"
    return download.suggested_filename, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_downloaded_csv_holds_the_rows_of_the_table_on_the_page(page: Page):
    _catalog()
    page.goto("/quality?country=IT")

    page.locator("details.plusresilient-downloads summary", has_text="Download").click()
    name, rows = _download(page, page.get_by_role("link", name="By cluster (CSV)"))

    assert name.startswith("quality-by-cluster-IT-") and name.endswith(".csv")
    table = page.locator('figure[data-chart="bands-by-cluster"] table')
    heads = [head.strip() for head in table.locator("thead th").all_inner_texts()]
    assert rows[0][1:] == heads
    assert [row[1:] for row in rows[1:]] == _rows(table) != []

    expect(page.locator("details.plusresilient-downloads")).to_have_attribute("open", "")  # still open
    _, trend = _download(page, page.get_by_role("link", name="Over time (CSV)"))
    shown = _rows(page.locator('figure[data-chart="trend"] table'))
    assert [[row[0], *row[3:]] for row in trend[1:]] == shown != []


def test_a_cluster_page_downloads_its_datasets(page: Page):
    names = _catalog()
    page.goto(f"/organization/{names['veneto']}")

    name, rows = _download(page, page.get_by_role("link", name="Download (CSV)"))

    assert name.startswith(f"quality-{names['veneto']}-")
    titles = sorted(row[1] for row in rows[1:])
    assert titles == ["'=1+1 jobs", "Care homes"]  # the formula is text
    expect(page.get_by_role("link", name="JSON")).to_have_attribute(
        "href", f"/quality/cluster/{names['veneto']}/datasets.json")
