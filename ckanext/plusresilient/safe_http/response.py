"""What a fetch gives back: a fully read Response, or a FetchError of one line.

Every part of the client reports through these (the guard refuses with a
FetchError, the session raises one for each failure, callers such as the
data check quote them), so they stand apart from the session, together with
the helpers every message shares: ``_redact`` (never user:password in a
message) and ``_size``.
"""
from __future__ import annotations

import codecs
import dataclasses
import json
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

KINDS = frozenset({
    "blocked", "timeout", "connection", "http", "too_large",
    "too_many_redirects", "malformed", "scheme",
})


class FetchError(Exception):
    """One clear line for a harvest error / a link check: what failed, on which URL.

    ``FetchError(url, status, kind, message)``, positionally or by keyword;
    ``kind`` is one of KINDS; without a message a plain one is made up.
    """

    def __init__(self, url: str, status: int | None = None, kind: str | None = None,
                 message: str | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown FetchError kind {kind!r}")
        if message is None:
            message = (f"HTTP {status} from {url}" if kind == "http"
                       else f"{kind.replace('_', ' ')} error on {url}")
        super().__init__(message)
        self.message = message
        self.url = url
        self.kind = kind
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"FetchError(kind={self.kind!r}, status={self.status!r}, url={self.url!r})"

    def __reduce__(self):  # keyword-only arguments: pickle (job queues) needs help
        return (_rebuild_fetch_error, (self.message, self.url, self.kind, self.status))


def _rebuild_fetch_error(message: str, url: str, kind: str, status: int | None) -> FetchError:
    return FetchError(url, status, kind, message)


@dataclasses.dataclass
class Response:
    """A fully read response (``content`` is empty for HEAD or with ``stream_to``)."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    elapsed: float

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower case ("" when not declared)."""
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset declared in Content-Type, if any."""
        for param in (self.headers.get("Content-Type") or "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8 (bad bytes replaced)."""
        charset = self.charset or "utf-8"
        try:
            codec = "utf-8-sig" if _codec_name(charset) == "utf-8" else charset
            return self.content.decode(codec, errors="replace")
        except LookupError:
            return self.content.decode("utf-8-sig", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; FetchError(kind="malformed") when it is not."""
        try:
            return json.loads(self.text())
        except (ValueError, RecursionError) as exc:
            reason = (f"{exc.msg} at line {exc.lineno} column {exc.colno}"
                      if isinstance(exc, json.JSONDecodeError) else "nested too deeply")
            raise FetchError(message=f"malformed JSON from {_redact(self.url)}: {reason}",
                             url=_redact(self.url), kind="malformed",
                             status=self.status) from None


def _redact(url: str) -> str:
    """The URL without user:password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def _codec_name(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return charset.lower()
