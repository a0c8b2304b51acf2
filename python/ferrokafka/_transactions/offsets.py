"""The forms `send_offsets_to_transaction` takes, turned into wire entries.

Offsets: a mapping ``(topic, partition) -> next offset`` (aiokafka's ``TopicPartition`` is such
a tuple, and its ``OffsetAndMetadata`` values are taken too), or a list of objects with
``topic``, ``partition`` and ``offset`` (confluent-kafka's ``TopicPartition``; its
``leader_epoch`` and ``metadata`` are sent when set).

Group: a group id, an object with ``group_id`` (and, for KIP-447 fencing, ``generation_id``,
``member_id``, ``group_instance_id``: aiokafka's and Java's group metadata), or the bytes
confluent-kafka's ``Consumer.consumer_group_metadata()`` returns (librdkafka's serialized
form: ``CGMDv2:``, the generation id as a native-endian int32, the group id and member id
NUL-terminated, a byte that is 1 when there is no group instance id, else the instance id
NUL-terminated).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ferrokafka._native import TxnOffset
from ferrokafka._transactions.requests import GroupMetadata
from ferrokafka.errors import ConfigError

_LIBRDKAFKA_MAGIC = b"CGMDv2:"
_HOW = "pass {(topic, partition): next_offset} or a list of TopicPartition objects with offsets"


def offset_entries(offsets: object) -> list[TxnOffset]:
    entries: list[TxnOffset] = []
    if isinstance(offsets, Mapping):
        for key, value in offsets.items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise _bad(f"the key {key!r} is not a (topic, partition) pair")
            topic, partition = key
            offset = getattr(value, "offset", value)
            metadata = getattr(value, "metadata", None)
            entries.append(_entry(topic, partition, offset, -1, metadata))
    elif isinstance(offsets, (list, tuple)):
        for item in offsets:
            if not all(hasattr(item, a) for a in ("topic", "partition", "offset")):
                raise _bad(f"{item!r} has no topic, partition and offset")
            epoch = getattr(item, "leader_epoch", None)
            entries.append(
                _entry(
                    item.topic,
                    item.partition,
                    item.offset,
                    -1 if epoch is None else epoch,
                    getattr(item, "metadata", None),
                )
            )
    else:
        raise _bad(f"offsets of type {type(offsets).__name__}")
    if not entries:
        raise _bad("no offsets")
    return entries


def group_metadata(group: object) -> GroupMetadata:
    if isinstance(group, str):
        if not group:
            raise ConfigError("send_offsets_to_transaction: the group id is empty")
        return GroupMetadata(group)
    if isinstance(group, bytes):
        return _librdkafka_group(group)
    group_id = getattr(group, "group_id", None)
    if not isinstance(group_id, str) or not group_id:
        raise ConfigError(
            f"send_offsets_to_transaction: {group!r} is not a group id (str), a consumer's "
            "group metadata (an object with group_id) or confluent-kafka's "
            "consumer_group_metadata()"
        )
    generation = getattr(group, "generation_id", -1)
    member_id = getattr(group, "member_id", "") or ""
    instance = getattr(group, "group_instance_id", None)
    if not isinstance(generation, int) or isinstance(generation, bool):
        raise ConfigError(f"send_offsets_to_transaction: generation_id {generation!r} is no int")
    return GroupMetadata(group_id, generation, str(member_id), instance and str(instance))


def _librdkafka_group(raw: bytes) -> GroupMetadata:
    bad = ConfigError(
        "send_offsets_to_transaction: these bytes are not confluent-kafka's "
        "consumer_group_metadata() (librdkafka's CGMDv2 form); pass a group id instead"
    )
    if not raw.startswith(_LIBRDKAFKA_MAGIC) or len(raw) < len(_LIBRDKAFKA_MAGIC) + 4:
        raise bad
    at = len(_LIBRDKAFKA_MAGIC)
    generation = int.from_bytes(raw[at : at + 4], sys.byteorder, signed=True)
    parts = raw[at + 4 :].split(b"\x00", 2)
    if len(parts) != 3 or not parts[2]:
        raise bad
    group_id, member_id, rest = parts
    instance: str | None = None
    if rest[0] != 1:
        instance = rest[1:].rstrip(b"\x00").decode()
    if not group_id:
        raise bad
    return GroupMetadata(group_id.decode(), generation, member_id.decode(), instance)


def _entry(topic: Any, partition: Any, offset: Any, epoch: Any, metadata: Any) -> TxnOffset:
    if not isinstance(topic, str) or not topic:
        raise _bad(f"the topic {topic!r} is not a non-empty str")
    for name, value in (("partition", partition), ("offset", offset), ("leader_epoch", epoch)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(f"the {name} {value!r} of {topic!r} is not an int")
    if offset < 0:
        raise _bad(f"the offset {offset} of {topic!r}/{partition} is negative")
    if metadata is not None and not isinstance(metadata, str):
        raise _bad(f"the metadata {metadata!r} of {topic!r}/{partition} is not a str")
    return TxnOffset(topic, partition, offset, epoch, metadata)


def _bad(what: str) -> ConfigError:
    return ConfigError(f"send_offsets_to_transaction: {what}; {_HOW}")
