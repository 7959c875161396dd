"""What every form view of ours shares: the CSRF check for logged-in
browsers and the safe way back to the page a form was on."""
from __future__ import annotations

from urllib.parse import urlsplit

from ckan.config.middleware.flask_app import csrf
import ckan.plugins.toolkit as tk
from flask import current_app


def check_csrf_token() -> None:
    """Check a logged-in browser's CSRF token on every form of ours.

    CKAN skips the check for anonymous and API-token callers by adding the
    view to flask-wtf's exempt list, and that list is process-wide: after one
    anonymous post to a view, nobody's posts to it would be checked again.
    So the check is repeated here for callers logged in by session (the
    ones a forged cross-site form could act for), whatever the list says.
    """
    if (tk.request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True)
            and not tk.g.get("login_via_auth_header")):
        csrf.protect()


def local_path(value: str | None) -> str | None:
    """``came_from`` when it stays on this site: a path, never a URL that
    leaves it (``//host``, ``/\\host`` and schemes are refused), so a crafted
    form cannot turn the redirect into an open one."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in value):
        return None
    return value
