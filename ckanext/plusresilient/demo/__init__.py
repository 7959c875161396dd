"""The demo portal of ``make demo``: sample portals served on loopback
(:mod:`.server` on :mod:`.loopback`, :mod:`.apis` composing the platform
imitations of :mod:`.portals`, payloads in ``payloads/``), and the content
loaded into CKAN (``content/*.yaml``, :mod:`.loader`)."""
