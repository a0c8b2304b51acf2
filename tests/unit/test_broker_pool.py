"""`BrokerPool`: which connections it opens, reuses and gives up on, and when it tries again.

The pool opens connections through `connect_any`; here that is a fake that hands out
`FakeConnection`s (or refuses, as an unreachable broker does) and records every attempt, and
the pool's clock (`now_ms`) is a `FakeClock`. A fake connection answers Metadata with the
result the test set, so refreshes run through the pool's own code.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from fake_cluster import FakeClock

from ferrokafka import _backoff, _broker_pool
from ferrokafka._address import BrokerAddress
from ferrokafka._broker_pool import BOOTSTRAP, BrokerPool, ClusterUnreachableError
from ferrokafka._native import BrokerMetadata, MetadataResult, PartitionMetadata, TopicMetadata
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import AuthenticationError, KafkaConnectionError

RECONNECT_MS = 100
RECONNECT_MAX_MS = 1_000
SETUP_TIMEOUT_MS = 1_000
SETUP_TIMEOUT_MAX_MS = 8_000
RETRY_BACKOFF_MS = 200


def _metadata(topics: dict[str, int], brokers: Sequence[int] = (1, 2)) -> MetadataResult:
    return MetadataResult(
        [BrokerMetadata(b, f"b{b}", 9092, None) for b in brokers],
        "c",
        brokers[0],
        [
            TopicMetadata(
                name,
                0,
                False,
                [PartitionMetadata(p, 0, 1, 0, [1], [1], []) for p in range(n)],
                None,
            )
            for name, n in topics.items()
        ],
        0,
        0,
    )


class FakeConnection:
    """What the pool asks of a connection, with Metadata answered from ``stage.answer``."""

    def __init__(self, stage: Stage, servers: Sequence[BrokerAddress]) -> None:
        self.stage = stage
        self.servers = list(servers)
        self.node_id: int | None = None
        self.closed = False
        self.throttled_until = 0.0
        self.observer: Any = None
        self.metadata_requests = 0

    def api_version(self, api_key: int, ours_max: int | None = None) -> int:
        return 4

    async def request(self, request: Any) -> MetadataResult:
        self.metadata_requests += 1
        return self.stage.answer

    def idle_seconds(self, now: float) -> float:
        return 0.0

    async def close(self) -> None:
        self.closed = True


class Stage:
    """The fake `connect_any`: every attempt recorded; ``refuse`` makes the next ones fail."""

    def __init__(self) -> None:
        self.attempts: list[tuple[list[BrokerAddress], float]] = []
        self.opened: list[FakeConnection] = []
        self.refuse: Exception | None = None
        self.answer = _metadata({})

    async def connect_any(
        self, servers: Sequence[BrokerAddress], *, connect_timeout: float, **_: Any
    ) -> FakeConnection:
        self.attempts.append((list(servers), connect_timeout))
        if self.refuse is not None:
            raise self.refuse
        conn = FakeConnection(self, servers)
        self.opened.append(conn)
        return conn


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(_broker_pool, "now_ms", clock)
    return clock


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Stage:
    stage = Stage()
    monkeypatch.setattr(_broker_pool, "connect_any", stage.connect_any)
    return stage


def _pool(**options: Any) -> BrokerPool:
    config = ProducerConfig(
        bootstrap_servers="boot1:9092,boot2:9093",
        reconnect_backoff_ms=RECONNECT_MS,
        reconnect_backoff_max_ms=RECONNECT_MAX_MS,
        socket_connection_setup_timeout_ms=SETUP_TIMEOUT_MS,
        socket_connection_setup_timeout_max_ms=SETUP_TIMEOUT_MAX_MS,
        retry_backoff_ms=RETRY_BACKOFF_MS,
        retry_backoff_max_ms=RETRY_BACKOFF_MS * 8,
        **options,
    )
    return BrokerPool(config, ssl_context=None)


async def test_bootstrap_connects_to_the_bootstrap_list_once_and_reuses_it(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    first = await pool.any_connection()
    again = await pool.any_connection()
    assert again is first
    assert [servers for servers, _ in stage.attempts] == [
        [BrokerAddress("boot1", 9092), BrokerAddress("boot2", 9093)]
    ]


async def test_a_refresh_fills_the_metadata_and_tells_the_producer(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    told: list[int] = []
    pool.on_metadata = lambda: told.append(len(pool.metadata.brokers))
    stage.answer = _metadata({"t": 3})
    pool.want_topic("t")
    await pool.refresh_metadata()
    assert told == [2]
    state = pool.metadata.topic("t")
    assert state is not None
    assert len(state.partitions) == 3
    assert pool.refresh_wait_ms() == 0
    assert pool.last_refresh_ms == clock.ms


async def test_a_node_is_looked_up_in_the_metadata_and_its_connection_reused(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    with pytest.raises(KafkaConnectionError, match="broker 2 is not in the cluster metadata"):
        await pool.connection(2)
    assert stage.attempts == []
    pool.metadata.update(_metadata({}), all_topics=False)
    conn = await pool.connection(2)
    assert stage.attempts[-1][0] == [BrokerAddress("b2", 9092)]
    assert conn.node_id == 2
    assert await pool.connection(2) is conn
    assert pool.ready_connection(2) is conn
    assert len(stage.attempts) == 1


async def test_a_closed_connection_is_replaced_on_the_next_use(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    pool.metadata.update(_metadata({}), all_topics=False)
    conn = await pool.connection(1)
    conn.closed = True
    assert pool.ready_connection(1) is None
    replacement = await pool.connection(1)
    assert replacement is not conn
    assert len(stage.attempts) == 2


async def test_a_failed_connect_waits_its_backoff_and_the_next_timeout_grows(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    pool.metadata.update(_metadata({}), all_topics=False)
    stage.refuse = KafkaConnectionError("refused")
    assert pool.can_connect(1)
    for failures in (1, 2, 3):
        with pytest.raises(KafkaConnectionError, match="refused"):
            await pool.connection(1)
        assert not pool.can_connect(1)
        # Java's reconnect backoff: initial * 2**(failures-1), within its 20% jitter.
        backoff = RECONNECT_MS * 2 ** (failures - 1)
        clock.advance(int(backoff * 0.8) - 1)
        assert not pool.can_connect(1)
        clock.advance(int(backoff * 0.4) + 2)
        assert pool.can_connect(1)
        # Each failure doubles the next attempt's timeout (with jitter).
        expected = SETUP_TIMEOUT_MS * 2**failures
        assert expected * 0.8 <= pool.connect_timeout_ms(1) <= expected * 1.2
    assert pool.last_error is stage.refuse
    # Other nodes are not held back by broker 1's failures.
    assert pool.can_connect(2)
    stage.refuse = None
    await pool.connection(1)
    assert SETUP_TIMEOUT_MS * 0.8 <= pool.connect_timeout_ms(1) <= SETUP_TIMEOUT_MS * 1.2
    # The attempts were made with the growing timeouts, in seconds.
    timeouts = [timeout for _, timeout in stage.attempts]
    assert timeouts == sorted(timeouts)


async def test_the_timeouts_and_waits_of_failed_connects_are_exact_without_jitter(
    stage: Stage, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The jitter's factor fixed at 1: each wait and each timeout is the formula's exactly.
    monkeypatch.setattr(_backoff, "random", SimpleNamespace(uniform=lambda low, high: 1.0))
    pool = _pool()
    pool.metadata.update(_metadata({}), all_topics=False)
    stage.refuse = KafkaConnectionError("refused")
    for backoff in (100, 200, 400, 800, 1000):
        with pytest.raises(KafkaConnectionError):
            await pool.connection(1)
        clock.advance(backoff - 1)
        assert not pool.can_connect(1)
        clock.advance(1)
        assert pool.can_connect(1)
    stage.refuse = None
    await pool.connection(1)
    # Seconds: 1 s, doubling per failure up to the 8 s cap; the success resets it to 1 s.
    assert [timeout for _, timeout in stage.attempts] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert pool.connect_timeout_ms(1) == SETUP_TIMEOUT_MS


async def test_a_refresh_that_finds_a_topic_missing_holds_the_next_one_back(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    pool.want_topic("missing")
    await pool.refresh_metadata()
    wait = pool.refresh_wait_ms()
    assert RETRY_BACKOFF_MS * 0.8 <= wait <= RETRY_BACKOFF_MS * 1.2
    await pool.refresh_metadata()
    # Grows with each miss: the second wait is twice the first, within the jitter.
    assert RETRY_BACKOFF_MS * 2 * 0.8 <= pool.refresh_wait_ms() <= RETRY_BACKOFF_MS * 2 * 1.2
    stage.answer = _metadata({"missing": 1})
    await pool.refresh_metadata()
    assert pool.refresh_wait_ms() == 0


async def test_an_unreachable_cluster_is_named_with_every_bootstrap_address(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    stage.refuse = KafkaConnectionError("connection refused")
    with pytest.raises(ClusterUnreachableError) as caught:
        await pool.wait_for_cluster(timeout_ms=10)
    message = str(caught.value)
    assert "boot1:9092,boot2:9093" in message
    assert "connection refused" in message
    assert not pool.can_connect(BOOTSTRAP)


async def test_an_authentication_refusal_is_not_waited_out(stage: Stage, clock: FakeClock) -> None:
    pool = _pool()
    stage.refuse = AuthenticationError("bad password")
    with pytest.raises(AuthenticationError):
        await pool.wait_for_cluster(timeout_ms=60_000)
    assert len(stage.attempts) == 1


async def test_connections_to_brokers_that_left_are_closed(stage: Stage, clock: FakeClock) -> None:
    pool = _pool()
    pool.metadata.update(_metadata({}), all_topics=False)
    gone = await pool.connection(2)
    stage.answer = _metadata({}, brokers=(1,))
    await pool.refresh_metadata()
    assert gone.closed
    assert pool.ready_connection(2) is None


async def test_close_closes_every_connection_and_refuses_new_ones(
    stage: Stage, clock: FakeClock
) -> None:
    pool = _pool()
    boot = await pool.any_connection()
    pool.metadata.update(_metadata({}), all_topics=False)
    node = await pool.connection(1)
    await pool.close()
    assert boot.closed
    assert node.closed
    assert pool.ready_connection(1) is None
    with pytest.raises(KafkaConnectionError, match="the producer is closed"):
        await pool.connection(2)
    assert stage.opened[-1].closed
