"""What the awaited workload costs asyncio itself, with no Kafka client at all.

1,000 tasks each await one future per record, and the futures are resolved in batches of
`BATCH` (as a producer resolves one record batch's awaiters together). Whatever a client does
on top, an awaited send costs at least this: creating and resolving a future, and suspending
and resuming the awaiting task. The figure bounds every asyncio client's awaited throughput on
this machine.

    python -m benches.asyncio_floor [records] [--uvloop]

``--uvloop`` runs it on uvloop's loop instead of asyncio's default one.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

TASKS = 1_000
BATCH = 100


async def _floor(records: int) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    waiting: list[asyncio.Future[None]] = []
    wake = asyncio.Event()

    async def sender(count: int) -> None:
        for _ in range(count):
            future = loop.create_future()
            waiting.append(future)
            if len(waiting) >= BATCH:
                wake.set()
            await future

    async def resolver() -> None:
        while True:
            await wake.wait()
            wake.clear()
            batch, waiting[:] = list(waiting), []
            for future in batch:
                future.set_result(None)

    share = records // TASKS
    resolving = loop.create_task(resolver())
    # Stragglers at the end, fewer than BATCH, are resolved by a periodic nudge.
    nudger = loop.create_task(_nudge(wake))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(sender(share) for _ in range(TASKS)))
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    resolving.cancel()
    nudger.cancel()
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return share * TASKS / elapsed, cpu / (share * TASKS) * 1e6


async def _nudge(wake: asyncio.Event) -> None:
    while True:
        await asyncio.sleep(0.001)
        wake.set()


def main(argv: list[str]) -> None:
    use_uvloop = "--uvloop" in argv
    numbers = [arg for arg in argv if arg != "--uvloop"]
    records = int(numbers[0]) if numbers else 500_000
    if use_uvloop:
        import uvloop

        rate, cpu_us = uvloop.run(_floor(records))
        loop = f"uvloop {uvloop.__version__}"
    else:
        rate, cpu_us = asyncio.run(_floor(records))
        loop = "asyncio"
    print(
        f"{loop} floor ({TASKS} tasks, futures resolved {BATCH} at a time): "
        f"{rate:,.0f} awaits/s, {cpu_us:.2f} CPU µs each (Python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
