"""The typed getters over the suite's options."""
from __future__ import annotations

import pytest

from ckanext.plusresilient import config


@pytest.mark.ckan_config("ckanext.plusresilient.http.allowed_private_networks", "127.0.0.0/8 10.0.0.0/8")
def test_private_networks_set_at_runtime_as_text_are_split_into_networks():
    assert config.http_policy().allowed_private_networks == ("127.0.0.0/8", "10.0.0.0/8")


def test_private_networks_from_the_ini_file():
    assert config.http_policy().allowed_private_networks == ("127.0.0.0/8",)
