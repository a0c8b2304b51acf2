"""`start()` waits for a cluster that is not up yet, as the Java producer waits for metadata up to
``max_block_ms``: a service started by an orchestrator before its Kafka does not crash-loop.
Errors that waiting cannot heal still fail at once."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from ferrokafka import (
    AuthenticationError,
    KafkaConnectionError,
    KafkaTimeoutError,
    Producer,
)
from ferrokafka._broker_pool import BrokerPool
from ferrokafka._connection import NoCommonVersionError
from ferrokafka.testing import KafkaCluster

OUTAGE_S = 5.0


def test_start_waits_for_a_cluster_that_comes_up_late(tmp_path: Path) -> None:
    with KafkaCluster(1, workdir=tmp_path / "late", start_timeout=90) as cluster:
        name = cluster.create_topic("late-orders", 1, 1)
        node = cluster.nodes[0]
        node.stop()
        assert not node.accepts_connections()
        # The node comes back on its ports, with its data, OUTAGE_S after start() began.
        later = threading.Timer(OUTAGE_S, lambda: node.start(timeout=90))

        async def main() -> list[int]:
            producer = Producer(
                bootstrap_servers=cluster.bootstrap_servers,
                max_block_ms=90_000,
                request_timeout_ms=10_000,
                reconnect_backoff_max_ms=500,
            )
            later.start()
            await producer.start()
            try:
                metas = [await producer.send(name, b"late-%d" % i) for i in range(10)]
            finally:
                await producer.close()
            return [m.offset for m in metas]

        try:
            offsets = asyncio.run(main())
        finally:
            later.join()
        assert offsets == list(range(10))
        assert [r.value for r in cluster.consume(name, 10)] == [b"late-%d" % i for i in range(10)]


async def test_start_gives_up_after_max_block_ms_naming_what_it_tried() -> None:
    producer = Producer(
        bootstrap_servers="127.0.0.1:1,localhost:2", max_block_ms=1500, reconnect_backoff_ms=50
    )
    with pytest.raises(KafkaConnectionError) as info:
        await producer.start()
    error = info.value
    assert isinstance(error, KafkaTimeoutError)
    assert error.retriable
    message = str(error)
    assert "max_block_ms=1500" in message
    assert "127.0.0.1:1" in message
    assert "localhost:2" in message
    # The last reason, and more than one attempt (the backoff is far below max_block_ms).
    assert "Connection refused" in message
    attempts = int(message.split(" attempt(s)")[0].rsplit("(", 1)[1])
    assert attempts >= 2
    await producer.close()


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("the broker refused the credentials"),
        NoCommonVersionError("no common Metadata version"),
    ],
)
async def test_start_fails_at_once_on_errors_waiting_cannot_heal(
    error: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real broker does not fail this way on demand here: the pool's refresh stands in.
    calls = []

    async def refuse(self: BrokerPool) -> None:
        calls.append(1)
        raise error

    monkeypatch.setattr(BrokerPool, "refresh_metadata", refuse)
    producer = Producer(bootstrap_servers="127.0.0.1:1", max_block_ms=60_000)
    with pytest.raises(type(error)):
        await producer.start()
    assert calls == [1]
    await producer.close()
