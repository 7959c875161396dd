"""Fixtures shared by the whole suite.

The suite runs against the real services `bin/stack up` starts; nothing of
CKAN, PostgreSQL, Redis or Solr is mocked.
"""
from __future__ import annotations

from typing import Iterator

import pytest

MIGRATED_PLUGINS = ("activity", "harvest", "plusresilient")


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    """CKAN's clean_db recreates core tables only: add the plugins' tables.

    Depends on with_plugins because migrations are found through the loaded
    plugin objects.
    """
    reset_db()
    for plugin in MIGRATED_PLUGINS:
        migrate_db_for(plugin)


@pytest.fixture
def sysadmin_context():
    """A context for call_action: with activity loaded, actions need a user."""
    from ckan.tests import factories

    user = factories.Sysadmin()
    return {"user": user["name"], "ignore_auth": False}


@pytest.fixture
def clean_rate_limits() -> Iterator[None]:
    """Feedback is rate-limited per user in Redis, and factory user names
    repeat from one run to the next: start each test at zero."""
    from ckan.lib.redis import connect_to_redis

    from ckanext.plusresilient.logic.feedback import rate_limit_key

    redis = connect_to_redis()
    pattern = rate_limit_key("*")

    def clean() -> None:
        for key in redis.scan_iter(match=pattern):
            redis.delete(key)

    clean()
    yield
    clean()
