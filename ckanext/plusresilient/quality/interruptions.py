"""Exceptions that stop a job from outside, which no "never raises" guard may swallow.

RQ enforces a job's timeout by raising ``JobTimeoutException`` from a signal
handler, in whatever code the job is running at that moment. It derives from
``Exception``, so the checks' guards ("a bad resource never takes the caller
down") would catch it: the job runner's verdict would be stored as the
resource's fault (an "internal" error) and the job would run on past its
timeout. Those guards ask :func:`is_interruption` first and let it through.

rq is looked up, not imported: the scoring core runs without it, and an
interruption of RQ's can only come from a process that has loaded rq.
"""
from __future__ import annotations

import sys

__all__ = ["is_interruption"]


def is_interruption(error: BaseException) -> bool:
    """Whether ``error`` is a job runner stopping the job (RQ's timeouts)."""
    timeouts = sys.modules.get("rq.timeouts")
    base = getattr(timeouts, "BaseTimeoutException", None)
    return base is not None and isinstance(error, base)
