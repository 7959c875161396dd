"""Where a harvested dataset comes from."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.plusresilient.harvesters import provenance
from ckanext.plusresilient.logic import schema

__all__ = ["plusresilient_harvest_provenance"]


@tk.side_effect_free
@tk.validate_action_data(schema.harvest_provenance)
def plusresilient_harvest_provenance(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Where a dataset comes from, and what was edited here.

    Whoever may see the dataset. For a dataset made here every list is empty.

    :param id: the dataset's id or name
    :type id: string

    :returns: ``sources``: every harvest source that publishes it now
        (``id``, ``name``, ``title``, ``url``, ``identifier`` at the source,
        ``first_seen``, ``last_seen``); ``edited_here``: each harvested field
        whose value was changed here and is kept across harvests (``field``,
        ``value``, ``source_value``); ``harvested``: when it was last imported
    :rtype: dictionary
    """
    tk.check_access("plusresilient_harvest_provenance", context, data_dict)
    dataset = tk.get_action("package_show")(dict(context), {"id": data_dict["id"]})
    return provenance.of_dataset(dataset)
