"""ferrokafka: an asyncio-native Apache Kafka producer whose hot path is Rust."""

from ferrokafka._native import __version__
from ferrokafka.bulk import BulkDelivery
from ferrokafka.cluster import ClusterDescription, describe_cluster
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    AuthenticationError,
    AuthorizationError,
    BrokerError,
    BufferFullError,
    ConfigError,
    IllegalStateError,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NotEnoughReplicasError,
    PartitionOutOfRangeError,
    ProducerClosedError,
    RecordTooLargeError,
    RetriableError,
    SerializationError,
    SslAuthenticationError,
)
from ferrokafka.interceptors import ProducerInterceptor, ProducerRecord
from ferrokafka.metrics import MetricName
from ferrokafka.producer import Producer, ProducerState
from ferrokafka.records import DeliveryFuture, RecordMetadata
from ferrokafka.serializers import (
    ByteArraySerializer,
    DoubleSerializer,
    FloatSerializer,
    IntegerSerializer,
    JsonSerializer,
    LongSerializer,
    Serializer,
    ShortSerializer,
    StringSerializer,
    UUIDSerializer,
    VoidSerializer,
)

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "BrokerError",
    "BufferFullError",
    "BulkDelivery",
    "ByteArraySerializer",
    "ClusterDescription",
    "ConfigError",
    "DeliveryFuture",
    "DoubleSerializer",
    "FloatSerializer",
    "IllegalStateError",
    "IntegerSerializer",
    "InvalidTimestampError",
    "InvalidTopicError",
    "JsonSerializer",
    "KafkaConnectionError",
    "KafkaError",
    "KafkaTimeoutError",
    "LongSerializer",
    "MetricName",
    "NotEnoughReplicasError",
    "PartitionOutOfRangeError",
    "Producer",
    "ProducerClosedError",
    "ProducerConfig",
    "ProducerInterceptor",
    "ProducerRecord",
    "ProducerState",
    "RecordMetadata",
    "RecordTooLargeError",
    "RetriableError",
    "SerializationError",
    "Serializer",
    "ShortSerializer",
    "SslAuthenticationError",
    "StringSerializer",
    "UUIDSerializer",
    "VoidSerializer",
    "__version__",
    "describe_cluster",
]
