"""What users write: no error expected anywhere in this file."""

import ssl

from ferrokafka import Producer, ProducerConfig, StringSerializer
from ferrokafka.aiokafka import AIOKafkaProducer
from ferrokafka.config import ProducerOptions
from ferrokafka.sync import Producer as SyncProducer


def partition(topic: str, key: object, key_bytes: bytes | None, value: object, n: int) -> int:
    return 0


producer = Producer(
    "b1:9092,b2:9092",
    acks="all",
    linger_ms=10,
    compression_type="zstd",
    key_serializer=StringSerializer(),
    value_serializer=lambda value: value.encode(),
    partitioner=partition,
    ssl_enabled_protocols="TLSv1.3",
    sasl_oauthbearer_extensions={"logicalCluster": "lkc-1"},
    ssl_context=ssl.create_default_context(),
    security_protocol="SSL",
)
Producer(["b1:9092"], acks=1, transactional_id=None)
config = ProducerConfig(bootstrap_servers="b:9092", linger_ms=10, acks="all")
Producer(config=config)
Producer(config=config.copy_with(linger_ms=20))
linger: int = config.linger_ms
acks: int = config.acks
options: ProducerOptions = {"linger_ms": 10, "acks": "all", "batch_size": 65536}
Producer("b:9092", **options)
SyncProducer("b:9092", linger_ms=0)
SyncProducer(config=config)
Producer.from_config({"bootstrap.servers": "b:9092", "linger.ms": "5"})
AIOKafkaProducer(bootstrap_servers="b:9092", linger_ms=5, delivery_timeout_ms=30000)
