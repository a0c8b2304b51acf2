"""``partitioner_availability_timeout_ms``: unkeyed records avoid the partitions of a leader
that has made no progress (no drain to it) for longer than that, as the Java producer's built-in
partitioner does, and use them again once the leader answers."""

from __future__ import annotations

import time

import anyio
from producer_helpers import by_value

from ferrokafka import DeliveryFuture, Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

# Well inside broker.session.timeout.ms (6 s in the harness), after which the stalled broker
# would be fenced and its partitions would lose their leader in the metadata as well.
STALL_S = 3.5
TIMEOUT_MS = 500
# From the pause, records counted as sent during the stall. Until max_in_flight (5) requests
# are out, the paused leader's partition is still drained (its socket takes the bytes), and it
# is held back TIMEOUT_MS after that: at a record every 10 ms, batches of ~5 records over 3
# partitions, ~1.2 s on an idle machine, more on a busy one.
COUNTED_AFTER_S = 2.0


def partition_of(future: DeliveryFuture) -> int:
    batch = future._batch
    return int(batch.partition)


def test_unkeyed_records_avoid_a_stalled_leader(kafka3: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=3, replication_factor=1, cluster=kafka3)

    async def main() -> tuple[list[int], list[int], list[DeliveryFuture]]:
        async with Producer(
            bootstrap_servers=kafka3.bootstrap_servers,
            partitioner_availability_timeout_ms=TIMEOUT_MS,
            batch_size=1024,
            linger_ms=0,
            request_timeout_ms=20_000,
            delivery_timeout_ms=60_000,
            max_block_ms=20_000,
        ) as producer:
            # A connection to every leader first.
            for partition in range(3):
                await producer.send(name, b"warm-%d" % partition, partition=partition)
            leader = producer._pool.metadata.partition(name, 0)
            assert leader is not None
            node = next(n for n in kafka3.nodes if n.node_id == leader.leader_id)
            futures: list[DeliveryFuture] = []
            before = [
                partition_of(producer.send_nowait(name, b"before-%06d" % i + b"." * 190))
                for i in range(300)
            ]
            await producer.flush(timeout=20)
            node.pause()
            try:
                started = time.monotonic()
                stalled: list[int] = []
                while time.monotonic() - started < STALL_S:
                    future = producer.send_nowait(name, b"during-%06d" % len(futures) + b"." * 190)
                    futures.append(future)
                    if time.monotonic() - started > COUNTED_AFTER_S:
                        stalled.append(partition_of(future))
                    await anyio.sleep(0.01)
            finally:
                node.resume()
            await producer.flush(timeout=40)
            return before, stalled, futures

    before, stalled, futures = anyio.run(main)
    print(
        "partitions before the stall:",
        {p: before.count(p) for p in range(3)},
        "during it:",
        {p: stalled.count(p) for p in range(3)},
    )
    # Partition 0 took its share before; once its leader stalled, nothing new went to it.
    assert before.count(0) > 0
    assert len(stalled) > 50
    assert stalled.count(0) == 0
    assert {1, 2} <= set(stalled)
    assert all(f.exception() is None for f in futures)
    consumed = by_value(kafka3.consume(name, timeout=60))
    assert all(b"during-%06d" % i + b"." * 190 in consumed for i in range(len(futures)))
