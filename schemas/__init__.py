"""ckanext-scheming YAML schemas of the SVRC catalog.

Imported as ``ckanext.plusresilient.schemas`` (see setup.py's package_dir), so
CKAN configuration refers to them as ``ckanext.plusresilient.schemas:<file>``.
"""
