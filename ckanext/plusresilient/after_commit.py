"""Work that waits for the database transaction to commit.

Whoever runs an action owns its transaction (CKAN's ``defer_commit``): a
caller may make several changes and commit once, or roll all of them back.
What a change sets off outside the database (a scoring job in Redis, a mail
to an organization's admins) must therefore wait for that commit, whoever
makes it, and never happen for a change rolled back. A savepoint's commit
(package_update uses one) is not the transaction's commit.

Each task runs once per commit (tasks are keyed, so scheduling the same
scoring twice in a transaction queues one job) and a task that fails is
logged, never raised: the change it follows has been committed already and
must be reported as such.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Hashable

from ckan import model
from sqlalchemy import event

__all__ = ["run_after_commit"]

log = logging.getLogger(__name__)

#: The session.info key holding the tasks to run at commit.
_TASKS = "plusresilient_after_commit"


def run_after_commit(key: Hashable, task: Callable[[], Any]) -> None:
    """Run ``task`` once the current transaction commits; a second task under
    the same key before then is dropped."""
    model.Session.info.setdefault(_TASKS, {}).setdefault(key, task)


@event.listens_for(model.Session, "after_commit")
def _run_pending(session: Any) -> None:
    if session.in_nested_transaction():
        return
    try:
        tasks = session.info.pop(_TASKS, None) or {}
    except Exception:  # noqa: BLE001 - an exception here would fail a committed change
        log.exception("could not read the work waiting for the commit")
        return
    for key, task in tasks.items():
        try:
            task()
        except Exception:  # noqa: BLE001 - see the module's docstring
            log.exception("work after the commit failed: %s", key)


@event.listens_for(model.Session, "after_soft_rollback")
def _forget_pending(session: Any, previous_transaction: Any) -> None:
    """Nothing runs for a rolled-back change (a savepoint's rollback keeps the rest)."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_TASKS, None)
