"""`ferrokafka.sync.Producer` against a real broker, read back by confluent-kafka."""

from __future__ import annotations

import concurrent.futures
import threading
import uuid

import pytest

from ferrokafka import Producer as AsyncProducer
from ferrokafka.errors import (
    ConfigError,
    IllegalStateError,
    InvalidTopicError,
    KafkaError,
    PartitionOutOfRangeError,
    ProducerClosedError,
    SerializationError,
)
from ferrokafka.records import RecordMetadata
from ferrokafka.sync import Producer, SyncProducerState
from ferrokafka.testing import BaseCluster

THREADS = 16
PER_THREAD = 400


def producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ferrokafka-") and t.daemon]


def test_sixteen_threads_deliver_every_record_once(kafka: BaseCluster, topic: object) -> None:
    name = topic(partitions=3)  # type: ignore[operator]
    results: dict[bytes, RecordMetadata] = {}
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            futures = {
                f"{thread}-{i}".encode(): producer.send(
                    name, f"{thread}-{i}".encode(), key=b"%d" % i
                )
                for i in range(PER_THREAD)
            }
            for value, future in futures.items():
                results[value] = future.result(timeout=60)
        except BaseException as exc:
            errors.append(exc)

    with Producer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=2) as producer:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert errors == []
    assert len(results) == THREADS * PER_THREAD

    records = kafka.consume(name, THREADS * PER_THREAD, timeout=60)
    # Each record exactly once, where its metadata said.
    assert sorted(r.value for r in records) == sorted(results)  # type: ignore[type-var]
    for record in records:
        assert record.value is not None
        metadata = results[record.value]
        assert (metadata.partition, metadata.offset) == (record.partition, record.offset)
    assert kafka.consume(name, timeout=30) == records  # nothing more than that


def test_on_delivery_metadata_headers_and_timestamp(kafka: BaseCluster, topic: object) -> None:
    name = topic()  # type: ignore[operator]
    seen: list[tuple[RecordMetadata | None, KafkaError | None, str]] = []

    def on_delivery(metadata: RecordMetadata | None, error: KafkaError | None) -> None:
        seen.append((metadata, error, threading.current_thread().name))

    with Producer(bootstrap_servers=kafka.bootstrap_servers) as producer:
        future = producer.send(
            name,
            b"v",
            key=b"k",
            partition=0,
            timestamp_ms=1_700_000_000_000,
            headers=[("h", b"1")],
            on_delivery=on_delivery,
        )
        metadata = future.result(timeout=30)
        producer.flush(timeout=30)
        assert producer.partitions_for(name) == [0]
        assert producer.metrics()["record-send-total"] >= 1
    assert seen == [(metadata, None, seen[0][2])]
    assert seen[0][2].startswith("ferrokafka-")  # callbacks run on the producer's thread
    (record,) = kafka.consume(name, 1)
    assert (record.key, record.value, record.headers) == (b"k", b"v", [("h", b"1")])
    assert record.timestamp == metadata.timestamp == 1_700_000_000_000


def test_starts_lazily_on_a_named_daemon_thread_and_ends_it(
    kafka: BaseCluster, topic: object
) -> None:
    name = topic()  # type: ignore[operator]
    before = set(producer_threads())
    producer = Producer(bootstrap_servers=kafka.bootstrap_servers, client_id="lazy-one")
    assert producer.state is SyncProducerState.NEW
    assert set(producer_threads()) == before
    assert producer.partitions_for(name) == [0]
    started = set(producer_threads()) - before
    assert [t.name for t in started] == ["ferrokafka-lazy-one"]
    producer.close(timeout=10)
    assert producer.state is SyncProducerState.CLOSED
    assert not any(t.is_alive() for t in started)
    producer.close()  # idempotent


def test_errors_are_the_async_producers_classes(kafka: BaseCluster, topic: object) -> None:
    name = topic()  # type: ignore[operator]
    with Producer(bootstrap_servers=kafka.bootstrap_servers) as producer:
        producer.send(name, b"first").result(timeout=30)  # the topic's metadata is known
        cases = {
            SerializationError: producer.send(name, "text, not bytes"),
            InvalidTopicError: producer.send("no spaces allowed", b"x"),
            PartitionOutOfRangeError: producer.send(name, b"x", partition=7),
        }
        for expected, future in cases.items():
            with pytest.raises(expected):
                future.result(timeout=30)
        # The producer stays usable after bad input.
        assert producer.send(name, b"second").result(timeout=30).offset == 1
    with pytest.raises(ProducerClosedError):
        producer.send(name, b"after close")
    with pytest.raises(ProducerClosedError):
        producer.flush()

    async_errors: dict[type[BaseException], str] = {}

    async def same_with_async() -> None:
        async with AsyncProducer(bootstrap_servers=kafka.bootstrap_servers) as aproducer:
            await aproducer.send(name, b"third")
            for kind, call in {
                SerializationError: lambda: aproducer.send_nowait(name, "text"),
                InvalidTopicError: lambda: aproducer.send_nowait("no spaces allowed", b"x"),
                PartitionOutOfRangeError: lambda: aproducer.send_nowait(name, b"x", partition=7),
            }.items():
                with pytest.raises(kind) as raised:
                    call()
                async_errors[kind] = type(raised.value).__name__

    import asyncio

    asyncio.run(same_with_async())
    assert set(async_errors) == set(cases)


def test_bad_options_fail_in_the_constructor() -> None:
    with pytest.raises(ConfigError):
        Producer(bootstrap_servers="localhost:9092", linger_mss=5)
    with pytest.raises(ConfigError):
        Producer.from_config({"bootstrap.servers": "localhost:9092", "acks": "most"})


def test_close_timeout_fails_what_is_not_delivered(kafka_no_autocreate: BaseCluster) -> None:
    # On a broker that does not create topics, records for a topic that does not exist wait
    # for its metadata (up to max_block_ms), so they are still pending at close.
    kafka = kafka_no_autocreate
    name = f"sync-never-created-{uuid.uuid4().hex}"
    producer = Producer(bootstrap_servers=kafka.bootstrap_servers)
    producer.start()
    futures = [producer.send(name, b"%d" % i) for i in range(50)]
    thread_names = {t.name for t in producer_threads()}
    producer.close(timeout=0.5)
    for future in futures:
        assert future.done()
        assert isinstance(future.exception(), ProducerClosedError)
    assert not {t.name for t in producer_threads()} & thread_names - {"ferrokafka-"}
    assert name not in kafka.metadata().topics


def test_blocking_calls_from_the_producer_thread_raise(kafka: BaseCluster, topic: object) -> None:
    name = topic()  # type: ignore[operator]
    raised: list[BaseException] = []
    with Producer(bootstrap_servers=kafka.bootstrap_servers) as producer:

        def on_delivery(metadata: RecordMetadata | None, error: KafkaError | None) -> None:
            for call in (producer.flush, lambda: producer.send(name, b"again"), producer.close):
                try:
                    call()
                except IllegalStateError as exc:
                    raised.append(exc)

        producer.send(name, b"x", on_delivery=on_delivery).result(timeout=30)
        producer.flush(timeout=30)
    assert len(raised) == 3
    assert all("own thread" in str(exc) for exc in raised)


def test_a_failed_start_raises_and_the_next_call_retries(kafka: BaseCluster) -> None:
    producer = Producer(bootstrap_servers="127.0.0.1:9", max_block_ms=1000)
    with pytest.raises(KafkaError):
        producer.partitions_for("anything")
    assert producer.state is SyncProducerState.NEW
    with pytest.raises(KafkaError):
        producer.send("anything", b"x")
    producer.close()
    with pytest.raises(ProducerClosedError):
        producer.send("anything", b"x")


def test_cancelled_before_handoff_or_not_the_future_ends(kafka: BaseCluster, topic: object) -> None:
    name = topic()  # type: ignore[operator]
    with Producer(bootstrap_servers=kafka.bootstrap_servers) as producer:
        futures = [producer.send(name, b"%d" % i) for i in range(200)]
        for future in futures[::2]:
            future.cancel()
        producer.flush(timeout=30)
    _, pending = concurrent.futures.wait(futures, timeout=0)
    assert not pending
    delivered = [f for f in futures if not f.cancelled()]
    assert all(f.exception() is None for f in delivered)
    # A cancelled record may have been sent already; none may be written twice.
    values = [r.value for r in kafka.consume(name, timeout=30)]
    assert len(values) == len(set(values)), "a record was written twice"
    assert {b"%d" % i for i in range(1, 200, 2)} <= set(values)


def test_flush_waits_for_earlier_records_while_others_keep_sending(
    kafka: BaseCluster, topic: object
) -> None:
    name = topic()  # type: ignore[operator]
    stop = threading.Event()
    with Producer(bootstrap_servers=kafka.bootstrap_servers) as producer:

        def keep_sending() -> None:
            for i in range(200_000):
                if stop.is_set():
                    return
                producer.send(name, b"background %d" % i)

        background = threading.Thread(target=keep_sending)
        background.start()
        try:
            for _ in range(3):
                before = [producer.send(name, b"mine") for _ in range(100)]
                producer.flush(timeout=60)  # returns although the other thread never pauses
                assert all(f.done() and f.exception() is None for f in before)
        finally:
            stop.set()
            background.join(60)
