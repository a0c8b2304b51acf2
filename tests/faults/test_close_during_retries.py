"""`close(timeout)` while the producer is retrying, against the real three-node cluster through
the proxies: the brokers refuse connections, or every Produce is answered NOT_LEADER_OR_FOLLOWER
(a leader that is never there). close returns within its timeout, every record ends, failed
with `ProducerClosedError` (the delivery timeout is far away, so nothing else may end them), and
no task is left behind.

Each test runs in an event loop of its own, so the loop's task list holds only what the
producer left.
"""

from __future__ import annotations

import asyncio
import time

import kafka_wire as wire
import pytest
from fault_helpers import producer_options
from fault_proxy import Action, Rule
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.errors import ProducerClosedError

RECORDS = 60
CLOSE_TIMEOUT_S = 1.0
# close() may overrun its timeout by this much (cancelling the sender, closing sockets).
OVERRUN_S = 1.0
# How long the producer retries before close: several retry and reconnect backoffs.
RETRYING_S = 2.0


@pytest.mark.parametrize("fault", ["refused", "not_leader"])
def test_close_during_retries_ends_every_record(faults: ProxiedCluster, fault: str) -> None:
    topic = faults.create_topic("close-retrying")

    async def main() -> tuple[float, list[BaseException | None], list[str], int]:
        producer = Producer(
            **producer_options(
                faults.bootstrap_servers,
                delivery_timeout_ms=120_000,
                request_timeout_ms=2000,
                linger_ms=0,
            )
        )
        await producer.start()
        await producer.wait_for_topic(topic)
        for partition in range(3):  # producer id, connections and leaders known
            await producer.send(topic, b"warm", partition=partition)
        rules = []
        if fault == "refused":
            for proxy in faults.proxies.values():
                proxy.refuse()
        else:
            rules = [
                proxy.add_rule(
                    Rule(
                        Action.ANSWER_ERROR,
                        times=-1,
                        error_code=wire.NOT_LEADER_OR_FOLLOWER,
                    )
                )
                for proxy in faults.proxies.values()
            ]
        futures = [producer.send_nowait(topic, b"v%d" % i, key=b"k%d" % i) for i in range(RECORDS)]
        await asyncio.sleep(RETRYING_S)
        assert not any(f.done() for f in futures), "a record ended before close"
        started = time.monotonic()
        await producer.close(timeout=CLOSE_TIMEOUT_S)
        elapsed = time.monotonic() - started
        errors = [f.exception() if f.done() else None for f in futures]
        pending = sum(not f.done() for f in futures)
        current = asyncio.current_task()
        leftover = [repr(t) for t in asyncio.all_tasks() if t is not current]
        answered = sum(rule.fired for rule in rules)
        if fault == "not_leader":
            assert answered >= 2, "the producer did not retry against the error answers"
        return elapsed, errors, leftover, pending

    try:
        elapsed, errors, leftover, pending = asyncio.run(main())
    finally:
        faults.heal()
    assert pending == 0, f"{pending} records still pending after close()"
    assert elapsed <= CLOSE_TIMEOUT_S + OVERRUN_S, f"close() took {elapsed:.2f} s"
    for error in errors:
        assert isinstance(error, ProducerClosedError), repr(error)
        assert "closed before the record was delivered" in str(error), error
    assert leftover == []
    # Refused, or answered by the proxy in the broker's place: only the warm-up records are in.
    assert [r.value for r in faults.cluster.consume(topic, 3, timeout=60)] == [b"warm"] * 3
