"""``ckan plusresilient demo serve`` and the failure paths of ``demo load``
(the successful load is in test_load.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests.helpers import call_action

from tests.loopback_http import allowing


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_until_stopped(ckan_config):
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("ckan")), "-c", ckan_config["__file__"],
         "plusresilient", "demo", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/ckan/api/3/action/package_list", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the sample portals did not start"
                time.sleep(0.3)
        assert answer.status_code == 200 and len(answer.json()["result"]) == 7
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

    assert process.returncode == 0, output
    assert f"sample portals on http://127.0.0.1:{port}" in output
    assert f"socrata  http://127.0.0.1:{port}/" in output
    assert output.rstrip().endswith("sample portals stopped")


def test_serve_names_a_port_already_taken(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli.invoke(ckan_cli, ["plusresilient", "demo", "serve", "--port", str(port)])

    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_load_without_the_sample_portals_says_what_failed_and_exits_1(cli):
    url = f"http://127.0.0.1:{_free_port()}"   # allowed, but nothing listens there

    with allowing(url):
        result = cli.invoke(ckan_cli, ["plusresilient", "demo", "load", "--portals-url", url])

    assert result.exit_code == 1, result.output
    assert "clusters: created 8, updated 0, unchanged 0" in result.output
    assert "harvest sample-ckan-istria: created 0, updated 0, unchanged 0, deleted 0, errors 1" in result.output
    assert "error: harvest sample-socrata-lombardia: " in result.output
    assert ("error: use case benchlearning-across-the-network: not loaded, the harvest did not bring "
            "'Cooperative sociali iscritte all'albo regionale' of the sample socrata portal") in result.output
    assert call_action("package_search", fq="+dataset_type:use-case")["count"] == 0
    # what did load is there (training material is not scored, and no dataset came)
    assert call_action("package_search", fq="+dataset_type:training")["count"] == 8
    assert "quality: scoring 0 of 0 datasets" in result.output


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_load_from_a_port_the_portal_does_not_allow_is_refused_at_once(cli):
    """The configuration names the one port the sample portals are allowed on:
    any other is refused before anything is loaded, saying what to allow."""
    port = _free_port()

    result = cli.invoke(ckan_cli, ["plusresilient", "demo", "load", "--portals-url",
                                   f"http://127.0.0.1:{port}"])

    assert result.exit_code == 1, result.output
    assert "the sample portals cannot be harvested" in result.output
    assert f"add 127.0.0.1:{port} to ckanext.plusresilient.http.allowed_private_networks" in result.output
    assert call_action("organization_list") == []

