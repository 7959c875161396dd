"""Forms and pages of each record type, rendered in English and in Italian."""
from __future__ import annotations

import json
import re

import pytest

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.tests import factories

from ckanext.plusresilient import vocabularies
from tests.factories import Cluster, SVRCDataset, Training, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

# label -> its Italian translation, as the catalog gives it
LABELS = {
    "dataset": {"SVRC macro-scenario": "Macro-scenario SVRC",
                "Social-innovation area": "Ambito di innovazione sociale",
                "Region (NUTS 2)": "Regione (NUTS 2)"},
    "use-case": {"Problem addressed": "Problema affrontato",
                 "Datasets used": "Dataset utilizzati"},
    "training": {"Skills addressed": "Competenze trattate",
                 "Duration (minutes)": "Durata (minuti)"},
}


@pytest.fixture
def sysadmin_headers():
    return {"Authorization": factories.SysadminWithToken()["token"]}


def _label(dataset_type, english, lang):
    return LABELS[dataset_type][english] if lang == "it" else english


def _page(app, url, lang, **kwargs):
    return app.get(("/it" if lang == "it" else "") + url, **kwargs).body


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("dataset_type", ["dataset", "use-case", "training"])
def test_form_has_translated_labels_and_vocabulary_choices(app, sysadmin_headers, dataset_type, lang):
    Cluster()
    body = _page(app, tk.url_for(f"{dataset_type}.new"), lang, headers=sysadmin_headers)
    for english in LABELS[dataset_type]:
        assert _label(dataset_type, english, lang) in body
    if dataset_type == "dataset":
        scenario = vocabularies.get("scenarios").label("capacity-building", lang)
        assert scenario in body
        assert 'value="ITH3"' in body
    if dataset_type == "training":
        assert vocabularies.get("skills").label("interpersonal", lang) in body


@pytest.mark.parametrize("lang", ["en", "it"])
def test_dataset_page_shows_labels_in_the_language(app, lang):
    dataset = SVRCDataset(svrc_scenario=["capacity-building"], si_area=["demography"],
                          country="IT", region="ITH3")
    body = _page(app, tk.url_for("dataset.read", id=dataset["name"]), lang)
    assert _label("dataset", "SVRC macro-scenario", lang) in body
    assert vocabularies.get("scenarios").label("capacity-building", lang) in body
    assert vocabularies.get("si_areas").label("demography", lang) in body
    assert vocabularies.get("regions").label("ITH3", lang) in body


@pytest.mark.parametrize("lang", ["en", "it"])
def test_use_case_page_in_the_language(app, lang):
    used = SVRCDataset(title="Unemployment by municipality")
    use_case = UseCase(datasets_used=[used["id"]], use_case_phase=["evaluation"])
    body = _page(app, tk.url_for("use-case.read", id=use_case["name"]), lang)
    assert _label("use-case", "Datasets used", lang) in body
    assert "Unemployment by municipality" in body
    assert vocabularies.get("use_case_phases").label("evaluation", lang) in body


@pytest.mark.parametrize("lang", ["en", "it"])
def test_training_page_in_the_language(app, lang):
    training = Training(training_format="toolkit", skills=["leadership"], duration_minutes=45)
    body = _page(app, tk.url_for("training.read", id=training["name"]), lang)
    assert _label("training", "Skills addressed", lang) in body
    assert vocabularies.get("training_formats").label("toolkit", lang) in body
    assert vocabularies.get("skills").label("leadership", lang) in body


@pytest.mark.parametrize("lang", ["en", "it"])
def test_cluster_page_in_the_language(app, lang):
    cluster = Cluster(country="SI", region="SI04", svrc_scenario=["capacity-building"])
    body = _page(app, tk.url_for("organization.about", id=cluster["name"]), lang)
    assert vocabularies.get("countries").label("SI", lang) in body
    assert vocabularies.get("scenarios").label("capacity-building", lang) in body


def test_private_linked_dataset_is_not_shown_to_anonymous_users(app):
    cluster = Cluster()
    hidden = SVRCDataset(owner_org=cluster["id"], private=True, title="Private register of beneficiaries")
    use_case = UseCase(owner_org=cluster["id"], datasets_used=[hidden["id"]])
    body = app.get(tk.url_for("use-case.read", id=use_case["name"])).body
    assert "Private register of beneficiaries" not in body


def test_script_in_a_field_is_escaped(app):
    dataset = SVRCDataset(title="<script>alert('svrc')</script>",
                          notes="<script>alert('notes')</script>")
    body = app.get(tk.url_for("dataset.read", id=dataset["name"])).body
    assert "<script>alert(" not in body
    assert "&lt;script&gt;alert(" in body


SCRIPT_HREF = re.compile(r"""href\s*=\s*["']?\s*(?:java|vb)script\s*:|href\s*=\s*["']?\s*data\s*:""", re.I)


def _store_unchecked(entity, **values):
    """Values written straight to the database, as a record saved before the
    schema refused them holds them (the validators never see them)."""
    for key, value in values.items():
        if key == "url":
            entity.url = value
        else:
            entity.extras = dict(entity.extras, **{key: value})
    model.Session.commit()


def test_a_stored_script_url_is_shown_but_never_a_link(app):
    cluster = Cluster(website="https://cluster.example/")
    dataset = SVRCDataset(owner_org=cluster["id"], url="https://landing.example/")
    training = Training(owner_org=cluster["id"], url="https://training.example/")
    use_case = UseCase(owner_org=cluster["id"], external_links=["https://link.example/"])
    _store_unchecked(model.Package.get(dataset["id"]), source_url="javascript:alert('source')",
                     conforms_to=json.dumps(["https://spec.example/", " JavaScript:alert('spec')"]))
    _store_unchecked(model.Package.get(training["id"]), url="javascript:alert('training')")
    _store_unchecked(model.Package.get(use_case["id"]),
                     external_links=json.dumps(["data:text/html,<script>alert(1)</script>"]))
    _store_unchecked(model.Group.get(cluster["id"]), ris3_url="vbscript:msgbox('ris3')")
    for package_id in (dataset["id"], training["id"], use_case["id"]):
        search.rebuild(package_id)

    pages = {
        "dataset": app.get(tk.url_for("dataset.read", id=dataset["name"])).body,
        "training": app.get(tk.url_for("training.read", id=training["name"])).body,
        "use case": app.get(tk.url_for("use-case.read", id=use_case["name"])).body,
        "cluster": app.get(tk.url_for("organization.about", id=cluster["name"])).body,
    }
    for page, body in pages.items():
        assert not SCRIPT_HREF.search(body), (page, SCRIPT_HREF.search(body))
    # the values are still there to read (and to fix), and good links stay links
    assert "javascript:alert(&#39;source&#39;)" in pages["dataset"]
    assert 'href="https://landing.example/"' in pages["dataset"]
    assert 'href="https://spec.example/"' in pages["dataset"]
    assert "javascript:alert(&#39;training&#39;)" in pages["training"]
    assert "vbscript:msgbox(&#39;ris3&#39;)" in pages["cluster"]
    assert 'href="https://cluster.example/"' in pages["cluster"]
