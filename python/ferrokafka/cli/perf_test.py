"""``ferrokafka perf-test``: Kafka's ``kafka-producer-perf-test``, on ferrokafka.

Same flags (``--topic --num-records --record-size --throughput --producer-props k=v ...
--producer.config FILE``, the 4.2 spellings ``--bootstrap-server --command-property
--command-config``, ``--payload-file``, ``--payload-monotonic``, ``--warmup-records``,
``--print-metrics``, ``--transactional-id``, ``--transaction-duration-ms``) and the same output
lines as Java's ``ProducerPerformance``: one every five seconds, ``N records sent, X
records/sec (Y MB/sec), A ms avg latency, M ms max latency.``, then the total with the 50th,
95th, 99th and 99.9th percentiles (the lines of Kafka 4.1's ``ProducerPerformance.Stats``).
Latency is from just before the send call to its acknowledgement, in whole milliseconds, as in
Java, and taken from one acknowledgement per batch (`ferrokafka.cli._perf_stats`); records that
fail are reported on stderr and not counted (Java prints their stack trace); the exit status is
then 1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ferrokafka._enqueue import YIELD_EVERY, give_turn
from ferrokafka.cli._options import key_value, producer_props
from ferrokafka.cli._perf_stats import Acknowledgements, Run, Stats, now_ms
from ferrokafka.errors import BufferFullError, ConfigError, KafkaError
from ferrokafka.producer import Producer

# Java's default client.id for this tool.
DEFAULT_CLIENT_ID = "perf-producer-client"
# Java's transactional id when none is given, and how long a transaction lasts by default.
DEFAULT_TRANSACTION_ID_PREFIX = "performance-producer-"
DEFAULT_TRANSACTION_DURATION_MS = 3000
# Java's Throttler.MIN_SLEEP_NS: the shortest sleep that pacing takes.
MIN_SLEEP_S = 0.002
# Distinct random payloads cycled through (Java draws a new one per record; drawing here would
# measure Python's random module, not the producer).
_PAYLOAD_POOL = 64


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
    acknowledgements = Acknowledgements(stats, _sizes(payloads))
    if args.warmup_records > 0:
        print(
            f"Warmup first {args.warmup_records} records. Steady state results will print "
            "after the complete test summary."
        )
    metrics: dict[str, float] = {}
    try:
        # Java's first send waits for the topic's metadata too, inside the measured time.
        await producer.wait_for_topic(args.topic)
        steady = await _send_all(producer, args, payloads, transaction_ms, acknowledgements)
        if args.print_metrics:
            # As Java: everything delivered, then the metrics read before closing.
            await producer.flush()
            metrics = producer.metrics()
    finally:
        await producer.close()
    now = now_ms()
    print(stats.total_line(now))
    if steady is not None:
        print(steady.total_line(now))
    if args.print_metrics:
        _print_metrics(metrics)
    return acknowledgements.failures


async def _send_all(
    producer: Producer,
    args: argparse.Namespace,
    payloads: list[bytes] | None,
    transaction_ms: int | None,
    acknowledgements: Acknowledgements,
) -> Stats | None:
    """Java's send loop; returns the steady-state stats (after --warmup-records), if any.

    Per record: the clock read just before the send (Java's sendStartMs), the send, and a
    comparison of the record's batch and millisecond with the previous record's; a record that
    differs opens a run (`Acknowledgements.open_run`), whose batch's acknowledgement records
    the whole run at once."""
    topic = args.topic
    num_records = args.num_records
    warmup = args.warmup_records or -1
    throughput = args.throughput
    clock = time.monotonic_ns
    send = producer.send_nowait
    steady: Stats | None = None
    # The run the next record may join: same batch, sent before run_end_ns.
    run = Run(sent_ms=-1, first=0, steady=None, batch=None)
    run_batch = run.batch
    run_end_ns = 0
    # Records in the open transaction, and the clock (ns) from which a send commits it:
    # Java's transactionStartTime + transactionDurationMs, in whole milliseconds as there.
    in_transaction = 0
    commit_at_ns = 0
    started = time.monotonic()
    payload_count = 0 if payloads is None else len(payloads)
    for i in range(num_records):
        payload = str(i).encode() if payloads is None else payloads[i % payload_count]
        if i == warmup:
            steady = Stats(num_records - warmup, steady_state=True)
            acknowledgements.stats.printing = False
            run_batch = None
        if transaction_ms is not None:
            if in_transaction == 0:
                producer.begin_transaction()
                commit_at_ns = (now_ms() + transaction_ms) * 1_000_000
            # A transactional producer has its native send_nowait only while the transaction
            # accepts records (a failed batch ends that): looked up for every record.
            send = producer.send_nowait
        sent_ns = clock()
        try:
            future = send(topic, payload)
        except BufferFullError:
            # Java's send blocks while buffer memory is full (up to max.block.ms), inside
            # the measured latency: produce() waits the same way.
            future = await producer.produce(topic, payload)
        batch = future._batch
        if batch is run_batch and sent_ns < run_end_ns:
            run.count += 1
        else:
            sent_ms = sent_ns // 1_000_000
            run = acknowledgements.open_run(future, sent_ms, i, steady)
            run_batch = run.batch
            run_end_ns = (sent_ms + 1) * 1_000_000
        in_transaction += 1
        if transaction_ms is not None and sent_ns >= commit_at_ns:
            await producer.commit_transaction()
            in_transaction = 0
        if throughput > 0:
            # Ahead of the rate by a sleep's worth: as Java's Throttler, which sleeps off
            # its deficit once it reaches MIN_SLEEP_NS, not a few microseconds per record.
            delay = started + (i + 1) / throughput - time.monotonic()
            if delay >= MIN_SLEEP_S:
                await asyncio.sleep(delay)
                continue
        if i % YIELD_EVERY == 0:
            # The sender drains and the responses are read only while the loop waits.
            await give_turn()
    if transaction_ms is not None and in_transaction:
        await producer.commit_transaction()
    return steady


def _sizes(payloads: list[bytes] | None) -> Callable[[int, int], int]:
    """The bytes of ``count`` records from record number ``first`` on."""
    if payloads is None:
        return lambda first, count: sum(len(str(i)) for i in range(first, first + count))
    lengths = [len(payload) for payload in payloads]
    if len(set(lengths)) == 1:
        return lambda _, count: lengths[0] * count
    return lambda first, count: sum(lengths[i % len(lengths)] for i in range(first, first + count))


def _print_metrics(metrics: dict[str, float]) -> None:
    """As Java's ToolsUtils.printMetrics: a name column, a value column."""
    if not metrics:
        return
    width = max(len(name) for name in metrics) + 2
    print(f"\n{'Metric Name':<{width}} Value")
    for name in sorted(metrics):
        print(f"{name:<{width}}: {metrics[name]:.3f}")
