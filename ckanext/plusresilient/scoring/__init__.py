"""The quality score inside CKAN: feeding the pure core (``quality/``) a
dataset and its links, data and feedback, storing and indexing its verdict
(dataset.py), and the catalogue's figures over the stored verdicts
(catalog.py)."""
