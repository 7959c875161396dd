"""The data check against real loopback servers serving normal and hostile files.

Pure Python: no CKAN service is needed (the suite's --ckan-ini is harmless).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

from ckanext.plusresilient.quality import data
from ckanext.plusresilient.quality.data import DataLimits, check_data, tabular_format
from ckanext.plusresilient.safe_http import HttpPolicy, SafeSession

from .servers import (  # noqa: F401 - fixtures
    GB,
    XLSX_TYPE,
    csv_bytes,
    endless_csv,
    http,
    policy,
    server,
    xlsx_bytes,
    zip_bomb_xlsx,
)

MB = 1024 * 1024
SCHEMA = {"fields": [
    {"name": "id", "type": "integer"},
    {"name": "city", "type": "string"},
    {"name": "opened", "type": "date"},
]}


def check(url: str, http: SafeSession, *, format: str | None = None,
          media_type: str | None = None, table_schema: dict | None = None,
          **limits) -> data.DataReport:
    report = check_data(url, format=format, media_type=media_type, table_schema=table_schema,
                        http=http, limits=DataLimits(**limits))
    json.dumps(report.to_dict())  # always storable as it is
    assert "\n" not in report.message
    return report


def cities(n: int = 3) -> list[tuple]:
    return [("id", "city", "opened")] + [(i, f"Città {i}", f"2024-01-{1 + i % 28:02d}")
                                         for i in range(1, n + 1)]


# -- readable tables -------------------------------------------------------------------

def test_valid_csv(server, http):
    body = csv_bytes(cities(3))
    report = check(server.serve("/cities.csv", body), http, format="CSV")
    assert report.status == "valid" and report.kind is None
    assert (report.rows, report.fields, report.bytes) == (3, 3, len(body))
    assert report.error_count == 0 and report.errors_by_type == {} and not report.partial
    assert report.message == "valid: 3 rows, 3 fields"
    assert 0 < report.seconds < 10


def test_type_errors_against_the_table_schema(server, http):
    rows = cities(4)
    rows[2] = (2, "Bari", "not a date")
    rows[4] = ("four", "Lecce", "31/12/2024")
    report = check(server.serve("/cities.csv", csv_bytes(rows)), http, format="csv",
                   table_schema=SCHEMA)
    assert report.status == "invalid"
    assert report.error_count == 3
    assert report.errors_by_type == {"type-error": 3}
    assert [(e["type"], e["row"], e["field"]) for e in report.first_errors] == [
        ("type-error", 3, "opened"), ("type-error", 5, "id"), ("type-error", 5, "opened")]
    assert '"four"' in report.first_errors[1]["message"]
    assert report.message == "invalid: 3 errors (type-error 3) in 4 rows, 3 fields"


def test_inferred_schema_catches_a_late_stray_value(server, http):
    """frictionless infers types from the first 100 rows; the check still reads all."""
    rows = [("id", "amount")] + [(i, i * 10) for i in range(150)] + [(150, "n/a")]
    report = check(server.serve("/amounts.csv", csv_bytes(rows)), http, format="CSV")
    assert report.status == "invalid"
    assert report.first_errors[0]["row"] == 152 and report.first_errors[0]["field"] == "amount"


def test_tsv_and_semicolons(server, http):
    tsv = check(server.serve("/c.tsv", csv_bytes(cities(5), "\t")), http)
    assert (tsv.status, tsv.rows, tsv.fields) == ("valid", 5, 3)
    semicolons = check(server.serve("/c.csv", csv_bytes(cities(5), ";")), http,
                       media_type="text/csv", table_schema=SCHEMA)
    assert (semicolons.status, semicolons.rows, semicolons.fields) == ("valid", 5, 3)


def test_utf8_bom_does_not_rename_the_first_column(server, http):
    body = b"\xef\xbb\xbf" + csv_bytes(cities(2))
    report = check(server.serve("/bom.csv", body, "text/csv; charset=utf-8"), http,
                   table_schema=SCHEMA)
    assert report.status == "valid", report.first_errors


def test_xlsx(server, http):
    pytest.importorskip("openpyxl", reason="frictionless reads XLSX with openpyxl")
    rows = cities(3) + [("x", "Napoli", "2024-02-01")]
    url = server.serve("/cities.xlsx", xlsx_bytes(rows), XLSX_TYPE)
    report = check(url, http, format="XLSX", table_schema=SCHEMA)
    assert report.status == "invalid" and report.rows == 4 and report.fields == 3
    assert [(e["type"], e["row"], e["field"]) for e in report.first_errors] == [
        ("type-error", 5, "id")]


def test_xlsx_without_openpyxl_is_skipped_unread(server, http, monkeypatch):
    monkeypatch.setattr("ckanext.plusresilient.quality.data.check.find_spec", lambda name: None)
    url = server.serve("/cities.xlsx", xlsx_bytes(cities(1)), XLSX_TYPE)
    report = check(url, http, format="XLSX")
    assert (report.status, report.kind) == ("skipped", "unsupported")
    assert "openpyxl" in report.message
    assert server.hits["GET", "/cities.xlsx"] == 0


def test_json_array_of_objects(server, http):
    rows = [{"id": i, "city": f"Città {i}", "opened": "2024-01-02"} for i in range(1, 6)]
    rows[3]["opened"] = "yesterday"
    url = server.serve("/cities.json", json.dumps(rows).encode(), "application/json")
    report = check(url, http, format="JSON", table_schema=SCHEMA)
    assert (report.status, report.rows, report.fields) == ("invalid", 5, 3)
    assert [(e["row"], e["field"]) for e in report.first_errors] == [(5, "opened")]


def test_json_array_of_arrays(server, http):
    body = json.dumps([["id", "city"], [1, "Bari"], [2, "Lecce", "extra"]]).encode()
    report = check(server.serve("/rows.json", body, "application/json"), http)
    assert report.status == "invalid" and report.errors_by_type == {"extra-cell": 1}


def test_json_that_is_no_table(server, http):
    record = check(server.serve("/record.json", b'{"id": 1}', "application/json"), http)
    assert (record.status, record.kind) == ("skipped", "not_tabular")
    numbers = check(server.serve("/numbers.json", b"[1, 2, 3]", "application/json"), http)
    assert (numbers.status, numbers.kind) == ("error", "not_tabular")
    assert "int" in numbers.message
    empty = check(server.serve("/empty.json", b"  [ ]  ", "application/json"), http)
    assert (empty.status, empty.kind) == ("error", "empty")


def test_malformed_json_after_good_rows(server, http):
    body = b'[{"id": 1}, {"id": 2}, {"id": 3,, ]'
    report = check(server.serve("/broken.json", body, "application/json"), http)
    assert report.status == "invalid" and report.rows == 2
    assert report.errors_by_type == {"source-error": 1}
    assert report.first_errors[0]["row"] == 3
    assert "malformed JSON after row 2" in report.first_errors[0]["message"]


def test_json_is_read_only_as_far_as_the_row_limit(server, http, monkeypatch):
    """Elements are parsed one by one, across reads; the rest is never parsed."""
    monkeypatch.setattr(data, "READ_CHUNK", 64)  # windows smaller than one row
    rows = [{"id": i, "note": "x" * 100, "value": 1234567.5} for i in range(200)]
    body = json.dumps(rows).encode()[:-1] + b", this is never parsed"
    report = check(server.serve("/many.json", body, "application/json"), http, max_rows=50)
    assert report.status == "valid", report.first_errors
    assert report.rows == 50 and report.partial
    assert "row limit" in report.message


# -- limits ----------------------------------------------------------------------------

def test_row_limit_marks_the_report_partial(server, http):
    report = check(server.serve("/long.csv", csv_bytes(cities(200))), http, max_rows=50)
    assert (report.status, report.rows, report.partial) == ("valid", 50, True)
    assert report.message == "valid in the first 50 rows (row limit), 3 fields"


def test_error_limit_and_error_sample(server, http):
    rows = [("id", "city", "opened")] + [(f"x{i}", "Roma", "2024-01-01") for i in range(40)]
    report = check(server.serve("/bad.csv", csv_bytes(rows)), http, table_schema=SCHEMA,
                   max_errors=5, sample_errors=3)
    assert report.status == "invalid" and report.partial
    assert report.error_count == 5 and len(report.first_errors) == 3
    assert report.errors_by_type == {"type-error": 5}
    assert "error limit" in report.message


def test_declared_gigabyte_refused_before_reading(server, http):
    url = server.stream("/huge.csv", endless_csv, length=GB)
    started = time.monotonic()
    report = check(url, http, format="CSV", max_bytes=5 * MB)
    assert time.monotonic() - started < 2
    assert (report.status, report.kind) == ("error", "too_large")
    assert report.message == f"{url} is larger than the 5 MB limit; not validated"
    assert report.bytes == 0


def test_endless_csv_stopped_at_the_byte_limit(server, http):
    url = server.stream("/endless.csv", endless_csv)
    started = time.monotonic()
    report = check(url, http, format="CSV", max_bytes=2 * MB)
    assert time.monotonic() - started < 3
    assert (report.status, report.kind) == ("error", "too_large")
    assert report.bytes <= 2 * MB
    time.sleep(0.2)
    assert server.sent["/endless.csv"] < 32 * MB  # the server was cut off, not drained


def test_trickle_hits_the_response_deadline(server):
    url = server.stream("/trickle.csv", lambda: iter([b"id,name\n"] + [b"1,a\n"] * 10_000),
                        pause=0.1)
    with SafeSession(policy(timeout=0.5)) as session:
        started = time.monotonic()
        report = check(url, session, format="CSV")
    assert (report.status, report.kind) == ("error", "timeout")
    assert time.monotonic() - started < 4


def test_slow_download_stopped_by_the_check_budget(server):
    """Fast enough for the session's timeouts, too slow for the check's budget."""
    url = server.stream("/slow.csv", endless_csv, pause=0.05)
    with SafeSession(policy(timeout=10)) as session:
        started = time.monotonic()
        report = check(url, session, format="CSV", max_seconds=1)
    assert (report.status, report.kind) == ("error", "timeout")
    assert "1 s limit" in report.message
    assert time.monotonic() - started < 3


def test_the_limit_covers_every_retry_of_a_stalled_download(server):
    """Headers, four bytes, then nothing: each attempt waits its read timeout
    and the session retries; the check's limit must still hold (it once took
    123.6 s against a 60 s limit)."""
    url = server.stall("/stall.csv")
    with SafeSession(policy(timeout=1, retries=3, backoff=0.5)) as session:
        started = time.monotonic()
        report = check(url, session, format="CSV", max_seconds=2)
        elapsed = time.monotonic() - started
    assert (report.status, report.kind) == ("error", "timeout")
    assert "2 s limit" in report.message
    assert elapsed < 2.6


def test_validation_over_budget_is_killed(server, http):
    """A schema pattern that backtracks for hours on one cell: no clock checked
    between rows could stop it; the child process is killed at the deadline."""
    schema = {"fields": [{"name": "code", "type": "string",
                          "constraints": {"pattern": "(a+)+$"}}]}
    url = server.serve("/codes.csv", b"code\n" + b"a" * 40 + b"!\n")
    started = time.monotonic()
    report = check(url, http, format="CSV", table_schema=schema, max_seconds=2)
    assert (report.status, report.kind) == ("error", "timeout")
    assert time.monotonic() - started < 4


def test_memory_cap_reported(server, http):
    rows = [["id", "payload"]] + [[i, "x" * 1000] for i in range(40_000)]
    url = server.serve("/heavy.json", json.dumps(rows).encode(), "application/json")
    report = check(url, http, max_memory=64 * MB)  # the interpreter and frictionless take ~35
    assert (report.status, report.kind) == ("error", "memory")
    assert "64 MB memory limit" in report.message


# -- what is not what it claims ----------------------------------------------------------

def test_html_served_as_csv(server, http):
    page = b"\n  <!DOCTYPE html><html><body>Session expired</body></html>"
    report = check(server.serve("/data.csv", page, "text/csv"), http, format="CSV")
    assert (report.status, report.kind) == ("error", "not_tabular")
    assert report.message.endswith("is an HTML page, not CSV")


@pytest.fixture
def refused_before_openpyxl(monkeypatch):
    """Hostile workbooks are refused before openpyxl would open one: these
    tests run whether or not it is installed."""
    monkeypatch.setattr("ckanext.plusresilient.quality.data.check.find_spec",
                        lambda name: object())


@pytest.mark.usefixtures("refused_before_openpyxl")
def test_html_served_as_xlsx(server, http):
    report = check(server.serve("/data.xlsx", b"<html>login</html>", XLSX_TYPE), http,
                   format="XLSX")
    assert (report.status, report.kind) == ("error", "not_tabular")
    assert report.message.endswith("is an HTML page, not an XLSX workbook")


@pytest.mark.usefixtures("refused_before_openpyxl")
def test_zip_without_a_workbook(server, http):
    report = check(server.serve("/data.xlsx", zip_bomb_xlsx(0).replace(
        b"xl/workbook.xml", b"xl/notebook.xml"), XLSX_TYPE), http, format="XLSX")
    assert (report.status, report.kind) == ("error", "not_tabular")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    payload = zip_bomb_xlsx(48 * MB)
    assert len(payload) < 100 * 1024
    return payload


@pytest.mark.usefixtures("refused_before_openpyxl")
def test_zip_bomb_by_unpacked_size(server, http, bomb):
    report = check(server.serve("/bomb.xlsx", bomb, XLSX_TYPE), http, format="XLSX",
                   max_bytes=1 * MB)
    assert (report.status, report.kind) == ("error", "zip_bomb")
    assert "unpacks to 48 MB, over the 20 MB limit" in report.message


@pytest.mark.usefixtures("refused_before_openpyxl")
def test_zip_bomb_by_ratio(server, http, bomb):
    report = check(server.serve("/bomb.xlsx", bomb, XLSX_TYPE), http, format="XLSX",
                   max_bytes=10 * MB)
    assert (report.status, report.kind) == ("error", "zip_bomb")
    assert "xl/worksheets/sheet1.xml expands" in report.message


def test_latin1_declared_utf8_is_an_encoding_error(server, http):
    body = csv_bytes(cities(3), encoding="latin-1")
    report = check(server.serve("/latin.csv", body, "text/csv; charset=utf-8"), http)
    assert report.status == "invalid"
    assert report.errors_by_type == {"encoding-error": 1}
    assert "utf-8" in report.first_errors[0]["message"]


def test_invalid_bytes_in_the_declared_encoding(server, http):
    body = b"id,city\n1,Roma\n2,\xff\xfe\x00\x81\n3,\xe2\x82"
    report = check(server.serve("/junk.csv", body, "text/csv; charset=UTF-8"), http)
    assert report.status == "invalid" and report.errors_by_type == {"encoding-error": 1}


def test_undeclared_legacy_encoding_read_and_said(server, http):
    rows = [("id", "city")] + [(i, "Roma") for i in range(3000)] + [(3000, "Città")]
    body = csv_bytes(rows, encoding="cp1252")
    report = check(server.serve("/legacy.csv", body, "text/csv"), http)
    assert (report.status, report.rows) == ("valid", 3001)
    assert report.message.endswith(f"not UTF-8 (byte {body.index(b'Citt') + 4:,}) "
                                   "and no charset declared: read as Windows-1252")


def test_binary_junk_served_as_csv_does_not_crash(server, http):
    junk = bytes(range(256)) * 64
    report = check(server.serve("/junk.csv", b"a,b\n" + junk, "text/csv"), http)
    assert report.status in ("valid", "invalid")
    assert report.kind is None


# -- refused before or during the download ---------------------------------------------------

def test_loopback_refused_by_the_default_policy(server):
    url = server.serve("/internal.csv", csv_bytes(cities(1)))
    with SafeSession(HttpPolicy(timeout=2, retries=0)) as session:
        report = check(url, session, format="CSV")
    assert (report.status, report.kind) == ("error", "blocked")
    assert "127.0.0.1" in report.message
    assert server.hits["GET", "/internal.csv"] == 0


@pytest.mark.parametrize("status", [500, 404])
def test_http_error(server, http, status):
    server.routes["/gone.csv"] = lambda h: h.reply(status, b"internal details")
    report = check(server.url("/gone.csv"), http, format="CSV")
    assert (report.status, report.kind) == ("error", "http")
    assert report.message == f"HTTP {status} from {server.url('/gone.csv')}"


def test_non_tabular_resource_skipped_without_a_request(server, http):
    url = server.serve("/report.pdf", b"%PDF-1.7", "application/pdf")
    report = check(url, http, format="PDF")
    assert (report.status, report.kind) == ("skipped", "not_tabular")
    assert report.message == "PDF is not a tabular format; not checked"
    assert server.hits["GET", "/report.pdf"] == 0
    legacy = check(server.url("/old.xls"), http, format="XLS")
    assert (legacy.status, legacy.kind) == ("skipped", "unsupported")
    assert legacy.message == "XLS is not checked: only CSV, TSV, XLSX and JSON are"
    unnamed = check(server.url("/download?id=7"), http)
    assert (unnamed.status, unnamed.kind) == ("skipped", "not_tabular")
    assert sum(server.hits.values()) == 0


def test_pdf_behind_a_csv_label(server, http):
    url = server.serve("/data.csv", b"%PDF-1.7 ...", "application/pdf")
    report = check(url, http, format="CSV")
    assert (report.status, report.kind) == ("error", "not_tabular")
    assert report.message.endswith("is a PDF document, not CSV")


def test_empty_file(server, http):
    report = check(server.serve("/empty.csv", b""), http, format="CSV")
    assert (report.status, report.kind) == ("error", "empty")


def test_invalid_table_schema(server, http):
    url = server.serve("/cities.csv", csv_bytes(cities(1)))
    report = check(url, http, table_schema={"fields": [{"name": "id", "type": "integr"}]})
    assert (report.status, report.kind) == ("error", "schema")
    assert "integr" in report.message
    wrong_shape = check_data(url, format="CSV", media_type=None, table_schema=["id"], http=http)
    assert (wrong_shape.status, wrong_shape.kind) == ("error", "schema")


@pytest.mark.parametrize("url", ["ftp://example.org/data.csv", "not a url.csv", ""])
def test_bad_urls_are_reports_not_exceptions(http, url):
    report = check(url, http, format="CSV")
    assert report.status == "error" and report.kind in ("scheme", "malformed")


def test_no_resource_content_is_left_behind(server, http, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    check(server.serve("/a.csv", csv_bytes(cities(3))), http)
    check(server.stream("/endless.csv", endless_csv), http, max_bytes=1 * MB)
    check(server.serve("/h.csv", b"<html></html>"), http)
    assert os.listdir(tmp_path) == []


# -- units ---------------------------------------------------------------------------------

@pytest.mark.parametrize("format, media_type, url, expected", [
    ("CSV", None, None, "csv"),
    (".xlsx", None, None, "xlsx"),
    ("http://publications.europa.eu/resource/authority/file-type/TSV", None, None, "tsv"),
    ("text/csv; charset=utf-8", None, None, "csv"),
    ("PDF", "text/csv", "http://x/data.csv", None),  # the declared format wins
    (None, "application/json", "http://x/data", "json"),
    ("", "application/geo+json", "http://x/data.json", None),
    (None, None, "http://x/export/DATA.CSV?version=2", "csv"),
    (None, None, "http://x/data.xls", None),
    (None, None, None, None),
])
def test_tabular_format(format, media_type, url, expected):
    assert tabular_format(format, media_type, url) == expected


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="max_rows"):
        DataLimits(max_rows=0)
    with pytest.raises(ValueError, match="sample_errors"):
        DataLimits(sample_errors=-1)


def test_the_module_imports_no_ckan():
    """Nor frictionless: only the validating child process loads it."""
    code = ("import sys; import ckanext.plusresilient.quality.data; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ckan', 'frictionless')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
