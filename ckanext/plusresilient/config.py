"""Typed getters for the suite's options (declared in config_declaration.yaml)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

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
