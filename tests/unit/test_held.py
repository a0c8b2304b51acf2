"""`HeldTopic`: the records of one topic held until its metadata comes, on one placeholder.

`release` is given an ``append`` that stands for the accumulator (it hands out batches and
indices), so the order of the appends and where each future ends up are seen directly.
"""

from __future__ import annotations

from ferrokafka._held import HeldRecord, HeldTopic, record_size
from ferrokafka._native import DeliveryFuture
from ferrokafka._pending import PendingBatch
from ferrokafka.errors import KafkaTimeoutError, RecordTooLargeError

TIMEOUT = 30_000


def _held(values: list[bytes]) -> tuple[HeldTopic, list[DeliveryFuture]]:
    held = HeldTopic("t", deadline_ms=60_000, delivery_deadline_ms=TIMEOUT)
    futures = [held.hold(None, b"k", value, None, 1_000 + i) for i, value in enumerate(values)]
    return held, futures


def test_held_records_count_their_size_and_wait_on_the_placeholder() -> None:
    held, futures = _held([b"a", b"bb"])
    assert held.size == record_size(b"k", b"a", None) + record_size(b"k", b"bb", None)
    assert [(f._batch, f._index) for f in futures] == [(held.placeholder, 0), (held.placeholder, 1)]
    assert not any(f.done() for f in futures)


def test_release_appends_in_the_order_held_and_moves_each_future() -> None:
    held, futures = _held([b"a", b"b", b"c"])
    batch = PendingBatch("t", 0, TIMEOUT)
    appended: list[bytes | None] = []

    def append(record: HeldRecord) -> tuple[PendingBatch, int]:
        appended.append(record.value)
        return batch, len(appended) - 1

    held.release(append)
    assert appended == [b"a", b"b", b"c"]
    assert [(f._batch, f._index) for f in futures] == [(batch, 0), (batch, 1), (batch, 2)]
    assert held.records == []
    batch.succeed(base_offset=10, log_append_time_ms=-1)
    assert [f.result().offset for f in futures] == [10, 11, 12]


def test_callbacks_added_while_held_follow_the_record() -> None:
    held, (future,) = _held([b"a"])
    seen: list[int] = []
    future.add_done_callback(lambda f: seen.append(f.result().offset))
    batch = PendingBatch("t", 0, TIMEOUT)
    held.release(lambda _record: (batch, 0))
    assert seen == []
    batch.succeed(base_offset=5, log_append_time_ms=-1)
    assert seen == [5]


def test_a_record_that_cannot_be_appended_fails_alone() -> None:
    held, futures = _held([b"a", b"too large", b"c"])
    batch = PendingBatch("t", 0, TIMEOUT)
    refusal = RecordTooLargeError("too large")

    def append(record: HeldRecord) -> tuple[PendingBatch, int]:
        if record.value == b"too large":
            raise refusal
        return batch, 0 if record.value == b"a" else 1

    held.release(append)
    assert futures[1].exception() is refusal
    assert not futures[0].done()
    assert not futures[2].done()
    assert (futures[2]._batch, futures[2]._index) == (batch, 1)


def test_fail_ends_every_held_record_with_the_error() -> None:
    held, futures = _held([b"a", b"b"])
    error = KafkaTimeoutError("no metadata")
    held.fail(error)
    assert held.records == []
    assert [f.exception() for f in futures] == [error, error]


def test_record_size_counts_key_value_and_headers() -> None:
    assert record_size(None, None, None) == 21
    assert record_size(b"kk", b"vvv", [("h", b"12"), ("x", None)]) == 21 + 2 + 3 + (1 + 2 + 4) + (
        1 + 4
    )
