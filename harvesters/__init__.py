"""ckanext-harvest harvesters for the MED region's open data portals.

Imported as ``ckanext.plusresilient.harvesters`` (see setup.py's package_dir).
"""
