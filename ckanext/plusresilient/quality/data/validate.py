"""The child side of a data check: frictionless, within the limits the parent set.

This runs in its own Python process (started by ``check``), whose memory is
capped and which is killed at the deadline: whatever frictionless, openpyxl
or a regular expression does with a hostile file, the worker is not held.
Before frictionless opens anything, the encoding is chosen, a workbook's
archive is listed and a JSON array is read element by element.
"""
from __future__ import annotations

import codecs
import json
import logging
import os
import re
import signal
import sys
import zipfile
from typing import IO, Any, Iterator

from ckanext.plusresilient.quality.data.check import _BOMS, DOWNLOAD_NAME
from ckanext.plusresilient.quality.data.report import (
    MB,
    DataLimits,
    DataReport,
    _frictionless_note,
    _out_of_memory,
    _report,
)
from ckanext.plusresilient.safe_http import _size

# The package's logger: parent and child log under one name.
log = logging.getLogger(__package__)

# An XLSX is a zip of XML: deflate compresses real sheets 5 to 50-fold, a
# bomb a thousandfold; the unpacked total is bounded relative to the download.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 1 * MB  # small members may compress well without harm
ZIP_MAX_EXPANSION = 20

READ_CHUNK = 1 * MB
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_ENCODING_LABELS = {"cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _child_main(request: dict[str, Any]) -> None:
    """Entry point of the validating process: one JSON request in, one JSON report out."""
    limits = DataLimits(**request["limits"])
    _die_with_parent()
    _cap_memory(limits.max_memory)
    try:
        report = _validate_file(os.path.join(request["workdir"], DOWNLOAD_NAME),
                                request["format"], request["table_schema"],
                                request["charset"], limits)
    except MemoryError:
        report = _out_of_memory(limits)
    except Exception as error:  # noqa: BLE001 - reported as a result, with the traceback on stderr
        log.exception("data validation failed")
        report = DataReport.failed("internal", f"the validator failed: {type(error).__name__}: "
                                               f"{error}")
    sys.stdout.write("\n" + json.dumps(report.to_dict()) + "\n")
    sys.stdout.flush()


def _die_with_parent() -> None:
    """The parent kills this process at the check's deadline; should the
    parent die first (a scoring worker killed), nobody would, and frictionless
    would read on for nobody. Linux kills it with its parent
    (PR_SET_PDEATHSIG); elsewhere the row and memory limits still bound it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() == 1:  # the parent died before the request above
        os._exit(1)


def _cap_memory(limit: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the deadline still holds
        log.warning("cannot cap the validator's memory")


def _validate_file(path: str, fmt: str, table_schema: dict | None, charset: str | None,
                   limits: DataLimits) -> DataReport:
    from frictionless import Resource, Schema

    try:
        schema = Schema.from_descriptor(table_schema) if table_schema else None
    except Exception as error:  # noqa: BLE001 - FrictionlessException and malformed descriptors
        return DataReport.failed("schema", f"the resource's Table Schema is not valid: "
                                           f"{_frictionless_note(error)}")
    if fmt == "xlsx":
        problem = _zip_problem(path, limits)
        if problem is not None:
            return problem
    notes: list[str] = []
    extra_errors: list[dict[str, Any]] = []
    if fmt == "json":
        rows, broken = _json_rows(path, charset, limits.max_rows + 2)
        if broken is not None:
            extra_errors.append({"type": "source-error", "row": len(rows) + 1, "field": None,
                                 "message": broken})
        if not rows:
            if broken is not None:
                return _report([], extra_errors, 0, 0, None, notes, limits)
            return DataReport.failed("empty", "the JSON array holds no rows")
        if not isinstance(rows[0], (dict, list)):
            return DataReport.failed("not_tabular", f"a JSON array of "
                                     f"{type(rows[0]).__name__} values, not of rows")
        resource = Resource(data=rows, schema=schema)
    else:
        options: dict[str, Any] = {}
        if fmt in ("csv", "tsv"):
            encoding, note = _choose_encoding(path, charset)
            options["encoding"] = encoding
            notes.extend(filter(None, [note]))
        resource = Resource(path=os.path.basename(path), basepath=os.path.dirname(path),
                            format=fmt, schema=schema, **options)
    frictionless_report = resource.validate(limit_rows=limits.max_rows,
                                            limit_errors=limits.max_errors)
    task = frictionless_report.tasks[0]
    limit = next((w for w in task.warnings if w.startswith("reached")), None)
    return _report(task.errors, extra_errors, task.stats.get("rows") or 0,
                   task.stats.get("fields") or 0, limit, notes, limits)


def _zip_problem(path: str, limits: DataLimits) -> DataReport | None:
    """Refuse an archive that would cost more to open than its download did."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return DataReport.failed("not_tabular", "a broken zip archive, not an XLSX workbook")
    if len(members) > ZIP_MAX_MEMBERS:
        return DataReport.failed("zip_bomb", f"the workbook's archive has {len(members):,} "
                                             f"members (at most {ZIP_MAX_MEMBERS:,} are opened)")
    if not any(member.filename == "xl/workbook.xml" for member in members):
        return DataReport.failed("not_tabular", "a zip archive without xl/workbook.xml, "
                                                "not an XLSX workbook")
    unpacked = sum(member.file_size for member in members)
    cap = limits.max_bytes * ZIP_MAX_EXPANSION
    if unpacked > cap:
        return DataReport.failed("zip_bomb", f"the workbook unpacks to {_size(unpacked)}, over "
                                             f"the {_size(cap)} limit")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
            return DataReport.failed("zip_bomb", f"{member.filename} expands {ratio:,.0f}-fold "
                                                 f"to {_size(member.file_size)}: a compression "
                                                 "bomb, not opened")
    return None


def _choose_encoding(path: str, declared: str | None) -> tuple[str, str | None]:
    """The encoding to read a text file in, and a note when it had to be guessed."""
    with open(path, "rb") as file:
        head = file.read(4)
    bom = next((name for mark, name in _BOMS if head.startswith(mark)), None)
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            return bom or "utf-8", f"unknown charset {declared!r} declared; read as UTF-8"
        return ("utf-8-sig" if name == "utf-8" and bom == "utf-8-sig" else name), None
    if bom:
        return bom, None
    offset = _first_non_utf8(path)
    if offset is None:
        return "utf-8", None
    # Any single-byte reading gives the same rows and columns; Windows-1252
    # is what spreadsheet exports in Western Europe are, Latin-1 reads any byte.
    fallback = "cp1252" if _decodes(path, "cp1252") else "latin-1"
    return fallback, (f"not UTF-8 (byte {offset:,}) and no charset declared: "
                      f"read as {_ENCODING_LABELS[fallback]}")


def _first_non_utf8(path: str) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with open(path, "rb") as file:
        while True:
            chunk = file.read(READ_CHUNK)
            pending = len(decoder.getstate()[0])  # error offsets count these bytes too
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return max(done - pending + error.start, 0)
            if not chunk:
                return None
            done += len(chunk)


def _decodes(path: str, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as file:
        try:
            for chunk in iter(lambda: file.read(READ_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _json_rows(path: str, charset: str | None, limit: int) -> tuple[list[Any], str | None]:
    """The first ``limit`` elements of the top-level array, and what broke the
    reading (None when the array was read to its end or to the limit)."""
    rows: list[Any] = []
    try:
        encoding = charset or "utf-8"
        if codecs.lookup(encoding).name == "utf-8":  # tolerate a BOM
            encoding = "utf-8-sig"
        with open(path, encoding=encoding, errors="strict") as file:
            for item in _json_array_items(file):
                rows.append(item)
                if len(rows) >= limit:
                    break
    except UnicodeDecodeError as error:
        return rows, f"not {error.encoding}: {error.reason} after row {len(rows)}"
    except LookupError:
        return rows, f"unknown charset {charset!r} declared"
    except RecursionError:
        return rows, f"malformed JSON after row {len(rows)}: nested too deeply"
    except ValueError as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        return rows, f"malformed JSON after row {len(rows)}: {reason}"
    return rows, None


def _json_array_items(file: IO[str]) -> Iterator[Any]:
    """The elements of a JSON array, parsed one at a time, so that memory
    holds the rows asked for and not the whole document."""
    decoder = json.JSONDecoder()
    reader = _Buffer(file)
    reader.skip_space()
    if reader.next_char() != "[":
        raise ValueError("not a JSON array")
    reader.pos += 1
    expect_value = True
    first = True
    while True:
        reader.skip_space()
        char = reader.next_char()
        if char == "":
            raise ValueError("the array is not closed")
        if char == "]" and (first or not expect_value):
            return
        if not expect_value:
            if char != ",":
                raise ValueError(f"expected ',' or ']', found {char!r}")
            reader.pos += 1
            expect_value = True
            continue
        yield reader.decode(decoder)
        expect_value = first = False


class _Buffer:
    """A sliding window over a text file for raw_decode."""

    def __init__(self, file: IO[str]):
        self._file = file
        self.text = ""
        self.pos = 0
        self.eof = False

    def fill(self, size: int = READ_CHUNK) -> bool:
        if self.eof:
            return False
        more = self._file.read(size)
        self.text = self.text[self.pos:] + more
        self.pos = 0
        self.eof = not more
        return bool(more)

    def next_char(self) -> str:
        while self.pos >= len(self.text):
            if not self.fill():
                return ""
        return self.text[self.pos]

    def skip_space(self) -> None:
        while True:
            self.pos = _JSON_SPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text) or not self.fill():
                return

    def decode(self, decoder: json.JSONDecoder) -> Any:
        size = READ_CHUNK
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.pos)
                # A number cut by the window's edge decodes too: make sure it ended.
                if end < len(self.text) or self.eof:
                    self.pos = end
                    return value
            except json.JSONDecodeError:
                if self.eof:
                    raise
            self.fill(size)
            size *= 2
