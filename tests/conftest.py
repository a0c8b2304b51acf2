"""Test-suite setup shared by every test directory.

The real-Kafka fixtures (`kafka`, `kafka3`, `topic`) come from `ferrokafka.testing.pytest_plugin`.
An installed ferrokafka (`maturin develop`, `pip install`) registers that plugin through its
`pytest11` entry point; a source tree used through PYTHONPATH has no entry point, so the plugin
is registered here instead, unless it was disabled with `-p no:ferrokafka`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferrokafka.testing import KafkaCluster, KafkaHarnessError, KafkaJava, kafka_java, kafka_version

_PLUGIN = "ferrokafka.testing.pytest_plugin"


def pytest_configure(config: pytest.Config) -> None:
    manager = config.pluginmanager
    if manager.has_plugin("ferrokafka") or manager.has_plugin(_PLUGIN):
        return
    if manager.is_blocked("ferrokafka"):
        return
    manager.import_plugin(_PLUGIN)


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


@pytest.fixture(scope="session")
def kafka_java_runtime() -> KafkaJava:
    """The jars of the configured Kafka release (`FERROKAFKA_KAFKA_VERSION`), in the harness's
    cache (`FERROKAFKA_CACHE`, `XDG_CACHE_HOME`), fetched as `python -m ferrokafka.testing fetch`
    fetches them. A test using it fails, never skips, when Java or the jars cannot be had: a
    skipped oracle would pass CI silently."""
    try:
        return kafka_java()
    except (KafkaHarnessError, ValueError) as exc:  # ValueError: a malformed version
        pytest.fail(
            f"this test runs Kafka {kafka_version()}'s Java classes and cannot: {exc}\n"
            "fetch the jars with `make kafka-jars` (python -m ferrokafka.testing fetch)",
            pytrace=False,
        )
