"""Values of the wrong type, or outside a closed set of choices."""

from ferrokafka import Producer, ProducerConfig
from ferrokafka.aiokafka import AIOKafkaProducer
from ferrokafka.sync import Producer as SyncProducer

# Each mark is the start of mypy's message, up to the expected type.
Producer(linger_ms="5")  # E: "linger_ms" to "Producer" has incompatible type "str"; expected "int"
Producer(acks="most")  # E: "acks" to "Producer" has incompatible type "Literal['most']"
Producer(compression_type="brotli")  # E: "compression_type" to "Producer" has incompatible type
Producer(enable_idempotence="yes")  # E: "enable_idempotence" to "Producer" has incompatible type
Producer(bootstrap_servers=9092)  # E: "bootstrap_servers" to "Producer" has incompatible type "int"
ProducerConfig(linger_ms="5")  # E: "linger_ms" to "ProducerConfig" has incompatible type "str"
SyncProducer(max_block_ms=1.5)  # E: "max_block_ms" to "Producer" has incompatible type "float"
Producer(config={"linger_ms": 5})  # E: "config" to "Producer" has incompatible type "dict
AIOKafkaProducer(max_block_ms="5")  # E: "max_block_ms" to "AIOKafkaProducer" has incompatible
