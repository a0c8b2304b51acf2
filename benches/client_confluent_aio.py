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
    concurrent_senders,
    paced_async,
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
    topic = job.topic
    produce = producer.produce

    async def send_one(value: bytes) -> object:
        return await (await produce(topic, value))

    clock = Stopwatch()
    clock.start()
    tally = await concurrent_senders(job, send_one)
    return tally.outcome(job, clock.stop())


async def _latency(producer: AIOProducer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    topic = job.topic
    produce = producer.produce

    def done(index: int, future: asyncio.Future[object]) -> None:
        if not future.cancelled() and future.exception() is None:
            log.ack(index)
        else:
            log.fail(index)

    async def send_one(index: int, value: bytes) -> None:
        (await produce(topic, value)).add_done_callback(lambda future: done(index, future))

    clock = Stopwatch()
    clock.start()
    await paced_async(log, job.values, send_one)
    await producer.flush()
    elapsed = clock.stop()
    await asyncio.sleep(0)
    return Outcome(log.acknowledged(), elapsed, errors=log.failed, latency=log.summary())
