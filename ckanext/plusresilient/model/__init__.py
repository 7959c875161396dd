"""The suite's tables (created by ``ckan db upgrade -p plusresilient``)."""
from __future__ import annotations

from ckanext.plusresilient.model.harvest_record import HarvestRecord

__all__ = ["HarvestRecord"]
