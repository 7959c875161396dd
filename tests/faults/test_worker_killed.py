"""An RQ worker killed (SIGKILL) while its job checks a 200 MB CSV.

``ckan jobs worker`` forks a work horse per job (RQ, in a process group of
its own), and the data check runs the download in the horse and frictionless
in a child of it. A SIGKILL reaches the worker alone: the horse must not
live on as an orphan still downloading, and the dataset must be scored
afterwards, once, by the worker started in its place (as a supervisor
would). The file is made while it is sent, 1 MB at a time, throttled until
the kill so that it lands in the middle of the download.

The kill may land while frictionless validates instead: the validating
child of the process checking the file must not outlive it either.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ckanext.plusresilient import config, jobs
from ckanext.plusresilient.model import Quality
from tests.factories import SVRCDataset
from tests.faults.harvests import allowing, scorings_stored
from tests.loopback_http import Server
from tests.workers import wait_until

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

MB = 1024 * 1024
SIZE = 200 * MB
ROW = b"1,cooperativa sociale,42\n"


def big_csv():
    """200 MB of CSV (SIZE bytes exactly), made while it is sent."""
    head = b"id,name,amount\n"
    block = ROW * (MB // len(ROW))
    yield head
    sent = len(head)
    while sent < SIZE:
        rows = block[:(SIZE - sent) // len(ROW) * len(ROW)] or ROW[:SIZE - sent]
        sent += len(rows)
        yield rows


def children(pid: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid and stat[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def downloading_from(port: int) -> set[int]:
    """The processes with a TCP connection open to 127.0.0.1:``port`` (the
    client side), from /proc/net/tcp and each process's descriptors."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == "01":  # ESTABLISHED
            inodes.add(f"socket:[{fields[9]}]")
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def started_from(ini: Path) -> set[int]:
    """The live processes whose command line names ``ini``."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(ini).encode() in (entry / "cmdline").read_bytes() \
                    and alive(int(entry.name)):
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def test_the_horse_dies_with_its_worker_and_the_dataset_is_scored_after(
        start_worker, scoring_queue, tmp_path):
    with_size = Server()
    slow = threading.Event()  # 25 MB/s while the first worker downloads, then full speed
    slow.set()

    @with_size.route("/big.csv")
    def send(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.send_header("Content-Length", str(SIZE))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        for chunk in big_csv():
            if slow.is_set() and with_size.stopping.wait(0.04):
                break
            handler.wfile.write(chunk)
            with_size.sent["/big.csv"] += len(chunk)

    url = with_size.url("/big.csv")
    options = {**allowing(with_size.url("/")), "ckanext.plusresilient.quality.max_bytes": str(300 * MB),
               "ckanext.plusresilient.quality.max_seconds": "60"}
    try:
        dataset = SVRCDataset(resources=[{"url": url, "format": "CSV", "mimetype": "text/csv"}])["id"]
        first = start_worker("jobs-killed", ["jobs", "worker", config.quality_queue()], options=options)
        jobs.enqueue_scoring(dataset)
        wait_until(lambda: with_size.sent["/big.csv"] >= 30 * MB, 60, "the download under way", (first,))
        downloading = downloading_from(with_size.port)
        assert downloading and all(pid in children(first.pid) for pid in downloading)
        (horse,) = downloading

        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        wait_until(lambda: not alive(horse) and not downloading_from(with_size.port), 3,
                   f"the work horse {horse} gone with its worker, the download with it")
        sent = with_size.sent["/big.csv"]
        time.sleep(1)
        assert with_size.sent["/big.csv"] == sent < SIZE  # the rest of the file is never sent
        # What outlives the worker is RQ's scheduler process (forked in the
        # worker's process group, which a supervisor's killasgroup reaches;
        # the horse is in a group of its own): it downloads nothing.
        leftovers = started_from(tmp_path / "jobs-killed.ini")
        assert horse not in leftovers and len(leftovers) <= 1, leftovers
        slow.clear()
        assert scorings_stored([dataset]) == {dataset: 0}

        second = start_worker("jobs-after", ["jobs", "worker", config.quality_queue()], options=options)
        wait_until(lambda: scorings_stored([dataset])[dataset], 90, "the dataset scored by the new worker",
                   (second,))
        time.sleep(1)
        assert scorings_stored([dataset]) == {dataset: 1}
        report = Quality.get(dataset)
        assert report.status == "scored" and report.data_score == 100, report.report[:500]
    finally:
        for pid in started_from(tmp_path / "jobs-killed.ini"):
            os.kill(pid, signal.SIGKILL)
        with_size.close()


# The process checking a file (the horse) killed while frictionless validates
# it in a child: the child goes too, instead of reading on for nobody.
CHECKING = """\
import sys, time
from ckanext.plusresilient.quality.data.check import _validate_in_child
from ckanext.plusresilient.quality.data.report import DataLimits
limits = DataLimits(max_rows=10_000_000, max_errors=10_000_000, max_seconds=300)
_validate_in_child(sys.argv[1], "csv", None, "utf-8", limits, time.monotonic() + 300)
"""


def test_the_validator_dies_with_the_process_checking(tmp_path):
    from ckanext.plusresilient.quality.data.check import DOWNLOAD_NAME

    with open(tmp_path / DOWNLOAD_NAME, "wb") as file:  # a million rows: many seconds of frictionless
        file.write(b"id,name,amount\n")
        file.write(ROW * 1_000_000)
    checking = subprocess.Popen([sys.executable, "-c", CHECKING, str(tmp_path)], cwd=tmp_path)
    validators: set[int] = set()
    try:
        validators = wait_until(lambda: children(checking.pid), 30, "the validator started")
        (validator,) = validators
        time.sleep(1)  # frictionless at work
        assert alive(validator)
        checking.kill()
        checking.wait(10)
        wait_until(lambda: not alive(validator), 3, f"the validator {validator} gone with its parent")
    finally:
        checking.kill()
        for pid in validators:  # still there if the test failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
