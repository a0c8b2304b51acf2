"""aiokafka's ``BatchBuilder``: records gathered to be sent together to one partition."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from ferrokafka.aiokafka._structs import HeaderList, Serializer

# A record batch's fixed header, and a record's framing at most (varints of length, attributes,
# timestamp and offset deltas, key and value lengths, header count): what `BatchBuilder.size()`
# adds to the payload, as aiokafka's builder estimates it.
_BATCH_OVERHEAD = 61
_RECORD_OVERHEAD = 21


class BatchRecordMetadata(NamedTuple):
    """What `BatchBuilder.append` returns, as aiokafka's builder does."""

    offset: int
    size: int
    timestamp: int
    crc: None = None


class BatchBuilder:
    """aiokafka's ``BatchBuilder``: records to send together to one partition with
    `AIOKafkaProducer.send_batch`. ``append`` returns None once ``max_batch_size`` is reached
    (the first record always fits) or after `close`."""

    def __init__(
        self,
        max_size: int,
        key_serializer: Serializer | None = None,
        value_serializer: Serializer | None = None,
    ) -> None:
        self._max_size = max_size
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._records: list[tuple[bytes | None, bytes | None, int, HeaderList]] = []
        self._size = _BATCH_OVERHEAD
        self._closed = False

    def append(
        self,
        *,
        timestamp: int | None,
        key: Any,
        value: Any,
        headers: HeaderList | None = None,
    ) -> BatchRecordMetadata | None:
        """Adds a record (``timestamp`` in milliseconds since the epoch, None for now)."""
        if self._closed:
            return None
        key_bytes = key if self._key_serializer is None else self._key_serializer(key)
        value_bytes = value if self._value_serializer is None else self._value_serializer(value)
        header_list = list(headers or ())
        size = _record_size(key_bytes, value_bytes, header_list)
        if self._records and self._size + size > self._max_size:
            self.close()
            return None
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        offset = len(self._records)
        self._records.append((key_bytes, value_bytes, timestamp, header_list))
        self._size += size
        return BatchRecordMetadata(offset, size, timestamp)

    def close(self) -> None:
        """No more records; sending is not affected."""
        self._closed = True

    def closed(self) -> bool:
        return self._closed

    def size(self) -> int:
        """The batch's estimated size in bytes, uncompressed."""
        return self._size

    def record_count(self) -> int:
        return len(self._records)

    @property
    def records(self) -> list[tuple[bytes | None, bytes | None, int, HeaderList]]:
        """``(key, value, timestamp_ms, headers)`` of every record, serialized."""
        return self._records


def _record_size(key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, Any]]) -> int:
    size = _RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
    for name, header_value in headers:
        size += 10 + len(name.encode()) + (len(header_value) if header_value else 0)
    return size
