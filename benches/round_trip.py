"""`python -m benches.round_trip [--records N] [--clients ...]`: one record at a time.

Each client sends a record (100 B, acks=all, linger 0, idempotent, 6 partitions) and waits for
its acknowledgement before the next: a request per record, nothing batched, so what is measured
is a client's own cost per request. Reported per round trip: the CPU time of the event loop's
thread (the time the client holds the loop, which every other task of the application and the
reading of every other response wait for), how many turns the event loop took, and the
latency's p50 / p99. CPU time, unlike the latency, barely moves with the machine's load.

Starts a one-node Kafka unless `--bootstrap-servers` (or `KAFKA_BOOTSTRAP_SERVERS`) names one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benches.broker import Broker
from benches.measure import percentile

PARTITIONS = 6
VALUE = b"x" * 100
# Round trips before the measured ones (connections, producer id, the broker's first appends).
WARM_UP = 300


async def _measure(name: str, one: Callable[[], Awaitable[object]], records: int) -> str:
    for _ in range(WARM_UP):
        await one()
    loop: Any = asyncio.get_running_loop()
    turns = 0
    run_once = loop._run_once

    def counted() -> None:
        nonlocal turns
        turns += 1
        run_once()

    # The loop looks `_run_once` up on every turn: counting them costs the same for everyone.
    loop._run_once = counted
    latencies = []
    cpu_started = time.thread_time()
    try:
        for _ in range(records):
            started = time.perf_counter()
            await one()
            latencies.append(time.perf_counter() - started)
    finally:
        cpu = time.thread_time() - cpu_started
        loop._run_once = run_once
    latencies.sort()
    return (
        f"{name:<11} loop thread CPU {1e6 * cpu / records:6.0f} µs, "
        f"event loop turns {turns / records:4.2f}, "
        f"p50 {1000 * percentile(latencies, 50):.3f} ms, "
        f"p99 {1000 * percentile(latencies, 99):.3f} ms per round trip"
    )


async def _ferrokafka(bootstrap: str, topic: str, records: int) -> str:
    from ferrokafka import Producer

    async with Producer(
        bootstrap_servers=bootstrap, acks=-1, linger_ms=0, enable_idempotence=True
    ) as producer:
        await producer.wait_for_topic(topic)

        async def one() -> None:
            await producer.send_nowait(topic, VALUE)

        return await _measure("ferrokafka", one, records)


async def _aiokafka(bootstrap: str, topic: str, records: int) -> str:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=0, enable_idempotence=True
    )
    await producer.start()
    try:

        async def one() -> None:
            await (await producer.send(topic, VALUE))

        return await _measure("aiokafka", one, records)
    finally:
        await producer.stop()


CLIENTS = {"ferrokafka": _ferrokafka, "aiokafka": _aiokafka}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.round_trip", description=__doc__)
    parser.add_argument("--records", type=int, default=3000, help="round trips per client run")
    parser.add_argument("--reps", type=int, default=3, help="runs per client, interleaved")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated")
    parser.add_argument("--bootstrap-servers", help="use this cluster")
    args = parser.parse_args(argv)
    with Broker(args.bootstrap_servers) as broker:
        for _ in range(args.reps):
            for key in args.clients.split(","):
                topic = broker.fresh_topic(f"round-trip-{key}", PARTITIONS)
                try:
                    line = asyncio.run(CLIENTS[key](broker.bootstrap_servers, topic, args.records))
                finally:
                    broker.delete_topic(topic)
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
