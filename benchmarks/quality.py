"""Quality checks: speed and memory of the data check against a bare
``frictionless.validate(path)`` of the same file, in the same run; and the
metadata score's speed. Not a test: it prints.

    .venv/bin/python benchmarks/quality.py            # 200,000 rows x 8 columns; a 200 MB CSV
    .venv/bin/python benchmarks/quality.py --quick    # 20,000 rows; a 20 MB CSV
    .venv/bin/python benchmarks/quality.py --metadata-only --rdf test.ini
                                                      # the metadata score: dict and RDF paths

Ours downloads the file from a loopback server (it always downloads), sniffs
it and validates it in its child process; the raw validate reads the local
file. Our limits are raised for these runs so that the whole file is
checked. Peak memory is measured in child processes, each checking or
validating once: for ours, the checking process and its validator apart.
No service of the stack is needed, except for the RDF path (--rdf: CKAN renders
the RDF, and its profiles read the database).
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ckanext.plusresilient.quality.data import DataLimits, check_data  # noqa: E402
from ckanext.plusresilient.safe_http import HttpPolicy, SafeSession  # noqa: E402

MB = 1024 * 1024
HEADER = "id,name,city,amount,ratio,day,flag,code\n"
#: Ours checks everything in these runs: no row limit, no early stop.
WHOLE_FILE = DataLimits(max_bytes=250 * MB, max_rows=10 ** 9, max_errors=1000,
                        max_seconds=3600, max_memory=4096 * MB)
TARGET_RATIO = 0.8
#: datasets per second the dict scorer must keep (issue: the fast path)
METADATA_TARGET = 2_000


def write_csv(path: Path, *, rows: int | None = None, size: int | None = None) -> int:
    """A typed CSV of ``rows`` rows, or of at least ``size`` bytes; its row count."""
    rng = random.Random(8)
    cities = ("Bari", "Città di Castello", "Lecce", "Taranto", "Matera", "Potenza")
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(HEADER)
        while (rows is not None and written < rows) or (size is not None
                                                         and file.tell() < size):
            i = written
            file.write(f"{i},name {i},{cities[i % 6]},{rng.randint(0, 10 ** 6)},"
                       f"{rng.random():.4f},2024-{1 + i % 12:02d}-{1 + i % 28:02d},"
                       f"{'true' if i % 2 else 'false'},C{i % 997}\n")
            written += 1
    return written


class FileServer:
    """Serves one directory's files on 127.0.0.1, from disk, with a Content-Length."""

    def __init__(self, directory: Path):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = directory / self.path.lstrip("/")
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                with open(path, "rb") as file:
                    shutil.copyfileobj(file, self.wfile, 1 * MB)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ours(url: str) -> dict[str, Any]:
    policy = HttpPolicy(timeout=60, retries=0, allowed_private_networks=(urlsplit(url).netloc,))
    with SafeSession(policy) as http:
        started = time.perf_counter()
        report = check_data(url, format="CSV", media_type="text/csv", table_schema=None,
                            http=http, limits=WHOLE_FILE)
        seconds = time.perf_counter() - started
    if report.status != "valid" or report.partial:
        sys.exit(f"our check did not validate the whole file: {report.to_dict()}")
    return {"seconds": seconds, "rows": report.rows, "bytes": report.bytes}


def raw(path: Path) -> dict[str, Any]:
    import frictionless

    started = time.perf_counter()
    report = frictionless.validate(path.name, basepath=str(path.parent))
    seconds = time.perf_counter() - started
    if not report.valid:
        sys.exit(f"frictionless found errors: {report.flatten(['type', 'note'])[:3]}")
    return {"seconds": seconds, "rows": report.tasks[0].stats["rows"]}


def own_peak_rss_mb() -> float:
    """This process's peak RSS since it started its program. Not ru_maxrss:
    Linux carries that over from the parent at fork and exec, so a child
    would report at least its parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(contender: str, target: str) -> dict[str, Any]:
    """In a child process: one check, and the peak memory it took. Ours
    validates in a process of its own: its peak is RUSAGE_CHILDREN's (an
    upper bound: at least this process's RSS when it started it)."""
    result = ours(target) if contender == "ours" else raw(Path(target))
    result["rss_mb"] = own_peak_rss_mb()
    result["children_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def in_child(contender: str, target: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", contender, target],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{contender} child failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_throughput(workdir: Path, server: FileServer, rows: int, repeat: int) -> None:
    path = workdir / "throughput.csv"
    write_csv(path, rows=rows)
    size = path.stat().st_size
    print(f"data check speed: {rows:,} rows x 8 columns, {size / MB:.1f} MB "
          f"(best of {repeat})", flush=True)
    import frictionless  # noqa: F401 - imported before timing: raw is validation alone

    best_ours = best_raw = float("inf")
    for _ in range(repeat):  # alternated, so that drift hits both alike
        best_raw = min(best_raw, raw(path)["seconds"])
        best_ours = min(best_ours, ours(server.url(path.name))["seconds"])
    tiny = workdir / "one-row.csv"
    write_csv(tiny, rows=1)
    fixed = min(ours(server.url(tiny.name))["seconds"] for _ in range(repeat))
    raw_speed, our_speed = rows / best_raw, rows / best_ours
    print(f"  raw frictionless.validate(path) {best_raw:7.2f} s  {raw_speed:9,.0f} rows/s "
          "(in this process, frictionless already imported)")
    print(f"  ours check_data(url)            {best_ours:7.2f} s  {our_speed:9,.0f} rows/s "
          f"(download, sniff and a validator process included)")
    print(f"  ours on a one-row CSV           {fixed:7.2f} s  (the fixed cost of a check: "
          "mostly starting the validator and importing frictionless)")
    verdict = "met" if our_speed / raw_speed >= TARGET_RATIO else "MISSED"
    print(f"  ratio ours/raw speed {our_speed / raw_speed:.2f} "
          f"(target >= {TARGET_RATIO}: {verdict})", flush=True)


def bench_memory(workdir: Path, server: FileServer, megabytes: int) -> None:
    path = workdir / "memory.csv"
    rows = write_csv(path, size=megabytes * MB)
    size = path.stat().st_size
    print(f"peak memory: one {size / MB:.0f} MB CSV ({rows:,} rows), each in a child process",
          flush=True)
    bare = in_child("raw", str(path))
    print(f"  raw frictionless.validate(path)  peak RSS {bare['rss_mb']:6.0f} MB  "
          f"({bare['seconds']:.1f} s)", flush=True)
    mine = in_child("ours", server.url(path.name))
    print(f"  ours check_data(url)             peak RSS {mine['children_rss_mb']:6.0f} MB in "
          f"the validator, {mine['rss_mb']:.0f} MB in the checking process "
          f"({mine['seconds']:.1f} s)")
    print(f"  ratio ours/raw peak RSS {mine['children_rss_mb'] / bare['rss_mb']:.2f} "
          f"(validator); the temporary copy on disk is {mine['bytes'] / MB:.0f} MB",
          flush=True)


def bench_metadata_speed(datasets: int, ini: str | None) -> None:
    """The fast path (the dict scorer, target 2,000 datasets/s or more) and,
    with a CKAN ini, the RDF path beside it (ckanext-dcat rendering, then
    ``quality.rdf.score_graph``)."""
    from benchmarks.quality_metadata import bench_metadata, bench_rdf, print_rdf

    result = bench_metadata(datasets)
    verdict = "meets" if result["datasets_per_s"] >= METADATA_TARGET else "MISSES"
    print(f"metadata score: {result['datasets_per_s']:,} datasets/s "
          f"({result['datasets']:,} in {result['seconds']} s; {verdict} the target of "
          f"{METADATA_TARGET:,}/s); {result.get('baseline', 'baseline')} "
          f"{result['baseline_per_s']:,}/s; ratio {result['ratio']}", flush=True)
    if ini:
        print_rdf(bench_rdf(min(datasets, 2_000), ini))
    else:
        print("metadata score from the RDF: not measured (--rdf INI, with bin/stack up)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--rdf", metavar="INI",
                        help="also score from the RDF, rendered by CKAN with this ini "
                             "(its database must answer: bin/stack up)")
    parser.add_argument("--metadata-only", action="store_true",
                        help="skip the data check runs")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "TARGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    rows, megabytes, datasets, repeat = ((20_000, 20, 2_000, 1) if args.quick
                                         else (200_000, 200, 20_000, 3))
    if not args.metadata_only:
        with tempfile.TemporaryDirectory(prefix="plusresilient-bench-") as directory:
            workdir = Path(directory)
            server = FileServer(workdir)
            try:
                bench_memory(workdir, server, megabytes)  # first: children fork a small parent
                bench_throughput(workdir, server, rows, repeat)
            finally:
                server.close()
    bench_metadata_speed(datasets, args.rdf)


if __name__ == "__main__":
    main()
