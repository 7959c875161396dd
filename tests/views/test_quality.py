"""The quality badge and report pages, rendered by the real app from annotations
scored on the real stack (resources served on loopback)."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset
from tests.forms import PASSWORD, csrf_token, login
from tests.quality.servers import csv_bytes, server  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SCHEMA = '{"fields": [{"name": "id", "type": "integer"}, {"name": "city", "type": "string"}]}'


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


def _scored(sysadmin, **fields):
    dataset = SVRCDataset(**fields)
    call_action("plusresilient_quality_refresh", {"user": sysadmin["name"]}, id=dataset["id"], wait=True)
    return dataset


def _bad_csv_dataset(server, sysadmin, **fields):
    server.serve("/cities.csv", csv_bytes([("id", "city"), (1, "Bari"), ("two", "Lecce"), (3, "Taranto")]))
    return _scored(sysadmin, resources=[{"name": "Cities", "url": server.url("/cities.csv"),
                                          "format": "CSV", "schema": SCHEMA}], **fields)


def test_the_dataset_page_shows_the_band_and_links_to_the_report(app, server, sysadmin):
    dataset = _bad_csv_dataset(server, sysadmin)
    band = call_action("plusresilient_quality_show", id=dataset["id"])["overall"]["band"]

    page = app.get(f"/dataset/{dataset['name']}").body

    assert f'data-band="{band}"' in page
    assert f'href="/dataset/{dataset["name"]}/quality"' in page


def test_an_unscored_dataset_says_so(app):
    dataset = SVRCDataset()

    page = app.get(f"/dataset/{dataset['name']}").body
    report = app.get(f"/dataset/{dataset['name']}/quality").body

    assert "Not scored yet" in page
    assert 'data-status="not_scored"' in report


def test_the_report_lists_every_indicator_with_a_fix_and_the_validation_errors(app, server, sysadmin):
    dataset = _bad_csv_dataset(server, sysadmin)

    page = app.get(f"/dataset/{dataset['name']}/quality").body

    assert len(re.findall(r'data-indicator="[a-z_]+"', page)) == 23
    assert page.count('data-dimension="') == 5
    assert 'data-status="invalid"' in page  # the resource
    assert "type-error" in page
    # a failing indicator says what to do, e.g. the missing temporal coverage
    temporal = page.split('data-indicator="temporal"', 1)[1].split("</tr>", 1)[0]
    assert 'data-passed="false"' in temporal and "Set the start or the end" in temporal


def test_search_results_carry_the_badge(app, server, sysadmin):
    _bad_csv_dataset(server, sysadmin, title="Cooperative sociali")

    page = app.get("/dataset/").body

    assert "plusresilient-quality-badge" in page


def test_a_private_datasets_report_is_not_found_for_outsiders(app, server, sysadmin):
    cluster = Cluster()
    dataset = _bad_csv_dataset(server, sysadmin, owner_org=cluster["id"], private=True)
    outsider = factories.UserWithToken()

    assert app.get(f"/dataset/{dataset['id']}/quality", status=404)
    assert app.get(f"/dataset/{dataset['id']}/quality", status=404,
                   headers={"Authorization": outsider["token"]})
    listing = app.get("/dataset/").body
    assert dataset["name"] not in listing


def test_script_in_a_resource_name_stays_escaped(app, server, sysadmin):
    server.serve("/x.csv", csv_bytes([("id", "city"), (1, "Bari")]))
    dataset = _scored(sysadmin, resources=[{"name": "<script>alert('x')</script>", "url": server.url("/x.csv"),
                                            "format": "CSV"}])

    page = app.get(f"/dataset/{dataset['name']}/quality").body

    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;" in page


def test_only_editors_see_and_use_the_check_again_button(app, server, sysadmin):
    cluster = Cluster()
    editor = factories.UserWithToken()
    member = factories.UserWithToken()
    call_action("organization_member_create", {"user": sysadmin["name"]}, id=cluster["id"],
                username=editor["name"], role="editor")
    call_action("organization_member_create", {"user": sysadmin["name"]}, id=cluster["id"],
                username=member["name"], role="member")
    dataset = _bad_csv_dataset(server, sysadmin, owner_org=cluster["id"])
    url = f"/dataset/{dataset['name']}/quality"

    assert "Check again" in app.get(url, headers={"Authorization": editor["token"]}).body
    assert "Check again" not in app.get(url, headers={"Authorization": member["token"]}).body
    app.post(url + "/refresh", headers={"Authorization": member["token"]}, status=403)
    app.post(url + "/refresh", headers={"Authorization": editor["token"]}, status=302,
             follow_redirects=False)


def test_check_again_without_the_csrf_token_is_refused_to_a_logged_in_editor(app, server, sysadmin):
    """CKAN exempts a view from its CSRF check for good once an anonymous or
    API-token caller posts to it; our forms check the token again for
    browsers logged in by session."""
    cluster = Cluster()
    editor = factories.User(password=PASSWORD)
    call_action("organization_member_create", {"user": sysadmin["name"]}, id=cluster["id"],
                username=editor["name"], role="editor")
    dataset = _bad_csv_dataset(server, sysadmin, owner_org=cluster["id"])
    url = f"/dataset/{dataset['name']}/quality"
    app.post(url + "/refresh", status=403)  # anonymous: CKAN exempts the view from now on
    login(app, editor)

    assert app.post(url + "/refresh", data={}, follow_redirects=False).status_code == 400
    token = csrf_token(app.get(url).body)
    assert app.post(url + "/refresh", data={"_csrf_token": token}, follow_redirects=False).status_code == 302


def test_a_page_of_results_reads_its_badges_in_one_query(app, sysadmin):
    """Each badge used to go through plusresilient_quality_show: an auth check
    and a report read per result (20 on a full page)."""
    import sqlalchemy as sa
    from ckan import model

    scored = [_scored(sysadmin, title=f"Scored dataset {number}") for number in range(4)]
    SVRCDataset(title="Never scored")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "plusresilient_quality" in statement:
            statements.append(statement)

    sa.event.listen(model.meta.engine, "before_cursor_execute", count)
    try:
        page = app.get("/dataset/").body
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", count)

    assert len(statements) == 1, statements
    for dataset in scored:
        shown = call_action("plusresilient_quality_show", id=dataset["id"])
        link = f'href="/dataset/{dataset["name"]}/quality"'
        badge = page.split(link, 1)[1].split("</a>", 1)[0]
        assert f'data-band="{shown["overall"]["band"]}"' in badge
        assert f'{round(shown["overall"]["score"])}/100' in badge
    assert page.count("plusresilient-quality-badge") == 4  # none for the unscored one


def test_the_dataset_page_and_the_report_say_how_fresh_the_dataset_is(app, sysadmin):
    late = _scored(sysadmin, frequency="MONTHLY", modified="2020-01-15")
    unknown = _scored(sysadmin)

    badge = BeautifulSoup(app.get(f"/dataset/{late['name']}").body, "html.parser").select_one(
        ".plusresilient-quality-summary .plusresilient-freshness-badge")
    assert badge["data-freshness"] == "late"
    assert badge.get_text(" ", strip=True) == "Freshness: Late"
    assert badge["href"] == f"/dataset/{late['name']}/quality#quality-freshness"

    report = BeautifulSoup(app.get(f"/dataset/{late['name']}/quality").body, "html.parser")
    section = report.select_one("#quality-freshness")
    assert section["data-freshness"] == "late"
    assert section.select_one("[data-frequency]").get_text(strip=True) == "Monthly"
    assert section.select_one("[data-expected-by]")["data-expected-by"] == "2020-02-15T23:59:59+00:00"
    assert section.select_one("[data-expected-by]").get_text(strip=True) == "February 15, 2020"
    assert "the modification date the dataset declares" in section.get_text()
    assert "none has come" in section.get_text()
    component = report.select_one('tr[data-component="freshness"]')
    assert component.th.get_text(strip=True) == "Freshness"
    assert component.td.get_text(strip=True) == "0/100"

    report = BeautifulSoup(app.get(f"/dataset/{unknown['name']}/quality").body, "html.parser")
    assert report.select_one("#quality-freshness")["data-freshness"] == "unknown"
    assert "No update frequency is declared" in report.select_one("#quality-freshness").get_text()
    assert report.select_one('tr[data-component="freshness"] td').get_text(strip=True) == "not applicable"
