"""``ferrokafka perf-test``: Kafka's ``kafka-producer-perf-test``, on ferrokafka.

Same flags (``--topic --num-records --record-size --throughput --producer-props k=v ...
--producer.config FILE``, the 4.2 spellings ``--bootstrap-server --command-property
--command-config``, ``--payload-file``, ``--payload-monotonic``, ``--warmup-records``,
``--print-metrics``, ``--transactional-id``, ``--transaction-duration-ms``) and the same output
lines as Java's ``ProducerPerformance``: one every five seconds, ``N records sent, X
records/sec (Y MB/sec), A ms avg latency, M ms max latency.``, then the total with the 50th,
95th, 99th and 99.9th percentiles. Latency is from the send call to its acknowledgement, in
whole milliseconds, as in Java (the lines are those of Kafka 4.1's
``ProducerPerformance.Stats``); records that fail are reported on stderr and not counted (Java
prints their stack trace); the exit status is then 1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from ferrokafka.cli._options import key_value, producer_props
from ferrokafka.errors import BufferFullError, ConfigError, KafkaError
from ferrokafka.producer import Producer
from ferrokafka.records import DeliveryFuture

# Java reports every five seconds and keeps at most 500,000 latency samples.
REPORTING_INTERVAL_MS = 5000
MAX_LATENCY_SAMPLES = 500_000
# Java's default client.id for this tool.
DEFAULT_CLIENT_ID = "perf-producer-client"
# Java's transactional id when none is given, and how long a transaction lasts by default.
DEFAULT_TRANSACTION_ID_PREFIX = "performance-producer-"
DEFAULT_TRANSACTION_DURATION_MS = 3000
# Distinct random payloads cycled through (Java draws a new one per record; drawing here would
# measure Python's random module, not the producer).
_PAYLOAD_POOL = 64
# The send loop yields to the event loop this often so the sender runs while it sends.
_YIELD_EVERY = 256


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "perf-test",
        help="measure the producer, as Kafka's kafka-producer-perf-test",
        description="Kafka's kafka-producer-perf-test on ferrokafka: same flags, same output.",
    )
    parser.add_argument("--topic", required=True, metavar="TOPIC")
    parser.add_argument("--num-records", type=int, required=True, metavar="NUM-RECORDS")
    payload = parser.add_mutually_exclusive_group(required=True)
    payload.add_argument("--record-size", type=int, metavar="RECORD-SIZE")
    payload.add_argument("--payload-file", metavar="PAYLOAD-FILE")
    payload.add_argument("--payload-monotonic", action="store_true")
    parser.add_argument("--payload-delimiter", default="\\n", metavar="PAYLOAD-DELIMITER")
    parser.add_argument(
        "--throughput",
        type=float,
        required=True,
        metavar="THROUGHPUT",
        help="at most THROUGHPUT records/sec; -1 for no limit",
    )
    for flag in ("--producer-props", "--command-property"):
        parser.add_argument(
            flag,
            dest="props",
            nargs="+",
            action="extend",
            type=key_value,
            default=[],
            metavar="PROP-NAME=PROP-VALUE",
        )
    for flag in ("--producer.config", "--command-config"):
        parser.add_argument(flag, dest="config_files", action="append", default=[], metavar="FILE")
    parser.add_argument("--bootstrap-server", metavar="HOST:PORT[,...]")
    parser.add_argument("--print-metrics", action="store_true")
    parser.add_argument("--warmup-records", type=int, default=0, metavar="WARMUP-RECORDS")
    parser.add_argument("--transactional-id", metavar="TRANSACTIONAL-ID")
    parser.add_argument("--transaction-duration-ms", type=int, metavar="TRANSACTION-DURATION")
    parser.set_defaults(run=run)


class Stats:
    """Java's ``ProducerPerformance.Stats``: totals, a five-second window, sampled latencies."""

    def __init__(self, num_records: int, *, steady_state: bool = False) -> None:
        self.start = _now_ms()
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

    def record(self, latency: int, size: int, now: int) -> None:
        self.count += 1
        self.bytes += size
        self.total_latency += latency
        self.max_latency = max(self.max_latency, latency)
        self.window_count += 1
        self.window_bytes += size
        self.window_total_latency += latency
        self.window_max_latency = max(self.window_max_latency, latency)
        if self.iteration % self.sampling == 0:
            self.latencies.append(latency)
        if now - self.window_start >= REPORTING_INTERVAL_MS:
            if self.steady_state and self.count == self.window_count:
                print("In steady state.")
            if self.printing:
                print(self.window_line(now))
            self.window_start = now
            self.window_count = self.window_bytes = 0
            self.window_max_latency = self.window_total_latency = 0
        self.iteration += 1

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


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        print(f"perf-test: {problem}", file=sys.stderr)
        return 2
    props = producer_props(args.config_files, args.props, args.bootstrap_server)
    props.setdefault("client.id", DEFAULT_CLIENT_ID)
    # Java forces byte-array serializers; ferrokafka sends bytes without any.
    for name in ("key.serializer", "value.serializer"):
        props.pop(name, None)
    transaction_ms = _transactions(args, props)
    try:
        payloads = _payloads(args)
        producer = Producer.from_config(props)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"perf-test: {exc}", file=sys.stderr)
        return 2
    try:
        failed = asyncio.run(_perf(producer, args, payloads, transaction_ms))
    except KafkaError as exc:
        print(f"perf-test: {exc}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def _check(args: argparse.Namespace) -> str | None:
    if args.num_records <= 0:
        return "--num-records should be greater than zero"
    if args.warmup_records >= args.num_records:
        return (
            "The value for --warmup-records must be strictly fewer than the number of records "
            "in the test, --num-records."
        )
    if args.record_size is not None and args.record_size <= 0:
        return "--record-size should be greater than zero"
    if not args.props and not args.config_files and not args.bootstrap_server:
        return "Either --producer-props or --producer.config must be specified."
    if args.transaction_duration_ms is not None and args.transaction_duration_ms <= 0:
        return "--transaction-duration-ms should be greater than zero"
    return None


def _transactions(args: argparse.Namespace, props: dict[str, str]) -> int | None:
    """As Java's tool: transactions are on with --transactional-id, --transaction-duration-ms
    or a transactional.id property. The id is --transactional-id, else the property, else
    ``performance-producer-<random>``; each transaction commits once a record is sent
    --transaction-duration-ms (default 3000) after it began. Returns the duration, or None."""
    if not (
        args.transactional_id is not None
        or args.transaction_duration_ms is not None
        or "transactional.id" in props
    ):
        return None
    props["transactional.id"] = (
        args.transactional_id
        or props.get("transactional.id")
        or DEFAULT_TRANSACTION_ID_PREFIX + _random_id()
    )
    return args.transaction_duration_ms or DEFAULT_TRANSACTION_DURATION_MS


def _random_id() -> str:
    # Java's Uuid.randomUuid().toString(): 16 random bytes, URL-safe base64 without padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def _payloads(args: argparse.Namespace) -> list[bytes] | None:
    """The payloads to cycle through; None for --payload-monotonic (the record's number)."""
    if args.payload_monotonic:
        return None
    if args.payload_file:
        delimiter = "\n" if args.payload_delimiter == "\\n" else args.payload_delimiter
        path = Path(args.payload_file)
        print(f"Reading payloads from: {path.absolute()}")
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        payloads = [part.encode() for part in text.split(delimiter) if part]
        if not payloads:
            raise ValueError("File does not exist or empty file provided.")
        print(f"Number of messages read: {len(payloads)}")
        return payloads
    draw = random.Random(0)
    size = args.record_size
    return [bytes(draw.randrange(65, 91) for _ in range(size)) for _ in range(_PAYLOAD_POOL)]


async def _perf(
    producer: Producer,
    args: argparse.Namespace,
    payloads: list[bytes] | None,
    transaction_ms: int | None,
) -> int:
    await producer.start()
    stats = Stats(args.num_records)
    steady: Stats | None = None
    if args.warmup_records > 0:
        print(
            f"Warmup first {args.warmup_records} records. Steady state results will print "
            "after the complete test summary."
        )
    failures: list[int] = [0]
    metrics: dict[str, float] = {}
    throughput = args.throughput
    started = time.monotonic()
    # Records in the open transaction, and when it began (Java's currentTransactionSize and
    # transactionStartTime).
    in_transaction = 0
    transaction_started = 0
    try:
        # Java's first send waits for the topic's metadata too, inside the measured time.
        await producer.wait_for_topic(args.topic)
        for i in range(args.num_records):
            payload = str(i).encode() if payloads is None else payloads[i % len(payloads)]
            if args.warmup_records and i == args.warmup_records:
                steady = Stats(args.num_records - args.warmup_records, steady_state=True)
                stats.printing = False
            if transaction_ms is not None and in_transaction == 0:
                producer.begin_transaction()
                transaction_started = _now_ms()
            send_started = _now_ms()
            future = await _send(producer, args.topic, payload)
            future.add_done_callback(_callback(send_started, len(payload), stats, steady, failures))
            in_transaction += 1
            if transaction_ms is not None and send_started - transaction_started >= transaction_ms:
                await producer.commit_transaction()
                in_transaction = 0
            if throughput > 0:
                due = started + (i + 1) / throughput
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif i % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if transaction_ms is not None and in_transaction:
            await producer.commit_transaction()
        if args.print_metrics:
            # As Java: everything delivered, then the metrics read before closing.
            await producer.flush()
            metrics = producer.metrics()
    finally:
        await producer.close()
    now = _now_ms()
    print(stats.total_line(now))
    if steady is not None:
        print(steady.total_line(now))
    if args.print_metrics:
        _print_metrics(metrics)
    return failures[0]


async def _send(producer: Producer, topic: str, payload: bytes) -> DeliveryFuture:
    """send_nowait; while buffer_memory is full, lets the sender free some (as Java's send
    blocks)."""
    pause = 0.0005
    while True:
        try:
            return producer.send_nowait(topic, payload)
        except BufferFullError:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)


def _callback(
    started_ms: int, size: int, stats: Stats, steady: Stats | None, failures: list[int]
) -> Any:
    def done(future: DeliveryFuture) -> None:
        now = _now_ms()
        error = future.exception()
        if error is None:
            latency = now - started_ms
            stats.record(latency, size, now)
            if steady is not None:
                steady.record(latency, size, now)
        else:
            failures[0] += 1
            print(f"{type(error).__name__}: {error}", file=sys.stderr)

    return done


def _print_metrics(metrics: dict[str, float]) -> None:
    """As Java's ToolsUtils.printMetrics: a name column, a value column."""
    if not metrics:
        return
    width = max(len(name) for name in metrics) + 2
    print(f"\n{'Metric Name':<{width}} Value")
    for name in sorted(metrics):
        print(f"{name:<{width}}: {metrics[name]:.3f}")


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000
