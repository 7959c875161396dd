"""The files of the downloadable reports: a table as CSV or as JSON.

Pure: it imports nothing from CKAN, so the shape of the files is read (and
tested) alone. The view (views/reports.py) fills :class:`Table` objects with
the figures the actions answered and the words in the visitor's language.

**CSV.** UTF-8 with a byte order mark. Excel decodes a CSV without one in the
machine's legacy code page (Windows-1252 in Italy, Spain, France and
Portugal; 1250 in Slovenia and Croatia; 1253 in Greece), so "Ελλάδα" or
"Središnja Hrvatska" would open as mojibake; with the mark it reads UTF-8.
LibreOffice, Python's ``utf-8-sig`` and pandas skip the mark. The separator
is the comma of RFC 4180, numbers are written with a dot, a header row gives
each column's label in the visitor's language, and every text cell is
quoted.

**Formulas.** A spreadsheet runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return, which some drop before reading
the rest) as a formula, and a dataset's title or a cluster's name is
whatever its author typed. As OWASP recommends ("CSV Injection"), such a
text cell gets a leading apostrophe (which the spreadsheet shows as text and
does not run) and is quoted. Numbers are written as numbers: a negative
figure is data, not a formula. The JSON file holds the text unchanged: it is
for programs, which run nothing.

**JSON.** One document per download, the same for every report::

    {"report": "<name>", "version": 1, "generated_at": "<ISO 8601 UTC>",
     "language": "<code>", "filters": {...},
     "tables": [{"name": "<table>", "title": "<words>",
                 "columns": [{"key": "<key>", "label": "<words>"}],
                 "rows": [{"<key>": <value>, ...}]}]}

Each row holds every column's key; values are numbers, text, ``null``,
lists (several labels or codes) or objects (counts per code). The CSV has
the columns a person reads; the JSON has them all, with the codes beside
the words. ``version`` changes only if a
key is renamed or removed; new keys may be added.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import re
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["BOM", "FORMAT_VERSION", "Column", "Table", "attachment_name", "csv_bytes",
           "json_bytes", "neutralise"]

#: The byte order mark that tells Excel the file is UTF-8.
BOM = "\ufeff"
#: The version of the JSON shape (see the module's docstring).
FORMAT_VERSION = 1
#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Several values in one CSV cell.
JOINER = "; "


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: the JSON key, and its header in the visitor's language.
    A column of codes beside the words a person reads is for programs: in
    the JSON only (``in_csv`` false)."""

    key: str
    label: str
    in_csv: bool = True


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of a report, as the page shows it: rows are mappings from
    column keys to values (numbers, text, None, or lists of text)."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": [{"key": column.key, "label": column.label} for column in self.columns],
            "rows": [{column.key: _json_value(row.get(column.key)) for column in self.columns}
                     for row in self.rows],
        }


def neutralise(text: str) -> str:
    """A text a spreadsheet will show and never run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    """A CSV cell: numbers as they are, lists joined, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        value = JOINER.join(str(item) for item in value)
    return neutralise(str(value))


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def csv_bytes(table: Table) -> bytes:
    """The table as a CSV file: the mark, the header, a line per row."""
    out = io.StringIO()
    # QUOTE_NONNUMERIC: every text cell quoted (the header too), numbers bare
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    columns = [column for column in table.columns if column.in_csv]
    writer.writerow([neutralise(column.label) for column in columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(column.key)) for column in columns])
    return (BOM + out.getvalue()).encode("utf-8")


def json_bytes(report: str, tables: Iterable[Table], *, language: str,
               filters: Mapping[str, Any], generated_at: datetime.datetime,
               extra: Mapping[str, Any] | None = None) -> bytes:
    """The report's JSON document (the shape in the module's docstring);
    ``extra`` adds top-level keys of one report (a cluster's name)."""
    document: dict[str, Any] = {
        "report": report,
        "version": FORMAT_VERSION,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "language": language,
        "filters": dict(filters),
        **(extra or {}),
        "tables": [table.as_dict() for table in tables],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def attachment_name(parts: Iterable[str], day: datetime.date, extension: str) -> str:
    """A file name for Content-Disposition: the parts and the day, in the
    letters every file system and header accepts ("quality-by-country-IT-2026-12-06.csv")."""
    words = [_UNSAFE.sub("-", part).strip("-") for part in parts]
    stem = "-".join(word for word in words if word)
    return f"{stem}-{day.isoformat()}.{extension}"
