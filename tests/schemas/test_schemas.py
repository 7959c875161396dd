"""The four SVRC record types, created and refused through the real API."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset, Training, UseCase

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

TABLE_SCHEMA = {"fields": [{"name": "municipality", "type": "string"},
                           {"name": "cooperatives", "type": "integer"}]}


def full_dataset(owner_org: str, **overrides) -> dict:
    record = {
        "name": "social-cooperatives-veneto",
        "title": "Social cooperatives registered in Veneto",
        "notes": "The regional register of social cooperatives.",
        "owner_org": owner_org,
        "tag_string": "social economy,cooperatives",
        "contact": [{"name": "Open data office", "email": "opendata@regione.veneto.it"}],
        "license_id": "cc-by",
        "theme": ["SOCI", "ECON"],
        "svrc_scenario": ["social-smes", "public-services"],
        "si_area": ["social-entrepreneurship"],
        "od_category": ["business", "employment"],
        "helix_actor": ["public-administration"],
        "country": "IT",
        "region": "ITH3",
        "temporal_start": "2018-01-01",
        "temporal_end": "2023-12-31",
        "frequency": "ANNUAL",
        "language": ["it", "en"],
        "issued": "2019-03-01",
        "modified": "2024-02-10",
        "access_rights": "PUBLIC",
        "conforms_to": ["https://specs.frictionlessdata.io/table-schema/"],
        "url": "https://dati.veneto.it/",
        "resources": [{
            "url": "https://dati.veneto.it/cooperative.csv",
            "name": "Register 2023",
            "format": "CSV",
            "mimetype": "text/csv",
            "size": 20480,
            "license": "cc-by",
            "schema": TABLE_SCHEMA,
        }],
    }
    record.update(overrides)
    return record


def test_dataset_with_every_field(sysadmin_context):
    cluster = Cluster()
    created = call_action("package_create", sysadmin_context, **full_dataset(cluster["id"]))
    shown = call_action("package_show", id=created["id"])

    assert shown["type"] == "dataset"
    # stored in vocabulary order, whatever order they came in
    assert shown["svrc_scenario"] == ["public-services", "social-smes"]
    assert shown["theme"] == ["ECON", "SOCI"]
    assert shown["od_category"] == ["employment", "business"]
    assert (shown["country"], shown["region"]) == ("IT", "ITH3")
    assert shown["contact"] == [{"name": "Open data office", "email": "opendata@regione.veneto.it"}]
    assert shown["language"] == ["it", "en"] or sorted(shown["language"]) == ["en", "it"]
    assert (shown["temporal_start"], shown["temporal_end"]) == ("2018-01-01", "2023-12-31")
    assert shown["conforms_to"] == ["https://specs.frictionlessdata.io/table-schema/"]
    assert {tag["name"] for tag in shown["tags"]} == {"social economy", "cooperatives"}
    resource = shown["resources"][0]
    assert resource["mimetype"] == "text/csv"
    assert resource["license"] == "cc-by"
    assert resource["schema"] == TABLE_SCHEMA


def test_eu_uris_and_other_cases_are_stored_as_codes(sysadmin_context):
    created = call_action("package_create", sysadmin_context, **full_dataset(
        Cluster()["id"],
        theme=["http://publications.europa.eu/resource/authority/data-theme/SOCI", "educ"],
        frequency="http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        country="it",
    ))
    assert created["theme"] == ["EDUC", "SOCI"]
    assert created["frequency"] == "MONTHLY"
    assert created["country"] == "IT"


def test_use_case_links_datasets_both_ways(app, sysadmin_context):
    cluster = Cluster()
    used = SVRCDataset(owner_org=cluster["id"], title="Elderly people living alone")
    use_case = call_action(
        "package_create", sysadmin_context,
        type="use-case", name="care-map", title="A care map for isolated elderly people",
        notes="A cooperative mapped where its services were missing.",
        owner_org=cluster["id"],
        use_case_phase=["design", "evaluation"],
        problem="Home care did not reach isolated elderly people.",
        outcome="Two new service points.",
        svrc_scenario=["public-services"], si_area=["pa-citizens"],
        country="IT", region="ITH3",
        datasets_used=[used["name"]],
        external_links=["https://opensocialclusters.eu/"],
    )
    assert use_case["type"] == "use-case"
    assert use_case["datasets_used"] == [used["id"]]
    assert use_case["use_case_phase"] == ["design", "evaluation"]

    use_case_page = app.get(tk.url_for("use-case.read", id="care-map"))
    assert "Elderly people living alone" in use_case_page.body
    dataset_page = app.get(tk.url_for("dataset.read", id=used["name"]))
    assert "Used in use cases" in dataset_page.body
    assert "A care map for isolated elderly people" in dataset_page.body


def test_training_material(sysadmin_context):
    training = call_action(
        "package_create", sysadmin_context,
        type="training", name="open-data-basics", title="Open data basics for social enterprises",
        notes="What open data is and where to find it.",
        training_format="course", skills=["digital-data", "openness-to-change"],
        training_level="beginner", language=["it", "es"], duration_minutes="90",
        audience=["social-enterprises"], url="https://opensocialclusters.eu/training",
    )
    shown = call_action("package_show", id=training["id"])
    assert shown["type"] == "training"
    assert shown["training_format"] == "course"
    assert shown["skills"] == ["digital-data", "openness-to-change"]
    assert shown["duration_minutes"] == 90
    assert shown["audience"] == ["social-enterprises"]


def test_cluster_organization(sysadmin_context):
    cluster = call_action(
        "organization_create", sysadmin_context,
        name="svrc-istria", title="SVRC Istria", country="HR", region="HR02",
        svrc_scenario=["capacity-building"],
        members_public_administration=["Istrian Development Agency"],
        members_research=["Juraj Dobrila University of Pula"],
        ris3_url="https://www.s3.hr/", website="https://www.ida.hr/",
    )
    shown = call_action("organization_show", id=cluster["id"])
    assert (shown["country"], shown["region"]) == ("HR", "HR02")
    assert shown["svrc_scenario"] == ["capacity-building"]
    assert shown["members_public_administration"] == ["Istrian Development Agency"]
    assert shown["members_research"] == ["Juraj Dobrila University of Pula"]
    assert shown["ris3_url"] == "https://www.s3.hr/"


def _messages(errors) -> str:
    """Every message of a (nested) error dict, one per line."""
    if isinstance(errors, dict):
        return "\n".join(_messages(value) for value in errors.values())
    if isinstance(errors, list):
        return "\n".join(_messages(value) for value in errors)
    return str(errors)


def _errors_of(sysadmin_context, **record) -> dict:
    with pytest.raises(tk.ValidationError) as raised:
        call_action("package_create", sysadmin_context, **record)
    return raised.value.error_dict


@pytest.mark.parametrize("overrides, field, message", [
    ({"svrc_scenario": ["more-jobs"]}, "svrc_scenario",
     "'more-jobs' is not an allowed value for svrc_scenario. Allowed: Delivery of public innovative services "
     "for new social needs (public-services), Support to social vocation & responsive SMEs (social-smes), "
     "Capacity building of social enterprises (capacity-building)"),
    ({"svrc_scenario": []}, "svrc_scenario", "Missing value"),
    ({"region": "ES51"}, "region", "Region 'ES51' is not in IT"),
    ({"region": "XX99"}, "region", "Allowed: Piedmont (ITC1)"),
    ({"country": "DE"}, "country", "'DE' is not an allowed value for country"),
    ({"temporal_start": "2023-06", "temporal_end": "2022"}, "temporal_end",
     "The end date 2022 is before the start date 2023-06"),
    ({"theme": ["SOCIAL"]}, "theme", "(AGRI), "),
    ({"license_id": "wtfpl"}, "license_id", "'wtfpl' is not an allowed value for license_id"),
    ({"frequency": "hourly-ish"}, "frequency", "Allowed: "),
    ({"conforms_to": ["ftp://example.org/spec"]}, "conforms_to", "is not an http(s) URL"),
    ({"contact": [{"name": "x", "email": "not-an-email"}]}, "contact", "Email"),
])
def test_invalid_dataset_refused_with_the_fields_message(sysadmin_context, overrides, field, message):
    errors = _errors_of(sysadmin_context, **full_dataset(Cluster()["id"], **overrides))
    assert field in errors, errors
    assert message in _messages(errors[field]), errors[field]


def test_temporal_year_end_covers_its_months(sysadmin_context):
    created = call_action("package_create", sysadmin_context, **full_dataset(
        Cluster()["id"], temporal_start="2023-05-01", temporal_end="2023"))
    assert created["temporal_end"] == "2023"


@pytest.mark.parametrize("resource, message", [
    ({"schema": {"fields": [{"name": "a", "type": "colour"}]}}, 'field type "colour" is not supported'),
    ({"schema": "{not json"}, "Table Schema is not valid JSON"),
    ({"schema": {"primaryKey": "a"}}, "non-empty 'fields' list"),
    ({"mimetype": "csv please"}, "is not a media type"),
    ({"license": "mine"}, "'mine' is not an allowed value for license"),
])
def test_invalid_resource_refused(sysadmin_context, resource, message):
    record = full_dataset(Cluster()["id"])
    record["resources"][0].update(resource)
    errors = _errors_of(sysadmin_context, **record)
    assert message in _messages(errors["resources"]), errors


def test_use_case_refuses_unknown_datasets(sysadmin_context):
    errors = _errors_of(
        sysadmin_context, type="use-case", name="ghost", title="Ghost", notes="n", problem="p",
        use_case_phase=["design"], svrc_scenario=["public-services"], country="IT",
        datasets_used=["no-such-dataset", "https://elsewhere.example/dataset/also-missing"])
    assert errors["datasets_used"] == [
        "These datasets are not on this portal, or you may not see them: no-such-dataset, "
        "https://elsewhere.example/dataset/also-missing"]


def test_training_refuses_unknown_format_and_skill(sysadmin_context):
    errors = _errors_of(sysadmin_context, type="training", name="t", title="T", notes="n",
                        training_format="podcast", skills=["juggling"], language=["en"])
    assert "(workshop), " in errors["training_format"][0] and "(video)" in errors["training_format"][0]
    assert "'juggling' is not an allowed value for skills" in errors["skills"][0]


def test_api_answers_409_with_the_message_never_500(app):
    user = factories.SysadminWithToken()
    response = app.post(
        tk.url_for("api.action", ver=3, logic_function="package_create"),
        json=full_dataset(Cluster()["id"], svrc_scenario=["nope"], region="FRL0"),
        headers={"Authorization": user["token"]},
        status=409,
    )
    error = response.json["error"]
    assert error["__type"] == "Validation Error"
    assert "(public-services)" in error["svrc_scenario"][0]
    assert "Region 'FRL0' is not in IT" in error["region"][0]


def test_factories_make_valid_records():
    assert UseCase()["type"] == "use-case"
    assert Training()["type"] == "training"
    assert SVRCDataset()["svrc_scenario"] == ["public-services"]


# -- URLs: http(s) only, so that no stored value becomes a script link ------------------

SCRIPT_URLS = ("javascript:alert(document.domain)", " JavaScript:alert(1)", "java\tscript:alert(1)",
               "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)")


@pytest.mark.parametrize("url", SCRIPT_URLS)
@pytest.mark.parametrize("field", ["source_url", "url"])
def test_dataset_urls_take_http_only(sysadmin_context, field, url):
    errors = _errors_of(sysadmin_context, **full_dataset(Cluster()["id"], **{field: url}))
    assert list(errors) == [field], errors
    assert "is not an http(s) URL" in errors[field][0]


def test_source_url_keeps_an_http_url(sysadmin_context):
    created = call_action("package_create", sysadmin_context, **full_dataset(
        Cluster()["id"], source_url=" https://dati.veneto.it/dataset/cooperative "))
    assert created["source_url"] == "https://dati.veneto.it/dataset/cooperative"


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_resource_url_refuses_script_schemes(sysadmin_context, url):
    record = full_dataset(Cluster()["id"])
    record["resources"][0]["url"] = url
    errors = _errors_of(sysadmin_context, **record)
    assert list(errors) == ["resources"], errors
    assert "is not an http(s) or ftp URL" in _messages(errors["resources"]), errors


@pytest.mark.parametrize("url", ["ftp://ftp.example.org/data.csv", "https://example.org/data.csv", ""])
def test_resource_url_keeps_links_files_and_blanks(sysadmin_context, url):
    record = full_dataset(Cluster()["id"])
    record["resources"][0]["url"] = url
    created = call_action("package_create", sysadmin_context, **record)
    assert created["resources"][0]["url"] == url


@pytest.mark.parametrize("record_type, field, value", [
    ("use-case", "external_links", ["javascript:alert(1)"]),
    ("training", "url", "javascript:alert(1)"),
])
def test_use_case_and_training_links_take_http_only(sysadmin_context, record_type, field, value):
    record = {"type": record_type, "name": "linked", "title": "Linked", "notes": "n",
              "problem": "p", "use_case_phase": ["design"], "svrc_scenario": ["public-services"],
              "country": "IT", "training_format": "guide", "language": ["en"], field: value}
    errors = _errors_of(sysadmin_context, **record)
    assert list(errors) == [field], errors
    assert "is not an http(s) URL" in errors[field][0]


@pytest.mark.parametrize("field", ["website", "ris3_url"])
def test_cluster_links_take_http_only(sysadmin_context, field):
    with pytest.raises(tk.ValidationError) as raised:
        call_action("organization_create", sysadmin_context, name="svrc-x", title="SVRC X",
                    country="HR", **{field: "javascript:alert(1)"})
    assert list(raised.value.error_dict) == [field], raised.value.error_dict
    assert "is not an http(s) URL" in raised.value.error_dict[field][0]


# -- use cases link only datasets their editor may see -----------------------------------

@pytest.fixture
def two_clusters():
    """Editors of two clusters, an outsider of both, and in cluster A one
    public and one private dataset."""
    editor_a, editor_b, outsider = factories.User(), factories.User(), factories.User()
    cluster_a = Cluster(users=[{"name": editor_a["name"], "capacity": "editor"}])
    cluster_b = Cluster(users=[{"name": editor_b["name"], "capacity": "editor"}])
    public = SVRCDataset(owner_org=cluster_a["id"], title="Care services in Veneto")
    private = SVRCDataset(owner_org=cluster_a["id"], title="Internal waiting lists", private=True)
    return {"editor_a": editor_a, "editor_b": editor_b, "outsider": outsider,
            "cluster_a": cluster_a, "cluster_b": cluster_b, "public": public, "private": private}


def _as(user) -> dict:
    return {"user": user["name"], "ignore_auth": False}


def _use_case(cluster, **fields) -> dict:
    record = {"type": "use-case", "name": "care-gaps", "title": "A map of care gaps",
              "notes": "n", "problem": "p", "use_case_phase": ["design"],
              "svrc_scenario": ["public-services"], "country": "IT", "owner_org": cluster["id"]}
    record.update(fields)
    return record


def _refusal(context, record) -> list[str]:
    with pytest.raises(tk.ValidationError) as raised:
        call_action("package_create" if "id" not in record else "package_update", context, **record)
    return raised.value.error_dict["datasets_used"]


def test_another_clusters_private_dataset_cannot_be_linked(two_clusters):
    c = two_clusters
    private = c["private"]
    for reference in (private["name"], private["id"], f"https://portal.example/dataset/{private['name']}"):
        messages = _refusal(_as(c["editor_b"]), _use_case(c["cluster_b"], datasets_used=[reference]))
        # a dataset one may not see reads exactly as one that does not exist
        missing = _refusal(_as(c["editor_b"]), _use_case(c["cluster_b"], datasets_used=["no-such-dataset"]))
        assert messages == [m.replace("no-such-dataset", reference) for m in missing], (messages, missing)
    # nothing was saved, so nothing makes the private dataset's id searchable
    found = call_action("package_search", _as(c["outsider"]),
                        fq=f'vocab_datasets_used:"{private["id"]}"', include_private=True)
    assert found["count"] == 0


def test_a_dataset_the_editor_may_see_can_be_linked(two_clusters):
    c = two_clusters
    mine = call_action("package_create", _as(c["editor_a"]), **_use_case(
        c["cluster_a"], datasets_used=[c["public"]["name"], c["private"]["name"]]))
    assert mine["datasets_used"] == [c["public"]["id"], c["private"]["id"]]
    theirs = call_action("package_create", _as(c["editor_b"]), **_use_case(
        c["cluster_b"], name="care-gaps-b", datasets_used=[c["public"]["name"]]))
    assert theirs["datasets_used"] == [c["public"]["id"]]


def test_a_link_that_became_invisible_is_kept_when_the_use_case_is_saved_again(two_clusters):
    c = two_clusters
    context = _as(c["editor_b"])
    use_case = call_action("package_create", context, **_use_case(
        c["cluster_b"], datasets_used=[c["public"]["name"]]))
    # the dataset becomes private: editor B may no longer see it
    call_action("package_patch", _as(c["editor_a"]), id=c["public"]["id"], private=True)
    with pytest.raises(tk.NotAuthorized):
        call_action("package_show", context.copy(), id=c["public"]["id"])

    # saved again as the form sends it (the id of a dataset it cannot name), or by name
    for datasets_used in ([c["public"]["id"]], c["public"]["id"], [c["public"]["name"]]):
        updated = call_action("package_update", context, **dict(
            use_case, title="A map of care gaps, revised", datasets_used=datasets_used))
        assert updated["datasets_used"] == [c["public"]["id"]]
    patched = call_action("package_patch", context, id=use_case["id"], notes="Revised.")
    assert patched["datasets_used"] == [c["public"]["id"]]
    # but no new invisible dataset rides along with the kept one
    messages = _refusal(context, dict(use_case, datasets_used=[c["public"]["id"], c["private"]["id"]]))
    assert c["private"]["id"] in messages[0] and c["public"]["id"] not in messages[0]
