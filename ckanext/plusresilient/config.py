"""Typed getters for the suite's options (declared in config_declaration.yaml)."""
from __future__ import annotations

import datetime

import ckan.plugins.toolkit as tk

from ckanext.plusresilient.quality.data import DataLimits
from ckanext.plusresilient.safe_http import HttpPolicy


def http_policy() -> HttpPolicy:
    """The outbound HTTP rules every harvester and link check follows."""
    return HttpPolicy(
        timeout=tk.config.get("ckanext.plusresilient.http.timeout"),
        retries=tk.config.get("ckanext.plusresilient.http.retries"),
        max_bytes=tk.config.get("ckanext.plusresilient.http.max_response_bytes"),
        allowed_private_networks=tuple(
            tk.config.get("ckanext.plusresilient.http.allowed_private_networks") or ()),
        user_agent=tk.config.get("ckanext.plusresilient.http.user_agent"),
    )


def quality_auto() -> bool:
    """Whether saves enqueue a scoring job."""
    return tk.asbool(tk.config.get("ckanext.plusresilient.quality.auto"))


def quality_queue() -> str:
    return tk.config.get("ckanext.plusresilient.quality.queue") or "default"


def data_limits() -> DataLimits:
    """What one resource's data check may download, read, report and take."""
    return DataLimits(
        max_bytes=_int("ckanext.plusresilient.quality.max_bytes"),
        max_rows=_int("ckanext.plusresilient.quality.max_rows"),
        max_errors=_int("ckanext.plusresilient.quality.max_errors"),
        max_seconds=_int("ckanext.plusresilient.quality.max_seconds"),
    )


def link_max_age() -> datetime.timedelta:
    """How long a stored link check is trusted."""
    return datetime.timedelta(hours=_int("ckanext.plusresilient.quality.link_max_age_hours"))


def _int(key: str) -> int:
    """Declared ints arrive as text when set at runtime (tests, a plugin)."""
    return tk.asint(tk.config.get(key))
