"""solr/'s launcher: READY once the core has loaded, one clear line otherwise.

Each test starts its own Solr (from the jars bin/stack built) on a free
loopback port with a throw-away Solr home, beside the suite's own Solr.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

import ckan

ROOT = Path(__file__).resolve().parents[2]
SOLR = ROOT / "solr"
CKAN_SCHEMA = Path(ckan.__file__).parent / "config" / "solr" / "schema.xml"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare_home(home: Path, schema: Path = CKAN_SCHEMA) -> Path:
    subprocess.run(["bash", str(SOLR / "prepare-home.sh"), str(home), str(schema)], check=True, capture_output=True)
    return home


def _launch(home: Path, port: int) -> subprocess.Popen:
    classpath = f"{SOLR / 'target' / 'classes'}:{(SOLR / 'target' / 'classpath.txt').read_text().strip()}"
    return subprocess.Popen(
        [
            "java",
            "-Xmx256m",
            "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=exclude,com.github.benmanes.caffeine.cache.BoundedLocalCache::put",
            "-cp",
            classpath,
            "org.plusresilient.solr.SolrLauncher",
            str(home),
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(solr: subprocess.Popen) -> str:
    line = solr.stdout.readline()  # the launcher prints nothing else on stdout
    assert line.startswith("READY"), (line, solr.stderr.read() if solr.poll() is not None else "")
    return line.split()[-1]


def _stop(solr: subprocess.Popen) -> int:
    solr.send_signal(signal.SIGTERM)
    return solr.wait(timeout=60)


@pytest.fixture
def solr_home(tmp_path):
    return _prepare_home(tmp_path / "solr-home")


def test_index_survives_a_restart(solr_home):
    port = _free_port()
    solr = _launch(solr_home, port)
    try:
        url = _wait_ready(solr)
        assert url == f"http://127.0.0.1:{port}/solr/ckan"
        doc = {"id": "d1", "index_id": "launcher-test-d1", "site_id": "launcher", "name": "survivor"}
        requests.post(f"{url}/update?commit=true", json=[doc], timeout=30).raise_for_status()
    finally:
        assert _stop(solr) == 0

    solr = _launch(solr_home, port)
    try:
        url = _wait_ready(solr)
        found = requests.get(f"{url}/select", params={"q": "name:survivor", "wt": "json"}, timeout=30).json()
        assert found["response"]["numFound"] == 1
        # the schema Solr serves is the installed ckan's, which CKAN checks at start
        served = requests.get(f"{url}/schema", params={"wt": "schema.xml"}, timeout=30).text
        assert f'name="ckan-{ckan.__version__.rsplit(".", 1)[0]}"' in served
    finally:
        assert _stop(solr) == 0
    assert (solr_home / "ckan" / "data" / "index").is_dir()


def test_port_in_use_is_one_clear_line(solr_home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        solr = _launch(solr_home, port)
        status = solr.wait(timeout=60)

    assert status != 0
    assert solr.stdout.read() == ""
    assert solr.stderr.read().strip().splitlines()[-1] == f"solr: port {port} on 127.0.0.1 is already in use"


def test_a_core_that_fails_to_load_stops_the_launcher(tmp_path):
    broken = tmp_path / "schema.xml"
    broken.write_text(CKAN_SCHEMA.read_text().replace('type="string"', 'type="no_such_type"', 1))
    home = _prepare_home(tmp_path / "solr-home", broken)
    port = _free_port()

    solr = _launch(home, port)
    status = solr.wait(timeout=120)

    assert status != 0
    errors = [line for line in solr.stderr.read().splitlines() if line.startswith("solr: ")]
    assert len(errors) == 1
    assert errors[0].startswith("solr: core ckan failed to load:")
    assert "no_such_type" in errors[0]
    with pytest.raises(requests.ConnectionError):  # nothing left listening
        requests.get(f"http://127.0.0.1:{port}/solr/", timeout=5)


def test_prepare_home_refreshes_config_and_keeps_the_index(solr_home, tmp_path):
    index_file = solr_home / "ckan" / "data" / "index" / "marker"
    index_file.parent.mkdir(parents=True)
    index_file.write_text("kept")
    newer = tmp_path / "schema.xml"
    newer.write_text(CKAN_SCHEMA.read_text().replace("<schema ", "<!-- refreshed -->\n<schema ", 1))

    _prepare_home(solr_home, newer)

    assert "<!-- refreshed -->" in (solr_home / "ckan" / "conf" / "schema.xml").read_text()
    assert index_file.read_text() == "kept"
    assert os.path.isfile(solr_home / "solr.xml")


# -- the 2-node SolrCloud (SolrCloudLauncher) --------------------------------------------

def _two_free_ports() -> int:
    """A port whose next one is free too: the cloud's nodes listen on PORT and PORT+1."""
    for _ in range(50):
        port = _free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def _launch_cloud(cloud_home: Path, port: int, configset: Path) -> subprocess.Popen:
    classpath = f"{SOLR / 'target' / 'classes'}:{(SOLR / 'target' / 'classpath.txt').read_text().strip()}"
    # stderr (Solr's own logging, much of it) into a file: a pipe nobody reads would fill
    log = open(cloud_home.parent / "cloud.log", "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        ["java", "-Xmx512m", "-XX:CompileCommand=quiet",
         "-XX:CompileCommand=exclude,com.github.benmanes.caffeine.cache.BoundedLocalCache::put",
         "-cp", classpath, "org.plusresilient.solr.SolrCloudLauncher", str(cloud_home), str(port), str(configset)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


def _wait_cloud_ready(solr: subprocess.Popen, cloud_home: Path) -> str:
    line = solr.stdout.readline()
    if not line.startswith("READY"):
        solr.wait(timeout=60)
        errors = [error for error in (cloud_home.parent / "cloud.log").read_text().splitlines()
                  if error.startswith("solr: ")]
        pytest.fail(f"no READY line (exit {solr.returncode}): {errors}")
    return line.split()[-1]


def _replica_states(port: int) -> list[tuple[str, str]]:
    status = requests.get(f"http://127.0.0.1:{port}/solr/admin/collections",
                          params={"action": "CLUSTERSTATUS", "wt": "json"}, timeout=30).json()
    shards = status["cluster"]["collections"]["ckan"]["shards"]
    return sorted((replica["node_name"], replica["state"])
                  for shard in shards.values() for replica in shard["replicas"].values())


def test_the_cloud_is_ready_with_every_replica_active_and_keeps_its_index_across_a_restart(solr_home, tmp_path):
    port = _two_free_ports()
    cloud_home = tmp_path / "cloud"
    nodes = [f"127.0.0.1:{port}_solr", f"127.0.0.1:{port + 1}_solr"]
    solr = _launch_cloud(cloud_home, port, solr_home / "ckan" / "conf")
    try:
        url = _wait_cloud_ready(solr, cloud_home)
        assert url == f"http://127.0.0.1:{port}/solr/ckan"
        # READY only once both shards have an active replica on each node
        assert _replica_states(port) == sorted([(node, "active") for node in nodes] * 2)
        doc = {"id": "c1", "index_id": "cloud-test-c1", "site_id": "launcher", "name": "cloud-survivor"}
        requests.post(f"{url}/update?commit=true", json=[doc], timeout=30).raise_for_status()
    finally:
        assert _stop(solr) == 0

    solr = _launch_cloud(cloud_home, port, solr_home / "ckan" / "conf")
    try:
        _wait_cloud_ready(solr, cloud_home)
        assert _replica_states(port) == sorted([(node, "active") for node in nodes] * 2)
        for node_port in (port, port + 1):  # the collection was found again, not created empty
            found = requests.get(f"http://127.0.0.1:{node_port}/solr/ckan/select",
                                 params={"q": "name:cloud-survivor", "wt": "json"}, timeout=30).json()
            assert found["response"]["numFound"] == 1
    finally:
        assert _stop(solr) == 0
    assert sorted(path.name for path in cloud_home.iterdir()) == ["configset", "control", "node1", "node2", "zookeeper"]


def test_the_cloud_needs_both_of_its_ports(solr_home, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        second = taken.getsockname()[1]
        solr = subprocess.Popen(
            ["java", "-cp", f"{SOLR / 'target' / 'classes'}:{(SOLR / 'target' / 'classpath.txt').read_text().strip()}",
             "org.plusresilient.solr.SolrCloudLauncher", str(tmp_path / "cloud"), str(second - 1),
             str(solr_home / "ckan" / "conf")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        status = solr.wait(timeout=60)

    assert status == 3
    assert solr.stdout.read() == ""
    assert solr.stderr.read().strip().splitlines()[-1] == f"solr: port {second} on 127.0.0.1 is already in use"
