"""The public surface end to end: life cycle, the three delivery styles, the bulk path, flush,
Java-style configuration and metrics."""

from __future__ import annotations

import time
import uuid
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import pytest
from producer_helpers import by_value, options, run

from ferrokafka import (
    BulkDelivery,
    DeliveryFuture,
    IllegalStateError,
    JsonSerializer,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    Producer,
    ProducerClosedError,
    ProducerState,
    RecordMetadata,
    StringSerializer,
)
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def missing_topic() -> str:
    """A valid name no test creates; it stays missing only on `kafka_no_autocreate` (the
    producer's Metadata requests let a broker with auto-creation on create it, as Java's do)."""
    return f"never-created-{uuid.uuid4().hex}"


def test_start_and_close(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic()

    async def main() -> RecordMetadata:
        producer = Producer(**options(kafka))
        assert producer.state is ProducerState.NEW
        with pytest.raises(IllegalStateError, match="start"):
            producer.send_nowait(name, b"too early")
        await producer.start()
        assert producer.state is ProducerState.STARTED
        with pytest.raises(IllegalStateError):
            await producer.start()
        meta = await producer.send(name, b"one")
        started = time.monotonic()
        await producer.close(timeout=5)
        assert time.monotonic() - started < 5
        assert producer.state is ProducerState.CLOSED
        await producer.close()
        return meta

    meta = run(backend, main)
    assert (meta.topic, meta.partition, meta.offset) == (name, 0, 0)
    assert [r.value for r in kafka.consume(name, 1)] == [b"one"]


async def test_close_without_start() -> None:
    producer = Producer(bootstrap_servers="127.0.0.1:1")
    await producer.close()
    assert producer.state is ProducerState.CLOSED


async def test_start_fails_without_a_broker() -> None:
    producer = Producer(bootstrap_servers="127.0.0.1:1", max_block_ms=1_000)
    with pytest.raises(KafkaConnectionError, match=r"127\.0\.0\.1:1"):
        await producer.start()
    await producer.close()


async def test_start_gives_up_on_a_silent_server() -> None:
    """A server that accepts connections and never answers: start() ends after max_block_ms."""
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)

        async def never_answer(stream: anyio.abc.SocketStream) -> None:
            async with stream:
                await anyio.sleep_forever()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(listener.serve, never_answer)
            producer = Producer(
                bootstrap_servers=f"127.0.0.1:{port}",
                max_block_ms=700,
                request_timeout_ms=10_000,
                socket_connection_setup_timeout_ms=10_000,
            )
            started = time.monotonic()
            with pytest.raises(KafkaTimeoutError, match="max_block_ms"):
                await producer.start()
            assert time.monotonic() - started < 5
            await producer.close()
            tasks.cancel_scope.cancel()


def test_async_with_flushes_on_exit(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    """Records queued with send_nowait just before the block ends are delivered, even while
    their topic's metadata is still on its way."""
    name = topic(partitions=2)

    async def main() -> list[DeliveryFuture]:
        async with Producer(**options(kafka, linger_ms=1_000)) as producer:
            return [producer.send_nowait(name, b"exit-%d" % i) for i in range(500)]

    futures = run(backend, main)
    assert all(f.done() for f in futures)
    metas = [f.result() for f in futures]
    consumed = by_value(kafka.consume(name, 500))
    for i, meta in enumerate(metas):
        record = consumed[b"exit-%d" % i]
        assert (meta.partition, meta.offset) == (record.partition, record.offset)


def test_send_nowait_callbacks(
    kafka_no_autocreate: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    kafka = kafka_no_autocreate
    name = topic(cluster=kafka)
    missing = missing_topic()
    delivered: list[tuple[RecordMetadata | None, KafkaError | None]] = []
    done: list[DeliveryFuture] = []

    async def main() -> None:
        async with Producer(**options(kafka, max_block_ms=500)) as producer:
            for i in range(20):
                future = producer.send_nowait(
                    name, b"cb-%d" % i, on_delivery=lambda m, e: delivered.append((m, e))
                )
                future.add_done_callback(done.append)
            lost = producer.send_nowait(
                missing, b"lost", on_delivery=lambda m, e: delivered.append((m, e))
            )
            lost.add_done_callback(done.append)
            await producer.flush()
            # A callback added after the end runs at the loop's next turn, as asyncio's do
            # (asyncio.as_completed relies on it); at once under trio.
            later: list[DeliveryFuture] = []
            lost.add_done_callback(later.append)
            await anyio.lowlevel.checkpoint()
            assert later == [lost]

    run(backend, main)
    assert len(delivered) == len(done) == 21
    good = [m for m, e in delivered if e is None]
    assert [m.offset for m in good if m is not None] == list(range(20))
    (error,) = [e for m, e in delivered if e is not None]
    assert isinstance(error, KafkaTimeoutError)
    assert missing in str(error)
    assert "max_block_ms" in str(error)


async def test_send_to_a_missing_topic_times_out(kafka_no_autocreate: BaseCluster) -> None:
    kafka = kafka_no_autocreate
    missing = missing_topic()
    async with Producer(**options(kafka, max_block_ms=500)) as producer:
        started = time.monotonic()
        with pytest.raises(KafkaTimeoutError, match="not present in metadata"):
            await producer.send(missing, b"v")
        assert time.monotonic() - started >= 0.45
        with pytest.raises(KafkaTimeoutError):
            await producer.wait_for_topic(missing, timeout=0.2)


def test_send_many(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic(partitions=3)
    count = 20_000
    values = [b"bulk-%05d" % i for i in range(count)]
    keys = [b"key-%d" % (i % 97) for i in range(count)]

    async def main() -> tuple[int, list[RecordMetadata | KafkaError], BulkDelivery]:
        async with Producer(**options(kafka, compression_type="lz4")) as producer:
            with pytest.raises(IllegalStateError, match="wait_for_topic"):
                producer.send_many(name, values)
            assert await producer.wait_for_topic(name) == 3
            bulk = producer.send_many(name, values, keys)
            assert bulk.queued == count
            delivered = await bulk
            unkeyed = producer.send_many(
                name, [b"p2-a", b"p2-b"], partition=2, timestamp_ms=1_600_000_000_000
            )
            await unkeyed
            return delivered, bulk.results(), unkeyed

    delivered, results, unkeyed = run(backend, main)
    assert delivered == count
    consumed = by_value(kafka.consume(name, count + 2, timeout=60))
    for value, key, result in zip(values, keys, results, strict=True):
        assert isinstance(result, RecordMetadata)
        record = consumed[value]
        assert record.key == key
        assert (result.topic, result.partition, result.offset) == (
            name,
            record.partition,
            record.offset,
        )
        assert result.timestamp == record.timestamp
    assert [consumed[v].partition for v in (b"p2-a", b"p2-b")] == [2, 2]
    assert [consumed[v].timestamp for v in (b"p2-a", b"p2-b")] == [1_600_000_000_000] * 2
    assert {r.timestamp for r in unkeyed.results() if isinstance(r, RecordMetadata)} == {
        1_600_000_000_000
    }
    assert [r.offset for r in unkeyed.results() if isinstance(r, RecordMetadata)] == [
        consumed[b"p2-a"].offset,
        consumed[b"p2-b"].offset,
    ]


async def test_send_many_fills_what_fits(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    values = [b"%05d" % i + b"f" * 995 for i in range(200)]
    async with Producer(
        **options(kafka, buffer_memory=64 * 1024, batch_size=16 * 1024)
    ) as producer:
        await producer.wait_for_topic(name)
        sent = 0
        rounds = 0
        while sent < len(values):
            bulk = producer.send_many(name, values[sent:])
            assert 0 < bulk.queued <= 64
            sent += bulk.queued
            rounds += 1
            await bulk
        assert rounds > 1
    assert [r.value for r in kafka.consume(name, len(values))] == values


async def test_flush(kafka_no_autocreate: BaseCluster, topic: TopicFactory) -> None:
    kafka = kafka_no_autocreate
    name = topic(cluster=kafka)
    async with Producer(**options(kafka, linger_ms=10_000, max_block_ms=2_000)) as producer:
        futures = [producer.send_nowait(name, b"f-%d" % i) for i in range(100)]
        await producer.flush(timeout=10)
        assert all(f.done() for f in futures)
        assert [f.result().offset for f in futures] == list(range(100))
        # Flushing a producer with nothing to send returns at once.
        with anyio.fail_after(5):
            await producer.flush(timeout=1)
            await producer.flush()
        # Nothing can be delivered to a topic that does not exist: flush gives up in time.
        stuck = producer.send_nowait(missing_topic(), b"stuck")
        started = time.monotonic()
        with pytest.raises(KafkaTimeoutError, match="flush"):
            await producer.flush(timeout=0.3)
        assert time.monotonic() - started < 1.5
        assert not stuck.done()
    assert isinstance(stuck.exception(), KafkaTimeoutError)


def test_from_config_with_java_names(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic()
    props = {
        "bootstrap.servers": kafka.bootstrap_servers,
        "client.id": "orders-service",
        "acks": "all",
        "linger.ms": "5",
        "enable.idempotence": "true",
        "compression.type": "zstd",
        "max.in.flight.requests.per.connection": "5",
        "key.serializer": "org.apache.kafka.common.serialization.StringSerializer",
        "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    }

    async def main() -> RecordMetadata:
        producer = Producer.from_config(props)
        assert producer.config.client_id == "orders-service"
        assert producer.config.linger_ms == 5
        assert producer.config.compression_type == "zstd"
        assert producer.config.acks == -1
        assert isinstance(producer.config.value_serializer, StringSerializer)
        async with producer:
            return await producer.send(name, "grüße", key="k-1")

    meta = run(backend, main)
    (record,) = kafka.consume(name, 1)
    assert (record.key, record.value) == (b"k-1", "grüße".encode())
    assert meta.offset == record.offset
    assert meta.serialized_value_size == len("grüße".encode())


async def test_metrics(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(
        **options(kafka, compression_type="gzip", value_serializer=JsonSerializer())
    ) as producer:
        for i in range(100):
            producer.send_nowait(name, {"n": i, "text": "metrics " * 10})
        await producer.flush()
        metrics = producer.metrics()
    for metric in (
        "record-send-rate",
        "record-error-rate",
        "record-retry-rate",
        "record-size-avg",
        "request-latency-avg",
        "batch-size-avg",
        "compression-rate-avg",
        "bufferpool-wait-time-total",
        "buffer-exhausted-rate",
        "producer-id",
        "producer-epoch",
        "transaction-start-rate",
        "transaction-abort-rate",
    ):
        assert isinstance(metrics[metric], float | int), metric
    assert metrics["record-send-total"] == 100
    assert metrics["record-error-total"] == 0
    assert metrics["record-send-rate"] > 0
    assert metrics["record-size-avg"] > 80
    assert metrics["batch-size-avg"] > 0
    assert 0 < metrics["compression-rate-avg"] < 1
    assert metrics["request-total"] >= 1
    assert metrics["buffer-available-bytes"] == metrics["buffer-total-bytes"] == 33554432
    assert len(kafka.consume(name, 100)) == 100


def test_cancelled_close_still_closes(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    """`async with` left through a cancelled scope: close() is cancelled too, yet it fails what
    is pending and releases everything instead of leaving a half-closed producer."""
    name = topic()

    async def main() -> tuple[Producer, list[DeliveryFuture]]:
        futures: list[DeliveryFuture] = []
        with anyio.move_on_after(0.3):
            async with Producer(**options(kafka, linger_ms=5_000)) as producer:
                await producer.wait_for_topic(name)
                futures = [producer.send_nowait(name, b"c-%d" % i) for i in range(10)]
                await anyio.sleep_forever()
        return producer, futures

    producer, futures = run(backend, main)
    assert producer.state is ProducerState.CLOSED
    assert all(isinstance(f.exception(), ProducerClosedError) for f in futures)


def test_concurrent_close(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    """A second close() returns once the producer is closed, not while the first still runs."""
    name = topic()

    async def main() -> list[tuple[ProducerState, bool]]:
        producer = Producer(**options(kafka, linger_ms=200))
        await producer.start()
        futures = [producer.send_nowait(name, b"cc-%d" % i) for i in range(10)]
        seen: list[tuple[ProducerState, bool]] = []

        async def close() -> None:
            await producer.close()
            seen.append((producer.state, all(f.done() for f in futures)))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(close)
            tasks.start_soon(close)
        return seen

    assert run(backend, main) == [(ProducerState.CLOSED, True)] * 2
    assert len(kafka.consume(name, 10)) == 10


def test_cancelled_sends_are_still_delivered(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    """A caller that stops waiting (a client disconnects, a timeout) does not take the record
    back: it is delivered, and the producer carries on."""
    name = topic()

    async def main() -> int:
        async with Producer(**options(kafka, linger_ms=50)) as producer:
            await producer.wait_for_topic(name)
            for i in range(20):
                with anyio.move_on_after(0.001):
                    await producer.send(name, b"impatient-%d" % i)
            return (await producer.send(name, b"patient")).offset

    assert run(backend, main) == 20
    assert [r.value for r in kafka.consume(name, 21)][-1] == b"patient"


async def test_bootstrap_list_with_a_dead_server(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    servers = ["127.0.0.1:1", *kafka.bootstrap_servers.split(",")]
    async with Producer(**options(kafka, bootstrap_servers=servers)) as producer:
        assert (await producer.send(name, b"failover")).offset == 0


def test_fast_and_general_send_paths_agree(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    """Records of bytes go through the native fast path; anything else (headers, an explicit
    timestamp, a str value, a callback) through the Python implementation. Both yield the
    same futures and the same records, in one batch and in order."""
    name = topic(partitions=1)
    sent_at = int(time.time() * 1000)

    async def main() -> list[RecordMetadata]:
        producer = Producer(**options(kafka))
        plain_method = producer.send_nowait
        await producer.start()
        # While started, the instance's send_nowait is the native callable.
        assert producer.send_nowait is not plain_method
        fast_path = getattr(producer.send_nowait, "__self__", None)
        assert type(fast_path).__name__ == "SendFastPath"
        await producer.wait_for_topic(name)
        futures = [
            producer.send_nowait(name, b"fast-0"),
            producer.send_nowait(name, b"general-1", headers={"h": b"v"}),
            producer.send_nowait(name, b"fast-2", b"key", partition=0),
            producer.send_nowait(name, b"general-3", timestamp_ms=1_000_000),
            producer.send_nowait(name, bytearray(b"general-4")),
            producer.send_nowait(name, b"general-5", on_delivery=lambda m, e: None),
        ]
        assert all(type(f) is DeliveryFuture for f in futures)
        assert not futures[0].done()
        results = [await f for f in futures]
        assert all(f.done() and f.exception() is None for f in futures)
        assert [f.result() for f in futures] == results
        assert "delivered" in repr(futures[0])
        await producer.close()
        assert producer.state is ProducerState.CLOSED
        # After close the method is the class's again, and says why nothing is sent.
        with pytest.raises(ProducerClosedError):
            producer.send_nowait(name, b"late")
        return results

    results = run(backend, main)
    assert [m.offset for m in results] == list(range(6))
    assert {m.partition for m in results} == {0}
    assert results[0].timestamp >= sent_at
    assert results[3].timestamp == 1_000_000
    assert [m.serialized_key_size for m in results] == [-1, -1, 3, -1, -1, -1]
    assert [m.serialized_value_size for m in results] == [6, 9, 6, 9, 9, 9]
    records = kafka.consume(name, 6)
    assert [r.value for r in records] == [
        b"fast-0",
        b"general-1",
        b"fast-2",
        b"general-3",
        b"general-4",
        b"general-5",
    ]
    assert records[2].key == b"key"


async def test_a_subclass_send_nowait_is_not_bypassed(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    seen: list[bytes] = []

    class Recording(Producer):
        def send_nowait(self, topic: str, value: Any = None, *args: Any, **kwargs: Any) -> Any:
            seen.append(value)
            return super().send_nowait(topic, value, *args, **kwargs)

    async with Recording(**options(kafka)) as producer:
        await producer.wait_for_topic(name)
        await producer.send_nowait(name, b"one")
        await producer.send(name, b"two")
    assert seen == [b"one", b"two"]


def test_close_ends_sends_waiting_for_metadata(
    kafka_no_autocreate: BaseCluster, backend: str
) -> None:
    # A send waiting for a topic's metadata (up to max_block_ms) ends when the producer
    # closes, instead of waiting out max_block_ms.
    kafka = kafka_no_autocreate
    errors: list[BaseException] = []

    async def waiting_send(producer: Producer) -> None:
        try:
            await producer.send(missing_topic(), b"never")
        except KafkaError as exc:
            errors.append(exc)

    async def main() -> float:
        producer = Producer(**options(kafka, max_block_ms=60_000))
        await producer.start()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(waiting_send, producer)
            await anyio.sleep(0.5)
            started = time.monotonic()
            await producer.close(timeout=5)
        return time.monotonic() - started

    closed_after = run(backend, main)
    assert closed_after < 30, "the waiting send held close() back"
    (error,) = errors
    assert isinstance(error, IllegalStateError), error
