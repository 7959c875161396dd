"""The demo's content files: enough of everything, valid codes, and every
reference pointing at something that exists. No services needed."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest
import yaml

from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.demo.apis import SamplePortals, portal_paths
from ckanext.plusresilient.demo.content import CONTENT_DIR, dataset_refs, load_content

NETWORK = {term.code for term in vocabularies.get("countries").where(network=True)}


@pytest.fixture(scope="module")
def content():
    return load_content()


@pytest.fixture(scope="module")
def sample_titles():
    """Portal -> the titles of its sample datasets, read from the payloads."""
    portals = SamplePortals("http://127.0.0.1:5001").portals
    return {kind: set(portal.pages.values()) for kind, portal in portals.items()}


def _codes(name):
    return set(vocabularies.get(name).codes())


def test_clusters_span_the_network(content):
    clusters = content.clusters
    countries = Counter(cluster["country"] for cluster in clusters)

    assert len(clusters) >= 6
    assert len(set(countries) & NETWORK) >= 5
    for cluster in clusters:
        assert cluster["region"] in {t.code for t in vocabularies.regions_of(cluster["country"])}, cluster["name"]
        assert set(cluster["svrc_scenario"]) <= _codes("scenarios")
        for helix in ("public_administration", "research", "business", "civil_society"):
            assert cluster[f"members_{helix}"], (cluster["name"], helix)
        assert "sample" in cluster["description"].lower()
    assert {s for cluster in clusters for s in cluster["svrc_scenario"]} == _codes("scenarios")


def test_training_gives_every_filter_at_least_two_values(content):
    training = content.training

    assert len(training) >= 6
    for field, vocabulary in (("training_format", "training_formats"), ("training_level", "training_levels"),
                              ("skills", "skills"), ("language", "languages"), ("audience", "audiences")):
        values = [value for item in training
                  for value in (item[field] if isinstance(item[field], list) else [item[field]])]
        assert set(values) <= _codes(vocabulary), field
        assert len(set(values)) >= 2, field
    titles = {item["title"] for item in training}
    assert {"Open data basics for social enterprises", "Reading a quality report",
            "Publishing your cluster's data on CKAN"} <= titles
    assert {"webinar", "course"} <= {item["training_format"] for item in training}


def test_use_cases_cover_every_macro_scenario_with_sample_datasets(content, sample_titles):
    use_cases = content.use_cases

    assert len(use_cases) >= 5
    assert {s for item in use_cases for s in item["svrc_scenario"]} == _codes("scenarios")
    assert len({phase for item in use_cases for phase in item["use_case_phase"]}) == 3
    assert len({item["country"] for item in use_cases}) >= 4
    for item in use_cases:
        assert item["region"] in {t.code for t in vocabularies.regions_of(item["country"])}, item["name"]
        assert set(item["si_area"]) <= _codes("si_areas")
        refs = dataset_refs(item)
        assert refs, item["name"]
        for ref in refs:
            assert ref.title in sample_titles[ref.portal], f"{item['name']}: {ref}"


def test_sources_and_feedback_name_sample_portals_and_datasets(content, sample_titles):
    assert sorted(source["portal"] for source in content.sources) == sorted(portal_paths())
    assert len({source["config"]["language"] for source in content.sources}) == 5
    for source in content.sources:
        assert "sample" in source["notes"].lower()
        config = source["config"]
        assert config["region"] in {t.code for t in vocabularies.regions_of(config["country"])}
    for item in content.feedback:
        assert item["title"] in sample_titles[item["portal"]], item


def test_a_wrong_reference_stops_the_load_before_anything_is_written(tmp_path):
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    path = tmp_path / "content" / "training.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["training"][0]["cluster"] = "svrc-atlantis"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ValueError, match="unknown cluster 'svrc-atlantis'"):
        load_content(tmp_path / "content")
