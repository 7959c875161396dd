"""API actions of the suite (``/api/3/action/plusresilient_*``), one module
per domain. Each action is thin: its parameters are validated by its schema
(logic/schema.py) before anything else, then it checks access (logic/auth.py,
a function of the same name), calls the domain code and commits unless its
caller owns the transaction (``defer_commit``)."""
from __future__ import annotations

from ckanext.plusresilient.logic.action.feedback import (
    plusresilient_feedback_create,
    plusresilient_feedback_delete,
    plusresilient_feedback_flag,
    plusresilient_feedback_list,
    plusresilient_feedback_mine,
    plusresilient_feedback_moderate,
    plusresilient_feedback_queue,
    plusresilient_feedback_reply,
    plusresilient_feedback_show,
    plusresilient_feedback_update_status,
)
from ckanext.plusresilient.logic.action.harvest import plusresilient_harvest_provenance
from ckanext.plusresilient.logic.action.portals import (
    plusresilient_portal_list,
    plusresilient_portals_sync,
)
from ckanext.plusresilient.logic.action.quality import (
    plusresilient_quality_cluster_report,
    plusresilient_quality_indicators,
    plusresilient_quality_refresh,
    plusresilient_quality_show,
    plusresilient_quality_summary,
    plusresilient_quality_trend,
)

__all__ = [
    "plusresilient_portal_list",
    "plusresilient_portals_sync",
    "plusresilient_quality_show",
    "plusresilient_quality_refresh",
    "plusresilient_quality_summary",
    "plusresilient_quality_trend",
    "plusresilient_quality_indicators",
    "plusresilient_quality_cluster_report",
    "plusresilient_feedback_create",
    "plusresilient_feedback_list",
    "plusresilient_feedback_show",
    "plusresilient_feedback_update_status",
    "plusresilient_feedback_reply",
    "plusresilient_feedback_moderate",
    "plusresilient_feedback_delete",
    "plusresilient_feedback_flag",
    "plusresilient_feedback_queue",
    "plusresilient_feedback_mine",
    "plusresilient_harvest_provenance",
]
