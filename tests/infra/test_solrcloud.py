"""CKAN on the 2-node SolrCloud `SOLR=cloud bin/stack` starts (solr/'s SolrCloudLauncher).

The collection `ckan` has two shards, each with one replica on each node, so either
node alone holds the whole index. CKAN's solr_url names node 1; a node is stopped and
started again through the launcher's control files (its Javadoc), in the running JVM.

These tests run only when the suite runs on the cloud (`make test SOLR=cloud`): on the
standalone Solr, Solr's CLUSTERSTATUS answers that it is not in SolrCloud mode.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SolrConnectionError
from ckan.tests.helpers import call_action

from tests.factories import Cluster, SVRCDataset

COLLECTION = "ckan"
WAIT_SECONDS = 90  # a node stops in 1-2 s and is back, replicas active, in 3-10 s


def _solr_url() -> str:
    return tk.config["solr_url"].rstrip("/")


def _node_base(port_offset: int = 0) -> str:
    """The Solr root of node 1 (CKAN's URL) or, with offset 1, of node 2."""
    parts = urlsplit(_solr_url())
    return f"{parts.scheme}://{parts.hostname}:{parts.port + port_offset}/solr"


def _cluster_status() -> dict[str, Any]:
    answer = requests.get(f"{_node_base()}/admin/collections",
                          params={"action": "CLUSTERSTATUS", "collection": COLLECTION, "wt": "json"},
                          timeout=30)
    answer.raise_for_status()
    return answer.json()["cluster"]


def _in_cloud() -> bool:
    try:
        return COLLECTION in _cluster_status()["collections"]
    except (requests.RequestException, KeyError, ValueError):
        return False


@pytest.fixture(scope="module", autouse=True)
def cloud() -> None:
    if not _in_cloud():
        pytest.skip("the suite runs on standalone Solr: these tests need the SolrCloud "
                    "(make test SOLR=cloud, or SOLR=cloud bin/stack test)")


def _control_dir() -> Path:
    """The launcher's control folder: beside node 1's home, which Solr reports."""
    info = requests.get(f"{_node_base()}/admin/info/system", params={"wt": "json"}, timeout=30).json()
    return Path(info["solr_home"]).parent / "control"


def _wait(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"still waiting after {WAIT_SECONDS} s for {what}"
        time.sleep(0.25)


def _all_active() -> bool:
    """Both nodes live, and every replica of the collection active on one of them."""
    try:
        status = _cluster_status()
    except requests.RequestException:
        return False
    shards = status["collections"][COLLECTION]["shards"]
    replicas = [replica for shard in shards.values() for replica in shard["replicas"].values()]
    return len(status["live_nodes"]) == 2 and len(replicas) == 4 and all(
        replica["state"] == "active" for replica in replicas)


def _node_state(control: Path, node: int) -> str:
    path = control / f"node{node}.state"
    return path.read_text().strip() if path.exists() else ""


@pytest.fixture
def node_down() -> Iterator[Callable[[int], None]]:
    """Stops a node for the test; whatever the test does, both run again after it."""
    control = _control_dir()  # read from node 1 while it runs
    stopped: list[int] = []

    def stop(node: int) -> None:
        (control / f"stop-node{node}").touch()
        stopped.append(node)
        _wait(f"node {node} to stop", lambda: _node_state(control, node) == "down")

    yield stop
    for node in stopped:
        (control / f"stop-node{node}").unlink(missing_ok=True)
    if stopped:
        _wait("the nodes to start and their replicas to recover", _all_active)


def _shard_cores(port_offset: int) -> dict[str, str]:
    """Shard name -> the core of that shard's replica on the given node."""
    shards = _cluster_status()["collections"][COLLECTION]["shards"]
    node_name = urlsplit(_node_base(port_offset)).netloc + "_solr"
    return {shard: replica["core"]
            for shard, body in shards.items()
            for replica in body["replicas"].values() if replica["node_name"] == node_name}


def _count_in_core(port_offset: int, core: str, query: str) -> int:
    answer = requests.get(f"{_node_base(port_offset)}/{core}/select",
                          params={"q": query, "rows": 0, "distrib": "false", "wt": "json"}, timeout=30)
    answer.raise_for_status()
    return answer.json()["response"]["numFound"]


@pytest.fixture
def catalog(clean_db, clean_index) -> list[dict[str, Any]]:
    veneto = Cluster(name="svrc-veneto")
    andalucia = Cluster(name="svrc-andalucia", country="ES", region="ES61")
    records = [
        SVRCDataset(owner_org=veneto["id"], title=f"Care services in Veneto {n}",
                    svrc_scenario=["public-services"], country="IT", region="ITH3")
        for n in range(4)
    ] + [
        SVRCDataset(owner_org=andalucia["id"], title=f"Social enterprises in Andalucia {n}",
                    svrc_scenario=["social-smes"], country="ES", region="ES61")
        for n in range(4)
    ]
    return records


def _search_through_ckan() -> dict[str, Any]:
    return call_action("package_search", fq="+dataset_type:dataset", rows=100, **{
        "facet.field": '["vocab_svrc_scenario", "vocab_country"]'})


def test_the_collection_has_two_shards_of_two_active_replicas_on_two_nodes():
    status = _cluster_status()
    node1, node2 = (urlsplit(_node_base(offset)).netloc + "_solr" for offset in (0, 1))
    assert sorted(status["live_nodes"]) == sorted([node1, node2])
    shards = status["collections"][COLLECTION]["shards"]
    assert sorted(shards) == ["shard1", "shard2"]
    for shard in shards.values():
        replicas = list(shard["replicas"].values())
        assert sorted(replica["node_name"] for replica in replicas) == sorted([node1, node2])
        assert [replica["state"] for replica in replicas] == ["active", "active"]
        assert sum(replica.get("leader") == "true" for replica in replicas) == 1
    # the configset is CKAN's own schema, which CKAN checks at start
    served = requests.get(f"{_solr_url()}/schema", params={"wt": "schema.xml"}, timeout=30).text
    assert 'name="ckan-' in served


@pytest.mark.usefixtures("with_plugins")
def test_ckan_indexes_and_finds_datasets_with_facets_through_the_cloud(catalog):
    result = _search_through_ckan()

    assert result["count"] == 8
    assert {record["name"] for record in result["results"]} == {record["name"] for record in catalog}
    assert result["facets"]["vocab_svrc_scenario"] == {"public-services": 4, "social-smes": 4}
    assert result["facets"]["vocab_country"] == {"IT": 4, "ES": 4}
    # the datasets are split between the shards, and each node holds all of them
    for offset in (0, 1):
        per_shard = [_count_in_core(offset, core, "dataset_type:dataset")
                     for core in _shard_cores(offset).values()]
        assert len(per_shard) == 2
        assert sum(per_shard) == 8, per_shard


@pytest.mark.usefixtures("with_plugins")
def test_with_node_2_stopped_ckan_searches_and_indexes_and_node_2_catches_up(catalog, node_down):
    node_down(2)

    result = _search_through_ckan()
    assert result["count"] == 8
    assert result["facets"]["vocab_country"] == {"IT": 4, "ES": 4}
    # writes go on too: each shard's replica on node 1 is its leader now
    late = SVRCDataset(owner_org=catalog[0]["owner_org"], title="Indexed while node 2 was down",
                       country="IT", svrc_scenario=["public-services"])
    assert call_action("package_search", q=f'name:"{late["name"]}"')["count"] == 1

    (_control_dir() / "stop-node2").unlink()
    _wait("node 2 to start and its replicas to recover", _all_active)

    assert _search_through_ckan()["count"] == 9
    # node 2's own replicas recovered what was indexed while it was down
    on_node2 = sum(_count_in_core(1, core, f'name:"{late["name"]}"') for core in _shard_cores(1).values())
    assert on_node2 == 1


@pytest.mark.usefixtures("with_plugins")
def test_with_node_1_stopped_ckans_url_fails_and_node_2_still_answers(catalog, node_down):
    """CKAN's solr_url names one node: with that node down CKAN's search fails, though
    the other node holds the whole index. A load balancer in front of the nodes (or a
    ZooKeeper-aware client) is what a production site puts between them."""
    node_down(1)

    with pytest.raises(SolrConnectionError):
        _search_through_ckan()
    answer = requests.get(f"{_node_base(1)}/{COLLECTION}/select",
                          params={"q": "dataset_type:dataset", "rows": 0, "wt": "json"}, timeout=30)
    assert answer.json()["response"]["numFound"] == 8
