"""A transaction open longer than transaction_timeout_ms, against a real Kafka whose coordinator
looks for such transactions every 200 ms (Kafka's
``transaction.abort.timed.out.transaction.cleanup.interval.ms``, 10 s by default): it aborts the
transaction and bumps the producer's epoch. With transactions v2 the producer aborts too and
goes on with a new transaction (KIP-588's aim); with v1 the coordinator answers the old epoch
PRODUCER_FENCED, as it does for a fenced producer, and the producer is unusable. A producer
fenced by a newer instance stays unusable under both protocols. Read back by librdkafka with
isolation.level=read_committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from ferrokafka import IllegalStateError, Producer
from ferrokafka.errors import InvalidProducerEpochError, InvalidTxnStateError, ProducerFencedError
from ferrokafka.testing import KafkaCluster

TIMEOUT_MS = 1000
# Past the timeout and at least one of the coordinator's look-ups, with room for a slow machine.
OUTLIVE_S = 3.0


@pytest.fixture(scope="module")
def kafka_quick_expiry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(
        1,
        broker_properties={"transaction.abort.timed.out.transaction.cleanup.interval.ms": 200},
        workdir=tmp_path_factory.mktemp("kafka-quick-expiry", numbered=True),
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["v1", "auto"])
def uses_v2(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    kafka_quick_expiry: KafkaCluster,
) -> bool:
    """Transactions v1 forced, or what the broker offers (v2 on Kafka 4.x)."""
    if request.param == "v1":
        monkeypatch.setattr(
            "ferrokafka._transactions.manager.transactions_v2_available", lambda conn: False
        )
        return False
    return kafka_quick_expiry.distribution.major >= 4


def options(cluster: KafkaCluster, **overrides: Any) -> dict[str, Any]:
    return {
        "bootstrap_servers": cluster.bootstrap_servers,
        "transactional_id": f"txn-expiry-{uuid.uuid4().hex[:12]}",
        "transaction_timeout_ms": TIMEOUT_MS,
        "max_block_ms": 20_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        **overrides,
    }


def committed(cluster: KafkaCluster, topic: str) -> list[bytes]:
    records = cluster.consume(topic, isolation_level="read_committed")
    return [r.value for r in records if r.value is not None]


async def test_a_commit_after_the_timeout_fails_and_the_abort_recovers_with_v2(
    kafka_quick_expiry: KafkaCluster, uses_v2: bool
) -> None:
    cluster = kafka_quick_expiry
    topic = cluster.create_topic(f"expiry-commit-{uuid.uuid4().hex[:8]}", 1, 1)
    async with Producer(**options(cluster)) as producer:
        producer.begin_transaction()
        await producer.send(topic, b"too-slow")
        await anyio.sleep(OUTLIVE_S)
        if uses_v2:
            with pytest.raises(InvalidTxnStateError, match=r"Call abort_transaction\(\)"):
                await producer.commit_transaction()
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send(topic, b"next")
        else:
            with pytest.raises(ProducerFencedError, match="transactions v1") as fenced:
                await producer.commit_transaction()
            assert f"longer than transaction_timeout_ms={TIMEOUT_MS}" in str(fenced.value)
            with pytest.raises(IllegalStateError, match="close this producer"):
                producer.begin_transaction()
    assert committed(cluster, topic) == ([b"next"] if uses_v2 else [])


async def test_a_record_sent_after_the_timeout_makes_the_transaction_abortable(
    kafka_quick_expiry: KafkaCluster, uses_v2: bool
) -> None:
    """Produce answers the old epoch INVALID_PRODUCER_EPOCH, which only the coordinator can
    tell from a fencing: abortable, as in the Java client since 2.7 (KIP-588)."""
    cluster = kafka_quick_expiry
    topic = cluster.create_topic(f"expiry-send-{uuid.uuid4().hex[:8]}", 1, 1)
    async with Producer(**options(cluster)) as producer:
        producer.begin_transaction()
        await producer.send(topic, b"too-slow")
        await anyio.sleep(OUTLIVE_S)
        with pytest.raises(InvalidProducerEpochError):
            await producer.send(topic, b"after-the-timeout")
        with pytest.raises(IllegalStateError, match="abort_transaction") as refused:
            await producer.commit_transaction()
        assert isinstance(refused.value.__cause__, InvalidProducerEpochError)
        if uses_v2:
            await producer.abort_transaction()
            for round_ in range(2):
                async with producer.transaction():
                    await producer.send(topic, b"next-%d" % round_)
        else:
            with pytest.raises(ProducerFencedError, match="transactions v1"):
                await producer.abort_transaction()
    assert committed(cluster, topic) == ([b"next-0", b"next-1"] if uses_v2 else [])


async def test_a_producer_fenced_by_a_newer_instance_stays_unusable(
    kafka_quick_expiry: KafkaCluster, uses_v2: bool
) -> None:
    """The same answers as after a timeout (INVALID_PRODUCER_EPOCH from Produce, abortable),
    but the coordinator refuses the abort: the newer instance owns the transactional id."""
    cluster = kafka_quick_expiry
    topic = cluster.create_topic(f"expiry-fenced-{uuid.uuid4().hex[:8]}", 1, 1)
    # A long timeout: the fencing, not the coordinator's timer, ends the old transaction.
    opts = options(cluster, transaction_timeout_ms=60_000)
    async with Producer(**opts) as old:
        old.begin_transaction()
        await old.send(topic, b"zombie")
        async with Producer(**opts) as new:
            with pytest.raises(InvalidProducerEpochError):
                await old.send(topic, b"zombie-after-the-fencing")
            with pytest.raises(ProducerFencedError, match="another producer"):
                await old.abort_transaction()
            with pytest.raises(IllegalStateError, match="close this producer"):
                old.begin_transaction()
            async with new.transaction():
                await new.send(topic, b"successor")
    assert committed(cluster, topic) == [b"successor"]
