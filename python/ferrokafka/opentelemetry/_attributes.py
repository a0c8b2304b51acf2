"""The messaging semantic conventions' names this package uses (semconv 1.3x, messaging)."""

from __future__ import annotations

from typing import Final

SYSTEM: Final = "messaging.system"
CLIENT_ID: Final = "messaging.client.id"
OPERATION_NAME: Final = "messaging.operation.name"
OPERATION_TYPE: Final = "messaging.operation.type"
DESTINATION: Final = "messaging.destination.name"
PARTITION: Final = "messaging.destination.partition.id"
KEY: Final = "messaging.kafka.message.key"
OFFSET: Final = "messaging.kafka.offset"
TOMBSTONE: Final = "messaging.kafka.message.tombstone"
ERROR_TYPE: Final = "error.type"

KAFKA: Final = "kafka"
SEND: Final = "send"

SENT_MESSAGES: Final = "messaging.client.sent.messages"
OPERATION_DURATION: Final = "messaging.client.operation.duration"
