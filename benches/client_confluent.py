"""confluent-kafka's `Producer` (librdkafka), used as its documentation shows: `produce()` then
`poll(0)` for every record, `poll()` to wait when the queue is full, `flush()` at the end."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from benches.measure import (
    BUDGET_CHECK_EVERY,
    Job,
    LatencyLog,
    Outcome,
    Stopwatch,
    Tally,
    paced_sync,
)
from benches.workloads import Mode, Settings

# How long `poll()` may wait for a delivery report when librdkafka's queue is full; it returns
# as soon as one arrives.
FULL_POLL_S = 0.1


def config(job: Job) -> dict[str, Any]:
    return librdkafka_config(job.bootstrap_servers, job.workload.settings)


def librdkafka_config(bootstrap_servers: str, settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap_servers,
        "acks": settings.acks,
        "linger.ms": settings.linger_ms,
        "batch.size": settings.batch_size,
        "compression.type": settings.compression,
        "enable.idempotence": settings.enable_idempotence,
    }


def run(job: Job) -> Outcome:
    producer = Producer(config(job))
    for topic in job.topics:
        producer.list_topics(topic, timeout=30)
    mode = job.workload.mode
    if mode is Mode.LATENCY:
        outcome = _latency(producer, job)
    elif mode is Mode.AWAITED:
        outcome = _awaited(producer, job)
    elif job.workload.keyed:
        outcome = _keyed(producer, job)
    else:
        outcome = _fire_and_forget(producer, job)
    left = producer.flush(30)
    if left:
        raise RuntimeError(f"{left} records still queued 30 s after the run")
    return outcome


def _fire_and_forget(producer: Producer, job: Job) -> Outcome:
    produce = producer.produce
    poll = producer.poll
    topic = job.topic
    full_waits = 0
    clock = Stopwatch()
    clock.start()
    for value in job.stream():
        while True:
            try:
                produce(topic, value)
                break
            except BufferError:
                full_waits += 1
                poll(FULL_POLL_S)
        poll(0)
    producer.flush()
    return Outcome(job.workload.records, clock.stop(), extra={"buffer_full_waits": full_waits})


def _keyed(producer: Producer, job: Job) -> Outcome:
    # The fire-and-forget loop with a key and a topic per record (the scale workloads).
    produce = producer.produce
    poll = producer.poll
    full_waits = 0
    clock = Stopwatch()
    clock.start()
    for topic, key, value in job.keyed_stream():
        while True:
            try:
                produce(topic, value, key)
                break
            except BufferError:
                full_waits += 1
                poll(FULL_POLL_S)
        poll(0)
    producer.flush()
    return Outcome(job.workload.records, clock.stop(), extra={"buffer_full_waits": full_waits})


def _awaited(producer: Producer, job: Job) -> Outcome:
    # A threaded client has no tasks to await with: a window of `concurrency` outstanding
    # records, each acknowledgement letting the next one go, is the same closed loop.
    produce = producer.produce
    poll = producer.poll
    topic = job.topic
    window = job.workload.concurrency
    outstanding = 0
    tally = Tally()

    def delivered(error: KafkaError | None, _message: Message) -> None:
        nonlocal outstanding
        outstanding -= 1
        if error is not None:
            tally.errors += 1

    clock = Stopwatch()
    clock.start()
    deadline = clock.started + job.budget_s
    for value in job.stream():
        if tally.sent % BUDGET_CHECK_EVERY == 0 and time.perf_counter() > deadline:
            break
        while outstanding >= window:
            poll(1.0)
        produce(topic, value, on_delivery=delivered)
        tally.sent += 1
        outstanding += 1
        poll(0)
    producer.flush()
    return tally.outcome(job, clock.stop())


def _latency(producer: Producer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    produce = producer.produce
    poll = producer.poll
    topic = job.topic

    def send(index: int, value: bytes) -> None:
        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is None:
                log.ack(index)
            else:
                log.fail(index)

        produce(topic, value, on_delivery=delivered)
        poll(0)

    clock = Stopwatch()
    clock.start()
    paced_sync(log, job.values, send, poll)
    producer.flush()
    elapsed = clock.stop()
    return Outcome(log.acknowledged(), elapsed, errors=log.failed, latency=log.summary())
