"""Misspelt option names: every constructor refuses them under mypy."""

from ferrokafka import Producer, ProducerConfig
from ferrokafka.aiokafka import AIOKafkaProducer
from ferrokafka.sync import Producer as SyncProducer

Producer(lingr_ms=5)  # E: Unexpected keyword argument "lingr_ms" for "Producer"
Producer("b:9092", ack="all")  # E: Unexpected keyword argument "ack" for "Producer"
ProducerConfig(lingr_ms=5)  # E: Unexpected keyword argument "lingr_ms" for "ProducerConfig"
SyncProducer(batchsize=10)  # E: Unexpected keyword argument "batchsize" for "Producer"
AIOKafkaProducer(delivery_timeout=5)  # E: Unexpected keyword argument "delivery_timeout" for
ProducerConfig(bootstrap_servers="b:9092").copy_with(lingr_ms=5)  # E: Unexpected keyword argument
