"""Metadata scoring speed: ``score_metadata`` over crafted, varied datasets,
against ``copy.deepcopy`` of the same dicts in the same process (a floor any
code that walks a whole dataset dict can be compared with; CPU speed cancels
out of the ratio).

Imported by benchmarks/quality.py (``bench_metadata(n)``); prints nothing on
import. On its own:

    .venv/bin/python benchmarks/quality_metadata.py            # 20,000 datasets
    .venv/bin/python benchmarks/quality_metadata.py -n 2000
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


def crafted_dataset(rng: random.Random, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One dataset dict shaped like package_show's, and its link statuses;
    every field is present or missing at random so every branch is taken."""
    resources = []
    statuses: dict[str, Any] = {}
    for r in range(rng.choice((0, 1, 1, 2, 3, 5))):
        fmt, mimetype = rng.choice(FORMATS)
        url = f"https://data.example.org/{n}/{r}.{(fmt or 'bin').lower()[-4:]}"
        resources.append({
            "id": f"{n}-{r}", "name": f"Resource {r}", "url": url, "format": fmt,
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
        "organization": rng.choice((None, {"id": "o1", "name": "veneto",
                                           "title": "Regione Veneto"})),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="datasets (default 20,000)")
    result = bench_metadata(parser.parse_args().n)
    print(f"metadata: {result['datasets_per_s']:,} datasets/s "
          f"({result['datasets']:,} in {result['seconds']} s); "
          f"deepcopy of the same dicts {result['baseline_per_s']:,}/s; "
          f"ratio {result['ratio']}; bands {result['bands']}")


if __name__ == "__main__":
    main()
