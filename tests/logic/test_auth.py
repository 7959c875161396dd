"""Who may call each ``plusresilient_*`` action on what: the whole matrix in one table.

Each row of MATRIX is (action, who, object, outcome, api):

- ``action``: the action's name without the ``plusresilient_`` prefix;
- ``who``: ``anonymous`` (a visitor on a site where feedback.allow_anonymous is off, the
  default), ``anon_allowed`` (a visitor on a site where it is on), ``outsider`` (logged in,
  no membership), ``member``, ``editor``, ``admin`` (of the dataset's organization),
  ``other_editor`` (an editor of another organization), ``author`` (who wrote the feedback
  items, a member of no organization) and ``sysadmin``;
- ``object``: a ``public``, a ``private`` (of the organization) or a ``deleted`` dataset; a
  feedback item ``approved``, ``pending`` or ``hidden`` on the public dataset, or
  ``approved_private`` (on the private dataset: written while it was public); for the queue
  ``all_orgs`` (no ``organization`` asked for), ``own_org`` or ``other_org``; ``missing``
  (no such dataset, item or organization); ``site`` for the actions about no one object;
- ``outcome``: OK, DENIED (NotAuthorized, HTTP 403) or NOT_FOUND (ObjectNotFound, HTTP 404).
  What a caller may not see is NOT_FOUND, the answer for what does not exist, so a private
  dataset and its feedback leak nothing; an anonymous visitor is DENIED before anything is
  looked up wherever a login is needed;
- ``api``: API on the rows also sent through the real API, one per outcome of each action,
  so that the whole path (the schema first, then auth, then the action and its HTTP
  status) is covered too. Every anonymous row goes through the API as well: there an
  anonymous caller is an object, not an empty name (see API_ANSWERS).

Every row goes through ``tk.check_access`` with ``{"user": name}`` (``""`` when
anonymous), as the actions call it. Sysadmins pass every auth function (CKAN lets them
through), so their rows say OK. Actions are named by string only, so the table does not
depend on where the logic lives.

A row where the code does not do what the action's docstring promises is written with
the promised outcome as ``pytest.param(..., marks=pytest.mark.xfail(strict=True,
reason=...))``, until the code is fixed.

The world (users, organizations, datasets, items) is built once for the module: the
check_access rows only read it, and the API rows that change something act on a fresh
copy of their item.
"""
from __future__ import annotations

import dataclasses
import enum
import secrets
from typing import Any, Callable, Iterator

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action

from ckanext.plusresilient.model import Feedback
from tests.conftest import MIGRATED_PLUGINS
from tests.factories import Cluster, FeedbackItem, SVRCDataset

PREFIX = "plusresilient_"
ALLOW_ANONYMOUS = "ckanext.plusresilient.feedback.allow_anonymous"
API = "API"
#: The anonymous API caller's address, new each run: anonymous feedback is rate-limited per
#: address, and Redis keeps the count for an hour.
ADDRESS = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


class Outcome(enum.Enum):
    """What check_access does, and the HTTP status of the API for it."""

    OK = 200
    DENIED = 403
    NOT_FOUND = 404


OK, DENIED, NOT_FOUND = Outcome.OK, Outcome.DENIED, Outcome.NOT_FOUND
RAISED = {DENIED: tk.NotAuthorized, NOT_FOUND: tk.ObjectNotFound}


# -- the matrix --------------------------------------------------------------------------------

MATRIX: list[Any] = [
    # action                    who              object               outcome     api
    ("portal_list",             "anonymous",     "site",              OK,         API),
    ("portal_list",             "outsider",      "site",              OK,         ""),
    ("portal_list",             "member",        "site",              OK,         ""),
    ("portal_list",             "editor",        "site",              OK,         ""),
    ("portal_list",             "admin",         "site",              OK,         ""),
    ("portal_list",             "other_editor",  "site",              OK,         ""),
    ("portal_list",             "sysadmin",      "site",              OK,         ""),

    ("portals_sync",            "anonymous",     "site",              DENIED,     ""),
    ("portals_sync",            "outsider",      "site",              DENIED,     ""),
    ("portals_sync",            "member",        "site",              DENIED,     ""),
    ("portals_sync",            "editor",        "site",              DENIED,     ""),
    ("portals_sync",            "admin",         "site",              DENIED,     API),
    ("portals_sync",            "other_editor",  "site",              DENIED,     ""),
    ("portals_sync",            "sysadmin",      "site",              OK,         API),

    ("quality_show",            "anonymous",     "public",            OK,         API),
    ("quality_show",            "outsider",      "public",            OK,         ""),
    ("quality_show",            "member",        "public",            OK,         ""),
    ("quality_show",            "editor",        "public",            OK,         ""),
    ("quality_show",            "admin",         "public",            OK,         ""),
    ("quality_show",            "other_editor",  "public",            OK,         ""),
    ("quality_show",            "sysadmin",      "public",            OK,         ""),
    ("quality_show",            "anonymous",     "private",           NOT_FOUND,  API),
    ("quality_show",            "outsider",      "private",           NOT_FOUND,  ""),
    ("quality_show",            "member",        "private",           OK,         ""),
    ("quality_show",            "editor",        "private",           OK,         ""),
    ("quality_show",            "admin",         "private",           OK,         ""),
    ("quality_show",            "other_editor",  "private",           NOT_FOUND,  ""),
    ("quality_show",            "sysadmin",      "private",           OK,         ""),
    ("quality_show",            "anonymous",     "deleted",           NOT_FOUND,  ""),
    ("quality_show",            "outsider",      "deleted",           NOT_FOUND,  ""),
    ("quality_show",            "member",        "deleted",           OK,         ""),
    ("quality_show",            "editor",        "deleted",           OK,         ""),
    ("quality_show",            "admin",         "deleted",           OK,         ""),
    ("quality_show",            "other_editor",  "deleted",           NOT_FOUND,  ""),
    ("quality_show",            "sysadmin",      "deleted",           OK,         ""),
    ("quality_show",            "outsider",      "missing",           NOT_FOUND,  ""),

    # anonymous: CKAN refuses before the function runs (it needs a user); see API_ANSWERS
    ("quality_refresh",         "anonymous",     "public",            DENIED,     ""),
    ("quality_refresh",         "outsider",      "public",            DENIED,     ""),
    ("quality_refresh",         "member",        "public",            DENIED,     API),
    ("quality_refresh",         "editor",        "public",            OK,         API),
    ("quality_refresh",         "admin",         "public",            OK,         ""),
    ("quality_refresh",         "other_editor",  "public",            DENIED,     ""),
    ("quality_refresh",         "sysadmin",      "public",            OK,         ""),
    ("quality_refresh",         "anonymous",     "private",           DENIED,     ""),
    ("quality_refresh",         "outsider",      "private",           NOT_FOUND,  API),
    ("quality_refresh",         "member",        "private",           DENIED,     ""),
    ("quality_refresh",         "editor",        "private",           OK,         ""),
    ("quality_refresh",         "admin",         "private",           OK,         ""),
    ("quality_refresh",         "other_editor",  "private",           NOT_FOUND,  ""),
    ("quality_refresh",         "sysadmin",      "private",           OK,         ""),
    ("quality_refresh",         "anonymous",     "deleted",           DENIED,     ""),
    ("quality_refresh",         "outsider",      "deleted",           NOT_FOUND,  ""),
    ("quality_refresh",         "member",        "deleted",           DENIED,     ""),
    ("quality_refresh",         "editor",        "deleted",           OK,         ""),
    ("quality_refresh",         "admin",         "deleted",           OK,         ""),
    ("quality_refresh",         "other_editor",  "deleted",           NOT_FOUND,  ""),
    ("quality_refresh",         "sysadmin",      "deleted",           OK,         ""),

    ("quality_summary",         "anonymous",     "site",              OK,         API),
    ("quality_summary",         "outsider",      "site",              OK,         ""),
    ("quality_summary",         "member",        "site",              OK,         ""),
    ("quality_summary",         "editor",        "site",              OK,         ""),
    ("quality_summary",         "admin",         "site",              OK,         ""),
    ("quality_summary",         "other_editor",  "site",              OK,         ""),
    ("quality_summary",         "sysadmin",      "site",              OK,         ""),

    ("quality_trend",           "anonymous",     "site",              OK,         API),
    ("quality_trend",           "outsider",      "site",              OK,         ""),
    ("quality_trend",           "member",        "site",              OK,         ""),
    ("quality_trend",           "editor",        "site",              OK,         ""),
    ("quality_trend",           "admin",         "site",              OK,         ""),
    ("quality_trend",           "other_editor",  "site",              OK,         ""),
    ("quality_trend",           "sysadmin",      "site",              OK,         ""),

    ("quality_indicators",      "anonymous",     "site",              OK,         API),
    ("quality_indicators",      "outsider",      "site",              OK,         ""),
    ("quality_indicators",      "member",        "site",              OK,         ""),
    ("quality_indicators",      "editor",        "site",              OK,         ""),
    ("quality_indicators",      "admin",         "site",              OK,         ""),
    ("quality_indicators",      "other_editor",  "site",              OK,         ""),
    ("quality_indicators",      "sysadmin",      "site",              OK,         ""),

    ("quality_cluster_report",  "anonymous",     "own_org",           OK,         API),
    ("quality_cluster_report",  "outsider",      "own_org",           OK,         ""),
    ("quality_cluster_report",  "member",        "own_org",           OK,         ""),
    ("quality_cluster_report",  "editor",        "own_org",           OK,         ""),
    ("quality_cluster_report",  "admin",         "own_org",           OK,         ""),
    ("quality_cluster_report",  "other_editor",  "own_org",           OK,         ""),
    ("quality_cluster_report",  "sysadmin",      "own_org",           OK,         ""),

    ("feedback_create",         "anonymous",     "public",            DENIED,     API),
    ("feedback_create",         "anon_allowed",  "public",            OK,         ""),
    ("feedback_create",         "outsider",      "public",            OK,         API),
    ("feedback_create",         "member",        "public",            OK,         ""),
    ("feedback_create",         "editor",        "public",            OK,         ""),
    ("feedback_create",         "admin",         "public",            OK,         ""),
    ("feedback_create",         "other_editor",  "public",            OK,         ""),
    ("feedback_create",         "sysadmin",      "public",            OK,         ""),
    ("feedback_create",         "anonymous",     "private",           DENIED,     ""),
    ("feedback_create",         "anon_allowed",  "private",           NOT_FOUND,  API),
    ("feedback_create",         "outsider",      "private",           NOT_FOUND,  ""),
    ("feedback_create",         "member",        "private",           OK,         ""),
    ("feedback_create",         "editor",        "private",           OK,         ""),
    ("feedback_create",         "admin",         "private",           OK,         ""),
    ("feedback_create",         "other_editor",  "private",           NOT_FOUND,  ""),
    ("feedback_create",         "sysadmin",      "private",           OK,         ""),
    ("feedback_create",         "anonymous",     "deleted",           DENIED,     ""),
    ("feedback_create",         "outsider",      "deleted",           NOT_FOUND,  ""),
    ("feedback_create",         "member",        "deleted",           OK,         ""),
    ("feedback_create",         "editor",        "deleted",           OK,         ""),
    ("feedback_create",         "admin",         "deleted",           OK,         ""),
    ("feedback_create",         "other_editor",  "deleted",           NOT_FOUND,  ""),
    ("feedback_create",         "sysadmin",      "deleted",           OK,         ""),

    ("feedback_list",           "anonymous",     "public",            OK,         API),
    ("feedback_list",           "outsider",      "public",            OK,         ""),
    ("feedback_list",           "member",        "public",            OK,         ""),
    ("feedback_list",           "editor",        "public",            OK,         ""),
    ("feedback_list",           "admin",         "public",            OK,         ""),
    ("feedback_list",           "other_editor",  "public",            OK,         ""),
    ("feedback_list",           "sysadmin",      "public",            OK,         ""),
    ("feedback_list",           "anonymous",     "private",           NOT_FOUND,  ""),
    ("feedback_list",           "outsider",      "private",           NOT_FOUND,  ""),
    ("feedback_list",           "member",        "private",           OK,         ""),
    ("feedback_list",           "editor",        "private",           OK,         ""),
    ("feedback_list",           "admin",         "private",           OK,         ""),
    ("feedback_list",           "other_editor",  "private",           NOT_FOUND,  API),
    ("feedback_list",           "sysadmin",      "private",           OK,         ""),
    ("feedback_list",           "anonymous",     "deleted",           NOT_FOUND,  ""),
    ("feedback_list",           "outsider",      "deleted",           NOT_FOUND,  ""),
    ("feedback_list",           "member",        "deleted",           OK,         ""),
    ("feedback_list",           "editor",        "deleted",           OK,         ""),
    ("feedback_list",           "admin",         "deleted",           OK,         ""),
    ("feedback_list",           "other_editor",  "deleted",           NOT_FOUND,  ""),
    ("feedback_list",           "sysadmin",      "deleted",           OK,         ""),

    ("feedback_show",           "anonymous",     "approved",          OK,         API),
    ("feedback_show",           "outsider",      "approved",          OK,         ""),
    ("feedback_show",           "member",        "approved",          OK,         ""),
    ("feedback_show",           "editor",        "approved",          OK,         ""),
    ("feedback_show",           "admin",         "approved",          OK,         ""),
    ("feedback_show",           "other_editor",  "approved",          OK,         ""),
    ("feedback_show",           "author",        "approved",          OK,         ""),
    ("feedback_show",           "sysadmin",      "approved",          OK,         ""),
    ("feedback_show",           "anonymous",     "pending",           NOT_FOUND,  ""),
    ("feedback_show",           "outsider",      "pending",           NOT_FOUND,  API),
    ("feedback_show",           "member",        "pending",           NOT_FOUND,  ""),
    ("feedback_show",           "editor",        "pending",           OK,         ""),
    ("feedback_show",           "admin",         "pending",           OK,         ""),
    ("feedback_show",           "other_editor",  "pending",           NOT_FOUND,  ""),
    ("feedback_show",           "author",        "pending",           OK,         ""),
    ("feedback_show",           "sysadmin",      "pending",           OK,         ""),
    ("feedback_show",           "anonymous",     "hidden",            NOT_FOUND,  ""),
    ("feedback_show",           "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_show",           "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_show",           "editor",        "hidden",            OK,         ""),
    ("feedback_show",           "admin",         "hidden",            OK,         ""),
    ("feedback_show",           "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_show",           "author",        "hidden",            OK,         ""),
    ("feedback_show",           "sysadmin",      "hidden",            OK,         ""),
    ("feedback_show",           "anonymous",     "approved_private",  NOT_FOUND,  ""),
    ("feedback_show",           "outsider",      "approved_private",  NOT_FOUND,  ""),
    ("feedback_show",           "member",        "approved_private",  OK,         ""),
    ("feedback_show",           "editor",        "approved_private",  OK,         ""),
    ("feedback_show",           "admin",         "approved_private",  OK,         ""),
    ("feedback_show",           "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_show",           "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_show",           "sysadmin",      "approved_private",  OK,         ""),
    ("feedback_show",           "outsider",      "missing",           NOT_FOUND,  ""),

    ("feedback_update_status",  "anonymous",     "approved",          DENIED,     ""),
    ("feedback_update_status",  "outsider",      "approved",          DENIED,     API),
    ("feedback_update_status",  "member",        "approved",          DENIED,     ""),
    ("feedback_update_status",  "editor",        "approved",          OK,         API),
    ("feedback_update_status",  "admin",         "approved",          OK,         ""),
    ("feedback_update_status",  "other_editor",  "approved",          DENIED,     ""),
    ("feedback_update_status",  "author",        "approved",          DENIED,     ""),
    ("feedback_update_status",  "sysadmin",      "approved",          OK,         ""),
    ("feedback_update_status",  "anonymous",     "pending",           DENIED,     ""),
    ("feedback_update_status",  "outsider",      "pending",           NOT_FOUND,  ""),
    ("feedback_update_status",  "member",        "pending",           NOT_FOUND,  API),
    ("feedback_update_status",  "editor",        "pending",           OK,         ""),
    ("feedback_update_status",  "admin",         "pending",           OK,         ""),
    ("feedback_update_status",  "other_editor",  "pending",           NOT_FOUND,  ""),
    ("feedback_update_status",  "author",        "pending",           DENIED,     ""),
    ("feedback_update_status",  "sysadmin",      "pending",           OK,         ""),
    ("feedback_update_status",  "anonymous",     "hidden",            DENIED,     ""),
    ("feedback_update_status",  "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_update_status",  "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_update_status",  "editor",        "hidden",            OK,         ""),
    ("feedback_update_status",  "admin",         "hidden",            OK,         ""),
    ("feedback_update_status",  "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_update_status",  "author",        "hidden",            DENIED,     ""),
    ("feedback_update_status",  "sysadmin",      "hidden",            OK,         ""),
    ("feedback_update_status",  "anonymous",     "approved_private",  DENIED,     ""),
    ("feedback_update_status",  "outsider",      "approved_private",  NOT_FOUND,  ""),
    ("feedback_update_status",  "member",        "approved_private",  DENIED,     ""),
    ("feedback_update_status",  "editor",        "approved_private",  OK,         ""),
    ("feedback_update_status",  "admin",         "approved_private",  OK,         ""),
    ("feedback_update_status",  "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_update_status",  "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_update_status",  "sysadmin",      "approved_private",  OK,         ""),

    ("feedback_reply",          "anonymous",     "approved",          DENIED,     ""),
    ("feedback_reply",          "outsider",      "approved",          DENIED,     ""),
    ("feedback_reply",          "member",        "approved",          DENIED,     ""),
    ("feedback_reply",          "editor",        "approved",          OK,         ""),
    ("feedback_reply",          "admin",         "approved",          OK,         API),
    ("feedback_reply",          "other_editor",  "approved",          DENIED,     ""),
    ("feedback_reply",          "author",        "approved",          DENIED,     API),
    ("feedback_reply",          "sysadmin",      "approved",          OK,         ""),
    ("feedback_reply",          "anonymous",     "pending",           DENIED,     ""),
    ("feedback_reply",          "outsider",      "pending",           NOT_FOUND,  ""),
    ("feedback_reply",          "member",        "pending",           NOT_FOUND,  ""),
    ("feedback_reply",          "editor",        "pending",           OK,         ""),
    ("feedback_reply",          "admin",         "pending",           OK,         ""),
    ("feedback_reply",          "other_editor",  "pending",           NOT_FOUND,  API),
    ("feedback_reply",          "author",        "pending",           DENIED,     ""),
    ("feedback_reply",          "sysadmin",      "pending",           OK,         ""),
    ("feedback_reply",          "anonymous",     "hidden",            DENIED,     ""),
    ("feedback_reply",          "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_reply",          "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_reply",          "editor",        "hidden",            OK,         ""),
    ("feedback_reply",          "admin",         "hidden",            OK,         ""),
    ("feedback_reply",          "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_reply",          "author",        "hidden",            DENIED,     ""),
    ("feedback_reply",          "sysadmin",      "hidden",            OK,         ""),
    ("feedback_reply",          "anonymous",     "approved_private",  DENIED,     ""),
    ("feedback_reply",          "outsider",      "approved_private",  NOT_FOUND,  ""),
    ("feedback_reply",          "member",        "approved_private",  DENIED,     ""),
    ("feedback_reply",          "editor",        "approved_private",  OK,         ""),
    ("feedback_reply",          "admin",         "approved_private",  OK,         ""),
    ("feedback_reply",          "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_reply",          "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_reply",          "sysadmin",      "approved_private",  OK,         ""),

    ("feedback_moderate",       "anonymous",     "approved",          DENIED,     API),
    ("feedback_moderate",       "anon_allowed",  "approved",          DENIED,     ""),
    ("feedback_moderate",       "outsider",      "approved",          DENIED,     ""),
    ("feedback_moderate",       "member",        "approved",          DENIED,     ""),
    ("feedback_moderate",       "editor",        "approved",          OK,         ""),
    ("feedback_moderate",       "admin",         "approved",          OK,         ""),
    ("feedback_moderate",       "other_editor",  "approved",          DENIED,     ""),
    ("feedback_moderate",       "author",        "approved",          DENIED,     ""),
    ("feedback_moderate",       "sysadmin",      "approved",          OK,         ""),
    ("feedback_moderate",       "anonymous",     "pending",           DENIED,     ""),
    ("feedback_moderate",       "outsider",      "pending",           NOT_FOUND,  ""),
    ("feedback_moderate",       "member",        "pending",           NOT_FOUND,  ""),
    ("feedback_moderate",       "editor",        "pending",           OK,         API),
    ("feedback_moderate",       "admin",         "pending",           OK,         ""),
    ("feedback_moderate",       "other_editor",  "pending",           NOT_FOUND,  ""),
    ("feedback_moderate",       "author",        "pending",           DENIED,     ""),
    ("feedback_moderate",       "sysadmin",      "pending",           OK,         ""),
    ("feedback_moderate",       "anonymous",     "hidden",            DENIED,     ""),
    ("feedback_moderate",       "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_moderate",       "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_moderate",       "editor",        "hidden",            OK,         ""),
    ("feedback_moderate",       "admin",         "hidden",            OK,         ""),
    ("feedback_moderate",       "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_moderate",       "author",        "hidden",            DENIED,     ""),
    ("feedback_moderate",       "sysadmin",      "hidden",            OK,         ""),
    ("feedback_moderate",       "anonymous",     "approved_private",  DENIED,     ""),
    ("feedback_moderate",       "outsider",      "approved_private",  NOT_FOUND,  API),
    ("feedback_moderate",       "member",        "approved_private",  DENIED,     ""),
    ("feedback_moderate",       "editor",        "approved_private",  OK,         ""),
    ("feedback_moderate",       "admin",         "approved_private",  OK,         ""),
    ("feedback_moderate",       "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_moderate",       "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_moderate",       "sysadmin",      "approved_private",  OK,         ""),

    # moderators hide instead: what was said stays on record
    ("feedback_delete",         "anonymous",     "approved",          DENIED,     ""),
    ("feedback_delete",         "anon_allowed",  "approved",          DENIED,     ""),
    ("feedback_delete",         "outsider",      "approved",          DENIED,     ""),
    ("feedback_delete",         "member",        "approved",          DENIED,     ""),
    ("feedback_delete",         "editor",        "approved",          DENIED,     API),
    ("feedback_delete",         "admin",         "approved",          DENIED,     ""),
    ("feedback_delete",         "other_editor",  "approved",          DENIED,     ""),
    ("feedback_delete",         "author",        "approved",          OK,         API),
    ("feedback_delete",         "sysadmin",      "approved",          OK,         ""),
    ("feedback_delete",         "anonymous",     "pending",           DENIED,     ""),
    ("feedback_delete",         "outsider",      "pending",           NOT_FOUND,  API),
    ("feedback_delete",         "member",        "pending",           NOT_FOUND,  ""),
    ("feedback_delete",         "editor",        "pending",           DENIED,     ""),
    ("feedback_delete",         "admin",         "pending",           DENIED,     ""),
    ("feedback_delete",         "other_editor",  "pending",           NOT_FOUND,  ""),
    ("feedback_delete",         "author",        "pending",           OK,         ""),
    ("feedback_delete",         "sysadmin",      "pending",           OK,         ""),
    ("feedback_delete",         "anonymous",     "hidden",            DENIED,     ""),
    ("feedback_delete",         "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_delete",         "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_delete",         "editor",        "hidden",            DENIED,     ""),
    ("feedback_delete",         "admin",         "hidden",            DENIED,     ""),
    ("feedback_delete",         "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_delete",         "author",        "hidden",            OK,         ""),
    ("feedback_delete",         "sysadmin",      "hidden",            OK,         ""),
    ("feedback_delete",         "anonymous",     "approved_private",  DENIED,     ""),
    ("feedback_delete",         "outsider",      "approved_private",  NOT_FOUND,  ""),
    ("feedback_delete",         "member",        "approved_private",  DENIED,     ""),
    ("feedback_delete",         "editor",        "approved_private",  DENIED,     ""),
    ("feedback_delete",         "admin",         "approved_private",  DENIED,     ""),
    ("feedback_delete",         "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_delete",         "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_delete",         "sysadmin",      "approved_private",  OK,         ""),

    ("feedback_flag",           "anonymous",     "approved",          DENIED,     API),
    ("feedback_flag",           "anon_allowed",  "approved",          OK,         API),
    ("feedback_flag",           "outsider",      "approved",          OK,         ""),
    ("feedback_flag",           "member",        "approved",          OK,         ""),
    ("feedback_flag",           "editor",        "approved",          OK,         ""),
    ("feedback_flag",           "admin",         "approved",          OK,         ""),
    ("feedback_flag",           "other_editor",  "approved",          OK,         ""),
    ("feedback_flag",           "author",        "approved",          OK,         ""),
    ("feedback_flag",           "sysadmin",      "approved",          OK,         ""),
    ("feedback_flag",           "anonymous",     "pending",           DENIED,     ""),
    ("feedback_flag",           "anon_allowed",  "pending",           NOT_FOUND,  API),
    ("feedback_flag",           "outsider",      "pending",           NOT_FOUND,  ""),
    ("feedback_flag",           "member",        "pending",           NOT_FOUND,  ""),
    ("feedback_flag",           "editor",        "pending",           OK,         ""),
    ("feedback_flag",           "admin",         "pending",           OK,         ""),
    ("feedback_flag",           "other_editor",  "pending",           NOT_FOUND,  ""),
    ("feedback_flag",           "author",        "pending",           OK,         ""),
    ("feedback_flag",           "sysadmin",      "pending",           OK,         ""),
    ("feedback_flag",           "anonymous",     "hidden",            DENIED,     ""),
    ("feedback_flag",           "outsider",      "hidden",            NOT_FOUND,  ""),
    ("feedback_flag",           "member",        "hidden",            NOT_FOUND,  ""),
    ("feedback_flag",           "editor",        "hidden",            OK,         ""),
    ("feedback_flag",           "admin",         "hidden",            OK,         ""),
    ("feedback_flag",           "other_editor",  "hidden",            NOT_FOUND,  ""),
    ("feedback_flag",           "author",        "hidden",            OK,         ""),
    ("feedback_flag",           "sysadmin",      "hidden",            OK,         ""),
    ("feedback_flag",           "anonymous",     "approved_private",  DENIED,     ""),
    ("feedback_flag",           "anon_allowed",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_flag",           "outsider",      "approved_private",  NOT_FOUND,  ""),
    ("feedback_flag",           "member",        "approved_private",  OK,         ""),
    ("feedback_flag",           "editor",        "approved_private",  OK,         ""),
    ("feedback_flag",           "admin",         "approved_private",  OK,         ""),
    ("feedback_flag",           "other_editor",  "approved_private",  NOT_FOUND,  ""),
    ("feedback_flag",           "author",        "approved_private",  NOT_FOUND,  ""),
    ("feedback_flag",           "sysadmin",      "approved_private",  OK,         ""),

    ("feedback_queue",          "anonymous",     "all_orgs",          DENIED,     ""),
    ("feedback_queue",          "anon_allowed",  "all_orgs",          DENIED,     ""),
    ("feedback_queue",          "outsider",      "all_orgs",          DENIED,     API),
    ("feedback_queue",          "member",        "all_orgs",          DENIED,     ""),
    ("feedback_queue",          "editor",        "all_orgs",          OK,         ""),
    ("feedback_queue",          "admin",         "all_orgs",          OK,         ""),
    ("feedback_queue",          "other_editor",  "all_orgs",          OK,         ""),
    ("feedback_queue",          "sysadmin",      "all_orgs",          OK,         ""),
    ("feedback_queue",          "anonymous",     "own_org",           DENIED,     ""),
    ("feedback_queue",          "outsider",      "own_org",           DENIED,     ""),
    ("feedback_queue",          "member",        "own_org",           DENIED,     ""),
    ("feedback_queue",          "editor",        "own_org",           OK,         API),
    ("feedback_queue",          "admin",         "own_org",           OK,         ""),
    ("feedback_queue",          "other_editor",  "own_org",           DENIED,     ""),
    ("feedback_queue",          "sysadmin",      "own_org",           OK,         ""),
    ("feedback_queue",          "anonymous",     "other_org",         DENIED,     ""),
    ("feedback_queue",          "outsider",      "other_org",         DENIED,     ""),
    ("feedback_queue",          "member",        "other_org",         DENIED,     ""),
    ("feedback_queue",          "editor",        "other_org",         DENIED,     ""),
    ("feedback_queue",          "admin",         "other_org",         DENIED,     ""),
    ("feedback_queue",          "other_editor",  "other_org",         OK,         ""),
    ("feedback_queue",          "sysadmin",      "other_org",         OK,         ""),
    ("feedback_queue",          "editor",        "missing",           NOT_FOUND,  API),

    ("feedback_mine",           "anonymous",     "site",              DENIED,     API),
    ("feedback_mine",           "anon_allowed",  "site",              DENIED,     ""),
    ("feedback_mine",           "outsider",      "site",              OK,         API),
    ("feedback_mine",           "member",        "site",              OK,         ""),
    ("feedback_mine",           "editor",        "site",              OK,         ""),
    ("feedback_mine",           "admin",         "site",              OK,         ""),
    ("feedback_mine",           "other_editor",  "site",              OK,         ""),
    ("feedback_mine",           "author",        "site",              OK,         ""),
    ("feedback_mine",           "sysadmin",      "site",              OK,         ""),

    ("harvest_provenance",      "anonymous",     "public",            OK,         API),
    ("harvest_provenance",      "outsider",      "public",            OK,         ""),
    ("harvest_provenance",      "member",        "public",            OK,         ""),
    ("harvest_provenance",      "editor",        "public",            OK,         ""),
    ("harvest_provenance",      "admin",         "public",            OK,         ""),
    ("harvest_provenance",      "other_editor",  "public",            OK,         ""),
    ("harvest_provenance",      "sysadmin",      "public",            OK,         ""),
    ("harvest_provenance",      "anonymous",     "private",           NOT_FOUND,  ""),
    ("harvest_provenance",      "outsider",      "private",           NOT_FOUND,  API),
    ("harvest_provenance",      "member",        "private",           OK,         ""),
    ("harvest_provenance",      "editor",        "private",           OK,         ""),
    ("harvest_provenance",      "admin",         "private",           OK,         ""),
    ("harvest_provenance",      "other_editor",  "private",           NOT_FOUND,  ""),
    ("harvest_provenance",      "sysadmin",      "private",           OK,         ""),
    ("harvest_provenance",      "anonymous",     "deleted",           NOT_FOUND,  ""),
    ("harvest_provenance",      "outsider",      "deleted",           NOT_FOUND,  ""),
    ("harvest_provenance",      "member",        "deleted",           OK,         ""),
    ("harvest_provenance",      "editor",        "deleted",           OK,         ""),
    ("harvest_provenance",      "admin",         "deleted",           OK,         ""),
    ("harvest_provenance",      "other_editor",  "deleted",           NOT_FOUND,  ""),
    ("harvest_provenance",      "sysadmin",      "deleted",           OK,         ""),
]


# -- what each action is about, and the parameters it is sent ---------------------------------

SITE, DATASET, ITEM, ORGANIZATION = "site", "dataset", "item", "organization"
TEXT = "The CSV link answers 404."

#: action -> (the kind of object it acts on, its parameters given the object's id or name).
#: The parameters pass the action's schema, so the API rows reach auth and beyond.
ACTIONS: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "portal_list":            (SITE, lambda _: {}),
    "portals_sync":           (SITE, lambda _: {"dry_run": True}),
    "quality_show":           (DATASET, lambda ref: {"id": ref}),
    "quality_refresh":        (DATASET, lambda ref: {"id": ref, "wait": True}),
    "quality_summary":        (SITE, lambda _: {}),
    "quality_trend":          (SITE, lambda _: {}),
    "quality_indicators":     (SITE, lambda _: {}),
    "quality_cluster_report": (ORGANIZATION, lambda ref: {"organization": ref}),
    "feedback_create":        (DATASET, lambda ref: {"package_id": ref, "kind": "comment",
                                                     "text": TEXT}),
    "feedback_list":          (DATASET, lambda ref: {"package_id": ref}),
    "feedback_show":          (ITEM, lambda ref: {"id": ref}),
    "feedback_update_status": (ITEM, lambda ref: {"id": ref, "status": "acknowledged"}),
    "feedback_reply":         (ITEM, lambda ref: {"id": ref, "text": "We are on it."}),
    "feedback_moderate":      (ITEM, lambda ref: {"id": ref, "moderation": "approved"}),
    "feedback_delete":        (ITEM, lambda ref: {"id": ref}),
    "feedback_flag":          (ITEM, lambda ref: {"id": ref, "reason": "Spam"}),
    "feedback_queue":         (ORGANIZATION, lambda ref: {"organization": ref} if ref else {}),
    "feedback_mine":          (SITE, lambda _: {}),
    "harvest_provenance":     (DATASET, lambda ref: {"id": ref}),
}

CALLERS = ("anonymous", "anon_allowed", "outsider", "member", "editor", "admin", "other_editor",
           "author", "sysadmin")
#: The callers every action has a row for (the author only where there is an item, the
#: anonymous visitor of a site that allows them only where the option changes something).
ALWAYS = ("anonymous", "outsider", "member", "editor", "admin", "other_editor", "sysadmin")
MISSING = {DATASET: "no-such-dataset", ITEM: "no-such-feedback-item",
           ORGANIZATION: "no-such-organization"}
ANONYMOUS = ("anonymous", "anon_allowed")


def _rows(matrix: list[Any]) -> Iterator[Any]:
    """The rows (tuples, or pytest.param for a row with marks) as pytest params named
    ``action-who-object``; the anonymous visitor of a site that allows them gets the
    option through CKAN's ckan_config mark."""
    for row in matrix:
        values, marks = (row.values, list(row.marks)) if hasattr(row, "values") else (row, [])
        action, who, obj, _, _ = values
        if who == "anon_allowed":
            marks.append(pytest.mark.ckan_config(ALLOW_ANONYMOUS, "true"))
        yield pytest.param(*values, marks=marks, id=f"{action}-{who}-{obj}")


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values) if hasattr(row, "values") else row


#: Where the API answers otherwise than check_access. Through the API an anonymous caller
#: is CKAN's AnonymousUser, a truthy object, so CKAN's "requires an authenticated user"
#: check lets it through to the auth function, which says "not found" of what the caller
#: may not see; check_access with ``{"user": ""}`` is stopped by that check first. Either
#: answer is the same for the dataset and for one that does not exist.
API_ANSWERS = {
    ("quality_refresh", "anonymous", "private"): NOT_FOUND,
    ("quality_refresh", "anonymous", "deleted"): NOT_FOUND,
}


def _api_rows() -> list[Any]:
    """The rows marked API, and every anonymous row: an anonymous caller reaches the auth
    functions differently through the API (see API_ANSWERS)."""
    return [row for row in _rows(MATRIX) if row.values[4] == API or row.values[1] in ANONYMOUS]


# -- the world -----------------------------------------------------------------------------------

@dataclasses.dataclass
class World:
    """Every caller (with an API token), and every object of the table by its name."""

    users: dict[str, dict[str, Any]]
    organizations: dict[str, str]
    datasets: dict[str, str]
    items: dict[str, str]

    def user_name(self, who: str) -> str:
        return "" if who in ANONYMOUS else self.users[who]["name"]

    def ref(self, kind: str, obj: str) -> Any:
        """The id (or name) the action is sent for the table's object."""
        if obj == "missing":
            return MISSING[kind]
        if kind == SITE:
            return None
        if kind == DATASET:
            return self.datasets[obj]
        if kind == ITEM:
            return self.items[obj]
        return None if obj == "all_orgs" else self.organizations[obj]


@pytest.fixture(scope="module")
def world(reset_db, migrate_db_for, reset_index) -> Iterator[World]:
    """Built once for the module, which is what keeps hundreds of rows fast: the plugins
    loaded for the module's whole run (with_plugins and clean_db load and reset per test),
    a clean database with our migrations (as the suite's clean_db does) and index.

    One organization with a user per role, another with its editor, a user of no
    organization, the author of the feedback, a sysadmin; a public, a private and a deleted
    dataset of the first organization; an approved, a pending and a hidden item by the
    author on the public dataset, and an approved one on the private dataset."""
    plugins.load_all()
    try:
        reset_db()
        for plugin in MIGRATED_PLUGINS:
            migrate_db_for(plugin)
        reset_index()
        users = {who: factories.UserWithToken() for who in
                 ("outsider", "member", "editor", "admin", "other_editor", "author")}
        users["sysadmin"] = factories.SysadminWithToken()
        own = Cluster(users=[{"name": users[role]["name"], "capacity": role}
                             for role in ("member", "editor", "admin")])
        other = Cluster(users=[{"name": users["other_editor"]["name"], "capacity": "editor"}])
        datasets = {
            "public": SVRCDataset(owner_org=own["id"])["id"],
            "private": SVRCDataset(owner_org=own["id"], private=True)["id"],
            "deleted": SVRCDataset(owner_org=own["id"])["id"],
        }
        call_action("package_delete", context={"user": users["sysadmin"]["name"]},
                    id=datasets["deleted"])
        author = users["author"]["id"]
        items = {
            "approved": FeedbackItem(package_id=datasets["public"], author_id=author).id,
            "pending": FeedbackItem(package_id=datasets["public"], author_id=author,
                                    moderation="pending").id,
            "hidden": FeedbackItem(package_id=datasets["public"], author_id=author,
                                   moderation="hidden", kind="comment").id,
            "approved_private": FeedbackItem(package_id=datasets["private"], author_id=author).id,
        }
        yield World(users=users, organizations={"own_org": own["name"], "other_org": other["name"]},
                    datasets=datasets, items=items)
    finally:
        plugins.unload_all()


@pytest.fixture(scope="module")
def api(world: World) -> Any:
    """One test app for the module's API rows (CKAN's app fixture builds one per test)."""
    from ckan.lib.app_globals import _CONFIG_CACHE

    _CONFIG_CACHE.clear()
    return _get_test_app()


# -- the tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action, who, obj, outcome, _api", list(_rows(MATRIX)))
def test_check_access(world: World, request, action, who, obj, outcome, _api):
    if who == "anon_allowed":
        request.getfixturevalue("ckan_config")  # applies the row's ckan_config mark
    kind, params = ACTIONS[action]
    data_dict = params(world.ref(kind, obj))
    context = {"user": world.user_name(who)}

    if outcome is OK:
        assert tk.check_access(PREFIX + action, context, data_dict) is True
    else:
        with pytest.raises(RAISED[outcome]):
            tk.check_access(PREFIX + action, context, data_dict)


def _fresh_copy(item_id: str) -> str:
    """A new item like the table's one, for the API rows that may change it."""
    item = Feedback.get(item_id)
    return FeedbackItem(package_id=item.package_id, author_id=item.author_id, kind=item.kind,
                        moderation=item.moderation).id


def _post(api: Any, world: World, who: str, action: str, data: dict[str, Any], status: int) -> Any:
    headers = {} if who in ANONYMOUS else {"Authorization": world.users[who]["token"]}
    return api.post(f"/api/3/action/{PREFIX}{action}", json=data, headers=headers,
                    extra_environ={"REMOTE_ADDR": ADDRESS}, status=status)


@pytest.mark.parametrize("action, who, obj, outcome, _api", _api_rows())
def test_through_the_api(world: World, api, request, action, who, obj, outcome, _api):
    """The whole path: the schema, then auth, then the action, and the HTTP status. A
    NOT_FOUND answer is word for word the one for an object that does not exist."""
    if who == "anon_allowed":
        request.getfixturevalue("ckan_config")
    outcome = API_ANSWERS.get((action, who, obj), outcome)
    kind, params = ACTIONS[action]
    ref = world.ref(kind, obj)
    if kind == ITEM and obj != "missing":
        ref = _fresh_copy(ref)

    answer = _post(api, world, who, action, params(ref), outcome.value)

    assert answer.json["success"] is (outcome is OK)
    if outcome is NOT_FOUND:
        missing = _post(api, world, who, action, params(MISSING[kind]), 404)
        assert answer.json["error"] == missing.json["error"]
    if outcome is DENIED:
        assert answer.json["error"]["__type"] == "Authorization Error"


def test_the_table_covers_every_action_and_every_caller(world: World):
    """Every registered action has rows for every caller, each row is unique, and one row
    per outcome of each action goes through the API as well."""
    registered = {name[len(PREFIX):] for name in
                  plugins.get_plugin("plusresilient").get_auth_functions()}
    rows = [_values(row) for row in MATRIX]
    keys = [(action, who, obj) for action, who, obj, _, _ in rows]

    assert registered == set(ACTIONS) == {action for action, *_ in rows}
    assert len(keys) == len(set(keys))
    assert {who for _, who, _ in keys} <= set(CALLERS)
    for action in ACTIONS:
        assert set(ALWAYS) <= {who for name, who, _ in keys if name == action}, action
        outcomes = {outcome for name, _, _, outcome, _ in rows if name == action}
        via_api = [outcome for name, _, _, outcome, api in rows if name == action and api == API]
        assert sorted(via_api, key=str) == sorted(outcomes, key=str), action
