"""Producer interceptors against a real broker, read back by confluent-kafka: Java's semantics
(``ProducerInterceptors``): a chain, each getting the previous one's record, exceptions logged
and never failing the send, one acknowledgement per record, close at close."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ferrokafka import (
    Producer,
    ProducerInterceptor,
    ProducerRecord,
    RecordMetadata,
    StringSerializer,
    _native,
)
from ferrokafka.errors import (
    IllegalStateError,
    KafkaError,
    PartitionOutOfRangeError,
    RecordTooLargeError,
    SerializationError,
)
from ferrokafka.sync import Producer as SyncProducer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

Ack = tuple[RecordMetadata, KafkaError | None]


class Recorder(ProducerInterceptor):
    """Records what it sees; optionally rewrites the record."""

    def __init__(self, name: str, rewrite: dict[str, Any] | None = None) -> None:
        self.name = name
        self.rewrite = rewrite or {}
        self.sent: list[ProducerRecord] = []
        self.acks: list[Ack] = []
        self.closed = 0
        self.events: list[str] | None = None

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        self.sent.append(record)
        if "headers" in self.rewrite:
            return record.replace(headers=(*record.headers, *self.rewrite["headers"]))
        return record.replace(**self.rewrite)

    def on_acknowledgement(self, metadata: RecordMetadata, error: KafkaError | None) -> None:
        self.acks.append((metadata, error))
        if self.events is not None:
            self.events.append(f"{self.name} ack")

    def close(self) -> None:
        self.closed += 1


class Raising(ProducerInterceptor):
    def __init__(self) -> None:
        self.acks = 0

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        raise RuntimeError("interceptor bug")

    def on_acknowledgement(self, metadata: RecordMetadata, error: KafkaError | None) -> None:
        self.acks += 1
        raise RuntimeError("interceptor bug on ack")


class WithRecord(ProducerInterceptor):
    """Takes Java 4's third argument: the record it returned from on_send."""

    def __init__(self) -> None:
        self.returned: dict[int, str] = {}
        self.matched: list[str] = []

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        changed = record.replace(headers=(*record.headers, ("mark", b"1")))
        self.returned[id(changed)] = str(record.value)
        return changed

    def on_acknowledgement(
        self,
        metadata: RecordMetadata,
        error: KafkaError | None,
        record: ProducerRecord | None = None,
    ) -> None:
        assert record is not None
        self.matched.append(self.returned.pop(id(record)))


async def test_a_chain_rewrites_records_and_acknowledges_each_once(
    kafka: BaseCluster, topic: TopicFactory, caplog: pytest.LogCaptureFixture
) -> None:
    given, moved = topic(), topic(partitions=2)
    first = Recorder("first", {"topic": moved})
    raising = Raising()
    second = Recorder("second", {"headers": [("trace", b"t")]})
    third = Recorder("third", {"partition": 1})
    delivered: list[RecordMetadata | None] = []
    events: list[str] = []
    first.events = third.events = events
    caplog.set_level(logging.WARNING, logger="ferrokafka.producer.interceptors")
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers,
        client_id="intercepted",
        interceptors=[first, raising, second, third],
    ) as producer:
        # Every entry point passes through the chain: send_nowait, send and produce.
        futures = [
            producer.send_nowait(
                given,
                b"v0",
                key=b"k0",
                on_delivery=lambda m, e: (delivered.append(m), events.append("delivery")),
            ),
            producer.send_nowait(given, b"v1", headers={"h": b"x"}),
        ]
        await producer.send(given, b"v2")
        futures.append(await producer.produce(given, b"v3", timestamp_ms=1_700_000_000_000))
        for future in futures:
            await future

    # The second interceptor got the first one's record: the raising one changed nothing.
    assert [r.topic for r in second.sent] == [moved] * 4
    assert second.sent[1].headers == (("h", b"x"),)
    assert [r.topic for r in first.sent] == [given] * 4
    assert first.sent[3].timestamp_ms == 1_700_000_000_000
    assert "interceptor bug" in caplog.text
    assert "intercepted" in caplog.text
    # One acknowledgement per record and interceptor, with the record's real metadata; the
    # interceptors run before the send's own callback.
    for recorder in (first, second, third):
        assert len(recorder.acks) == 4
        assert all(error is None for _, error in recorder.acks)
        assert sorted(m.offset for m, _ in recorder.acks) == [0, 1, 2, 3]
        assert {(m.topic, m.partition) for m, _ in recorder.acks} == {(moved, 1)}
        assert recorder.closed == 1
    assert raising.acks == 4
    assert events[:3] == ["first ack", "third ack", "delivery"]
    assert delivered[0] is not None
    assert delivered[0].topic == moved

    records = kafka.consume(moved, 4)
    assert [r.value for r in records] == [b"v0", b"v1", b"v2", b"v3"]
    assert {r.partition for r in records} == {1}
    assert records[0].key == b"k0"
    assert records[0].headers == [("trace", b"t")]
    assert records[1].headers == [("h", b"x"), ("trace", b"t")]
    assert records[3].timestamp == 1_700_000_000_000
    assert kafka.consume(given) == []


async def test_on_send_sees_the_record_before_serialization(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()

    class Upper(ProducerInterceptor):
        def on_send(self, record: ProducerRecord) -> ProducerRecord:
            assert isinstance(record.value, str)
            return record.replace(value=record.value.upper())

    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers,
        value_serializer=StringSerializer(),
        interceptors=[Upper()],
    ) as producer:
        await producer.send(name, "quiet")
    assert [r.value for r in kafka.consume(name, 1)] == [b"QUIET"]


async def test_failures_are_acknowledged_once_whether_before_or_after_a_batch(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    small = topic(config={"max.message.bytes": "2000"})
    recorder = Recorder("r")
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers, interceptors=[recorder]
    ) as producer:
        await producer.wait_for_topic(small)
        # Before a batch: a value that is not bytes, a partition that does not exist.
        with pytest.raises(SerializationError):
            producer.send_nowait(small, "not bytes")
        with pytest.raises(SerializationError):
            producer.send_nowait(small, b"v", headers=[("h", "not bytes")])
        with pytest.raises(PartitionOutOfRangeError):
            await producer.send(small, b"x", partition=7)
        # After a batch: the broker refuses it.
        with pytest.raises(RecordTooLargeError):
            await producer.send(small, b"x" * 5000)
        await producer.send(small, b"fine")

    errors = [type(error) for _, error in recorder.acks]
    assert errors == [
        SerializationError,
        SerializationError,
        PartitionOutOfRangeError,
        RecordTooLargeError,
        type(None),
    ]
    assert recorder.sent[1].headers == (("h", "not bytes"),)  # seen before it was checked
    metadata = [m for m, _ in recorder.acks]
    del metadata[1]
    # Java's metadata of a failed record: the topic, the partition if known, -1 elsewhere.
    assert metadata[0] == RecordMetadata(small, -1, -1, -1, "CreateTime", -1, -1)
    assert (metadata[1].partition, metadata[1].offset) == (7, -1)
    assert (metadata[2].topic, metadata[2].partition, metadata[2].offset) == (small, 0, -1)
    assert metadata[3].offset == 0
    assert [r.value for r in kafka.consume(small, 1)] == [b"fine"]


async def test_the_three_argument_acknowledgement_gets_its_own_record(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    with_record = WithRecord()
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers, interceptors=[with_record, Recorder("r")]
    ) as producer:
        for i in range(20):
            producer.send_nowait(name, b"%d" % i)
        await producer.flush()
    assert sorted(with_record.matched) == sorted(str(b"%d" % i) for i in range(20))
    assert with_record.returned == {}
    assert all(r.headers == [("mark", b"1")] for r in kafka.consume(name, 20))


async def test_the_native_path_is_kept_without_interceptors_and_bypassed_with_them(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    async with Producer(bootstrap_servers=kafka.bootstrap_servers) as plain:
        assert isinstance(plain.__dict__["send_nowait"].__self__, _native.SendFastPath)
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers, interceptors=[Recorder("r")]
    ) as intercepted:
        assert not hasattr(intercepted.send_nowait, "__self__")
        await intercepted.wait_for_topic(name)
        with pytest.raises(IllegalStateError, match="interceptors"):
            intercepted.send_many(name, [b"a"])
        with pytest.raises(IllegalStateError, match="interceptors"):
            await intercepted.produce_many(name, [b"a"])


def test_the_synchronous_producer_intercepts_each_record_once_under_backpressure(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    recorder = Recorder("r", {"headers": [("via", b"sync")]})
    count = 600
    with SyncProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        interceptors=[recorder],
        # Room for a few records only: the producer's thread finds the buffer full and offers
        # records again; the interceptors still see each record once.
        buffer_memory=32 * 1024,
        batch_size=8 * 1024,
    ) as sync:
        futures = [sync.send(name, b"%04d" % i + b"x" * 1000) for i in range(count)]
        offsets = sorted(future.result(timeout=60).offset for future in futures)
        assert sync.metrics()["buffer-exhausted-total"] > 0
    assert offsets == list(range(count))
    assert len(recorder.sent) == count
    assert sorted(m.offset for m, _ in recorder.acks) == offsets
    assert all(error is None for _, error in recorder.acks)
    assert recorder.closed == 1
    assert all(r.headers == [("via", b"sync")] for r in kafka.consume(name, count))
