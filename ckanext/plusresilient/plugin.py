from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckanext.dcat.interfaces import IDCATURIGenerator

from ckanext.plusresilient import config as settings
from ckanext.plusresilient import jobs, licence_register, profiles, search


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
    p.implements(IDCATURIGenerator)

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")  # the logo: /plusresilient/logo.svg
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
        return search.after_search(search_results)

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        jobs.after_dataset_saved(context, pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        jobs.after_dataset_saved(context, pkg_dict)

    # IDCATURIGenerator: a record's ``uri`` that is no valid IRI must not
    # become a subject of the catalogue (see profiles.published_dataset_uri).
    # None leaves the URI to the next plugin (the interface's default would not)
    def catalog_uri(self, default_uri: str) -> str | None:
        return None

    def dataset_uri(self, dataset_dict: dict[str, Any], default_uri: str) -> str | None:
        return profiles.published_dataset_uri(dataset_dict, default_uri)

    def resource_uri(self, resource_dict: dict[str, Any], default_uri: str) -> str | None:
        return profiles.published_resource_uri(resource_dict, default_uri)

    def publisher_uri(self, dataset_dict: dict[str, Any], default_uri: str) -> str | None:
        return None
