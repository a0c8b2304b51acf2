"""The fault tests' cluster: three KRaft nodes, each behind a `FaultProxy` that clients reach
through the brokers' EXTERNAL listener (advertised at the proxy's port, so every connection a
client opens after bootstrap goes through a proxy too). Brokers replicate over PLAINTEXT,
untouched by the faults."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from fault_proxy import FaultProxy

from ferrokafka.testing import KafkaCluster, KafkaNode


@dataclass
class ProxiedCluster:
    cluster: KafkaCluster
    #: By node id.
    proxies: dict[int, FaultProxy]

    @property
    def bootstrap_servers(self) -> str:
        """Through the proxies."""
        return self.cluster.external_bootstrap_servers

    def node(self, node_id: int) -> KafkaNode:
        return next(n for n in self.cluster.nodes if n.node_id == node_id)

    def create_topic(self, stem: str, partitions: int = 3) -> str:
        name = f"{stem}-{uuid.uuid4().hex[:8]}"
        return self.cluster.create_topic(name, partitions, 3, {"min.insync.replicas": "2"})

    def leaders(self, topic: str) -> dict[int, int]:
        """Partition → leader node id, as the cluster reports it now."""
        described = self.cluster.describe_topics([topic])[topic]
        return {p.partition: p.leader for p in described.partitions}

    def leader_proxy(self, topic: str, partition: int = 0) -> FaultProxy:
        return self.proxies[self.leaders(topic)[partition]]

    def heal(self) -> None:
        """Faithful proxies, every node running and in every ISR."""
        for proxy in self.proxies.values():
            proxy.clear_faults()
            proxy.accept()
        stopped = [n for n in self.cluster.nodes if not n.is_running]
        for node in stopped:
            node.start(wait=False)
        for node in stopped:
            node.wait_ready(timeout=90)
        if stopped:
            self.wait_for_full_isr(timeout=90)

    def wait_for_full_isr(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                described = self.cluster.describe_topics()
            except Exception:  # librdkafka errors while brokers come back
                described = {}
            else:
                if all(
                    p.leader >= 0 and len(p.isr) == len(p.replicas)
                    for topic in described.values()
                    for p in topic.partitions
                ):
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"ISRs not full after {timeout:g} s: {described}")
            time.sleep(0.2)
