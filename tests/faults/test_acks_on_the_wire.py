"""`acks` as it leaves the producer: every Produce request's ``acks`` field, read from the bytes
on the wire by the proxies, and what the broker does with it (an answer, or none for acks=0).

On a healthy cluster acks=1 and acks="all" deliver the same records to the same offsets, so a
producer that sent the wrong value would pass every read-back test; only the request says which
it was. The proxies' tap sees each whole frame both ways, and `kafka_wire` (written from the
protocol's schema, not from ferrokafka's encoder) decodes the Produce requests.
"""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import uuid
from typing import Any

import kafka_wire as wire
import pytest
from fault_helpers import producer_options
from fault_proxy import Direction
from proxied_cluster import ProxiedCluster

from ferrokafka import KafkaError, NotEnoughReplicasError, Producer

RECORDS = 30
#: The value of Produce's ``acks`` field for each setting (-1 is "all").
WIRE_ACKS = {0: 0, 1: 1, "all": -1}


class ProduceRecorder:
    """Collects, from every proxy, the Produce requests and the responses, each named by
    (connection, correlation id): correlation ids are numbered per connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (connection, correlation id) → the request's acks field.
        self.requests: dict[tuple[int, int], int] = {}
        self.responses: set[tuple[int, int]] = set()

    def tap(self, connection: int, direction: Direction, frame: bytes) -> None:
        body = frame[4:]
        with self._lock:
            if direction is Direction.RESPONSES:
                self.responses.add((connection, struct.unpack(">i", body[:4])[0]))
                return
            header = wire.request_header(body)
            if header.api_key == wire.PRODUCE:
                _, produce = wire.parse_produce_request(body)
                self.requests[(connection, header.correlation_id)] = produce.acks


@pytest.mark.parametrize("acks", [0, 1, "all"])
async def test_acks_field_on_the_wire_and_the_answer(faults: ProxiedCluster, acks: Any) -> None:
    topic = faults.create_topic("acks-wire")
    recorder = ProduceRecorder()
    for proxy in faults.proxies.values():
        proxy.connection_tap = recorder.tap
    values = [b"acks-%d" % i for i in range(RECORDS)]
    try:
        options = producer_options(
            faults.bootstrap_servers, acks=acks, enable_idempotence=acks == "all", linger_ms=5
        )
        async with Producer(**options) as producer:
            await producer.wait_for_topic(topic)
            futures = [producer.send_nowait(topic, v, key=v[-1:]) for v in values]
            await producer.flush(timeout=30)
            metas = [f.result() for f in futures]
    finally:
        for proxy in faults.proxies.values():
            proxy.connection_tap = None

    requests = dict(recorder.requests)
    assert requests, "no Produce request went through the proxies"
    assert set(requests.values()) == {WIRE_ACKS[acks]}
    produce_ids = set(requests)
    answered = produce_ids & recorder.responses
    if acks == 0:
        # The broker answers nothing, and the producer waits for nothing: no offset is known.
        assert answered == set()
        assert {m.offset for m in metas} == {-1}
    else:
        assert answered == produce_ids
        assert all(m.offset >= 0 for m in metas)
    consumed = faults.cluster.consume(topic, RECORDS, timeout=60)
    assert sorted(r.value or b"" for r in consumed) == sorted(values)
    if acks != 0:
        where = {r.value: (r.partition, r.offset) for r in consumed}
        assert [where[v] for v in values] == [(m.partition, m.offset) for m in metas]


def test_acks_one_is_answered_by_the_leader_alone(faults: ProxiedCluster) -> None:
    """The behaviour the field selects: with a follower out of a partition that needs three
    in-sync replicas, the leader alone takes an acks=1 record, and refuses an acks="all" one
    (NOT_ENOUGH_REPLICAS); the log holds the first only."""
    name = f"acks-behaviour-{uuid.uuid4().hex[:8]}"
    faults.cluster.create_topic(name, 1, 3, {"min.insync.replicas": "3"})
    leader = faults.leaders(name)[0]
    follower = next(n for n in faults.cluster.nodes if n.node_id != leader)
    follower.stop()
    deadline = time.monotonic() + 30
    while len(faults.cluster.describe_topics([name])[name].partitions[0].isr) != 2:
        assert time.monotonic() < deadline, "the stopped follower stayed in the ISR"
        time.sleep(0.1)

    async def send(acks: Any) -> BaseException | int:
        options = producer_options(
            faults.bootstrap_servers,
            acks=acks,
            enable_idempotence=acks == "all",
            retries=2,
            delivery_timeout_ms=10_000,
        )
        async with Producer(**options) as producer:
            try:
                meta = await producer.send(name, b"acks=%s" % str(acks).encode())
            except KafkaError as exc:
                return exc
            return meta.offset

    assert asyncio.run(send(1)) == 0
    refused = asyncio.run(send("all"))
    assert isinstance(refused, NotEnoughReplicasError), repr(refused)
    faults.heal()
    assert [r.value for r in faults.cluster.consume(name, 1, timeout=60)] == [b"acks=1"]
