"""Metadata scoring speed: ``score_metadata`` over crafted, varied datasets,
against ``copy.deepcopy`` of the same dicts in the same process (a floor any
code that walks a whole dataset dict can be compared with; CPU speed cancels
out of the ratio).

Imported by benchmarks/quality.py (``bench_metadata(n)``); prints nothing on
import. On its own:

    .venv/bin/python benchmarks/quality_metadata.py            # 20,000 datasets
    .venv/bin/python benchmarks/quality_metadata.py -n 2000
    .venv/bin/python benchmarks/quality_metadata.py --rdf test.ini   # and the RDF path

The RDF path renders each dict through ckanext-dcat (our profile included)
and scores the graph with ``quality.rdf.score_graph``: what data.europa.eu
does. It needs the stack's database (``bin/stack up``; the environment
variables ``bin/stack`` exports, or the ini's own URLs).
"""
from __future__ import annotations

import argparse
import collections
import copy
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ckanext.plusresilient.quality.metadata import score_metadata  # noqa: E402

SEED = 20250101
FORMATS = (
    ("CSV", "text/csv"), ("XLSX", ""), ("PDF", "application/pdf"), ("JSON", "application/json"),
    ("", "text/csv"), ("text/csv", ""), ("GeoJSON", "application/geo+json"), ("HTML", "text/html"),
    ("Shapefile", ""), ("http://publications.europa.eu/resource/authority/file-type/ODS", ""),
    ("ZIP", "application/zip"), ("", ""),
)
LICENCES = ("cc-by", "cc-by-sa", "cc-zero", "iodl-2.0", "etalab-2.0", "notspecified",
            "other-open", "", "CC-BY-4.0")
THEMES = ("SOCI", "ECON", "EDUC", "GOVE", "HEAL", "REGI")


def _maybe(rng: random.Random, value: Any, chance: float = 0.7) -> Any:
    return value if rng.random() < chance else ""


ORGANIZATION = {"id": "o1", "name": "veneto", "title": "Regione Veneto"}


def crafted_dataset(rng: random.Random, n: int, organization: dict[str, Any] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One dataset dict shaped like package_show's, and its link statuses;
    every field is present or missing at random so every branch is taken.
    ``organization``: the publisher's dict (one that exists, when the dict is
    rendered through ckanext-dcat, which looks it up)."""
    resources = []
    statuses: dict[str, Any] = {}
    for r in range(rng.choice((0, 1, 1, 2, 3, 5))):
        fmt, mimetype = rng.choice(FORMATS)
        url = f"https://data.example.org/{n}/{r}.{(fmt or 'bin').lower()[-4:]}"
        resources.append({
            "id": f"{n}-{r}", "package_id": f"dataset-{n}", "name": f"Resource {r}",
            "url": url, "format": fmt,
            "mimetype": mimetype, "size": rng.choice((None, 0, 2048, "4096")),
            "url_type": rng.choice(("", "", "upload")),
            "license": rng.choice(("", "", "cc-by")), "rights": _maybe(rng, "Attribution", 0.2),
        })
        statuses[url] = rng.choice((200, 301, 404, None, {"status": 200, "ok": True},
                                    {"status": None, "ok": False, "kind": "timeout"}))
    record = {
        "id": f"dataset-{n}", "name": f"dataset-{n}", "title": _maybe(rng, f"Dataset {n}", 0.95),
        "notes": _maybe(rng, "Social services of the municipality, yearly.", 0.9),
        "tags": [{"name": f"tag{t}"} for t in range(rng.randint(0, 4))],
        "theme": rng.sample(THEMES, rng.randint(0, 2)),
        "country": _maybe(rng, "IT", 0.9), "region": _maybe(rng, "ITH3", 0.5),
        "temporal_start": _maybe(rng, "2020-01-01", 0.5), "temporal_end": _maybe(rng, "2023-12-31"),
        "license_id": rng.choice(LICENCES), "access_rights": rng.choice(("PUBLIC", "", "SEMI")),
        "contact": [{"name": _maybe(rng, "Office"), "email": _maybe(rng, "o@example.org")}],
        "organization": rng.choice((None, organization or ORGANIZATION)),
        "issued": _maybe(rng, "2024-01-01", 0.5), "modified": _maybe(rng, "2024-06-01", 0.5),
        "metadata_created": _maybe(rng, "2024-01-10T09:00:00", 0.9),
        "metadata_modified": "2024-06-02T09:00:00",
        "svrc_scenario": ["public-services"], "extras": [],
        "resources": resources,
    }
    return record, statuses


def bench_metadata(n: int) -> dict[str, Any]:
    """Datasets per second of score_metadata over n crafted datasets, and of
    copy.deepcopy over the same dicts; ``ratio`` = ours / deepcopy."""
    rng = random.Random(SEED)
    cases = [crafted_dataset(rng, i) for i in range(n)]

    started = time.perf_counter()
    bands = collections.Counter(score_metadata(record, statuses).band for record, statuses in cases)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    for record, _ in cases:
        copy.deepcopy(record)
    baseline = time.perf_counter() - started

    ours_per_s = n / ours if ours else float("inf")
    baseline_per_s = n / baseline if baseline else float("inf")
    return {
        "datasets": n,
        "seconds": round(ours, 4),
        "datasets_per_s": round(ours_per_s),
        "baseline": "copy.deepcopy of the same dicts",
        "baseline_seconds": round(baseline, 4),
        "baseline_per_s": round(baseline_per_s),
        "ratio": round(ours_per_s / baseline_per_s, 2),
        "bands": dict(bands),
    }


def bench_rdf(n: int, ini: str) -> dict[str, Any]:
    """The RDF path, as data.europa.eu scores: each crafted dict rendered by
    ckanext-dcat with the configured profiles, then ``score_graph`` on the
    graph; against ``score_metadata`` on the same dicts, in the same run.

    Needs a configured CKAN (``ini``, and its database: the euro profile
    looks the publisher up), so it loads the app in this process.
    """
    import logging

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    logging.disable(logging.WARNING)  # the crafted values the profile refuses are logged
    from rdflib import Graph

    from ckanext.dcat.processors import RDFSerializer
    from ckanext.plusresilient.quality.rdf import score_graph

    rng = random.Random(SEED)
    cases = [crafted_dataset(rng, i) for i in range(n)]
    serialising = scoring = 0.0
    serializer = RDFSerializer()  # one per request, as ckanext-dcat's endpoints do
    with app._wsgi_app.test_request_context():
        for record, statuses in cases:
            started = time.perf_counter()
            serializer.g = Graph()
            ref = serializer.graph_from_dataset(record)
            middle = time.perf_counter()
            score_graph(serializer.g, ref, statuses)
            serialising += middle - started
            scoring += time.perf_counter() - middle
    started = time.perf_counter()
    for record, statuses in cases:
        score_metadata(record, statuses)
    fast = time.perf_counter() - started
    rdf = serialising + scoring
    return {
        "datasets": n,
        "rdf_per_s": round(n / rdf),
        "serialise_per_s": round(n / serialising),
        "score_graph_per_s": round(n / scoring),
        "dict_per_s": round(n / fast),
        "ratio": round(rdf / fast, 1),
    }


def print_rdf(result: dict[str, Any]) -> None:
    print(f"metadata score from the RDF: {result['rdf_per_s']:,} datasets/s "
          f"(ckanext-dcat rendering {result['serialise_per_s']:,}/s, "
          f"score_graph {result['score_graph_per_s']:,}/s); the dict path on the same "
          f"{result['datasets']:,} dicts {result['dict_per_s']:,}/s: "
          f"{result['ratio']}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="datasets (default 20,000)")
    parser.add_argument("--rdf", metavar="INI", help="also the RDF path, with this CKAN ini "
                        "(its database must answer: bin/stack up)")
    args = parser.parse_args()
    result = bench_metadata(args.n)
    print(f"metadata: {result['datasets_per_s']:,} datasets/s "
          f"({result['datasets']:,} in {result['seconds']} s); "
          f"deepcopy of the same dicts {result['baseline_per_s']:,}/s; "
          f"ratio {result['ratio']}; bands {result['bands']}")
    if args.rdf:
        print_rdf(bench_rdf(min(args.n, 2_000), args.rdf))


if __name__ == "__main__":
    main()
