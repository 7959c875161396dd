"""``/use-cases``: the plural address people type and link to, kept on the
use-case type's own search page (``/use-case/``, CKAN's), so its facets,
sorting and paging stay CKAN's, at one canonical address."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import ckan.plugins.toolkit as tk
from flask import Blueprint, redirect

showcase = Blueprint("plusresilient_showcase", __name__)


@showcase.route("/use-cases")
def use_cases() -> Any:
    """Filters in the query string travel along (``?vocab_country=IT``)."""
    target = tk.url_for("use-case.search")
    query = urlencode(list(tk.request.args.items(multi=True)))
    return redirect(f"{target}?{query}" if query else target, code=301)
