"""Community feedback in a browser: a logged-in user reports a problem with
the dataset page's form, the organization's admin moderates it from the
queue, and what each of them and an anonymous visitor then sees."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from ckan.tests.helpers import call_action
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.pages import login
from tests.browser.people import cluster, make_member, user
from tests.factories import SVRCDataset

REPORT = "The 2023 column is empty for every municipality."
REPLY = "Thank you: the 2023 figures are back in the file."
PREMODERATION = "ckanext.plusresilient.feedback.premoderation"


@pytest.fixture
def people(portal: str) -> dict[str, Any]:
    """A cluster with its admin, a user of no organization, and the
    cluster's dataset they talk about (made after ``portal`` has cleaned the
    database)."""
    organization = cluster()
    admin, reporter = user(), user()
    make_member(organization, admin, "admin")
    dataset = SVRCDataset(owner_org=organization["id"], title="Social services in Veneto")
    return {"admin": admin, "reporter": reporter, "dataset": dataset}


def _item(page: Page, text: str) -> Locator:
    return page.locator("li.plusresilient-feedback-item").filter(has_text=text)


def _flash(page: Page) -> Locator:
    return page.locator(".flash-messages .alert")


def _report_problem(page: Page, dataset: dict[str, Any]) -> None:
    """The feedback panel's "Report a problem" form, opened and sent."""
    page.goto(f"/dataset/{dataset['name']}")
    panel = page.locator("section#feedback")
    panel.get_by_text("Report a problem", exact=True).click()
    panel.get_by_label("What is wrong?").select_option(label="Wrong or missing values")
    panel.get_by_label("Describe the problem").fill(REPORT)
    panel.get_by_role("button", name="Send the report").click()


@pytest.mark.ckan_config(PREMODERATION, True)
def test_a_logged_in_user_reports_a_problem_and_it_waits_for_moderation(
        people: dict[str, Any], page: Page, new_context: Callable[[], BrowserContext]):
    dataset = people["dataset"]
    login(page, people["reporter"])

    _report_problem(page, dataset)

    expect(page).to_have_url(re.compile(rf"/dataset/{dataset['name']}#feedback$"))
    expect(_flash(page)).to_contain_text("Thank you: your feedback is waiting for moderation.")
    mine = _item(page, REPORT)
    expect(mine).to_have_attribute("data-moderation", "pending")
    expect(mine.locator(".plusresilient-feedback-kind")).to_have_text("Problem report")
    expect(mine.locator(".plusresilient-feedback-category")).to_have_text("Wrong or missing values")
    expect(mine.locator(".plusresilient-feedback-moderation")).to_have_text("Waiting for moderation")
    expect(mine).to_contain_text(people["reporter"]["display_name"])

    # what the server stored: one pending report in the admin's queue
    [queued] = call_action("plusresilient_feedback_queue", {"user": people["admin"]["name"]})
    assert (queued["kind"], queued["category"], queued["text"], queued["moderation"]) == (
        "report", "wrong_values", REPORT, "pending")

    # nobody else sees it before a moderator approves it
    visitor = new_context().new_page()
    visitor.goto(f"/dataset/{dataset['name']}")
    expect(visitor.locator("section#feedback")).to_contain_text("No feedback yet.")
    expect(_item(visitor, REPORT)).to_have_count(0)


@pytest.mark.ckan_config(PREMODERATION, False)
def test_without_premoderation_a_report_is_public_at_once(
        people: dict[str, Any], page: Page, new_context: Callable[[], BrowserContext]):
    dataset = people["dataset"]
    login(page, people["reporter"])

    _report_problem(page, dataset)

    expect(_flash(page)).to_contain_text("Thank you for your feedback.")
    expect(_item(page, REPORT)).to_have_attribute("data-moderation", "approved")
    visitor = new_context().new_page()
    visitor.goto(f"/dataset/{dataset['name']}")
    expect(_item(visitor, REPORT).locator(".plusresilient-feedback-category")).to_have_text(
        "Wrong or missing values")


@pytest.mark.ckan_config(PREMODERATION, True)
def test_the_organization_admin_answers_resolves_and_approves_a_report_from_the_queue(
        people: dict[str, Any], page: Page, new_context: Callable[[], BrowserContext]):
    dataset = people["dataset"]
    call_action("plusresilient_feedback_create", {"user": people["reporter"]["name"]},
                package_id=dataset["id"], kind="report", category="wrong_values", text=REPORT)
    login(page, people["admin"])

    page.goto("/feedback/queue")
    item = _item(page, REPORT)
    expect(item.locator(f'a[href^="/dataset/{dataset["name"]}"]')).to_be_visible()

    item.get_by_label("Reply as publisher").fill(REPLY)
    item.get_by_role("button", name="Reply", exact=True).click()
    expect(_flash(page)).to_contain_text("Reply published.")
    expect(page).to_have_url(re.compile(r"/feedback/queue$"))
    expect(item.locator(".plusresilient-feedback-reply")).to_contain_text(REPLY)

    item.get_by_label("Status").select_option(label="Resolved")
    item.get_by_role("button", name="Change status").click()
    expect(_flash(page)).to_contain_text("Status changed.")
    expect(item.locator(".plusresilient-feedback-status")).to_have_text("Resolved")

    item.get_by_role("button", name="Approve").click()
    expect(_flash(page)).to_contain_text("Moderation saved.")
    expect(page.locator(".plusresilient-feedback-queue")).to_contain_text("Nothing to moderate.")

    # an anonymous visitor now sees the report, its status and the answer
    visitor = new_context().new_page()
    visitor.goto(f"/dataset/{dataset['name']}")
    public = _item(visitor, REPORT)
    expect(public).to_have_attribute("data-moderation", "approved")
    expect(public.locator(".plusresilient-feedback-status")).to_have_text("Resolved")
    expect(public.locator(".plusresilient-feedback-reply")).to_contain_text(REPLY)
    expect(public.locator(".plusresilient-feedback-moderation")).to_have_count(0)

    # and so does its author, on their own feedback page
    reporter = new_context().new_page()
    login(reporter, people["reporter"])
    reporter.goto("/dashboard/feedback")
    own = _item(reporter, REPORT)
    expect(own.locator(".plusresilient-feedback-status")).to_have_text("Resolved")
    expect(own.locator(".plusresilient-feedback-reply")).to_contain_text(REPLY)


def test_the_organization_admin_hides_a_comment_from_the_dataset_page(
        people: dict[str, Any], page: Page, new_context: Callable[[], BrowserContext]):
    dataset = people["dataset"]
    comment = "Buy cheap watches at example.org"
    call_action("plusresilient_feedback_create", {"user": people["admin"]["name"]},
                package_id=dataset["id"], kind="comment", text="Updated every quarter.")
    spam = call_action("plusresilient_feedback_create", {"user": people["reporter"]["name"]},
                       package_id=dataset["id"], kind="comment", text=comment)
    call_action("plusresilient_feedback_moderate", {"user": people["admin"]["name"]},
                id=spam["id"], moderation="approved")
    visitor = new_context().new_page()
    visitor.goto(f"/dataset/{dataset['name']}")
    expect(_item(visitor, comment)).to_be_visible()

    login(page, people["admin"])
    page.goto(f"/dataset/{dataset['name']}")
    _item(page, comment).get_by_role("button", name="Hide").click()
    expect(_flash(page)).to_contain_text("Moderation saved.")
    expect(_item(page, comment)).to_have_attribute("data-moderation", "hidden")

    visitor.reload()
    expect(_item(visitor, "Updated every quarter.")).to_be_visible()
    expect(_item(visitor, comment)).to_have_count(0)


def test_the_queue_names_each_dataset_by_its_title(people: dict[str, Any], page: Page):
    """The queue mixes datasets: each item links its dataset by title, as
    people know it, not by its URL name."""
    dataset = people["dataset"]
    call_action("plusresilient_feedback_create", {"user": people["reporter"]["name"]},
                package_id=dataset["id"], kind="comment", text="Is there a 2024 edition?")
    login(page, people["admin"])

    page.goto("/feedback/queue")

    link = _item(page, "Is there a 2024 edition?").locator(f'a[href^="/dataset/{dataset["name"]}"]')
    expect(link).to_have_text(dataset["title"])
