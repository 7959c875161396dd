"""Using the app as a browser does: log in through the form, then post forms
with the CSRF token of the page they are on."""
from __future__ import annotations

import re
from typing import Any

TOKEN = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')
#: The password test users get (factories.User(password=PASSWORD)) to log in by form.
PASSWORD = "Correct-Horse-Battery-9"


def login(app, user: dict[str, Any] | None) -> None:
    """A fresh browser, logged in through the login form (None: anonymous)."""
    app.client = type(app).test_client(app)
    if not hasattr(app, "set_session_user"):  # CKAN 2.11's test app opens a client per request
        app.test_client = lambda *args, **kwargs: app.client
    if user is not None:
        answer = app.post("/user/login", data={"login": user["name"], "password": PASSWORD},
                          follow_redirects=False)
        assert answer.status_code == 302 and "/user/login" not in answer.headers["Location"]


def csrf_token(body: str) -> str:
    match = TOKEN.search(body)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)
