"""Checks of the send calls' arguments that only Python can make.

The native `Accumulator` refuses a bad argument or a full buffer itself, raising the public
classes of `ferrokafka.errors` (`BufferFullError`, `PartitionOutOfRangeError`,
`SerializationError`, ...), so every send path (`send_nowait`, its native fast path, which
hands every failure back to it, `send` and `send_many`) raises the same error for the same
mistake. What is left here is for a record held for its topic's metadata, which would
otherwise fail only later, alone: its size is checked now, against the limits the append will
apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from ferrokafka import _native
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import RecordTooLargeError


def check_held_record(
    config: ProducerConfig,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    timestamp_ms: int,
) -> None:
    """Refuses at once a record the append would refuse (headers it cannot send, or a size
    no batch can hold), as it does when the topic's metadata is known, instead of failing it
    once the metadata comes."""
    if headers:
        _native.check_headers(topic, headers)
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
