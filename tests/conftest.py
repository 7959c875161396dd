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
    # CKAN empties its tables one by one: the trend's running sums may have
    # been emptied before the datasets whose removal then took their share
    _empty_running_sums()


def _empty_running_sums() -> None:
    import sqlalchemy as sa
    from ckan import model

    model.Session.execute(sa.text("DELETE FROM plusresilient_quality_trend"))
    model.Session.commit()


@pytest.fixture(scope="session", autouse=True)
def loopback_watch() -> None:
    """Before any server of any scope starts: each loopback server allows its
    own port while it runs (tests/loopback_http.py watches them on import)."""
    import tests.loopback_http  # noqa: F401


@pytest.fixture(autouse=True)
def loopback_allowances(request) -> Iterator[None]:
    """test.ini allows no private address: the imitation servers running now
    are allowed, each by its own 127.0.0.1:port (tests/loopback_http.py). A
    test's ckan_config mark on the option wins over them."""
    from ckanext.plusresilient.safe_http import ALLOWED_NETWORKS_OPTION
    from tests import loopback_http

    if any(mark.args[:1] == (ALLOWED_NETWORKS_OPTION,)
           for mark in request.node.iter_markers("ckan_config")):
        loopback_http._PINNED.set()
    loopback_http.publish_allowances()
    yield
    loopback_http._PINNED.clear()
    loopback_http.publish_allowances()


@pytest.fixture
def cli(ckan_config, tmp_path):
    """CKAN's cli fixture: its commands load the configuration from a file
    again, so they get test.ini plus the allowances of the moment they run."""
    from ckan.tests.helpers import CKANCliRunner

    from ckanext.plusresilient.safe_http import ALLOWED_NETWORKS_OPTION
    from tests.workers import ini_with

    class Runner(CKANCliRunner):
        def invoke(self, *args, **kwargs):
            value = ckan_config.get(ALLOWED_NETWORKS_OPTION) or ()
            options = {ALLOWED_NETWORKS_OPTION: value if isinstance(value, str)
                       else " ".join(value)}
            ini = ini_with(options, tmp_path / "cli.ini")
            kwargs["env"] = dict(kwargs.get("env") or {}, CKAN_INI=str(ini))
            return super().invoke(*args, **kwargs)

    return Runner()


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

    from ckanext.plusresilient.feedback.rate_limit import rate_limit_key

    redis = connect_to_redis()
    pattern = rate_limit_key("*")

    def clean() -> None:
        for key in redis.scan_iter(match=pattern):
            redis.delete(key)

    clean()
    yield
    clean()


@pytest.fixture
def scoring_queue():
    """This site's scoring queue, empty before and after (other sites' untouched:
    CKAN's clean_queues would empty every queue of the Redis server)."""
    from ckan.lib import jobs as ckan_jobs
    from ckan.lib.redis import connect_to_redis

    from ckanext.plusresilient import config, jobs

    def empty():
        ckan_jobs.get_queue(config.quality_queue()).empty()
        connection = connect_to_redis()
        for key in connection.scan_iter(match=f"rq:job:{jobs.job_id('')}*"):
            connection.delete(key)

    empty()
    yield ckan_jobs.get_queue(config.quality_queue())
    empty()
