"""Exactly-once consume-transform-produce on the three-node cluster while partition leaders die.

A confluent-kafka consumer (``isolation.level=read_committed``, a consumer group) reads an
input topic; for each poll, a ferrokafka transactional producer writes one transformed record
per input record and commits the group's offsets in the same transaction, with the consumer's
group metadata (KIP-447). Twice during the run a node leading partitions of the output topic is
killed with SIGKILL, kept down past the broker session timeout (so that leadership moves), and
restarted; the second victim is the transaction coordinator's node when it is another one.

The loop recovers as an application should: a transaction that fails is aborted, the consumer
is rewound to the group's committed offsets, and a producer left unusable by a fatal error is
closed and replaced by a new one with the same ``transactional_id``. Then:

- the output, read back with ``read_committed`` to its end offsets, holds each input record
  exactly once (none lost, none twice), and in input order per input partition;
- the group's committed offsets equal the input's end offsets;
- a transaction committed while each victim was down (the loop failed over, not merely
  waited for the node's return).

It processes 100,000 records and is part of the default run (``make test``): about 75 s of
loop, most of it the two outages, and under 2 minutes with the topics' set-up and read-back on
a two-core machine; `pytest -s` prints the run's figures.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from ferrokafka import KafkaError, Producer
from ferrokafka._transactions.state import TransactionState
from ferrokafka.testing import BaseCluster, KafkaCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

PARTITIONS = 4
# Records per consumer poll, hence at most per transaction: small enough that many transactions
# run during each outage.
POLL_RECORDS = 250
# Longer than the harness's broker.session.timeout.ms (6 s), after which a dead broker is
# fenced and the partitions it led get new leaders; the loop must carry on meanwhile.
DOWN_S = 15.0


@dataclass
class Outage:
    node_id: int
    why: str
    killed_at: float
    mid_transaction: bool
    restarted_at: float = 0.0
    back_at: float = 0.0


@dataclass
class RunReport:
    outages: list[Outage] = field(default_factory=list)
    # monotonic time of each committed transaction
    commits: list[float] = field(default_factory=list)
    # type names of the errors that ended a transaction, in order
    aborts: list[str] = field(default_factory=list)
    # producers replaced after a fatal error, with that error
    replaced: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def commits_during(self, outage: Outage) -> int:
        return sum(outage.killed_at < t < outage.restarted_at for t in self.commits)

    def summary(self) -> str:
        outages = [
            f"node {o.node_id} ({o.why}, killed {'in' if o.mid_transaction else 'between'} "
            f"transactions): {self.commits_during(o)} commits while down"
            for o in self.outages
        ]
        return (
            f"{self.seconds:.0f} s, {len(self.commits)} transactions committed, "
            f"{len(self.aborts)} aborted {collections.Counter(self.aborts)}, "
            f"{len(self.replaced)} producers replaced {self.replaced}; outages: {outages}"
        )


class LeaderKiller:
    """Kills (SIGKILL) a leader when the loop has committed a third, then two thirds, of the
    input, while a transaction is open, and restarts it; runs on a thread of its own, since
    node control blocks."""

    def __init__(self, cluster: KafkaCluster, output: str, count: int, report: RunReport) -> None:
        self.cluster = cluster
        self.output = output
        self.thresholds = [count // 3, 2 * count // 3]
        # The loop stops this far past a threshold until that kill has started.
        self.slack = count // 10
        self.report = report
        self.committed = 0
        self.coordinator: int | None = None
        self.kills_started = 0
        # Set while the loop has a transaction open.
        self.in_transaction = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def note_progress(self, committed: int, coordinator: int | None) -> None:
        with self.progress:
            self.committed = committed
            self.coordinator = coordinator
            self.progress.notify_all()

    def may_go_past(self, committed: int) -> bool:
        """Whether the loop may process beyond ``committed`` records: not far past a threshold
        before its kill has started, so that every kill falls inside the run."""
        return all(
            committed < threshold + self.slack or self.kills_started > i
            for i, threshold in enumerate(self.thresholds)
        )

    def run(self) -> None:
        try:
            for round_, threshold in enumerate(self.thresholds):
                with self.progress:
                    if not self.progress.wait_for(lambda t=threshold: self.committed >= t, 300):
                        raise TimeoutError(f"the loop did not reach {threshold} records")
                    coordinator = self.coordinator
                self.in_transaction.wait(timeout=30)
                self._outage(self._victim(round_, coordinator))
        except BaseException as exc:
            self.error = exc
            raise

    def _victim(self, round_: int, coordinator: int | None) -> tuple[int, str]:
        leaders = {
            p.partition: p.leader
            for p in self.cluster.describe_topics([self.output])[self.output].partitions
        }
        earlier = {o.node_id for o in self.report.outages}
        if round_ == 1 and coordinator is not None and coordinator not in earlier:
            led = sorted(p for p, n in leaders.items() if n == coordinator)
            return coordinator, f"transaction coordinator, led output partitions {led}"
        node = next(n for p, n in sorted(leaders.items()) if n not in earlier)
        return node, f"led output partitions {sorted(p for p, n in leaders.items() if n == node)}"

    def _outage(self, victim: tuple[int, str]) -> None:
        node_id, why = victim
        node = next(n for n in self.cluster.nodes if n.node_id == node_id)
        outage = Outage(node_id, why, time.monotonic(), self.in_transaction.is_set())
        node.kill()
        self.report.outages.append(outage)
        with self.progress:
            self.kills_started += 1
            self.progress.notify_all()
        time.sleep(DOWN_S)
        outage.restarted_at = time.monotonic()
        node.start(wait=False)
        node.wait_ready(timeout=90)
        wait_for_full_isr(self.cluster, timeout=90)
        outage.back_at = time.monotonic()


def wait_for_full_isr(cluster: BaseCluster, timeout: float) -> None:
    """Every partition (internal topics too) has a leader and all its replicas in sync."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            metadata = cluster.metadata(timeout=5)
            healthy = all(
                p.leader >= 0 and len(p.isrs) == len(p.replicas)
                for t in metadata.topics.values()
                for p in t.partitions.values()
            )
        except KafkaException:  # while brokers come back
            healthy = False
        if healthy:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"partitions without a full ISR after {timeout:g} s")
        time.sleep(0.2)


def producer_options(cluster: BaseCluster, transactional_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": cluster.bootstrap_servers,
        "transactional_id": transactional_id,
        "transaction_timeout_ms": 60_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 60_000,
        "max_block_ms": 60_000,
        "linger_ms": 5,
    }


def committed_offsets(consumer: Consumer, partitions: list[TopicPartition]) -> list[Any]:
    """The group's committed offsets, asked again while the group coordinator moves."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return list(consumer.committed(partitions, timeout=10))
        except KafkaException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def rewind(consumer: Consumer) -> None:
    """Seeks every assigned partition back to the group's committed offset: the records after
    it were consumed for a transaction that did not commit."""
    assigned = consumer.assignment()
    for tp in committed_offsets(consumer, assigned):
        offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
        consumer.seek(TopicPartition(tp.topic, tp.partition, offset))


async def transform_all(
    cluster: BaseCluster,
    source: str,
    sink: str,
    group: str,
    ends: dict[int, int],
    killer: LeaderKiller,
    report: RunReport,
) -> None:
    consumer = Consumer(
        {
            **cluster.client_config(),
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([source])
    transactional_id = f"eos-failover-{group}"
    producer = Producer(**producer_options(cluster, transactional_id))
    await producer.start()
    # Per input partition, the next offset whose output is committed.
    done = dict.fromkeys(ends, 0)
    try:
        while any(done[p] < ends[p] for p in ends):
            if killer.error is not None:
                raise AssertionError("the leader killer failed") from killer.error
            if not killer.may_go_past(sum(done.values())):
                await asyncio.sleep(0.05)
                continue
            messages = await asyncio.to_thread(consumer.consume, POLL_RECORDS, 0.5)
            messages = [m for m in messages if m.error() is None]
            if not messages:
                continue
            positions: dict[tuple[str, int], int] = {}
            try:
                killer.in_transaction.set()
                async with producer.transaction():
                    for message in messages:
                        partition, offset = message.partition(), message.offset()
                        assert partition is not None
                        assert offset is not None
                        producer.send_nowait(
                            sink, b"out-" + (message.value() or b""), key=b"%d" % partition
                        )
                        positions[(source, partition)] = offset + 1
                    await producer.send_offsets_to_transaction(
                        positions, consumer.consumer_group_metadata()
                    )
            except KafkaError as exc:
                killer.in_transaction.clear()
                report.aborts.append(type(exc).__name__)
                assert producer._transactions is not None
                if producer._transactions.state is TransactionState.FATAL_ERROR:
                    # Unusable: a new instance with the same id fences it and finishes (or
                    # aborts) whatever transaction it left.
                    report.replaced.append(f"{type(exc).__name__}: {exc}")
                    await producer.close(timeout=5)
                    producer = Producer(**producer_options(cluster, transactional_id))
                    await producer.start()
                await asyncio.to_thread(rewind, consumer)
                continue
            killer.in_transaction.clear()
            report.commits.append(time.monotonic())
            for (_, partition), offset in positions.items():
                done[partition] = offset
            coordinator = producer._transactions._coordinators.get(
                producer._transactions._transaction_key
            )
            killer.note_progress(sum(done.values()), coordinator)
    finally:
        await producer.close(timeout=10)
        consumer.close()


def run_exactly_once_under_failover(kafka3: BaseCluster, topic: TopicFactory, count: int) -> None:
    assert isinstance(kafka3, KafkaCluster), "needs a cluster whose nodes it can kill"
    wait_for_full_isr(kafka3, timeout=90)
    source = topic(partitions=PARTITIONS, replication_factor=3, cluster=kafka3)
    sink = topic(partitions=PARTITIONS, replication_factor=3, cluster=kafka3)
    group = f"eos-failover-{uuid.uuid4().hex[:8]}"

    async def write_input() -> None:
        async with Producer(bootstrap_servers=kafka3.bootstrap_servers, linger_ms=20) as producer:
            for i in range(count):
                producer.send_nowait(source, b"%07d" % i, partition=i % PARTITIONS)
            await producer.flush(timeout=120)

    asyncio.run(write_input())
    probe = Consumer({**kafka3.client_config(), "group.id": group})
    try:
        ends = {
            p: probe.get_watermark_offsets(TopicPartition(source, p), timeout=10)[1]
            for p in range(PARTITIONS)
        }
    finally:
        probe.close()
    assert sum(ends.values()) == count

    report = RunReport()
    killer = LeaderKiller(kafka3, sink, count, report)
    thread = threading.Thread(target=killer.run, name="leader-killer", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        asyncio.run(transform_all(kafka3, source, sink, group, ends, killer, report))
    finally:
        thread.join(timeout=150)
        # Leave the session's cluster whole for the tests after this one.
        for node in kafka3.nodes:
            if not node.is_running:
                node.start(wait=False)
        wait_for_full_isr(kafka3, timeout=120)
    report.seconds = time.monotonic() - started
    print(report.summary())
    assert killer.error is None, killer.error
    assert len(report.outages) == 2, report.summary()

    # Each input record exactly once in the output, read back read_committed to the end
    # offsets (consume raises on more records than `count`, naming those found twice).
    records = kafka3.consume(sink, count=count, timeout=120, isolation_level="read_committed")
    values = collections.Counter(r.value for r in records)
    assert values == collections.Counter(b"out-%07d" % i for i in range(count))
    # In input order per input partition (the key names it; one key, one output partition).
    for partition in range(PARTITIONS):
        mine = [r.value for r in records if r.key == b"%d" % partition]
        assert mine == sorted(mine), f"input partition {partition}'s records out of order"

    # The group's committed offsets are the input's end offsets.
    checker = Consumer({**kafka3.client_config(), "group.id": group})
    try:
        committed = committed_offsets(
            checker, [TopicPartition(source, p) for p in range(PARTITIONS)]
        )
    finally:
        checker.close()
    assert {tp.partition: tp.offset for tp in committed} == ends

    # The loop failed over: it committed transactions while each victim was down.
    assert all(report.commits_during(o) > 0 for o in report.outages), report.summary()


@pytest.mark.timeout(420)
def test_exactly_once_under_leader_failover(kafka3: BaseCluster, topic: TopicFactory) -> None:
    run_exactly_once_under_failover(kafka3, topic, 100_000)
