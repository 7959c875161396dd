"""The data check: is a tabular resource readable, and does it hold to its Table Schema?

A resource URL is untrusted, and so is what it serves: a "CSV" may be an HTML
error page, a gigabyte, a server that never stops trickling, an XLSX that
unpacks to terabytes, bytes in no declared encoding, or cells that send a
schema's ``pattern`` into catastrophic backtracking. frictionless v5 has no
memory limit and no timeout of its own, so every limit is set around it:

Bytes
    The file is downloaded through :class:`SafeSession` (SSRF guard, gzip-bomb
    aware size cap) into a temporary directory that is removed afterwards: no
    resource content is ever kept. A body over ``max_bytes`` is not validated
    at all ("error", kind "too_large"): a prefix cut mid-row would report
    errors the publisher never made, and "valid" would claim rows nobody saw.

Time and memory
    ``max_seconds`` bounds the whole check: the download (every attempt,
    retry and backoff of it: a server that sends four bytes and then nothing
    once held a check for twice its limit) and the validation. frictionless
    runs in a child Python process that is killed when that budget runs out, and
    whose data segment is capped at ``max_memory`` (RLIMIT_DATA). A thread
    could not be stopped, and a clock checked between rows misses a single
    row that never ends (a regular expression backtracking on one cell) and
    any step that yields no row (opening a workbook); a process can always
    be killed and cannot take the worker's memory with it. The price is
    about half a second per check (an interpreter start and frictionless's
    import); validation itself runs at frictionless's own speed.

Sniffing
    What the server sent is looked at before any parser sees it: an HTML page,
    a PDF or an archive served as CSV is "error" kind "not_tabular". An XLSX
    is listed with :mod:`zipfile` (in the child, before openpyxl opens it):
    too many members, too large an unpacked size or a compression bomb's
    ratio is "error" kind "zip_bomb" (zipfile itself stops each member at its
    declared size, so the declared sizes can be trusted). A JSON resource is
    checked only when it is an array of rows; it is read element by element
    with the standard library (frictionless's own JSON reader needs ijson),
    and only as far as ``max_rows``.

Encoding
    A charset declared in the response's Content-Type is used as declared: a
    file that does not decode in it is reported (frictionless "encoding-error").
    Without one: a BOM, else UTF-8 when the whole file decodes as UTF-8, else
    Windows-1252 (or Latin-1, which reads any byte), said in the message. No
    guess is made beyond that: chardet, frictionless's detector, names
    MacCyrillic or UTF-16 for Italian text or random bytes, and any
    single-byte reading yields the same rows and columns.

:func:`check_data` never raises: every failure is a :class:`DataReport` with
status "error", a ``kind`` and a one-line message. The one exception is a job
runner's timeout (see :mod:`.interruptions`), which is not the resource's fault.

This module imports no CKAN, and frictionless only in the child process.
"""
from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from importlib.util import find_spec
from typing import IO, Any, Iterator
from urllib.parse import urlsplit

from ckanext.plusresilient.quality.interruptions import is_interruption
from ckanext.plusresilient.safe_http import FetchError, SafeSession, _redact, _size

__all__ = ["DataLimits", "DataReport", "check_data", "public_report", "tabular_format",
           "STATUSES", "KINDS"]

log = logging.getLogger(__name__)

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

#: The formats checked, as frictionless names them.
TABULAR_FORMATS = ("csv", "tsv", "xlsx", "json")
_LABELS = {"csv": "CSV", "tsv": "TSV", "xlsx": "an XLSX workbook", "json": "JSON"}
_FORMAT_NAMES = {
    "csv": "csv", "text/csv": "csv", "comma separated values": "csv",
    "tsv": "tsv", "tab": "tsv", "text/tab-separated-values": "tsv",
    "tab separated values": "tsv",
    "xlsx": "xlsx", "ms excel spreadsheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "json": "json", "application/json": "json", "text/json": "json",
}
_MEDIA_TYPES = {
    "text/csv": "csv", "application/csv": "csv", "text/comma-separated-values": "csv",
    "text/tab-separated-values": "tsv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/json": "json", "text/json": "json",
}
# Tables this check does not read (frictionless would need xlrd or ezodf).
_UNREAD_TABULAR = frozenset({
    "xls", "ods", "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet",
})
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".json": "json"}

# An XLSX is a zip of XML: deflate compresses real sheets 5 to 50-fold, a
# bomb a thousandfold; the unpacked total is bounded relative to the download.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 1 * MB  # small members may compress well without harm
ZIP_MAX_EXPANSION = 20

DOWNLOAD_NAME = "resource"
SNIFF_BYTES = 1024
READ_CHUNK = 1 * MB
MESSAGE_CHARS = 300  # one error's message (it quotes the cell)
REPORT_MESSAGE_CHARS = 600
# frictionless reports these when the schema, not the data, is wrong.
_SCHEMA_ERRORS = frozenset({"schema-error", "field-error"})
_ENCODING_LABELS = {"cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_MAGIC = (
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an Office 97-2003 document"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


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


def check_data(url: str, *, format: str | None, media_type: str | None,
               table_schema: dict | None, http: SafeSession,
               limits: DataLimits = DataLimits()) -> DataReport:
    """Download ``url`` within ``limits`` and validate it; see the module docstring."""
    started = time.monotonic()
    try:
        report = _check(url, format, media_type, table_schema, http, limits,
                        deadline=started + limits.max_seconds)
    except Exception as error:  # noqa: BLE001 - a check must never take its caller down
        if is_interruption(error):
            raise
        log.exception("data check of %s failed", _redact(url))
        report = DataReport.failed("internal", f"the data check of {_redact(url)} failed "
                                               f"unexpectedly ({type(error).__name__})")
    report.seconds = round(time.monotonic() - started, 3)
    return report


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


def tabular_format(format: str | None, media_type: str | None, url: str | None) -> str | None:
    """The frictionless format to check the resource as, or None when it is not tabular.

    The resource's declared format decides when there is one (a "PDF" whose
    URL ends in .csv is a PDF to its publisher); else its media type; else
    the URL's extension.
    """
    name = _format_name(format)
    if name:
        return _FORMAT_NAMES.get(name)
    declared_type = (media_type or "").split(";", 1)[0].strip().lower()
    if declared_type:
        return _MEDIA_TYPES.get(declared_type)
    path = urlsplit(url or "").path.lower()
    return next((fmt for ext, fmt in _EXTENSIONS.items() if path.endswith(ext)), None)


# -- the parent side: classify, download, sniff, hand over ----------------------------

def _check(url: str, format: str | None, media_type: str | None, table_schema: dict | None,
           http: SafeSession, limits: DataLimits, deadline: float) -> DataReport:
    fmt = tabular_format(format, media_type, url)
    if fmt is None:
        return _not_checked(format, media_type)
    if fmt == "xlsx" and find_spec("openpyxl") is None:
        return DataReport.skipped("unsupported", "XLSX is checked with openpyxl, which is not "
                                                 "installed; not checked")
    if table_schema is not None and not isinstance(table_schema, dict):
        return DataReport.failed("schema", "the resource's Table Schema is not a JSON object")
    with tempfile.TemporaryDirectory(prefix="plusresilient-data-") as workdir:
        path = os.path.join(workdir, DOWNLOAD_NAME)
        try:
            charset = _download(url, path, http, limits, deadline)
        except FetchError as error:
            if error.kind == "timeout" and time.monotonic() >= deadline:
                return _sized(_timeout(limits), path)  # the check's limit, not one read's
            return _fetch_failure(error, url, limits, path)
        except _OutOfTime:
            return _sized(_timeout(limits), path)
        report = (_sniff(path, fmt, url)
                  or _validate_in_child(workdir, fmt, table_schema, charset, limits, deadline))
        return _sized(report, path)


def _not_checked(format: str | None, media_type: str | None) -> DataReport:
    declared = format or media_type
    if not declared:
        return DataReport.skipped("not_tabular", "neither a format, a media type nor the URL "
                                                 "names a tabular format; not checked")
    if _format_name(declared) in _UNREAD_TABULAR:
        return DataReport.skipped("unsupported", f"{declared} is not checked: only CSV, TSV, "
                                                 "XLSX and JSON are")
    return DataReport.skipped("not_tabular", f"{declared} is not a tabular format; not checked")


class _OutOfTime(Exception):
    """The check's budget ran out during the download (no OSError: safe_http
    must let it through instead of classifying it as a connection failure)."""


class _DeadlineFile:
    """The download's target, refusing further bytes once the budget is spent.

    SafeSession bounds a response by four times its timeout, which may be far
    more than what is left of this check's budget.
    """

    def __init__(self, file: IO[bytes], deadline: float):
        self._file = file
        self._deadline = deadline

    def write(self, data: bytes) -> int:
        if time.monotonic() > self._deadline:
            raise _OutOfTime()
        return self._file.write(data)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return self._file.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        return self._file.truncate(size)


def _download(url: str, path: str, http: SafeSession, limits: DataLimits,
              deadline: float) -> str | None:
    """Fetch into ``path``; the charset the server declared, if any."""
    with open(path, "wb") as file:
        response = http.get(url, max_bytes=limits.max_bytes,
                            stream_to=_DeadlineFile(file, deadline), deadline=deadline)
    return response.charset


def _fetch_failure(error: FetchError, url: str, limits: DataLimits, path: str) -> DataReport:
    if error.kind == "too_large":
        report = DataReport.failed("too_large", f"{_redact(url)} is larger than the "
                                                f"{_size(limits.max_bytes)} limit; not validated")
    else:
        report = DataReport.failed(error.kind, str(error))
    return _sized(report, path)


def _timeout(limits: DataLimits) -> DataReport:
    return DataReport.failed("timeout", f"not finished within the {limits.max_seconds:g} s "
                                        "limit; the check was stopped")


def _sized(report: DataReport, path: str) -> DataReport:
    try:
        report.bytes = os.path.getsize(path)
    except OSError:
        report.bytes = 0
    return report


def _sniff(path: str, fmt: str, url: str) -> DataReport | None:
    """What the bytes really are, when they cannot be the declared format."""
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
    if not head.strip():
        return DataReport.failed("empty", f"{_redact(url)} is empty")
    what = _what_it_is(head)
    if fmt == "xlsx":
        if what == "a zip archive":
            return None
        return DataReport.failed("not_tabular", f"{_redact(url)} is "
                                 f"{what or 'text'}, not an XLSX workbook")
    if what:
        return DataReport.failed("not_tabular", f"{_redact(url)} is {what}, not {_LABELS[fmt]}")
    if fmt == "json":
        first = _strip_bom(head).lstrip()[:1]
        if first == b"{":
            return DataReport.skipped("not_tabular", "a JSON object, not an array of rows; "
                                                     "not checked")
        if first != b"[":
            return DataReport.failed("not_tabular", f"{_redact(url)} is not JSON")
    return None


def _what_it_is(head: bytes) -> str | None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    text = _strip_bom(head).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if text.startswith(b"<?xml"):
        return "an XML document"
    return None


def _strip_bom(head: bytes) -> bytes:
    for bom, _ in _BOMS:
        if head.startswith(bom):
            return head[len(bom):]
    return head


# A child started with -c: it puts the parent's import path first, so it
# imports this very module however the parent found it.
_CHILD_CODE = """\
import json, sys
request = json.load(sys.stdin)
sys.path[:0] = request.pop("sys_path")
from ckanext.plusresilient.quality.data import _child_main
_child_main(request)
"""


def _validate_in_child(workdir: str, fmt: str, table_schema: dict | None, charset: str | None,
                       limits: DataLimits, deadline: float) -> DataReport:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return _timeout(limits)
    request = {
        "sys_path": [entry for entry in sys.path if entry],
        "workdir": workdir, "format": fmt, "table_schema": table_schema, "charset": charset,
        "limits": dataclasses.asdict(limits),
    }
    try:
        completed = subprocess.run(
            [_python_executable(), "-c", _CHILD_CODE], input=json.dumps(request).encode(),
            capture_output=True, timeout=remaining, cwd=workdir, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child already
        return _timeout(limits)
    except (OSError, ValueError, TypeError) as error:  # cannot start it; schema not JSON-able
        return DataReport.failed("internal", f"cannot run the validator: {error}")
    return _child_outcome(completed, limits)


def _child_outcome(completed: subprocess.CompletedProcess, limits: DataLimits) -> DataReport:
    lines = completed.stdout.decode("utf-8", "replace").strip().splitlines()
    if completed.returncode == 0 and lines:
        try:
            return DataReport(**json.loads(lines[-1]))
        except (ValueError, TypeError):
            pass
    stderr = completed.stderr.decode("utf-8", "replace")
    if "MemoryError" in stderr or completed.returncode == -9:
        return _out_of_memory(limits)
    last = stderr.strip().splitlines()[-1:] or [f"exit status {completed.returncode}"]
    log.error("data validator failed: %s", stderr[-2000:])
    return DataReport.failed("internal", f"the validator stopped unexpectedly: {last[0]}")


def _out_of_memory(limits: DataLimits) -> DataReport:
    return DataReport.failed("memory", f"checking this file needs more than the "
                                       f"{_size(limits.max_memory)} memory limit")


def _python_executable() -> str:
    """This interpreter; under an embedding server (uWSGI) sys.executable is
    the server's binary, so the environment's python is used instead."""
    if sys.executable and os.path.basename(sys.executable).startswith("python"):
        return sys.executable
    candidate = os.path.join(sys.prefix, "bin", "python3")
    return candidate if os.path.exists(candidate) else (sys.executable or "python3")


# -- the child side: frictionless, within the limits the parent set ---------------------

def _child_main(request: dict[str, Any]) -> None:
    """Entry point of the validating process: one JSON request in, one JSON report out."""
    limits = DataLimits(**request["limits"])
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


def _format_name(format: str | None) -> str:
    """A format field reduced to a key of _FORMAT_NAMES: "CSV", ".csv", a
    media type or an EU file-type URI (…/file-type/CSV)."""
    name = (format or "").split(";", 1)[0].strip().lower()
    if "publications.europa.eu/resource/authority/file-type/" in name:
        name = name.rsplit("/", 1)[-1]
    return name.lstrip(".")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
