"""Imitations of the platforms our harvesters read, one module a platform:
the demo's sample portals and the tests' loopback portals are the same
classes (:mod:`.base` says how each is served)."""
