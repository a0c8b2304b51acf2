"""The decoded responses as the binding hands them to Python (rust/src/bindings/responses.rs):
named, typed, read-only classes, one definition of each wire structure, and no exception class
of the binding's own (it raises `ferrokafka.errors` classes)."""

from __future__ import annotations

import pickle
import struct

import pytest

from ferrokafka import _native, errors
from ferrokafka._native import (
    ApiVersionsResult,
    BrokerMetadata,
    LeaderHint,
    PartitionMetadata,
    PartitionProduceResult,
    ProduceResult,
    RecordError,
    TopicMetadata,
    VersionRange,
)

RESULT_CLASSES = [
    name
    for name in _native.__all__
    if isinstance(getattr(_native, name), type) and name.endswith(("Result", "Metadata", "Range"))
]


def partition_result(**changes: object) -> PartitionProduceResult:
    fields: dict[str, object] = {
        "topic": "t",
        "partition": 1,
        "error_code": 6,
        "base_offset": -1,
        "log_append_time_ms": -1,
        "log_start_offset": -1,
        "error_message": "not the leader",
        "record_errors": [RecordError(3, "bad timestamp")],
        "current_leader": LeaderHint(leader_id=2, leader_epoch=7),
    }
    fields.update(changes)
    return PartitionProduceResult(**fields)  # type: ignore[arg-type]


def test_the_binding_defines_no_exception_classes() -> None:
    own = [
        name
        for name in dir(_native)
        if isinstance(getattr(_native, name), type)
        and issubclass(getattr(_native, name), BaseException)
    ]
    assert own == []


def test_every_result_class_is_frozen_and_exported() -> None:
    assert len(RESULT_CLASSES) >= 10
    hint = LeaderHint(1, 2)
    with pytest.raises(AttributeError, match="not writable"):
        hint.leader_id = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        type("Sub", (LeaderHint,), {})


def test_fields_are_named_in_wire_order_and_compared_by_value() -> None:
    a = partition_result()
    assert a == partition_result()
    assert a != partition_result(base_offset=0)
    assert a != "not a result"
    assert a.current_leader == LeaderHint(2, 7)
    assert a.record_errors == [RecordError(batch_index=3, message="bad timestamp")]
    assert repr(a).startswith("PartitionProduceResult(topic='t', partition=1, error_code=6,")
    assert "current_leader=LeaderHint(leader_id=2, leader_epoch=7)" in repr(a)
    # Positional and keyword construction agree.
    assert BrokerMetadata(1, "h", 9092, None) == BrokerMetadata(
        node_id=1, host="h", port=9092, rack=None
    )


def test_results_hash_like_tuples_and_pickle() -> None:
    broker = BrokerMetadata(1, "h", 9092, "r1")
    assert {broker: 1}[BrokerMetadata(1, "h", 9092, "r1")] == 1
    # Lists inside make a result unhashable, as they made the NamedTuples.
    with pytest.raises(TypeError, match="unhashable"):
        hash(PartitionMetadata(0, 0, 1, 5, [1], [1], []))
    response = ProduceResult([partition_result()], [broker], throttle_time_ms=0)
    assert pickle.loads(pickle.dumps(response)) == response


def test_typed_fields_refuse_wrong_types() -> None:
    with pytest.raises(TypeError):
        BrokerMetadata("1", "h", 9092, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TopicMetadata("t", 0, False, [BrokerMetadata(1, "h", 1, None)], None)  # type: ignore[list-item]
    with pytest.raises(OverflowError):
        LeaderHint(2**31, 0)


def test_decoders_return_their_classes() -> None:
    # ApiVersions v0: no error, Produce v3..v12, no throttle field in v0.
    frame = struct.pack(">ihihhh", 1, 0, 1, 0, 3, 12)
    result = _native.decode_api_versions_response(frame, 0)
    assert type(result) is ApiVersionsResult
    assert result.api_versions == {0: VersionRange(3, 12)}
    assert (result.api_versions[0].min_version, result.api_versions[0].max_version) == (3, 12)
    assert (result.error_code, result.throttle_time_ms, result.finalized_features) == (0, 0, {})


def test_undecodable_bytes_raise_the_public_protocol_error() -> None:
    with pytest.raises(errors.ProtocolError, match="malformed ApiVersions v0 response") as caught:
        _native.decode_api_versions_response(b"\x00\x00\x00\x01\x00", 0)
    assert type(caught.value) is errors.ProtocolError
    assert caught.value.retriable
