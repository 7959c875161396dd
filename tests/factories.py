"""factory_boy factories for the suite's record types, on CKAN's own.

Each produces a record that passes the SVRC schema with as little as
possible, so a test states only the fields it is about.
"""
from __future__ import annotations

import factory
from ckan.tests import factories


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
