"""The feedback tables, and the community summary the quality score reads from them."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import factories

from ckanext.plusresilient import config
from ckanext.plusresilient.feedback import access as feedback
from ckanext.plusresilient.feedback.access import hash_address
from ckanext.plusresilient.feedback.changes import clean_text
from ckanext.plusresilient.model import Feedback, FeedbackFlag, FeedbackReply
from ckanext.plusresilient.quality.score import CommunitySummary
from tests.factories import FeedbackItem, FeedbackReplyRow, SVRCDataset

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_the_migration_creates_the_three_tables_with_their_indexes():
    inspector = sa.inspect(model.meta.engine)

    columns = {column["name"] for column in inspector.get_columns("plusresilient_feedback")}
    indexes = {index["name"] for index in inspector.get_indexes("plusresilient_feedback")}
    reply_indexes = {index["name"] for index in inspector.get_indexes("plusresilient_feedback_reply")}
    flag_key = inspector.get_pk_constraint("plusresilient_feedback_flag")["constrained_columns"]

    assert columns == {"id", "package_id", "resource_id", "kind", "rating", "category", "text",
                       "author_id", "author_ip_hash", "created", "updated", "status",
                       "moderation", "flags", "state"}
    assert {"ix_plusresilient_feedback_package_id", "ix_plusresilient_feedback_author_id"} <= indexes
    assert "ix_plusresilient_feedback_reply_feedback_id" in reply_indexes
    assert flag_key == ["feedback_id", "flagger"]


def test_the_database_refuses_a_rating_outside_one_to_five():
    with pytest.raises(sa.exc.IntegrityError):
        FeedbackItem(kind="rating", rating=6)
    model.Session.rollback()


def test_one_flag_per_person_and_item():
    item = FeedbackItem()
    model.Session.add(FeedbackFlag(feedback_id=item.id, flagger="user-1"))
    model.Session.commit()

    model.Session.add(FeedbackFlag(feedback_id=item.id, flagger="user-1"))
    with pytest.raises(sa.exc.IntegrityError):
        model.Session.commit()
    model.Session.rollback()


def test_a_deleted_item_is_gone_for_every_reader():
    item = FeedbackItem(state="deleted")

    assert Feedback.get(item.id) is None
    assert Feedback.get(FeedbackItem().id) is not None


def test_replies_come_grouped_by_item_oldest_first():
    item, other = FeedbackItem(), FeedbackItem()
    later = FeedbackReplyRow(feedback_id=item.id, created=datetime.datetime(2026, 1, 2))
    earlier = FeedbackReplyRow(feedback_id=item.id, created=datetime.datetime(2026, 1, 1))

    replies = FeedbackReply.of_items([item.id, other.id])

    assert [reply.id for reply in replies[item.id]] == [earlier.id, later.id]
    assert replies[other.id] == []


# -- community summary ----------------------------------------------------------------------

def test_no_feedback_no_community_component():
    dataset = SVRCDataset()
    FeedbackItem(package_id=dataset["id"], kind="comment", text="Useful")

    assert Feedback.community_summary(dataset["id"]) is None


def test_only_approved_ratings_and_open_reports_count():
    dataset = SVRCDataset()
    package_id = dataset["id"]
    for rating in (5, 4):
        FeedbackItem(package_id=package_id, kind="rating", rating=rating)
    FeedbackItem(package_id=package_id, kind="rating", rating=1, moderation="pending")
    FeedbackItem(package_id=package_id, kind="rating", rating=1, moderation="hidden")
    FeedbackItem(package_id=package_id, kind="rating", rating=1, state="deleted")
    FeedbackItem(package_id=package_id, status="open")
    FeedbackItem(package_id=package_id, status="acknowledged")
    FeedbackItem(package_id=package_id, status="resolved")
    FeedbackItem(package_id=package_id, status="rejected")
    FeedbackItem(package_id=package_id, moderation="pending")
    FeedbackItem(package_id=package_id, kind="suggestion", text="Add a unit column")
    FeedbackItem(kind="rating", rating=1)  # another dataset's

    assert Feedback.community_summary(package_id) == CommunitySummary(
        ratings=2, average_rating=4.5, open_reports=2)


def test_reports_without_ratings_have_no_average():
    dataset = SVRCDataset()
    FeedbackItem(package_id=dataset["id"])

    assert Feedback.community_summary(dataset["id"]) == CommunitySummary(
        ratings=0, average_rating=None, open_reports=1)


# -- text and addresses -----------------------------------------------------------------------

def test_text_keeps_markup_and_lines_and_loses_control_characters():
    text, problem = clean_text("  <b>Wrong</b>\r\ntotals\x00 in\x1b[31m 2023\t!\x7f \n")

    assert problem is None
    assert text == "<b>Wrong</b>\ntotals in[31m 2023\t!"


def test_text_longer_than_the_limit_is_refused_not_cut():
    text, problem = clean_text("x" * 5001)

    assert problem == "At most 5000 characters, not 5001"
    assert clean_text("x" * 5000) == ("x" * 5000, None)
    assert clean_text(42)[1] == "Must be text"


@pytest.mark.ckan_config("SECRET_KEY", "one secret")
def test_addresses_are_stored_as_a_keyed_hash():
    from ckan.plugins.toolkit import config as ckan_config

    hashed = hash_address("203.0.113.7")

    assert hashed == hash_address("203.0.113.7") and len(hashed) == 64
    assert "203.0.113.7" not in hashed and hashed != hash_address("203.0.113.8")
    ckan_config["SECRET_KEY"] = "another secret"
    assert hash_address("203.0.113.7") != hashed
    assert hash_address(None) is None


@pytest.mark.parametrize("value, expected", [
    ("10/3600", config.RateLimit(10, 3600)),
    (" 2/60 ", config.RateLimit(2, 60)),
])
def test_rate_limit_option(value, expected, monkeypatch):
    from ckan.plugins.toolkit import config as ckan_config

    monkeypatch.setitem(ckan_config, "ckanext.plusresilient.feedback.rate_limit", value)
    assert config.feedback_rate_limit() == expected


@pytest.mark.parametrize("value", ["10", "ten/3600", "0/3600", "5/0", ""])
def test_a_malformed_rate_limit_is_an_error_not_no_limit(value, monkeypatch):
    from ckan.plugins.toolkit import config as ckan_config

    monkeypatch.setitem(ckan_config, "ckanext.plusresilient.feedback.rate_limit", value)
    with pytest.raises(ValueError, match="rate_limit"):
        config.feedback_rate_limit()


def test_users_of_an_organization_with_a_moderating_role():
    editor, member = factories.User(), factories.User()
    organization = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"},
                                                 {"name": member["name"], "capacity": "member"}])
    caller = feedback.Caller(user=model.User.get(editor["name"]), ip_hash=None)

    assert feedback.moderated_organization_ids(caller) == [organization["id"]]
    assert feedback.moderated_organization_ids(
        feedback.Caller(user=model.User.get(member["name"]), ip_hash=None)) == []
    assert feedback.moderated_organization_ids(feedback.Caller(user=None, ip_hash=None)) == []
