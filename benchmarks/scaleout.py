"""Scale out, measured: a harvest through the Redis queues with 1 and then 2
fetch consumers, and quality scorings with 1 and then 2 RQ workers, each
part as production runs it. Not a test: it prints.

    bin/stack up
    .venv/bin/python benchmarks/scaleout.py                       # 5,000 datasets, 2,000 scorings
    .venv/bin/python benchmarks/scaleout.py --datasets 200 --scorings 100 --single 20   # smoke

Use a database of its own (it is wiped), with the stack's services:

    CKAN_SQLALCHEMY_URL=postgresql://ckan_default:pass@127.0.0.1:5433/ckan_bench CKAN_SITE_ID=bench

The harvest. An imitation CKAN portal (harvest.py's) publishes ``--datasets``
datasets, each with a CSV the portal serves too. A harvest source on it and
a job made with ckanext-harvest's ``harvest_job_create`` (run=True, as the
source page's button does) go through the queues to our consumers, as real
processes: ``ckan -c INI plusresilient harvest gather-consumer`` and N
``... fetch-consumer``. Scoring is on (``quality.auto``), so each import
queues its scoring job as in production; nobody runs them during the
harvest. Timed from the job's creation until every harvest object is
COMPLETE or ERROR, then checked: every portal dataset exactly once. Each
consumer count runs on a freshly reset database.

The scorings, on the last harvest's datasets, with N ``ckan jobs worker``
processes on the scoring queue:

* "after a harvest": a job per dataset, queued by ``jobs.enqueue_scoring``
  as every save queues it, links and data checked (against the portal);
  ``--single`` datasets, as a job per dataset is too slow for 2,000 here;
* "rescoring": ``quality score --all --no-links --no-data --queue``'s
  chunks (``jobs.enqueue_rescoring``), ``--scorings`` datasets.

Each is timed from the first job queued until the queue is drained, and
checked: each dataset scored exactly once (one new history row each).

What limits the ratio: the CPU seconds each process used while timed
(psutil: user + system, children included, so RQ's work horses and
PostgreSQL's backends count), beside the whole machine's busy time (other
work on a shared machine takes its share of the cores), and per dataset:
the cores divided by the CPU a dataset costs in all is the most they could
do were nothing else running.

``--consumers`` with no number skips the harvest (the scorings then use the
datasets already in the database); ``--logs DIR`` keeps every process's log.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402
import harvest  # noqa: E402

#: The RQ queue of the scorings (``ckanext.plusresilient.quality.queue``).
SCORING_QUEUE = "bench-scaleout"
#: The CPU meter's key for the whole machine's busy seconds.
MACHINE = "machine"
CKAN = str(Path(sys.executable).with_name("ckan"))
CSV = ("anno,comune,strutture,posti\n"
       + "".join(f"{2015 + n % 10},Comune {n},{n % 17},{n * 3 % 101}\n" for n in range(40))).encode()


# -- the portal: harvest.py's datasets, each linking a CSV it serves ---------------------

def serve_portal(size: int, port_file: str) -> None:
    """Child process: harvest.py's imitation portal, whose resources are
    files it serves itself (so scoring checks links and data on loopback)."""
    from ckanext.plusresilient.demo.portals.ckan import CKANPortal

    class Portal(CKANPortal):
        def pattern_route(self, path: str):
            if path.startswith("/files/") and path.endswith(".csv"):
                return lambda query: (200, {"Content-Type": "text/csv; charset=utf-8"}, CSV)
            return None

    with Portal(prefix="/opendata") as portal:
        for n in range(size):
            package = harvest.portal_package(n)
            package["resources"][0].update(url=f"{portal.url}/files/{n}.csv", size=len(CSV))
            portal.packages[package["id"]] = package
        Path(port_file).write_text(portal.api_url)
        while True:
            time.sleep(3600)


def bench_ini(base: str, portal_netloc: str, directory: str) -> str:
    """``base`` plus what every process of the run needs: the portal allowed,
    scoring on, on a queue of its own. Logging sections copied (CKAN 2.11
    reads them from the file it is given only)."""
    text = Path(base).read_text()
    lines = ["[app:main]", f"use = config:{Path(base).resolve()}",
             f"ckanext.plusresilient.http.allowed_private_networks = {portal_netloc}",
             "ckanext.plusresilient.quality.auto = true",
             f"ckanext.plusresilient.quality.queue = {SCORING_QUEUE}"]
    if "[loggers]" in text:
        lines.append(text[text.index("[loggers]"):])
    path = Path(directory) / "bench.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# -- children (CKAN loaded) --------------------------------------------------------------

def ckan_app(ini: str):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    return make_app(load_config(ini))


def child_harvest(ini: str, api_url: str) -> None:
    """Create the source, say START, create the job (on the gather queue), say its id."""
    with ckan_app(ini)._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk

        user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        source = tk.get_action("harvest_source_create")({"user": user}, {
            "name": "bench-scaleout", "title": "bench-scaleout", "url": api_url,
            "source_type": "plusresilient_ckan", "config": json.dumps({"country": "IT", "language": "it"})})
        print(json.dumps({"start": time.time()}), flush=True)
        job = tk.get_action("harvest_job_create")({"user": user}, {"source_id": source["id"], "run": True})
        print(json.dumps({"job": job["id"]}), flush=True)


def child_finish(ini: str) -> None:
    """What cron's ``ckan harvester run`` does once: marks the finished job Finished."""
    with ckan_app(ini)._wsgi_app.test_request_context():
        from ckanext.plusresilient.harvesters.scheduler import run_round

        run_round()


def child_enqueue(ini: str, count: int, how: str) -> None:
    """Queue the scoring of ``count`` harvested datasets: "single" as after
    each save, "chunks" as ``quality score --all --no-links --no-data --queue``."""
    with ckan_app(ini)._wsgi_app.test_request_context():
        import ckan.plugins.toolkit as tk
        import rq
        from ckan import model
        from ckan.lib import jobs as ckan_jobs
        from ckan.lib.redis import connect_to_redis

        from ckanext.plusresilient import config, jobs

        ids = sorted(i for (i,) in model.Session.query(model.Package.id)
                     .filter_by(type="dataset", state="active"))
        ids = random.Random(count).sample(ids, min(count, len(ids)))
        queue_name = ckan_jobs.add_queue_name_prefix(config.quality_queue())
        # what the harvest queued (nobody ran it) goes before any worker
        # starts: it would be scored with ours, and ours skipped as "waiting"
        rq.Queue(queue_name, connection=connect_to_redis()).empty()
        print(json.dumps({"ready": queue_name}), flush=True)
        sys.stdin.readline()  # the workers listen
        print(json.dumps({"start": time.time()}), flush=True)
        if how == "chunks":
            queued = len(jobs.enqueue_rescoring(ids, with_links=False, with_data=False))
        else:
            queued = sum(jobs.enqueue_scoring(package_id) is not None for package_id in ids)
        print(json.dumps({"ids": ids, "jobs": queued, "queue": queue_name,
                          "redis": tk.config["ckan.redis.url"]}), flush=True)


# -- processes and their CPU -------------------------------------------------------------

def service_processes() -> dict[str, list]:
    """PostgreSQL (the postmaster), Redis and Solr of the stack the CKAN_*
    variables point at, found by their ports."""
    import psutil

    ports = {"postgres": urlsplit(os.environ["CKAN_SQLALCHEMY_URL"]).port or 5432,
             "redis": urlsplit(os.environ.get("CKAN_REDIS_URL", "redis://127.0.0.1:6380")).port,
             "solr": urlsplit(os.environ.get("CKAN_SOLR_URL", "http://127.0.0.1:8983")).port}
    found: dict[str, list] = {"postgres": [], "redis": [], "solr": []}
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and f"{ports['postgres']}" in cmdline and "-D" in cmdline:
            found["postgres"].append(process)
        elif (process.info["name"] or "").startswith("redis-server") and \
                any(part.endswith(f":{ports['redis']}") for part in cmdline):
            found["redis"].append(process)
        elif any("SolrLauncher" in part for part in cmdline) and cmdline[-1:] == [str(ports["solr"])]:
            found["solr"].append(process)
    return found


def cpu_seconds(process) -> float:
    """User + system seconds of the process and all its descendants: the
    reaped ones through the kernel's children times, the live ones (the
    postmaster's backends, an RQ work horse not yet waited for) read each."""
    import psutil

    def own(p) -> float:
        times = p.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    try:
        total = own(process)
        descendants = process.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for child in descendants:
        try:
            total += own(child)
        except psutil.NoSuchProcess:
            pass  # reaped since: its time is in its parent's children times now
    return total


class CPUMeter:
    """CPU seconds per group of processes between :meth:`start` and :meth:`stop`."""

    def __init__(self, groups: dict[str, list]) -> None:
        self.groups = groups

    def sample(self) -> dict[str, float]:
        import psutil

        machine = psutil.cpu_times()
        return {**{name: sum(cpu_seconds(p) for p in processes) for name, processes in self.groups.items()},
                # every process of the machine (others' work included): all but idle and iowait
                MACHINE: sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)}

    def start(self) -> None:
        self.before, self.started = self.sample(), time.time()

    def stop(self) -> dict[str, float]:
        after, wall = self.sample(), time.time() - self.started
        return {"wall": wall, **{name: after[name] - self.before[name] for name in after}}


def cpu_line(used: dict[str, float], items: int) -> str:
    """Where the CPU went while timed, and per dataset: the sum per dataset
    bounds the rate the machine's cores could reach were nothing else running."""
    cores = os.cpu_count() or 1
    wall = used["wall"]
    ours = {name: seconds for name, seconds in used.items() if name not in ("wall", MACHINE)}
    parts = [f"{name} {seconds:.0f} s ({seconds / wall:.2f} cores)" for name, seconds in ours.items()]
    busy = max(sum(ours.values()), 1e-9)
    per_item = ", ".join(f"{name} {seconds / items * 1000:.0f}" for name, seconds in ours.items())
    return (f"    CPU while timed: {', '.join(parts)}; these {busy / wall:.2f} cores, "
            f"the whole machine {used[MACHINE] / wall:.2f} of {cores} ({used[MACHINE] / (wall * cores):.0%}; "
            f"other work {(used[MACHINE] - busy) / wall:.2f})\n"
            f"    CPU ms per dataset: {per_item}; in all {busy / items * 1000:.0f}, so {cores} idle cores "
            f"could do at most {cores * items / busy:.0f} datasets/s")


def start(args: list[str], ini: str, log: Path) -> subprocess.Popen:
    with open(log, "w") as output:
        return subprocess.Popen([CKAN, "-c", ini, *args], stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:  # SIGTERM: each finishes the message or job in hand
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def child_lines(args: list[str], log: Path) -> subprocess.Popen:
    """A child of this script that says how far it got in JSON lines."""
    with open(log, "w") as output:
        child = subprocess.Popen([sys.executable, __file__, "--child", *args], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=output, text=True)
    child.log = log
    return child


def read_line(child: subprocess.Popen, what: str) -> dict:
    line = child.stdout.readline()
    if not line:
        child.wait()
        sys.exit(f"{what} failed:\n{child.log.read_text(errors='replace')[-4000:]}")
    return json.loads(line)


def engine():
    import sqlalchemy as sa

    return sa.create_engine(os.environ["CKAN_SQLALCHEMY_URL"], poolclass=sa.pool.NullPool)


def fail(message: str, logs: Path) -> None:
    tails = "\n".join(f"--- {log.name}:\n{log.read_text(errors='replace')[-2000:]}"
                      for log in sorted(logs.glob("*.log")))
    sys.exit(f"{message}\n{tails}")


# -- the harvest ---------------------------------------------------------------------------

def listening(pids: set[int], redis_url: str) -> bool:
    """Whether every consumer of ``pids`` has beaten in Redis (it listens)."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    seen = {int(connection.hget(key, "pid") or 0) for key in connection.scan_iter("plusresilient:worker:*")}
    return pids <= seen


def time_harvest(ini: str, api_url: str, size: int, consumers: int, logs: Path, meter_services: dict) -> dict:
    import sqlalchemy as sa

    subprocess.run([sys.executable, harvest.__file__, "--reset", ini], check=True, capture_output=True)
    gather = start(["plusresilient", "harvest", "gather-consumer"], ini, logs / f"gather-{consumers}.log")
    fetch = [start(["plusresilient", "harvest", "fetch-consumer"], ini, logs / f"fetch-{consumers}-{n}.log")
             for n in range(consumers)]
    workers = [gather, *fetch]
    redis_url = os.environ.get("CKAN_REDIS_URL") or "redis://127.0.0.1:6380/1"
    try:
        deadline = time.monotonic() + 120
        while not listening({p.pid for p in workers}, redis_url):
            if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
                fail("the consumers did not start", logs)
            time.sleep(0.5)
        meter = CPUMeter({"gather": [psutil_of(gather)], "fetch": [psutil_of(p) for p in fetch],
                          **meter_services})
        driver = child_lines(["harvest", ini, api_url], logs / f"job-{consumers}.log")
        read_line(driver, "the harvest source")
        meter.start()
        job_id = read_line(driver, "harvest_job_create")["job"]
        driver.wait()
        db = engine()
        deadline = time.monotonic() + max(600, size)
        while True:
            with db.connect() as connection:
                gathered = connection.execute(sa.text("SELECT gather_finished IS NOT NULL FROM harvest_job "
                                                      "WHERE id = :id"), {"id": job_id}).scalar()
                states = dict(connection.execute(sa.text(
                    "SELECT state, count(*) FROM harvest_object WHERE harvest_job_id = :id GROUP BY state"),
                    {"id": job_id}).all())
            if gathered and states and set(states) <= {"COMPLETE", "ERROR"}:
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
                fail(f"harvest not done: gathered {gathered}, objects {states}", logs)
            time.sleep(0.5)
        used = meter.stop()
    finally:
        stop(workers)
    subprocess.run([sys.executable, __file__, "--child", "finish", ini], check=True, capture_output=True)
    with db.connect() as connection:
        titles = [t for (t,) in connection.execute(sa.text(
            "SELECT title FROM package WHERE type = 'dataset' AND state = 'active'"))]
        current = connection.execute(sa.text(
            "SELECT count(*), count(DISTINCT guid), count(DISTINCT package_id) FROM harvest_object "
            "WHERE harvest_job_id = :id AND current"), {"id": job_id}).one()
        status = connection.execute(sa.text("SELECT status FROM harvest_job WHERE id = :id"),
                                    {"id": job_id}).scalar()
        first_error = connection.execute(sa.text(
            "SELECT message FROM harvest_object_error e JOIN harvest_object o ON o.id = e.harvest_object_id "
            "WHERE o.harvest_job_id = :id LIMIT 1"), {"id": job_id}).scalar()
    expected = {harvest.portal_package(n)["title"] for n in range(size)}
    once = (len(titles) == len(set(titles)) == size and set(titles) == expected
            and tuple(current) == (size, size, size))  # one current object per dataset
    return {"seconds": used["wall"], "datasets": len(titles), "exactly_once": once, "objects": states,
            "job_status": status, "first_error": first_error, "cpu": used}


def psutil_of(process: subprocess.Popen):
    import psutil

    return psutil.Process(process.pid)


# -- the scorings --------------------------------------------------------------------------

def time_scoring(ini: str, count: int, how: str, workers_n: int, logs: Path, meter_services: dict) -> dict:
    import redis
    import rq
    import sqlalchemy as sa
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    db = engine()
    with db.connect() as connection:
        last_row = connection.execute(sa.text("SELECT coalesce(max(id), 0) FROM plusresilient_quality_history")
                                      ).scalar()
    redis_url = os.environ.get("CKAN_REDIS_URL") or "redis://127.0.0.1:6380/1"
    connection = redis.Redis.from_url(redis_url)
    enqueuer = child_lines(["enqueue", ini, str(count), how], logs / f"enqueue-{how}-{workers_n}.log")
    ckan_queue = read_line(enqueuer, "emptying the scoring queue")["ready"]
    workers = [start(["jobs", "worker", SCORING_QUEUE], ini, logs / f"worker-{how}-{workers_n}-{n}.log")
               for n in range(workers_n)]
    try:
        deadline = time.monotonic() + 120
        pids = {p.pid for p in workers}
        while not pids <= {w.pid for w in rq.Worker.all(connection=connection)}:
            if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
                fail("the RQ workers did not start", logs)
            time.sleep(0.5)
        meter = CPUMeter({"workers": [psutil_of(p) for p in workers], **meter_services})
        failed_registry = FailedJobRegistry(ckan_queue, connection=connection)
        failed_before = failed_registry.count
        enqueuer.stdin.write("go\n")
        enqueuer.stdin.flush()
        started = read_line(enqueuer, "the scoring's queue")["start"]
        meter.start()
        queued = read_line(enqueuer, "queueing the scorings")
        enqueuer.wait()
        queue = rq.Queue(ckan_queue, connection=connection)
        running = StartedJobRegistry(ckan_queue, connection=connection)
        deadline = time.monotonic() + max(900, count * 5)
        idle_polls = 0
        while idle_polls < 2:  # twice: a job just taken is in neither for a moment
            idle_polls = 0 if queue.count or running.count else idle_polls + 1
            if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
                fail(f"scoring not done: {queue.count} queued, {running.count} running", logs)
            time.sleep(0.2)
        used = meter.stop()
        used["wall"] = time.time() - started  # from the first job queued
        failed = failed_registry.count - failed_before
    finally:
        if enqueuer.poll() is None:
            enqueuer.kill()
        stop(workers)
    with db.connect() as connection_db:
        rows = connection_db.execute(sa.text(
            "SELECT package_id FROM plusresilient_quality_history WHERE id > :last"), {"last": last_row}).all()
        errors = connection_db.execute(sa.text(
            "SELECT count(*) FROM plusresilient_quality WHERE status = 'error' AND package_id = ANY(:ids)"),
            {"ids": queued["ids"]}).scalar()
    scored = [r[0] for r in rows]
    once = len(scored) == len(set(scored)) == len(queued["ids"]) and set(scored) == set(queued["ids"])
    return {"seconds": used["wall"], "count": len(queued["ids"]), "jobs": queued["jobs"], "failed_jobs": failed,
            "exactly_once": once, "scored": len(scored), "errors": errors, "cpu": used}


# -- the run -------------------------------------------------------------------------------

def ratio_line(what: str, results: dict[int, dict], unit: str) -> None:
    if len(results) < 2:
        return
    low, high = min(results), max(results)
    print(f"  {what}: {high} vs {low}: {results[low]['seconds'] / results[high]['seconds']:.2f}x "
          f"faster ({unit})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--scorings", type=int, default=2000, help="datasets rescored in chunks")
    parser.add_argument("--single", type=int, default=200,
                        help="datasets scored a job each, as after a harvest (0: skip)")
    parser.add_argument("--consumers", type=int, nargs="*", default=[1, 2],
                        help="fetch consumers of each harvest (none: score the datasets already there)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--logs", help="keep the processes' logs in this directory")
    parser.add_argument("--ini", default=str(ROOT / "test.ini"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--portal", nargs=2, metavar=("SIZE", "PORT_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.portal:
        return serve_portal(int(args.portal[0]), args.portal[1])
    if args.child:
        kind, ini, *rest = args.child
        if kind == "harvest":
            return child_harvest(ini, rest[0])
        if kind == "finish":
            return child_finish(ini)
        return child_enqueue(ini, int(rest[0]), rest[1])
    if "CKAN_SQLALCHEMY_URL" not in os.environ:
        sys.exit("Set CKAN_SQLALCHEMY_URL (and CKAN_SITE_ID) to a database the benchmark may wipe.")
    catalog.ensure_database(os.environ["CKAN_SQLALCHEMY_URL"])

    cores = os.cpu_count()
    print(f"{cores} CPUs; load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    services = service_processes()
    missing = [name for name, found in services.items() if not found]
    if missing:
        sys.exit(f"not found by their ports: {missing} (is the stack up, with the CKAN_* variables?)")
    with tempfile.TemporaryDirectory(prefix="scaleout-") as directory:
        logs = Path(args.logs or directory)
        logs.mkdir(parents=True, exist_ok=True)
        port_file = str(logs / "portal")
        portal = subprocess.Popen([sys.executable, __file__, "--portal", str(args.datasets), port_file])
        try:
            deadline = time.monotonic() + 120
            while not Path(port_file).exists() or not Path(port_file).read_text():
                if portal.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the imitation portal did not start")
                time.sleep(0.2)
            api_url = Path(port_file).read_text()
            ini = bench_ini(args.ini, urlsplit(api_url).netloc, directory)
            run(args, ini, api_url, logs, services)
        finally:
            portal.terminate()
            portal.wait()
    print(f"load average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)


def run(args: argparse.Namespace, ini: str, api_url: str, logs: Path, services: dict) -> None:
    harvests: dict[int, dict] = {}
    print(f"\nharvest of {args.datasets} datasets through the Redis queues "
          "(harvest_job_create -> gather consumer -> fetch consumers):", flush=True)
    for consumers in args.consumers:
        result = time_harvest(ini, api_url, args.datasets, consumers, logs, services)
        harvests[consumers] = result
        print(f"  {consumers} fetch consumer(s): {result['seconds']:7.1f} s  "
              f"{result['datasets'] / result['seconds']:6.1f} datasets/s  datasets {result['datasets']}  "
              f"each exactly once: {'yes' if result['exactly_once'] else 'NO'}  objects {result['objects']}  "
              f"job {result['job_status']}" + (f"  first error: {result['first_error']}" if result["first_error"]
                                               else ""), flush=True)
        print(cpu_line(result["cpu"], result["datasets"]), flush=True)
    ratio_line("harvest", harvests, "fetch consumers")

    for how, count, what in (("single", args.single, "a job per dataset, links and data checked "
                                                     "(as after a harvest)"),
                             ("chunks", args.scorings, "rescoring in chunks of 500, no checks "
                                                       "(quality score --all --no-links --no-data --queue)")):
        if not count:
            continue
        print(f"\nscoring of {min(count, args.datasets)} datasets, {what}:", flush=True)
        scorings: dict[int, dict] = {}
        for workers in args.workers:
            result = time_scoring(ini, count, how, workers, logs, services)
            scorings[workers] = result
            print(f"  {workers} RQ worker(s): {result['seconds']:7.1f} s  "
                  f"{result['count'] / result['seconds']:6.1f} datasets/s  ({result['jobs']} jobs)  "
                  f"each scored exactly once: {'yes' if result['exactly_once'] else 'NO'} "
                  f"({result['scored']} new scores of {result['count']} datasets)  "
                  f"stored as error: {result['errors']}  failed jobs: {result['failed_jobs']}", flush=True)
            print(cpu_line(result["cpu"], result["count"]), flush=True)
        ratio_line(f"scoring, {how}", scorings, "RQ workers")


if __name__ == "__main__":
    main()
