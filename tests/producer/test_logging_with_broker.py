"""What a producer logs: every record under the ``ferrokafka`` tree with the producer's client
id, repeated reconnect / retry / missing-metadata messages held back, and the documented levels.

The broker-restart test stops and starts its broker, so it uses a cluster of its own.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from ferrokafka import KafkaTimeoutError, Producer, _logging
from ferrokafka._logging import ClientLog, client_log
from ferrokafka.testing import BaseCluster, KafkaCluster

# The harness (ferrokafka.testing) logs under the tree too, but it is no producer.
HARNESS = "ferrokafka.testing"
TREE = {
    _logging.PRODUCER,
    _logging.SENDER,
    _logging.CONNECTION,
    _logging.METADATA,
    _logging.SASL,
    _logging.TRANSACTIONS,
    _logging.CONFIG,
    _logging.SYNC,
}


@pytest.fixture(scope="module")
def restartable_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(1, workdir=tmp_path_factory.mktemp("kafka-logging", numbered=True))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def producer_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("ferrokafka") and HARNESS not in r.name]


def test_a_broker_restart_logs_with_the_client_id_few_lines_and_the_documented_levels(
    restartable_kafka: KafkaCluster,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interval_s = 2.0
    monkeypatch.setattr(_logging, "REPEAT_INTERVAL_S", interval_s)
    caplog.set_level(logging.DEBUG, logger="ferrokafka")
    cluster = restartable_kafka
    (node,) = cluster.nodes
    name = cluster.create_topic(f"logging-{time.time_ns()}", partitions=2)
    client_id = "orders-%service"  # a "%" must not break the message's formatting

    async def main() -> tuple[int, float]:
        async with Producer(
            bootstrap_servers=cluster.bootstrap_servers,
            client_id=client_id,
            linger_ms=5,
            # A reconnect storm: an attempt every 20-100 ms while the broker is away.
            reconnect_backoff_ms=20,
            reconnect_backoff_max_ms=100,
            retry_backoff_ms=20,
            retry_backoff_max_ms=100,
            request_timeout_ms=3_000,
            delivery_timeout_ms=120_000,
        ) as producer:
            await producer.send(name, b"before")
            started = time.monotonic()
            await anyio.to_thread.run_sync(node.stop)
            futures = [producer.send_nowait(name, b"during-%d" % i) for i in range(200)]
            # Let the storm run for a while before the broker comes back.
            await anyio.sleep(4)
            await anyio.to_thread.run_sync(node.start)
            down_s = time.monotonic() - started
            for future in futures:
                await future
            return len(futures) + 1, down_s

    sent, down_s = anyio.run(main)
    assert len(cluster.consume(name, sent)) == sent

    records = producer_records(caplog)
    assert records
    # The client id on every record: as an attribute, and in the message (Java's prefix).
    for record in records:
        assert record.name in TREE, record.name
        assert getattr(record, "client_id", None) == client_id, record.getMessage()
        assert record.getMessage().startswith(f"[Producer clientId={client_id}] ")

    # A bounded number of reconnect warnings per broker, however many attempts failed.
    connect_warnings = Counter(
        re.search(r"cannot connect to (broker \d+|the bootstrap servers)", r.getMessage())[1]  # type: ignore[index]
        for r in records
        if "cannot connect to" in r.getMessage()
    )
    assert connect_warnings, [r.getMessage() for r in records]
    for where, count in connect_warnings.items():
        assert count <= down_s / interval_s + 2, (where, count, down_s)
    recovered = [r for r in records if "again after" in r.getMessage()]
    assert recovered, [r.getMessage() for r in records]
    attempts = max(int(re.search(r"after (\d+) failed", r.getMessage())[1]) for r in recovered)  # type: ignore[index]
    # The storm was larger than what was logged of it, and what was held back was counted.
    assert attempts > max(connect_warnings.values())
    assert any(
        "similar message" in r.getMessage() or "not logged" in r.getMessage() for r in records
    )

    # The levels of docs/observability.md.
    for record in records:
        message = record.getMessage()
        if "cannot connect to" in message or "retrying a batch" in message:
            assert record.levelno == logging.WARNING, message
        if "again after" in message or "producer started" in message:
            assert record.levelno == logging.INFO, message
        if "connected to" in message and "again" not in message:
            assert record.levelno == logging.DEBUG, message
    assert not [r for r in records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in records if r.levelno >= logging.ERROR
    ]


def test_a_missing_topic_is_reported_a_bounded_number_of_times(
    kafka_no_autocreate: BaseCluster,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interval_s = 1.0
    max_block_ms = 4_000
    monkeypatch.setattr(_logging, "REPEAT_INTERVAL_S", interval_s)
    caplog.set_level(logging.DEBUG, logger="ferrokafka")

    async def main() -> None:
        async with Producer(
            bootstrap_servers=kafka_no_autocreate.bootstrap_servers,
            client_id="missing-topic-client",
            max_block_ms=max_block_ms,
            # A refresh every 10-50 ms while the topic is missing.
            retry_backoff_ms=10,
            retry_backoff_max_ms=50,
        ) as producer:
            with pytest.raises(KafkaTimeoutError):
                await producer.send("no-such-topic", b"x")

    anyio.run(main)
    missing = [r for r in producer_records(caplog) if "no metadata for topic" in r.getMessage()]
    assert missing
    assert all(r.levelno == logging.WARNING and r.name == _logging.METADATA for r in missing)
    assert all(r.client_id == "missing-topic-client" for r in missing)  # type: ignore[attr-defined]
    assert "UNKNOWN_TOPIC_OR_PARTITION" in missing[0].getMessage()
    assert len(missing) <= max_block_ms / 1000 / interval_s + 2


def test_repeated_messages_are_held_back_and_counted(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr(_logging, "_clock", lambda: clock[0])
    caplog.set_level(logging.INFO, logger="ferrokafka")
    log = ClientLog(_logging.CONNECTION, "billing")
    for _ in range(50):
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to broker %d", 1)
        log.repeated(("connect", 2), logging.WARNING, "cannot connect to broker %d", 2)
    clock[0] += _logging.REPEAT_INTERVAL_S
    log.repeated(("connect", 1), logging.WARNING, "cannot connect to broker %d", 1)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "[Producer clientId=billing] cannot connect to broker 1",
        "[Producer clientId=billing] cannot connect to broker 2",
        "[Producer clientId=billing] cannot connect to broker 1 (49 similar messages suppressed)",
    ]
    # The record names the call site (a formatter's %(filename)s), not the logging module.
    assert {r.filename for r in caplog.records} == {Path(__file__).name}
    assert log.settled(("connect", 2)) == 49
    assert log.settled(("connect", 2)) == 0
    # Below the logger's level nothing is counted either.
    caplog.set_level(logging.ERROR, logger="ferrokafka")
    log.repeated(("connect", 3), logging.WARNING, "quiet")
    assert log.settled(("connect", 3)) == 0


def test_the_client_id_is_readable_by_formatters_and_filters() -> None:
    log = client_log(_logging.SENDER, "checkout")
    assert client_log(_logging.SENDER, "checkout") is log  # one per (logger, client)

    class Json(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps(
                {"logger": record.name, "client_id": record.client_id, "msg": record.getMessage()}  # type: ignore[attr-defined]
            )

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(Json())
    # What a user filters on: one service's producer, whatever the logger.
    handler.addFilter(lambda record: getattr(record, "client_id", None) == "checkout")
    logger = logging.getLogger(_logging.ROOT)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        log.warning("retrying a batch of %s-%d", "orders", 3)
        client_log(_logging.SENDER, "other").warning("not this one")
        log.info("with extra", extra={"topic": "orders"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert [json.loads(line) for line in lines] == [
        {
            "logger": "ferrokafka.sender",
            "client_id": "checkout",
            "msg": "[Producer clientId=checkout] retrying a batch of orders-3",
        },
        {
            "logger": "ferrokafka.sender",
            "client_id": "checkout",
            "msg": "[Producer clientId=checkout] with extra",
        },
    ]
