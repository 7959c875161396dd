"""Curators win: what an editor changed here survives upstream changes,
full re-harvests and mapping changes; everything else follows the source."""
from __future__ import annotations

import json

import ckan.plugins.toolkit as tk
import pytest

from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories as core_factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters import curation, resources
from ckanext.plusresilient.harvesters.mapping import REMOTE_KEY
from ckanext.plusresilient.harvesters.runner import run_source
from tests import factories
from ckanext.plusresilient.demo.portals.ckan import CKANPortal
from tests.harvesters.cases import VENETO, make_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def portal():
    with CKANPortal() as portal:
        yield portal


def _harvested(portal, title="Cooperative sociali iscritte all'albo", **fields):
    fields.setdefault("tags", ["cooperative sociali", "welfare"])
    package = portal.add(title, **fields)
    source = make_source(portal.api_url, name="regional")
    assert run_source(source["id"]).created == 1
    (dataset,) = call_action("package_search", fq="+dataset_type:dataset")["results"]
    return package, source, dataset


def _edit(dataset_id, **fields):
    editor = core_factories.Sysadmin()
    return call_action("package_patch", {"user": editor["name"]}, id=dataset_id, **fields)


def test_a_curated_field_survives_an_upstream_change(portal):
    package, source, dataset = _harvested(portal)
    assert dataset["svrc_scenario"] == ["capacity-building"]
    _edit(dataset["id"], svrc_scenario=["social-smes"], helix_actor=["civil-society"],
          si_area=["sme-support"])

    package.update(title="Cooperative sociali (albo regionale)", notes="Aggiornato.",
                   metadata_modified="2024-06-01T00:00:00.000000")
    assert run_source(source["id"]).updated == 1

    after = call_action("package_show", id=dataset["id"])
    assert after["title"] == "Cooperative sociali (albo regionale)" and after["notes"] == "Aggiornato."
    assert after["svrc_scenario"] == ["social-smes"]
    assert after["si_area"] == ["sme-support"]
    assert after["helix_actor"] == ["civil-society"]      # never harvested: kept too
    shown = call_action("plusresilient_harvest_provenance", id=dataset["id"])
    edited = {item["field"]: item for item in shown["edited_here"]}
    assert sorted(edited) == ["si_area", "svrc_scenario"]
    assert edited["svrc_scenario"]["source_value"] == ["capacity-building"]


def test_a_field_set_back_to_the_source_value_follows_the_source_again(portal):
    package, source, dataset = _harvested(portal)
    _edit(dataset["id"], title="Titolo corretto qui")
    _edit(dataset["id"], title=dataset["title"])
    package.update(title="Titolo nuovo alla fonte", metadata_modified="2024-06-01T00:00:00.000000")
    run_source(source["id"])
    assert call_action("package_show", id=dataset["id"])["title"] == "Titolo nuovo alla fonte"


def test_a_full_reharvest_imports_everything_and_keeps_curated_fields(portal, cli):
    package, source, dataset = _harvested(portal)
    portal.add("Asili nido")
    assert run_source(source["id"]).created == 1
    _edit(dataset["id"], si_area=["networking"])

    plain = run_source(source["id"])
    assert (plain.updated, plain.unchanged) == (0, 2), plain
    untouched = call_action("package_show", id=next(
        d["id"] for d in call_action("package_search", fq="+dataset_type:dataset")["results"]
        if d["id"] != dataset["id"]))
    activities = call_action("package_activity_list", id=untouched["id"])

    result = cli.invoke(ckan_cli, ["plusresilient", "harvest", "run", "regional", "--full"])
    assert result.exit_code == 0, result.output
    assert "updated 2, unchanged 0" in result.output
    model.Session.remove()
    assert call_action("package_show", id=dataset["id"])["si_area"] == ["networking"]
    if not tk.check_ckan_version("2.12"):
        pytest.skip("CKAN 2.11's package_update writes an unchanged dataset (a new metadata_modified, "
                    "an activity): leaving it untouched is CKAN 2.12's")
    # imported again, but nothing changed: no write, no activity, same metadata_modified
    again = call_action("package_show", id=untouched["id"])
    assert again["metadata_modified"] == untouched["metadata_modified"]
    assert call_action("package_activity_list", id=untouched["id"]) == activities


def test_force_all_in_the_source_config_imports_every_dataset_at_every_run(portal):
    portal.add("Asili nido")
    source = make_source(portal.api_url, name="regional", config={**VENETO, "force_all": True})
    assert run_source(source["id"]).created == 1
    assert run_source(source["id"]).updated == 1


def test_a_changed_source_configuration_reaches_datasets_unchanged_upstream(portal):
    """The mapping depends on the source's configuration (and on
    mapping.yaml): when it changes, the next run imports again."""
    _, source, dataset = _harvested(portal, title="Xyzzy", tags=["xyzzy"])  # no words the mapping knows
    assert dataset["svrc_scenario"] == ["public-services"]
    assert run_source(source["id"]).unchanged == 1
    call_action("harvest_source_update", {"user": core_factories.Sysadmin()["name"]}, id=source["id"],
                name=source["name"], title=source["title"], url=source["url"],
                source_type=source["source_type"],
                config=json.dumps({**VENETO, "default_scenario": "social-smes"}))
    summary = run_source(source["id"])
    assert (summary.updated, summary.unchanged) == (1, 0), summary
    assert "social-smes" in call_action("package_show", id=dataset["id"])["svrc_scenario"]
    assert run_source(source["id"]).unchanged == 1


def test_the_provenance_of_a_dataset_made_here_is_empty():
    dataset = factories.SVRCDataset()
    shown = call_action("plusresilient_harvest_provenance", id=dataset["id"])
    assert shown == {"sources": [], "edited_here": [], "harvested": None}


# -- the pure parts ----------------------------------------------------------------------

def test_merge_keeps_edited_fields_and_clears_what_the_source_dropped():
    current = {"id": "x", "title": "Edited title", "notes": "n", "theme": ["SOCI"], "helix_actor": ["academia"],
               "temporal_end": "2023-12-31", "tags": [{"name": "b", "id": "1"}, {"name": "a", "id": "2"}]}
    recorded = {"title": "Source title", "notes": "n", "theme": ["SOCI"], "temporal_end": "2023-12-31",
                "tags": [{"name": "a"}, {"name": "b"}]}
    incoming = {"title": "New source title", "notes": "new", "theme": ["ECON"], "tags": [{"name": "c"}]}

    merged, edited = curation.merge(incoming, current, recorded)

    assert edited == ["title"]
    assert merged["title"] == "Edited title"
    assert (merged["notes"], merged["theme"], merged["tags"]) == ("new", ["ECON"], [{"name": "c"}])
    assert merged["temporal_end"] == ""          # the source dropped it
    assert merged["helix_actor"] == ["academia"]  # never harvested


def test_merge_without_a_record_follows_the_source_everywhere():
    merged, edited = curation.merge({"title": "T"}, {"title": "Old", "notes": "x"}, None)
    assert (merged["title"], edited, merged["notes"]) == ("T", [], "")


def test_provenance_fields_always_follow_the_source():
    current = {"source_url": "https://edited.example.org"}
    merged, edited = curation.merge({"source_url": "https://a.example.org/2"}, current,
                                    {"source_url": "https://a.example.org/1"})
    assert edited == [] and merged["source_url"] == "https://a.example.org/2"


def test_resources_match_by_key_then_url_and_keep_those_added_here():
    current = [{"id": "A", "url": "https://x/a.csv"}, {"id": "B", "url": "https://x/b.csv"},
               {"id": "C", "url": "https://x/c.csv"}, {"id": "H", "url": "https://x/added-here"}]
    known = {"ckan:1": "A", "url:https://x/b.csv": "B", "ckan:3": "C"}
    incoming = [{REMOTE_KEY: "ckan:1", "url": "https://x/a-moved.csv"},
                {REMOTE_KEY: "ckan:2", "url": "https://x/b.csv"},
                {REMOTE_KEY: "ckan:9", "url": "https://x/new.csv"}]

    written = resources.match(incoming, current, known)

    assert [r.get("id") for r in written] == ["A", "B", None, "H"]
    assert all(REMOTE_KEY not in r for r in written)


def test_a_matched_resource_keeps_its_preview_flag_while_its_url_is_the_same():
    current = [{"id": "A", "url": "https://x/a.csv", "datastore_active": True},
               {"id": "B", "url": "https://x/b.csv", "datastore_active": True}]
    known = {"ckan:1": "A", "ckan:2": "B"}
    incoming = [{REMOTE_KEY: "ckan:1", "url": "https://x/a.csv", "name": "A, renamed"},
                {REMOTE_KEY: "ckan:2", "url": "https://x/b-moved.csv"}]

    written = resources.match(incoming, current, known)

    assert written == [{"id": "A", "url": "https://x/a.csv", "name": "A, renamed",
                        "datastore_active": True},
                       {"id": "B", "url": "https://x/b-moved.csv"}]  # a new file: no preview yet


def test_resources_of_a_dataset_imported_before_keys_were_recorded_match_by_url():
    current = [{"id": "A", "url": "https://x/a.csv"}, {"id": "B", "url": "https://x/b.csv"}]
    written = resources.match([{"url": "https://x/b.csv"}], current, None)
    assert written == [{"url": "https://x/b.csv", "id": "B"}]  # A came from the source, and went


def test_the_dataset_page_shows_its_sources_and_what_was_edited_here(portal, app):
    package, source, dataset = _harvested(portal)
    _edit(dataset["id"], svrc_scenario=["social-smes"])

    page = app.get(f"/dataset/{dataset['name']}").body

    assert "Provenance" in page and f"/harvest/{source['name']}" in page
    row = page.split('data-field="svrc_scenario"', 1)[1].split("</tr>", 1)[0]
    assert "Support to social-vocation SMEs" in row or "SME" in row, row
    assert "Capacity building" in row, row
