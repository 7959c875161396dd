"""Loopback HTTP servers for the data and link checks, and the files they serve.

Everything hostile is made on the fly and never stored: the "1 GB CSV" is
generated row by row while it is sent, the zip bomb is deflated zeros, the
trickle sends a line every few tenths of a second until the server stops.
"""
from __future__ import annotations

import io
import zipfile
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

import pytest

from ckanext.plusresilient.safe_http import SafeSession
from tests.loopback_http import Server, policy, server, unlisted_server  # noqa: F401 - shared

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GB = 1024 ** 3


@pytest.fixture
def http(server):
    """A session that may reach ``server`` (and no other loopback port)."""
    with SafeSession(policy()) as session:
        yield session


# -- files --------------------------------------------------------------------------------

def csv_bytes(rows: Iterable[Sequence[object]], delimiter: str = ",",
              encoding: str = "utf-8") -> bytes:
    return "".join(delimiter.join(map(str, row)) + "\n" for row in rows).encode(encoding)


def endless_csv(row_bytes: int = 64 * 1024) -> Iterable[bytes]:
    """A CSV that never ends, made while it is sent."""
    yield b"id,name,amount\n"
    line = b"1,endless,42\n"
    block = line * max(row_bytes // len(line), 1)
    while True:
        yield block


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal but complete XLSX workbook (one sheet, inline strings),
    written with zipfile so that building it needs no spreadsheet library."""
    def cell(column: int, row: int, value: object) -> str:
        ref = f"{chr(ord('A') + column)}{row}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    sheet_rows = "".join(
        f'<row r="{r}">' + "".join(cell(c, r, v) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows, start=1))
    return _zip({
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{sheet_rows}</sheetData></worksheet>"),
    })


def zip_bomb_xlsx(unpacked: int) -> bytes:
    """An XLSX whose sheet inflates ``unpacked`` bytes of zeros from almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("xl/workbook.xml", _WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)):
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(unpacked // len(zeros)):
                sheet.write(zeros)
    return buffer.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>")
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>")
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>")
