"""The demo portal of ``make demo``: sample portals served on loopback
(:mod:`.server`, :mod:`.apis`, payloads in ``portals/``), and the content
loaded into CKAN (``content/*.yaml``, :mod:`.loader`)."""
