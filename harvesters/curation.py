"""Curators win: a harvested dataset's fields that an editor changed here
are kept when the source changes, and when a full re-harvest imports the
dataset again.

Nobody has to mark a field as curated. Each import records the value the
source gave for every field it wrote (:class:`HarvestedDataset.values`); at
the next import a field whose current value differs from that record was
changed here since, and keeps its value. A field the harvest never writes
(the 4-helix actor, say) is simply kept. A field an editor sets back to what
the source says follows the source again.

Pure Python: the values are the dictionaries ``package_show`` returns.
"""
from __future__ import annotations

from typing import Any, Iterable

#: Every field the mapping (``mapping.to_package``) may write. A field of
#: this list that an import no longer gives is cleared, unless it was edited.
HARVESTED_FIELDS = (
    "title", "notes", "tags", "license_id", "theme", "svrc_scenario", "si_area", "od_category",
    "country", "region", "language", "frequency", "issued", "modified", "temporal_start",
    "temporal_end", "access_rights", "url", "contact", "source_portal", "source_url",
    "source_identifier", "uri",
)

#: Where the dataset comes from, and when the source changed it: facts about
#: the source, which an edit here cannot make truer.
PROVENANCE_FIELDS = frozenset({"source_portal", "source_url", "source_identifier", "uri", "modified"})


def comparable(field: str, value: Any) -> Any:
    """``value`` in a form where the same content compares equal whether it
    comes from the mapping or back from ``package_show`` (tags as dicts or
    names, lists in any order, empty as None)."""
    if value in (None, "", [], {}):
        return None
    if field == "tags" and isinstance(value, list):
        names = sorted({(t.get("name") if isinstance(t, dict) else str(t)) or "" for t in value} - {""})
        return names or None
    if isinstance(value, list):
        items = [_plain(item) for item in value]
        items = [item for item in items if item not in (None, "", {})]
        if all(isinstance(item, str) for item in items):
            return sorted(set(items)) or None
        return items or None
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items()) if v not in (None, "", [])}
    return value


def edited_fields(current: dict[str, Any], source_values: dict[str, Any]) -> list[str]:
    """The harvested fields whose value here is not what the source gave."""
    return [field for field in HARVESTED_FIELDS
            if field in source_values and field not in PROVENANCE_FIELDS
            and comparable(field, current.get(field)) != comparable(field, source_values[field])]


def merge(incoming: dict[str, Any], current: dict[str, Any],
          source_values: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The dataset to write: ``current`` (as ``package_show`` gives it) with
    the source's new values, except in the fields edited here, which are
    returned too.

    ``source_values`` is None for a dataset imported before the harvest
    recorded them: every harvested field then follows the source.
    """
    merged = dict(current)
    edited = edited_fields(current, source_values) if source_values is not None else []
    for field in HARVESTED_FIELDS:
        if field in edited:
            continue
        if field in incoming:
            merged[field] = incoming[field]
        elif field in merged:
            # the source no longer gives it: what the harvest wrote goes
            merged[field] = [] if isinstance(merged[field], list) else ""
    if "tags" in merged and "tags" not in edited:
        merged.pop("tag_string", None)  # the form's field would win over the new tags
    return merged, edited


def recorded_values(incoming: dict[str, Any], written: dict[str, Any],
                    edited: Iterable[str]) -> dict[str, Any]:
    """What to remember as the source's values: the written dataset's own
    (validated) value where the source's was written, the source's where an
    edit here was kept."""
    edited = set(edited)
    return {field: (incoming.get(field) if field in edited else written.get(field))
            for field in HARVESTED_FIELDS if field in incoming or field in edited}
