"""The data check: is a tabular resource readable, and does it hold to its Table Schema?

A resource URL is untrusted, and so is what it serves: a "CSV" may be an HTML
error page, a gigabyte, a server that never stops trickling, an XLSX that
unpacks to terabytes, bytes in no declared encoding, or cells that send a
schema's ``pattern`` into catastrophic backtracking. frictionless v5 has no
memory limit and no timeout of its own, so every limit is set around it:

Bytes
    The file is downloaded through :class:`SafeSession` (SSRF guard, gzip-bomb
    aware size cap) into a temporary directory that is removed afterwards: the
    check keeps no resource content (its caller may load the file it checked
    into CKAN's DataStore first, through ``on_checked_file``: the previews). A body over ``max_bytes`` is not validated
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
runner's timeout (see :mod:`..interruptions`), which is not the resource's fault.

This package imports no CKAN, and frictionless only in the child process.
Its parts, each readable alone:

``report``
    DataLimits and DataReport, the two values that cross the process
    boundary (as JSON), what the public sees of a report, and the wording
    of every outcome.
``check``
    The parent side: which format to check, the download within the
    limits, the sniffing, and the child process it hands the file to.
``validate``
    The child side: frictionless, the encoding, the workbook's archive and
    the JSON array read row by row.
"""
from ckanext.plusresilient.quality.data.check import check_data, tabular_format
from ckanext.plusresilient.quality.data.report import (
    KINDS,
    STATUSES,
    DataLimits,
    DataReport,
    public_report,
)

# Read from here too, outside __all__: the limits and sizes the check works
# with, the fields a public report keeps, and the child's entry point (a
# worker started before an upgrade still starts its children with it).
from ckanext.plusresilient.quality.data.check import (  # noqa: F401
    DOWNLOAD_NAME, SNIFF_BYTES, TABULAR_FORMATS,
)
from ckanext.plusresilient.quality.data.report import (  # noqa: F401
    MB, MESSAGE_CHARS, PUBLIC_FIELDS, REPORT_MESSAGE_CHARS,
)
from ckanext.plusresilient.quality.data.validate import (  # noqa: F401
    READ_CHUNK, ZIP_MAX_EXPANSION, ZIP_MAX_MEMBERS, ZIP_MAX_RATIO, ZIP_RATIO_FLOOR, _child_main,
)

__all__ = ["DataLimits", "DataReport", "check_data", "public_report", "tabular_format",
           "STATUSES", "KINDS"]
