"""aiokafka's `AIOKafkaProducer`: `await send()` returns a future once the record is queued
(it waits itself when the queue is full), `send_and_wait()` for the awaited workload."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaProducer

from benches.measure import (
    YIELD_EVERY,
    Job,
    LatencyLog,
    Outcome,
    Stopwatch,
    Tally,
    record_asyncio_ack,
    timed_concurrent_senders,
    timed_paced,
)
from benches.workloads import Mode


def run(job: Job) -> Outcome:
    return asyncio.run(_run(job))


async def _run(job: Job) -> Outcome:
    settings = job.workload.settings
    producer = AIOKafkaProducer(
        bootstrap_servers=job.bootstrap_servers,
        acks="all" if settings.acks == "all" else int(settings.acks),
        linger_ms=settings.linger_ms,
        max_batch_size=settings.batch_size,
        compression_type=None if settings.compression == "none" else settings.compression,
        enable_idempotence=settings.enable_idempotence,
    )
    await producer.start()
    try:
        for topic in job.topics:
            await producer.partitions_for(topic)
        mode = job.workload.mode
        if mode is Mode.LATENCY:
            return await _latency(producer, job)
        if mode is Mode.AWAITED:
            return await _awaited(producer, job)
        if job.workload.keyed:
            return await _keyed(producer, job)
        return await _fire_and_forget(producer, job)
    finally:
        await producer.stop()


async def _fire_and_forget(producer: AIOKafkaProducer, job: Job) -> Outcome:
    send = producer.send
    topic = job.topic
    clock = Stopwatch()
    clock.start()
    for index, value in enumerate(job.stream()):
        await send(topic, value)
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    await producer.flush()
    return Outcome(job.workload.records, clock.stop())


async def _keyed(producer: AIOKafkaProducer, job: Job) -> Outcome:
    # The fire-and-forget loop with a key and a topic per record (the scale workloads). Over
    # thousands of partitions aiokafka can need longer than the run's time limit: it stops
    # starting sends at its time budget, and the report says the run was cut short.
    send = producer.send
    tally = Tally()
    clock = Stopwatch()
    clock.start()
    deadline = clock.started + job.budget_s
    for index, (topic, key, value) in enumerate(job.keyed_stream()):
        if index % YIELD_EVERY == 0:
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0)
        await send(topic, value, key)
        tally.sent += 1
    await producer.flush()
    return tally.outcome(job, clock.stop())


async def _awaited(producer: AIOKafkaProducer, job: Job) -> Outcome:
    return await timed_concurrent_senders(job, producer.send_and_wait)


async def _latency(producer: AIOKafkaProducer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    topic = job.topic
    send = producer.send

    async def send_one(index: int, value: bytes) -> None:
        (await send(topic, value)).add_done_callback(
            lambda future: record_asyncio_ack(log, index, future)
        )

    return await timed_paced(log, job, send_one, producer.flush)
