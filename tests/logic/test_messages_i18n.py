"""The actions' refusals in the caller's language, through the API as CKAN
picks it (the locale prefix of the address: ``/it/api/3/action/...``): a
choice lists the allowed values' labels with their codes, and the rate
limit, the type checks and the auth functions speak Italian to an Italian
page. Each message is translated when it is raised, not when its module is
imported: the same process answers in two languages one after the other."""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from ckan.tests import factories

import ckanext.plusresilient
from ckanext.plusresilient import vocabularies
from ckanext.plusresilient.model.feedback import CATEGORIES, KINDS
from tests.factories import Cluster, SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_rate_limits")

CATALOGS = Path(ckanext.plusresilient.__file__).parent / "i18n"
CREATE = "/api/3/action/plusresilient_feedback_create"
CATEGORY_LABELS = {"broken_link": "Broken link", "wrong_values": "Wrong or missing values",
                   "outdated": "Outdated", "missing_metadata": "Missing metadata",
                   "unclear_licence": "Unclear licence", "other": "Other problem"}
KIND_LABELS = {"rating": "Rating", "report": "Problem report", "comment": "Comment",
               "suggestion": "Suggested fix"}


def translated(message: str, language: str) -> str:
    """The catalog's translation, which must exist (an untranslated message
    would let the test pass in English)."""
    catalog = gettext.translation("ckanext-plusresilient", localedir=str(CATALOGS), languages=[language])
    translation = catalog.gettext(message)
    assert translation != message, f"{message!r} has no {language} translation"
    return translation


def choices(labels: dict[str, str], codes: tuple[str, ...], language: str | None) -> str:
    return ", ".join(f"{translated(labels[code], language) if language else labels[code]} ({code})"
                     for code in codes)


@pytest.fixture
def dataset_and_token():
    user = factories.User()
    dataset = SVRCDataset(owner_org=Cluster()["id"])
    return dataset, factories.APIToken(user=user["name"])["token"]


def _create(app, token, prefix="", status=409, **body):
    return app.post(f"{prefix}{CREATE}", json=body, headers={"Authorization": token}, status=status).json


def test_an_unknown_category_lists_the_labels_in_the_callers_language(app, dataset_and_token):
    dataset, token = dataset_and_token
    body = {"package_id": dataset["id"], "kind": "report", "category": "typo"}

    italian = _create(app, token, "/it", **body)["error"]["category"]
    english = _create(app, token, **body)["error"]["category"]

    assert italian == [translated("Must be one of: {values}", "it").format(
        values=choices(CATEGORY_LABELS, CATEGORIES, "it"))]
    assert english == [f"Must be one of: {choices(CATEGORY_LABELS, CATEGORIES, None)}"]
    assert "broken_link, wrong_values" not in italian[0]


def test_a_report_without_category_is_refused_with_the_labels_too(app, dataset_and_token):
    """The check of create itself (feedback/changes.py), not the schema's."""
    dataset, token = dataset_and_token
    error = _create(app, token, "/el", package_id=dataset["id"], kind="report")["error"]

    assert error["category"] == [translated("Must be one of: {values}", "el").format(
        values=choices(CATEGORY_LABELS, CATEGORIES, "el"))]


def test_an_unknown_kind_in_greek(app, dataset_and_token):
    dataset, token = dataset_and_token
    error = _create(app, token, "/el", package_id=dataset["id"], kind="praise")["error"]

    assert error["kind"] == ["Πρέπει να είναι ένα από: " + choices(KIND_LABELS, KINDS, "el")]


def test_type_checks_speak_italian(app, dataset_and_token):
    dataset, token = dataset_and_token
    error = _create(app, token, "/it", package_id=dataset["id"], kind="rating", rating=9,
                    text=["a", "list"])["error"]

    assert error["rating"] == ["Deve essere un numero intero da 1 a 5"]
    assert error["text"] == ["Deve essere un testo, non un elenco"]


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit", "1/3600")
def test_the_rate_limit_message_in_italian(app, dataset_and_token):
    dataset, token = dataset_and_token
    body = {"package_id": dataset["id"], "kind": "comment", "text": "Utile"}

    _create(app, token, "/it", status=200, **body)
    refused = _create(app, token, "/it", **body)["error"]

    assert refused["rate"] == [
        "Troppi contributi in poco tempo: al massimo 1 contributo ogni ora. Riprova più tardi."]


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit", "3/7200")
def test_the_rate_limit_message_counts_in_the_language(app, dataset_and_token):
    dataset, token = dataset_and_token
    body = {"package_id": dataset["id"], "kind": "comment", "text": "Hvala"}
    for _ in range(3):
        _create(app, token, "/sl", status=200, **body)

    refused = _create(app, token, "/sl", **body)["error"]
    english = _create(app, token, **body)["error"]

    assert refused["rate"] == ["Preveč odzivov naenkrat: največ 3 odzive na 2 uri. Poskusite znova pozneje."]
    assert english["rate"] == [
        "Too much feedback at once: at most 3 items per 2 hours. Please try again later."]


def test_an_auth_refusal_in_italian(app, dataset_and_token):
    dataset, _ = dataset_and_token
    refused = app.post(f"/it{CREATE}", json={"package_id": dataset["id"], "kind": "comment",
                                             "text": "Ciao"}, status=403).json

    assert refused["error"]["message"].endswith(translated("Log in to give feedback", "it"))


def test_a_schema_field_lists_the_vocabularys_labels_in_the_callers_language(app):
    """package_create is CKAN's, the field's validator ours (scheming)."""
    from tests.schemas.test_schemas import full_dataset

    user = factories.SysadminWithToken()
    record = full_dataset(Cluster()["id"], svrc_scenario=["more-jobs"])
    error = app.post("/it/api/3/action/package_create", json=record,
                     headers={"Authorization": user["token"]}, status=409).json["error"]

    scenarios = vocabularies.get("scenarios")
    allowed = ", ".join(f"{term.label('it')} ({term.code})" for term in scenarios)
    assert error["svrc_scenario"] == [translated(
        "'{value}' is not an allowed value for {field}. Allowed: {allowed}", "it").format(
        value="more-jobs", field="svrc_scenario", allowed=allowed)]
