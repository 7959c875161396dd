"""Web pages of the suite, one module per page family; CKAN's blanket
registers the blueprints listed here."""
from __future__ import annotations

from ckanext.plusresilient.views.dashboard import dashboard
from ckanext.plusresilient.views.feedback import feedback
from ckanext.plusresilient.views.portals import portals
from ckanext.plusresilient.views.quality import quality
from ckanext.plusresilient.views.reports import reports
from ckanext.plusresilient.views.showcase import showcase

__all__ = ["portals", "quality", "feedback", "showcase", "dashboard", "reports"]
