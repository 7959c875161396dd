"""What every harvester's tests check the same way."""
from __future__ import annotations

import pytest

# how a portal breaks (see LoopbackPortal._misbehave) -> what the gather error says
BROKEN_SOURCE = pytest.mark.parametrize("failure, message", [
    ("500", "HTTP 500"),
    ("malformed", "malformed"),
    ("private-redirect", "169.254.169.254"),
])


def assert_failed_and_withdrew_nothing(summary, message: str) -> None:
    """One gather error naming the cause, and no dataset withdrawn."""
    assert summary.deleted == 0
    assert len(summary.gather_errors) == 1 and message in summary.gather_errors[0], summary.gather_errors
    assert "nothing was withdrawn" in summary.gather_errors[0]


@pytest.fixture
def harvest_log(caplog):
    """What the harvesters log at WARNING and above, read as ``caplog``.

    The test run configures logging more than once (CKAN loads its ini when
    the app is made), and a later ``fileConfig`` disables the loggers that
    already exist and stops ``ckanext`` from reaching the root, where caplog
    listens: the handler goes on the harvesters' logger itself, and their
    loggers are enabled for the test."""
    import logging

    prefix = "ckanext.plusresilient.harvesters"
    parent = logging.getLogger(prefix)
    loggers = [parent] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                          if name.startswith(prefix + ".")]
    saved = [(logger, logger.disabled) for logger in loggers]
    level = parent.level
    for logger in loggers:
        logger.disabled = False
    parent.addHandler(caplog.handler)
    parent.setLevel(logging.WARNING)
    yield caplog
    parent.removeHandler(caplog.handler)
    parent.setLevel(level)
    for logger, disabled in saved:
        logger.disabled = disabled
