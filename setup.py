"""Packaging for ckanext-plusresilient.

Metadata lives in setup.cfg. This file exists for one reason: `schemas/` and
`harvesters/` stand at the repository root (where data officers look for them)
but are imported as `ckanext.plusresilient.schemas` and
`ckanext.plusresilient.harvesters`, which needs `package_dir`.
"""
from setuptools import find_namespace_packages, setup

ROOT_PACKAGES = {
    "ckanext.plusresilient.schemas": "schemas",
    "ckanext.plusresilient.harvesters": "harvesters",
}


def _mapped_packages():
    """Each root folder and its subpackages, under their import names."""
    for name, folder in ROOT_PACKAGES.items():
        yield name
        for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"]):
            yield f"{name}.{sub}"


setup(
    packages=find_namespace_packages(
        include=["ckanext.plusresilient", "ckanext.plusresilient.*"],
        exclude=["*__pycache__*"],
    )
    + list(_mapped_packages()),
    package_dir=ROOT_PACKAGES,
    package_data={
        "ckanext.plusresilient": [
            "config_declaration.yaml",
            "templates/**/*",
            "public/**/*",
            "i18n/**/*",
            "vocabularies/*.yaml",
            "vocabularies/*.json",
            "portals/*.yaml",
            "quality/*.yaml",
            "assets/**/*",
            "demo/**/*",
            "migration/plusresilient/alembic.ini",
            "migration/plusresilient/script.py.mako",
            "migration/plusresilient/README",
            "migration/plusresilient/versions/.keep",
        ],
        "ckanext.plusresilient.schemas": ["*.yaml", "*.yml", "*.json"],
    },
)
