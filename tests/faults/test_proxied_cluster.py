"""`KafkaCluster(external_advertised_ports=...)`, the harness option the fault tests stand on:
each broker advertises its EXTERNAL listener at the given (proxy) address, so a client
bootstrapped there reaches every broker through the proxies, while the PLAINTEXT listener
(replication, the harness's own clients) is left as it was."""

from __future__ import annotations

import kafka_wire as wire
import pytest
from proxied_cluster import ProxiedCluster

from ferrokafka.cluster import describe_cluster
from ferrokafka.testing import KafkaCluster


def test_one_port_per_node_is_required() -> None:
    with pytest.raises(ValueError, match="one port per node"):
        KafkaCluster(3, external_advertised_ports=[9092])


def test_no_external_listener_by_default() -> None:
    with pytest.raises(ValueError, match="external_advertised_ports"):
        _ = KafkaCluster(1).external_bootstrap_servers


async def test_brokers_advertise_the_proxies(faults: ProxiedCluster) -> None:
    through_proxies = await describe_cluster(faults.bootstrap_servers)
    assert {b.node_id: b.port for b in through_proxies.brokers} == {
        node_id: proxy.port for node_id, proxy in faults.proxies.items()
    }
    direct = await describe_cluster(faults.cluster.bootstrap_servers)
    assert {b.node_id: b.port for b in direct.brokers} == {
        node.node_id: node.port for node in faults.cluster.nodes
    }
    assert sum(p.stats.requests[wire.METADATA] for p in faults.proxies.values()) >= 1
