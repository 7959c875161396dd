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
