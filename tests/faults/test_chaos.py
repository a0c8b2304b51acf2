"""Chaos: keyed records with per-key sequence numbers are produced (acks=all, idempotent) to a
topic with replication factor 3 and min.insync.replicas=2, while nodes of the three-node
cluster are killed with SIGKILL and restarted, each time the current leader of a partition.
Then an independent consumer reads everything back and the log is checked: no record reported
delivered is lost, none is duplicated, each key's records are in order, each is at the offset
reported, and every future ended. While a node is down, the partitions it led must go on
receiving records (the producer fails over to the new leaders).

The short run is part of the default test run (about a minute and a half of chaos). The long
one is marked ``slow``; run it with::

    FERROKAFKA_CHAOS_SECONDS=900 .venv/bin/python -m pytest -m slow tests/faults/test_chaos.py -s

``FERROKAFKA_CHAOS_SECONDS`` bounds its time (default 600), ``FERROKAFKA_CHAOS_KILLS`` its
kills (default: as many as fit), and ``FERROKAFKA_CHAOS_RESETS=1`` also resets every client
connection through the proxies at random moments.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from dataclasses import dataclass, field

import pytest
from fault_helpers import Verdict, check, producer_options, read_back, send_keyed
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.records import DeliveryFuture

PARTITIONS = 6
KEYS = 30
# Brokers are fenced 6 s after their last heartbeat (the harness's broker.session.timeout.ms);
# the partitions a dead node led move only then (later still when the node was the active
# controller: its successor is elected first), so an outage must last well over that to show
# the producer moving to the new leaders.
DOWN_S = 15.0
# Acknowledgements read within this long after a kill may have left the dead node before it
# died; later ones come from the new leaders.
IN_TRANSIT_S = 1.0
# Between a node's return (all replicas back in sync) and the next kill.
CALM_S = 2.0


@dataclass
class Outage:
    node_id: int
    #: Partitions the node led when it was killed.
    partitions: list[int]
    killed_at: float
    restarted_at: float = 0.0
    back_at: float = 0.0


@dataclass
class ChaosReport:
    outages: list[Outage] = field(default_factory=list)
    resets: int = 0
    verdict: Verdict = field(default_factory=Verdict)
    #: Per outage, per partition the dead node led: seconds from the kill to the first record
    #: a new leader acknowledged (None: none before the node was back).
    failover_s: list[list[float | None]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        kills = [f"node {o.node_id} (led {o.partitions})" for o in self.outages]
        return (
            f"chaos {self.seconds:.0f} s: {len(self.outages)} kills {kills}, "
            f"{self.resets} connection resets; {self.verdict.summary()}; "
            f"seconds until the new leaders took records: {self._failovers()}"
        )

    def _failovers(self) -> list[list[str]]:
        return [[f"{s:.1f}" if s is not None else "-" for s in o] for o in self.failover_s]


class Killer:
    """Kills (SIGKILL) the leader of one partition after another and restarts it, until told to
    stop or out of kills; runs in a thread of its own, since node control blocks."""

    def __init__(
        self, cluster: ProxiedCluster, topic: str, kills: int, deadline: float, resets: bool
    ) -> None:
        self.cluster = cluster
        self.topic = topic
        self.kills = kills
        self.deadline = deadline
        self.resets = resets
        self.report = ChaosReport()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._random = random.Random(int(os.environ.get("FERROKAFKA_CHAOS_SEED", "1")))

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self.error = exc
            raise

    def _run(self) -> None:
        self.stop.wait(CALM_S)
        for round_ in range(self.kills):
            # A whole outage must fit before the deadline, recovery included.
            if self.stop.is_set() or time.monotonic() + DOWN_S + 30 > self.deadline:
                return
            leaders = self.cluster.leaders(self.topic)
            victim = leaders[round_ % PARTITIONS]
            node = self.cluster.node(victim)
            outage = Outage(
                victim, sorted(p for p, n in leaders.items() if n == victim), time.monotonic()
            )
            node.kill()
            self.report.outages.append(outage)
            self._pause(DOWN_S)
            outage.restarted_at = time.monotonic()
            node.start(wait=False)
            node.wait_ready(timeout=90)
            self.cluster.wait_for_full_isr(timeout=90)
            outage.back_at = time.monotonic()
            self._pause(CALM_S)

    def _pause(self, seconds: float) -> None:
        """Waits, resetting client connections now and then if asked to."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not self.resets:
                time.sleep(left)
                return
            time.sleep(min(left, self._random.uniform(0.5, 2.0)))
            proxy = self._random.choice(list(self.cluster.proxies.values()))
            self.report.resets += proxy.reset_connections()


async def chaos(
    cluster: ProxiedCluster, *, seconds: float, kills: int, resets: bool
) -> ChaosReport:
    topic = cluster.create_topic("chaos", partitions=PARTITIONS)
    started = time.monotonic()
    killer = Killer(cluster, topic, kills, started + seconds, resets)
    acknowledged: list[tuple[float, int]] = []

    def note(future: DeliveryFuture) -> None:
        if future.exception() is None:
            acknowledged.append((time.monotonic(), future.result().partition))

    bootstrap = cluster.bootstrap_servers if resets else cluster.cluster.bootstrap_servers
    options = producer_options(
        bootstrap, request_timeout_ms=5000, delivery_timeout_ms=120_000, acks="all"
    )
    sent: dict[bytes, DeliveryFuture] = {}
    async with Producer(**options) as producer:
        await producer.wait_for_topic(topic)
        killing = asyncio.create_task(asyncio.to_thread(killer.run))
        round_ = 0
        while not killing.done():
            batch: dict[bytes, DeliveryFuture] = {}
            await send_keyed(producer, topic, batch, keys=KEYS, rounds=1, first_round=round_)
            for future in batch.values():
                future.add_done_callback(note)
            sent.update(batch)
            round_ += 1
            await asyncio.sleep(0.03)
        await killing
        await producer.flush(timeout=150)
    report = killer.report
    report.seconds = time.monotonic() - started
    report.verdict = check(sent, read_back(cluster.cluster, topic))
    for outage in report.outages:
        # For each partition the dead node led: how long until a new leader acknowledged one
        # of its records (None: not before the node came back).
        waits = []
        since = outage.killed_at + IN_TRANSIT_S
        for partition in outage.partitions:
            first = min(
                (t for t, p in acknowledged if p == partition and t >= since),
                default=None,
            )
            ok = first is not None and first < outage.restarted_at
            waits.append(first - outage.killed_at if ok and first is not None else None)
        report.failover_s.append(waits)
    return report


def assert_survived(report: ChaosReport, kills: int) -> None:
    print(report.summary())
    assert len(report.outages) >= kills, report.summary()
    report.verdict.assert_clean()
    assert report.verdict.sent > 0
    # The dead leaders' partitions took records again before they came back.
    assert all(s is not None for waits in report.failover_s for s in waits), report.summary()


async def test_chaos_short(proxied: ProxiedCluster) -> None:
    proxied.heal()
    try:
        report = await chaos(proxied, seconds=100, kills=3, resets=False)
    finally:
        proxied.heal()
    assert_survived(report, kills=3)


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_chaos_long(proxied: ProxiedCluster) -> None:
    seconds = float(os.environ.get("FERROKAFKA_CHAOS_SECONDS", "600"))
    kills = int(os.environ.get("FERROKAFKA_CHAOS_KILLS", "1000000"))
    resets = os.environ.get("FERROKAFKA_CHAOS_RESETS", "") == "1"
    proxied.heal()
    try:
        report = await chaos(proxied, seconds=seconds, kills=kills, resets=resets)
    finally:
        proxied.heal()
    assert_survived(report, kills=1)
