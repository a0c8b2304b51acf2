"""`Request`s for the transactional APIs over the native codec; results are the native frozen
classes (`TxnPartitionsResult`, `TxnCoordinatorResult`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ferrokafka import _native
from ferrokafka._requests import ApiKey, Request


@dataclass(frozen=True, slots=True)
class TxnIdentity:
    """What every transactional request names: the id and the producer id/epoch it holds."""

    transactional_id: str
    producer_id: int
    producer_epoch: int


@dataclass(frozen=True, slots=True)
class GroupMetadata:
    """A consumer group as its consumer knows it; generation, member and instance id let the
    group coordinator refuse offsets from a consumer that left the group (KIP-447)."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None


def add_partitions_to_txn_request(
    version: int, txn: TxnIdentity, partitions: Sequence[tuple[str, int]]
) -> Request[_native.TxnPartitionsResult]:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in partitions:
        by_topic.setdefault(topic, []).append(partition)
    grouped = [_native.TxnTopicPartitions(topic, ps) for topic, ps in by_topic.items()]
    return Request(
        ApiKey.ADD_PARTITIONS_TO_TXN,
        version,
        lambda cid, client_id: _native.encode_add_partitions_to_txn_request(
            cid, client_id, version, *_identity(txn), grouped
        ),
        lambda frame: _native.decode_add_partitions_to_txn_response(frame, version),
    )


def add_offsets_to_txn_request(
    version: int, txn: TxnIdentity, group_id: str
) -> Request[_native.TxnCoordinatorResult]:
    return Request(
        ApiKey.ADD_OFFSETS_TO_TXN,
        version,
        lambda cid, client_id: _native.encode_add_offsets_to_txn_request(
            cid, client_id, version, *_identity(txn), group_id
        ),
        lambda frame: _native.decode_add_offsets_to_txn_response(frame, version),
    )


def txn_offset_commit_request(
    version: int, txn: TxnIdentity, group: GroupMetadata, offsets: Sequence[_native.TxnOffset]
) -> Request[_native.TxnPartitionsResult]:
    entries = list(offsets)
    return Request(
        ApiKey.TXN_OFFSET_COMMIT,
        version,
        lambda cid, client_id: _native.encode_txn_offset_commit_request(
            cid,
            client_id,
            version,
            *_identity(txn),
            group.group_id,
            group.generation_id,
            group.member_id,
            group.group_instance_id,
            entries,
        ),
        lambda frame: _native.decode_txn_offset_commit_response(frame, version),
    )


def end_txn_request(
    version: int, txn: TxnIdentity, *, commit: bool
) -> Request[_native.TxnCoordinatorResult]:
    return Request(
        ApiKey.END_TXN,
        version,
        lambda cid, client_id: _native.encode_end_txn_request(
            cid, client_id, version, *_identity(txn), commit
        ),
        lambda frame: _native.decode_end_txn_response(frame, version),
    )


def _identity(txn: TxnIdentity) -> tuple[str, int, int]:
    return txn.transactional_id, txn.producer_id, txn.producer_epoch
