"""What ``ferrokafka perf-test`` measures: Java's ``ProducerPerformance.Stats``, and the
per-record latencies taken from one acknowledgement per batch.

Java registers a callback per record and reads the clock in it. Every record of a batch is
acknowledged at the same moment, and the send times are whole milliseconds, so the same numbers
come from far less work: the send loop groups consecutive records of one batch into runs of
records sent in the same millisecond (`Acknowledgements.open_run`), and one callback per batch
records each run as that many records of one latency (`Stats.record_run`). Per record, the loop
only compares its batch and clock with the previous record's. The records of a batch split
after MESSAGE_TOO_LARGE are recorded when its last piece ends.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ferrokafka.records import DeliveryFuture

if TYPE_CHECKING:
    from ferrokafka._pending import PendingBatch

# Java reports every five seconds and keeps at most 500,000 latency samples.
REPORTING_INTERVAL_MS = 5000
MAX_LATENCY_SAMPLES = 500_000


def now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class Stats:
    """Java's ``ProducerPerformance.Stats``: totals, a five-second window, sampled latencies."""

    def __init__(self, num_records: int, *, steady_state: bool = False) -> None:
        self.start = now_ms()
        self.window_start = self.start
        self.sampling = max(num_records // min(num_records, MAX_LATENCY_SAMPLES), 1)
        self.latencies: list[int] = []
        self.iteration = 0
        self.count = 0
        self.bytes = 0
        self.max_latency = 0
        self.total_latency = 0
        self.window_count = 0
        self.window_bytes = 0
        self.window_max_latency = 0
        self.window_total_latency = 0
        self.steady_state = steady_state
        self.printing = True

    def record_run(self, latency: int, count: int, first_size: int, size: int, now: int) -> None:
        """``count`` records acknowledged at ``now`` with the same latency, ``size`` bytes in
        all, the first of them ``first_size``: the same totals, window lines and samples as
        ``count`` calls of Java's ``Stats.record``. Only the first of them can close the window
        (the others see the same ``now`` against the window it opened): it is recorded alone."""
        self._add(latency, 1, first_size)
        if now - self.window_start >= REPORTING_INTERVAL_MS:
            if self.steady_state and self.count == self.window_count:
                print("In steady state.")
            if self.printing:
                print(self.window_line(now))
            self.window_start = now
            self.window_count = self.window_bytes = 0
            self.window_max_latency = self.window_total_latency = 0
        if count > 1:
            self._add(latency, count - 1, size - first_size)

    def _add(self, latency: int, count: int, size: int) -> None:
        self.count += count
        self.bytes += size
        self.total_latency += latency * count
        self.max_latency = max(self.max_latency, latency)
        self.window_count += count
        self.window_bytes += size
        self.window_total_latency += latency * count
        self.window_max_latency = max(self.window_max_latency, latency)
        # Java samples the records whose iteration is a multiple of `sampling`.
        first, sampling = self.iteration, self.sampling
        sampled = (first + count - 1) // sampling - (first - 1) // sampling
        if sampled:
            self.latencies.extend([latency] * sampled)
        self.iteration += count

    def window_line(self, now: int) -> str:
        elapsed = max(now - self.window_start, 1)
        return (
            f"{self.window_count} records sent, "
            f"{1000.0 * self.window_count / elapsed:.1f} records/sec "
            f"({1000.0 * self.window_bytes / elapsed / 1048576:.2f} MB/sec), "
            f"{self.window_total_latency / max(self.window_count, 1):.1f} ms avg latency, "
            f"{float(self.window_max_latency):.1f} ms max latency."
        )

    def total_line(self, now: int) -> str:
        elapsed = max(now - self.start, 1)
        p50, p95, p99, p999 = self.percentiles(0.5, 0.95, 0.99, 0.999)
        steady = " steady state" if self.steady_state else ""
        return (
            f"{self.count}{steady} records sent, {1000.0 * self.count / elapsed:.1f} records/sec "
            f"({1000.0 * self.bytes / elapsed / 1048576:.2f} MB/sec), "
            f"{self.total_latency / max(self.count, 1):.2f} ms avg latency, "
            f"{float(self.max_latency):.2f} ms max latency, "
            f"{p50} ms 50th, {p95} ms 95th, {p99} ms 99th, {p999} ms 99.9th."
        )

    def percentiles(self, *quantiles: float) -> list[int]:
        ordered = sorted(self.latencies)
        if not ordered:
            return [0 for _ in quantiles]
        return [ordered[min(int(q * len(ordered)), len(ordered) - 1)] for q in quantiles]


@dataclass(slots=True)
class Run:
    """Records sent one after the other into one batch within one millisecond."""

    sent_ms: int
    # The number of its first record in the test (which payload it had).
    first: int
    # The steady-state stats of records sent after the warmup (Java's steadyStateStats).
    steady: Stats | None
    # The batch the next records may join; None for a record held for its topic's metadata,
    # which moves to a batch of its own later.
    batch: PendingBatch | None
    # Kept up to date by the send loop before it awaits anything.
    count: int = 1


@dataclass(slots=True)
class _Group:
    """Consecutive records of one batch: one done-callback for all of them."""

    batch: PendingBatch
    # The index of its first record in the batch; the others follow it.
    first_index: int
    runs: list[Run] = field(default_factory=list)


class Acknowledgements:
    """Turns batch acknowledgements into Java's per-record statistics.

    The send loop opens a run at each record whose batch or millisecond differs from the
    previous one's (`open_run`) and counts the records of the run; it writes that count into
    the run before it awaits anything, since a batch is only acknowledged while the loop waits.
    """

    def __init__(self, stats: Stats, size_of: Callable[[int, int], int]) -> None:
        self.stats = stats
        # Bytes of the payloads of ``count`` records from record number ``first`` on.
        self._size_of = size_of
        self._group: _Group | None = None
        self.failures = 0

    def open_run(
        self, future: DeliveryFuture, sent_ms: int, first: int, steady: Stats | None
    ) -> Run:
        """The run that record number ``first``, sent at ``sent_ms``, begins."""
        batch, index = future._batch, future._index
        held = batch.partition < 0
        run = Run(sent_ms, first, steady, None if held else batch)
        group = self._group
        if group is None or group.batch is not batch or held:
            group = self._group = _Group(batch, index)
            future.add_done_callback(functools.partial(self._acknowledged, group))
        group.runs.append(run)
        return run

    def _acknowledged(self, group: _Group, future: DeliveryFuture) -> None:
        now = now_ms()
        batch = group.batch
        errors: Callable[[int], BaseException | None]
        if batch.parts is None and future._batch is batch:
            if batch.error is None:
                for run in group.runs:
                    self._record(run, run.count, run.first, now)
                return
            failed = batch.error
            errors = lambda _: failed  # noqa: E731
        elif batch.parts is None:
            # Held for metadata, then appended elsewhere: one record (see `open_run`).
            errors = lambda _: future.exception()  # noqa: E731
        else:
            # Split after MESSAGE_TOO_LARGE: its pieces may have ended differently.
            errors = batch.record_error
        index = group.first_index
        for run in group.runs:
            for number in range(run.first, run.first + run.count):
                error = errors(index)
                index += 1
                if error is None:
                    self._record(run, 1, number, now)
                else:
                    # Java prints the exception's stack trace and does not count the record.
                    self.failures += 1
                    print(f"{type(error).__name__}: {error}", file=sys.stderr)

    def _record(self, run: Run, count: int, first: int, now: int) -> None:
        latency = now - run.sent_ms
        first_size = self._size_of(first, 1)
        size = first_size if count == 1 else self._size_of(first, count)
        self.stats.record_run(latency, count, first_size, size, now)
        if run.steady is not None:
            run.steady.record_run(latency, count, first_size, size, now)
