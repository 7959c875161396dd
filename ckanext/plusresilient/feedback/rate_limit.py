"""How much feedback one person may leave in a while (Redis counters)."""
from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.plusresilient import config
from ckanext.plusresilient.feedback.access import Caller

__all__ = ["check_rate", "rate_limit_key"]

log = logging.getLogger(__name__)


def rate_limit_key(identity: str) -> str:
    """Site-scoped: sites may share a Redis server."""
    return f"plusresilient-feedback-rate-{tk.config.get('ckan.site_id')}-{identity}"


def check_rate(who: Caller) -> None:
    """Count one more item for the caller; ValidationError past the limit.

    A Redis failure lets the item through (logged): premoderation still
    stands between spam and the public, and feedback is not worth an outage.
    """
    limit = config.feedback_rate_limit()
    key = rate_limit_key(who.identity or "anonymous")
    try:
        with connect_to_redis().pipeline() as pipe:  # MULTI: the counter never lives without expiry
            pipe.set(key, 0, ex=limit.seconds, nx=True)
            pipe.incr(key)
            _, count = pipe.execute()
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("feedback rate limit not checked: %s: %s", type(error).__name__, error)
        return
    if count > limit.count:
        raise tk.ValidationError({"rate": [
            f"Too much feedback at once: at most {limit.count} items per "
            f"{_period(limit.seconds)}. Please try again later."]})


def _period(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
