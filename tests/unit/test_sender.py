"""The sender's decisions (retry, split, expiry, epoch bump) against a fake wire and a fake
clock: each test sets up the requests in flight, answers them as a broker would, and checks
what became of the records and what the partition log holds.

Tests that need several small requests out at once (A, then B behind it) send them as the
Java client does, with ``coalesce_small_requests=False``: coalescing would hold B for A's
answer."""

from __future__ import annotations

import pytest
from fake_cluster import MESSAGE_TOO_LARGE, FakeClock, SenderStage

from ferrokafka.errors import KafkaTimeoutError, RecordTooLargeError

pytestmark = pytest.mark.anyio

# Small requests pipelined (see the module's docstring).
PIPELINED = {"coalesce_small_requests": False}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_overdue_split_pieces_in_flight_fail_on_time() -> None:
    """A batch split after MESSAGE_TOO_LARGE hands its records to pieces with its own (earlier)
    deadline, registered after younger batches: the pieces still fail at that deadline when
    their request is unanswered, not when the younger batches' deadlines pass."""
    clock = FakeClock()
    stage = SenderStage(clock, enable_idempotence=False, acks=1, **PIPELINED)
    old = [stage.send("t", 0, b"old-%d" % i) for i in range(4)]
    await stage.turn()
    (first,) = stage.wire.requests
    clock.advance(5_000)
    young = stage.send("t", 1, b"young")
    await stage.turn()
    assert len(stage.wire.requests) == 2
    first.answer({("t", 0): MESSAGE_TOO_LARGE})
    await stage.turn()
    # The pieces went out again and hang there.
    assert len(stage.wire.requests) >= 2
    assert not any(f.done() for f in old)

    clock.advance(30_000 - 5_000)
    await stage.turn()
    for future in old:
        assert future.done()
        assert isinstance(future.exception(), KafkaTimeoutError)
    assert not young.done()


async def test_a_lone_record_too_large_for_the_broker_fails_unsplit() -> None:
    """MESSAGE_TOO_LARGE for a batch of one record: the accumulator has no smaller batch to
    make (its split gives no pieces), so the record fails with RecordTooLargeError and its
    batch leaves the accumulator."""
    clock = FakeClock()
    stage = SenderStage(clock, enable_idempotence=False, acks=1)
    lone = stage.send("t", 0, b"lone")
    await stage.turn()
    (request,) = stage.wire.requests
    request.answer({("t", 0): MESSAGE_TOO_LARGE})
    await stage.turn()
    assert isinstance(lone.exception(), RecordTooLargeError)
    assert stage.registry.unsettled("t", 0) == []
    assert stage.accumulator.live_batches() == 0
    assert _log_of(stage) == []


def _log_of(stage: SenderStage, partition: int = 0) -> list[bytes]:
    return stage.values("t", partition)


async def _start(stage: SenderStage) -> None:
    """Gets the producer id (InitProducerId through the fake wire) with nothing to send."""
    stage.send("warm", 0, b"w")
    await stage.turn()
    stage.wire.requests[0].answer()
    await stage.turn()
    assert stage.producer_ids is not None
    assert stage.producer_ids.ready


async def test_retried_batch_keeps_its_place_so_a_successor_echo_is_no_gap() -> None:
    """A's request is lost before the leader read it, B's is read: B is refused out of order
    because A is missing. A still comes first in the partition's order (it is retried, not
    gone), so B's refusal is A's echo: both are retried, no epoch bump, the log holds A, B."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    b = stage.send("t", 0, b"B")
    await stage.turn()
    first, second = stage.wire.requests
    first.lost()
    second.answer()
    assert stage.producer_ids is not None
    assert stage.producer_ids.ready, "no epoch bump"
    for _ in range(6):
        clock.advance(200)
        await stage.turn()
        for request in list(stage.wire.requests):
            request.answer()
    await stage.turn()
    assert a.result().offset == 0
    assert b.result().offset == 1
    assert _log_of(stage) == [b"A", b"B"]
    assert stage.wire.log(("t", 0)).epoch == 0


async def test_epoch_bump_after_an_expiry_resends_maybe_written_batches_first() -> None:
    """A request with A and B was written but its answer lost (a request timeout looks the
    same). A is sent again and its delivery timeout passes while that request is out: A fails
    and the epoch must be bumped. B may be in the log under the old epoch, so it goes once more
    under that epoch, where the broker sees a duplicate, before the bump renumbers anything:
    renumbered first, it would be written twice."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    clock.advance(10_000)
    b = stage.send("t", 0, b"B")
    await stage.turn()
    assert len(stage.wire.requests) == 2
    for request in list(stage.wire.requests):
        request.written_but_lost()
    assert _log_of(stage) == [b"A", b"B"]
    clock.advance(200)
    await stage.turn()
    (_resent_a,) = stage.wire.requests  # B waits: it is not the first unacknowledged
    clock.advance(30_000 - 10_000)
    await stage.turn()
    assert isinstance(a.exception(), KafkaTimeoutError)
    assert stage.producer_ids is not None
    assert not stage.producer_ids.ready
    # B, unresolved, goes again under epoch 0 while A's request is still out.
    assert [r.batches[0].epoch for r in stage.wire.requests] == [0, 0]
    for request in list(stage.wire.requests):
        request.answer()
    await stage.turn()
    assert b.result().offset == 1  # the duplicate's original offset
    c = stage.send("t", 0, b"C")
    for _ in range(3):
        clock.advance(200)
        await stage.turn()
        for request in list(stage.wire.requests):
            request.answer()
    assert stage.producer_ids.ready
    assert stage.producer_ids.epoch == 1
    assert c.result().offset == 2
    assert _log_of(stage) == [b"A", b"B", b"C"]


async def test_a_real_gap_after_an_expiry_is_closed_by_the_epoch_bump() -> None:
    """A's requests never reach the leader and A expires in flight; B, sent after it, may be
    written. Sent again under the old epoch, B is refused by sequence: A is not in the log,
    so neither is B. The epoch is bumped and B, renumbered from 0, is written once."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    clock.advance(10_000)
    b = stage.send("t", 0, b"B")
    await stage.turn()
    first, second = stage.wire.requests
    first.lost()
    second.lost()
    clock.advance(200)
    await stage.turn()
    clock.advance(30_000 - 10_000)
    await stage.turn()
    assert isinstance(a.exception(), KafkaTimeoutError)
    for _ in range(8):
        clock.advance(250)
        await stage.turn()
        for request in list(stage.wire.requests):
            if request.batches[0].values == (b"A",):
                request.lost()
            else:
                request.answer()
    assert stage.producer_ids is not None
    assert stage.producer_ids.epoch == 1
    assert b.result().offset == 0
    assert _log_of(stage) == [b"B"]


async def test_split_pieces_take_their_parent_place() -> None:
    """A is too large and split; B, sent behind it, is refused out of order. The pieces stand
    where A stood, before B: B's refusal is an echo, not a gap, and the log holds A's records
    then B's, under the first epoch."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    a = [stage.send("t", 0, b"A%d" % i) for i in range(4)]
    await stage.turn()
    b = stage.send("t", 0, b"B")
    await stage.turn()
    first, second = stage.wire.requests
    first.answer({("t", 0): MESSAGE_TOO_LARGE})
    order = stage.registry.unsettled("t", 0)
    assert len(order) == 3
    assert stage.registry.get(order[-1]).partition == 0
    second.answer()
    assert stage.producer_ids is not None
    assert stage.producer_ids.ready, "no epoch bump"
    for _ in range(8):
        clock.advance(200)
        await stage.turn()
        for request in list(stage.wire.requests):
            request.answer()
    assert [f.result().offset for f in a] == [0, 1, 2, 3]
    assert b.result().offset == 4
    assert _log_of(stage) == [b"A0", b"A1", b"A2", b"A3", b"B"]
    assert stage.wire.log(("t", 0)).epoch == 0


async def test_retries_counts_tries_after_the_first() -> None:
    """retries=2: a batch refused with a retriable error three times fails with it."""
    from fake_cluster import NOT_LEADER_OR_FOLLOWER

    from ferrokafka.errors import NotLeaderOrFollowerError

    clock = FakeClock()
    stage = SenderStage(clock, enable_idempotence=False, acks=1, retries=2)
    future = stage.send("t", 0, b"x")
    tries = 0
    for _ in range(6):
        await stage.turn()
        for request in list(stage.wire.requests):
            tries += 1
            request.answer({("t", 0): NOT_LEADER_OR_FOLLOWER})
        clock.advance(500)
    assert tries == 3
    assert isinstance(future.exception(), NotLeaderOrFollowerError)


async def test_maybe_written_is_the_registry_word_for_failures_and_their_messages() -> None:
    """A and B go out in two requests; A's is lost before the leader read it, B's is refused
    out of order (A's echo). Both back off past their delivery deadline. A may be in the log,
    B is not (refused by sequence): the registry says so, and so do their errors."""
    clock = FakeClock()
    stage = SenderStage(
        clock,
        max_in_flight_requests_per_connection=5,
        coalesce_small_requests=False,
        retry_backoff_ms=20_000,
        retry_backoff_max_ms=20_000,
    )
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    b = stage.send("t", 0, b"B")
    await stage.turn()
    first, second = stage.wire.requests
    a_batch, b_batch = (stage.registry.get(i) for i in stage.registry.unsettled("t", 0))
    first.lost()
    second.answer()
    assert (a_batch.maybe_written, b_batch.maybe_written) == (True, False)
    assert b_batch.attempts == 1  # sent, but not written: attempts alone do not say
    assert stage.producer_ids is not None
    assert stage.producer_ids.ready
    clock.advance(30_000)
    await stage.turn(rounds=1)
    a_error, b_error = str(a.exception()), str(b.exception())
    assert "may have been written" in a_error
    assert "may have been written" not in b_error
    assert "not written within delivery_timeout_ms=30000: the broker refused it" in b_error
    assert _log_of(stage) == []
    # Both spent sequence numbers: the next batch goes out under a new epoch.
    assert not stage.producer_ids.ready


async def test_a_request_never_answered_times_out_while_the_bump_waits() -> None:
    """A's request reaches the leader and its answer never comes (the connection stays up):
    A's delivery timeout passes in flight, so the epoch must be bumped, and the bump waits
    until no request is out. That request's own timeout must still be enforced, or the bump
    would wait forever and B, for another partition, would never be sent."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    (silent,) = stage.wire.requests
    clock.advance(30_000)
    await stage.turn()
    assert "maybe written" in str(a.exception())
    b = stage.send("t", 1, b"B")
    await stage.turn()
    assert stage.wire.requests == [silent], "nothing goes out while the bump waits"
    silent.overdue = True
    for _ in range(3):
        clock.advance(200)
        await stage.turn()
        for request in list(stage.wire.requests):
            if request is not silent:
                request.answer()
    assert silent not in stage.wire.requests, "timed out, its connection closed"
    assert stage.producer_ids is not None
    assert stage.producer_ids.epoch == 1
    assert b.result().offset == 0
    assert stage.wire.log(("t", 1)).epoch == 1


async def test_a_silent_request_times_out_in_a_round_that_drains() -> None:
    """The request timeouts are enforced in a round that drains too, so a silent broker is
    noticed while other partitions keep the sender busy."""
    import anyio

    clock = FakeClock()
    stage = SenderStage(clock, enable_idempotence=False, acks=1)
    stage.send("t", 0, b"A")
    await stage.turn()
    (silent,) = stage.wire.requests
    silent.overdue = True
    stage.send("t", 1, b"B")
    async with anyio.create_task_group() as tasks:
        await stage.sender._round(tasks)
    assert silent not in stage.wire.requests
    (drained,) = stage.wire.requests
    assert [batch.values for batch in drained.batches] == [(b"B",)]


async def test_a_request_at_linger_0_takes_one_round() -> None:
    """At linger 0 a round drains the batch and, with nothing left, says how long to sleep at
    once; the response of a request that leaves nothing queued does not wake the sender, one
    that leaves a batch queued does."""
    import anyio

    clock = FakeClock()
    stage = SenderStage(clock)
    await _start(stage)
    first = stage.send("t", 0, b"A")
    async with anyio.create_task_group() as tasks:
        assert await stage.sender._round(tasks) > 0, "drained A, nothing left to drain"
    (request,) = stage.wire.requests
    # No round waits in this test: the signal stays set until cleared.
    stage.sender._wakeup._is_set = False
    request.answer()
    assert first.result().offset == 0
    assert not stage.sender._wakeup._is_set, "nothing queued: no round for the response"

    stage.send("t", 0, b"B")
    async with anyio.create_task_group() as tasks:
        await stage.sender._round(tasks)
    (request,) = stage.wire.requests
    stage.sender._wakeup._is_set = False
    stage.send("t", 1, b"C")  # queued while B is out (as a full in-flight window holds it)
    request.answer()
    assert stage.sender._wakeup._is_set, "C waits: the response wakes the sender"


async def test_no_leader_lookups_while_every_window_is_full() -> None:
    """With the only broker's in-flight window full nothing can be sent: the round looks up no
    leader for the ready partitions, and routes them all once the response frees the window."""
    import anyio

    clock = FakeClock()
    stage = SenderStage(
        clock, enable_idempotence=False, acks=1, max_in_flight_requests_per_connection=1
    )
    stage.send("t", 0, b"A")
    await stage.turn(rounds=1)
    (first,) = stage.wire.requests
    for partition in (1, 2, 3):
        stage.send("t", partition, b"B")
    stage.pool.metadata.lookups = 0
    async with anyio.create_task_group() as tasks:
        await stage.sender._round(tasks)
    assert stage.pool.metadata.lookups == 0
    assert stage.wire.requests == [first]

    first.answer()
    async with anyio.create_task_group() as tasks:
        await stage.sender._round(tasks)
    assert stage.pool.metadata.lookups == 3
    (second,) = stage.wire.requests
    assert sorted(batch.partition for batch in second.batches) == [1, 2, 3]


async def test_batches_closed_while_every_window_is_full_go_to_the_workers() -> None:
    """The round that skips ready() because the only window is full still sends the batches
    closed meanwhile to the compression workers, so they compress while the request is out:
    the workers' wake-up socket becomes readable without another round."""
    import select

    import anyio

    clock = FakeClock()
    stage = SenderStage(
        clock,
        enable_idempotence=False,
        acks=1,
        max_in_flight_requests_per_connection=1,
        compression_type="lz4",
    )
    # The fake wire reads no compressed batch: the window is filled by hand.
    stage.sender._in_flight[1] = 1
    # 20 records of 1 KiB per partition: each closes a batch of 15 (16 KiB until a ratio is
    # learnt), which the append hands over for the workers.
    for partition in (1, 2):
        for n in range(20):
            stage.send("t", partition, b"%04d" % n + b"x" * 1020)
    wake_fd = stage.accumulator.compression_wake_fd()
    assert wake_fd is not None
    acc = stage.accumulator
    assert acc.compressing_batches() == 2
    async with anyio.create_task_group() as tasks:
        await stage.sender._round(tasks)
    assert stage.wire.requests == []
    # Either the round's own take found them done already (a quick pool), or they are on the
    # workers and their wake-up comes without another round. Only the wake-up is waited for
    # here (take_compressed would hand over batches the round left behind). The workers are
    # the process's shared pool (one thread on two cores), which may still be compressing
    # earlier tests' batches: a generous wait, not a speed check.
    while acc.compressing_batches():
        readable, _, _ = select.select([wake_fd], [], [], 60.0)
        assert readable == [wake_fd], "the closed batches never reached the workers"
        acc.take_compressed()


async def test_small_batches_wait_for_the_request_out_and_go_together() -> None:
    """coalesce_small_requests (the default): while the broker works on A's request, B and C
    (small, on two partitions) are not sent in requests of their own; A's answer lets them go,
    in one request."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5)
    await _start(stage)
    a = stage.send("t", 0, b"A")
    await stage.turn()
    (first,) = stage.wire.requests
    b = stage.send("t", 0, b"B")
    c = stage.send("t", 1, b"C")
    await stage.turn()
    assert stage.wire.requests == [first], "B and C wait for A's answer"
    first.answer()
    await stage.turn()
    (second,) = stage.wire.requests
    assert sorted((batch.partition, batch.values) for batch in second.batches) == [
        (0, (b"B",)),
        (1, (b"C",)),
    ]
    second.answer()
    await stage.turn()
    assert [f.result().offset for f in (a, b, c)] == [0, 1, 0]


async def test_without_coalescing_a_small_batch_goes_while_a_request_is_out() -> None:
    """coalesce_small_requests=False sends as the Java client does: B goes at once, in a
    second request beside A's."""
    clock = FakeClock()
    stage = SenderStage(clock, max_in_flight_requests_per_connection=5, **PIPELINED)
    await _start(stage)
    stage.send("t", 0, b"A")
    await stage.turn()
    stage.send("t", 0, b"B")
    await stage.turn()
    assert [[batch.values for batch in r.batches] for r in stage.wire.requests] == [
        [(b"A",)],
        [(b"B",)],
    ]
