"""`describe_cluster`: what a Kafka cluster says about itself, without a producer.

    >>> description = await describe_cluster("localhost:9092", topics=["orders"])
    >>> description.topics["orders"].partitions[0].leader
    1

Works under asyncio and trio.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import anyio

from ferrokafka._address import parse_bootstrap_servers
from ferrokafka._connect import connect_any
from ferrokafka._connection import NoResponseError
from ferrokafka._native import TopicMetadata
from ferrokafka._requests import ApiKey, metadata_request

__all__ = [
    "BrokerInfo",
    "ClusterDescription",
    "PartitionDescription",
    "TopicDescription",
    "describe_cluster",
]


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None


@dataclass(frozen=True, slots=True)
class PartitionDescription:
    partition: int
    #: Node id of the leader; ``None`` while the partition has none.
    leader: int | None
    #: ``None`` if the broker does not report epochs.
    leader_epoch: int | None
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    #: The broker's error for this partition (e.g. 5, leader not available), 0 if none.
    error_code: int = 0


@dataclass(frozen=True, slots=True)
class TopicDescription:
    name: str
    #: Sorted by partition index.
    partitions: tuple[PartitionDescription, ...]
    is_internal: bool
    topic_id: uuid.UUID | None
    #: The broker's error for the topic (3: it does not exist; 29: not authorized), 0 if none.
    error_code: int = 0


@dataclass(frozen=True, slots=True)
class ClusterDescription:
    cluster_id: str | None
    #: ``None`` when the broker does not know the active controller.
    controller_id: int | None
    #: Sorted by node id.
    brokers: tuple[BrokerInfo, ...]
    topics: Mapping[str, TopicDescription]
    #: ``{api_key: (min_version, max_version)}`` of the broker that answered.
    api_versions: Mapping[int, tuple[int, int]]
    #: Cluster-wide finalized feature levels, e.g. ``{"transaction.version": (2, 2)}``.
    finalized_features: Mapping[str, tuple[int, int]]


async def describe_cluster(
    bootstrap_servers: str | list[str],
    *,
    topics: list[str] | None = None,
    client_id: str = "ferrokafka",
    # One deadline for the whole call is the point of this function.
    timeout: float = 10.0,
) -> ClusterDescription:
    """Describes the cluster: brokers, controller, and ``topics`` (every topic if ``None``;
    topics are never created by asking). Raises `ConfigError` for a malformed
    ``bootstrap_servers``, `KafkaConnectionError` if no bootstrap server can be reached, and
    `KafkaTimeoutError` (a `KafkaConnectionError` too) if the whole call takes more than
    ``timeout`` seconds."""
    servers = parse_bootstrap_servers(bootstrap_servers)
    with anyio.move_on_after(timeout) as scope:
        conn = await connect_any(
            servers, client_id=client_id, connect_timeout=timeout, request_timeout=timeout
        )
        try:
            request = metadata_request(conn.api_version(ApiKey.METADATA), topics)
            result = await conn.request(request)
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()
    if scope.cancelled_caught:
        where = ", ".join(str(s) for s in servers)
        raise NoResponseError(f"could not describe the cluster at {where} within {timeout:g} s")
    return ClusterDescription(
        cluster_id=result.cluster_id,
        controller_id=None if result.controller_id < 0 else result.controller_id,
        brokers=tuple(
            sorted(
                (BrokerInfo(b.node_id, b.host, b.port, b.rack) for b in result.brokers),
                key=lambda b: b.node_id,
            )
        ),
        topics={t.name: _topic(t) for t in result.topics},
        api_versions={api: (r.min_version, r.max_version) for api, r in conn.api_versions.items()},
        finalized_features={
            name: (r.min_version, r.max_version) for name, r in conn.finalized_features.items()
        },
    )


def _topic(topic: TopicMetadata) -> TopicDescription:
    partitions = tuple(
        PartitionDescription(
            partition=p.partition,
            leader=None if p.leader_id < 0 else p.leader_id,
            leader_epoch=None if p.leader_epoch < 0 else p.leader_epoch,
            replicas=tuple(p.replicas),
            isr=tuple(p.isr),
            offline_replicas=tuple(p.offline_replicas),
            error_code=p.error_code,
        )
        for p in sorted(topic.partitions, key=lambda p: p.partition)
    )
    topic_id = uuid.UUID(bytes=topic.topic_id) if topic.topic_id else None
    return TopicDescription(
        name=topic.name,
        partitions=partitions,
        is_internal=topic.is_internal,
        topic_id=topic_id,
        error_code=topic.error_code,
    )
