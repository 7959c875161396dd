"""A tabular resource's page in a browser: the table preview (CKAN's
DataStore and datatables_view) shows the rows the data check read, with the
check's verdict above it."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from ckanext.plusresilient.scoring.dataset import score_dataset
from tests.factories import Cluster, SVRCDataset
from tests.quality.servers import csv_bytes, server  # noqa: F401 - fixture

ROWS = [("cooperative", "city", "members"), ("Lavoro e Solidarietà", "Bari", 42),
        ("Κοινωνική Σύμπραξη", "Λάρισα", 17), ("Социално предприятие", "Пловдив", 9)]


def test_the_resource_page_previews_the_checked_table(page: Page, server):
    dataset = SVRCDataset(owner_org=Cluster()["id"], resources=[{
        "name": "Social cooperatives", "format": "CSV",
        "url": server.serve("/cooperatives.csv", csv_bytes(ROWS))}])
    resource = dataset["resources"][0]
    assert score_dataset(dataset["id"])["data"]["resources"][0]["preview"]["status"] == "loaded"

    page.goto(f"/dataset/{dataset['name']}/resource/{resource['id']}")

    check = page.locator(".plusresilient-resource-check")
    expect(check).to_have_attribute("data-status", "valid")
    expect(check).to_contain_text("3 rows read")
    table = page.frame_locator("iframe").locator("table.dataTable tbody")
    for name, city, members in ROWS[1:]:
        row = table.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text(city)
        expect(row).to_contain_text(str(members))
