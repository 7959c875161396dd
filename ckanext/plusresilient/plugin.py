from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.plusresilient import config as settings
from ckanext.plusresilient import jobs, licence_register, search


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.validators
class PlusresilientPlugin(DefaultTranslation, p.SingletonPlugin):
    """The suite's core plugin: SVRC vocabularies, validators, facets and
    translations, the ``plusresilient`` migrations and ``ckan plusresilient``
    commands. The schemas themselves are scheming YAML (see README)."""

    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "plusresilient")
        licence_register.use_by_default(config)  # the licences of the MED portals

    def configure(self, config: Any) -> None:
        settings.check_at_startup()

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return search.add_facets(facets_dict, package_type)

    def organization_facets(self, facets_dict: dict[str, Any], organization_type: str,
                            package_type: str | None) -> dict[str, Any]:
        return search.add_facets(facets_dict, package_type)

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.index_fields(pkg_dict)

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        return search.label_facets(search_results)

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        jobs.after_dataset_saved(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        jobs.after_dataset_saved(pkg_dict)
