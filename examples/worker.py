"""A background worker: reads jobs (one JSON object per line on stdin), produces one result
record per job, and stops cleanly on end of input, SIGTERM or Ctrl-C.

`async with Producer(...)` owns the producer's life: leaving the block, for whatever reason,
sends what is still buffered and closes. Records go out with `send_nowait` and a delivery
callback (the asynchronous style of the Java client), so the worker never waits on one
record; a failed delivery is counted and logged, and the exit status reports it.

    printf '{"id": 1, "text": "hello"}\\n' | \\
        python examples/worker.py --bootstrap-servers 127.0.0.1:9092 --topic results

Runs under asyncio (default), uvloop or trio: `--backend trio`, `--backend uvloop`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import stat
import sys
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import BinaryIO

import anyio
import anyio.lowlevel

from ferrokafka import (
    BufferFullError,
    JsonSerializer,
    KafkaError,
    Producer,
    RecordMetadata,
    StringSerializer,
)

log = logging.getLogger("worker")


@dataclass
class Stats:
    received: int = 0
    invalid: int = 0
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def on_delivery(self, metadata: RecordMetadata | None, error: KafkaError | None) -> None:
        # Runs on the event loop when the brokers answered: keep it short.
        if error is None:
            self.delivered += 1
        else:
            self.failed += 1
            if len(self.errors) < 5:
                self.errors.append(str(error))
            log.error("delivery failed: %s", error)


def process(job: dict[str, object]) -> dict[str, object]:
    """The worker's actual job."""
    text = str(job.get("text", ""))
    return {"id": job["id"], "words": len(text.split()), "upper": text.upper()}


async def run(bootstrap_servers: str, topic: str, stats: Stats) -> None:
    async with Producer(
        bootstrap_servers=bootstrap_servers,
        client_id="results-worker",
        key_serializer=StringSerializer(),
        value_serializer=JsonSerializer(),
        linger_ms=10,
        compression_type="zstd",
    ) as producer:
        await producer.wait_for_topic(topic)
        with anyio.CancelScope() as reading:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(stop_on_signal, reading)
                async with aclosing(read_lines(sys.stdin.buffer)) as lines:
                    async for line in lines:
                        if line.strip():
                            await handle(producer, topic, line, stats)
                reading.cancel()
        # Leaving `async with` flushes what is buffered, then closes.


async def handle(producer: Producer, topic: str, line: bytes, stats: Stats) -> None:
    stats.received += 1
    try:
        job = json.loads(line)
        result = process(job)
    except (ValueError, KeyError, TypeError) as exc:
        stats.invalid += 1
        log.warning("skipping a bad job %r: %s", line[:80], exc)
        return
    try:
        producer.send_nowait(topic, result, key=str(job["id"]), on_delivery=stats.on_delivery)
    except BufferFullError:
        # Jobs come faster than Kafka takes them: wait for room (up to max_block_ms).
        await producer.send(topic, result, key=str(job["id"]))
        stats.delivered += 1


async def read_lines(stream: BinaryIO) -> AsyncGenerator[bytes, None]:
    """The lines of `stream` without blocking the event loop, so that a signal stops the
    worker even while it waits for input: a pipe or terminal is polled, a file is just read."""
    fd = stream.fileno()
    if stat.S_ISREG(os.fstat(fd).st_mode):
        for line in stream:
            yield line
            await anyio.lowlevel.checkpoint()
        return
    was_blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        pending = b""
        while True:
            await anyio.wait_readable(fd)
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                break
            *complete, pending = (pending + chunk).split(b"\n")
            for line in complete:
                yield line
        if pending:
            yield pending
    finally:
        os.set_blocking(fd, was_blocking)


async def stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("%s: stopping after the jobs read so far", signal.Signals(signum).name)
            scope.cancel()
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topic", default="results")
    parser.add_argument("--backend", choices=["asyncio", "uvloop", "trio"], default="asyncio")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    backend, options = args.backend, {}
    if backend == "uvloop":
        backend, options = "asyncio", {"use_uvloop": True}
    stats = Stats()
    anyio.run(
        run, args.bootstrap_servers, args.topic, stats, backend=backend, backend_options=options
    )
    print(
        json.dumps(
            {
                "received": stats.received,
                "invalid": stats.invalid,
                "delivered": stats.delivered,
                "failed": stats.failed,
                "errors": stats.errors,
            }
        )
    )
    return 1 if stats.failed else 0


if __name__ == "__main__":
    sys.exit(main())
