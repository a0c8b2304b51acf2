"""A real Apache Kafka for tests: KRaft clusters started from Maven Central jars on 127.0.0.1.

```python
from ferrokafka.testing import KafkaCluster

with KafkaCluster() as kafka:                       # one node; KafkaCluster(nodes=3) for three
    kafka.create_topic("orders", partitions=3)
    ...                                             # produce to kafka.bootstrap_servers
    records = kafka.consume("orders", count=10)     # all of it, with confluent-kafka: exactly 10
```

The pytest plugin (`ferrokafka.testing.pytest_plugin`, registered automatically) offers the
fixtures `kafka`, `kafka3`, `kafka_secured` (a `SecuredKafkaCluster`: TLS, mutual TLS and SASL
listeners, certificates made per run) and `topic`; `python -m ferrokafka.testing up` starts a
cluster in a terminal. The Kafka release is pinned in `KAFKA_VERSION`; `FERROKAFKA_KAFKA_VERSION`
overrides it.
`KAFKA_BOOTSTRAP_SERVERS` makes the fixtures use an existing cluster instead (`ExternalCluster`),
and `FERROKAFKA_BROKER=tansu` a tansu broker (`TansuCluster`, a Kafka-compatible broker in Rust).
"""

from ferrokafka.testing._broker_node import BrokerNode
from ferrokafka.testing._certificates import Certificates, generate_certificates
from ferrokafka.testing._client import BaseCluster, PartitionLayout, TopicLayout
from ferrokafka.testing._cluster import KafkaCluster, default_broker_properties
from ferrokafka.testing._distribution import (
    KAFKA_VERSION,
    KafkaDistribution,
    KafkaJava,
    distribution,
    kafka_java,
    kafka_version,
)
from ferrokafka.testing._errors import (
    ConsumeTimeoutError,
    KafkaFetchError,
    KafkaHarnessError,
    KafkaStartError,
    KafkaToolError,
    NodeControlError,
    UnexpectedRecordsError,
)
from ferrokafka.testing._external import ExternalCluster
from ferrokafka.testing._node import KafkaNode
from ferrokafka.testing._read_back import ConsumedRecord, TimestampType
from ferrokafka.testing._secured import SecuredKafkaCluster, unsecured_jws
from ferrokafka.testing._tansu import TansuCluster, TansuNode
from ferrokafka.testing._tansu_fetch import TANSU_VERSION, fetch_tansu
from ferrokafka.testing._targets import BROKER_ENV, broker_kind, single_node_cluster

__all__ = [
    "BROKER_ENV",
    "KAFKA_VERSION",
    "TANSU_VERSION",
    "BaseCluster",
    "BrokerNode",
    "Certificates",
    "ConsumeTimeoutError",
    "ConsumedRecord",
    "ExternalCluster",
    "KafkaCluster",
    "KafkaDistribution",
    "KafkaFetchError",
    "KafkaHarnessError",
    "KafkaJava",
    "KafkaNode",
    "KafkaStartError",
    "KafkaToolError",
    "NodeControlError",
    "PartitionLayout",
    "SecuredKafkaCluster",
    "TansuCluster",
    "TansuNode",
    "TimestampType",
    "TopicLayout",
    "UnexpectedRecordsError",
    "broker_kind",
    "default_broker_properties",
    "distribution",
    "fetch_tansu",
    "generate_certificates",
    "kafka_java",
    "kafka_version",
    "single_node_cluster",
    "unsecured_jws",
]
