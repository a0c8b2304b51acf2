"""Kafka in Docker through testcontainers, for machines that have Docker.

Optional: needs the `docker` extra (`pip install 'ferrokafka[docker]'`) and a Docker daemon.
Nothing else in `ferrokafka.testing` imports this module; the default path runs Kafka from Maven
Central jars and needs only Java.

```python
from ferrokafka.testing.containers import docker_kafka

with docker_kafka() as kafka:          # an ExternalCluster
    kafka.create_topic("orders", partitions=3)
```
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from ferrokafka.testing._errors import KafkaHarnessError
from ferrokafka.testing._external import ExternalCluster

# testcontainers' KafkaContainer drives Confluent's images; 7.9 ships Apache Kafka 3.9 in KRaft.
DEFAULT_IMAGE = "confluentinc/cp-kafka:7.9.0"


@contextlib.contextmanager
def docker_kafka(
    image: str = DEFAULT_IMAGE, *, kraft: bool = True, start_timeout: float = 120.0
) -> Iterator[ExternalCluster]:
    """Start a one-node Kafka container, yield it as an `ExternalCluster`, remove it after."""
    try:
        module = importlib.import_module("testcontainers.kafka")
    except ImportError as exc:
        raise KafkaHarnessError(
            "docker_kafka() needs testcontainers: pip install 'ferrokafka[docker]' "
            "(or run Kafka from Maven jars with ferrokafka.testing.KafkaCluster)"
        ) from exc
    container: Any = module.KafkaContainer(image)
    if kraft:
        container = container.with_kraft()
    container.start(timeout=start_timeout)
    try:
        cluster = ExternalCluster(str(container.get_bootstrap_server()))
        cluster.start(timeout=start_timeout)
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        container.stop()
