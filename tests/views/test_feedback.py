"""The community feedback pages: the dataset's panel, the forms behind it, the
moderation queue and "my feedback", rendered and posted through the real app
(logged-in sessions, CKAN's CSRF tokens) on the real stack."""
from __future__ import annotations

import re
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset
from tests.forms import PASSWORD, csrf_token as _token, login as _login

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_rate_limits")

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def people():
    """An SVRC cluster with an admin, an editor and a member, another
    cluster's admin, a user of neither and a sysadmin."""
    sysadmin = factories.Sysadmin(password=PASSWORD)
    cluster, other_cluster = Cluster(), Cluster()
    users = {role: factories.User(password=PASSWORD) for role in ("admin", "editor", "member", "other_admin", "outsider")}
    for role in ("admin", "editor", "member"):
        call_action("organization_member_create", {"user": sysadmin["name"]}, id=cluster["id"],
                    username=users[role]["name"], role=role)
    call_action("organization_member_create", {"user": sysadmin["name"]}, id=other_cluster["id"],
                username=users["other_admin"]["name"], role="admin")
    return {"sysadmin": sysadmin, "cluster": cluster, **users}


def _dataset(people: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return SVRCDataset(owner_org=people["cluster"]["id"], **fields)


def _create(user: dict[str, Any], dataset: dict[str, Any], **fields: Any) -> dict[str, Any]:
    fields.setdefault("kind", "report")
    if fields["kind"] == "report":
        fields.setdefault("category", "wrong_values")
    fields.setdefault("text", "The 2023 totals are missing.")
    return call_action("plusresilient_feedback_create", {"user": user["name"]},
                       package_id=dataset["id"], **fields)


def _show(item_id: str, people: dict[str, Any]) -> dict[str, Any]:
    return call_action("plusresilient_feedback_show", {"user": people["sysadmin"]["name"]}, id=item_id)


def _submit(app, page_url: str, action_url: str, data: dict[str, Any], **kwargs: Any):
    """Post a form the way a browser does: the token from the page the form is on."""
    token = _token(app.get(page_url).body)
    return app.post(action_url, data={"_csrf_token": token, **data}, **kwargs)


def _form_action(body: str, css_class: str) -> str:
    match = re.search(rf'<form method="post" action="([^"]+)" class="{css_class}', body)
    assert match, f"no {css_class} form on the page"
    return match.group(1)


def _item_html(body: str, item_id: str) -> str:
    """One item's markup: from its own list entry up to the next item's."""
    after = body.split(f'data-feedback="{item_id}"', 1)[1]
    return after.split('<li class="plusresilient-feedback-item', 1)[0]


# -- the panel ------------------------------------------------------------------------

def test_anonymous_visitors_see_approved_feedback_and_a_login_link(app, people):
    dataset = _dataset(people)
    approved = _create(people["admin"], dataset, kind="comment", text="Updated every quarter.")
    pending = _create(people["outsider"], dataset, kind="comment", text="Is this the 2024 edition?")

    body = app.get(f"/dataset/{dataset['name']}").body

    assert 'id="feedback"' in body
    assert "Log in to give feedback" in body
    assert "plusresilient-feedback-rate-form" not in body
    assert "Updated every quarter." in body and f'data-feedback="{approved["id"]}"' in body
    assert "Is this the 2024 edition?" not in body and pending["id"] not in body


def test_an_anonymous_post_is_sent_to_log_in_unless_the_site_allows_it(app, people, ckan_config, monkeypatch):
    dataset = _dataset(people)
    page = f"/dataset/{dataset['name']}"

    answer = _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "Hello."}, follow_redirects=False)
    assert answer.status_code == 302
    assert "/user/login" in answer.headers["Location"] and "feedback" not in answer.headers["Location"]

    monkeypatch.setitem(ckan_config, "ckanext.plusresilient.feedback.allow_anonymous", True)
    body = app.get(page).body
    assert "plusresilient-feedback-comment-form" in body and "Log in to give feedback" not in body
    answer = _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "Hello."})
    assert "waiting for moderation" in answer.body
    [item] = call_action("plusresilient_feedback_queue", {"user": people["admin"]["name"]})
    assert (item["text"], item["author_name"]) == ("Hello.", None)


def test_logged_in_users_get_the_forms_and_their_own_pending_items(app, people):
    dataset = _dataset(people, resources=[{"name": "Totals by year", "url": "https://example.org/t.csv"}])
    mine = _create(people["outsider"], dataset, text="Column B is empty.")
    _login(app, people["outsider"])

    body = app.get(f"/dataset/{dataset['name']}").body

    for form in ("rate", "report", "comment"):
        assert f"plusresilient-feedback-{form}-form" in body
    assert body.count('name="_csrf_token"') >= 3
    assert 'value="broken_link"' in body and "Unclear licence" in body
    assert "Totals by year" in body  # the resource choice
    assert "Log in to give feedback" not in body
    item = _item_html(body, mine["id"])
    assert "Column B is empty." in item and "Waiting for moderation" in item
    assert "plusresilient-feedback-delete-form" in item  # the author's own
    assert "plusresilient-feedback-moderate-form" not in item


def test_the_average_rating_counts_approved_ratings(app, people):
    dataset = _dataset(people)
    _create(people["admin"], dataset, kind="rating", rating=4, text="")
    _create(people["sysadmin"], dataset, kind="rating", rating=5, text="")
    _create(people["outsider"], dataset, kind="rating", rating=1, text="")  # pending: not counted

    body = app.get(f"/dataset/{dataset['name']}").body

    assert 'data-ratings="2"' in body
    assert "Average rating: 4.5 out of 5" in body


# -- posting through the forms --------------------------------------------------------

def test_a_report_posted_through_the_form_waits_and_the_admin_approves_it_from_the_queue(app, people):
    dataset = _dataset(people)
    page = f"/dataset/{dataset['name']}"
    _login(app, people["member"])

    answer = _submit(app, page, f"{page}/feedback", {
        "kind": "report", "category": "broken_link", "text": "The CSV link answers 404."})

    assert "waiting for moderation" in answer.body
    [item] = call_action("plusresilient_feedback_mine", {"user": people["member"]["name"]})
    assert (item["kind"], item["category"], item["moderation"]) == ("report", "broken_link", "pending")

    _login(app, people["admin"])
    queue = app.get("/feedback/queue").body
    assert f'data-feedback="{item["id"]}"' in queue and "The CSV link answers 404." in queue
    approve = _form_action(_item_html(queue, item["id"]), "plusresilient-feedback-moderate-form")
    answer = _submit(app, "/feedback/queue", approve,
                     {"moderation": "approved", "came_from": "/feedback/queue"}, follow_redirects=False)

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/feedback/queue")
    assert _show(item["id"], people)["moderation"] == "approved"
    _login(app, None)
    assert "The CSV link answers 404." in app.get(page).body
    assert f'data-feedback="{item["id"]}"' not in app.get("/feedback/queue", follow_redirects=False).body


def test_the_publisher_changes_the_status_and_replies_from_the_dataset_page(app, people):
    dataset = _dataset(people)
    item = _create(people["outsider"], dataset)
    page = f"/dataset/{dataset['name']}"
    _login(app, people["editor"])
    body = app.get(page).body
    controls = _item_html(body, item["id"])

    _submit(app, page, _form_action(controls, "plusresilient-feedback-status-form"), {"status": "acknowledged"})
    _submit(app, page, _form_action(controls, "plusresilient-feedback-reply-form"),
            {"text": "Thank you, the 2023 file follows next week."})

    stored = _show(item["id"], people)
    assert stored["status"] == "acknowledged"
    assert [reply["text"] for reply in stored["replies"]] == ["Thank you, the 2023 file follows next week."]
    body = app.get(page).body
    assert "Acknowledged" in _item_html(body, item["id"])
    assert "the 2023 file follows next week" in _item_html(body, item["id"])


def test_members_and_outsiders_cannot_moderate_through_the_forms(app, people):
    dataset = _dataset(people)
    item = _create(people["outsider"], dataset)
    call_action("plusresilient_feedback_moderate", {"user": people["admin"]["name"]}, id=item["id"],
                moderation="approved")
    page = f"/dataset/{dataset['name']}"
    for role in ("member", "other_admin", "outsider"):
        _login(app, people[role])
        assert "plusresilient-feedback-moderate-form" not in app.get(page).body
        _submit(app, page, f"{page}/feedback/{item['id']}/moderate", {"moderation": "hidden"}, status=403)
        _submit(app, page, f"{page}/feedback/{item['id']}/status", {"status": "rejected"}, status=403)
    stored = _show(item["id"], people)
    assert (stored["moderation"], stored["status"]) == ("approved", "open")


def test_a_pending_item_is_not_found_for_other_users(app, people):
    dataset = _dataset(people)
    item = _create(people["outsider"], dataset)
    page = f"/dataset/{dataset['name']}"
    _login(app, people["member"])

    _submit(app, page, f"{page}/feedback/{item['id']}/flag", {}, status=404)

    assert _show(item["id"], people)["flags"] == 0


def test_authors_delete_their_own_and_users_flag_the_others(app, people):
    dataset = _dataset(people)
    own = _create(people["member"], dataset, kind="comment", text="Mine.")
    others = _create(people["admin"], dataset, kind="comment", text="The publisher's note.")
    page = f"/dataset/{dataset['name']}"
    _login(app, people["member"])
    body = app.get(page).body
    assert "plusresilient-feedback-flag-form" not in _item_html(body, own["id"])
    assert "plusresilient-feedback-delete-form" not in _item_html(body, others["id"])

    _submit(app, page, f"{page}/feedback/{others['id']}/flag", {"reason": "spam"})
    _submit(app, page, f"{page}/feedback/{own['id']}/delete", {})
    _submit(app, page, f"{page}/feedback/{others['id']}/delete", {}, status=403)

    assert _show(others["id"], people)["flags"] == 1
    assert "Mine." not in app.get(page).body


def test_a_validation_or_rate_limit_error_is_flashed_on_the_dataset_page(app, people, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.plusresilient.feedback.rate_limit", "1/3600")
    dataset = _dataset(people)
    page = f"/dataset/{dataset['name']}"
    _login(app, people["outsider"])

    refused = _submit(app, page, f"{page}/feedback", {"kind": "report", "category": "no-such", "text": "x"})
    assert "alert-error" in refused.body or "alert-danger" in refused.body
    _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "First."})
    limited = _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "Second."})

    texts = [item["text"] for item in call_action("plusresilient_feedback_mine", {"user": people["outsider"]["name"]})]
    assert texts == ["First."]
    assert "Second." not in limited.body
    assert "alert-error" in limited.body or "alert-danger" in limited.body


def test_a_post_without_the_csrf_token_is_refused(app, people):
    dataset = _dataset(people)
    page = f"/dataset/{dataset['name']}"
    # an anonymous post first: CKAN then exempts the view from its own check for good
    app.post(f"{page}/feedback", data={"kind": "comment", "text": "Anonymous."})
    _login(app, people["member"])
    app.get(page)

    answer = app.post(f"{page}/feedback", data={"kind": "comment", "text": "No token."})
    forged = app.post(f"{page}/feedback", data={"kind": "comment", "text": "Bad token.",
                                                "_csrf_token": "forged"})

    assert answer.status_code == 400 and forged.status_code == 400
    assert call_action("plusresilient_feedback_mine", {"user": people["member"]["name"]}) == []
    _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "With the token."})
    assert len(call_action("plusresilient_feedback_mine", {"user": people["member"]["name"]})) == 1


def test_came_from_only_redirects_within_the_site(app, people):
    dataset = _dataset(people)
    page = f"/dataset/{dataset['name']}"
    _login(app, people["member"])

    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "Hi.", "came_from": outside},
                         follow_redirects=False)
        assert answer.status_code == 302
        assert "evil.example" not in answer.headers["Location"]
        assert f"/dataset/{dataset['name']}" in answer.headers["Location"]
    answer = _submit(app, page, f"{page}/feedback", {"kind": "comment", "text": "Hi.", "came_from": "/dashboard/feedback"},
                     follow_redirects=False)
    assert answer.headers["Location"].endswith("/dashboard/feedback")


def test_an_item_is_not_reachable_through_another_datasets_url(app, people):
    dataset, other = _dataset(people), _dataset(people)
    item = _create(people["outsider"], dataset)
    page = f"/dataset/{other['name']}"
    _login(app, people["admin"])

    _submit(app, page, f"{page}/feedback/{item['id']}/moderate", {"moderation": "approved"}, status=404)

    assert _show(item["id"], people)["moderation"] == "pending"


# -- escaping -------------------------------------------------------------------------

def test_a_script_payload_stays_escaped_on_every_page(app, people):
    dataset = _dataset(people, resources=[{"name": "Totals", "url": "https://example.org/t.csv"}])
    item = _create(people["outsider"], dataset, text=PAYLOAD)
    call_action("plusresilient_feedback_reply", {"user": people["admin"]["name"]}, id=item["id"], text=PAYLOAD)
    page = f"/dataset/{dataset['name']}"

    pages = []
    _login(app, people["outsider"])
    pages += [app.get(page).body, app.get("/dashboard/feedback").body]
    _login(app, people["admin"])
    pages += [app.get(page).body, app.get("/feedback/queue").body]
    call_action("plusresilient_feedback_moderate", {"user": people["admin"]["name"]}, id=item["id"],
                moderation="approved")
    _login(app, None)
    pages += [app.get(page).body, app.get(f"{page}/quality").body]

    for body in pages:
        assert PAYLOAD not in body
        assert body.count(ESCAPED) >= 2  # the text and the reply


# -- private datasets -----------------------------------------------------------------

def test_nothing_of_a_private_datasets_feedback_reaches_outsiders(app, people):
    dataset = _dataset(people, private=True)
    inside = _create(people["member"], dataset, text="Private remark.")
    public = _dataset(people)
    own = _create(people["outsider"], public, text="Public remark.")
    page = f"/dataset/{dataset['name']}"

    for role in ("other_admin", "outsider"):
        _login(app, people[role])
        app.get(page, status=404)
        token = _token(app.get(f"/dataset/{public['name']}").body)
        app.post(f"{page}/feedback", data={"_csrf_token": token, "kind": "comment", "text": "x"}, status=404)
        app.post(f"{page}/feedback/{inside['id']}/flag", data={"_csrf_token": token}, status=404)
        mine = app.get("/dashboard/feedback").body
        assert "Private remark." not in mine and inside["id"] not in mine
    assert "Public remark." in mine and own["id"] in mine
    _login(app, people["other_admin"])
    queue = app.get("/feedback/queue").body
    assert "Private remark." not in queue and dataset["name"] not in queue
    _login(app, None)
    app.get(page, status=404)
    _login(app, people["admin"])
    assert "Private remark." in app.get("/feedback/queue").body


def test_the_queue_is_for_moderators_and_my_feedback_for_logged_in_users(app, people):
    for url in ("/feedback/queue", "/dashboard/feedback"):
        answer = app.get(url, follow_redirects=False)
        assert answer.status_code == 302 and "/user/login" in answer.headers["Location"]
    _login(app, people["outsider"])
    app.get("/feedback/queue", status=403)
    app.get("/dashboard/feedback", status=200)
    assert "/feedback/queue" not in app.get("/dashboard/datasets").body
    for role in ("editor", "admin", "sysadmin"):
        _login(app, people[role])
        app.get("/feedback/queue", status=200)
        assert 'href="/feedback/queue"' in app.get("/dashboard/datasets").body


# -- quality report and languages -----------------------------------------------------

def test_the_quality_report_lists_open_approved_reports(app, people):
    dataset = _dataset(people)
    item = _create(people["outsider"], dataset, category="outdated", text="Last updated in 2019.")
    report = f"/dataset/{dataset['name']}/quality"

    assert 'data-open-reports="0"' in app.get(report).body
    call_action("plusresilient_feedback_moderate", {"user": people["admin"]["name"]}, id=item["id"],
                moderation="approved")
    body = app.get(report).body
    assert 'data-open-reports="1"' in body and "Last updated in 2019." in body
    call_action("plusresilient_feedback_update_status", {"user": people["admin"]["name"]}, id=item["id"],
                status="resolved")
    assert 'data-open-reports="0"' in app.get(report).body


def test_the_panel_speaks_italian(app, people):
    dataset = _dataset(people)
    _create(people["admin"], dataset, category="unclear_licence", text="Which CC version?")
    _login(app, people["member"])

    body = app.get(f"/it/dataset/{dataset['name']}").body

    for italian in ("Segnala un problema", "Licenza poco chiara", "Valuta questo dataset", "Aperta"):
        assert italian in body
    assert "Report a problem" not in body
