"""Broker loss on a single node: the broker is stopped and started again while the producer
sends, and every record is delivered once it is back, once each and in order.

tansu keeps records in memory only, so what it had before the restart is gone; there the test
asks for every record sent after the broker stopped, and for no duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import anyio.to_thread
import pytest
from matrix_helpers import options

from ferrokafka import DeliveryFuture, Producer
from ferrokafka.testing import BaseCluster, single_node_cluster

PARTITIONS = 2


@pytest.fixture(scope="module")
def lonely(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseCluster]:
    """A broker of the chosen kind for this module alone: the test stops it."""
    cluster = single_node_cluster(tmp_path_factory.mktemp("lonely", numbered=True))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_records_sent_while_the_broker_restarts_are_all_delivered(
    lonely: BaseCluster,
) -> None:
    name = lonely.create_topic("restart", partitions=PARTITIONS)
    (node,) = lonely.nodes
    futures: list[DeliveryFuture] = []
    restarted = anyio.Event()
    down_from = -1

    async def restart_broker() -> None:
        nonlocal down_from
        await anyio.sleep(0.3)
        await anyio.to_thread.run_sync(node.stop)
        down_from = len(futures)
        await anyio.sleep(1.0)
        await anyio.to_thread.run_sync(lambda: node.start(timeout=120))
        restarted.set()

    async with Producer(
        **options(
            lonely,
            linger_ms=5,
            max_block_ms=120_000,
            delivery_timeout_ms=180_000,
            reconnect_backoff_ms=50,
            reconnect_backoff_max_ms=500,
        )
    ) as producer:
        await producer.wait_for_topic(name)
        with anyio.fail_after(240):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(restart_broker)
                after_restart = 0
                while after_restart < 200:
                    index = len(futures)
                    futures.append(producer.send_nowait(name, b"%06d" % index, partition=index % 2))
                    after_restart += restarted.is_set()
                    await anyio.sleep(0.005)
            metas = [await future for future in futures]

    assert down_from > 0
    assert all(meta.offset >= 0 for meta in metas)
    records = lonely.consume(name)
    values = [r.value for r in records]
    assert len(values) == len(set(values)), "a record was written twice"
    first = 0 if lonely.keeps_records_across_restarts else down_from
    for partition in range(PARTITIONS):
        got = [int(r.value or b"") for r in records if r.partition == partition]
        sent = list(range(partition, len(futures), PARTITIONS))
        assert [i for i in got if i >= first] == [i for i in sent if i >= first]
