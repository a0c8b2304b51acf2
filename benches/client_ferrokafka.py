"""ferrokafka, five ways: `send_nowait` per record, `await produce()` per record, `await send()`
per record, `send_many`, and `await produce_many()` over a generator."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from benches import stages
from benches.measure import (
    YIELD_EVERY,
    Job,
    LatencyLog,
    Outcome,
    Stopwatch,
    timed_concurrent_senders,
    timed_paced,
)
from benches.workloads import Mode
from ferrokafka import BufferFullError, BulkDelivery, DeliveryFuture, KafkaError, Producer

# Records per `send_many` call: large enough that the crossing into Rust is amortised, small
# enough that the sender starts on the first batches while the rest are appended.
BULK_CHUNK = 10_000
# How long to let the sender drain when buffer_memory is full, before trying again.
FULL_BACKOFF_S = 0.001


def run(job: Job) -> Outcome:
    return asyncio.run(_run(job))


def _producer(job: Job) -> Producer:
    settings = job.workload.settings
    return Producer(
        bootstrap_servers=job.bootstrap_servers,
        acks=-1 if settings.acks == "all" else int(settings.acks),
        linger_ms=settings.linger_ms,
        batch_size=settings.batch_size,
        compression_type=settings.compression,
        enable_idempotence=settings.enable_idempotence,
    )


async def _run(job: Job) -> Outcome:
    async with _producer(job) as producer:
        for topic in job.topics:
            await producer.wait_for_topic(topic)
        mode = job.workload.mode
        if mode is Mode.LATENCY:
            return await _latency(producer, job)
        if mode is Mode.AWAITED:
            return await _awaited(producer, job)
        if job.variant == "bulk":
            return await _bulk(producer, job)
        if job.variant == "produce":
            return await _produce(producer, job)
        if job.variant == "produce-many":
            return await _produce_many(producer, job)
        if job.workload.keyed:
            return await _keyed(producer, job)
        return await _fire_and_forget(producer, job)


async def _fire_and_forget(producer: Producer, job: Job) -> Outcome:
    send = producer.send_nowait
    topic = job.topic
    full_waits = 0
    clock = Stopwatch()
    clock.start()
    for index, value in enumerate(job.stream()):
        try:
            send(topic, value)
        except BufferFullError:
            full_waits += await _send_when_room(send, topic, value)
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    await producer.flush()
    return Outcome(job.workload.records, clock.stop(), extra={"buffer_full_waits": full_waits})


async def _keyed(producer: Producer, job: Job) -> Outcome:
    # The fire-and-forget loop with a key and a topic per record (the scale workloads).
    send = producer.send_nowait
    full_waits = 0
    clock = Stopwatch()
    clock.start()
    for index, (topic, key, value) in enumerate(job.keyed_stream()):
        try:
            send(topic, value, key)
        except BufferFullError:
            full_waits += await _send_when_room(send, topic, value, key)
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    await producer.flush()
    return Outcome(job.workload.records, clock.stop(), extra={"buffer_full_waits": full_waits})


async def _send_when_room(send: Callable[..., object], *record: object) -> int:
    """Sends a record that found buffer_memory full, retrying every `FULL_BACKOFF_S` while the
    sender drains; returns how many times it waited."""
    waits = 0
    while True:
        waits += 1
        await asyncio.sleep(FULL_BACKOFF_S)
        try:
            send(*record)
            return waits
        except BufferFullError:
            continue


async def _produce(producer: Producer, job: Job) -> Outcome:
    # The README's loop, as a new user writes it: no yields, no retries, produce() does both.
    topic = job.topic
    clock = Stopwatch()
    clock.start()
    for value in job.stream():
        await producer.produce(topic, value)
    await producer.flush()
    return Outcome(job.workload.records, clock.stop())


async def _produce_many(producer: Producer, job: Job) -> Outcome:
    clock = Stopwatch()
    clock.start()
    bulk = await producer.produce_many(job.topic, job.stream())
    errors = await _failures(bulk)
    return Outcome(job.workload.records - errors, clock.stop(), errors=errors)


async def _bulk(producer: Producer, job: Job) -> Outcome:
    topic = job.topic
    chunk = list(job.stream(0, BULK_CHUNK))
    pending: deque[BulkDelivery] = deque()
    settled: list[BulkDelivery] = []
    remaining = job.workload.records
    clock = Stopwatch()
    clock.start()
    while remaining:
        values = chunk if remaining >= len(chunk) else chunk[:remaining]
        while values:
            try:
                bulk = producer.send_many(topic, values)
            except BufferFullError:
                await _make_room(pending, settled)
                continue
            pending.append(bulk)
            remaining -= bulk.queued
            values = values[bulk.queued :] if bulk.queued < len(values) else []
            if values:
                await _make_room(pending, settled)
        await asyncio.sleep(0)
    errors = 0
    for bulk in [*settled, *pending]:
        errors += await _failures(bulk)
    elapsed = clock.stop()
    return Outcome(job.workload.records - errors, elapsed, errors=errors)


async def _make_room(pending: deque[BulkDelivery], settled: list[BulkDelivery]) -> None:
    # The oldest unfinished bulk holds the oldest buffer memory; its end frees some.
    while pending:
        bulk = pending.popleft()
        settled.append(bulk)
        if not bulk.done():
            await _failures(bulk)
            return
    await asyncio.sleep(FULL_BACKOFF_S)


async def _failures(bulk: BulkDelivery) -> int:
    try:
        await bulk
    except KafkaError:
        return sum(1 for result in bulk.results() if isinstance(result, KafkaError))
    return 0


async def _awaited(producer: Producer, job: Job) -> Outcome:
    return await timed_concurrent_senders(job, producer.send)


async def _latency(producer: Producer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    topic = job.topic
    send = producer.send_nowait
    directory = stages.stages_dir()
    recorder = None if directory is None else stages.StageRecorder(log)

    def done(index: int, future: DeliveryFuture) -> None:
        if future.exception() is None:
            log.ack(index)
            if recorder is not None:
                recorder.acked(index)
        else:
            log.fail(index)

    async def send_one(index: int, value: bytes) -> None:
        send(topic, value).add_done_callback(lambda future: done(index, future))

    if recorder is None:
        return await timed_paced(log, job, send_one, producer.flush)
    assert directory is not None
    recorder.attach(producer)
    try:
        outcome = await timed_paced(log, job, send_one, producer.flush)
    finally:
        recorder.detach()
    outcome.extra["stages"] = recorder.summary()
    recorder.save(directory, topic)
    return outcome
