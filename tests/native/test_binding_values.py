"""The values the binding takes and gives besides the decoded responses
(rust/src/bindings/accumulator_results.rs, request_inputs.rs, record.rs): named, typed,
read-only classes, and no positional tuple in their place."""

from __future__ import annotations

import pickle

import pytest

from ferrokafka import _native
from ferrokafka._native import (
    BatchEvent,
    BatchRecord,
    BatchRun,
    FailedBatch,
    ProduceBatch,
    ReadyCheck,
    TopicPartition,
    TxnOffset,
    TxnTopicPartitions,
)

EXAMPLES = [
    BatchRun(batch_id=3, first_index=0, count=8),
    TopicPartition("orders", 2),
    ReadyCheck([TopicPartition("orders", 2)], next_ready_ms=None),
    FailedBatch(4, "zstd failed"),
    BatchEvent(0, "orders", 8, 120, 300, 5),
    ProduceBatch("orders", 2, b"batch"),
    TxnTopicPartitions("orders", [0, 1]),
    TxnOffset("in", 0, 42, -1, None),
    BatchRecord(1000, b"k", None, [("h", b"v")]),
]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_frozen_compared_by_value_shown_and_pickled(value: object) -> None:
    cls = type(value)
    assert cls.__name__ in _native.__all__
    name = (cls.__text_signature__ or "").strip("()").split(",")[0]
    assert getattr(value, name) is not None
    with pytest.raises(AttributeError):
        setattr(value, name, 1)
    assert pickle.loads(pickle.dumps(value)) == value
    assert repr(value).startswith(f"{cls.__name__}({name}=")
    assert value != "not a value"


def test_fields_are_named() -> None:
    run = BatchRun(3, 5, 8)
    assert (run.batch_id, run.first_index, run.count) == (3, 5, 8)
    event = BatchEvent(
        kind=0, topic="t", records=8, size_bytes=120, uncompressed_bytes=300, queue_time_ms=5
    )
    assert (event.size_bytes, event.uncompressed_bytes, event.queue_time_ms) == (120, 300, 5)
    assert TopicPartition("t", 1) == TopicPartition(topic="t", partition=1)
    assert hash(TopicPartition("t", 1)) == hash(TopicPartition("t", 1))


def test_encoders_refuse_positional_tuples() -> None:
    with pytest.raises(TypeError):
        _native.encode_produce_request(1, None, 9, 1, 1000, None, [("t", 0, b"")])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        _native.encode_batch([(1000, None, b"v", [])])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        _native.encode_add_partitions_to_txn_request(1, None, 3, "tx", 1, 0, [("t", [0])])  # type: ignore[list-item]


def test_produce_batch_bytes_are_sent_as_given() -> None:
    one = _native.encode_produce_request(1, None, 9, 1, 1000, None, [ProduceBatch("t", 0, b"xyz")])
    assert b"\x02t\x02\x00\x00\x00\x00\x04xyz" in one  # topic "t", partition 0, 3 bytes
