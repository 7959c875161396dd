"""Which Chromium the browser tests drive, and how it is started.

Debian's own Chromium (the ``chromium`` package ``bin/stack`` installs), never
a browser build Playwright downloads: CI machines reach package registries
only. A missing browser fails the tests instead of skipping them, so CI can
never go green without having run them.
"""
from __future__ import annotations

import os
import shutil

#: Overrides the browser binary (another Chromium build, a wrapper script).
CHROMIUM_VARIABLE = "PLUSRESILIENT_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: The machines running the tests have no outside network: without these,
#: Chromium keeps opening background connections (updates, sync, QUIC probes)
#: and waits on them.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class ChromiumMissing(RuntimeError):
    """The browser the tests need is not installed where they look for it."""


def chromium_executable() -> str:
    """The Chromium binary to launch; ChromiumMissing says how to get one."""
    wanted = os.environ.get(CHROMIUM_VARIABLE) or DEFAULT_CHROMIUM
    found = shutil.which(wanted)
    if found is None:
        raise ChromiumMissing(
            f"Chromium not found at {wanted!r}: the browser tests need Debian's chromium package "
            f"(`bin/stack up` installs it; by hand: apt-get install chromium), or "
            f"{CHROMIUM_VARIABLE} set to a Chromium binary. Playwright's own browser downloads "
            f"are not used.")
    return found
