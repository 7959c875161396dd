from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.cli
class PlusresilientPlugin(p.SingletonPlugin):
    """The suite's core plugin.

    It owns the ``plusresilient`` migrations (``ckan db upgrade -p
    plusresilient``) and the ``ckan plusresilient`` commands; schemas,
    harvesters and the quality scorer are wired in from here as they land.
    """
