"""The transactional producer against a real Kafka, read back by librdkafka with
isolation.level=read_committed (and read_uncommitted as the negative control: the aborted
records are in the log, only hidden)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import anyio
import pytest
from confluent_kafka import Consumer, TopicPartition

from ferrokafka import ConfigError, IllegalStateError, Producer, RecordTooLargeError
from ferrokafka.errors import IllegalGenerationError, ProducerFencedError
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def options(kafka: BaseCluster, **overrides: Any) -> dict[str, Any]:
    return {
        "bootstrap_servers": kafka.bootstrap_servers,
        "transactional_id": f"txn-test-{uuid.uuid4().hex[:12]}",
        "max_block_ms": 20_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        **overrides,
    }


def values(kafka: BaseCluster, topic: str, isolation_level: str = "read_committed") -> list[bytes]:
    records = kafka.consume(topic, isolation_level=isolation_level)
    return [r.value for r in records if r.value is not None]


async def test_committed_once_in_order_aborted_never(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    name = topic(partitions=1)
    async with Producer(**options(kafka)) as producer:
        assert producer._transactions is not None
        assert producer._transactions.uses_v2 is txn_protocol
        async with producer.transaction():
            for i in range(50):
                producer.send_nowait(name, b"c1-%02d" % i)
            await producer.send(name, b"c1-last")

        producer.begin_transaction()
        producer.send_nowait(name, b"aborted-explicitly")
        await producer.send(name, b"aborted-explicitly-2")
        await producer.abort_transaction()

        async def fails_inside() -> None:
            async with producer.transaction():
                await producer.send(name, b"aborted-by-exception")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await fails_inside()

        producer.begin_transaction()
        producer.send_nowait(name, b"c2-0")
        producer.send_nowait(name, b"c2-1")
        await producer.commit_transaction()

    committed = [b"c1-%02d" % i for i in range(50)] + [b"c1-last", b"c2-0", b"c2-1"]
    assert values(kafka, name) == committed
    # Kafka's own console consumer agrees (asked for one record more than committed).
    lines = kafka.console_consume(
        name,
        len(committed) + 1,
        timeout_s=5,
        print_key=False,
        properties={"isolation.level": "read_committed"},
    )
    assert lines == [v.decode() for v in committed]
    # The aborted records were written, and only read_committed hides them.
    uncommitted = values(kafka, name, "read_uncommitted")
    assert b"aborted-explicitly" in uncommitted
    assert b"aborted-by-exception" in uncommitted


async def test_several_partitions_and_topics(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    first, second = topic(partitions=3), topic(partitions=2)
    async with Producer(**options(kafka, linger_ms=5)) as producer:
        for round_ in range(3):
            async with producer.transaction():
                for i in range(30):
                    producer.send_nowait(first, b"%d-%02d" % (round_, i), partition=i % 3)
                    producer.send_nowait(second, b"%d-%02d" % (round_, i), partition=i % 2)
    for name, parts in ((first, 3), (second, 2)):
        records = kafka.consume(name)
        for p in range(parts):
            got = [r.value for r in records if r.partition == p]
            assert got == [b"%d-%02d" % (r, i) for r in range(3) for i in range(p, 30, parts)]


async def test_the_native_send_path_serves_inside_a_transaction_only(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    """Inside a transaction, send_nowait is the native path (the sender adds each partition to
    the transaction before it drains the partition's first batch); outside, the checked method
    refuses the send. Keyed records spread over the partitions, so each transaction adds
    several."""
    name = topic(partitions=3)

    def native(producer: Producer) -> bool:
        bound_to = getattr(producer.send_nowait, "__self__", None)
        return type(bound_to).__name__ == "SendFastPath"

    async with Producer(**options(kafka, linger_ms=5)) as producer:
        assert not native(producer)
        for round_ in range(3):
            producer.begin_transaction()
            assert native(producer)
            for i in range(300):
                producer.send_nowait(name, b"%d-%03d" % (round_, i), key=b"%d" % i)
            if round_ == 1:
                await producer.abort_transaction()
            else:
                await producer.commit_transaction()
            assert not native(producer)
            with pytest.raises(IllegalStateError, match="begin_transaction"):
                producer.send_nowait(name, b"outside")
    records = kafka.consume(name)
    assert len({r.partition for r in records}) == 3
    assert sorted(r.value for r in records) == [
        b"%d-%03d" % (round_, i) for round_ in (0, 2) for i in range(300)
    ]


async def test_a_second_instance_fences_the_first(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    name = topic(partitions=1)
    opts = options(kafka)
    async with Producer(**opts) as old:
        old.begin_transaction()
        await old.send(name, b"zombie")
        async with Producer(**opts) as new:
            with pytest.raises(ProducerFencedError, match="unusable") as fenced:
                await old.commit_transaction()
            assert "another producer with this transactional_id" in str(fenced.value)
            with pytest.raises(IllegalStateError, match="close this producer"):
                old.begin_transaction()
            with pytest.raises(IllegalStateError, match="unusable after a fatal error"):
                old.send_nowait(name, b"more")
            async with new.transaction():
                await new.send(name, b"successor")
    assert values(kafka, name) == [b"successor"]


async def test_calls_in_the_wrong_state_are_refused(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    async with Producer(**options(kafka)) as producer:
        with pytest.raises(IllegalStateError, match="begin_transaction"):
            producer.send_nowait(name, b"outside")
        with pytest.raises(IllegalStateError, match="begin_transaction"):
            await producer.send(name, b"outside")
        with pytest.raises(IllegalStateError, match=r"commit the transaction: .* ready"):
            await producer.commit_transaction()
        with pytest.raises(IllegalStateError, match="abort the transaction"):
            await producer.abort_transaction()
        producer.begin_transaction()
        with pytest.raises(IllegalStateError, match="commit_transaction\\(\\) or abort"):
            producer.begin_transaction()
        # Still usable after every refusal.
        await producer.send(name, b"inside")
        await producer.commit_transaction()
    assert values(kafka, name) == [b"inside"]

    async with Producer(bootstrap_servers=kafka.bootstrap_servers) as plain:
        with pytest.raises(IllegalStateError, match="no transactional_id"):
            plain.begin_transaction()


def test_transactions_need_idempotence(kafka: BaseCluster) -> None:
    with pytest.raises(ConfigError, match="transactional_id needs the idempotent producer"):
        Producer(**options(kafka, acks=1))


def committed_offsets(kafka: BaseCluster, group: str, topic: str, partitions: int) -> list[int]:
    consumer = Consumer({**kafka.client_config(), "group.id": group})
    try:
        answer = consumer.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=20
        )
        return [tp.offset for tp in answer]
    finally:
        consumer.close()


async def test_offsets_commit_with_the_transaction(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    source, sink = topic(partitions=2), topic(partitions=1)
    group = f"txn-group-{uuid.uuid4().hex[:8]}"
    async with Producer(**options(kafka)) as producer:
        async with producer.transaction():
            await producer.send(sink, b"out-1")
            await producer.send_offsets_to_transaction({(source, 0): 42, (source, 1): 7}, group)
        assert committed_offsets(kafka, group, source, 2) == [42, 7]

        producer.begin_transaction()
        await producer.send(sink, b"out-aborted")
        await producer.send_offsets_to_transaction(
            [TopicPartition(source, 0, 99), TopicPartition(source, 1, 99)], group
        )
        await producer.abort_transaction()
        assert committed_offsets(kafka, group, source, 2) == [42, 7]
    assert values(kafka, sink) == [b"out-1"]


async def test_offsets_with_a_consumers_group_metadata(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    """confluent-kafka's consumer_group_metadata() carries the generation and member id
    (KIP-447): the group coordinator takes them, and refuses a stale generation."""
    source, sink = topic(partitions=1), topic(partitions=1)
    group = f"txn-group-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    try:
        consumer.subscribe([source])
        for _ in range(100):
            consumer.poll(0.2)
            if consumer.assignment():
                break
        assert consumer.assignment(), "the consumer was never assigned a partition"
        metadata = consumer.consumer_group_metadata()
        async with Producer(**options(kafka)) as producer:
            async with producer.transaction():
                await producer.send(sink, b"with-metadata")
                await producer.send_offsets_to_transaction({(source, 0): 5}, metadata)

            stale = bytearray(metadata)
            stale[7:11] = (1000).to_bytes(4, "little", signed=True)
            producer.begin_transaction()
            with pytest.raises(IllegalGenerationError):
                await producer.send_offsets_to_transaction({(source, 0): 6}, bytes(stale))
            await producer.abort_transaction()
            # Usable again after the abort.
            async with producer.transaction():
                await producer.send(sink, b"after-abort")
    finally:
        consumer.close()
    assert committed_offsets(kafka, group, source, 1) == [5]
    assert values(kafka, sink) == [b"with-metadata", b"after-abort"]


async def test_close_aborts_an_open_transaction(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=1)
    async with Producer(**options(kafka)) as producer:
        producer.begin_transaction()
        await producer.send(name, b"left-open")
        metrics = producer.metrics()
    assert metrics["txn-init-time-ns-total"] > 0
    assert metrics["txn-begin-time-ns-total"] > 0
    assert metrics["txn-commit-time-ns-total"] == 0
    # A transaction left open (60 s timeout) would hold every read_committed consumer before
    # its first record: the later commit of another producer is visible only if it ended.
    async with Producer(**options(kafka)) as other, other.transaction():
        await other.send(name, b"after")
    assert values(kafka, name) == [b"after"]
    assert values(kafka, name, "read_uncommitted") == [b"left-open", b"after"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_commit_and_abort_under_each_backend(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic(partitions=2)

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            async with producer.transaction():
                producer.send_nowait(name, b"kept-0", partition=0)
                await producer.send(name, b"kept-1", partition=1)
            producer.begin_transaction()
            await producer.send(name, b"dropped", partition=0)
            await producer.abort_transaction()

    anyio.run(main, backend=backend)
    assert sorted(values(kafka, name)) == [b"kept-0", b"kept-1"]


async def test_a_failed_record_fails_the_commit_and_the_block_aborts(
    kafka: BaseCluster, topic: TopicFactory, txn_protocol: bool
) -> None:
    """A record the broker refuses (larger than the topic's max.message.bytes) makes the
    transaction abortable: the commit raises, naming it, and the block aborts by itself."""
    name = topic(partitions=1, config={"max.message.bytes": "2000"})
    async with Producer(**options(kafka)) as producer:

        async def too_large_inside() -> None:
            async with producer.transaction():
                producer.send_nowait(name, b"small")
                producer.send_nowait(name, b"x" * 5_000)

        with pytest.raises(IllegalStateError, match="abort_transaction") as failed:
            await too_large_inside()
        assert "MESSAGE_TOO_LARGE" in str(failed.value)
        assert isinstance(failed.value.__cause__, RecordTooLargeError)
        async with producer.transaction():
            await producer.send(name, b"next")
    assert values(kafka, name) == [b"next"]


KILLED_PRODUCER = """
import asyncio, sys
from ferrokafka import Producer

async def main() -> None:
    producer = Producer(bootstrap_servers=sys.argv[1], transactional_id=sys.argv[3],
                        transaction_timeout_ms=1000, max_block_ms=20000,
                        request_timeout_ms=10000, delivery_timeout_ms=30000)
    await producer.start()
    producer.begin_transaction()
    await producer.send(sys.argv[2], b"from-the-killed-producer")
    print("sent", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def test_a_killed_producers_transaction_is_never_visible(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """SIGKILLed mid-transaction: the coordinator aborts the transaction after its timeout (it
    looks every 10 s), and read_committed consumers go past it without ever seeing it."""
    name = topic(partitions=1)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_PRODUCER, kafka.bootstrap_servers, name, f"k-{name}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        # Bounded: the child exits (closing its stdout) when max_block_ms or
        # delivery_timeout_ms run out.
        assert child.stdout.readline().strip() == "sent"
    finally:
        child.kill()
        child.wait()

    # Until the coordinator aborts it, the open transaction holds read_committed consumers
    # before its record: the later commit of another producer shows when it is over.
    async def commit_after() -> None:
        async with Producer(**options(kafka)) as other, other.transaction():
            await other.send(name, b"after")

    anyio.run(commit_after)
    deadline = time.monotonic() + 40
    while values(kafka, name) != [b"after"]:
        assert time.monotonic() < deadline, "the killed producer's transaction never ended"
        time.sleep(1)
    assert values(kafka, name, "read_uncommitted") == [b"from-the-killed-producer", b"after"]
