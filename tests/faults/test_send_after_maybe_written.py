"""Sending on after a "maybe written" delivery timeout, against the real three-node cluster.

The responses of one broker are held back (the broker gets and writes every request; the
producer sees nothing but request timeouts) until the records of its partitions pass their
``delivery_timeout_ms`` while in flight: they fail as "maybe written", and the idempotent
producer must bump its epoch before those partitions get more records, or a batch that was not
written would leave a gap, and one that was would be written twice. The responses then flow
again and the producer keeps sending to every partition. The independent reader, reading to
the end offsets, finds no duplicate, each key's records in order, every record sent after the
release delivered, and the records that timed out there at most once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from fault_helpers import check, key_of, producer_options, read_back, value_of
from fault_proxy import Action, Direction, FaultProxy, Rule
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.errors import KafkaTimeoutError
from ferrokafka.records import DeliveryFuture

PARTITIONS = 3
HELD_ROUNDS = range(1, 6)
LATER_ROUNDS = range(6, 40)


def hold_responses(proxy: FaultProxy) -> Callable[[], None]:
    """Every response of the broker is held back, then delivered late."""
    proxy.stall(Direction.RESPONSES)
    return proxy.resume


def silence_connections(proxy: FaultProxy) -> Callable[[], None]:
    """Each connection goes silent after its first Produce request (written by the broker)
    and stays silent; new connections are faithful again after the release. Only the
    request timeout frees a silent connection: the case that once left the epoch bump
    waiting forever, and every later record unsent."""
    proxy.add_rule(Rule(Action.STALL_AFTER_REQUEST, times=-1))
    return proxy.clear_faults


@pytest.mark.parametrize("coalesce", [False, True], ids=["pipelined", "coalesced"])
@pytest.mark.parametrize("hold", [hold_responses, silence_connections])
async def test_sending_on_after_a_maybe_written_timeout_bumps_the_epoch(
    faults: ProxiedCluster, hold: Callable[[FaultProxy], Callable[[], None]], coalesce: bool
) -> None:
    """Pipelined (as the Java client sends), every held record's request reaches the broker:
    they all fail as "maybe written". Coalesced (the default), the small batches behind the
    request out wait for its answer, which never comes in time: those fail as not sent, and
    the ones that went out as "maybe written"."""
    topic = faults.create_topic("send-on", partitions=PARTITIONS)
    leaders = faults.leaders(topic)
    held_node = leaders[0]
    held = [p for p, node in leaders.items() if node == held_node]
    proxy = faults.proxies[held_node]
    sent: dict[bytes, DeliveryFuture] = {}
    async with Producer(
        **producer_options(
            faults.bootstrap_servers,
            acks="all",
            linger_ms=0,
            request_timeout_ms=1_000,
            delivery_timeout_ms=2_500,
            max_block_ms=10_000,
            coalesce_small_requests=coalesce,
        )
    ) as producer:

        def send(partition: int, sequence: int) -> DeliveryFuture:
            key = key_of(partition)
            value = value_of(key, sequence)
            future = sent[value] = producer.send_nowait(topic, value, key, partition=partition)
            return future

        await producer.wait_for_topic(topic)
        for partition in range(PARTITIONS):
            send(partition, 0)
        await producer.flush(timeout=30)
        epoch_before = producer.metrics()["producer-epoch"]

        release = hold(proxy)
        timed_out: list[DeliveryFuture] = []
        unaffected: list[DeliveryFuture] = []
        for sequence in HELD_ROUNDS:
            for partition in range(PARTITIONS):
                future = send(partition, sequence)
                (timed_out if partition in held else unaffected).append(future)
            await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*timed_out, return_exceptions=True), timeout=20)
        release()

        later = [
            send(partition, sequence)
            for sequence in LATER_ROUNDS
            for partition in range(PARTITIONS)
        ]
        await producer.flush(timeout=60)
        epoch_after = producer.metrics()["producer-epoch"]

    verdict = check(sent, read_back(faults.cluster, topic))
    verdict.assert_clean(all_delivered=False)
    errors = [f.exception() for f in later + unaffected if f.exception() is not None]
    assert not errors, (
        f"records of healthy partitions or sent after the release failed: {errors[:3]}"
    )
    failures = [f.exception() for f in timed_out]
    assert all(isinstance(e, KafkaTimeoutError) for e in failures), failures
    maybe_written = [e for e in failures if "maybe written" in str(e)]
    if coalesce:
        assert maybe_written, failures
        not_sent = [e for e in failures if "was not sent" in str(e)]
        assert len(maybe_written) + len(not_sent) == len(failures), failures
    else:
        assert len(maybe_written) == len(failures), failures
    assert epoch_after > epoch_before
