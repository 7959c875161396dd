"""Table previews, measured: what loading the checked file into the DataStore
adds to a dataset's scoring, against the same scoring without previews, in
the same process. Not a test: it prints.

    bin/stack up
    .venv/bin/python benchmarks/preview.py                  # CSVs of 2,000 / 20,000 / 100,000 rows
    .venv/bin/python benchmarks/preview.py --rows 2000 --runs 3  # smoke

It uses a database of its own, ``ckan_bench_preview`` beside the stack's
(created and wiped), and the stack's DataStore (``development.ini``'s),
whose tables it deletes at the end. Each run serves a file whose last row
differs from the previous run's, so every scoring with previews loads it again
(an unchanged file is not reloaded: that run is timed too, "unchanged").
The two kinds of runs alternate, so a noisy machine slows both alike; the
ratio is their medians'.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402

DATABASE = "ckan_bench_preview"


class FileServer(ThreadingHTTPServer):
    body = b""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


def csv_of(rows: int, run: int) -> bytes:
    lines = ["id,comune,strutture,posti,aperta"]
    lines += [f"{n},Comune {n % 997},{n % 17},{n * 3 % 101},2024-0{1 + n % 9}-1{n % 9}"
              for n in range(rows)]
    lines.append(f"{rows},run {run},0,0,2024-01-01")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[2_000, 20_000, 100_000])
    parser.add_argument("--runs", type=int, default=5, help="timed scorings of each kind per size")
    parser.add_argument("--ini", default=str(ROOT / "development.ini"))
    args = parser.parse_args()

    from ckan.cli import load_config

    base = os.environ.get("CKAN_SQLALCHEMY_URL") or load_config(args.ini)["sqlalchemy.url"]
    url = base.rsplit("/", 1)[0] + "/" + DATABASE
    catalog.ensure_database(url)
    server = FileServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    values = {"sqlalchemy.url": url, "ckan.site_id": "bench_preview",
              "ckanext.plusresilient.quality.auto": "false",
              "ckanext.plusresilient.quality.max_bytes": str(200 * 1024 * 1024),
              "ckanext.plusresilient.quality.max_rows": str(10 ** 7),
              "ckanext.plusresilient.preview.max_bytes": str(200 * 1024 * 1024),
              "ckanext.plusresilient.http.allowed_private_networks": address,
              "ckan.site_url": "http://127.0.0.1:5000"}
    app = catalog.make_app(args.ini, values)
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckan.cli.db import _run_migrations
        from ckan.lib import search
        from ckan.tests import helpers

        from ckanext.plusresilient.scoring import dataset as scoring

        helpers.reset_db()
        for plugin in ("activity", "harvest", "plusresilient"):
            _run_migrations(plugin)
        search.clear_all()
        site = {"ignore_auth": True, "user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}
        org = tk.get_action("organization_create")(dict(site), {"name": "bench-cluster"})
        print(f"{'rows':>8} {'bytes':>10} {'without':>9} {'with':>9} {'ratio':>6} {'unchanged':>10} {'ratio':>6}")
        made = []
        for rows in args.rows:
            dataset = tk.get_action("package_create")(dict(site), {
                "name": f"bench-preview-{rows}", "title": f"Preview {rows}", "owner_org": org["id"],
                "svrc_scenario": ["public-services"], "country": "IT",
                "notes": "Bench table", "license_id": "cc-by",
                "resources": [{"name": "table", "url": f"http://{address}/table.csv", "format": "CSV"}]})
            made.append(dataset["resources"][0]["id"])
            times: dict[str, list[float]] = {"without": [], "with": [], "unchanged": []}
            for run in range(args.runs + 1):  # the first round warms up, untimed
                for kind in ("without", "with", "unchanged"):
                    if kind != "unchanged":
                        server.body = csv_of(rows, run * 2 + (kind == "with"))
                    tk.config["ckanext.plusresilient.preview.enabled"] = "false" if kind == "without" else "true"
                    started = time.perf_counter()
                    result = scoring.score_dataset(dataset["id"], with_links=False)
                    elapsed = time.perf_counter() - started
                    preview = result["data"]["resources"][0].get("preview") or {}
                    expected = {"without": None, "with": "loaded", "unchanged": "unchanged"}[kind]
                    assert preview.get("status") == expected, (kind, preview)
                    if run:
                        times[kind].append(elapsed)
            median = {kind: statistics.median(values) for kind, values in times.items()}
            print(f"{rows:>8} {len(server.body):>10} {median['without']:>8.2f}s {median['with']:>8.2f}s "
                  f"{median['with'] / median['without']:>5.2f}x {median['unchanged']:>9.2f}s "
                  f"{median['unchanged'] / median['without']:>5.2f}x")
        for resource_id in made:
            tk.get_action("datastore_delete")(dict(site), {"resource_id": resource_id, "force": True})
    server.shutdown()


if __name__ == "__main__":
    main()
