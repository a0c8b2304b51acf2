"""A broker-less stage for the sender: a fake clock, a fake connection that keeps the Produce
requests it was given until the test answers them, and a fake partition log that applies the
broker's idempotence rules (one producer epoch at a time, sequences in order, the last five
batches remembered for duplicates), so a test can check what a real log would hold.

The wire bytes are read and written here, independently of ferrokafka's codec: Produce v8
(the last non-flexible version) in both directions, record batch v2 headers for the producer
id, epoch and sequence of each batch.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

from ferrokafka.errors import KafkaConnectionError

PRODUCE_VERSION = 8
NONE = 0
MESSAGE_TOO_LARGE = 10
NOT_LEADER_OR_FOLLOWER = 6
REQUEST_TIMED_OUT = 7
DUPLICATE_SEQUENCE_NUMBER = 46
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
# The broker keeps this many batches per producer and partition to answer duplicates.
REMEMBERED_BATCHES = 5


class FakeClock:
    """Monotonic milliseconds that move only when the test says so."""

    def __init__(self, start_ms: int = 1_000_000) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@dataclass(frozen=True)
class SentBatch:
    """One record batch of a Produce request, as the broker reads its header."""

    topic: str
    partition: int
    producer_id: int
    epoch: int
    base_sequence: int
    count: int
    values: tuple[bytes, ...]


def _string(data: bytes, pos: int) -> tuple[str | None, int]:
    (n,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if n < 0:
        return None, pos
    return data[pos : pos + n].decode(), pos + n


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return (result >> 1) ^ -(result & 1), pos


def _values(records: bytes, count: int) -> tuple[bytes, ...]:
    """The record values of an uncompressed record batch v2."""
    pos = 61
    values = []
    for _ in range(count):
        length, pos = _varint(records, pos)
        end = pos + length
        pos += 1  # attributes
        _, pos = _varint(records, pos)  # timestamp delta
        _, pos = _varint(records, pos)  # offset delta
        key_len, pos = _varint(records, pos)
        pos += max(key_len, 0)
        value_len, pos = _varint(records, pos)
        values.append(records[pos : pos + value_len] if value_len >= 0 else b"")
        pos = end
    return tuple(values)


def parse_produce(frame: bytes) -> tuple[int, list[SentBatch]]:
    """The correlation id and batches of a Produce v8 request frame (size prefix included)."""
    pos = 4
    _, version, correlation_id = struct.unpack_from(">hhi", frame, pos)
    assert version == PRODUCE_VERSION, version
    pos += 8
    _, pos = _string(frame, pos)  # client id
    _, pos = _string(frame, pos)  # transactional id
    pos += 6  # acks, timeout
    (topics,) = struct.unpack_from(">i", frame, pos)
    pos += 4
    batches = []
    for _ in range(topics):
        name, pos = _string(frame, pos)
        (partitions,) = struct.unpack_from(">i", frame, pos)
        pos += 4
        for _ in range(partitions):
            index, size = struct.unpack_from(">ii", frame, pos)
            pos += 8
            records = frame[pos : pos + size]
            pos += size
            producer_id, epoch, sequence, count = struct.unpack_from(">qhii", records, 43)
            assert name is not None
            batches.append(
                SentBatch(name, index, producer_id, epoch, sequence, count, _values(records, count))
            )
    return correlation_id, batches


def produce_response(correlation_id: int, answers: list[tuple[str, int, int, int]]) -> bytes:
    """A Produce v8 response frame (no size prefix, as connections hand it over);
    ``answers``: ``(topic, partition, error_code, base_offset)``."""
    out = bytearray(struct.pack(">ii", correlation_id, len(answers)))
    for topic, partition, code, base_offset in answers:
        name = topic.encode()
        out += struct.pack(">h", len(name)) + name + struct.pack(">i", 1)
        out += struct.pack(">ihqqq", partition, code, base_offset, -1, -1)
        out += struct.pack(">ih", 0, -1)  # no record errors, no message
    out += struct.pack(">i", 0)  # throttle
    return bytes(out)


@dataclass
class PartitionLog:
    """What one partition's leader stored, with the idempotence rules of Kafka's
    `ProducerStateManager` (simplified to one producer id)."""

    values: list[bytes] = field(default_factory=list)
    epoch: int = -1
    last_sequence: int = -1
    # (base sequence, count, base offset) of the latest batches of ``epoch``.
    recent: list[tuple[int, int, int]] = field(default_factory=list)

    def append(self, batch: SentBatch) -> tuple[int, int]:
        """The error code and base offset the broker answers ``batch`` with."""
        if batch.epoch < self.epoch:
            return INVALID_PRODUCER_EPOCH, -1
        if batch.epoch > self.epoch:
            if batch.base_sequence != 0:
                return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
            self.epoch, self.last_sequence, self.recent = batch.epoch, -1, []
        for sequence, count, offset in self.recent:
            if sequence == batch.base_sequence and count == batch.count:
                return DUPLICATE_SEQUENCE_NUMBER, offset
        if batch.base_sequence != self.last_sequence + 1:
            return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
        offset = len(self.values)
        self.values.extend(batch.values)
        self.last_sequence = batch.base_sequence + batch.count - 1
        self.recent = [*self.recent, (batch.base_sequence, batch.count, offset)]
        self.recent = self.recent[-REMEMBERED_BATCHES:]
        return NONE, offset


OnDone = Callable[[bytes | None, KafkaConnectionError | None], None]


@dataclass
class Outstanding:
    """A Produce request the fake connection holds until the test decides its fate."""

    wire: FakeWire
    frame: bytes
    on_done: OnDone
    correlation_id: int
    batches: list[SentBatch]
    #: Past its request timeout: the sender's next check closes the connection.
    overdue: bool = False

    def answer(self, errors: dict[tuple[str, int], int] | None = None) -> None:
        """The leader reads the request: each batch goes to its partition's log, unless
        ``errors`` names an error code for its partition (then nothing is written)."""
        self.wire.requests.remove(self)
        answers = []
        for batch in self.batches:
            key = (batch.topic, batch.partition)
            if errors and key in errors:
                answers.append((batch.topic, batch.partition, errors[key], -1))
                continue
            code, offset = self.wire.log(key).append(batch)
            answers.append((batch.topic, batch.partition, code, offset))
        self.on_done(produce_response(self.correlation_id, answers), None)

    def written_but_lost(self) -> None:
        """The leader wrote every batch, and the connection broke before its answer: the
        client sees what a request timeout shows, a request that was "maybe written"."""
        self.wire.requests.remove(self)
        for batch in self.batches:
            self.wire.log((batch.topic, batch.partition)).append(batch)
        self.on_done(None, KafkaConnectionError("connection lost (fake)"))

    def lost(self) -> None:
        """The connection broke before the leader read the request."""
        self.wire.requests.remove(self)
        self.on_done(None, KafkaConnectionError("connection lost (fake)"))


class FakeWire:
    """The connection to node 1 (every partition's leader): holds the requests in order."""

    def __init__(self) -> None:
        self.requests: list[Outstanding] = []
        self.logs: dict[tuple[str, int], PartitionLog] = {}
        self.throttled_until = 0.0
        # The fake's requests are overdue only when a test says so (`overdue`): with no time
        # of their own to wait for, the sender looks at them every round.
        self.request_timeout = 0.0
        self._next_correlation_id = 0

    def log(self, key: tuple[str, int]) -> PartitionLog:
        return self.logs.setdefault(key, PartitionLog())

    # --- what the sender calls (BrokerConnection's interface) ---------------------------------

    def api_version(self, api_key: int, ours_max: int | None = None) -> int:
        return PRODUCE_VERSION if api_key == 0 else 0

    def submit(self, request: Any, on_done: OnDone, *, expect_response: bool) -> None:
        self._next_correlation_id += 1
        frame = request.encode(self._next_correlation_id, "unit")
        correlation_id, batches = parse_produce(frame)
        self.requests.append(Outstanding(self, frame, on_done, correlation_id, batches))

    def throttle(self, throttle_time_ms: int) -> None:
        pass

    def expire_requests(self, now: float | None = None) -> float | None:
        """As `BrokerConnection`: a request past its timeout closes the connection, which
        fails every request on it. Returns the earliest deadline still pending: with requests
        out, now, since a test may mark one overdue at any time (so every round looks)."""
        if any(request.overdue for request in self.requests):
            for request in list(self.requests):
                request.lost()
        return time.monotonic() if self.requests else None

    def fail_invalid_response(self, detail: str) -> Exception:
        return KafkaConnectionError(detail)

    async def request(self, request: Any) -> Any:
        # InitProducerId: producer id 1000, epoch 0.
        return SimpleNamespace(error_code=0, producer_id=1000, producer_epoch=0)


class FakeMetadata:
    """Every partition of every topic is led by node 1, the only broker."""

    topics: ClassVar[dict[str, Any]] = {}
    brokers: ClassVar[dict[int, Any]] = {1: SimpleNamespace(node_id=1)}

    def __init__(self) -> None:
        # Leader lookups, which a sender round makes for each ready partition it may send to.
        self.lookups = 0

    def partition(self, topic: str, partition: int) -> Any:
        self.lookups += 1
        return SimpleNamespace(partition=partition, leader_id=1)

    def apply_leader_hint(self, *args: Any) -> bool:
        return False


class FakePool:
    """The `BrokerPool` surface the sender uses, over one `FakeWire`."""

    client_id = "unit"
    next_idle_check_ms = 2**62

    def __init__(self, wire: FakeWire) -> None:
        self.wire = wire
        self.metadata = FakeMetadata()
        self.refreshes = 0

    def ready_connection(self, node: int) -> FakeWire | None:
        return self.wire

    def can_connect(self, node: int) -> bool:
        return False

    async def connection(self, node: int) -> FakeWire:
        return self.wire

    async def any_connection(self) -> FakeWire:
        return self.wire

    async def close_idle_connections(self) -> None:
        pass

    def metadata_is_stale(self) -> bool:
        return False

    def want_topic(self, topic: str, now: int | None = None) -> None:
        pass

    def refresh_wait_ms(self) -> int:
        return 0

    async def refresh_metadata(self) -> None:
        self.refreshes += 1


class SenderStage:
    """A `Sender` with a real accumulator over a `FakeWire`, driven one round at a time."""

    def __init__(self, clock: FakeClock, **options: Any) -> None:
        from ferrokafka import _native
        from ferrokafka._metrics import ProducerMetrics
        from ferrokafka._producer_id import ProducerIdManager
        from ferrokafka._sender import Sender
        from ferrokafka.config import ProducerConfig

        self.clock = clock
        self.config = config = ProducerConfig(
            **{
                "bootstrap_servers": "unit:9092",
                "linger_ms": 0,
                "request_timeout_ms": 10_000,
                "delivery_timeout_ms": 30_000,
                "retry_backoff_ms": 100,
                "retry_backoff_max_ms": 100,
                **options,
            }
        )
        self.accumulator = _native.Accumulator(
            batch_size=config.batch_size,
            linger_ms=config.linger_ms,
            compression=config.compression_type,
            idempotent=config.enable_idempotence,
            partitioner_adaptive=False,
        )
        self.wire = FakeWire()
        self.pool = FakePool(self.wire)
        self.producer_ids = (
            ProducerIdManager(config.transaction_timeout_ms) if config.enable_idempotence else None
        )
        self.registry = _make_registry(config)
        self.sender = Sender(
            config,
            self.accumulator,
            self.pool,  # type: ignore[arg-type]
            self.registry,
            self.producer_ids,
            ProducerMetrics("fake-client"),
            clock=clock,
        )

    def send(self, topic: str, partition: int, value: bytes) -> Any:
        """Appends one record as `Producer.send_nowait` does; returns its future."""
        from ferrokafka import _native

        now = self.clock()
        handle = self.accumulator.append(topic, 4, partition, None, value, [], now, now)
        batch_id = handle >> 32
        batch = self.registry.get(batch_id)
        if batch is None:
            where = self.accumulator.batch_info(batch_id)
            batch = self.registry.add(batch_id, where.topic, where.partition, now)
        return _native.DeliveryFuture(batch, handle & 0xFFFFFFFF, now, -1, len(value))

    async def turn(self, rounds: int = 3) -> None:
        """A few sender rounds, with the tasks they start given time to run."""
        import anyio

        async with anyio.create_task_group() as tasks:
            for _ in range(rounds):
                await self.sender._round(tasks)
                for _ in range(5):
                    await anyio.lowlevel.checkpoint()

    def values(self, topic: str, partition: int) -> list[bytes]:
        return self.wire.log((topic, partition)).values


def _make_registry(config: Any) -> Any:
    from ferrokafka._inflight import InFlight

    return InFlight(config.delivery_timeout_ms)
