"""`InFlight`, the registry of in-flight work: what each change leaves true."""

from __future__ import annotations

from ferrokafka._inflight import InFlight
from ferrokafka._native import BatchRun

TIMEOUT = 30_000


def test_expired_follows_deadlines_not_registration_order() -> None:
    registry = InFlight(TIMEOUT)
    registry.add(1, "t", 0, now_ms=0)
    registry.add(2, "t", 1, now_ms=5_000)
    registry.sent(1)
    registry.split(1, [BatchRun(3, 0, 2), BatchRun(4, 2, 2)])
    # Registered after batch 2, due before it.
    assert registry.next_deadline() == TIMEOUT
    assert [batch_id for batch_id, _ in registry.expired(TIMEOUT)] == [3, 4]
    assert registry.expired(TIMEOUT + 4_999) == []
    assert [batch_id for batch_id, _ in registry.expired(TIMEOUT + 5_000)] == [2]


def test_settled_batches_leave_the_heap_lazily() -> None:
    registry = InFlight(TIMEOUT)
    registry.add(1, "t", 0, now_ms=0)
    registry.add(2, "t", 0, now_ms=10)
    registry.settle(1)
    assert registry.next_deadline() == TIMEOUT + 10
    assert [batch_id for batch_id, _ in registry.expired(10**9)] == [2]
    registry.settle(2)
    assert registry.next_deadline() is None
    assert len(registry) == 0


def test_a_retry_keeps_its_place_and_is_counted_once() -> None:
    registry = InFlight(TIMEOUT)
    for batch_id in (1, 2, 3):
        registry.add(batch_id, "t", 0, now_ms=0)
        registry.sent(batch_id)
    assert registry.retry(1) == 1
    registry.sent(1)
    assert registry.retry(1) == 2
    registry.sent(1)
    assert registry.unsettled("t", 0) == [1, 2, 3]
    assert registry.first_unsettled("t", 0) == 1
    assert registry.get(1).attempts == 2  # type: ignore[union-attr]


def test_split_pieces_take_the_parent_place_and_deadline() -> None:
    registry = InFlight(TIMEOUT)
    for batch_id in (1, 2, 3):
        registry.add(batch_id, "t", 0, now_ms=batch_id)
        registry.sent(batch_id)
    parent = registry.split(2, [BatchRun(10, 0, 3), BatchRun(11, 3, 1)])
    assert registry.unsettled("t", 0) == [1, 10, 11, 3]
    assert registry.get(2) is None
    piece = registry.get(11)
    assert piece is not None
    assert piece.parent is parent
    assert piece.deadline_ms == 2 + TIMEOUT
    assert parent.locate(3) == (piece, 0)
    # The parent resolves once both pieces have.
    registry.settle(10).succeed(100, -1)  # type: ignore[union-attr]
    assert not parent.done()
    registry.settle(11).succeed(103, -1)  # type: ignore[union-attr]
    assert parent.done()
    assert parent.record_metadata(3, 0, -1, 1).offset == 103


def test_settle_is_once() -> None:
    registry = InFlight(TIMEOUT)
    registry.add(1, "t", 0, now_ms=0)
    registry.sent(1)
    assert registry.settle(1) is not None
    assert registry.settle(1) is None
    assert registry.first_unsettled("t", 0) is None


def test_unresolved_names_partitions_whose_oldest_batch_may_be_written() -> None:
    registry = InFlight(TIMEOUT)
    for batch_id, partition in ((1, 0), (2, 0), (3, 1)):
        registry.add(batch_id, "t", partition, now_ms=0)
        registry.sent(batch_id)
    assert registry.unresolved() == {("t", 0): True, ("t", 1): True}
    registry.retry(1)  # a lost connection: may be written
    registry.refused_by_sequence(3)
    registry.retry(3)
    assert registry.unresolved() == {("t", 0): False}
    registry.settle(1)
    assert registry.unresolved() == {("t", 0): True}  # 2 is in flight
    registry.refused_by_sequence(2)
    registry.retry(2)
    assert registry.unresolved() == {}


def test_never_sent_batches_have_no_place() -> None:
    registry = InFlight(TIMEOUT)
    registry.add(1, "t", 0, now_ms=0)
    assert registry.first_unsettled("t", 0) is None
    assert registry.unresolved() == {}
    assert [p.topic for p in registry] == ["t"]
    assert [p.topic for p in registry.take_all()] == ["t"]
    assert len(registry) == 0
    assert registry.next_deadline() is None
