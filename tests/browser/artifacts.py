"""Where the browser tests leave what a person needs to see why one failed:
a full-page screenshot and the HTML of every page it had open, and the
session's page load times."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: Changes the directory (default: test-artifacts/browser at the repository's root).
ARTIFACTS_VARIABLE = "PLUSRESILIENT_BROWSER_ARTIFACTS"
REPOSITORY = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path:
    configured = os.environ.get(ARTIFACTS_VARIABLE)
    return Path(configured) if configured else REPOSITORY / "test-artifacts" / "browser"


def file_stem(test_name: str) -> str:
    """A test's name as a file name (parametrised ids carry brackets, slashes...)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_") or "test"


def save_pages(test_name: str, pages: list[Page]) -> list[str]:
    """Screenshot and HTML of each open page; one line per file written (or
    per page that could not be saved: a crashed page must not hide the
    failure that brought us here)."""
    directory = artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(test_name)
    lines: list[str] = []
    for number, page in enumerate(pages, start=1):
        name = stem if number == 1 else f"{stem}-{number}"
        png, html = directory / f"{name}.png", directory / f"{name}.html"
        try:
            url = page.url
            page.screenshot(path=str(png), full_page=True, timeout=15_000)
            html.write_text(page.content(), encoding="utf-8")
        except Exception as error:  # noqa: BLE001 - report it, keep the original failure
            lines.append(f"page {number}: not saved ({type(error).__name__}: {error})")
            continue
        lines.append(f"page {number} ({url}):\n  {png}\n  {html}")
    return lines
