"""Broker throttling (KIP-219): a broker over a client's quota answers at once with
``throttle_time_ms`` and mutes the connection; the producer sends nothing more to it until that
time has passed, and reports the throttle times as Java's ``produce-throttle-time-*``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from producer_helpers import by_value, options

from ferrokafka import Producer
from ferrokafka._connection import BrokerConnection
from ferrokafka._requests import ApiKey, Request
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

BYTE_RATE = 20_000
RECORDS = 200
RECORD_SIZE = 1000


def set_quota(kafka: BaseCluster, client_id: str, config: str) -> None:
    result = kafka.run_tool(
        "kafka.admin.ConfigCommand",
        [
            "--bootstrap-server", kafka.bootstrap_servers,
            "--alter", "--entity-type", "clients", "--entity-name", client_id,
            "--add-config", config,
        ],
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def test_throttled_broker_gets_nothing_until_the_time_passes(
    kafka: BaseCluster, topic: TopicFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = topic()
    client_id = f"throttled-{uuid.uuid4().hex[:8]}"
    set_quota(kafka, client_id, f"producer_byte_rate={BYTE_RATE}")
    # Every Produce request written: when, and until when its connection was throttled then.
    submits: list[tuple[float, float]] = []
    real_submit = BrokerConnection.submit

    def recording(
        self: BrokerConnection,
        request: Request[Any],
        on_done: Callable[..., None],
        **kwargs: Any,
    ) -> None:
        if request.api_key == ApiKey.PRODUCE:
            submits.append((time.monotonic(), self.throttled_until))
        real_submit(self, request, on_done, **kwargs)

    monkeypatch.setattr(BrokerConnection, "submit", recording)

    async def main() -> dict[str, float]:
        async with Producer(
            **options(kafka, client_id=client_id, linger_ms=20, batch_size=16384)
        ) as producer:
            # The quota reaches the broker through the metadata log: wait until it bites.
            with anyio.fail_after(30):
                warm = 0
                # NaN (no response in the window yet) or 0 (not throttled yet).
                while not producer.metrics()["produce-throttle-time-max"] > 0:
                    await producer.send(name, b"warm-%06d" % warm + b"." * RECORD_SIZE)
                    warm += 1
            futures = [
                producer.send_nowait(name, b"%06d" % i + b"." * (RECORD_SIZE - 6))
                for i in range(RECORDS)
            ]
            await producer.flush(timeout=60)
            assert all(f.exception() is None for f in futures)
            return producer.metrics()

    metrics = anyio.run(main)
    print(
        f"produce-throttle-time-avg {metrics['produce-throttle-time-avg']:.0f} ms, "
        f"-max {metrics['produce-throttle-time-max']:.0f} ms over {len(submits)} requests"
    )
    assert metrics["produce-throttle-time-max"] > 0
    assert metrics["produce-throttle-time-avg"] > 0
    throttled = [(at, until) for at, until in submits if until > 0]
    assert throttled, "no request followed a throttled response"
    # Not one Produce request went out while its connection was throttled.
    assert all(at >= until for at, until in submits), [
        (round(until - at, 3)) for at, until in submits if at < until
    ]
    consumed = by_value(kafka.consume(name, timeout=60))
    assert all(b"%06d" % i + b"." * (RECORD_SIZE - 6) in consumed for i in range(RECORDS))
