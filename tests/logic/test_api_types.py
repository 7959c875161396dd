"""Every parameter of every ``plusresilient_*`` action, sent with values of the
wrong type through the real API: as a sysadmin (who passes every auth
function, so each value reaches the action itself) and as an editor of the
dataset's organization (whose calls go through the auth functions too).

The actions and their parameters are read from the code, not listed here:
the actions from ``logic/action/`` (checked against what the plugin
registers), the parameters and their types from each action's docstring
(checked against the action's schema in ``logic/schema.py``). A new
parameter is tested without touching this file; a new action fails these
tests until ``world`` has a valid call of it.

What is asserted: never a 500; every refusal is a 409, 403 or 404 with a
message; and a value that cannot be of the parameter's type (a word for a
boolean, "²" or 2**63 for a number, a list or an object for a single text, a
lone surrogate anywhere) is a 409 that names the parameter. Side-effect-free
actions are also called with GET and query strings, repeated keys included.
"""
from __future__ import annotations

import inspect
import json
import re
from typing import Any, Callable
from urllib.parse import quote

import pytest
import ckan.plugins as plugins
from ckan.tests import factories

from ckanext.plusresilient.logic import action as actions
from tests.factories import Cluster, FeedbackItem, SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins")

#: The calls share one database (a clean one per test of the thousand calls,
#: not per call): each action acts on an item of its own.
calls_on_the_real_stack = pytest.mark.usefixtures(
    "clean_db", "clean_index", "clean_rate_limits", "scoring_queue")
#: Every accepted create counts: the rate limit is not what is tested here.
no_rate_limit = pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit",
                                        "100000/3600")

ACTIONS = tuple(actions.__all__)
API = "/api/3/action/"


def documented_parameters(function: Callable[..., Any]) -> dict[str, str]:
    """``:param name:`` -> its ``:type name:`` from the action's docstring."""
    doc = inspect.getdoc(function) or ""
    names = re.findall(r"^:param (\w+):", doc, re.MULTILINE)
    types = dict(re.findall(r"^:type (\w+): (.+)$", doc, re.MULTILINE))
    return {name: types.get(name, "") for name in names}


def kind_of(documented_type: str) -> str:
    """The docstring's type as one of: bool, int, dict, list (a text or a
    list of texts), text."""
    if documented_type == "bool":
        return "bool"
    if documented_type == "int":
        return "int"
    if documented_type == "dict":
        return "dict"
    if "list" in documented_type:
        return "list"
    return "text"


# -- wrong values ---------------------------------------------------------------------------
# name -> (value sent in JSON, the kinds of parameter that must refuse it with a 409)

NOT_A_NUMBER = {"bool", "int"}
NOT_ONE_TEXT = {"bool", "int", "text", "list", "dict"}
JSON_VALUES: dict[str, tuple[Any, set[str]]] = {
    "a word": ("maybe", {"bool", "int", "dict"}),
    "a superscript digit": ("²", {"bool", "int", "dict"}),
    "2**63": (9223372036854775808, NOT_ONE_TEXT),
    "10**30": (10 ** 30, NOT_ONE_TEXT),
    "a negative number": (-1, NOT_ONE_TEXT),
    "a fraction": (1.5, NOT_ONE_TEXT),
    "1e20": (1e20, NOT_ONE_TEXT),
    "true": (True, {"int", "text", "list", "dict"}),
    "a list of texts": (["country", "region"], {"bool", "int", "text", "dict"}),
    "a list of objects": ([{"a": 1}], NOT_ONE_TEXT),
    "an object": ({"a": {"b": [1]}}, {"bool", "int", "text", "list"}),
    "a lone surrogate": ("\ud800", NOT_ONE_TEXT),
    "text with a lone surrogate": ("ok \udfff ok", NOT_ONE_TEXT),
    "a NUL character": ("a\x00b", {"bool", "int", "dict"}),
    "null": (None, set()),
    "empty": ("", set()),
    "blank": ("   ", {"int", "bool", "dict"}),
    "very long": ("x" * 20000, {"bool", "int", "dict"}),
}

# name -> (raw query-string value(s), the kinds that must refuse it)
QUERY_VALUES: dict[str, tuple[list[str], set[str]]] = {
    "a word": (["maybe"], {"bool", "int", "dict"}),
    "a superscript digit": ([quote("²")], {"bool", "int", "dict"}),
    "2**63": (["9223372036854775808"], {"bool", "int"}),
    "a negative number": (["-1"], {"bool", "int"}),
    "a fraction": (["1.5"], {"bool", "int"}),
    "1e20": (["1e20"], {"bool", "int"}),
    "a NUL character": (["a%00b"], {"bool", "int", "dict"}),
    "invalid UTF-8": (["%ED%A0%80"], {"bool", "int", "dict"}),
    "empty": ([""], set()),
    "a repeated key": (["true", "false"], {"bool", "int", "text", "dict"}),
    "a repeated key, three times": (["1", "2", "3"], {"bool", "int", "text", "dict"}),
}


# -- the world the actions act on -----------------------------------------------------------

@pytest.fixture
def world():
    """A sysadmin with an API token, a dataset of an organization, and for
    each action an approved report on it of its own (a delete, a moderation
    or a flag must not change what the next action sees); the valid
    parameters of every action."""
    sysadmin = factories.SysadminWithToken()
    editor = factories.UserWithToken()
    organization = Cluster(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = SVRCDataset(owner_org=organization["id"])
    items = {name: FeedbackItem(package_id=dataset["id"]).id for name in ACTIONS
             if name.startswith("plusresilient_feedback_")}
    valid = {
        "plusresilient_portal_list": {"country": "MT"},
        "plusresilient_portals_sync": {"country": "MT", "dry_run": True},
        "plusresilient_quality_show": {"id": dataset["name"], "history": True},
        "plusresilient_quality_refresh": {"id": dataset["id"], "wait": False},
        "plusresilient_quality_summary": {"by": "country"},
        "plusresilient_quality_trend": {"organization": organization["name"], "country": "IT"},
        "plusresilient_quality_indicators": {"limit": 5, "organization": organization["id"],
                                             "country": ["IT", "ES"]},
        "plusresilient_quality_cluster_report": {"organization": organization["name"]},
        "plusresilient_feedback_create": {"package_id": dataset["id"], "kind": "rating",
                                          "rating": 4},
        "plusresilient_feedback_list": {"package_id": dataset["name"], "include_hidden": True,
                                        "limit": 10, "offset": 0, "kind": "report",
                                        "status": "open"},
        "plusresilient_feedback_show": {},
        "plusresilient_feedback_update_status": {"status": "acknowledged"},
        "plusresilient_feedback_reply": {"text": "Thank you"},
        "plusresilient_feedback_moderate": {"moderation": "approved"},
        "plusresilient_feedback_delete": {},
        "plusresilient_feedback_flag": {"reason": "spam"},
        "plusresilient_feedback_queue": {"organization": organization["name"], "kind": "report",
                                         "status": "open", "limit": 5, "offset": 0},
        "plusresilient_feedback_mine": {"kind": "rating", "status": "open", "limit": 5,
                                        "offset": 0},
        "plusresilient_harvest_provenance": {"id": dataset["name"]},
    }
    for name in ("plusresilient_feedback_show", "plusresilient_feedback_update_status",
                 "plusresilient_feedback_reply", "plusresilient_feedback_moderate",
                 "plusresilient_feedback_delete", "plusresilient_feedback_flag"):
        valid[name] = {"id": items[name], **valid[name]}
    return {"token": sysadmin["token"], "editor": editor["token"], "valid": valid}


def answer(app, token: str, method: str, url: str, body: bytes | None = None):
    """(status, JSON body) of one API call; an exception inside the app counts
    as a 500."""
    headers = {"Authorization": token}
    try:
        if method == "GET":
            response = app.get(url, headers=headers)
        else:
            response = app.post(url, data=body, headers=headers,
                                content_type="application/json")
    except Exception as error:  # noqa: BLE001 - the app let an exception out: a 500
        return 500, {"exception": f"{type(error).__name__}: {error}"}
    try:
        return response.status_code, json.loads(response.get_data(as_text=True))
    except ValueError:
        return response.status_code, {"body": response.get_data(as_text=True)[:200]}


def problems_of(status: int, body: dict[str, Any], must_refuse: bool, parameter: str) -> str | None:
    """What is wrong with one answer, or None."""
    if status == 200:
        return "accepted a value it must refuse" if must_refuse else None
    if status not in (403, 404, 409):
        return f"HTTP {status}: {str(body)[:300]}"
    error = body.get("error") or {}
    messages = [message for key, message in error.items() if key != "__type" and message]
    if not messages:
        return f"HTTP {status} without a message: {error}"
    if must_refuse and (status != 409 or parameter not in error):
        return f"HTTP {status} not naming {parameter}: {error}"
    return None


def query_string(params: dict[str, Any]) -> str:
    pairs = []
    for name, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            text = ("true" if one else "false") if isinstance(one, bool) else str(one)
            pairs.append(f"{quote(name)}={quote(text)}")
    return "&".join(pairs)


# -- the tests ------------------------------------------------------------------------------

def test_every_registered_action_is_tested_here(with_plugins):
    registered = {name for plugin in plugins.PluginImplementations(plugins.IActions)
                  for name in plugin.get_actions() if name.startswith("plusresilient_")}

    assert registered == set(ACTIONS)


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_documents_the_parameters_it_validates(name):
    from ckanext.plusresilient.logic import schema

    documented = documented_parameters(getattr(actions, name))
    validated = {key for key in schema.for_action(name) if not key.startswith("__")}

    assert set(documented) == validated
    assert all(documented.values()), f"{name}: a parameter without :type:"


@calls_on_the_real_stack
@no_rate_limit
@pytest.mark.parametrize("caller", ["sysadmin", "editor"])
def test_wrong_types_in_json_are_refused_with_a_message(app, world, caller):
    """As a sysadmin every value reaches the action; as an editor of the
    dataset's organization it also reaches the auth functions (sysadmins
    skip them)."""
    token = world["token" if caller == "sysadmin" else "editor"]
    failures = []
    for name in ACTIONS:
        valid = world["valid"][name]
        parameters = documented_parameters(getattr(actions, name))
        assert set(parameters) >= set(valid), f"{name}: the valid call uses undocumented parameters"

        def call(params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            return answer(app, token, "POST", API + name, json.dumps(params).encode())

        status, body = call(dict(valid, unknown_parameter={"is": ["ignored"]},
                                 __extras=[1], __junk="x", __before=None))
        if caller == "sysadmin":
            assert status == 200, f"the valid call of {name} fails: {body}"
        for parameter, documented_type in parameters.items():
            kind = kind_of(documented_type)
            for label, (value, refused_by) in JSON_VALUES.items():
                status, body = call(dict(valid, **{parameter: value}))
                problem = problems_of(status, body, kind in refused_by, parameter)
                if problem:
                    failures.append(f"{name} {parameter}={label}: {problem}")
    assert failures == [], "\n".join(failures)


#: The cases found by probing the demo portal (issue 13): method, action,
#: parameters ("{dataset}" is the dataset's name), the parameter at fault.
FOUND_BY_PROBING = [
    ("GET", "plusresilient_quality_show", "id={dataset}&history=maybe", "history"),
    ("GET", "plusresilient_feedback_list", "package_id={dataset}&include_hidden=perhaps",
     "include_hidden"),
    ("GET", "plusresilient_feedback_list", "package_id={dataset}&offset=9223372036854775808",
     "offset"),
    ("GET", "plusresilient_quality_summary", "by=country&by=region", "by"),
    ("POST", "plusresilient_feedback_create",
     {"package_id": "{dataset}", "kind": "rating", "rating": "²"}, "rating"),
    ("POST", "plusresilient_feedback_create",
     {"package_id": "{dataset}", "kind": "comment", "text": "Wrong totals \ud800"}, "text"),
    ("POST", "plusresilient_feedback_create",
     {"package_id": {"id": "{dataset}"}, "kind": "rating", "rating": 4}, "package_id"),
    ("POST", "plusresilient_quality_refresh", {"id": "{dataset}", "wait": "sometimes"}, "wait"),
    ("POST", "plusresilient_portals_sync", {"dry_run": "perhaps"}, "dry_run"),
]


@calls_on_the_real_stack
def test_the_values_that_answered_500_on_the_demo_are_409s(app, world):
    """Each as the caller who found it: the organization's editor, or a
    sysadmin for the portals sync."""
    dataset = world["valid"]["plusresilient_quality_show"]["id"]
    answers = []
    for method, name, params, parameter in FOUND_BY_PROBING:
        token = world["token" if name == "plusresilient_portals_sync" else "editor"]
        if method == "GET":
            url = f"{API}{name}?{params.format(dataset=dataset)}"
            status, body = answer(app, token, "GET", url)
        else:
            filled = json.dumps(params).replace("{dataset}", dataset).encode()
            status, body = answer(app, token, "POST", API + name, filled)
        messages = body.get("error", {}).get(parameter) or []
        answers.append((name, parameter, status, bool(messages and messages[0])))

    assert answers == [(name, parameter, 409, True)
                       for _, name, _, parameter in FOUND_BY_PROBING]


SIDE_EFFECT_FREE = tuple(name for name in ACTIONS
                         if getattr(getattr(actions, name), "side_effect_free", False))


@calls_on_the_real_stack
def test_wrong_values_in_query_strings_are_refused_with_a_message(app, world):
    failures = []
    for name in SIDE_EFFECT_FREE:
        valid = world["valid"][name]

        def call(raw: str) -> tuple[int, dict[str, Any]]:
            return answer(app, world["token"], "GET", f"{API}{name}?{raw}")

        status, body = call(query_string(valid))
        assert status == 200, f"the valid call of {name} fails: {body}"
        for parameter, documented_type in documented_parameters(getattr(actions, name)).items():
            kind = kind_of(documented_type)
            others = query_string({key: value for key, value in valid.items() if key != parameter})
            for label, (raw_values, refused_by) in QUERY_VALUES.items():
                mine = "&".join(f"{quote(parameter)}={raw}" for raw in raw_values)
                status, body = call("&".join(part for part in (others, mine) if part))
                problem = problems_of(status, body, kind in refused_by, parameter)
                if problem:
                    failures.append(f"{name} {parameter}={label}: {problem}")
    assert failures == [], "\n".join(failures)


@calls_on_the_real_stack
def test_a_file_upload_in_place_of_a_value_is_refused(app, world):
    """A multipart form turns an uploaded file into a parameter value."""
    import io

    failures = []
    for name in ACTIONS:
        if name in SIDE_EFFECT_FREE:
            continue
        valid = world["valid"][name]
        for parameter in documented_parameters(getattr(actions, name)):
            form = {key: json.dumps(value) if not isinstance(value, str) else value
                    for key, value in valid.items() if key != parameter}
            form[parameter] = (io.BytesIO(b"a,b\n1,2\n"), "data.csv")
            try:
                response = app.post(API + name, data=form,
                                    headers={"Authorization": world["token"]},
                                    content_type="multipart/form-data")
                status, body = response.status_code, response.json or {}
            except Exception as error:  # noqa: BLE001 - a 500
                status, body = 500, {"exception": f"{type(error).__name__}: {error}"}
            problem = problems_of(status, body, True, parameter)
            if problem:
                failures.append(f"{name} {parameter}: {problem}")
    assert failures == [], "\n".join(failures)
