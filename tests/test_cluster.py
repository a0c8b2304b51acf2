"""`describe_cluster` and the metadata cache, checked against what confluent-kafka's AdminClient
(librdkafka, an independent client) reports for the same cluster, under asyncio and trio."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from ferrokafka._connect import connect
from ferrokafka._connection import KafkaConnectionError
from ferrokafka._metadata import MetadataCache
from ferrokafka._native import BrokerMetadata, MetadataResult, PartitionMetadata, TopicMetadata
from ferrokafka.cluster import ClusterDescription, describe_cluster


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(backend: str, fn: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(fn, backend=backend)


def first_server(bootstrap_servers: str) -> tuple[str, int]:
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    return host, int(port)


def assert_matches_admin(ours: ClusterDescription, admin_metadata: Any, names: set[str]) -> None:
    assert ours.cluster_id == admin_metadata.cluster_id
    assert ours.controller_id == admin_metadata.controller_id
    assert {(b.node_id, b.host, b.port) for b in ours.brokers} == {
        (b.id, b.host, b.port) for b in admin_metadata.brokers.values()
    }
    for name in names:
        theirs = admin_metadata.topics[name]
        mine = ours.topics[name]
        assert mine.error_code == 0
        assert len(mine.partitions) == len(theirs.partitions)
        for p in mine.partitions:
            t = theirs.partitions[p.partition]
            assert (p.leader, list(p.replicas), sorted(p.isr)) == (
                t.leader,
                list(t.replicas),
                sorted(t.isrs),
            )


def test_describe_cluster_agrees_with_admin_client(kafka: Any, backend: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    names = {
        kafka.create_topic(f"describe-a-{suffix}", partitions=3),
        kafka.create_topic(f"describe-b-{suffix}", partitions=1),
    }

    ours: ClusterDescription = run(
        backend, lambda: describe_cluster(kafka.bootstrap_servers, client_id="describe-test")
    )
    admin_metadata = kafka.admin().list_topics(timeout=10)
    assert_matches_admin(ours, admin_metadata, names)
    # Every topic the admin client lists, internal ones included, and no others.
    assert set(ours.topics) == set(admin_metadata.topics)
    assert all(t.topic_id is not None for t in ours.topics.values())
    assert ours.api_versions[18][1] >= 3

    # Asking for some topics returns just those.
    some: ClusterDescription = run(
        backend, lambda: describe_cluster([kafka.bootstrap_servers], topics=sorted(names))
    )
    assert set(some.topics) == names
    assert_matches_admin(some, admin_metadata, names)


def test_describe_cluster_never_creates_topics(kafka: Any, backend: str) -> None:
    name = f"missing-{uuid.uuid4().hex[:8]}"
    ours: ClusterDescription = run(
        backend, lambda: describe_cluster(kafka.bootstrap_servers, topics=[name])
    )
    assert ours.topics[name].error_code == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert ours.topics[name].partitions == ()
    time.sleep(0.5)
    assert name not in kafka.admin().list_topics(timeout=10).topics


def test_describe_cluster_unreachable(backend: str) -> None:
    with pytest.raises(KafkaConnectionError, match="could not connect to any bootstrap server"):
        run(backend, lambda: describe_cluster("127.0.0.1:1,127.0.0.1:2", timeout=5))


def test_metadata_cache_refresh_against_broker(kafka: Any, backend: str) -> None:
    name = kafka.create_topic(f"cache-{uuid.uuid4().hex[:8]}", partitions=2)
    theirs = kafka.admin().list_topics(timeout=10).topics[name]

    async def main() -> None:
        host, port = first_server(kafka.bootstrap_servers)
        conn = await connect(host, port)
        try:
            cache = MetadataCache()
            await cache.refresh(conn, [name])
            assert set(cache.topics) == {name}
            for p in range(2):
                leader = cache.leader(name, p)
                assert leader is not None
                assert leader.node_id == theirs.partitions[p].leader
            assert cache.topic(name).available == (0, 1)  # type: ignore[union-attr]
            await cache.refresh(conn)
            assert name in cache.topics
            assert cache.cluster_id is not None
        finally:
            await conn.close()

    run(backend, main)


# ---- the cache's merge rules, no broker -----------------------------------------------------


def partition(index: int, leader: int, epoch: int) -> PartitionMetadata:
    return PartitionMetadata(index, 0, leader, epoch, [1, 2], [1, 2], [])


def response(topics: list[TopicMetadata], brokers: tuple[int, ...] = (1, 2)) -> MetadataResult:
    return MetadataResult(
        brokers=[BrokerMetadata(b, f"b{b}", 9092, None) for b in brokers],
        cluster_id="c",
        controller_id=1,
        topics=topics,
        throttle_time_ms=0,
        error_code=0,
    )


def test_cache_merges_partial_refreshes_and_drops_deleted_topics() -> None:
    cache = MetadataCache()
    a = TopicMetadata("a", 0, False, [partition(1, 2, 0), partition(0, 1, 0)], None)
    b = TopicMetadata("b", 0, False, [partition(0, -1, 0)], None)
    cache.update(response([a, b]), all_topics=True)
    assert [p.partition for p in cache.topic("a").partitions] == [0, 1]  # type: ignore[union-attr]
    assert cache.leader("a", 1) == BrokerMetadata(2, "b2", 9092, None)
    assert cache.leader("b", 0) is None
    assert cache.topic("b").available == ()  # type: ignore[union-attr]

    missing = TopicMetadata("c", 3, False, [], None)
    cache.update(response([missing]), all_topics=False)
    assert set(cache.topics) == {"a", "b", "c"}
    assert cache.topic("c").error_code == 3  # type: ignore[union-attr]

    cache.update(response([a]), all_topics=True)
    assert set(cache.topics) == {"a"}


def test_cache_ignores_older_leader_epochs() -> None:
    cache = MetadataCache()
    cache.update(
        response([TopicMetadata("t", 0, False, [partition(0, 2, 5)], None)]), all_topics=True
    )
    stale = TopicMetadata("t", 0, False, [partition(0, 1, 4)], None)
    cache.update(response([stale]), all_topics=False)
    assert cache.partition("t", 0) == partition(0, 2, 5)
    newer = TopicMetadata("t", 0, False, [partition(0, 1, 6)], None)
    cache.update(response([newer]), all_topics=False)
    assert cache.partition("t", 0) == partition(0, 1, 6)


def test_cache_leader_hints() -> None:
    cache = MetadataCache()
    cache.update(
        response([TopicMetadata("t", 0, False, [partition(0, 1, 5)], None)]), all_topics=True
    )
    assert not cache.apply_leader_hint("t", 0, 2, 5)  # not newer
    assert not cache.apply_leader_hint("t", 0, 3, 6)  # unknown broker, no endpoint
    assert cache.apply_leader_hint("t", 0, 3, 6, [BrokerMetadata(3, "b3", 9093, None)])
    assert cache.leader("t", 0) == BrokerMetadata(3, "b3", 9093, None)
    assert cache.partition("t", 0).leader_epoch == 6  # type: ignore[union-attr]


# ---- three nodes --------------------------------------------------------------------------


@pytest.mark.three_nodes
def test_killed_node_disappears_from_metadata(kafka3: Any, backend: str) -> None:
    name = kafka3.create_topic(
        f"failover-{uuid.uuid4().hex[:8]}", partitions=3, replication_factor=3
    )
    victim = kafka3.nodes[0]
    survivors = [n for n in kafka3.nodes if n is not victim]
    victim_id = victim.node_id

    async def observe() -> MetadataCache:
        host, port = first_server(survivors[0].address)
        conn = await connect(host, port)
        try:
            cache = MetadataCache()
            await cache.refresh(conn, [name])
            return cache
        finally:
            await conn.close()

    # The broker asked may learn of the new topic a little after the admin client did.
    deadline = time.monotonic() + 30
    while True:
        before: MetadataCache = run(backend, observe)
        state = before.topic(name)
        if state is not None and state.available == (0, 1, 2):
            break
        assert time.monotonic() < deadline, f"topic never fully led: {state}"
        time.sleep(0.2)
    assert victim_id in before.brokers

    victim.kill()
    try:
        deadline = time.monotonic() + 60
        while True:
            after: MetadataCache = run(backend, observe)
            partitions = after.topic(name).partitions  # type: ignore[union-attr]
            gone = victim_id not in after.brokers and all(
                p.leader_id != victim_id and victim_id not in p.isr for p in partitions
            )
            if gone:
                break
            assert time.monotonic() < deadline, f"node {victim_id} still in {after.brokers}"
            time.sleep(0.5)
        assert all(after.leader(name, p.partition) is not None for p in partitions)
        # librdkafka sees the same leaders.
        theirs = kafka3.admin().list_topics(topic=name, timeout=10).topics[name]
        for p in partitions:
            if theirs.partitions[p.partition].leader != p.leader_id:
                time.sleep(1)  # the admin client's view may lag by one refresh
                theirs = kafka3.admin().list_topics(topic=name, timeout=10).topics[name]
            assert theirs.partitions[p.partition].leader == p.leader_id
    finally:
        victim.start()
