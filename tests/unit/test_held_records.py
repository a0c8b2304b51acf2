"""`_held_records`: what a producer does with records sent before their topic's metadata came.

A producer that is never started (no broker; its bootstrap address refuses) holds the records;
the test plays the metadata updates (`MetadataCache.update`, then `on_metadata`) and the clock
(`now_ms`, read through the module), and looks at the futures.
"""

from __future__ import annotations

import pytest
from fake_cluster import FakeClock

import ferrokafka
from ferrokafka import _held_records
from ferrokafka._native import BrokerMetadata, MetadataResult, PartitionMetadata, TopicMetadata
from ferrokafka.errors import BufferFullError, KafkaTimeoutError, TopicAuthorizationFailedError
from ferrokafka.records import DeliveryFuture

MAX_BLOCK_MS = 5_000
TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(_held_records, "now_ms", clock)
    return clock


@pytest.fixture
def producer() -> ferrokafka.Producer:
    # Never started: nothing connects, and the records stay held until the test says.
    return ferrokafka.Producer("127.0.0.1:1", max_block_ms=MAX_BLOCK_MS, buffer_memory=1024)


def _hold(producer: ferrokafka.Producer, value: bytes, topic: str = "t") -> DeliveryFuture:
    return _held_records.hold(producer, topic, 0, None, value, None, 1_000, None)


def _metadata_arrives(
    producer: ferrokafka.Producer, topic: str = "t", error_code: int = 0, partitions: int = 1
) -> None:
    parts = [PartitionMetadata(p, 0, 1, 0, [1], [1], []) for p in range(partitions)]
    result = MetadataResult(
        [BrokerMetadata(1, "b1", 9092, None)],
        "c",
        1,
        [TopicMetadata(topic, error_code, False, parts if not error_code else [], None)],
        0,
        0,
    )
    producer._pool.metadata.update(result, all_topics=False)
    _held_records.on_metadata(producer)


def test_records_are_held_until_metadata_then_appended_in_order(
    producer: ferrokafka.Producer, clock: FakeClock
) -> None:
    futures = [_hold(producer, value) for value in (b"a", b"b", b"c")]
    assert set(producer._held) == {"t"}
    assert producer._held_bytes > 0
    _metadata_arrives(producer)
    assert producer._held == {}
    assert producer._held_bytes == 0
    batches = {id(f._batch) for f in futures}
    assert len(batches) == 1
    assert [f._index for f in futures] == [0, 1, 2]
    assert producer._partition_counts == {"t": 1}


def test_metadata_of_another_topic_releases_nothing(
    producer: ferrokafka.Producer, clock: FakeClock
) -> None:
    future = _hold(producer, b"a")
    _metadata_arrives(producer, topic="other")
    assert set(producer._held) == {"t"}
    assert future._batch.partition == -1  # still the placeholder


def test_held_records_fail_after_max_block_ms_not_before(
    producer: ferrokafka.Producer, clock: FakeClock
) -> None:
    future = _hold(producer, b"a")
    clock.advance(MAX_BLOCK_MS - 1)
    _held_records.expire_held(producer)
    assert not future.done()
    clock.advance(1)
    _held_records.expire_held(producer)
    error = future.exception()
    assert isinstance(error, KafkaTimeoutError)
    assert f"max_block_ms={MAX_BLOCK_MS}" in str(error)
    assert "'t' not present in metadata" in str(error)
    assert producer._held == {}
    assert producer._held_bytes == 0


def test_an_authorization_error_fails_held_records_at_once(
    producer: ferrokafka.Producer, clock: FakeClock
) -> None:
    future = _hold(producer, b"a")
    _metadata_arrives(producer, error_code=TOPIC_AUTHORIZATION_FAILED)
    assert isinstance(future.exception(), TopicAuthorizationFailedError)
    assert producer._held == {}
    assert producer._held_bytes == 0


def test_held_records_meeting_a_full_buffer_are_refused_and_leave_the_others(
    producer: ferrokafka.Producer, clock: FakeClock
) -> None:
    kept = [_hold(producer, b"x" * 400) for _ in range(2)]
    held_bytes = producer._held_bytes
    with pytest.raises(BufferFullError, match="waiting for its metadata"):
        _hold(producer, b"x" * 400)
    # The refused record took no space and no place.
    assert producer._held_bytes == held_bytes
    assert len(producer._held["t"].records) == 2
    _metadata_arrives(producer)
    assert [f._index for f in kept] == [0, 1]
