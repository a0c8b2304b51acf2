"""Bad arguments to the send calls, as the typed errors of `ferrokafka.errors`.

The per-record path checks little itself: the native append refuses what it cannot take, with
Python's own exceptions (`BufferError`, `IndexError`, `OverflowError`, `TypeError`, ...).
`append_error` is the one place that turns those into ours, most specific first (as httpx's
``map_httpcore_exceptions`` does), so that every send path (`send_nowait`, its native fast path,
which hands every failure back to it, `send` and `send_many`) raises the same error for the same
mistake. The checks here run before an append only where the append would take a bad argument
silently (``partition=True`` is an int to it) or where a record is held for its topic's metadata
and would otherwise fail only later, alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from ferrokafka import _native
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    BufferFullError,
    KafkaError,
    PartitionOutOfRangeError,
    RecordTooLargeError,
    SerializationError,
)

#: What the native append raises for a bad argument or a full buffer; anything else is a bug.
#: (A record too large for any batch comes out as our `RecordTooLargeError` already.)
APPEND_ERRORS = (
    BufferError,
    IndexError,
    OverflowError,
    UnicodeEncodeError,
    TypeError,
)

# Partitions are int32 on the wire.
_MAX_PARTITION = 2**31 - 1


def append_error(
    exc: Exception,
    config: ProducerConfig,
    topic: str,
    partition: object,
    count: int,
    *,
    bulk: bool = False,
) -> KafkaError:
    """Our error for ``exc``, which the native append raised for a record of ``topic`` (which
    has ``count`` partitions); raise it ``from exc``."""
    if isinstance(exc, BufferError):
        return BufferFullError(
            f"{exc}. Await send() to wait for space (up to max_block_ms={config.max_block_ms}), "
            "slow down, or raise buffer_memory"
        )
    if isinstance(exc, IndexError | OverflowError):
        return partition_error(topic, partition, count)
    if isinstance(exc, UnicodeEncodeError):
        return SerializationError(
            f"a header name of a record for {topic!r} is not valid Unicode ({exc.reason}): "
            "header names are sent as UTF-8",
            topic=topic,
        )
    if isinstance(exc, TypeError) and type(partition) is not int and partition is not None:
        return partition_error(topic, partition, count)
    if bulk:
        return SerializationError(
            f"send_many takes a sequence of bytes (or None) as values and as keys, and "
            f"applies no serializer: {exc}; serialize the records first, or use send_nowait",
            topic=topic,
        )
    return SerializationError(
        f"a header of a record for {topic!r} is not (str, bytes | None): {exc}", topic=topic
    )


def check_partition(topic: str, partition: object, count: int | None) -> None:
    """Refuses a ``partition=`` that is not an int (a bool is not one here), or that no topic
    can have; the topic's own count is checked by the append once it is known."""
    if type(partition) is not int or not 0 <= partition <= _MAX_PARTITION:
        raise partition_error(topic, partition, count)


def partition_error(topic: str, partition: object, count: int | None) -> PartitionOutOfRangeError:
    if count is None:
        valid = "a partition number from 0"
    elif count == 1:
        valid = f"0 (topic {topic!r} has 1 partition)"
    else:
        valid = f"an int from 0 to {count - 1} (topic {topic!r} has {count} partitions)"
    if type(partition) is not int:
        problem = f"partition={partition!r} is a {type(partition).__name__}"
    else:
        problem = f"partition {partition} does not exist"
    return PartitionOutOfRangeError(
        f"{problem}: give {valid}, or partition=None to let the partitioner choose"
    )


def check_header_name(name: str) -> None:
    """Header names are sent as UTF-8, which a str with a lone surrogate (``"\\ud800"``) has
    none of."""
    if not name.isascii():
        try:
            name.encode()
        except UnicodeEncodeError as exc:
            raise SerializationError(
                f"header name {name!r} is not valid Unicode ({exc.reason}): header names are "
                "sent as UTF-8"
            ) from None


def check_held_size(
    config: ProducerConfig,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    timestamp_ms: int,
) -> None:
    """Refuses at once a record too large to ever be appended, as the append does when the
    topic's metadata is known, instead of failing it once the metadata comes."""
    limit, setting = min(
        (config.max_request_size, "max_request_size"), (config.buffer_memory, "buffer_memory")
    )
    # A cheap upper bound first (every varint at its widest): most records are far below.
    bound = _native.RECORD_BATCH_OVERHEAD + 36 + len(key or b"") + len(value or b"")
    if headers:
        bound += sum(10 + len(name.encode()) + len(v or b"") for name, v in headers)
    if bound <= limit:
        return
    record = _native.BatchRecord(timestamp_ms, key, value, list(headers or ()))
    size = len(_native.encode_batch([record]))
    if size > limit:
        raise RecordTooLargeError(
            f"the record is {size} bytes when serialized (with the "
            f"{_native.RECORD_BATCH_OVERHEAD}-byte batch header), more than {setting}={limit}"
        )
