"""The suite's tables (created by ``ckan db upgrade -p plusresilient``)."""
from __future__ import annotations

from ckanext.plusresilient.model.feedback import Feedback, FeedbackFlag, FeedbackReply
from ckanext.plusresilient.model.harvest_record import HarvestedDataset, HarvestRecord
from ckanext.plusresilient.model.quality import LinkCheck, Quality, QualityHistory

__all__ = ["Feedback", "FeedbackFlag", "FeedbackReply", "HarvestedDataset", "HarvestRecord", "LinkCheck", "Quality",
           "QualityHistory"]
