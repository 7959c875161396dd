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
