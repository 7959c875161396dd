"""Table previews: what the data check read goes into the real DataStore, with
CKAN's table view, and nothing else does.

The files are served by loopback servers (tests/quality/servers.py); the
DataStore is the stack's second PostgreSQL database, read through
``datastore_search`` as CKAN's read-only user.
"""
from __future__ import annotations

import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests.helpers import call_action

from ckanext.plusresilient.scoring import dataset as quality
from ckan.tests.factories import User

from tests.factories import Cluster, SVRCDataset
from tests.quality.servers import csv_bytes, server, unlisted_server, xlsx_bytes  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

CITIES = [("id", "city", "population"), (1, "Bari", 316000), (2, "Λάρισα", 148000),
          (3, "Пловдив", 340000)]


def dataset_with(url: str, fmt: str = "CSV", **changes) -> dict:
    fields = dict(owner_org=Cluster()["id"],
                  resources=[{"name": "Cities", "url": url, "format": fmt}])
    fields.update(changes)
    return SVRCDataset(**fields)


def rows(resource_id: str, user: str | None = None) -> list[tuple]:
    context = {"ignore_auth": True} if user is None else {"user": user, "ignore_auth": False}
    result = call_action("datastore_search", context, resource_id=resource_id, sort="_id")
    return [tuple(str(record[f["id"]]) for f in result["fields"] if f["id"] != "_id")
            for record in result["records"]]


def view_types(resource_id: str) -> list[str]:
    return [v["view_type"] for v in call_action("resource_view_list", id=resource_id)]


def preview_of(result: dict) -> dict:
    return result["data"]["resources"][0]["preview"]


def test_a_checked_csv_is_loaded_with_its_table_view_and_no_new_version(server):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))
    resource_id = dataset["resources"][0]["id"]
    before = model.Package.get(dataset["id"]).metadata_modified
    activities = call_action("package_activity_list", id=dataset["id"])

    result = quality.score_dataset(dataset["id"])

    assert preview_of(result)["status"] == "loaded" and preview_of(result)["rows"] == 3
    assert rows(resource_id) == [("1", "Bari", "316000"), ("2", "Λάρισα", "148000"),
                                 ("3", "Пловдив", "340000")]
    assert "datatables_view" in view_types(resource_id)
    assert call_action("resource_show", id=resource_id)["datastore_active"] is True
    model.Session.remove()
    # a preview is no change by the publisher: no version, no activity, same date
    assert model.Package.get(dataset["id"]).metadata_modified == before
    assert call_action("package_activity_list", id=dataset["id"]) == activities
    # and the search index carries the flag the table view needs
    (found,) = call_action("package_search", q=f"id:{dataset['id']}")["results"]
    assert found["resources"][0]["datastore_active"] is True


def test_an_unchanged_file_is_not_loaded_again_and_a_changed_one_is(server):
    url = server.serve("/cities.csv", csv_bytes(CITIES))
    dataset = dataset_with(url)
    resource_id = dataset["resources"][0]["id"]
    first = preview_of(quality.score_dataset(dataset["id"]))

    again = preview_of(quality.score_dataset(dataset["id"]))
    assert again["status"] == "unchanged" and again["sha256"] == first["sha256"]
    assert view_types(resource_id).count("datatables_view") == 1

    server.serve("/cities.csv", csv_bytes(CITIES[:2]))
    changed = preview_of(quality.score_dataset(dataset["id"]))
    assert changed["status"] == "loaded" and changed["rows"] == 1
    assert rows(resource_id) == [("1", "Bari", "316000")]


def test_a_table_with_errors_is_previewed_beside_its_check(server):
    ragged = list(CITIES) + [(4, "Split")]  # a row with a missing cell
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(ragged)))

    result = quality.score_dataset(dataset["id"])

    item = result["data"]["resources"][0]
    assert item["report"]["status"] == "invalid"
    assert item["preview"]["status"] == "loaded" and item["preview"]["rows"] == 4


def test_an_xlsx_workbook_is_previewed(server):
    url = server.serve("/cities.xlsx", xlsx_bytes(CITIES),
                       content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    dataset = dataset_with(url, fmt="XLSX")

    assert preview_of(quality.score_dataset(dataset["id"]))["status"] == "loaded"
    assert [r[1] for r in rows(dataset["resources"][0]["id"])] == ["Bari", "Λάρισα", "Пловдив"]


def test_a_file_that_is_no_longer_a_table_loses_its_preview(server):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))
    resource_id = dataset["resources"][0]["id"]
    quality.score_dataset(dataset["id"])

    server.serve("/cities.csv", b"<!DOCTYPE html><html><body>Moved</body></html>",
                 content_type="text/html")
    result = quality.score_dataset(dataset["id"])

    assert preview_of(result) == {"status": "not_loaded", "reason": "not_a_table"}
    with pytest.raises(tk.ObjectNotFound):
        call_action("datastore_info", id=resource_id)
    assert call_action("resource_show", id=resource_id)["datastore_active"] is False


def test_a_source_that_does_not_answer_keeps_the_preview(server):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))
    resource_id = dataset["resources"][0]["id"]
    loaded = preview_of(quality.score_dataset(dataset["id"]))

    server.routes["/cities.csv"] = lambda handler: handler.reply(503, b"busy", "text/plain", ())
    result = quality.score_dataset(dataset["id"])

    assert result["data"]["resources"][0]["report"]["status"] == "error"
    assert preview_of(result) == loaded
    assert len(rows(resource_id)) == 3


@pytest.mark.ckan_config("ckanext.plusresilient.preview.max_bytes", "40")
def test_a_file_over_the_preview_limit_is_checked_but_not_loaded(server):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))

    result = quality.score_dataset(dataset["id"])

    assert result["data"]["resources"][0]["report"]["status"] == "valid"
    assert preview_of(result) == {"status": "not_loaded", "reason": "too_large"}
    with pytest.raises(tk.ObjectNotFound):
        call_action("datastore_info", id=dataset["resources"][0]["id"])


def test_a_private_address_is_never_loaded(unlisted_server):
    dataset = dataset_with(unlisted_server.serve("/cities.csv", csv_bytes(CITIES)))

    result = quality.score_dataset(dataset["id"])

    assert result["data"]["resources"][0]["report"]["kind"] == "blocked"
    assert preview_of(result) is None
    assert unlisted_server.count("/cities.csv") == 0
    with pytest.raises(tk.ObjectNotFound):
        call_action("datastore_info", id=dataset["resources"][0]["id"])


def test_a_private_datasets_rows_are_read_only_by_its_members(server):
    owner = User()
    cluster = Cluster(users=[{"name": owner["name"], "capacity": "editor"}])
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)),
                           owner_org=cluster["id"], private=True)
    resource_id = dataset["resources"][0]["id"]
    quality.score_dataset(dataset["id"])

    assert len(rows(resource_id, user=owner["name"])) == 3
    with pytest.raises(tk.NotAuthorized):
        rows(resource_id, user=User()["name"])


def test_the_publishers_own_datastore_table_is_never_touched(server):
    dataset = SVRCDataset(owner_org=Cluster()["id"], resources=[{
        "name": "Cities", "url": server.serve("/cities.csv", csv_bytes(CITIES)), "format": "CSV",
        "url_type": "datastore"}])
    resource_id = dataset["resources"][0]["id"]
    site_user = call_action("get_site_user")["name"]
    call_action("datastore_create", {"user": site_user}, resource_id=resource_id, force=True,
                fields=[{"id": "note", "type": "text"}], records=[{"note": "kept"}])

    result = quality.score_dataset(dataset["id"])

    assert preview_of(result) is None
    assert rows(resource_id) == [("kept",)]


@pytest.mark.ckan_config("ckanext.plusresilient.preview.enabled", "false")
def test_previews_can_be_turned_off(server):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))

    assert preview_of(quality.score_dataset(dataset["id"])) is None
    with pytest.raises(tk.ObjectNotFound):
        call_action("datastore_info", id=dataset["resources"][0]["id"])


def test_the_quality_report_leads_to_the_table_and_the_resource_page_shows_the_check(server, app):
    dataset = dataset_with(server.serve("/cities.csv", csv_bytes(CITIES)))
    resource_id = dataset["resources"][0]["id"]
    quality.score_dataset(dataset["id"])

    report = app.get(f"/dataset/{dataset['name']}/quality").body
    assert f'href="/dataset/{dataset["name"]}/resource/{resource_id}">See the table</a>' in report
    page = app.get(f"/dataset/{dataset['name']}/resource/{resource_id}").body
    assert 'class="plusresilient-resource-check alert alert-success" data-status="valid" ' \
           'data-preview="loaded"' in page
    assert "3 rows read" in page
