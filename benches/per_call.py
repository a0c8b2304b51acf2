"""What one `send_nowait` / `await produce` call costs, part by part, against the floor of a
Python call of the same shape.

The sender is kept nearly idle (linger 60 s, batches of 512 KiB, under the broker's 1 MB
``max.message.bytes``; a 1 GiB buffer), so that mostly the call is measured: CPU time of the
calling thread (`thread_time_ns`) around a loop of each kind, median of five rounds. `await
produce` gives the loop a turn every 1,000 records, in which the sender sends the batches that
filled: that work is in its figure, so it is compared with `send_nowait` giving the loop the
same turns (`await asyncio.sleep(0)` every 1,000 records), each loop started with nothing
queued (a flush before it, outside the timed part). The parts are measured from Python, so
each carries a call's own cost too: they show where the time goes, they do not add up exactly.

`send_many` is called with lists of 10,000 records, ``records`` of them rounded down (at least
one list), and its figure is per record.

    python -m benches.per_call [records]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from ferrokafka import DeliveryFuture, Producer
from ferrokafka._enqueue import YIELD_EVERY
from ferrokafka.testing import KafkaCluster

ROUNDS = 5
# Records per `send_many` call, as the benchmark's bulk client sends them.
BULK = 10_000
TOPIC = "per-call"


def _python_call(topic: str, value: bytes, key: bytes | None = None) -> None:
    return None


async def _measure(servers: str, records: int) -> dict[str, float]:
    async with Producer(
        bootstrap_servers=servers,
        acks=1,
        linger_ms=60_000,
        batch_size=512 * 1024,
        buffer_memory=1024**3,
        enable_idempotence=False,
    ) as producer:
        count = await producer.wait_for_topic(TOPIC)
        value = b"x" * 100
        batch = producer.send_nowait(TOPIC, value)._batch
        append = producer._accumulator.append
        send_nowait = producer.send_nowait
        send_many = producer.send_many
        bulk = [value] * BULK
        produce = producer.produce

        def loop() -> None:
            for _ in range(records):
                pass

        def python_call() -> None:
            for _ in range(records):
                _python_call(TOPIC, value)

        def wall_clock() -> None:
            for _ in range(records):
                time.time_ns()

        def new_future() -> None:
            for _ in range(records):
                DeliveryFuture(batch, 0, 0, -1, len(value))

        def accumulator_append() -> None:
            stamp, now = time.time_ns() // 1_000_000, time.monotonic_ns() // 1_000_000
            for _ in range(records):
                append(TOPIC, count, 0, None, value, None, stamp, now)

        def fast_send_nowait() -> None:
            for _ in range(records):
                send_nowait(TOPIC, value)

        bulk_calls = max(1, records // BULK)

        def bulk_send_many() -> None:
            for _ in range(bulk_calls):
                send_many(TOPIC, bulk)

        parts: dict[str, Callable[[], None]] = {
            "empty loop": loop,
            "Python call, same arguments": python_call,
            "time.time_ns()": wall_clock,
            "DeliveryFuture(...) from Python": new_future,
            "Accumulator.append from Python": accumulator_append,
            "send_nowait": fast_send_nowait,
            "send_many, per record": bulk_send_many,
        }

        async def send_nowait_with_turns() -> None:
            for i in range(records):
                send_nowait(TOPIC, value)
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)

        async def await_produce() -> None:
            for _ in range(records):
                await produce(TOPIC, value)

        awaited: dict[str, Callable[[], Awaitable[None]]] = {
            f"send_nowait, a turn per {YIELD_EVERY:,}": send_nowait_with_turns,
            "await produce": await_produce,
        }
        times: dict[str, list[float]] = {name: [] for name in [*parts, *awaited]}
        for _ in range(ROUNDS):
            for name, run in parts.items():
                started = time.thread_time_ns()
                run()
                count = bulk_calls * BULK if run is bulk_send_many else records
                times[name].append((time.thread_time_ns() - started) / count)
                await asyncio.sleep(0)
            for name, run_awaited in awaited.items():
                await producer.flush()
                started = time.thread_time_ns()
                await run_awaited()
                times[name].append((time.thread_time_ns() - started) / records)
            await producer.flush()
        return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str]) -> None:
    records = int(argv[0]) if argv else 100_000
    with KafkaCluster() as cluster:
        cluster.create_topic(TOPIC, partitions=6)
        medians = asyncio.run(_measure(cluster.bootstrap_servers, records))
    for name, ns in medians.items():
        print(f"{name:32s} {ns:6.0f} ns per call")


if __name__ == "__main__":
    main(sys.argv[1:])
