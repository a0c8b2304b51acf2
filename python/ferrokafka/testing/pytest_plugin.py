"""pytest fixtures for a real Kafka (registered as the `ferrokafka` pytest plugin).

- `kafka`: a one-node KRaft cluster for the whole session (a tansu broker with
  `FERROKAFKA_BROKER=tansu`), or the cluster named by `KAFKA_BOOTSTRAP_SERVERS`.
- `kafka3`: a three-node cluster for the session, started only if a test asks for it (tests
  using it are marked `three_nodes`).
- `kafka_secured`: a one-node `SecuredKafkaCluster` for the session, started only if a test
  asks for it (tests using it are marked `secured`): SSL, MTLS, SASL_PLAINTEXT and SASL_SSL
  listeners beside PLAINTEXT, plus WRONG_HOST and EXPIRED ones whose certificates fail, with
  fresh certificates (`kafka_secured.certificates`), users (`kafka_secured.users`) and
  `producer_config(listener)` / `client_config(listener)` for ferrokafka and librdkafka.
  `topic(cluster=kafka_secured)` creates topics on it.
- `topic`: a factory, `topic(partitions=1, replication_factor=1, config=None, *, cluster=None)`,
  that creates a topic with a unique name on `kafka` (or on `cluster`) and returns the name.

A cluster that fails to start makes the tests that use it error (never skip), with the broker's
log path and last lines in the report. Logs live under pytest's temporary directory, which
pytest keeps for the last three runs.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

import pytest

from ferrokafka.testing._client import BaseCluster
from ferrokafka.testing._cluster import KafkaCluster
from ferrokafka.testing._distribution import VERSION_ENV, distribution
from ferrokafka.testing._errors import KafkaHarnessError
from ferrokafka.testing._external import BOOTSTRAP_ENV, ExternalCluster
from ferrokafka.testing._secured import SecuredKafkaCluster
from ferrokafka.testing._tansu_fetch import TANSU_VERSION, tansu_home
from ferrokafka.testing._targets import BROKER_ENV, broker_kind, require_kafka, single_node_cluster

# The plugin is active in every pytest run of an environment where ferrokafka is installed, so
# importing it must stay cheap and never fail: confluent-kafka loads when a fixture is used.


class TopicFactory(Protocol):
    def __call__(
        self,
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        *,
        cluster: BaseCluster | None = None,
    ) -> str: ...


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "three_nodes: needs the three-node Kafka cluster")
    config.addinivalue_line("markers", "secured: needs the secured (TLS/SASL) Kafka cluster")


def pytest_report_header(config: pytest.Config) -> list[str]:
    external = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if external:
        return [f"kafka: existing cluster at {external} (from {BOOTSTRAP_ENV})"]
    try:
        if broker_kind() == "tansu":
            return [f"broker: tansu {TANSU_VERSION} (from {BROKER_ENV}; binary in {tansu_home()})"]
    except KafkaHarnessError as exc:
        return [f"broker: {exc}"]
    try:
        dist = distribution()
    except ValueError as exc:
        return [f"kafka: {exc} (from {VERSION_ENV})"]
    cached = "" if dist.is_fetched() else ", not fetched yet"
    logs = _log_root(config)
    where = f"{logs}/kafka-*/node-*/kafka.log" if logs is not None else "pytest's tmp directory"
    return [f"kafka: {dist.version} (jars in {dist.libs}{cached}); broker logs: {where}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "kafka3" in getattr(item, "fixturenames", ()):
            item.add_marker("three_nodes")
        if "kafka_secured" in getattr(item, "fixturenames", ()):
            item.add_marker("secured")


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseCluster]:
    """A one-node Kafka for the session (or the cluster named by KAFKA_BOOTSTRAP_SERVERS)."""
    yield from _session_cluster(1, tmp_path_factory)


@pytest.fixture(scope="session")
def kafka3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseCluster]:
    """A three-node Kafka for the session, for replication and failover tests."""
    yield from _session_cluster(3, tmp_path_factory)


@pytest.fixture(scope="session")
def kafka_secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafkaCluster]:
    """A one-node Kafka with TLS, mutual-TLS and SASL listeners for the session.

    Always started here (KAFKA_BOOTSTRAP_SERVERS does not apply: the tests need its
    certificates and users).
    """
    cluster = SecuredKafkaCluster(workdir=tmp_path_factory.mktemp("kafka-secured", numbered=True))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> TopicFactory:
    """Create topics with unique names: `name = topic(partitions=3)`."""
    stem = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name).strip("-.")[:80] or "topic"

    def new_topic(
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        *,
        cluster: BaseCluster | None = None,
    ) -> str:
        target: BaseCluster = cluster if cluster is not None else request.getfixturevalue("kafka")
        name = f"{stem}-{uuid.uuid4().hex[:8]}"
        return target.create_topic(name, partitions, replication_factor, config)

    return new_topic


def _session_cluster(nodes: int, factory: pytest.TempPathFactory) -> Iterator[BaseCluster]:
    cluster: BaseCluster
    if os.environ.get(BOOTSTRAP_ENV, "").strip():
        external = ExternalCluster()
        external.start()
        if nodes > 1:
            brokers = external.wait_for_brokers_at_least(1)
            if len(brokers) < nodes:
                raise KafkaHarnessError(
                    f"this test needs {nodes} brokers; the cluster in {BOOTSTRAP_ENV} has "
                    f"{len(brokers)}"
                )
        cluster = external
    else:
        require_kafka(nodes)
        workdir = factory.mktemp(f"kafka-{nodes}node", numbered=True)
        cluster = (
            single_node_cluster(workdir) if nodes == 1 else KafkaCluster(nodes, workdir=workdir)
        )
        cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _log_root(config: pytest.Config) -> Path | None:
    # pytest creates its base temporary directory lazily; asking for it here only moves that
    # earlier. The attribute is pytest's own plumbing for the tmp_path_factory fixture.
    factory = getattr(config, "_tmp_path_factory", None)
    if not isinstance(factory, pytest.TempPathFactory):
        return None
    return factory.getbasetemp()
