"""`ferrokafka.aiokafka.AIOKafkaProducer`: aiokafka's own producer tests, adapted, on a real
broker (aiokafka's ``tests/test_producer.py``: start, send, send_and_wait, acks=0,
serializers, compression, batches, flush, context manager, errors)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from ferrokafka.aiokafka import (
    AIOKafkaProducer,
    RecordMetadata,
    TopicPartition,
)
from ferrokafka.errors import (
    ConfigError,
    IllegalStateError,
    ProducerClosedError,
    RecordTooLargeError,
    SerializationError,
)
from ferrokafka.testing import BaseCluster

TopicFactory = Callable[..., str]


async def test_producer_start(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)
    with pytest.raises(ValueError, match="acks"):
        AIOKafkaProducer(acks=122)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    assert await producer.partitions_for(name) == {0, 1}
    await producer.stop()
    assert producer._closed is True


async def test_producer_send(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    with pytest.raises(SerializationError):  # aiokafka: TypeError
        await producer.send(name, "hello, Kafka!", partition=0)
    future = await producer.send(name, b"hello, Kafka!", partition=0)
    resp = await future
    assert isinstance(resp, RecordMetadata)
    assert resp.topic == name
    assert resp.partition == 0
    assert resp.offset == 0
    assert resp.topic_partition == TopicPartition(name, 0) == (name, 0)
    assert resp.timestamp_type == 0
    assert resp.timestamp is not None
    assert resp.log_start_offset is None

    resp = await (await producer.send(name, b"second msg", partition=1))
    assert (resp.partition, resp.offset) == (1, 0)
    resp = await (await producer.send(name, b"value", key=b"KEY"))
    assert resp.partition in (0, 1)
    resp = await producer.send_and_wait(name, b"value")
    assert resp is not None
    assert resp.partition in (0, 1)

    await producer.stop()
    with pytest.raises(ProducerClosedError):  # aiokafka: ProducerClosed
        await producer.send(name, b"value", key=b"KEY")
    records = kafka.consume(name, 4)
    assert sorted(r.value for r in records) == sorted(  # type: ignore[type-var]
        [b"hello, Kafka!", b"second msg", b"value", b"value"]
    )


async def test_send_before_start_is_refused(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    with pytest.raises(IllegalStateError):
        await producer.send_and_wait(name, b"x")
    await producer.stop()


async def test_producer_context_manager(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    async with producer as prod:
        assert prod is producer
        await producer.send(name, b"value", key=b"KEY")
    assert producer._closed

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)

    async def fail_inside() -> None:
        async with producer:
            await producer.send(name, b"value", key=b"KEY")
            raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        await fail_inside()
    assert producer._closed
    # Both records were sent before the producers stopped.
    assert len(kafka.consume(name, 2)) == 2


async def test_producer_send_noack(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks=0)
    await producer.start()
    fut1 = await producer.send(name, b"hello, Kafka!", partition=0)
    fut2 = await producer.send(name, b"hello, Kafka!", partition=1)
    done, _ = await asyncio.wait([fut1, fut2])
    for item in done:
        assert item.result() is None
    await producer.stop()
    # Not read back: acks=0 promises nothing about the records once they are written.


async def test_producer_send_with_serializer(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)

    def key_serializer(val: str) -> bytes:
        return val.upper().encode()

    def serializer(val: object) -> bytes:
        return json.dumps(val).encode()

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        value_serializer=serializer,
        key_serializer=key_serializer,
        acks="all",
        max_request_size=1000,
    )
    await producer.start()
    key = "some key"
    value: dict[str, object] = {"strKey": 23523.443, "23": "STRval"}
    resp = await (await producer.send(name, value, key=key))
    assert resp is not None
    partition, offset = resp.partition, resp.offset
    assert partition in (0, 1)

    resp = await (await producer.send(name, "some str", key=key))
    assert resp is not None
    # the same partition for the same key, the next offset
    assert (resp.partition, resp.offset) == (partition, offset + 1)

    value["23"] = "*VALUE" * 800
    with pytest.raises(RecordTooLargeError):  # aiokafka: MessageSizeTooLargeError
        await producer.send(name, value, key=key)
    await producer.stop()
    await producer.stop()  # should be Ok

    records = kafka.consume(name, 2)
    assert [(r.key, r.value) for r in records] == [
        (b"SOME KEY", json.dumps({"strKey": 23523.443, "23": "STRval"}).encode()),
        (b"SOME KEY", b'"some str"'),
    ]


async def test_producer_send_with_compression(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    with pytest.raises(ValueError, match="compression_type"):
        AIOKafkaProducer(compression_type="my_custom")
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, compression_type="gzip")
    await producer.start()
    resp = await (await producer.send(name, b"this msg is too short for compress"))
    assert resp is not None
    assert resp.topic == name
    resp = await producer.send_and_wait(name, b"large_message-" * 100)
    assert resp is not None
    await producer.stop()
    values = [r.value for r in kafka.consume(name, 2)]
    assert values == [b"this msg is too short for compress", b"large_message-" * 100]


async def test_producer_send_batch(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)
    key = b"test key"
    value = b"test value"
    max_batch_size = 10000
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, max_batch_size=max_batch_size
    )
    await producer.start()
    partition = (await producer.partitions_for(name)).pop()
    resp = await producer.send_and_wait(name, value=b"discovering offset", partition=partition)
    assert resp is not None
    offset = resp.offset

    # only fills up to its limits, then returns None
    batch = producer.create_batch()
    assert batch.record_count() == 0
    num = 0
    while True:
        metadata = batch.append(key=key, value=value, timestamp=None, headers=[("h", b"v")])
        if metadata is None:
            break
        assert metadata.offset == num
        num += 1
    assert num > 0
    assert batch.record_count() == num
    assert batch.size() <= max_batch_size

    future = await producer.send_batch(batch, name, partition=partition)
    resp = await future
    assert resp is not None
    assert (resp.topic, resp.partition, resp.offset) == (name, partition, offset + 1)

    # batch accepts a too-large message if it's the first
    too_large = b"m" * (max_batch_size + 1)
    batch = producer.create_batch()
    assert batch.append(key=None, value=too_large, timestamp=None) is not None
    # batch rejects a too-large message if it's not the first
    batch = producer.create_batch()
    batch.append(key=None, value=b"short", timestamp=None)
    assert batch.append(key=None, value=too_large, timestamp=None) is None
    await producer.stop()
    with pytest.raises(ProducerClosedError):
        await producer.send_batch(batch, name, partition=partition)

    records = kafka.consume(name, num + 1)
    assert {r.partition for r in records} == {partition}
    assert [r.offset for r in records] == list(range(offset, offset + num + 1))
    assert all(r.headers == [("h", b"v")] for r in records[1:])


async def test_send_batch_without_partition_picks_one(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers) as producer:
        batch = producer.create_batch()
        for i in range(10):
            batch.append(key=None, value=b"%d" % i, timestamp=None)
        resp = await (await producer.send_batch(batch, name, partition=None))
        assert resp is not None
    records = kafka.consume(name, 10)
    assert {r.partition for r in records} == {resp.partition}
    assert [r.value for r in records] == [b"%d" % i for i in range(10)]


async def test_producer_flush(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=1000)
    await producer.start()
    fut1 = await producer.send(name, b"text1")
    fut2 = await producer.send(name, b"text2")
    assert not fut1.done()
    await producer.flush()
    assert fut1.done()
    assert fut2.done()
    await producer.stop()


async def test_keys_land_where_aiokafka_puts_them(kafka: BaseCluster, topic: TopicFactory) -> None:
    import aiokafka

    name = topic(partitions=5)
    keys = [f"key-{i}".encode() for i in range(40)]
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers) as ours:
        mine = [(await ours.send_and_wait(name, b"x", key=k)).partition for k in keys]  # type: ignore[union-attr]
    theirs_producer = aiokafka.AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await theirs_producer.start()
    try:
        theirs = [(await theirs_producer.send_and_wait(name, b"x", key=k)).partition for k in keys]
    finally:
        await theirs_producer.stop()
    assert mine == theirs


async def test_aiokafka_options_map_or_are_refused(kafka: BaseCluster) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        client_id="compat",
        acks="all",
        enable_idempotence=True,
        linger_ms=7,
        max_batch_size=32768,
        compression_type="zstd",
        request_timeout_ms=5000,
        metadata_max_age_ms=60000,
        retry_backoff_ms=50,
        connections_max_idle_ms=None,
    )
    config = producer.producer.config
    assert (config.client_id, config.acks, config.enable_idempotence) == ("compat", -1, True)
    assert (config.linger_ms, config.batch_size, config.compression_type) == (7, 32768, "zstd")
    assert (config.request_timeout_ms, config.max_block_ms) == (5000, 5000)
    assert config.connections_max_idle_ms == -1
    defaults = AIOKafkaProducer(bootstrap_servers="localhost").producer.config
    # aiokafka's defaults, not ferrokafka's; a host without port gets 9092.
    assert (defaults.acks, defaults.enable_idempotence, defaults.linger_ms) == (1, False, 0)
    assert defaults.bootstrap_servers == ("localhost:9092",)
    with pytest.raises(ConfigError, match="acks"):
        AIOKafkaProducer(acks=1, enable_idempotence=True)
    with pytest.raises(ConfigError, match="GSSAPI"):
        AIOKafkaProducer(security_protocol="SASL_PLAINTEXT", sasl_mechanism="GSSAPI")
    with pytest.warns(DeprecationWarning, match="loop"):
        AIOKafkaProducer(loop=asyncio.get_running_loop())


async def test_transactions_call_the_producers(kafka: BaseCluster, topic: TopicFactory) -> None:
    name, source = topic(partitions=1), topic(partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, transactional_id=f"aiokafka-{name}"
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(name, b"committed")
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 1}, "group")
        await producer.begin_transaction()
        await producer.send_and_wait(name, b"aborted")
        await producer.abort_transaction()
    finally:
        await producer.stop()
    assert [r.value for r in kafka.consume(name)] == [b"committed"]
    plain = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    with pytest.raises(IllegalStateError, match="no transactional_id"):
        await plain.begin_transaction()


async def test_custom_partitioner_gets_aiokafka_arguments(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    calls: list[tuple[bytes | None, list[int], list[int]]] = []

    def last_partition(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        calls.append((key, all_partitions, available))
        return all_partitions[-1]

    async with AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, partitioner=last_partition
    ) as producer:
        resp = await producer.send_and_wait(name, b"v", key=b"k")
    assert resp is not None
    assert resp.partition == 2
    assert calls == [(b"k", [0, 1, 2], [0, 1, 2])]
