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
        raise tk.ValidationError({"rate": [_refusal(limit.count, limit.seconds)]})


def _refusal(count: int, seconds: int) -> str:
    """The message past the limit, in the caller's language (built when it
    is raised: a request's language is known only then)."""
    return tk.ungettext(
        "Too much feedback at once: at most {count} item per {period}. Please try again later.",
        "Too much feedback at once: at most {count} items per {period}. Please try again later.",
        count).format(count=count, period=_period(seconds))


def _period(seconds: int) -> str:
    """"hour", "2 hours", "90 seconds": one unit, named as "per ..." wants it."""
    for size, one, many in (
        (86400, lambda: tk._("day"), lambda n: tk.ungettext("{count} day", "{count} days", n)),
        (3600, lambda: tk._("hour"), lambda n: tk.ungettext("{count} hour", "{count} hours", n)),
        (60, lambda: tk._("minute"), lambda n: tk.ungettext("{count} minute", "{count} minutes", n)),
    ):
        if seconds % size == 0:
            number = seconds // size
            return one() if number == 1 else many(number).format(count=number)
    return tk.ungettext("{count} second", "{count} seconds", seconds).format(count=seconds)
