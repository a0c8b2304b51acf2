"""`AIOKafkaProducer` with aiokafka's constructor and methods, on ferrokafka.

Migrating is one import::

    from ferrokafka.aiokafka import AIOKafkaProducer   # was: from aiokafka import ...

    producer = AIOKafkaProducer(bootstrap_servers="localhost:9092", value_serializer=json_dumps)
    await producer.start()
    future = await producer.send("orders", {"id": 1})   # enqueued
    metadata = await future                             # acknowledged
    await producer.stop()

Defaults are aiokafka's, not ferrokafka's (``acks=1``, ``linger_ms=0``, no idempotence,
``request_timeout_ms=40000``), so an application behaves as it did. Serializers are aiokafka's
plain callables ``f(value) -> bytes``. What differs, by design:

- errors are `ferrokafka.errors` classes (``KafkaTimeoutError``, ``RecordTooLargeError``, ...);
  invalid options raise `ConfigError` (a ``ValueError``, as aiokafka's checks are);
- records without a key are spread by the sticky partitioner (KIP-794), not at random; keyed
  records land on the same partitions as with aiokafka (murmur2, as Java);
- a record with neither key nor value is allowed (Kafka allows it);
- transactions are those of `ferrokafka.Producer`; a call in the wrong state raises its
  `IllegalStateError`;
- ``sasl_mechanism="GSSAPI"`` (Kerberos) is refused.
"""

from ferrokafka.aiokafka._batch import BatchBuilder, BatchRecordMetadata
from ferrokafka.aiokafka._producer import AIOKafkaProducer
from ferrokafka.aiokafka._structs import (
    CREATE_TIME,
    LOG_APPEND_TIME,
    RecordMetadata,
    TopicPartition,
    TransactionsUnavailableError,
)

__all__ = [
    "CREATE_TIME",
    "LOG_APPEND_TIME",
    "AIOKafkaProducer",
    "BatchBuilder",
    "BatchRecordMetadata",
    "RecordMetadata",
    "TopicPartition",
    "TransactionsUnavailableError",
]
