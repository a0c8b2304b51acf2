"""Fixtures of the fault tests: the proxied three-node cluster (see `proxied_cluster`), started
once for the package, and healed (faithful proxies, every node running) around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_proxy import FaultProxy
from proxied_cluster import ProxiedCluster

from ferrokafka.testing import KafkaCluster


@pytest.fixture(scope="package")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedCluster]:
    proxies = {node_id: FaultProxy(name=f"node-{node_id}") for node_id in (1, 2, 3)}
    cluster = KafkaCluster(
        3,
        workdir=tmp_path_factory.mktemp("kafka-proxied", numbered=True),
        external_advertised_ports=[proxies[n].port for n in (1, 2, 3)],
    )
    try:
        cluster.start()
        for node in cluster.nodes:
            assert node.external_port is not None
            proxies[node.node_id].upstream = ("127.0.0.1", node.external_port)
        yield ProxiedCluster(cluster, proxies)
    finally:
        cluster.stop()
        for proxy in proxies.values():
            proxy.close()


@pytest.fixture
def faults(proxied: ProxiedCluster) -> Iterator[ProxiedCluster]:
    """The proxied cluster, healed after the test whatever it did."""
    proxied.heal()
    yield proxied
    proxied.heal()
