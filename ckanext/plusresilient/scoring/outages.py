"""A lost database connection, told apart from a failure, and waited out.

When PostgreSQL restarts (an upgrade, a failover, ``pg_ctl restart``) every
connection is cut: the statement in flight fails, the transaction is rolled
back by the server, and for the moment of the restart new connections are
refused. Nothing is wrong with the dataset or the harvest object being
handled, so what was being done must be done again once the database
answers, never recorded as that record's error. The scoring jobs
(``jobs.py``) and the harvest consumers do so with these helpers.

They live with the scoring, the lowest layer that needs them; the harvest
consumers and the harvest import use them too.
"""
from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from ckan import model

__all__ = ["database_lost", "discard_session", "wait_for_database"]

log = logging.getLogger(__name__)

#: Delays between two attempts to reach the database double up to the cap.
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 10.0


def database_lost(error: BaseException) -> bool:
    """Whether ``error`` says the database went away rather than anything
    about the data: a connection cut or refused, a server shutting down or
    starting up (psycopg2's OperationalError), or a connection SQLAlchemy
    found dead."""
    return isinstance(error, sa.exc.OperationalError) or (
        isinstance(error, sa.exc.DBAPIError) and bool(error.connection_invalidated))


def discard_session() -> None:
    """Drop the session and its connections without the ROLLBACK a cut
    connection cannot take (the server has rolled the transaction back)."""
    model.Session().invalidate()
    model.Session.remove()


def wait_for_database(timeout: float | None = None, stop: threading.Event | None = None) -> bool:
    """Discard the session, then try ``SELECT 1`` with a capped backoff until
    the database answers: True then, False when ``timeout`` seconds pass or
    ``stop`` is set first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay, attempts = FIRST_BACKOFF, 0
    while True:
        discard_session()
        try:
            model.Session.execute(sa.text("SELECT 1"))
            model.Session.remove()
            if attempts:
                log.info("the database answers again after %d failed attempt(s)", attempts)
            return True
        except sa.exc.DBAPIError as error:
            attempts += 1
            log.warning("the database does not answer (%s); trying again in %.1f s",
                        type(error.orig).__name__ if error.orig is not None else type(error).__name__, delay)
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            discard_session()
            return False
        pause = delay if left is None else min(delay, left)
        if stop is not None:
            if stop.wait(pause):
                discard_session()
                return False
        else:
            time.sleep(pause)
        delay = min(MAX_BACKOFF, delay * 2)
