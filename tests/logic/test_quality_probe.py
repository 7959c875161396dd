"""What a probe of the demo portal found in the quality checks, on the real stack.

An editor of one cluster pointed a resource at the portal's own Solr, declared
its columns as integers, pressed "Check again", and the public report quoted
another cluster's private titles in its type errors; a resource server that
sends four bytes and then nothing held a waiting refresh for minutes.
"""
from __future__ import annotations

import json
import time
from urllib.parse import urlsplit, urlunsplit

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset
from tests.forms import PASSWORD, login
from tests.quality.servers import csv_bytes, server  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

INTEGERS = {"fields": [{"name": "title", "type": "integer"}, {"name": "notes", "type": "integer"}]}
SECRET = "SECRET merger of the Veneto cooperatives"


ANONYMOUS = {"user": "", "ignore_auth": False}


def as_user(user) -> dict:
    return {"user": user["name"], "ignore_auth": False}


@pytest.fixture
def clusters():
    """Cluster A with a private dataset; an editor of cluster B; a member of B."""
    editor_a, editor_b, member_b = (factories.User(password=PASSWORD) for _ in range(3))
    cluster_a = Cluster(users=[{"name": editor_a["name"], "capacity": "editor"}])
    cluster_b = Cluster(users=[{"name": editor_b["name"], "capacity": "editor"},
                               {"name": member_b["name"], "capacity": "member"}])
    SVRCDataset(owner_org=cluster_a["id"], private=True, title=SECRET,
                notes="Confidential: the board votes in March.")
    return {"cluster_b": cluster_b, "editor_b": editor_b, "member_b": member_b,
            "outsider": factories.User()}


def solr_select(host: str) -> str:
    """Solr's CSV answer to a query for the private titles, at ``host``."""
    solr = urlsplit(tk.config["solr_url"])
    return urlunsplit(solr._replace(
        netloc=f"{host}:{solr.port}", path=solr.path.rstrip("/") + "/select",
        query="q=title:SECRET*&fl=title,notes&wt=csv"))


def test_the_data_check_cannot_read_the_portals_own_solr(server, clusters):
    """However the address is spelled, Solr's port is not the imitation
    server's, which is all the test configuration allows."""
    server.serve("/fine.csv", csv_bytes([("id", "city"), (1, "Bari")]))
    hosts = ["127.0.0.1", "2130706433", "127.1", "0x7f000001", "localhost"]
    resources = [{"name": f"Via {host}", "url": solr_select(host), "format": "CSV",
                  "schema": json.dumps(INTEGERS)} for host in hosts]
    resources.append({"name": "Allowed", "url": server.url("/fine.csv"), "format": "CSV"})
    dataset = SVRCDataset(owner_org=clusters["cluster_b"]["id"], resources=resources)

    result = call_action("plusresilient_quality_refresh", context=as_user(clusters["editor_b"]),
                         id=dataset["id"], wait=True)

    reports = {item["name"]: item["report"] for item in result["data"]["resources"]}
    for host in hosts:
        assert reports[f"Via {host}"]["kind"] == "blocked", host
        assert f"port {urlsplit(tk.config['solr_url']).port}" in reports[f"Via {host}"]["message"]
    assert reports["Allowed"]["status"] == "valid"
    published = json.dumps(call_action("plusresilient_quality_show", context=ANONYMOUS,
                                       id=dataset["id"]))
    assert "merger of the Veneto" not in published and "Confidential" not in published


@pytest.fixture
def invalid_cells(server, clusters):
    """A public dataset whose file has cell values that break its Table Schema."""
    server.serve("/register.csv", csv_bytes([("title", "notes"), ("Confidential plan", 1),
                                             (2, "Board minutes")]))
    dataset = SVRCDataset(owner_org=clusters["cluster_b"]["id"], resources=[{
        "name": "Register", "url": server.url("/register.csv"), "format": "CSV",
        "schema": json.dumps(INTEGERS)}])
    call_action("plusresilient_quality_refresh", context=as_user(clusters["editor_b"]),
                id=dataset["id"], wait=True)
    return dataset


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member_b"])
def test_cell_values_are_quoted_only_to_the_datasets_editors(invalid_cells, clusters, who):
    context = dict(ANONYMOUS) if who == "anonymous" else as_user(clusters[who])

    shown = call_action("plusresilient_quality_show", context=context, id=invalid_cells["id"])

    report = shown["data"]["resources"][0]["report"]
    assert report["status"] == "invalid"
    assert report["error_count"] == 2 and report["errors_by_type"] == {"type-error": 2}
    assert report["first_errors"] == [] and report["details_hidden"] is True
    text = json.dumps(shown)
    assert "Confidential" not in text and "Board minutes" not in text


def test_the_editors_see_the_cells(invalid_cells, clusters):
    shown = call_action("plusresilient_quality_show", context=as_user(clusters["editor_b"]),
                        id=invalid_cells["id"])

    report = shown["data"]["resources"][0]["report"]
    assert report["details_hidden"] is False
    assert any("Confidential plan" in error["message"] for error in report["first_errors"])


def test_the_report_page_shows_cells_to_editors_only(app, invalid_cells, clusters):
    url = f"/dataset/{invalid_cells['name']}/quality"

    public = app.get(url).body
    assert "type-error" in public and "Confidential plan" not in public
    assert "plusresilient-quality-details-hidden" in public

    login(app, clusters["editor_b"])
    own = app.get(url).body
    assert "Confidential plan" in own and "plusresilient-quality-details-hidden" not in own


@pytest.mark.ckan_config("ckanext.plusresilient.quality.refresh_wait_seconds", "3")
@pytest.mark.ckan_config("ckanext.plusresilient.http.retries", 2)
def test_a_waiting_refresh_answers_within_its_bound(server, clusters):
    """Two stalled resources once held a waiting refresh for 247 s."""
    resources = [{"name": name, "url": server.stall(f"/{name}.csv"),
                  "format": "CSV"} for name in ("first", "second")]
    dataset = SVRCDataset(owner_org=clusters["cluster_b"]["id"], resources=resources)

    started = time.monotonic()
    result = call_action("plusresilient_quality_refresh", context=as_user(clusters["editor_b"]),
                         id=dataset["id"], wait=True)
    elapsed = time.monotonic() - started

    assert elapsed < 3 + 1.5
    assert result["status"] == "scored"
    kinds = [item["report"]["kind"] for item in result["data"]["resources"]]
    assert kinds == ["timeout", "timeout"]
