"""The parent side of a data check: classify, download, sniff, hand over.

Everything here runs in the caller's process and holds to the check's
budget: the format decides whether there is anything to check, the file is
downloaded within ``max_bytes`` and the deadline, what the bytes really are
is looked at before any parser sees them, and frictionless runs in a child
process (``validate``) that is killed when the budget runs out.
"""
from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from typing import IO, Callable
from urllib.parse import urlsplit

from ckanext.plusresilient.quality.data.report import (
    DataLimits,
    DataReport,
    _out_of_memory,
    _timeout,
)
from ckanext.plusresilient.quality.interruptions import is_interruption
from ckanext.plusresilient.safe_http import FetchError, SafeSession, _redact, _size

# The package's logger: parent and child log under one name.
log = logging.getLogger(__package__)

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

DOWNLOAD_NAME = "resource"
SNIFF_BYTES = 1024
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


#: What may see the checked file before it is removed: ``(path, format, report)``,
#: called once the report is known (the table previews load it from there).
CheckedFileHook = Callable[[str, str, DataReport], None]


def check_data(url: str, *, format: str | None, media_type: str | None,
               table_schema: dict | None, http: SafeSession,
               limits: DataLimits = DataLimits(),
               on_checked_file: CheckedFileHook | None = None) -> DataReport:
    """Download ``url`` within ``limits`` and validate it; see the package docstring.

    ``on_checked_file`` sees the downloaded file and its report before the
    file is removed, only when a whole file was downloaded and read (a body
    cut at ``max_bytes`` or by the deadline is never shown to it)."""
    started = time.monotonic()
    try:
        report = _check(url, format, media_type, table_schema, http, limits,
                        deadline=started + limits.max_seconds, on_checked_file=on_checked_file)
    except Exception as error:  # noqa: BLE001 - a check must never take its caller down
        if is_interruption(error):
            raise
        log.exception("data check of %s failed", _redact(url))
        report = DataReport.failed("internal", f"the data check of {_redact(url)} failed "
                                               f"unexpectedly ({type(error).__name__})")
    report.seconds = round(time.monotonic() - started, 3)
    return report


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
           http: SafeSession, limits: DataLimits, deadline: float,
           on_checked_file: CheckedFileHook | None = None) -> DataReport:
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
        report = _sized(_sniff(path, fmt, url)
                        or _validate_in_child(workdir, fmt, table_schema, charset, limits, deadline),
                        path)
        if on_checked_file is not None:
            on_checked_file(path, fmt, report)
        return report


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
# imports this very package however the parent found it.
_CHILD_CODE = """\
import json, sys
request = json.load(sys.stdin)
sys.path[:0] = request.pop("sys_path")
from ckanext.plusresilient.quality.data.validate import _child_main
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


def _python_executable() -> str:
    """This interpreter; under an embedding server (uWSGI) sys.executable is
    the server's binary, so the environment's python is used instead."""
    if sys.executable and os.path.basename(sys.executable).startswith("python"):
        return sys.executable
    candidate = os.path.join(sys.prefix, "bin", "python3")
    return candidate if os.path.exists(candidate) else (sys.executable or "python3")


def _format_name(format: str | None) -> str:
    """A format field reduced to a key of _FORMAT_NAMES: "CSV", ".csv", a
    media type or an EU file-type URI (…/file-type/CSV)."""
    name = (format or "").split(";", 1)[0].strip().lower()
    if "publications.europa.eu/resource/authority/file-type/" in name:
        name = name.rsplit("/", 1)[-1]
    return name.lstrip(".")
