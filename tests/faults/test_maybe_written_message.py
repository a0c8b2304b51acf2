"""A record whose request reached the broker and got no answer before ``delivery_timeout_ms``
may be in the log ("maybe written", docs/GUARANTEES.md): its error says so, rather than that it
was not delivered. Against the real three-node cluster: the leader's proxy forwards every
Produce request to the broker, which writes it, and then delivers nothing more on that
connection, so the producer sees only request timeouts until the delivery timeout. The
independent reader then finds the record in the log, once: "maybe" was indeed "written".
"""

from __future__ import annotations

import asyncio

from fault_helpers import producer_options
from fault_proxy import Action, Rule
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.errors import KafkaTimeoutError


async def test_a_sent_record_that_times_out_may_have_been_written(
    faults: ProxiedCluster,
) -> None:
    topic = faults.create_topic("maybe-written", partitions=1)
    rule = faults.leader_proxy(topic).add_rule(Rule(Action.STALL_AFTER_REQUEST, times=-1))
    async with Producer(
        **producer_options(
            faults.bootstrap_servers,
            linger_ms=0,
            request_timeout_ms=500,
            delivery_timeout_ms=1_500,
            retry_backoff_ms=50,
        )
    ) as producer:
        await producer.wait_for_topic(topic)
        future = producer.send_nowait(topic, b"v")
        try:
            await asyncio.wait_for(future, 10)
        except KafkaTimeoutError as exc:
            error = exc
        else:
            raise AssertionError("the record was reported delivered")
    assert rule.fired >= 1
    message = str(error)
    assert "sent but not acknowledged within delivery_timeout_ms=1500" in message
    assert "may have been written" in message
    assert "not delivered" not in message
    faults.heal()
    assert [r.value for r in faults.cluster.consume(topic, 1, timeout=60)] == [b"v"]
