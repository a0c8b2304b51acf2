"""The sender's decisions (retry, split, expiry, epoch bump) against a fake wire and a fake
clock: each test sets up the requests in flight, answers them as a broker would, and checks
what became of the records and what the partition log holds."""

from __future__ import annotations

import pytest
from fake_cluster import MESSAGE_TOO_LARGE, FakeClock, SenderStage

from ferrokafka.errors import KafkaTimeoutError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_overdue_split_pieces_in_flight_fail_on_time() -> None:
    """A batch split after MESSAGE_TOO_LARGE hands its records to pieces with its own (earlier)
    deadline, registered after younger batches: the pieces still fail at that deadline when
    their request is unanswered, not when the younger batches' deadlines pass."""
    clock = FakeClock()
    stage = SenderStage(clock, enable_idempotence=False, acks=1)
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
