"""Split pieces that expire in flight, against the real three-node cluster.

The leader's proxy answers the first Produce request with MESSAGE_TOO_LARGE in the broker's
place, so the producer splits the batch; every later request is written by the broker and its
connection then goes silent. The pieces, registered after the batch they came from but with its
(earlier) delivery deadline, must fail at that deadline, not be forgotten: as "maybe written"
if they went out, as refused if they were still waiting. Then the producer bumps its epoch
and, the proxy faithful again, delivers what comes next. The independent reader finds each
record at most once and the later ones all there, in order.
"""

from __future__ import annotations

import asyncio
import time

from fault_helpers import check, key_of, producer_options, read_back, value_of
from fault_proxy import Action, Rule
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.errors import KafkaTimeoutError
from ferrokafka.records import DeliveryFuture

MESSAGE_TOO_LARGE = 10
DELIVERY_TIMEOUT_MS = 3_000
RECORDS = 8


async def test_split_pieces_in_flight_fail_at_their_parent_deadline(
    faults: ProxiedCluster,
) -> None:
    topic = faults.create_topic("split-expiry", partitions=1)
    proxy = faults.leader_proxy(topic)
    sent: dict[bytes, DeliveryFuture] = {}
    key = key_of(0)
    async with Producer(
        **producer_options(
            faults.bootstrap_servers,
            acks="all",
            linger_ms=100,
            request_timeout_ms=1_000,
            delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        )
    ) as producer:
        await producer.wait_for_topic(topic)
        too_large = proxy.add_rule(Rule(Action.ANSWER_ERROR, error_code=MESSAGE_TOO_LARGE))
        silent = proxy.add_rule(Rule(Action.STALL_AFTER_REQUEST, times=-1))
        started = time.monotonic()
        parent = []
        for sequence in range(RECORDS):
            value = value_of(key, sequence)
            sent[value] = producer.send_nowait(topic, value, key, partition=0)
            parent.append(sent[value])
        await asyncio.wait_for(asyncio.gather(*parent, return_exceptions=True), timeout=30)
        ended = time.monotonic() - started
        proxy.clear_faults()

        later = []
        for sequence in range(RECORDS, RECORDS + 20):
            value = value_of(key, sequence)
            sent[value] = producer.send_nowait(topic, value, key, partition=0)
            later.append(sent[value])
        await producer.flush(timeout=60)
        epoch_after = producer.metrics()["producer-epoch"]

    assert too_large.fired == 1
    assert silent.fired >= 1, "the pieces went out"
    failures = [f.exception() for f in parent]
    assert all(isinstance(e, KafkaTimeoutError) for e in failures), failures
    # A piece that went out may be in the log; one still waiting behind it was last refused
    # whole, inside its parent: each says which.
    maybe = [e for e in failures if "maybe written" in str(e)]
    refused = [e for e in failures if "not written within" in str(e) and "refused" in str(e)]
    assert maybe, failures
    assert len(maybe) + len(refused) == RECORDS, failures
    # Every record's life is bounded by delivery_timeout_ms (checked at least once a second).
    assert ended < DELIVERY_TIMEOUT_MS / 1000 + 2.0, ended
    assert all(f.exception() is None for f in later)
    assert epoch_after > 0, "the epoch was bumped after the pieces failed"
    verdict = check(sent, read_back(faults.cluster, topic))
    verdict.assert_clean(all_delivered=False)
