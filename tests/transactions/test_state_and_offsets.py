"""The transaction state machine and the argument forms of send_offsets_to_transaction,
without a broker."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from ferrokafka import ConfigError
from ferrokafka._native import TxnOffset
from ferrokafka._transactions.offsets import group_metadata, offset_entries
from ferrokafka._transactions.requests import GroupMetadata
from ferrokafka._transactions.state import TransactionState, illegal_state, is_transition_valid

S = TransactionState


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.UNINITIALIZED, S.INITIALIZING),
        (S.INITIALIZING, S.READY),
        (S.READY, S.IN_TRANSACTION),
        (S.IN_TRANSACTION, S.COMMITTING),
        (S.COMMITTING, S.READY),
        (S.IN_TRANSACTION, S.ABORTING),
        (S.ABORTING, S.READY),
        (S.ABORTING, S.INITIALIZING),
        (S.IN_TRANSACTION, S.ABORTABLE_ERROR),
        (S.COMMITTING, S.ABORTABLE_ERROR),
        (S.ABORTABLE_ERROR, S.ABORTING),
        (S.READY, S.FATAL_ERROR),
    ],
)
def test_allowed(source: TransactionState, target: TransactionState) -> None:
    assert is_transition_valid(source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.UNINITIALIZED, S.IN_TRANSACTION),
        (S.READY, S.COMMITTING),
        (S.READY, S.ABORTING),
        (S.IN_TRANSACTION, S.IN_TRANSACTION),
        (S.ABORTABLE_ERROR, S.COMMITTING),
        (S.ABORTABLE_ERROR, S.READY),
        (S.FATAL_ERROR, S.READY),
        (S.FATAL_ERROR, S.IN_TRANSACTION),
    ],
)
def test_refused(source: TransactionState, target: TransactionState) -> None:
    assert not is_transition_valid(source, target)


def test_illegal_state_names_state_fix_and_cause() -> None:
    message = str(illegal_state("send", S.READY))
    assert "is ready" in message
    assert "begin_transaction()" in message
    message = str(illegal_state("commit", S.ABORTABLE_ERROR, ValueError("disk on fire")))
    assert "abort_transaction()" in message
    assert "disk on fire" in message


class AiokafkaTopicPartition(NamedTuple):
    topic: str
    partition: int


class OffsetAndMetadata(NamedTuple):
    offset: int
    metadata: str


class ConfluentLike:
    def __init__(self, topic: str, partition: int, offset: int, leader_epoch: int | None) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset
        self.leader_epoch = leader_epoch
        self.metadata = None


def test_offset_forms() -> None:
    assert offset_entries({("in", 0): 42, ("in", 1): 7}) == [
        TxnOffset("in", 0, 42, -1, None),
        TxnOffset("in", 1, 7, -1, None),
    ]
    aiokafka_form = {AiokafkaTopicPartition("in", 2): OffsetAndMetadata(3, "m")}
    assert offset_entries(aiokafka_form) == [TxnOffset("in", 2, 3, -1, "m")]
    assert offset_entries([ConfluentLike("in", 0, 9, 4), ConfluentLike("in", 1, 1, None)]) == [
        TxnOffset("in", 0, 9, 4, None),
        TxnOffset("in", 1, 1, -1, None),
    ]


@pytest.mark.parametrize(
    ("offsets", "fragment"),
    [
        ({}, "no offsets"),
        ({("in", 0): -1}, "negative"),
        ({("in", True): 1}, "partition True"),
        ({"in": 1}, "not a (topic, partition) pair"),
        ([object()], "no topic, partition and offset"),
        ("in", "offsets of type str"),
    ],
)
def test_bad_offsets(offsets: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match="send_offsets_to_transaction") as info:
        offset_entries(offsets)
    assert fragment in str(info.value)


class JavaLikeGroup:
    group_id = "g"
    generation_id = 3
    member_id = "m-1"
    group_instance_id = "pod-1"


def test_group_forms() -> None:
    assert group_metadata("g") == GroupMetadata("g")
    assert group_metadata(JavaLikeGroup()) == GroupMetadata("g", 3, "m-1", "pod-1")
    # librdkafka's serialized group metadata, as confluent-kafka returns it.
    raw = b"CGMDv2:" + (7).to_bytes(4, "little", signed=True) + b"grp\x00member\x00\x01"
    assert group_metadata(raw) == GroupMetadata("grp", 7, "member", None)
    raw = b"CGMDv2:" + (7).to_bytes(4, "little", signed=True) + b"grp\x00m\x00\x00static-1\x00"
    assert group_metadata(raw) == GroupMetadata("grp", 7, "m", "static-1")
    for bad in ("", b"nope", object()):
        with pytest.raises(ConfigError, match="send_offsets_to_transaction"):
            group_metadata(bad)
