"""Which kind of broker the fixtures start: Apache Kafka (the default) or tansu.

`FERROKAFKA_BROKER=tansu` makes the one-node fixtures, and `single_node_cluster()`, start a
tansu broker instead of a Kafka node, so the same tests run against both; the Kafka release is
chosen with `FERROKAFKA_KAFKA_VERSION`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from ferrokafka.testing._client import BaseCluster
from ferrokafka.testing._cluster import KafkaCluster
from ferrokafka.testing._errors import KafkaHarnessError
from ferrokafka.testing._tansu import TansuCluster

BROKER_ENV = "FERROKAFKA_BROKER"
BrokerKind = Literal["kafka", "tansu"]
_KINDS: tuple[BrokerKind, ...] = ("kafka", "tansu")


def broker_kind() -> BrokerKind:
    """`$FERROKAFKA_BROKER`, else `kafka`."""
    chosen = os.environ.get(BROKER_ENV, "").strip().lower() or "kafka"
    for kind in _KINDS:
        if chosen == kind:
            return kind
    raise KafkaHarnessError(f"{BROKER_ENV}={chosen!r} is not one of {', '.join(_KINDS)}")


def single_node_cluster(workdir: Path | None = None) -> BaseCluster:
    """A one-broker cluster of the chosen kind, not started yet."""
    if broker_kind() == "tansu":
        return TansuCluster(workdir=workdir)
    return KafkaCluster(1, workdir=workdir)


def require_kafka(nodes: int) -> None:
    """Refuse a cluster of several brokers when the chosen kind runs only one."""
    if nodes > 1 and broker_kind() != "kafka":
        raise KafkaHarnessError(
            f"this test needs {nodes} brokers; {BROKER_ENV}={broker_kind()} runs a single "
            "broker (run it with Apache Kafka: unset the variable)"
        )
