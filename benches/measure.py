"""What a client adapter measures and hands back, and the loops every adapter shares.

Adapters time from the first send to the last acknowledgement; CPU and memory are measured
around the whole adapter by `runner`, which owns the process.
"""

from __future__ import annotations

import asyncio
import math
import time
from array import array
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from itertools import cycle, islice
from typing import Any

from benches.workloads import Workload

# Async clients' send loops give the event loop a turn every this many records, as a producing
# task in an application does: a loop that never yields starves the client's own I/O task.
YIELD_EVERY = 1000
# Threaded closed loops look at the clock this often (records) for their time budget.
BUDGET_CHECK_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Job:
    """One run of one client on one workload, as handed to the subprocess."""

    workload: Workload
    # Every topic of the run (the scale workloads' 100 topics); most runs have one.
    topics: tuple[str, ...]
    bootstrap_servers: str
    variant: str
    values: list[bytes]
    payload_file: str
    timeout_s: float
    # Closed-loop runs stop starting sends after this long (a client can be slow enough to need
    # hours); their rate stays valid and the report says the run was cut short.
    budget_s: float
    keys: list[bytes] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return self.topics[0]

    def keyed_stream(self) -> Iterator[tuple[str, bytes, bytes]]:
        """(topic, key, value) of every record of a keyed workload: the topics in turn, keys
        and values cycling through their pools."""
        triples = zip(cycle(self.topics), cycle(self.keys), cycle(self.values), strict=False)
        return islice(triples, self.workload.records)

    def stream(self, start: int = 0, count: int | None = None) -> Iterator[bytes]:
        """The values to send, cycling through the pool."""
        total = self.workload.records if count is None else count
        return islice(cycle(self.values), start, start + total)


@dataclass(slots=True)
class Outcome:
    """What an adapter reports. `records` counts the records sent and flushed (throughput) or
    acknowledged (awaited, latency); `errors` those that failed."""

    records: int
    elapsed_s: float
    errors: int = 0
    latency: dict[str, float] | None = None
    # Set by adapters whose client runs in a child process (Java): `runner` then reports the
    # children's CPU and memory instead of its own.
    external: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Stopwatch:
    __slots__ = ("started", "stopped")

    def __init__(self) -> None:
        self.started = 0.0
        self.stopped = 0.0

    def start(self) -> None:
        self.started = time.perf_counter()

    def stop(self) -> float:
        self.stopped = time.perf_counter()
        return self.stopped - self.started


class LatencyLog:
    """Per record: when it was due (fixed rate), sent, and acknowledged.

    Sends follow a fixed schedule whatever the client does, so a client that stalls delays the
    records due meanwhile instead of sending fewer (no coordinated omission): `lag` shows how late
    sends were against the schedule, `from_schedule` the latency a caller at that rate observes.
    Every value carries its index and its scheduled time (`stamped`), so that a reader can
    compare the broker's log-append time with the schedule: a second method, independent of
    the client's callbacks. `wake_lag` is how late the event loop (or poll) came back from each
    pause of the pacing loop: the loop's own lag, whoever caused it.
    """

    __slots__ = (
        "acked",
        "count",
        "failed",
        "rate",
        "sent",
        "started",
        "wake_lag",
        "wall_started",
        "warmup",
    )

    def __init__(self, workload: Workload) -> None:
        self.count = workload.records
        self.rate = workload.rate
        self.warmup = workload.warmup_records
        self.sent = array("d", bytes(8 * self.count))
        self.acked = array("d", bytes(8 * self.count))
        self.failed = 0
        self.started = 0.0
        self.wall_started = 0.0
        # How late the pacing loop woke up before sending record i (NaN: no pause before it).
        self.wake_lag = array("d", [math.nan]) * self.count

    def start(self) -> None:
        self.started = time.perf_counter()
        self.wall_started = time.time()

    def due(self, index: int) -> float:
        return self.started + index / self.rate

    def stamped(self, index: int, value: bytes) -> bytes:
        """``value`` with its first bytes replaced by the record's index and the wall-clock
        time it is due at (µs since the epoch): `STAMP_BYTES` ASCII digits."""
        due_us = int((self.wall_started + index / self.rate) * 1e6)
        return b"%08d%016d" % (index, due_us) + value[STAMP_BYTES:]

    def woke(self, index: int, target: float) -> None:
        if index < self.count:
            self.wake_lag[index] = max(0.0, time.perf_counter() - target)

    def ack(self, index: int) -> None:
        self.acked[index] = time.perf_counter()

    def fail(self, index: int) -> None:
        self.failed += 1
        self.acked[index] = -1.0

    def acknowledged(self) -> int:
        return sum(1 for value in self.acked if value > 0)

    def summary(self) -> dict[str, float]:
        latencies: list[float] = []
        from_schedule: list[float] = []
        lags: list[float] = []
        for index in range(self.warmup, self.count):
            acked = self.acked[index]
            if acked <= 0:
                continue
            sent = self.sent[index]
            due = self.due(index)
            latencies.append(acked - sent)
            from_schedule.append(acked - due)
            lags.append(max(0.0, sent - due))
        latencies.sort()
        from_schedule.sort()
        lags.sort()
        wake = sorted(lag for lag in self.wake_lag[self.warmup :] if not math.isnan(lag))
        return {
            "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99),
            "p999_ms": 1000 * percentile(latencies, 99.9),
            "max_ms": 1000 * (latencies[-1] if latencies else float("nan")),
            "schedule_p50_ms": 1000 * percentile(from_schedule, 50),
            "schedule_p99_ms": 1000 * percentile(from_schedule, 99),
            "schedule_p999_ms": 1000 * percentile(from_schedule, 99.9),
            "lag_p99_ms": 1000 * percentile(lags, 99),
            "wake_lag_p99_ms": 1000 * percentile(wake, 99),
            "wake_lag_p999_ms": 1000 * percentile(wake, 99.9),
            "samples": float(len(latencies)),
        }


# Bytes at the start of a latency record's value: its index (8 digits) and due time (16).
STAMP_BYTES = 24


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


async def paced_async(
    log: LatencyLog, values: list[bytes], send: Callable[[int, bytes], Awaitable[None]]
) -> None:
    """Calls `send(index, value)` for every record at `log.rate` records/s, on schedule."""
    count = log.count
    pool = len(values)
    log.start()
    index = 0
    while index < count:
        due = min(count, int((time.perf_counter() - log.started) * log.rate) + 1)
        while index < due:
            value = log.stamped(index, values[index % pool])
            log.sent[index] = time.perf_counter()
            await send(index, value)
            index += 1
        # asyncio.sleep(0) still polls the sockets: acknowledgements are read while waiting.
        wake_at = log.due(index)
        await asyncio.sleep(max(0.0, wake_at - time.perf_counter()))
        log.woke(index, wake_at)


def paced_sync(
    log: LatencyLog,
    values: list[bytes],
    send: Callable[[int, bytes], None],
    idle: Callable[[float], object],
) -> None:
    """`paced_async` for threaded clients; `idle(seconds)` waits (and serves callbacks)."""
    count = log.count
    pool = len(values)
    log.start()
    index = 0
    while index < count:
        due = min(count, int((time.perf_counter() - log.started) * log.rate) + 1)
        while index < due:
            value = log.stamped(index, values[index % pool])
            log.sent[index] = time.perf_counter()
            send(index, value)
            index += 1
        wake_at = log.due(index)
        idle(max(0.0, wake_at - time.perf_counter()))
        log.woke(index, wake_at)


@dataclass(slots=True)
class Tally:
    sent: int = 0
    errors: int = 0

    def outcome(self, job: Job, elapsed_s: float) -> Outcome:
        extra: dict[str, Any] = {}
        if self.sent < job.workload.records:
            extra["cut_short"] = f"{self.sent:,} of {job.workload.records:,} records sent"
        return Outcome(self.sent - self.errors, elapsed_s, errors=self.errors, extra=extra)


async def concurrent_senders(
    job: Job, send: Callable[[str, bytes], Awaitable[Any]], *, awaited_twice: bool = False
) -> Tally:
    """`job.workload.concurrency` tasks sharing the records, each awaiting every send.

    Each task awaits the client's own call, ``await send(topic, value)``, as a request handler
    writes it: a wrapper coroutine per record would add the same ~0.7 µs to every client and
    hide their differences. `awaited_twice` is for a client whose call returns the delivery's
    awaitable (``await (await produce(topic, value))``).
    """
    workload = job.workload
    tasks = workload.concurrency
    share, extra = divmod(workload.records, tasks)
    tally = Tally()
    topic = job.topic
    deadline = time.perf_counter() + job.budget_s

    async def sender(task: int) -> None:
        for value in job.stream(task, share + (1 if task < extra else 0)):
            if time.perf_counter() > deadline:
                return
            tally.sent += 1
            try:
                if awaited_twice:
                    await (await send(topic, value))
                else:
                    await send(topic, value)
            except Exception:
                tally.errors += 1

    async with asyncio.TaskGroup() as group:
        for task in range(tasks):
            group.create_task(sender(task))
    return tally


async def timed_concurrent_senders(
    job: Job, send: Callable[[str, bytes], Awaitable[Any]], *, awaited_twice: bool = False
) -> Outcome:
    """The awaited workload for any asyncio client: `concurrent_senders`, timed."""
    clock = Stopwatch()
    clock.start()
    tally = await concurrent_senders(job, send, awaited_twice=awaited_twice)
    return tally.outcome(job, clock.stop())


async def timed_paced(
    log: LatencyLog,
    job: Job,
    send: Callable[[int, bytes], Awaitable[None]],
    flush: Callable[[], Awaitable[object]],
) -> Outcome:
    """The latency workload for any asyncio client: `paced_async` then `flush`, timed."""
    clock = Stopwatch()
    clock.start()
    await paced_async(log, job.values, send)
    await flush()
    elapsed = clock.stop()
    # Let the acknowledgement callbacks scheduled by the flush run before reading the log.
    await asyncio.sleep(0)
    return Outcome(log.acknowledged(), elapsed, errors=log.failed, latency=log.summary())


def record_asyncio_ack(log: LatencyLog, index: int, future: asyncio.Future[object]) -> None:
    """An asyncio future's end, written in the latency log."""
    if not future.cancelled() and future.exception() is None:
        log.ack(index)
    else:
        log.fail(index)
