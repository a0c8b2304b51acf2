"""Where a ferrokafka latency record's time goes, stage by stage (`python -m benches --stages DIR`).

Opt-in and in the benchmark only: `StageRecorder.attach` wraps a few methods of one started
producer's sender on the instance (the product carries no hook and pays nothing), and the
latency adapter tells it of every acknowledgement. Each record's time from when it was due to
its acknowledgement is cut into consecutive stages that add up to it:

- ``send lag``: due → the send call (the pacing loop's own lateness, the harness's);
- ``to sender``: send call → the sender's round that drained the record's batch began (the
  event loop's turn to the sender task; longer when the in-flight window was full and the batch
  waited for a response);
- ``sender round``: that round's start → its Produce request handed to the socket (ready,
  drain, encode, write);
- ``on the wire``: handed to the socket → the response read by the client (network, the
  broker, and the event loop's delay in reading);
- ``settling``: response read → the record's delivery callback (decode, settle, callbacks).

The client's own share of a record's latency is ``to sender`` + ``sender round`` +
``settling``, plus whatever part of ``on the wire`` is the client's loop being busy rather than
the broker: with the broker's request log on (the ``latency-linger0-request-log`` workload),
`join_broker_requests` sets each request's time on the wire beside the broker's own total time
for it (same correlation id), so the rest, network and the client's reading delay, shows.

The client's Python garbage collections are timed too (`gc.callbacks`), with how many of them
fell while a tail record was on its way.

A run with the recorder costs the client a little more CPU per request (the wrappers), and its
peak RSS includes the breakdown worked out after the run (a row per record): compare its
latencies, not its CPU or memory columns, with runs without it.
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benches.measure import LatencyLog, percentile

if TYPE_CHECKING:
    from ferrokafka import Producer

#: The dated breakdown kept in RESULTS.md (its "## Latency stages" section), beside this file.
STAGES_MD = "stages.md"
#: Set (to a directory) by ``python -m benches --stages DIR`` for the runs it starts.
STAGES_ENV = "FERROKAFKA_BENCH_STAGES"
STAGES = ("send lag", "to sender", "sender round", "on the wire", "settling")
# Records at or above this percentile of due → ack make "the tail" whose stages are averaged.
TAIL_PCT = 99.0


def stages_dir() -> Path | None:
    value = os.environ.get(STAGES_ENV)
    return Path(value) if value else None


class StageRecorder:
    """Per Produce request: when its round began, when it was handed to the socket and when its
    response was read; per record: which request carried it. Times are `time.perf_counter`."""

    def __init__(self, log: LatencyLog) -> None:
        self._log = log
        self.round_started: list[float] = []
        self.written: list[float] = []
        self.read: list[float] = []
        self.correlation_ids: list[int] = []
        self.records_in: list[int] = []
        # The request of record i (-1: not acknowledged).
        self.request_of = array("i", [-1]) * log.count
        # The request whose response is being settled (its records' callbacks run inside).
        self._settling = -1
        self._round_started = 0.0
        # The sender's work on the event loop: its rounds, and the responses it settled
        # (the delivery callbacks included).
        self.rounds = 0
        self.round_seconds = 0.0
        self.settle_seconds = 0.0
        # The same in CPU time of the loop's thread: what the sender costs, whatever the load
        # (wall time also counts the moments the process was not running).
        self.sender_cpu_seconds = 0.0
        # batch id → the request that last carried it, until its response is read.
        self._request_of_batch: dict[int, int] = {}
        # Python GC passes of the client: (start, end, generation).
        self.collections: list[tuple[float, float, int]] = []
        self._gc_started = 0.0

    # --- instrumenting -------------------------------------------------------------------

    def attach(self, producer: Producer) -> None:
        sender = producer._sender
        original_round = sender._round
        original_submit = sender._submit
        original_on_response = sender._on_response
        clock = time.perf_counter
        recorder = self

        cpu_clock = time.thread_time

        async def timed_round(tasks: Any) -> int:
            started = recorder._round_started = clock()
            cpu_started = cpu_clock()
            try:
                return await original_round(tasks)
            finally:
                recorder.rounds += 1
                recorder.round_seconds += clock() - started
                recorder.sender_cpu_seconds += cpu_clock() - cpu_started

        def timed_submit(conn: Any, node: int, batch_ids: list[int]) -> None:
            index = len(recorder.written)
            recorder.round_started.append(recorder._round_started)
            recorder.read.append(math.nan)
            recorder.records_in.append(0)
            original_submit(conn, node, batch_ids)
            recorder.written.append(clock())
            recorder.correlation_ids.append((conn._next_correlation_id - 1) & 0x7FFFFFFF)
            # The request's index rides on its batch ids until the response names them.
            for batch_id in batch_ids:
                recorder._request_of_batch[batch_id] = index

        def timed_on_response(
            conn: Any, node: int, batch_ids: list[int], *args: Any, **kwargs: Any
        ) -> None:
            index = recorder._request_of_batch.get(batch_ids[0], -1) if batch_ids else -1
            if index >= 0:
                recorder.read[index] = clock()
            recorder._settling = index
            started = clock()
            cpu_started = cpu_clock()
            try:
                original_on_response(conn, node, batch_ids, *args, **kwargs)
            finally:
                recorder._settling = -1
                recorder.settle_seconds += clock() - started
                recorder.sender_cpu_seconds += cpu_clock() - cpu_started

        sender._round = timed_round  # type: ignore[method-assign]
        sender._submit = timed_submit  # type: ignore[method-assign]
        sender._on_response = timed_on_response  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)

    def detach(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append((self._gc_started, time.perf_counter(), info["generation"]))

    def acked(self, index: int) -> None:
        """Record ``index`` was acknowledged (called from its delivery callback)."""
        request = self._settling
        self.request_of[index] = request
        if request >= 0:
            self.records_in[request] += 1

    # --- results -------------------------------------------------------------------------

    def record_stages(self) -> list[tuple[int, tuple[float, ...]]]:
        """(record index, its stages in seconds) for every counted, acknowledged record."""
        log = self._log
        rows = []
        for index in range(log.warmup, log.count):
            request = self.request_of[index]
            acked = log.acked[index]
            if request < 0 or acked <= 0:
                continue
            due, sent = log.due(index), log.sent[index]
            began = max(self.round_started[request], sent)
            written, read = self.written[request], self.read[request]
            rows.append(
                (index, (sent - due, began - sent, written - began, read - written, acked - read))
            )
        return rows

    def summary(self) -> dict[str, Any]:
        log = self._log
        rows = self.record_stages()
        if not rows:
            return {}
        totals = sorted(sum(stages) for _, stages in rows)
        cut = percentile(totals, TAIL_PCT)
        tail = [stages for _, stages in rows if sum(stages) >= cut]
        out: dict[str, Any] = {
            "records": len(rows),
            "requests": len(self.written),
            "records_per_request": len(rows) / max(1, len({self.request_of[i] for i, _ in rows})),
            "due_to_ack_p99_ms": 1000 * cut,
            "tail_records": len(tail),
            "rounds": self.rounds,
            "round_us": 1e6 * self.round_seconds / max(1, self.rounds),
            "settle_us": 1e6 * self.settle_seconds / max(1, len(self.written)),
            "sender_cpu_us_per_request": 1e6 * self.sender_cpu_seconds / max(1, len(self.written)),
            # Of the run's wall time, the share the sender's rounds and settling held the loop.
            "sender_busy": (self.round_seconds + self.settle_seconds)
            / max(1e-9, log.due(log.count) - log.started),
        }
        for position, name in enumerate(STAGES):
            ordered = sorted(stages[position] for _, stages in rows)
            out[name] = {
                "p50_ms": 1000 * percentile(ordered, 50),
                "p99_ms": 1000 * percentile(ordered, 99),
                "p999_ms": 1000 * percentile(ordered, 99.9),
                # Mean over the records at or above the p99 of due → ack.
                "tail_mean_ms": 1000 * sum(stages[position] for stages in tail) / len(tail),
            }
        out["client_share_of_tail"] = sum(
            out[name]["tail_mean_ms"] for name in ("to sender", "sender round", "settling")
        ) / sum(out[name]["tail_mean_ms"] for name in STAGES)
        out["python_gc"] = self._gc_summary(rows, cut)
        return out

    def _gc_summary(self, rows: list[tuple[int, tuple[float, ...]]], cut: float) -> dict[str, Any]:
        log = self._log
        start = log.due(log.warmup)
        passes = [(a, b, g) for a, b, g in self.collections if a >= start]
        pauses = sorted(b - a for a, b, _ in passes)
        tail_spans = [
            (log.due(index), log.due(index) + sum(stages))
            for index, stages in rows
            if sum(stages) >= cut
        ]
        in_tail = sum(1 for a, b, _ in passes if any(lo <= b and a <= hi for lo, hi in tail_spans))
        return {
            "count": len(passes),
            "by_generation": [sum(1 for *_, g in passes if g == gen) for gen in range(3)],
            "full_max_ms": 1000 * max((b - a for a, b, g in passes if g == 2), default=0.0),
            "max_ms": 1000 * (pauses[-1] if pauses else 0.0),
            "total_ms": 1000 * sum(pauses),
            "overlapping_tail_records": in_tail,
        }

    def save(self, directory: Path, topic: str) -> Path:
        """Each request's correlation id and time on the wire (ms), for `join_broker_requests`."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"client-requests-{topic}.json"
        first = self._first_counted_request()
        wire = [
            (cid, 1000 * (read - written))
            for cid, written, read in zip(
                self.correlation_ids[first:], self.written[first:], self.read[first:], strict=True
            )
            if not math.isnan(read)
        ]
        path.write_text(json.dumps(wire))
        return path

    def _first_counted_request(self) -> int:
        log = self._log
        for index in range(log.warmup, log.count):
            if self.request_of[index] >= 0:
                return self.request_of[index]
        return len(self.written)


def join_broker_requests(
    directory: Path, topic: str, broker_requests: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The client's time on the wire of each Produce request beside the broker's total time for
    the same request (the broker's request log, joined on the correlation id): percentiles of
    both, and of their difference (network and the client's delay in reading the response)."""
    path = directory / f"client-requests-{topic}.json"
    if not path.exists() or not broker_requests:
        return None
    broker_by_id = {
        int(r["requestHeader"]["correlationId"]): float(r["totalTimeMs"]) for r in broker_requests
    }
    client: list[float] = []
    broker: list[float] = []
    rest: list[float] = []
    for cid, wire_ms in json.loads(path.read_text()):
        total = broker_by_id.get(cid)
        if total is None:
            continue
        client.append(wire_ms)
        broker.append(total)
        rest.append(wire_ms - total)
    if not client:
        return None
    tail_cut = percentile(sorted(client), TAIL_PCT)
    tail = [(c, b) for c, b in zip(client, broker, strict=True) if c >= tail_cut]
    out: dict[str, Any] = {"requests_joined": len(client)}
    for name, values in (("client_wire", client), ("broker_total", broker), ("rest", rest)):
        ordered = sorted(values)
        out[name] = {
            "p50_ms": percentile(ordered, 50),
            "p99_ms": percentile(ordered, 99),
            "p999_ms": percentile(ordered, 99.9),
        }
    # Of the slowest 1% of requests on the wire: how much of it the broker accounted for.
    out["wire_tail_mean_ms"] = sum(c for c, _ in tail) / len(tail)
    out["broker_share_of_wire_tail"] = sum(b for _, b in tail) / sum(c for c, _ in tail)
    return out
