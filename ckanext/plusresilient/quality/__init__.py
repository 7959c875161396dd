"""Dataset quality: the MQA metadata score, the data and link checks, and the
combined score shown to publishers and reusers.

The modules of this package are pure Python (no CKAN import), so the scoring
runs, and is tested, without a configured CKAN; the plugin feeds them the
dicts package_show returns and stores what they give back.
"""
