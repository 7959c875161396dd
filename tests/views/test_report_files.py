"""The files of the downloadable reports, alone: CSV for spreadsheets (the
mark Excel needs, formulas never run), JSON of a stable shape, file names."""
from __future__ import annotations

import csv
import datetime
import io
import json

import pytest

from ckanext.plusresilient.views.report_files import (
    BOM,
    FORMAT_VERSION,
    Column,
    Table,
    attachment_name,
    csv_bytes,
    json_bytes,
    neutralise,
)

TABLE = Table("by-country", "By country", [
    Column("key", "Code"), Column("label", "Country"), Column("good", "Good"),
    Column("codes", "Codes", in_csv=False),
], [
    {"key": "EL", "label": "Ελλάδα", "good": 3, "codes": ["a", "b"]},
    {"key": "HR", "label": "Središnja Hrvatska", "good": 0, "codes": []},
])


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_is_utf8_with_the_mark_excel_needs_and_a_header():
    body = csv_bytes(TABLE)

    assert body.startswith(BOM.encode("utf-8"))
    assert read_csv(body) == [["Code", "Country", "Good"], ["EL", "Ελλάδα", "3"],
                              ["HR", "Središnja Hrvatska", "0"]]
    # text quoted, numbers bare, lines ended as RFC 4180 says
    assert body.decode("utf-8-sig").splitlines(keepends=True)[1] == '"EL","Ελλάδα",3\r\n'


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"])
def test_a_cell_that_would_run_as_a_formula_is_shown_as_text(text):
    table = Table("t", "T", [Column("title", "Title"), Column("n", "N")], [{"title": text, "n": -5}])

    rows = read_csv(csv_bytes(table))

    assert rows[1] == ["'" + text, "-5"]  # the number stays a number
    assert neutralise("Jobs = work") == "Jobs = work"  # only a leading sign matters


def test_lists_are_joined_and_nothing_is_empty_text():
    table = Table("t", "T", [Column("items", "Items"), Column("none", "None")],
                  [{"items": ["Keywords", "=Licence"], "none": None}])

    assert read_csv(csv_bytes(table))[1] == ["Keywords; =Licence", ""]


def test_the_json_document_has_the_documented_shape():
    moment = datetime.datetime(2026, 12, 6, 7, 15, tzinfo=datetime.timezone.utc)

    document = json.loads(json_bytes("quality-dashboard", [TABLE], language="el",
                                     filters={"country": "EL"}, generated_at=moment,
                                     extra={"organization": {"name": "x"}}))

    assert document == {
        "report": "quality-dashboard", "version": FORMAT_VERSION,
        "generated_at": "2026-12-06T07:15:00+00:00", "language": "el",
        "filters": {"country": "EL"}, "organization": {"name": "x"},
        "tables": [{
            "name": "by-country", "title": "By country",
            "columns": [{"key": "key", "label": "Code"}, {"key": "label", "label": "Country"},
                        {"key": "good", "label": "Good"}, {"key": "codes", "label": "Codes"}],
            "rows": [{"key": "EL", "label": "Ελλάδα", "good": 3, "codes": ["a", "b"]},
                     {"key": "HR", "label": "Središnja Hrvatska", "good": 0, "codes": []}],
        }],
    }


def test_file_names_carry_the_day_in_safe_letters():
    day = datetime.date(2026, 12, 6)

    assert attachment_name(["quality", "by-country", "IT"], day, "csv") == \
        "quality-by-country-IT-2026-12-06.csv"
    assert attachment_name(["quality", 'a"b\r\nc/d', ""], day, "json") == "quality-a-b-c-d-2026-12-06.json"
