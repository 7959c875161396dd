"""The home page's blocks for the four platform functions, with live figures
counted as the visitor may see them."""
from __future__ import annotations

import re

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckan.lib.search import rebuild

from ckanext.harvest import model as harvest_model
from ckanext.plusresilient import portals
from ckanext.plusresilient.scoring.dataset import score_dataset

from tests.factories import Cluster, SVRCDataset, Training, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def blocks(body: str) -> dict[str, str]:
    """Each block's text by its function, tags removed."""
    found = re.findall(r'<article class="card h-100 plusresilient-function" data-function="([^"]+)">(.*?)</article>',
                       body, re.S)
    return {key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip() for key, html in found}


def test_four_blocks_link_to_their_pages_in_the_study_order(app):
    body = app.get("/").body
    found = re.findall(r'data-function="([^"]+)"', body)
    assert found == ["quality", "portals", "training", "use-cases"]
    for path in ('href="/quality"', 'href="/portals"', 'href="/training/"', 'href="/use-cases"'):
        assert path in body


def test_blocks_count_what_the_visitor_may_see(app):
    cluster = Cluster()
    member = factories.User()
    call_action("organization_member_create", id=cluster["id"], username=member["name"], role="member")
    public = SVRCDataset(owner_org=cluster["id"], license_id="cc-by")
    SVRCDataset(owner_org=cluster["id"], private=True)
    Training(owner_org=cluster["id"])
    Training(owner_org=cluster["id"])
    UseCase(owner_org=cluster["id"], private=True)
    score_dataset(public["id"], with_links=False, with_data=False)

    anonymous = blocks(app.get("/").body)
    assert "2 training items" in anonymous["training"]
    assert "0 use cases" in anonymous["use-cases"]
    assert re.search(r"1 dataset scored, \d+% good or excellent", anonymous["quality"])
    shipped = portals.load()
    assert (f"{len(shipped)} portals in {len({p.country for p in shipped})} countries, "
            "0 datasets harvested") in anonymous["portals"]

    token = factories.APIToken(user=member["name"])["token"]
    as_member = blocks(app.get("/", headers={"Authorization": token}).body)
    assert "1 use case" in as_member["use-cases"]


def test_harvested_datasets_are_counted(app):
    source = call_action("harvest_source_create", context={"user": factories.Sysadmin()["name"]},
                         name="sample-ckan", url="https://dati.example.it", source_type="plusresilient_ckan",
                         title="Sample portal")
    job = call_action("harvest_job_create", source_id=source["id"], run=False)
    dataset = SVRCDataset()
    harvest_model.HarvestObject(
        guid="sample-1", job=harvest_model.HarvestJob.get(job["id"]),
        source=harvest_model.HarvestSource.get(source["id"]),
        package_id=dataset["id"], current=True,
    ).save()
    rebuild(dataset["id"])

    assert "1 dataset harvested" in blocks(app.get("/").body)["portals"]


def test_an_empty_portal_says_nothing_is_scored(app):
    assert "No dataset scored yet" in blocks(app.get("/").body)["quality"]
