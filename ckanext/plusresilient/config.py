"""Typed getters for the suite's options (declared in config_declaration.yaml)."""
from __future__ import annotations

import dataclasses
import datetime
import re

import ckan.plugins.toolkit as tk

from ckanext.plusresilient.quality.data import DataLimits
from ckanext.plusresilient.safe_http import HttpPolicy


def http_policy() -> HttpPolicy:
    """The outbound HTTP rules every harvester and link check follows."""
    return HttpPolicy(
        timeout=tk.config.get("ckanext.plusresilient.http.timeout"),
        retries=tk.config.get("ckanext.plusresilient.http.retries"),
        max_bytes=tk.config.get("ckanext.plusresilient.http.max_response_bytes"),
        # a list from the ini file, or a space-separated string set at runtime:
        # HttpPolicy reads both (tuple() of a string would split it into characters)
        allowed_private_networks=tk.config.get(
            "ckanext.plusresilient.http.allowed_private_networks") or (),
        user_agent=tk.config.get("ckanext.plusresilient.http.user_agent"),
    )


def check_at_startup() -> None:
    """Refuse to start with an outbound HTTP option that is wrong, above all an
    allowance without a port (it would open every service of a machine):
    a mistake found at the first harvest is found too late."""
    http_policy()


# -- portal directory ----------------------------------------------------------------------

PORTALS_ORGANIZATION_OPTION = "ckanext.plusresilient.portals.organization"
#: What a CKAN name may be (ckan.logic.validators.name_validator); an id is one too.
_CKAN_NAME_RE = re.compile(r"^[a-z0-9_-]{2,100}$")


def portals_organization() -> str:
    """The name or id of the organization that owns the directory's harvest
    sources. Checked here, so that a value no organization can have is one
    clear message naming the option rather than a failed create further on."""
    value = str(tk.config.get(PORTALS_ORGANIZATION_OPTION) or "").strip()
    if not _CKAN_NAME_RE.match(value):
        raise ValueError(f"{PORTALS_ORGANIZATION_OPTION} must name an organization (2 to 100 "
                         f"lower-case letters, digits, '-' or '_'), not {value!r}")
    return value


def harvest_timeout_retries() -> int:
    """How many timed-out harvests of a source in a row are started again."""
    return max(0, _int("ckanext.plusresilient.harvest.timeout_retries"))


# -- DCAT-AP catalogue ----------------------------------------------------------------------

CATALOG_PUBLISHER_OPTION = "ckanext.plusresilient.dcat.publisher"


def catalog_publisher() -> str:
    """The name or id of the organization that publishes the catalogue, or
    "" for the site itself."""
    return str(tk.config.get(CATALOG_PUBLISHER_OPTION) or "").strip()


def quality_auto() -> bool:
    """Whether saves enqueue a scoring job."""
    return tk.asbool(tk.config.get("ckanext.plusresilient.quality.auto"))


def quality_types() -> tuple[str, ...]:
    """The dataset types that get a quality score."""
    return tuple(tk.aslist(tk.config.get("ckanext.plusresilient.quality.types")))


#: ckanext-harvest's dataset type for harvest sources.
HARVEST_SOURCE_TYPE = "harvest"


def scored_types() -> tuple[str, ...]:
    """The dataset types that get a quality score (``quality.types``; never
    harvest sources, whatever the setting says)."""
    return tuple(name for name in quality_types() if name != HARVEST_SOURCE_TYPE)


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


def refresh_wait_seconds() -> int:
    """How long a refresh that waits for its score may spend checking."""
    return max(1, _int("ckanext.plusresilient.quality.refresh_wait_seconds"))


def link_max_age() -> datetime.timedelta:
    """How long a stored link check is trusted."""
    return datetime.timedelta(hours=_int("ckanext.plusresilient.quality.link_max_age_hours"))


def preview_enabled() -> bool:
    """Whether checked tables are loaded into the DataStore (scoring/preview.py)."""
    return tk.asbool(tk.config.get("ckanext.plusresilient.preview.enabled"))


def preview_max_bytes() -> int:
    """The largest file loaded for a table preview."""
    return _int("ckanext.plusresilient.preview.max_bytes")


def _int(key: str) -> int:
    """Declared ints arrive as text when set at runtime (tests, a plugin)."""
    return tk.asint(tk.config.get(key))


# -- community feedback ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RateLimit:
    """At most ``count`` new items per ``seconds``, per user (or address)."""

    count: int
    seconds: int


def feedback_rate_limit() -> RateLimit:
    """``ckanext.plusresilient.feedback.rate_limit`` ("count/seconds").

    A malformed value raises instead of falling back to no limit: a typo in
    the ini file must not open the gates to spam.
    """
    value = str(tk.config.get("ckanext.plusresilient.feedback.rate_limit") or "").strip()
    count, _, seconds = value.partition("/")
    try:
        limit = RateLimit(count=int(count), seconds=int(seconds))
    except ValueError:
        raise ValueError(f"ckanext.plusresilient.feedback.rate_limit must be "
                         f"\"count/seconds\", not {value!r}") from None
    if limit.count < 1 or limit.seconds < 1:
        raise ValueError(f"ckanext.plusresilient.feedback.rate_limit needs a positive "
                         f"count and period, not {value!r}")
    return limit


def feedback_allow_anonymous() -> bool:
    return tk.asbool(tk.config.get("ckanext.plusresilient.feedback.allow_anonymous"))


def feedback_premoderation() -> bool:
    return tk.asbool(tk.config.get("ckanext.plusresilient.feedback.premoderation"))


def feedback_flags_to_hide() -> int:
    return max(1, _int("ckanext.plusresilient.feedback.flags_to_hide"))


def feedback_mail_admins() -> bool:
    """Whether new feedback is mailed to the dataset's organization's admins.

    An option of its own, off by default, rather than "CKAN's smtp.server is
    set": CKAN declares smtp.server with the default ``localhost``, so it is
    set on every site and says nothing about whether a mail server listens.
    """
    return tk.asbool(tk.config.get("ckanext.plusresilient.feedback.mail_admins"))
