"""`PendingBatch`: one batch's waiters and outcome, and the split pieces that stand in for it.

No broker and no accumulator: a batch is ended as the sender would end it (`succeed`, `fail`),
and split as the registry splits it (`InFlight.split`), so what a record's `DeliveryFuture`
reports is checked against what the batch was told.
"""

from __future__ import annotations

import asyncio

import pytest

from ferrokafka._inflight import InFlight
from ferrokafka._native import BatchRun, DeliveryFuture
from ferrokafka._pending import PendingBatch
from ferrokafka.errors import NotLeaderOrFollowerError, RecordTooLargeError
from ferrokafka.records import InvalidStateError

TIMEOUT = 30_000


def _future(batch: PendingBatch, index: int, timestamp: int = 1_700_000_000_000) -> DeliveryFuture:
    return DeliveryFuture(batch, index, timestamp, 3, 5)


def test_success_gives_each_record_its_offset_and_create_time() -> None:
    batch = PendingBatch("t", 2, deadline_ms=TIMEOUT)
    futures = [_future(batch, index, timestamp=100 + index) for index in range(3)]
    assert not futures[0].done()
    batch.succeed(base_offset=40, log_append_time_ms=-1)
    metadata = [future.result() for future in futures]
    assert [m.offset for m in metadata] == [40, 41, 42]
    assert [m.timestamp for m in metadata] == [100, 101, 102]
    assert {(m.topic, m.partition, m.timestamp_type) for m in metadata} == {("t", 2, "CreateTime")}
    assert (metadata[0].serialized_key_size, metadata[0].serialized_value_size) == (3, 5)


def test_log_append_time_replaces_the_records_timestamps() -> None:
    batch = PendingBatch("t", 0, deadline_ms=TIMEOUT)
    future = _future(batch, 1, timestamp=100)
    batch.succeed(base_offset=0, log_append_time_ms=777)
    metadata = future.result()
    assert (metadata.timestamp, metadata.timestamp_type) == (777, "LogAppendTime")


def test_a_failed_batch_fails_every_record_and_the_first_outcome_stands() -> None:
    batch = PendingBatch("t", 0, deadline_ms=TIMEOUT)
    futures = [_future(batch, index) for index in range(2)]
    error = NotLeaderOrFollowerError("leader moved")
    batch.fail(error)
    # A late answer to a batch that already ended changes nothing.
    batch.succeed(base_offset=5, log_append_time_ms=-1)
    for future in futures:
        assert future.exception() is error
        with pytest.raises(NotLeaderOrFollowerError):
            future.result()


def test_a_pending_record_has_no_result_yet() -> None:
    future = _future(PendingBatch("t", 0, deadline_ms=TIMEOUT), 0)
    with pytest.raises(InvalidStateError):
        future.result()


def test_callbacks_run_once_at_the_end_and_at_once_after_it() -> None:
    batch = PendingBatch("t", 0, deadline_ms=TIMEOUT)
    seen: list[int] = []
    future = _future(batch, 0)
    future.add_done_callback(lambda f: seen.append(f.result().offset))
    assert seen == []
    batch.succeed(base_offset=9, log_append_time_ms=-1)
    batch.succeed(base_offset=10, log_append_time_ms=-1)
    assert seen == [9]
    future.add_done_callback(lambda f: seen.append(-f.result().offset))
    assert seen == [9, -9]
    # A late failure (an expiry racing the acknowledgement) changes nothing either.
    batch.fail(NotLeaderOrFollowerError("too late"))
    assert seen == [9, -9]
    assert future.result().offset == 9


def test_a_raising_callback_does_not_stop_the_others() -> None:
    batch = PendingBatch("t", 0, deadline_ms=TIMEOUT)
    seen: list[str] = []

    def bad(_future: DeliveryFuture) -> None:
        raise RuntimeError("user bug")

    _future(batch, 0).add_done_callback(bad)
    _future(batch, 1).add_done_callback(lambda _f: seen.append("second"))
    batch.succeed(base_offset=0, log_append_time_ms=-1)
    assert seen == ["second"]


def test_every_awaiter_wakes_on_one_end() -> None:
    async def main() -> list[int]:
        batch = PendingBatch("t", 0, deadline_ms=TIMEOUT)
        futures = [_future(batch, index) for index in range(3)]
        waiting = [asyncio.ensure_future(_awaited(future)) for future in futures]
        await asyncio.sleep(0)
        assert not any(task.done() for task in waiting)
        asyncio.get_running_loop().call_soon(batch.succeed, 7, -1)
        return list(await asyncio.wait_for(asyncio.gather(*waiting), 5))

    assert asyncio.run(main()) == [7, 8, 9]


async def _awaited(future: DeliveryFuture) -> int:
    return (await future).offset


def _split_batch() -> tuple[InFlight, PendingBatch, list[DeliveryFuture]]:
    """Batch 1 of five records, split into pieces 10 (records 0..2) and 11 (records 3..4)."""
    registry = InFlight(TIMEOUT)
    parent = registry.add(1, "t", 0, now_ms=0)
    futures = [_future(parent, index) for index in range(5)]
    registry.sent(1)
    registry.split(1, [BatchRun(10, 0, 3), BatchRun(11, 3, 2)])
    return registry, parent, futures


def test_split_pieces_resolve_the_parent_when_the_last_one_ends() -> None:
    registry, parent, futures = _split_batch()
    first, second = registry.get(10), registry.get(11)
    assert first is not None
    assert second is not None
    assert parent.locate(4) == (second, 1)
    second.succeed(base_offset=100, log_append_time_ms=-1)
    assert not parent.done()
    assert not futures[4].done()
    first.succeed(base_offset=50, log_append_time_ms=-1)
    assert parent.done()
    # Each record's offset is its piece's base offset plus its index in the piece.
    assert [future.result().offset for future in futures] == [50, 51, 52, 100, 101]


def test_a_failed_piece_fails_only_its_own_records() -> None:
    registry, parent, futures = _split_batch()
    first, second = registry.get(10), registry.get(11)
    assert first is not None
    assert second is not None
    error = RecordTooLargeError("still too large")
    first.fail(error)
    second.succeed(base_offset=100, log_append_time_ms=-1)
    assert parent.done()
    assert [future.exception() is error for future in futures] == [True] * 3 + [False] * 2
    assert futures[3].result().offset == 100
