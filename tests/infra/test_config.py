"""The typed getters over the suite's options."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ckanext.plusresilient import config
from tests.loopback_http import server  # noqa: F401 - fixture

OPTION = "ckanext.plusresilient.http.allowed_private_networks"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.ckan_config(OPTION, "127.0.0.1:5001 10.0.0.0/8:443")
def test_allowances_set_at_runtime_as_text_are_split_into_entries():
    assert config.http_policy().allowed_private_networks == ("127.0.0.1:5001", "10.0.0.0/8:443")


def test_the_test_config_allows_only_the_servers_running_now(server):
    """test.ini allows nothing; an imitation server allows its own port."""
    assert config.http_policy().allowed_private_networks == (f"127.0.0.1:{server.port}",)


@pytest.mark.ckan_config(OPTION, "127.0.0.1/32")
def test_an_allowance_without_a_port_is_refused():
    with pytest.raises(ValueError, match="names no port"):
        config.http_policy()


def test_ckan_refuses_to_start_with_an_allowance_without_a_port(tmp_path):
    """What the demo used to ship (127.0.0.1/32) must stop CKAN at startup
    with a message, not open every port of the machine."""
    ini = tmp_path / "portal.ini"
    ini.write_text(f"[app:main]\nuse = config:{ROOT / 'test.ini'}\n{OPTION} = 127.0.0.1/32\n")
    ckan = Path(sys.executable).with_name("ckan")
    result = subprocess.run([str(ckan), "-c", str(ini), "config", "search", "ckan.site_id"],
                            capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert result.returncode != 0
    assert "'127.0.0.1/32' names no port" in result.stderr
    assert "127.0.0.1:5001" in result.stderr
