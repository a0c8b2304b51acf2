"""confluent-kafka's `aio.AIOProducer`: librdkafka behind asyncio, with its own defaults (it
gathers 1,000 records, or waits up to 1 s, before handing them to librdkafka in a thread)."""

from __future__ import annotations

import asyncio

from confluent_kafka.aio import AIOProducer

from benches.client_confluent import config
from benches.measure import (
    YIELD_EVERY,
    Job,
    LatencyLog,
    Outcome,
    Stopwatch,
    record_asyncio_ack,
    timed_concurrent_senders,
    timed_paced,
)
from benches.workloads import Mode


def run(job: Job) -> Outcome:
    return asyncio.run(_run(job))


async def _run(job: Job) -> Outcome:
    producer = AIOProducer(config(job))
    try:
        await producer.list_topics(job.topic, timeout=30)
        mode = job.workload.mode
        if mode is Mode.LATENCY:
            return await _latency(producer, job)
        if mode is Mode.AWAITED:
            return await _awaited(producer, job)
        return await _fire_and_forget(producer, job)
    finally:
        await producer.close()


async def _fire_and_forget(producer: AIOProducer, job: Job) -> Outcome:
    produce = producer.produce
    topic = job.topic
    clock = Stopwatch()
    clock.start()
    for index, value in enumerate(job.stream()):
        # The future is dropped, as fire-and-forget does; lost records show in the topic's
        # offsets, which the harness checks after every run.
        await produce(topic, value)
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    await producer.flush()
    elapsed = clock.stop()
    return Outcome(job.workload.records, elapsed)


async def _awaited(producer: AIOProducer, job: Job) -> Outcome:
    return await timed_concurrent_senders(job, producer.produce, awaited_twice=True)


async def _latency(producer: AIOProducer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    topic = job.topic
    produce = producer.produce

    async def send_one(index: int, value: bytes) -> None:
        (await produce(topic, value)).add_done_callback(
            lambda future: record_asyncio_ack(log, index, future)
        )

    return await timed_paced(log, job, send_one, producer.flush)
