"""The parameters of every ``plusresilient_*`` action, as navl schemas.

One function per action, named after it, applied with
``@tk.validate_action_data(schema.<name>)``: each action validates its
parameters here first, before its auth function and before anything touches
the database, so that a value of the wrong type is a ValidationError (HTTP
409 with a message naming the parameter) and never a 500, and so that auth
functions and the logic only ever see values of the documented types.
Nothing here reads the database: whether a dataset or an item exists, and
whether the caller may see it, is decided afterwards, so validating first
reveals nothing. Parameters not in an action's schema are dropped
(``__extras``/``__junk``), as CKAN's own actions ignore them.

The validators are registered ones, looked up by the arguments' names
(``@validator_args``): CKAN's where they refuse what they should, ours
(``plusresilient_*``, in logic/validators.py, which says why) where CKAN's
accept too much. Paging is ``limit``/``offset`` as in CKAN's
``default_pagination_schema``, with our whole-number check instead of its
``natural_number_validator``, which takes ``true`` as 1 and any size.
"""
from __future__ import annotations

from typing import Any, Callable

from ckan.logic.schema import validator_args

from ckanext.plusresilient import labels
from ckanext.plusresilient.model.feedback import CATEGORIES, KINDS, MODERATION_STATES, STATUSES

__all__ = [
    "FEEDBACK_DEFAULT_LIMIT",
    "INDICATORS_DEFAULT_LIMIT",
    "INDICATORS_MAX_LIMIT",
    "MAX_INTEGER",
    "SUMMARY_GROUPINGS",
    "for_action",
]

Schema = dict[str, list[Callable[..., Any]]]
Validator = Callable[..., Any]

#: The largest page size or offset accepted: PostgreSQL's integer, far past
#: any real catalog, and far from the 2**63 that overflows its bigint.
MAX_INTEGER = 2**31 - 1
#: ``by`` of plusresilient_quality_summary.
SUMMARY_GROUPINGS = ("country", "region", "organization", "harvest_source")
INDICATORS_DEFAULT_LIMIT = 10
INDICATORS_MAX_LIMIT = 50
FEEDBACK_DEFAULT_LIMIT = 50


@validator_args
def _unknown_dropped(ignore: Validator, plusresilient_junk: Validator) -> Schema:
    """What no action takes: navl gathers it under these keys, and they go."""
    return {"__extras": [ignore], "__junk": [plusresilient_junk]}


def _schema(**fields: list[Validator]) -> Schema:
    return {**fields, **_unknown_dropped()}


@validator_args
def _feedback_page(default: Validator, plusresilient_whole_number: Validator) -> Schema:
    return {
        "limit": [default(FEEDBACK_DEFAULT_LIMIT), plusresilient_whole_number(0, MAX_INTEGER)],
        "offset": [default(0), plusresilient_whole_number(0, MAX_INTEGER)],
    }


@validator_args
def _feedback_filters(plusresilient_optional: Validator,
                      plusresilient_one_of: Validator) -> Schema:
    return {
        "status": [plusresilient_optional, plusresilient_one_of(STATUSES, labels.FEEDBACK_STATUSES)],
        "kind": [plusresilient_optional, plusresilient_one_of(KINDS, labels.FEEDBACK_KINDS)],
        **_feedback_page(),
    }


# -- the portal directory ------------------------------------------------------------------

@validator_args
def portal_list(default: Validator, plusresilient_country_codes: Validator) -> Schema:
    return _schema(country=[default(""), plusresilient_country_codes])


@validator_args
def portals_sync(default: Validator, plusresilient_country_codes: Validator,
                 plusresilient_boolean: Validator,
                 plusresilient_harvester_override: Validator) -> Schema:
    return _schema(
        country=[default(""), plusresilient_country_codes],
        dry_run=[default(False), plusresilient_boolean],
        harvester_override=[default(""), plusresilient_harvester_override],
    )


# -- quality -------------------------------------------------------------------------------

@validator_args
def quality_show(not_empty: Validator, default: Validator, plusresilient_identifier: Validator,
                 plusresilient_boolean: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   history=[default(False), plusresilient_boolean])


@validator_args
def quality_refresh(not_empty: Validator, default: Validator,
                    plusresilient_identifier: Validator,
                    plusresilient_boolean: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   wait=[default(False), plusresilient_boolean])


@validator_args
def quality_summary(default: Validator, plusresilient_optional: Validator,
                    plusresilient_one_of: Validator, plusresilient_identifier: Validator,
                    plusresilient_country_codes: Validator) -> Schema:
    return _schema(by=[plusresilient_optional,
                       plusresilient_one_of(SUMMARY_GROUPINGS, labels.SUMMARY_GROUPINGS)],
                   organization=[plusresilient_optional, plusresilient_identifier],
                   country=[default(""), plusresilient_country_codes])


@validator_args
def quality_trend(default: Validator, plusresilient_optional: Validator,
                  plusresilient_identifier: Validator,
                  plusresilient_country_codes: Validator) -> Schema:
    return _schema(organization=[plusresilient_optional, plusresilient_identifier],
                   country=[default(""), plusresilient_country_codes])


@validator_args
def quality_cluster_report(not_empty: Validator, plusresilient_identifier: Validator) -> Schema:
    return _schema(organization=[not_empty, plusresilient_identifier])


@validator_args
def quality_indicators(default: Validator, plusresilient_optional: Validator,
                       plusresilient_identifier: Validator,
                       plusresilient_country_codes: Validator,
                       plusresilient_whole_number: Validator) -> Schema:
    return _schema(
        limit=[default(INDICATORS_DEFAULT_LIMIT),
               plusresilient_whole_number(1, INDICATORS_MAX_LIMIT)],
        organization=[plusresilient_optional, plusresilient_identifier],
        country=[default(""), plusresilient_country_codes],
    )


# -- community feedback ---------------------------------------------------------------------

@validator_args
def feedback_create(not_empty: Validator, default: Validator,
                    plusresilient_optional: Validator, plusresilient_identifier: Validator,
                    plusresilient_one_of: Validator, plusresilient_whole_number: Validator,
                    plusresilient_text: Validator) -> Schema:
    return _schema(
        package_id=[not_empty, plusresilient_identifier],
        resource_id=[plusresilient_optional, plusresilient_identifier],
        kind=[not_empty, plusresilient_one_of(KINDS, labels.FEEDBACK_KINDS)],
        rating=[plusresilient_optional, plusresilient_whole_number(1, 5)],
        category=[plusresilient_optional, plusresilient_one_of(CATEGORIES, labels.FEEDBACK_CATEGORIES)],
        text=[default(""), plusresilient_text],
    )


@validator_args
def feedback_list(not_empty: Validator, default: Validator,
                  plusresilient_identifier: Validator,
                  plusresilient_boolean: Validator) -> Schema:
    return _schema(package_id=[not_empty, plusresilient_identifier],
                   include_hidden=[default(False), plusresilient_boolean],
                   **_feedback_filters())


@validator_args
def feedback_item(not_empty: Validator, plusresilient_identifier: Validator) -> Schema:
    """feedback_show and feedback_delete: the item alone."""
    return _schema(id=[not_empty, plusresilient_identifier])


feedback_show = feedback_item
feedback_delete = feedback_item


@validator_args
def feedback_update_status(not_empty: Validator, plusresilient_identifier: Validator,
                           plusresilient_one_of: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   status=[not_empty, plusresilient_one_of(STATUSES, labels.FEEDBACK_STATUSES)])


@validator_args
def feedback_reply(not_empty: Validator, plusresilient_identifier: Validator,
                   plusresilient_text: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   text=[not_empty, plusresilient_text])


@validator_args
def feedback_moderate(not_empty: Validator, plusresilient_identifier: Validator,
                      plusresilient_one_of: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   moderation=[not_empty,
                               plusresilient_one_of(MODERATION_STATES, labels.FEEDBACK_MODERATION)])


@validator_args
def feedback_flag(not_empty: Validator, default: Validator,
                  plusresilient_identifier: Validator, plusresilient_text: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier],
                   reason=[default(""), plusresilient_text])


@validator_args
def feedback_queue(plusresilient_optional: Validator,
                   plusresilient_identifier: Validator) -> Schema:
    return _schema(organization=[plusresilient_optional, plusresilient_identifier],
                   **_feedback_filters())


def feedback_mine() -> Schema:
    return _schema(**_feedback_filters())


# -- harvest provenance ----------------------------------------------------------------------

@validator_args
def harvest_provenance(not_empty: Validator, plusresilient_identifier: Validator) -> Schema:
    return _schema(id=[not_empty, plusresilient_identifier])


def for_action(name: str) -> Schema:
    """The schema of the action with this name (KeyError for another)."""
    prefix = "plusresilient_"
    if not name.startswith(prefix) or name[len(prefix):] not in _ACTIONS:
        raise KeyError(name)
    return globals()[name[len(prefix):]]()


_ACTIONS = frozenset({
    "portal_list", "portals_sync", "quality_show", "quality_refresh", "quality_summary",
    "quality_trend", "quality_indicators", "quality_cluster_report", "feedback_create",
    "feedback_list", "feedback_show",
    "feedback_update_status", "feedback_reply", "feedback_moderate", "feedback_delete",
    "feedback_flag", "feedback_queue", "feedback_mine", "harvest_provenance",
})
