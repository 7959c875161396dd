"""A catalogue of 10,000 and 100,000 datasets: how fast its pages answer, ours
against stock CKAN on the same index, in the same run. Not a test: it prints.

    bin/stack up
    .venv/bin/python benchmarks/catalog.py                 # 10,000 and 100,000
    .venv/bin/python benchmarks/catalog.py --sizes 10000 --requests 50
    .venv/bin/python benchmarks/catalog.py --sizes 10000 --rebuild

Each size lives in a database of its own (``ckan_catalog_<size>`` on the
server of ``--ini``; created through the ``postgres`` role when missing) and
under a site id of its own in the Solr core, and is kept for reruns: it is
built once (benchmarks/catalog_build.py: templates through the real actions,
the rest copied row for row and indexed with CKAN's own documents, then
verified), and rebuilt only with ``--rebuild``.

Two web processes serve it on the same index: ours (the ``--ini`` plugins)
and stock CKAN (``ckan.plugins = activity``: CKAN's search page, facets and
dataset page). Each endpoint is requested ``--requests`` times as an
anonymous visitor and as a sysadmin, after a warm-up, one request at a
time, from ours and stock in turn (so the machine's noise falls on both);
p50 and p95 are printed with the ratios to stock, and the peak RSS of each
web process. Then two RQ workers
(``ckan jobs worker``) rescore ``--rescore`` datasets without URL checks and
downloads, and the rate gives the time of a full rescoring; the same workers
then reindex the same datasets with CKAN's own ``search.rebuild`` in chunks of
the same size, the floor of any rescoring that puts its result in the index.
``--requests 0`` times only the rescoring.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_build  # noqa: E402

SYSTEM_INFO_KEY = "plusresilient.benchmark.catalog"
STOCK_PLUGINS = "activity"
WARM_UP = 3
#: The RQ queue of the rescoring runs (the catalogue's scoring queue).
RESCORE_QUEUE = "bench-rescore"
#: What the issue asks for, per endpoint (p95 seconds or ratio to stock).
TARGETS = {"/dataset/": "<= 1.2x stock", "/quality": "<= 0.5 s", "/quality?filters": "<= 0.5 s"}


def database_url(ini_url: str, size: int) -> str:
    parts = urlsplit(ini_url)
    return urlunsplit(parts._replace(path=f"/ckan_catalog_{size}"))


def overrides(ini: str, size: int, stock: bool = False) -> dict[str, str]:
    from ckan.cli import load_config

    config = load_config(ini)
    url = os.environ.get("CKAN_SQLALCHEMY_URL") or config["sqlalchemy.url"]
    values = {"sqlalchemy.url": database_url(url, size), "ckan.site_id": f"catalog{size}",
              "ckanext.plusresilient.quality.auto": "false",
              "ckanext.plusresilient.feedback.premoderation": "false",
              "ckanext.plusresilient.feedback.rate_limit": "100000/60",
              "ckanext.plusresilient.quality.queue": RESCORE_QUEUE,
              "ckan.site_url": "http://127.0.0.1:5000"}
    if stock:
        values["ckan.plugins"] = STOCK_PLUGINS
    return values


def make_app(ini: str, values: dict[str, str]):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app as ckan_app

    os.environ["CKAN_SQLALCHEMY_URL"] = values["sqlalchemy.url"]
    os.environ["CKAN_SITE_ID"] = values["ckan.site_id"]
    config = load_config(ini)
    config.update(values)
    return ckan_app(config)


def ensure_database(url: str) -> None:
    """Create the catalogue's database when it is missing (as ``postgres``)."""
    import sqlalchemy as sa

    try:
        sa.create_engine(url).connect().close()
        return
    except sa.exc.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(netloc=f"postgres@{parts.hostname}:{parts.port}", path="/postgres"))
    owner, name = parts.username, parts.path.lstrip("/")
    try:
        with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{owner}" ENCODING \'UTF8\''))
    except sa.exc.OperationalError as error:
        sys.exit(f"Could not create the database {name} ({error}); create it, owned by {owner}, and rerun.")


# -- children --------------------------------------------------------------------------

def child_reset(ini: str, size: int) -> None:
    """Empty the database and this site's documents, then migrate (apart from
    the build: CKAN's migrations rebind the model to a pool-less engine)."""
    app = make_app(ini, overrides(ini, size))
    with app._wsgi_app.test_request_context():
        from ckan.cli.db import _run_migrations
        from ckan.lib import search
        from ckan.tests import helpers

        helpers.reset_db()
        for plugin in ("activity", "harvest", "plusresilient"):
            _run_migrations(plugin)
        search.clear_all()


def child_build(ini: str, size: int) -> dict:
    app = make_app(ini, overrides(ini, size))
    with app._wsgi_app.test_request_context():
        from ckan import model

        say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        started = time.perf_counter()
        templates = catalog_build.make_templates(min(catalog_build.TEMPLATES, size))
        model.Session.remove()
        made_templates = time.perf_counter()
        say(f"{len(templates)} templates through the actions in {made_templates - started:.0f} s")
        made = catalog_build.copy_templates(model.meta.engine, templates, size - len(templates), say)
        copied = time.perf_counter()
        catalog_build.index_copies(made, say)
        indexed = time.perf_counter()
        problems = catalog_build.verify(made, templates)
        built = {"size": size, "templates": len(templates),
                 "seconds": {"templates": made_templates - started, "copies": copied - made_templates,
                             "index": indexed - copied},
                 "problems": problems, "built_at": time.strftime("%Y-%m-%d")}
        model.set_system_info(SYSTEM_INFO_KEY, json.dumps(built))
        model.Session.commit()
        return built


def child_prepare(ini: str, size: int) -> dict:
    """What the timing needs: a sysadmin token, names to visit, the count."""
    app = make_app(ini, overrides(ini, size))
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckan import model
        from ckan.lib import search

        import sqlalchemy as sa

        if not sa.inspect(model.meta.engine).has_table("system_info"):
            return {"built": None}
        built = json.loads(model.get_system_info(SYSTEM_INFO_KEY) or "null")
        active = model.Session.query(model.Package).filter_by(state="active", type="dataset").count()
        if not built or active != size:
            return {"built": None}
        indexed = search.query_for(model.Package).get_all_entity_ids(max_results=size + 10)
        token = tk.get_action("api_token_create")({"ignore_auth": True, "user": "bench-admin"}, {
            "user": "bench-admin", "name": f"bench-{time.time():.0f}"})["token"]
        rng = random.Random(size)
        public = [name for (name,) in model.Session.query(model.Package.name)
                  .filter_by(state="active", private=False).order_by(model.Package.name)]
        return {"built": built, "active": active, "indexed": len(indexed), "token": token,
                "public_names": rng.sample(public, 200),
                "organizations": [name for (name,) in model.Session.query(model.Group.name)
                                  .filter_by(is_organization=True, state="active")]}


def child_enqueue(ini: str, size: int, count: int, how: str = "single") -> dict:
    """Queue the rescoring of ``count`` datasets, links and data as stored:
    "chunks" as ``quality score --all --no-links --no-data --queue`` does,
    "single" a job per dataset, as the scoring after each save does;
    "reindex" CKAN's own reindex of them, chunked as "chunks" is."""
    app = make_app(ini, overrides(ini, size))
    with app._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        from ckan.lib import jobs as ckan_jobs

        from ckanext.plusresilient import jobs
        from ckanext.plusresilient.scoring.dataset import score_dataset, scored_dataset_ids

        ids = random.Random(count).sample(scored_dataset_ids(), count)
        if how == "chunks":
            jobs.enqueue_rescoring(ids, with_links=False, with_data=False)
        elif how == "reindex":
            from ckan.lib import search

            for start in range(0, len(ids), jobs.RESCORE_CHUNK):
                part = ids[start:start + jobs.RESCORE_CHUNK]
                tk.enqueue_job(search.rebuild, [], {"package_ids": part, "quiet": True},
                               queue=RESCORE_QUEUE,
                               rq_kwargs={"timeout": len(part) * jobs.SECONDS_WITHOUT_CHECKS})
        else:
            for package_id in ids:
                tk.enqueue_job(score_dataset, [package_id], {"with_links": False, "with_data": False},
                               queue=RESCORE_QUEUE)
        return {"queue": ckan_jobs.add_queue_name_prefix(RESCORE_QUEUE), "count": len(ids),
                "redis": tk.config["ckan.redis.url"]}


def time_rescoring(ini: str, size: int, count: int, how: str = "chunks", workers: int = 2) -> dict:
    """``workers`` RQ workers (ckan jobs worker) rescore ``count`` datasets:
    seconds until the queue is drained, datasets per second, and the time
    the whole catalogue would take at that rate."""
    import redis
    import rq
    from rq.registry import StartedJobRegistry

    values = overrides(ini, size)
    env = dict(os.environ, CKAN_SQLALCHEMY_URL=values["sqlalchemy.url"], CKAN_SITE_ID=values["ckan.site_id"])
    ckan = str(Path(sys.executable).with_name("ckan"))
    processes = [subprocess.Popen([ckan, "-c", ini, "jobs", "worker", RESCORE_QUEUE], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
    try:
        time.sleep(10)  # the workers load CKAN before they listen
        started = time.perf_counter()
        queued = run_child("enqueue", ini, str(size), str(count), how)
        connection = redis.Redis.from_url(queued["redis"])
        queue = rq.Queue(queued["queue"], connection=connection)
        running = StartedJobRegistry(queued["queue"], connection=connection)
        while queue.count or running.count:
            if any(process.poll() is not None for process in processes):
                sys.exit("a rescoring worker died")
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    return {"count": count, "seconds": seconds, "per_second": count / seconds,
            "catalogue_minutes": size / (count / seconds) / 60}


def child_serve(ini: str, size: int, stock: bool, port_file: str) -> None:
    from werkzeug.serving import make_server

    app = make_app(ini, overrides(ini, size, stock))
    server = make_server("127.0.0.1", 0, app, threaded=False)
    Path(port_file).write_text(str(server.server_port))
    server.serve_forever()


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}


# -- timing ----------------------------------------------------------------------------

class WebProcess:
    def __init__(self, ini: str, size: int, stock: bool) -> None:
        self.port_file = f"/tmp/plusresilient-catalog-{os.getpid()}-{int(stock)}"
        Path(self.port_file).unlink(missing_ok=True)
        self.process = subprocess.Popen([sys.executable, __file__, "--child", "serve", ini, str(size),
                                         "stock" if stock else "ours", self.port_file],
                                        stderr=subprocess.DEVNULL)

    def __enter__(self) -> "WebProcess":
        deadline = time.monotonic() + 120
        while not Path(self.port_file).exists() or not Path(self.port_file).read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit("the web process did not start")
            time.sleep(0.2)
        self.base = f"http://127.0.0.1:{Path(self.port_file).read_text()}"
        return self

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait()
        Path(self.port_file).unlink(missing_ok=True)


def endpoints(prepared: dict, stock: bool) -> dict[str, callable]:
    """Endpoint name -> a function of the request number giving a path."""
    countries = catalog_build.COUNTRIES
    organizations = prepared["organizations"]
    names = prepared["public_names"]
    facets = ["vocab_svrc_scenario", "vocab_si_area", "vocab_theme", "vocab_country", "vocab_region",
              "plusresilient_quality_band", "organization", "tags", "res_format", "license_id"]
    api_facets = json.dumps(["organization", "groups", "tags", "res_format", "license_id"] if stock
                            else facets)
    search = {
        "/dataset/": lambda n: f"/dataset/?page={1 + n % 40}",
        "/dataset/ faceted": lambda n: (f"/dataset/?q=servizi&vocab_country={countries[n % len(countries)]}"
                                        f"&tags=welfare&page={1 + n % 3}"),
        "package_search API": lambda n: (f"/api/3/action/package_search?q=sociali&rows=20&start={20 * (n % 30)}"
                                         f"&facet.field={api_facets}"),
        "dataset page": lambda n: f"/dataset/{names[n % len(names)]}",
    }
    if stock:
        return search
    return {
        **search,
        "/quality": lambda n: "/quality",
        "/quality?filters": lambda n: (f"/quality?country={countries[n % len(countries)]}" if n % 2
                                       else f"/quality?organization={organizations[n % len(organizations)]}"),
        "/portals": lambda n: "/portals",
        "catalog.ttl?page=N": lambda n: f"/catalog.ttl?page={1 + n % 20}",
    }


def time_endpoints(bases: dict[str, str], paths: dict[str, dict[str, callable]], requests_per: int,
                   headers: dict[str, str]) -> dict[str, dict[str, list[float]]]:
    """contender -> endpoint -> seconds per request. An endpoint both
    contenders serve is requested from each in turn (which one first
    alternates), so a burst of load on the machine falls on both alike."""
    import requests

    sessions = {contender: requests.Session() for contender in bases}
    for session in sessions.values():
        session.headers.update(headers)
    timings: dict[str, dict[str, list[float]]] = {contender: {} for contender in bases}
    names = list(dict.fromkeys(name for served in paths.values() for name in served))
    for name in names:
        serving = [contender for contender in bases if name in paths[contender]]
        for contender in serving:
            timings[contender][name] = []
            for n in range(WARM_UP):
                sessions[contender].get(bases[contender] + paths[contender][name](n + 1000))
        for n in range(requests_per):
            for contender in (serving if n % 2 == 0 else serving[::-1]):
                path = paths[contender][name](n)
                started = time.perf_counter()
                response = sessions[contender].get(bases[contender] + path)
                timings[contender][name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    sys.exit(f"{contender} {name}: {path} answered {response.status_code}: "
                             f"{response.text[:500]}")
    return timings


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def run_size(ini: str, size: int, requests_per: int, rebuild: bool, build_only: bool = False,
             rescore: int = 0) -> None:
    values = overrides(ini, size)
    ensure_database(values["sqlalchemy.url"])
    prepared = {} if rebuild else run_child("prepare", ini, str(size))
    if not prepared.get("built"):
        print(f"building the catalogue of {size} datasets (kept in {values['sqlalchemy.url'].rsplit('/', 1)[1]})",
              flush=True)
        run_child("reset", ini, str(size))
        built = run_child("build", ini, str(size))
        print(f"  built: {json.dumps(built['seconds'])}", flush=True)
        prepared = run_child("prepare", ini, str(size))
    built = prepared["built"]
    print(f"\ncatalogue of {size} datasets (built {built['built_at']}, {built['templates']} templates "
          f"through the actions): {prepared['active']} active, {prepared['indexed']} indexed; "
          f"verified: {'OK' if not built['problems'] else built['problems']}", flush=True)
    if build_only:
        return
    if requests_per:
        time_pages(ini, size, prepared, requests_per)
    if rescore:
        time_rescorings(ini, size, rescore)


def time_pages(ini: str, size: int, prepared: dict, requests_per: int) -> None:
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    with WebProcess(ini, size, stock=False) as ours, WebProcess(ini, size, stock=True) as stock:
        bases = {"ours": ours.base, "stock": stock.base}
        paths = {"ours": endpoints(prepared, stock=False), "stock": endpoints(prepared, stock=True)}
        for user, headers in (("anonymous", {}), ("sysadmin", {"Authorization": prepared["token"]})):
            for contender, timings in time_endpoints(bases, paths, requests_per, headers).items():
                results[(contender, user)] = timings
        rss = {"ours": ours.peak_rss_mb(), "stock": stock.peak_rss_mb()}
    print(f"\n{'endpoint':<22} {'user':<10} {'p50 ms':>8} {'p95 ms':>8} {'stock p95':>10} {'ratio':>6}  target")
    for (contender, user), timings in results.items():
        if contender != "ours":
            continue
        stock_timings = results[("stock", user)]
        for name, values_ in timings.items():
            p50, p95 = percentile(values_, 0.5), percentile(values_, 0.95)
            line = f"{name:<22} {user:<10} {p50 * 1000:8.0f} {p95 * 1000:8.0f}"
            if name in stock_timings:
                stock_p95 = percentile(stock_timings[name], 0.95)
                line += f" {stock_p95 * 1000:10.0f} {p95 / stock_p95:6.2f}"
            else:
                line += f" {'':>10} {'':>6}"
            print(line + f"  {TARGETS.get(name, '')}", flush=True)
    print(f"peak RSS of the web process: ours {rss['ours']:.0f} MB, stock {rss['stock']:.0f} MB")


def time_rescorings(ini: str, size: int, rescore: int) -> None:
    rates = {}
    for how, count, what in (("single", min(rescore // 10, size), "rescoring, a job per dataset"),
                             ("chunks", min(rescore, size), "rescoring, quality score --all --queue"),
                             ("reindex", min(rescore, size), "CKAN's own reindex, same chunks")):
        timed = time_rescoring(ini, size, count, how)
        rates[how] = timed["per_second"]
        print(f"2 RQ workers, {what}: {timed['count']} datasets in {timed['seconds']:.0f} s "
              f"({timed['per_second']:.1f}/s): the whole catalogue in "
              f"{timed['catalogue_minutes']:.0f} min", flush=True)
    print(f"rescoring in chunks runs at {rates['chunks'] / rates['reindex']:.2f}x CKAN's own reindex "
          f"of the same datasets (target: the catalogue in <= 5 min, "
          f"{size / 300:.0f} datasets/s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the catalogues, time nothing")
    parser.add_argument("--rescore", type=int, default=2000, metavar="N",
                        help="time 2 RQ workers rescoring N datasets (0: skip)")
    parser.add_argument("--ini", default=str(ROOT / "development.ini"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, ini, size, *rest = args.child
        if kind == "serve":
            return child_serve(ini, int(size), rest[0] == "stock", rest[1])
        if kind == "enqueue":
            print(json.dumps(child_enqueue(ini, int(size), int(rest[0]), *rest[1:])))
            return
        result = {"reset": child_reset, "build": child_build, "prepare": child_prepare}[kind](ini, int(size))
        print(json.dumps(result))
        return
    for size in args.sizes:
        run_size(args.ini, size, args.requests, args.rebuild, args.build_only, args.rescore)


if __name__ == "__main__":
    main()
