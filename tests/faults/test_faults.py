"""The producer against a real three-node cluster through fault-injecting proxies: each fault
of `FaultProxy` while keyed records with per-key sequence numbers are sent, then the log is
read back by an independent consumer (confluent-kafka) and checked: nothing reported delivered
is missing, nothing is written twice, every key's records are in order, every record is at the
offset the producer reported, and every future ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

import kafka_wire as wire
import pytest
from fault_helpers import Verdict, check, producer_options, read_back, send_keyed
from fault_proxy import Action, Direction, Rule
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.records import DeliveryFuture

KEYS = 12
ROUNDS = 40


async def run_scenario(
    faults: ProxiedCluster,
    topic: str,
    *,
    during: Any = None,
    rounds: int = ROUNDS,
    pause: float = 0.01,
    **options: Any,
) -> tuple[Verdict, dict[str, float]]:
    """Sends ``KEYS * rounds`` records (``during(producer)`` runs alongside), flushes, closes,
    reads the topic back and checks it."""
    sent: dict[bytes, DeliveryFuture] = {}
    async with Producer(**producer_options(faults.bootstrap_servers, **options)) as producer:
        await producer.wait_for_topic(topic)
        sending = send_keyed(producer, topic, sent, keys=KEYS, rounds=rounds, pause=pause)
        if during is None:
            await sending
        else:
            await asyncio.gather(sending, during(producer))
        await producer.flush(timeout=90)
        metrics = producer.metrics()
    verdict = check(sent, read_back(faults.cluster, topic))
    return verdict, metrics


def on_every_proxy(faults: ProxiedCluster, **rule: Any) -> list[Rule]:
    return [proxy.add_rule(Rule(**rule)) for proxy in faults.proxies.values()]


def fired(rules: list[Rule]) -> int:
    return sum(rule.fired for rule in rules)


async def test_all_traffic_goes_through_the_proxies(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("baseline")
    verdict, _ = await run_scenario(faults, topic, rounds=10)
    verdict.assert_clean()
    leaders = set(faults.leaders(topic).values())
    for node_id in leaders:
        assert faults.proxies[node_id].stats.requests[wire.PRODUCE] > 0, node_id


async def test_latency(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("latency")
    for proxy in faults.proxies.values():
        proxy.latency(0.05)
    verdict, metrics = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert metrics["request-latency-avg"] >= 100


async def test_stalled_request_times_out_and_is_retried_as_maybe_written(
    faults: ProxiedCluster,
) -> None:
    # The broker gets the request and writes it; its answer never comes back. The producer
    # times the request out, and the batch must go again with its sequence number so the broker
    # deduplicates it: written once, at the offset the first attempt got.
    topic = faults.create_topic("stalled")
    rules = on_every_proxy(faults, action=Action.STALL_AFTER_REQUEST, skip=2)
    verdict, metrics = await run_scenario(faults, topic, request_timeout_ms=2000)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert sum(p.stats.responses_dropped for p in faults.proxies.values()) >= 1
    assert metrics["record-retry-total"] > 0


async def test_stalled_reads(faults: ProxiedCluster) -> None:
    # Responses from the leader are held back longer than the request timeout, then flow again.
    topic = faults.create_topic("stalled-reads")
    proxy = faults.leader_proxy(topic)

    async def stall(_: Producer) -> None:
        await asyncio.sleep(0.3)
        proxy.stall(Direction.RESPONSES)
        await asyncio.sleep(3.0)
        proxy.resume()

    verdict, metrics = await run_scenario(faults, topic, during=stall, request_timeout_ms=2000)
    verdict.assert_clean()
    assert metrics["record-retry-total"] > 0


async def test_reset_mid_request(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("reset-mid")
    rules = on_every_proxy(faults, action=Action.RESET_MID_REQUEST, skip=1, times=2)
    verdict, metrics = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert metrics["record-retry-total"] > 0


async def test_lost_response_is_deduplicated(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("lost-response")
    rules = on_every_proxy(faults, action=Action.RESET_AFTER_REQUEST, skip=1, times=2)
    verdict, metrics = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert metrics["record-retry-total"] > 0


async def test_lost_response_without_idempotence_may_duplicate(faults: ProxiedCluster) -> None:
    # The documented difference: without idempotence the broker cannot tell a retry from new
    # records, so a response lost after the write duplicates the batch (at least once).
    topic = faults.create_topic("lost-response-plain")
    rules = on_every_proxy(faults, action=Action.RESET_AFTER_REQUEST, skip=1, times=1)
    verdict, _ = await run_scenario(
        faults,
        topic,
        rounds=10,
        enable_idempotence=False,
        max_in_flight_requests_per_connection=1,
    )
    assert fired(rules) >= 1
    assert verdict.duplicated
    assert not verdict.lost
    assert not verdict.pending
    assert not verdict.reordered


async def test_connections_reset_while_sending(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("resets")

    async def reset(_: Producer) -> None:
        for _round in range(6):
            await asyncio.sleep(0.25)
            for proxy in faults.proxies.values():
                proxy.reset_connections()

    verdict, _ = await run_scenario(faults, topic, during=reset)
    verdict.assert_clean()
    assert sum(p.stats.resets for p in faults.proxies.values()) >= 6


async def test_fragmented_writes(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("fragments")
    for proxy in faults.proxies.values():
        proxy.fragment(7)
    verdict, _ = await run_scenario(faults, topic, rounds=10)
    verdict.assert_clean()


async def test_truncated_response(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("truncated")
    rules = on_every_proxy(faults, action=Action.TRUNCATE_RESPONSE, skip=1)
    verdict, _ = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert fired(rules) >= 1


async def test_malformed_response_drops_the_connection_and_retries(
    faults: ProxiedCluster,
) -> None:
    topic = faults.create_topic("malformed")
    rules = on_every_proxy(faults, action=Action.CORRUPT_RESPONSE, skip=1)
    connections_before = sum(p.stats.connections for p in faults.proxies.values())
    verdict, metrics = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert metrics["record-retry-total"] > 0
    # Each corrupt answer cost its connection: the producer connected again, beyond its
    # bootstrap connection and one per leader.
    connections = sum(p.stats.connections for p in faults.proxies.values())
    leaders = len(set(faults.leaders(topic).values()))
    assert connections - connections_before >= 1 + leaders + fired(rules)


async def test_blackholed_leader_then_healed(faults: ProxiedCluster) -> None:
    topic = faults.create_topic("blackhole")
    proxy = faults.leader_proxy(topic)

    async def blackhole(_: Producer) -> None:
        await asyncio.sleep(0.3)
        proxy.blackhole()
        await asyncio.sleep(4.0)
        proxy.blackhole(False)

    verdict, metrics = await run_scenario(faults, topic, during=blackhole, request_timeout_ms=2000)
    verdict.assert_clean()
    assert metrics["record-retry-total"] > 0


@pytest.mark.parametrize(
    "error_code",
    [
        wire.NOT_LEADER_OR_FOLLOWER,
        wire.FENCED_LEADER_EPOCH,
        wire.UNKNOWN_TOPIC_OR_PARTITION,
    ],
)
async def test_leader_errors_refresh_metadata_and_keep_order(
    faults: ProxiedCluster, error_code: int
) -> None:
    topic = faults.create_topic(f"leader-error-{error_code}")
    rules = on_every_proxy(
        faults, action=Action.ANSWER_ERROR, error_code=error_code, skip=1, times=3
    )
    metadata_before = sum(p.stats.requests[wire.METADATA] for p in faults.proxies.values())
    verdict, metrics = await run_scenario(faults, topic)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert metrics["record-retry-total"] > 0
    metadata = sum(p.stats.requests[wire.METADATA] for p in faults.proxies.values())
    # Bootstrap and the topic's first lookup, then at least one refresh for the error.
    assert metadata - metadata_before >= 3


@pytest.mark.parametrize(
    "error_code", [wire.OUT_OF_ORDER_SEQUENCE_NUMBER, wire.UNKNOWN_PRODUCER_ID]
)
async def test_sequence_errors_bump_the_epoch_and_keep_order(
    faults: ProxiedCluster, error_code: int
) -> None:
    # The broker never sees the request the proxy answered; the requests pipelined behind it
    # get a real OUT_OF_ORDER_SEQUENCE_NUMBER. KIP-360: the producer bumps its epoch, renumbers
    # what is unacknowledged from 0 and sends it again in the original order. Small requests
    # are pipelined as the Java client sends them (coalescing would hold them for the answer).
    topic = faults.create_topic(f"sequence-error-{error_code}")
    rules = on_every_proxy(faults, action=Action.ANSWER_ERROR, error_code=error_code, skip=2)
    verdict, metrics = await run_scenario(faults, topic, coalesce_small_requests=False)
    verdict.assert_clean()
    assert fired(rules) >= 1
    assert metrics["producer-epoch"] >= 1
