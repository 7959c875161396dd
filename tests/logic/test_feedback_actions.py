"""plusresilient_feedback_* on the real stack: the auth matrix of every action,
private datasets, rate limits, flags, notifications and the quality score."""
from __future__ import annotations

import datetime
import email.utils
import socketserver
import threading

import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.plusresilient import jobs
from ckanext.plusresilient.feedback import notify
from ckanext.plusresilient.feedback.access import hash_address
from ckanext.plusresilient.feedback.rate_limit import rate_limit_key
from ckanext.plusresilient.model.feedback import Feedback, FeedbackFlag
from tests.factories import Cluster, FeedbackItem, FeedbackReplyRow, SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "rate_counters")

ROLES = ("member", "editor", "admin")
EVERYONE = ("anonymous", "outsider", *ROLES, "other admin", "sysadmin")
MODERATORS = ("editor", "admin", "sysadmin")
SCRIPT = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def rate_counters():
    """This site's rate-limit counters, gone before and after (other sites'
    untouched: they may share the Redis server)."""
    def clean():
        connection = connect_to_redis()
        for key in connection.scan_iter(match=rate_limit_key("*")):
            connection.delete(key)

    clean()
    yield
    clean()


@pytest.fixture
def cluster():
    """An organization with one user per role, one admin of another, a
    sysadmin and a user of no organization."""
    users = {role: factories.User() for role in ROLES}
    organization = Cluster(users=[{"name": users[role]["name"], "capacity": role} for role in ROLES])
    users["other admin"] = factories.User()
    users["other organization"] = Cluster(
        users=[{"name": users["other admin"]["name"], "capacity": "admin"}])
    users["sysadmin"] = factories.Sysadmin()
    users["outsider"] = factories.User()
    return organization, users


def context_of(who, users):
    if who == "anonymous":
        return {"user": "", "ignore_auth": False}
    return {"user": users[who]["name"], "ignore_auth": False}


def user_id(users, who):
    return users[who]["id"]


def report(context, dataset, **fields):
    values = dict(package_id=dataset["id"], kind="report", category="broken_link",
                  text="The CSV link answers 404.")
    values.update(fields)
    return call_action("plusresilient_feedback_create", context=dict(context), **values)


def ids(items):
    return {item["id"] for item in items}


# -- create -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who, moderation", [
    ("outsider", "pending"), ("member", "pending"), ("other admin", "pending"),
    ("editor", "approved"), ("admin", "approved"), ("sysadmin", "approved"),
])
def test_create_is_for_logged_in_users_and_trusts_the_moderators(cluster, who, moderation):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    item = report(context_of(who, users), dataset)

    assert item["moderation"] == moderation and item["status"] == "open"
    assert item["author_name"] == users[who]["display_name"]
    assert item["package_name"] == dataset["name"] and item["replies"] == []
    assert item["may_moderate"] is (who in MODERATORS) and item["may_delete"] is True


def test_create_refuses_anonymous_visitors_by_default(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    with pytest.raises(tk.NotAuthorized):
        report(context_of("anonymous", users), dataset)
    assert Feedback.active().count() == 0


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
def test_create_by_an_anonymous_visitor_when_allowed(app, cluster):
    organization, _ = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    response = app.post("/api/3/action/plusresilient_feedback_create",
                        json={"package_id": dataset["id"], "kind": "rating", "rating": 4},
                        extra_environ={"REMOTE_ADDR": "203.0.113.7"})

    item = response.json["result"]
    assert item["author_name"] is None and item["moderation"] == "pending"
    stored = Feedback.get(item["id"])
    assert stored.author_id is None
    assert stored.author_ip_hash == hash_address("203.0.113.7")
    assert "203.0.113.7" not in stored.author_ip_hash


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.premoderation", "false")
def test_without_premoderation_everything_is_approved_at_once(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    assert report(context_of("outsider", users), dataset)["moderation"] == "approved"


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other admin"])
@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
def test_create_on_a_private_dataset_one_may_not_see_is_not_found(cluster, who):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)

    with pytest.raises(tk.ObjectNotFound):
        report(context_of(who, users), dataset)
    with pytest.raises(tk.ObjectNotFound):
        report(context_of(who, users), {"id": "no-such-dataset"})
    assert Feedback.active().count() == 0


def test_members_give_feedback_on_their_private_datasets(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)

    assert report(context_of("member", users), dataset)["moderation"] == "pending"


def test_a_script_is_stored_and_returned_verbatim_as_data(app, cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = report(context_of("editor", users), dataset, kind="comment", category=None, text=SCRIPT)

    shown = app.get(f"/api/3/action/plusresilient_feedback_show?id={item['id']}").json["result"]

    assert item["text"] == SCRIPT and shown["text"] == SCRIPT
    assert Feedback.get(item["id"]).text == SCRIPT


def test_text_is_cleaned_of_control_characters(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    item = report(context_of("editor", users), dataset, text=" Wrong\x00 totals\r\nin 2023\x1b ")

    assert item["text"] == "Wrong totals\nin 2023"


@pytest.mark.parametrize("fields, field", [
    ({"kind": "praise"}, "kind"),
    ({"kind": "rating", "rating": 6, "category": None}, "rating"),
    ({"kind": "rating", "rating": True, "category": None}, "rating"),
    ({"kind": "rating", "rating": 4}, "category"),
    ({"kind": "comment", "rating": 3, "category": None}, "rating"),
    ({"category": "typo"}, "category"),
    ({"category": "other", "text": "  "}, "text"),
    ({"kind": "comment", "category": None, "text": ""}, "text"),
    ({"text": "x" * 5001}, "text"),
    ({"resource_id": "no-such-resource"}, "resource_id"),
])
def test_create_validates_what_it_stores(cluster, fields, field):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    with pytest.raises(tk.ValidationError) as error:
        report(context_of("editor", users), dataset, **fields)

    assert field in error.value.error_dict
    assert Feedback.active().count() == 0


def test_a_report_may_name_one_of_the_datasets_resources_only(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], resources=[{"url": "https://x.org/a.csv"}])
    other = SVRCDataset(owner_org=organization["id"], resources=[{"url": "https://x.org/b.csv"}])
    context = context_of("editor", users)

    item = report(context, dataset, resource_id=dataset["resources"][0]["id"])
    with pytest.raises(tk.ValidationError):
        report(context, dataset, resource_id=other["resources"][0]["id"])

    assert item["resource_id"] == dataset["resources"][0]["id"]


def test_a_new_rating_replaces_the_previous_one(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    context = context_of("editor", users)

    first = report(context, dataset, kind="rating", rating=2, category=None)
    second = report(context, dataset, kind="rating", rating=5, category=None, text="Fixed now")
    other = report(context_of("admin", users), dataset, kind="rating", rating=3, category=None)

    ratings = call_action("plusresilient_feedback_list", package_id=dataset["id"], kind="rating")
    assert ids(ratings) == {second["id"], other["id"]}
    assert Feedback.get(first["id"]) is None
    assert Feedback.community_summary(dataset["id"]).average_rating == 4.0


# -- rate limit -------------------------------------------------------------------------------

@pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit", "2/3600")
def test_rate_limit_per_user(app, cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    outsider = context_of("outsider", users)

    report(outsider, dataset)
    report(outsider, dataset, kind="comment", category=None, text="Thanks")
    with pytest.raises(tk.ValidationError) as error:
        report(outsider, dataset)
    report(context_of("member", users), dataset)  # a counter of its own

    assert "at most 2 items per hour" in error.value.error_dict["rate"][0]
    assert Feedback.active().filter_by(author_id=user_id(users, "outsider")).count() == 2
    ttl = connect_to_redis().ttl(rate_limit_key(user_id(users, "outsider")))
    assert 3500 < ttl <= 3600


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit", "1/3600")
@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
def test_rate_limit_per_address_for_anonymous_visitors(app, cluster):
    organization, _ = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    body = {"package_id": dataset["id"], "kind": "comment", "text": "Useful"}
    url = "/api/3/action/plusresilient_feedback_create"

    app.post(url, json=body, extra_environ={"REMOTE_ADDR": "203.0.113.7"}, status=200)
    refused = app.post(url, json=body, extra_environ={"REMOTE_ADDR": "203.0.113.7"}, status=409)
    app.post(url, json=body, extra_environ={"REMOTE_ADDR": "203.0.113.8"}, status=200)

    assert "rate" in refused.json["error"]


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.rate_limit", "1/3600")
def test_invalid_feedback_does_not_use_up_the_limit(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    outsider = context_of("outsider", users)

    with pytest.raises(tk.ValidationError):
        report(outsider, dataset, category="typo")

    assert report(outsider, dataset)["moderation"] == "pending"


# -- list and show ----------------------------------------------------------------------------

@pytest.fixture
def discussed(cluster):
    """A public dataset with an approved report, a pending one by the
    outsider and a hidden one by the member."""
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    start = datetime.datetime(2026, 1, 1)
    items = {
        "approved": FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "editor"),
                                 created=start),
        "pending": FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "outsider"),
                                moderation="pending", created=start + datetime.timedelta(days=1)),
        "hidden": FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "member"),
                               moderation="hidden", kind="comment", created=start +
                               datetime.timedelta(days=2)),
    }
    return dataset, {name: item.id for name, item in items.items()}, users


@pytest.mark.parametrize("who, seen, seen_with_hidden", [
    ("anonymous", {"approved"}, {"approved"}),
    ("outsider", {"approved", "pending"}, {"approved", "pending"}),
    ("member", {"approved", "hidden"}, {"approved", "hidden"}),
    ("other admin", {"approved"}, {"approved"}),
    ("editor", {"approved"}, {"approved", "pending", "hidden"}),
    ("admin", {"approved"}, {"approved", "pending", "hidden"}),
    ("sysadmin", {"approved"}, {"approved", "pending", "hidden"}),
])
def test_list_shows_each_caller_what_they_may_see(discussed, who, seen, seen_with_hidden):
    dataset, items, users = discussed
    context = context_of(who, users)

    plain = call_action("plusresilient_feedback_list", context=dict(context),
                        package_id=dataset["name"])
    with_hidden = call_action("plusresilient_feedback_list", context=dict(context),
                              package_id=dataset["id"], include_hidden=True)

    assert ids(plain) == {items[name] for name in seen}
    assert ids(with_hidden) == {items[name] for name in seen_with_hidden}


def test_list_is_newest_first_filtered_and_paged(discussed):
    dataset, items, users = discussed
    context = context_of("admin", users)

    def listed(**params):
        return [item["id"] for item in call_action(
            "plusresilient_feedback_list", context=dict(context), package_id=dataset["id"],
            include_hidden=True, **params)]

    assert listed() == [items["hidden"], items["pending"], items["approved"]]
    assert listed(limit=1, offset=1) == [items["pending"]]
    assert listed(kind="comment") == [items["hidden"]]
    assert listed(status="resolved") == []
    with pytest.raises(tk.ValidationError):
        listed(status="closed")
    with pytest.raises(tk.ValidationError):
        listed(limit=-1)


def test_items_carry_their_replies(discussed):
    dataset, items, users = discussed
    FeedbackReplyRow(feedback_id=items["approved"], author_id=user_id(users, "admin"),
                     text="We are on it")

    item = call_action("plusresilient_feedback_show", id=items["approved"])

    assert [(reply["author_name"], reply["text"]) for reply in item["replies"]] == [
        (users["admin"]["display_name"], "We are on it")]
    assert set(item) == {"id", "package_id", "package_name", "package_title", "resource_id", "kind", "rating",
                         "category", "text", "author_name", "created", "updated", "status",
                         "moderation", "flags", "replies", "may_moderate", "may_delete"}


@pytest.mark.parametrize("who, allowed", [
    ("anonymous", False), ("outsider", True), ("member", False), ("other admin", False),
    ("editor", True), ("admin", True), ("sysadmin", True),
])
def test_show_a_pending_item_to_its_author_and_the_moderators(discussed, who, allowed):
    dataset, items, users = discussed
    context = context_of(who, users)

    if not allowed:
        with pytest.raises(tk.ObjectNotFound):
            call_action("plusresilient_feedback_show", context=context, id=items["pending"])
        return
    item = call_action("plusresilient_feedback_show", context=context, id=items["pending"])
    assert item["moderation"] == "pending" and item["text"] == "The CSV link answers 404."


def test_show_of_a_deleted_or_unknown_item_is_not_found(discussed):
    dataset, items, users = discussed
    FeedbackItem(package_id=dataset["id"], state="deleted", id="gone")

    for missing in ("gone", "no-such-item"):
        with pytest.raises(tk.ObjectNotFound):
            call_action("plusresilient_feedback_show", context=context_of("sysadmin", users),
                        id=missing)


# -- a private dataset leaks nothing ------------------------------------------------------------

@pytest.mark.parametrize("who", ["anonymous", "outsider", "other admin"])
@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
def test_nothing_of_a_private_dataset_reaches_an_outsider(cluster, who):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    approved = FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "member"))
    pending = FeedbackItem(package_id=dataset["id"], moderation="pending", flags=1)
    context = context_of(who, users)

    with pytest.raises(tk.ObjectNotFound):
        call_action("plusresilient_feedback_list", context=dict(context), package_id=dataset["id"])
    for item in (approved, pending):
        for action in ("plusresilient_feedback_show", "plusresilient_feedback_flag"):
            with pytest.raises(tk.ObjectNotFound):
                call_action(action, context=dict(context), id=item.id)
        for action, params in (("plusresilient_feedback_update_status", {"status": "resolved"}),
                               ("plusresilient_feedback_reply", {"text": "Hi"}),
                               ("plusresilient_feedback_moderate", {"moderation": "approved"}),
                               ("plusresilient_feedback_delete", {})):
            with pytest.raises((tk.ObjectNotFound, tk.NotAuthorized)):
                call_action(action, context=dict(context), id=item.id, **params)
    if who == "other admin":  # moderates an organization: a queue, without these
        assert call_action("plusresilient_feedback_queue", context=dict(context)) == []
    else:
        with pytest.raises(tk.NotAuthorized):
            call_action("plusresilient_feedback_queue", context=dict(context))
    with pytest.raises(tk.NotAuthorized):
        call_action("plusresilient_feedback_queue", context=dict(context),
                    organization=organization["name"])
    assert Feedback.get(pending.id).flags == 1
    assert Feedback.get(approved.id).status == "open"


def test_over_the_api_a_private_item_and_an_unknown_one_answer_alike(app, cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    item = FeedbackItem(package_id=dataset["id"])

    hidden = app.get(f"/api/3/action/plusresilient_feedback_show?id={item.id}", status=404)
    unknown = app.get("/api/3/action/plusresilient_feedback_show?id=no-such-item", status=404)
    listed = app.get(f"/api/3/action/plusresilient_feedback_list?package_id={dataset['id']}",
                     status=404)

    assert hidden.json["error"] == unknown.json["error"]
    assert listed.json["error"]["message"] == "Not found: Dataset not found"


def test_my_items_on_a_dataset_made_private_disappear_from_mine(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    context = context_of("outsider", users)
    item = report(context, dataset)

    assert ids(call_action("plusresilient_feedback_mine", context=dict(context))) == {item["id"]}
    call_action("package_patch", context=context_of("admin", users), id=dataset["id"], private=True)
    assert call_action("plusresilient_feedback_mine", context=dict(context)) == []


# -- the publisher's actions ------------------------------------------------------------------

PUBLISHER_ACTIONS = (
    ("plusresilient_feedback_update_status", {"status": "acknowledged"}),
    ("plusresilient_feedback_reply", {"text": "Thank you, we are on it"}),
    ("plusresilient_feedback_moderate", {"moderation": "hidden"}),
)


@pytest.mark.parametrize("who, allowed", [
    ("anonymous", False), ("outsider", False), ("member", False), ("other admin", False),
    ("editor", True), ("admin", True), ("sysadmin", True),
])
def test_status_reply_and_moderation_are_for_the_organizations_editors_and_admins(
        cluster, who, allowed):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "outsider"))
    context = context_of(who, users)

    for action, params in PUBLISHER_ACTIONS:
        if not allowed:
            with pytest.raises(tk.NotAuthorized):
                call_action(action, context=dict(context), id=item.id, **params)
            continue
        call_action(action, context=dict(context), id=item.id, **params)

    shown = call_action("plusresilient_feedback_show", context=context_of("admin", users),
                        id=item.id)
    if allowed:
        assert (shown["status"], shown["moderation"]) == ("acknowledged", "hidden")
        assert [reply["text"] for reply in shown["replies"]] == ["Thank you, we are on it"]
        assert shown["replies"][0]["author_name"] == users[who]["display_name"]
    else:
        assert (shown["status"], shown["moderation"], shown["replies"]) == ("open", "approved", [])


def test_a_pending_item_of_another_organization_is_not_found_by_its_admins(discussed):
    dataset, items, users = discussed

    for action, params in PUBLISHER_ACTIONS:
        with pytest.raises(tk.ObjectNotFound):
            call_action(action, context=context_of("other admin", users), id=items["pending"],
                        **params)


def test_publisher_actions_validate_their_values(discussed):
    dataset, items, users = discussed
    context = context_of("editor", users)

    for action, params in (("plusresilient_feedback_update_status", {"status": "closed"}),
                           ("plusresilient_feedback_moderate", {"moderation": "deleted"}),
                           ("plusresilient_feedback_reply", {"text": " \x00 "}),
                           ("plusresilient_feedback_reply", {"text": "x" * 5001})):
        with pytest.raises(tk.ValidationError):
            call_action(action, context=dict(context), id=items["approved"], **params)


# -- delete -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who, allowed", [
    ("anonymous", False), ("outsider", True), ("member", False), ("other admin", False),
    ("editor", False), ("admin", False), ("sysadmin", True),
])
def test_delete_is_for_the_author_and_sysadmins(cluster, who, allowed):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "outsider"))
    context = context_of(who, users)

    if not allowed:
        with pytest.raises(tk.NotAuthorized):
            call_action("plusresilient_feedback_delete", context=context, id=item.id)
        assert Feedback.get(item.id) is not None
        return
    result = call_action("plusresilient_feedback_delete", context=context, id=item.id)
    assert result == {"id": item.id, "state": "deleted"}
    assert call_action("plusresilient_feedback_list", package_id=dataset["id"]) == []
    model.Session.expire_all()
    assert model.Session.get(Feedback, item.id).state == "deleted"  # kept, as deleted


# -- flags ------------------------------------------------------------------------------------

@pytest.mark.ckan_config("ckanext.plusresilient.feedback.flags_to_hide", "2")
def test_flags_hide_an_item_until_a_moderator_decides(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"], kind="comment", text="Buy cheap pills")
    editor = context_of("editor", users)

    def flag(who, **params):
        return call_action("plusresilient_feedback_flag", context=context_of(who, users),
                           id=item.id, **params)

    with pytest.raises(tk.NotAuthorized):
        flag("anonymous")
    assert flag("outsider", reason="spam") == {"id": item.id, "flagged": True, "new": True}
    assert flag("outsider") == {"id": item.id, "flagged": True, "new": False}  # one per person
    assert Feedback.get(item.id).moderation == "approved"
    assert ids(call_action("plusresilient_feedback_queue", context=dict(editor))) == {item.id}
    flag("member")

    assert call_action("plusresilient_feedback_list", package_id=dataset["id"]) == []
    shown = call_action("plusresilient_feedback_show", context=dict(editor), id=item.id)
    assert (shown["moderation"], shown["flags"]) == ("hidden", 2)

    call_action("plusresilient_feedback_moderate", context=dict(editor), id=item.id,
                moderation="approved")
    assert call_action("plusresilient_feedback_queue", context=dict(editor)) == []
    assert flag("member")["new"] is False  # flaggers cannot hide it again
    assert Feedback.get(item.id).moderation == "approved"


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
@pytest.mark.ckan_config("ckanext.plusresilient.feedback.flags_to_hide", "2")
def test_anonymous_visitors_flag_once_per_address(app, cluster):
    organization, _ = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"])
    url = "/api/3/action/plusresilient_feedback_flag"

    def flag(address):
        return app.post(url, json={"id": item.id},
                        extra_environ={"REMOTE_ADDR": address}).json["result"]["new"]

    assert [flag("203.0.113.7"), flag("203.0.113.7")] == [True, False]
    assert Feedback.get(item.id).moderation == "approved"
    assert flag("203.0.113.8") is True
    model.Session.expire_all()
    assert Feedback.get(item.id).moderation == "hidden"


# -- anonymous callers through the real API ----------------------------------------------------
# The API hands the actions CKAN's AnonymousUser (a truthy object) as
# auth_user_obj; an anonymous caller is one without a user name, whatever
# object stands for them.

API = "/api/3/action/"


@pytest.mark.ckan_config("ckanext.plusresilient.feedback.flags_to_hide", "1")
def test_without_allow_anonymous_the_api_refuses_anonymous_feedback_and_flags(app, cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"], author_id=user_id(users, "member"))

    created = app.post(API + "plusresilient_feedback_create", status=403,
                       json={"package_id": dataset["id"], "kind": "rating", "rating": 1},
                       extra_environ={"REMOTE_ADDR": "203.0.113.7"})
    flagged = app.post(API + "plusresilient_feedback_flag", status=403,
                       json={"id": item.id, "reason": "spam"},
                       extra_environ={"REMOTE_ADDR": "203.0.113.7"})

    assert created.json["error"]["message"] == "Access denied: Log in to give feedback"
    assert flagged.json["error"]["message"] == "Access denied: Log in to give feedback"
    model.Session.expire_all()
    assert Feedback.active().count() == 1
    stored = Feedback.get(item.id)
    assert (stored.flags, stored.moderation) == (0, "approved")  # one flag would have hidden it
    assert model.Session.query(FeedbackFlag).count() == 0


@pytest.mark.parametrize("action, params", [
    ("plusresilient_feedback_update_status", {"status": "resolved"}),
    ("plusresilient_feedback_reply", {"text": "Fixed"}),
    ("plusresilient_feedback_moderate", {"moderation": "hidden"}),
    ("plusresilient_feedback_delete", {}),
    ("plusresilient_feedback_queue", {}),
    ("plusresilient_feedback_mine", {}),
])
@pytest.mark.ckan_config("ckanext.plusresilient.feedback.allow_anonymous", "true")
def test_the_api_refuses_anonymous_callers_what_needs_a_login(app, cluster, action, params):
    """Even where anonymous feedback is allowed: these need a person."""
    organization, _ = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    item = FeedbackItem(package_id=dataset["id"])
    if action not in ("plusresilient_feedback_queue", "plusresilient_feedback_mine"):
        params = dict(params, id=item.id)

    refused = app.post(API + action, json=params, status=403)

    assert refused.json["error"]["message"] == "Access denied: Log in to do this"
    model.Session.expire_all()
    stored = Feedback.get(item.id)
    assert (stored.status, stored.moderation, stored.state) == ("open", "approved", "active")


# -- queue and mine ---------------------------------------------------------------------------

@pytest.mark.parametrize("who, allowed", [
    ("anonymous", False), ("outsider", False), ("member", False), ("other admin", True),
    ("editor", True), ("admin", True), ("sysadmin", True),
])
def test_queue_holds_the_pending_and_flagged_items_the_caller_moderates(cluster, who, allowed):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], private=True)
    pending = FeedbackItem(package_id=dataset["id"], moderation="pending")
    flagged = FeedbackItem(package_id=dataset["id"], flags=1)
    FeedbackItem(package_id=dataset["id"])  # approved, unflagged: nothing to do
    elsewhere = FeedbackItem(package_id=SVRCDataset(owner_org=users["other organization"]["id"])["id"],
                             moderation="pending")
    context = context_of(who, users)

    if not allowed:
        with pytest.raises(tk.NotAuthorized):
            call_action("plusresilient_feedback_queue", context=context)
        return
    queued = ids(call_action("plusresilient_feedback_queue", context=dict(context)))
    expected = {
        "other admin": {elsewhere.id},
        "sysadmin": {pending.id, flagged.id, elsewhere.id},
    }.get(who, {pending.id, flagged.id})
    assert queued == expected
    if who != "other admin":
        one_organization = call_action("plusresilient_feedback_queue", context=dict(context),
                                       organization=organization["name"])
        assert ids(one_organization) == {pending.id, flagged.id}


def test_queue_of_an_unknown_organization_is_not_found(cluster):
    _, users = cluster
    with pytest.raises(tk.ObjectNotFound):
        call_action("plusresilient_feedback_queue", context=context_of("editor", users),
                    organization="no-such-organization")


def test_mine_lists_my_items_with_status_and_replies(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    outsider = context_of("outsider", users)
    mine = report(outsider, dataset)
    report(context_of("member", users), dataset)  # someone else's
    call_action("plusresilient_feedback_reply", context=context_of("editor", users),
                id=mine["id"], text="Which link?")

    with pytest.raises(tk.NotAuthorized):
        call_action("plusresilient_feedback_mine", context=context_of("anonymous", users))
    items = call_action("plusresilient_feedback_mine", context=dict(outsider))

    assert [(item["id"], item["moderation"], item["status"]) for item in items] == [
        (mine["id"], "pending", "open")]
    assert [reply["text"] for reply in items[0]["replies"]] == ["Which link?"]


# -- notifications ----------------------------------------------------------------------------

def feedback_activities(dataset):
    activities = call_action("package_activity_list", id=dataset["id"],
                             activity_types=[notify.ACTIVITY_TYPE])
    return [activity["data"]["feedback"]["id"] for activity in activities]


def test_an_item_becomes_an_activity_of_the_dataset_once_it_is_public(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    editor = context_of("editor", users)

    public = report(editor, dataset)
    pending = report(context_of("outsider", users), dataset, text=SCRIPT)
    assert feedback_activities(dataset) == [public["id"]]

    for moderation in ("approved", "hidden", "approved"):
        call_action("plusresilient_feedback_moderate", context=dict(editor), id=pending["id"],
                    moderation=moderation)

    assert sorted(feedback_activities(dataset)) == sorted([public["id"], pending["id"]])
    activity = call_action("package_activity_list", id=dataset["id"],
                           activity_types=[notify.ACTIVITY_TYPE])[0]
    assert activity["user_id"] == user_id(users, "outsider")
    assert SCRIPT not in str(activity["data"])  # no text: a later hidden item must not live on


def test_the_activity_page_shows_the_new_feedback(app, cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    report(context_of("editor", users), dataset)

    page = app.get(f"/dataset/activity/{dataset['name']}")

    assert notify.ACTIVITY_TYPE in page.body


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every command accepted, DATA kept."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.server.connections += 1
        self.reply("220 localhost test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip().upper()
            if command.startswith("DATA"):
                self.reply("354 go on")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.messages.append(b"".join(lines))
                self.reply("250 kept")
            elif command.startswith("QUIT"):
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server(monkeypatch):
    """A real SMTP server on a free loopback port, set as CKAN's smtp.server."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.messages = []
    server.connections = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(tk.config, "smtp.server", f"127.0.0.1:{server.server_address[1]}")
    monkeypatch.setitem(tk.config, "smtp.mail_from", "portal@example.org")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_log(monkeypatch, caplog):
    """The feedback module's log lines. clean_db runs the plugins' alembic
    migrations, whose env.py calls logging's fileConfig, which disables the
    loggers that exist by then: this one is switched back on for the test."""
    monkeypatch.setattr(notify.log, "disabled", False)
    return caplog


def received(server):
    import email

    return [email.message_from_bytes(raw) for raw in server.messages]


MAIL_ADMINS = "ckanext.plusresilient.feedback.mail_admins"


def test_nothing_is_mailed_unless_the_site_asks_for_it(cluster, smtp_server, mail_log):
    """smtp.server has a default (localhost), so a mail server in the
    configuration says nothing about the site's wishes: without the option
    no connection is even tried."""
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    report(context_of("outsider", users), dataset)

    assert smtp_server.connections == 0 and smtp_server.messages == []
    assert "not mailed" not in mail_log.text


@pytest.mark.ckan_config(MAIL_ADMINS, "true")
def test_without_a_sender_address_nothing_is_sent_and_the_log_says_why(
        cluster, smtp_server, monkeypatch, mail_log):
    """CKAN's mailer needs smtp.mail_from (without it, it fails with an
    AttributeError on every message): one clear line instead."""
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    monkeypatch.delitem(tk.config, "smtp.mail_from")

    item = report(context_of("outsider", users), dataset)

    assert smtp_server.messages == []
    assert "AttributeError" not in mail_log.text
    warnings = [record.getMessage() for record in mail_log.records
                if record.name == notify.log.name and record.levelname == "WARNING"]
    assert warnings == [f"feedback {item['id']} not mailed to the organization's admins: "
                        f"smtp.mail_from is not set"]


@pytest.mark.ckan_config(MAIL_ADMINS, "true")
def test_the_organizations_admins_are_mailed_about_new_feedback(cluster, smtp_server):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"], title="Social cooperatives of Apulia")
    second_admin = factories.User(email="second-admin@example.org")
    call_action("organization_member_create", context=context_of("sysadmin", users),
                id=organization["id"], username=second_admin["name"], role="admin")

    report(context_of("outsider", users), dataset, text="Totals of 2023 are wrong")
    report(context_of("admin", users), dataset, text="Our own note")  # not mailed to its author

    messages = received(smtp_server)
    # Compared parsed: a display name with a dot ("Ms. Gina Byrd") is quoted
    # in the header, as RFC 5322 wants.
    to = sorted(email.utils.parseaddr(message["To"]) for message in messages)
    assert to == sorted([(users["admin"]["display_name"], users["admin"]["email"]),
                         (second_admin["display_name"], "second-admin@example.org"),
                         (second_admin["display_name"], "second-admin@example.org")])
    first = next(m for m in messages if users["admin"]["email"] in m["To"])
    body = first.get_payload(decode=True).decode()
    assert first["Subject"] == 'New quality report on "Social cooperatives of Apulia"'
    assert "Totals of 2023 are wrong" in body and "waits for moderation" in body
    assert f"/dataset/{dataset['name']}" in body


@pytest.mark.ckan_config(MAIL_ADMINS, "true")
def test_a_mail_server_that_fails_does_not_fail_the_feedback(cluster, monkeypatch, mail_log):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    closed = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    monkeypatch.setitem(tk.config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(tk.config, "smtp.mail_from", "portal@example.org")

    item = report(context_of("outsider", users), dataset)

    assert Feedback.get(item["id"]) is not None
    assert f"feedback {item['id']} not mailed to {users['admin']['name']}: MailerException" \
        in mail_log.text


# -- the quality score ------------------------------------------------------------------------

def overall(dataset, users):
    return call_action("plusresilient_quality_refresh", context=context_of("editor", users),
                       id=dataset["id"], wait=True)


def test_the_community_component_follows_approval_and_resolution(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    editor = context_of("editor", users)
    before = overall(dataset, users)
    assert before["community"] is None and before["overall"]["components"]["community"] is None

    item = report(context_of("outsider", users), dataset)
    assert overall(dataset, users)["overall"]["score"] == before["overall"]["score"]  # pending

    call_action("plusresilient_feedback_moderate", context=dict(editor), id=item["id"],
                moderation="approved")
    reported = overall(dataset, users)
    assert reported["community"] == {"ratings": 0, "average_rating": None, "open_reports": 1}
    assert reported["overall"]["components"]["community"] == 0
    assert reported["overall"]["score"] < before["overall"]["score"]

    call_action("plusresilient_feedback_update_status", context=dict(editor), id=item["id"],
                status="resolved")
    resolved = overall(dataset, users)
    assert resolved["community"] is None
    assert resolved["overall"]["score"] == before["overall"]["score"]


def test_approved_ratings_lift_the_community_component(cluster):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    report(context_of("editor", users), dataset, kind="rating", rating=5, category=None)
    report(context_of("admin", users), dataset, kind="rating", rating=4, category=None)

    scored = overall(dataset, users)

    assert scored["community"] == {"ratings": 2, "average_rating": 4.5, "open_reports": 0}
    assert scored["overall"]["components"]["community"] == 87.5


def test_changes_that_count_schedule_a_rescoring(cluster, scoring_queue, monkeypatch):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    monkeypatch.setitem(tk.config, "ckanext.plusresilient.quality.auto", "true")
    editor = context_of("editor", users)

    report(context_of("outsider", users), dataset, kind="comment", category=None, text="Thanks")
    item = report(context_of("outsider", users), dataset)
    assert scoring_queue.job_ids == []  # a comment, a pending report: the score is as it was

    call_action("plusresilient_feedback_moderate", context=dict(editor), id=item["id"],
                moderation="approved")

    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]


# -- the caller owns the transaction ----------------------------------------------------------

def test_a_caller_that_defers_the_commit_can_roll_every_change_back(cluster):
    """CKAN's defer_commit: several changes, one transaction, the caller's.
    Before, every feedback action committed whatever its caller asked."""
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    kept = report(context_of("outsider", users), dataset)
    editor = dict(context_of("editor", users), defer_commit=True)

    report(dict(context_of("outsider", users), defer_commit=True), dataset, text="Second")
    call_action("plusresilient_feedback_moderate", context=dict(editor), id=kept["id"],
                moderation="approved")
    call_action("plusresilient_feedback_reply", context=dict(editor), id=kept["id"],
                text="Fixed in the next release")
    model.Session.rollback()

    assert [item.id for item in Feedback.active()] == [kept["id"]]
    stored = Feedback.get(kept["id"])
    assert stored.moderation == "pending"
    assert call_action("plusresilient_feedback_show", context=context_of("outsider", users),
                       id=kept["id"])["replies"] == []


@pytest.mark.ckan_config(MAIL_ADMINS, "true")
def test_the_admins_are_mailed_only_about_what_was_committed(cluster, smtp_server):
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])

    report(dict(context_of("outsider", users), defer_commit=True), dataset, text="Rolled back")
    model.Session.rollback()
    assert smtp_server.messages == []

    report(dict(context_of("outsider", users), defer_commit=True), dataset, text="Committed")
    assert smtp_server.messages == []  # not before the caller's commit
    model.Session.commit()
    assert ["Committed" in message.get_payload(decode=True).decode()
            for message in received(smtp_server)] == [True]


def test_a_caller_that_asks_for_no_scoring_gets_none(cluster, scoring_queue, monkeypatch):
    """The demo loader's switch travels in the context; before, it turned
    quality.auto off for the whole process while it loaded."""
    organization, users = cluster
    dataset = SVRCDataset(owner_org=organization["id"])
    monkeypatch.setitem(tk.config, "ckanext.plusresilient.quality.auto", "true")
    editor = dict(context_of("editor", users), **{jobs.NO_SCORING: True})

    report(editor, dataset, kind="rating", rating=4, category=None)
    call_action("package_patch", context=dict(editor), id=dataset["id"], notes="Edited")
    assert scoring_queue.job_ids == []

    report(context_of("admin", users), dataset, kind="rating", rating=5, category=None)
    assert scoring_queue.job_ids == [jobs.job_id(dataset["id"])]
