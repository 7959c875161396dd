"""factory_boy factories for the suite's record types, on CKAN's own.

Each produces a record that passes the SVRC schema with as little as
possible, so a test states only the fields it is about.
"""
from __future__ import annotations

import datetime
import json
import uuid

import factory
from ckan import model as ckan_model
from ckan.tests import factories

from ckanext.plusresilient.model import Feedback, FeedbackReply, LinkCheck, Quality, QualityHistory
from ckanext.plusresilient.quality.metadata import MAX_POINTS, band_for
from ckanext.plusresilient.quality.score import overall_band
from ckanext.plusresilient.scoring.dataset import failed_indicators


class Cluster(factories.Organization):
    """An SVRC cluster (an organization with the cluster schema)."""

    title = factory.Sequence(lambda n: f"SVRC cluster {n}")
    country = "IT"
    region = "ITH3"
    svrc_scenario = ["social-smes"]


class SVRCDataset(factories.Dataset):
    """A curated dataset (type ``dataset``) with the required SVRC fields."""

    notes = "Open data of the +RESILIENT network."
    svrc_scenario = ["public-services"]
    country = "IT"
    license_id = "cc-by"


class UseCase(factories.Dataset):
    type = "use-case"
    notes = "Open data used by a social cooperative."
    problem = "Care services did not reach isolated elderly people."
    use_case_phase = ["design"]
    svrc_scenario = ["public-services"]
    country = "IT"


class Training(factories.Dataset):
    type = "training"
    notes = "An introduction to open data for social enterprises."
    training_format = "webinar"
    language = ["en"]


# -- quality tables -------------------------------------------------------------------
# Rows written directly, for tests about reading them (actions, index, CLI);
# the scorer's own tests score real datasets instead.

def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


class _Row(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        # CKAN's scoped session, as CKAN's own factories name it: factory_boy
        # 3.3.0 (CKAN 2.11's) fails on a Meta with a sqlalchemy_session_factory
        sqlalchemy_session = ckan_model.Session
        sqlalchemy_session_persistence = "commit"


class QualityRow(_Row):
    """A dataset's current annotation: a new SVRC dataset's unless
    ``package_id`` is given; bands and points follow ``overall_score``."""

    class Meta:
        model = Quality

    package_id = factory.LazyFunction(lambda: SVRCDataset()["id"])
    status = "scored"
    scored_at = factory.LazyFunction(_utcnow)
    overall_score = 60.0
    overall_band = factory.LazyAttribute(lambda row: overall_band(row.overall_score))
    metadata_points = factory.LazyAttribute(lambda row: round(row.overall_score * MAX_POINTS / 100))
    metadata_band = factory.LazyAttribute(lambda row: band_for(row.metadata_points))
    report = None
    # as the scoring job keeps them beside the report
    failed_indicators = factory.LazyAttribute(
        lambda row: failed_indicators(json.loads(row.report)) if row.report else None)


class QualityHistoryRow(_Row):
    class Meta:
        model = QualityHistory

    package_id = factory.LazyFunction(lambda: SVRCDataset()["id"])
    scored_at = factory.LazyFunction(_utcnow)
    metadata_points = 243
    overall_score = 60.0
    overall_band = "good"


class LinkCheckRow(_Row):
    """A stored link result: an answering URL checked just now by default."""

    class Meta:
        model = LinkCheck

    url = factory.Sequence(lambda n: f"https://data.example.org/file-{n}.csv")
    status = 200
    ok = True
    kind = None
    message = "HTTP 200"
    final_url = factory.SelfAttribute("url")
    checked_at = factory.LazyFunction(_utcnow)


# -- community feedback ----------------------------------------------------------------
# Items written directly, for tests about reading and moderating them; the
# create action's own tests go through the action.

class FeedbackItem(_Row):
    """An approved, open quality report on a new SVRC dataset unless told
    otherwise; anonymous unless ``author_id`` is given."""

    class Meta:
        model = Feedback

    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    package_id = factory.LazyFunction(lambda: SVRCDataset()["id"])
    kind = "report"
    category = factory.LazyAttribute(lambda item: "broken_link" if item.kind == "report" else None)
    rating = None
    text = "The CSV link answers 404."
    author_id = None
    author_ip_hash = None
    created = factory.LazyFunction(_utcnow)
    updated = factory.SelfAttribute("created")
    status = "open"
    moderation = "approved"
    flags = 0
    state = "active"


class FeedbackReplyRow(_Row):
    class Meta:
        model = FeedbackReply

    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    feedback_id = factory.LazyFunction(lambda: FeedbackItem().id)
    author_id = None
    text = "Fixed, thank you."
    created = factory.LazyFunction(_utcnow)
