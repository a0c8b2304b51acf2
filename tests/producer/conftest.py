"""Fixtures of the producer's end-to-end tests (real broker, independent consumer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from producer_helpers import BACKENDS

from ferrokafka.testing import KafkaCluster


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The async library a test's coroutine runs under (`run(backend, main)`)."""
    return str(request.param)


@pytest.fixture(scope="session")
def kafka_no_autocreate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A one-node cluster with ``auto.create.topics.enable=false``, for tests that need a topic
    that does not exist: the producer's Metadata requests allow auto-creation, as Java's do, so
    on `kafka` (auto-creation on, Kafka's default) a missing topic would be created."""
    cluster = KafkaCluster(
        1,
        broker_properties={"auto.create.topics.enable": "false"},
        workdir=tmp_path_factory.mktemp("kafka-no-autocreate", numbered=True),
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
