"""What a data check is given and what it gives back, and how its outcomes read.

DataLimits goes from the caller to the parent and, as JSON, to the child;
DataReport comes back the same way. Both sides build reports, so the two
types, the messages of every outcome and what the public sees of a report
(``public_report``) live here, below both.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from ckanext.plusresilient.safe_http import _size

MB = 1024 * 1024

STATUSES = ("valid", "invalid", "error", "skipped")

#: Why a check ended in "error" or "skipped". The FetchError kinds of
#: safe_http come through unchanged (blocked, timeout, connection, http,
#: too_large, too_many_redirects, malformed, scheme).
KINDS = frozenset({
    "blocked", "timeout", "connection", "http", "too_large", "too_many_redirects",
    "malformed", "scheme",
    "not_tabular", "unsupported", "zip_bomb", "empty", "schema", "memory", "internal",
})

MESSAGE_CHARS = 300  # one error's message (it quotes the cell)
REPORT_MESSAGE_CHARS = 600
# frictionless reports these when the schema, not the data, is wrong.
_SCHEMA_ERRORS = frozenset({"schema-error", "field-error"})


@dataclasses.dataclass(frozen=True)
class DataLimits:
    """How much one check may download, read, report, take and use."""

    max_bytes: int = 50 * MB
    max_rows: int = 100_000
    max_errors: int = 100
    max_seconds: float = 60
    sample_errors: int = 20
    #: the validating process's data segment (heap); frictionless has no limit of its own
    max_memory: int = 1024 * MB

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "max_errors", "max_seconds", "max_memory"):
            if not getattr(self, name) or getattr(self, name) <= 0:
                raise ValueError(f"data check {name} must be positive, "
                                 f"not {getattr(self, name)!r}")
        if self.sample_errors < 0:
            raise ValueError(f"data check sample_errors cannot be negative "
                             f"({self.sample_errors!r})")


@dataclasses.dataclass
class DataReport:
    """The outcome of one data check, small enough to store per resource.

    ``first_errors`` holds up to ``sample_errors`` entries
    ``{type, row, field, message}``; ``partial`` says a row or error limit
    stopped the reading before the end of the file.
    """

    status: str
    kind: str | None = None
    message: str = ""
    rows: int = 0
    bytes: int = 0
    fields: int = 0
    error_count: int = 0
    errors_by_type: dict[str, int] = dataclasses.field(default_factory=dict)
    first_errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    partial: bool = False
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown data check status {self.status!r}")
        self.message = _one_line(self.message)[:REPORT_MESSAGE_CHARS]

    @classmethod
    def failed(cls, kind: str, message: str) -> DataReport:
        return cls(status="error", kind=kind, message=message)

    @classmethod
    def skipped(cls, kind: str, message: str) -> DataReport:
        return cls(status="skipped", kind=kind, message=message)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: What of a report anyone who may see the dataset reads: figures and error
#: types. Cell values, column labels and the validator's own words may quote the
#: file, and a file is whatever its URL answered; they are for those who may
#: edit the dataset (and can read the file anyway).
PUBLIC_FIELDS = ("status", "kind", "message", "rows", "bytes", "fields", "error_count",
                 "errors_by_type", "partial", "seconds")
#: Kinds whose message may quote the file (labels, values, exception texts).
_QUOTING_KINDS = {
    "schema": "the resource's Table Schema does not apply to the file",
    "internal": "the data check failed unexpectedly",
}


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` (a stored DataReport dict) without what may quote the file:
    no first errors, and a plain message for the kinds whose message quotes
    it. ``details_hidden`` says whether anything was left out."""
    shown = {key: report[key] for key in PUBLIC_FIELDS if key in report}
    hidden = bool(report.get("first_errors"))
    plain = _QUOTING_KINDS.get(report.get("kind") or "")
    if plain is not None:
        hidden = hidden or shown.get("message") != plain
        shown["message"] = plain
    shown["first_errors"] = []
    shown["details_hidden"] = hidden
    return shown


def _timeout(limits: DataLimits) -> DataReport:
    return DataReport.failed("timeout", f"not finished within the {limits.max_seconds:g} s "
                                        "limit; the check was stopped")


def _out_of_memory(limits: DataLimits) -> DataReport:
    return DataReport.failed("memory", f"checking this file needs more than the "
                                       f"{_size(limits.max_memory)} memory limit")


def _report(errors: list, extra_errors: list[dict[str, Any]], rows: int, fields: int,
            limit: str | None, notes: list[str], limits: DataLimits) -> DataReport:
    found = [_error_dict(error) for error in errors] + extra_errors
    schema_error = next((e for e in found if e["type"] in _SCHEMA_ERRORS), None)
    if schema_error is not None:
        return DataReport.failed("schema", f"the resource's Table Schema does not apply: "
                                           f"{schema_error['message']}")
    by_type = dict(Counter(error["type"] for error in found).most_common())
    status = "invalid" if found else "valid"
    message = _summary(status, rows, fields, len(found), by_type, limit)
    return DataReport(status=status, message="; ".join([message, *notes]), rows=rows,
                      fields=fields, error_count=len(found), errors_by_type=by_type,
                      first_errors=found[:limits.sample_errors], partial=limit is not None)


def _summary(status: str, rows: int, fields: int, count: int, by_type: dict[str, int],
             limit: str | None) -> str:
    read = f"{rows:,} rows"
    if limit:  # frictionless's warning: "reached row limit: 100000"
        read = f"the first {read} ({limit.split(':')[0].removeprefix('reached ')})"
    read += f", {fields} fields"
    if status == "valid":
        return f"valid: {read}" if not limit else f"valid in {read}"
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in by_type.items())
    return f"invalid: {count:,} error{'s' if count != 1 else ''} ({kinds}) in {read}"


def _error_dict(error: Any) -> dict[str, Any]:
    return {"type": error.type, "row": getattr(error, "row_number", None),
            "field": getattr(error, "field_name", None),
            "message": _one_line(error.message)[:MESSAGE_CHARS]}


def _frictionless_note(error: Exception) -> str:
    inner = getattr(error, "error", None)
    return _one_line(getattr(inner, "note", None) or str(error))[:MESSAGE_CHARS]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
