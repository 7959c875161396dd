"""Users and clusters for the browser tests.

CKAN's factories give users and organizations a random image URL on public
hosts; a browser without outside network fails to load it and logs a
console error, which would fail the test. These carry no image.
"""
from __future__ import annotations

from typing import Any

from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.factories import Cluster
from tests.forms import PASSWORD


def user(**fields: Any) -> dict[str, Any]:
    """A user who can log in through the form with ``PASSWORD``."""
    return factories.User(password=PASSWORD, image_url="", **fields)


def cluster(**fields: Any) -> dict[str, Any]:
    return Cluster(image_url="", **fields)


def make_member(organization: dict[str, Any], member: dict[str, Any], role: str) -> None:
    sysadmin = factories.Sysadmin(image_url="")
    call_action("organization_member_create", {"user": sysadmin["name"]}, id=organization["id"],
                username=member["name"], role=role)
