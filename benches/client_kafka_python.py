"""kafka-python's `KafkaProducer`: `send()` queues (blocking when the buffer is full) and a
background thread sends; futures take callbacks, which run on that thread."""

from __future__ import annotations

import threading
import time

from kafka import KafkaProducer

from benches.measure import (
    BUDGET_CHECK_EVERY,
    Job,
    LatencyLog,
    Outcome,
    Stopwatch,
    Tally,
    paced_sync,
)
from benches.workloads import Mode


def run(job: Job) -> Outcome:
    settings = job.workload.settings
    producer = KafkaProducer(
        bootstrap_servers=job.bootstrap_servers,
        acks="all" if settings.acks == "all" else int(settings.acks),
        linger_ms=settings.linger_ms,
        batch_size=settings.batch_size,
        compression_type=None if settings.compression == "none" else settings.compression,
        enable_idempotence=settings.enable_idempotence,
    )
    try:
        producer.partitions_for(job.topic)
        mode = job.workload.mode
        if mode is Mode.LATENCY:
            return _latency(producer, job)
        if mode is Mode.AWAITED:
            return _awaited(producer, job)
        return _fire_and_forget(producer, job)
    finally:
        producer.close(timeout=30)


def _fire_and_forget(producer: KafkaProducer, job: Job) -> Outcome:
    send = producer.send
    topic = job.topic
    clock = Stopwatch()
    clock.start()
    for value in job.stream():
        send(topic, value)
    producer.flush()
    return Outcome(job.workload.records, clock.stop())


def _awaited(producer: KafkaProducer, job: Job) -> Outcome:
    # As for confluent-kafka's Producer: a window of `concurrency` outstanding records.
    send = producer.send
    topic = job.topic
    window = threading.BoundedSemaphore(job.workload.concurrency)
    tally = Tally()
    lock = threading.Lock()

    def delivered(_metadata: object) -> None:
        window.release()

    def failed(_error: Exception) -> None:
        with lock:
            tally.errors += 1
        window.release()

    clock = Stopwatch()
    clock.start()
    deadline = clock.started + job.budget_s
    for value in job.stream():
        if tally.sent % BUDGET_CHECK_EVERY == 0 and time.perf_counter() > deadline:
            break
        window.acquire()
        tally.sent += 1
        send(topic, value).add_callback(delivered).add_errback(failed)
    producer.flush()
    return tally.outcome(job, clock.stop())


def _latency(producer: KafkaProducer, job: Job) -> Outcome:
    log = LatencyLog(job.workload)
    send = producer.send
    topic = job.topic

    def send_one(index: int, value: bytes) -> None:
        future = send(topic, value)
        future.add_callback(lambda _metadata: log.ack(index))
        future.add_errback(lambda _error: log.fail(index))

    clock = Stopwatch()
    clock.start()
    paced_sync(log, job.values, send_one, time.sleep)
    producer.flush()
    elapsed = clock.stop()
    return Outcome(log.acknowledged(), elapsed, errors=log.failed, latency=log.summary())
