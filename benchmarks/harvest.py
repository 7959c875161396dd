"""Harvest throughput and memory: ours against ckanext-harvest's stock CKAN
harvester and against a bare loop of ``package_create`` (the floor), on the
same imitation CKAN portal, in the same run. Not a test: it prints.

    bin/stack up
    .venv/bin/python benchmarks/harvest.py            # 1,000 and 10,000 datasets
    .venv/bin/python benchmarks/harvest.py --sizes 200 1000

Each (size, contender) runs in a child process on a freshly reset database,
so peak RSS is the harvest's own. The portal runs in yet another process.
Use a database of its own (it is wiped):

    CKAN_SQLALCHEMY_URL=postgresql://ckan_default:pass@127.0.0.1:5433/ckan_bench CKAN_SITE_ID=bench
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTENDERS = ("floor", "plusresilient_ckan", "ckan")


def portal_package(n: int) -> dict:
    """A dataset as a CKAN portal publishes it, valid for our schema too (so
    the stock harvester, which copies fields as they are, can import it)."""
    package_id = str(uuid.UUID(int=n + 1))
    return {
        "id": package_id, "name": f"dataset-{n:06d}", "title": f"Servizi sociali {n}",
        "type": "dataset", "state": "active", "private": False,
        "notes": "Strutture e servizi sociali del comune, aggiornati ogni anno.",
        "license_id": "cc-by", "license_title": "Creative Commons Attribution",
        "metadata_created": "2020-05-01T10:00:00.000000", "metadata_modified": "2024-01-10T08:00:00.000000",
        "maintainer": "Ufficio open data", "maintainer_email": "opendata@example.org", "url": "",
        "organization": None, "owner_org": None,
        "tags": [{"name": "welfare"}, {"name": "servizi sociali"}],
        "groups": [], "extras": [],
        "svrc_scenario": ["public-services"], "country": "IT",
        "resources": [{"id": str(uuid.UUID(int=10**9 + n)), "name": "Dati CSV", "format": "CSV",
                       "url": f"http://example.org/{n}.csv", "mimetype": "text/csv", "size": 2048}],
    }


def serve_portal(size: int, port_file: str) -> None:
    """Child process: the imitation portal (ckanext/plusresilient/demo/portals/ckan.py)."""
    from ckanext.plusresilient.demo.portals.ckan import CKANPortal

    with CKANPortal(prefix="/opendata") as portal:
        for n in range(size):
            package = portal_package(n)
            portal.packages[package["id"]] = package
        Path(port_file).write_text(portal.api_url)
        while True:
            time.sleep(3600)


def reset_database(ini: str) -> None:
    """Child process: empty the database and the index, then migrate.

    Kept apart from the contenders: CKAN's migration environment rebinds the
    model to a pool-less engine, which would make every commit of the
    contender that follows open a new connection — something a harvest
    consumer in production never does."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    with app._wsgi_app.test_request_context():
        from ckan.cli.db import _run_migrations
        from ckan.lib import search
        from ckan.tests import helpers

        helpers.reset_db()
        for plugin in ("activity", "harvest", "plusresilient"):
            _run_migrations(plugin)
        search.clear_all()


def run_contender(contender: str, api_url: str, ini: str) -> dict:
    """Child process: harvest (or create) into the freshly reset database."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    config = load_config(ini)
    # the imitation portal's own host:port, and no other service of this machine
    config["ckanext.plusresilient.http.allowed_private_networks"] = urlsplit(api_url).netloc
    app = make_app(config)
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckan import model

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        started = time.perf_counter()
        if contender == "floor":
            from ckanext.plusresilient.harvesters.ckan import to_remote
            from ckanext.plusresilient.harvesters.mapping import to_package
            from ckanext.plusresilient.safe_http import HttpPolicy, SafeSession

            http = SafeSession(HttpPolicy(allowed_private_networks=(urlsplit(api_url).netloc,)))
            start, count = 0, None
            while count is None or start < count:
                result = http.get(f"{api_url}/api/3/action/package_search",
                                  params={"rows": 100, "start": start, "sort": "id asc"}).json()["result"]
                count = result["count"]
                for package in result["results"]:
                    record = to_package(to_remote(package, api_url), {"country": "IT", "language": "it"})
                    record["name"] = package["name"]
                    tk.get_action("package_create")({"user": site_user, "ignore_auth": True}, record)
                    model.Session.remove()  # a fresh session per dataset, as a consumer has
                start += len(result["results"])
            summary = {"created": count}
        else:
            from ckanext.plusresilient.harvesters.runner import run_source

            source = tk.get_action("harvest_source_create")({"user": site_user}, {
                "name": "bench", "title": "bench", "url": api_url, "source_type": contender,
                "config": json.dumps({"country": "IT", "language": "it"}) if contender != "ckan" else "",
            })
            result = run_source(source["id"])
            summary = {"created": result.created, "errors": result.errors + len(result.gather_errors),
                       "first_error": (result.gather_errors + result.object_errors)[:1]}
        elapsed = time.perf_counter() - started
        datasets = model.Session.query(model.Package).filter_by(type="dataset", state="active").count()
    return {"contender": contender, "seconds": elapsed, "datasets": datasets,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--ini", default=str(ROOT / "test.ini"))
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "API_URL", "INI"), help=argparse.SUPPRESS)
    parser.add_argument("--reset", metavar="INI", help=argparse.SUPPRESS)
    parser.add_argument("--portal", nargs=2, metavar=("SIZE", "PORT_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.portal:
        return serve_portal(int(args.portal[0]), args.portal[1])
    if args.reset:
        return reset_database(args.reset)
    if args.child:
        print(json.dumps(run_contender(*args.child)))
        return
    if "CKAN_SQLALCHEMY_URL" not in os.environ:
        sys.exit("Set CKAN_SQLALCHEMY_URL (and CKAN_SITE_ID) to a database the benchmark may wipe.")

    results: dict[int, dict[str, dict]] = {}
    for size in args.sizes:
        port_file = f"/tmp/plusresilient-bench-{os.getpid()}-{size}"
        portal = subprocess.Popen([sys.executable, __file__, "--portal", str(size), port_file])
        try:
            while not Path(port_file).exists():
                time.sleep(0.2)
            api_url = Path(port_file).read_text()
            results[size] = {}
            for contender in args.contenders:
                subprocess.run([sys.executable, __file__, "--reset", args.ini], check=True,
                               capture_output=True)
                out = subprocess.run([sys.executable, __file__, "--child", contender, api_url, args.ini],
                                     capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    sys.exit(f"{contender} at {size} failed:\n{out.stderr[-3000:]}")
                result = json.loads(out.stdout.strip().splitlines()[-1])
                results[size][contender] = result
                print(f"{size:>6} {contender:<20} {result['seconds']:8.1f} s  "
                      f"{result['datasets'] / result['seconds']:7.1f} datasets/s  "
                      f"peak RSS {result['peak_rss_mb']:6.0f} MB  datasets {result['datasets']}"
                      + (f"  errors {result.get('errors')} {result.get('first_error')}" if result.get("errors") else ""),
                      flush=True)
        finally:
            portal.terminate()
            portal.wait()
            Path(port_file).unlink(missing_ok=True)

    if set(args.contenders) == set(CONTENDERS):
        print("\nratios (same run):")
        for size, by in results.items():
            ours, stock, floor = by["plusresilient_ckan"], by["ckan"], by["floor"]
            print(f"  {size:>6}: ours/stock speed {stock['seconds'] / ours['seconds']:.2f}x (target >= 2)   "
                  f"ours/floor time {ours['seconds'] / floor['seconds']:.2f}x (target <= 1.3)")
    if len(results) > 1 and "plusresilient_ckan" in args.contenders:
        small, large = min(results), max(results)
        print(f"  peak RSS ours {large} vs {small}: "
              f"{results[large]['plusresilient_ckan']['peak_rss_mb'] / results[small]['plusresilient_ckan']['peak_rss_mb']:.2f}x"
              " (target <= 1.2)")


if __name__ == "__main__":
    main()
