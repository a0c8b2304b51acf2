"""The record accumulator through its Python binding.

Drained batches are read twice: by `ferrokafka._native.decode_batches`, and by a small parser
written here with `struct` plus the `crc32c` package, so a bug shared by the encoder and the
native decoder cannot hide. Produce requests are parsed here too (v3, non-flexible).
"""

from __future__ import annotations

import struct

import crc32c
import pytest

from ferrokafka import _native
from ferrokafka._native import Accumulator
from ferrokafka.errors import (
    BufferFullError,
    ConfigError,
    PartitionOutOfRangeError,
    ProducerClosedError,
    RecordTooLargeError,
    SerializationError,
)

HEADER = struct.Struct(">qiibIhiqqqhii")  # the 61-byte record batch v2 header
RECORD_SIZE = 109  # a 100-byte value, no key, no headers, small deltas


def new_accumulator(**overrides: object) -> Accumulator:
    settings: dict[str, object] = {
        "batch_size": 1000,
        "linger_ms": 10,
        "buffer_memory": 100_000,
        "max_request_size": 50_000,
        "idempotent": False,
    }
    settings.update(overrides)
    return Accumulator(**settings)  # type: ignore[arg-type]


def value(n: int) -> bytes:
    return f"record-{n}-".encode().ljust(100, b".")


def fill(acc: Accumulator, topic: str, partition: int, count: int, now: int = 0) -> list[int]:
    return [
        acc.append(topic, 4, partition, None, value(n), None, 1000 + n, now) for n in range(count)
    ]


def routing(topic: str = "t", node: int = 1, partitions: int = 4) -> dict[tuple[str, int], int]:
    return {(topic, p): node for p in range(partitions)}


def drained_ids(acc: Accumulator, now: int = 100, **kw: int) -> list[int]:
    route = routing(**kw)  # type: ignore[arg-type]
    return [i for ids in acc.drain(route, 1 << 20, now).values() for i in ids]


def varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos


def parse_batch(data: bytes) -> dict[str, object]:
    """An uncompressed record batch v2, field by field."""
    (
        base_offset,
        length,
        _epoch,
        magic,
        crc,
        attributes,
        last_delta,
        base_ts,
        _max_ts,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    ) = HEADER.unpack_from(data)
    assert (base_offset, magic, len(data)) == (0, 2, length + 12)
    assert crc == crc32c.crc32c(data[21:])
    assert last_delta == count - 1
    records = []
    pos = HEADER.size
    for index in range(count):
        size, pos = varint(data, pos)
        end = pos + size
        pos += 1  # attributes
        ts_delta, pos = varint(data, pos)
        offset_delta, pos = varint(data, pos)
        assert offset_delta == index
        key_len, pos = varint(data, pos)
        key = None if key_len < 0 else data[pos : pos + key_len]
        pos += max(key_len, 0)
        value_len, pos = varint(data, pos)
        val = None if value_len < 0 else data[pos : pos + value_len]
        pos += max(value_len, 0)
        headers = []
        header_count, pos = varint(data, pos)
        for _ in range(header_count):
            hk_len, pos = varint(data, pos)
            hkey = data[pos : pos + hk_len].decode()
            pos += hk_len
            hv_len, pos = varint(data, pos)
            headers.append((hkey, None if hv_len < 0 else data[pos : pos + hv_len]))
            pos += max(hv_len, 0)
        assert pos == end
        records.append(
            {"timestamp": base_ts + ts_delta, "key": key, "value": val, "headers": headers}
        )
    assert pos == len(data)
    return {
        "attributes": attributes,
        "producer_id": producer_id,
        "producer_epoch": producer_epoch,
        "base_sequence": base_sequence,
        "records": records,
    }


def test_handle_batch_info_and_record_bytes() -> None:
    acc = new_accumulator()
    headers = [("trace", b"abc"), ("empty", None)]
    h = acc.append("orders", 4, 2, b"k", b"v", headers, 1234, 0)
    batch_id, index = h >> 32, h & 0xFFFFFFFF
    assert index == 0
    assert acc.batch_info(batch_id) == _native.TopicPartition("orders", 2)
    h2 = acc.append("orders", 4, 2, None, None, None, 1240, 0)
    assert (h2 >> 32, h2 & 0xFFFFFFFF) == (batch_id, 1)
    acc.begin_flush()
    assert acc.drain({("orders", 2): 5}, 1 << 20, 0) == {5: [batch_id]}
    sealed = acc.sealed_batch(batch_id)
    ours = parse_batch(sealed)
    assert ours["records"] == [
        {"timestamp": 1234, "key": b"k", "value": b"v", "headers": headers},
        {"timestamp": 1240, "key": None, "value": None, "headers": []},
    ]
    native = _native.decode_batches(sealed)[0]
    assert native["record_count"] == 2
    assert native["records"][0]["headers"] == headers
    assert acc.complete(batch_id) == 2
    with pytest.raises(KeyError):
        acc.batch_info(batch_id)


def test_batches_close_when_the_next_record_does_not_fit() -> None:
    acc = new_accumulator()
    handles = fill(acc, "t", 0, 20)
    batches = [h >> 32 for h in handles]
    per_batch = (1000 - 61) // RECORD_SIZE
    assert batches == [batches[0]] * per_batch + [batches[per_batch]] * per_batch + [
        batches[-1]
    ] * (20 - 2 * per_batch)
    assert [h & 0xFFFFFFFF for h in handles[:per_batch]] == list(range(per_batch))
    assert acc.queued_batches() == 3


def test_memory_is_counted_exactly_and_full_buffer_raises_buffer_full_error() -> None:
    acc = new_accumulator(buffer_memory=1200)
    assert (acc.buffer_memory(), acc.available_memory()) == (1200, 1200)
    fill(acc, "t", 0, 1)
    assert acc.used_memory() == 61 + RECORD_SIZE
    appended = 1
    while appended < 8:
        acc.append("t", 4, appended % 4, None, value(appended), None, 1000, 0)
        appended += 1
    # Less than one record's bytes are left (1200 - 4 batch headers - 8 records = 84).
    with pytest.raises(BufferFullError, match=r"buffer_memory is full.*await send"):
        acc.append("t", 4, 0, None, value(appended), None, 1000, 0)
    used = acc.used_memory()
    assert used + acc.available_memory() == 1200
    # Exact: one header per batch plus every record.
    assert used == 61 * acc.queued_batches() + RECORD_SIZE * appended
    assert acc.metrics()["buffer_exhausted"] == 1
    # A full buffer makes everything sendable; completing frees memory for a retry.
    assert len(acc.ready(0).partitions) == 4
    for batch_id in drained_ids(acc, 0):
        acc.complete(batch_id)
    assert acc.used_memory() == 0
    acc.append("t", 4, 0, None, value(0), None, 0, 0)


def test_oversized_record_raises_record_too_large() -> None:
    acc = new_accumulator(max_request_size=2000)
    # The public class, raised by the binding itself (no native twin to translate).
    assert RecordTooLargeError.__module__ == "ferrokafka.errors"
    with pytest.raises(RecordTooLargeError, match="max_request_size=2000"):
        acc.append("t", 4, 0, None, bytes(2000), None, 0, 0)
    acc = new_accumulator(buffer_memory=1500)
    with pytest.raises(RecordTooLargeError, match="buffer_memory=1500"):
        acc.append("t", 4, 0, None, bytes(2000), None, 0, 0)
    assert acc.used_memory() == 0
    # Larger than batch_size but within the limits: a batch of its own.
    acc = new_accumulator()
    h = acc.append("t", 4, 0, None, bytes(3000), None, 0, 0)
    assert h & 0xFFFFFFFF == 0


def test_bad_arguments() -> None:
    acc = new_accumulator()
    valid = r"of 't' .* 4 partitions \(valid: from 0 to 3\)"
    with pytest.raises(PartitionOutOfRangeError, match=valid):
        acc.append("t", 4, 4, None, b"v", None, 0, 0)
    # Internal invariants stay builtins: the partition count comes from metadata.
    with pytest.raises(ValueError, match="num_partitions"):
        acc.append("t", 0, None, None, b"v", None, 0, 0)
    # The send calls serialize values to bytes before they append.
    with pytest.raises(TypeError):
        acc.append("t", 4, 0, None, "not bytes", None, 0, 0)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        acc.complete(12345)
    with pytest.raises(KeyError):
        acc.fail(1 << 40)
    with pytest.raises(ConfigError, match="compression"):
        Accumulator(compression="brotli")
    with pytest.raises(ConfigError, match="batch_size"):
        Accumulator(batch_size=0)
    assert acc.live_batches() == 0


@pytest.mark.parametrize(
    ("partition", "message"),
    [
        (
            True,
            r"partition=True is a bool, not a partition number of 't': "
            r"it has 2 partitions \(valid: from 0 to 1\)",
        ),
        ("0", r"partition='0' is a str, not a partition number of 't'"),
        (2, r"partition 2 of 't' is out of range: it has 2 partitions \(valid: from 0 to 1\)"),
        (-1, r"partition -1 of 't' is out of range"),
        # Not an OverflowError: partitions are int32 on the wire.
        (2**40, r"partition 1099511627776 of 't' is out of range"),
    ],
)
def test_a_partition_the_topic_does_not_have_is_refused_in_one_phrasing(
    partition: object, message: str
) -> None:
    acc = new_accumulator()
    calls = [
        lambda: acc.append("t", 2, partition, None, b"v", None, 0, 0),  # type: ignore[arg-type]
        lambda: acc.append_many("t", 2, [b"v"], partition=partition, timestamp_ms=0, now_ms=0),  # type: ignore[arg-type]
        lambda: _native.check_partition("t", partition, 2),
    ]
    for call in calls:
        with pytest.raises(PartitionOutOfRangeError, match=f"^{message}.*partition=None") as info:
            call()
        assert isinstance(info.value, ValueError)
    assert acc.live_batches() == 0


def test_check_partition_without_the_count_refuses_only_what_no_topic_has() -> None:
    _native.check_partition("t", 0)
    _native.check_partition("t", 2**31 - 1)
    _native.check_partition("t", None)
    with pytest.raises(PartitionOutOfRangeError, match=r"numbered from 0 to at most 2147483647"):
        _native.check_partition("t", -1)
    with pytest.raises(PartitionOutOfRangeError, match="is a bool"):
        _native.check_partition("t", False)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([("\ud800", b"v")], r"header name .* is not valid Unicode .*surrogates not allowed"),
        ([(1, b"v")], r"headers .* are not \(str, bytes \| None\) pairs"),
        ([("name", "not bytes")], r"headers .* are not \(str, bytes \| None\) pairs"),
    ],
)
def test_headers_the_wire_cannot_carry_are_a_serialization_error(
    headers: list[tuple[object, object]], message: str
) -> None:
    acc = new_accumulator()
    for call in (
        lambda: acc.append("t", 2, None, None, b"v", headers, 0, 0),  # type: ignore[arg-type]
        lambda: _native.check_headers("t", headers),  # type: ignore[arg-type]
    ):
        with pytest.raises(SerializationError, match=message) as info:
            call()
        assert info.value.topic == "t"
    assert acc.live_batches() == 0


@pytest.mark.parametrize(
    ("values", "keys", "message"),
    [
        (["text"], None, "the values of send_many for 't' must be a sequence of bytes"),
        ("text", None, "values .* a str, not a sequence of bytes"),
        ([b"v"], [1], "the keys of send_many for 't' must be a sequence of bytes"),
        ([b"v"], [b"a", b"b"], "got 2 keys for 1 values"),
    ],
)
def test_append_many_refuses_what_is_not_bytes(values: object, keys: object, message: str) -> None:
    acc = new_accumulator()
    with pytest.raises(SerializationError, match=message):
        acc.append_many("t", 2, values, keys, timestamp_ms=0, now_ms=0)  # type: ignore[arg-type]
    assert acc.live_batches() == 0


def test_ready_follows_linger_and_reports_the_next_time() -> None:
    acc = new_accumulator()
    fill(acc, "t", 0, 1, now=100)
    fill(acc, "t", 1, 1, now=104)
    t0, t1 = _native.TopicPartition("t", 0), _native.TopicPartition("t", 1)
    assert acc.ready(105) == _native.ReadyCheck([], 110)
    assert acc.ready(110) == _native.ReadyCheck([t0], 114)
    assert acc.ready(120) == _native.ReadyCheck([t0, t1], None)
    assert acc.ready(120).partitions[1].topic == "t"
    assert acc.ready(120).next_ready_ms is None
    acc2 = new_accumulator(linger_ms=1000)
    fill(acc2, "t", 0, 1)
    assert acc2.ready(1).partitions == []
    acc2.begin_flush()
    assert acc2.ready(1).partitions == [t0]
    acc2.end_flush()
    assert acc2.ready(1).partitions == []


def test_drain_respects_routing_size_and_one_batch_per_partition() -> None:
    acc = new_accumulator()
    for p in range(4):
        fill(acc, "t", p, 30)
    drained = acc.drain({("t", 0): 1, ("t", 1): 1, ("t", 2): 2}, 2000, 100)
    assert sorted(drained) == [1, 2]
    assert len(drained[1]) == 2
    assert len(drained[2]) == 1
    assert [acc.batch_info(i).partition for i in drained[1]] == [0, 1]
    # Partition 3 has no leader in the routing: untouched.
    assert acc.in_flight_batches() == 3
    drained = acc.drain({("t", p): 1 for p in range(4)}, 2000, 100)
    sizes = [len(acc.sealed_batch(i)) for i in drained[1]]
    assert len(sizes) == 2
    assert sum(sizes) <= 2000
    # Unknown topics in the routing are ignored.
    assert acc.drain({("nothing-here", 0): 1}, 2000, 100) == {}


def test_produce_request_is_built_from_the_sealed_batches() -> None:
    acc = new_accumulator()
    fill(acc, "t", 0, 2)
    fill(acc, "t", 3, 1)
    ids = drained_ids(acc)
    frame = acc.produce_request(ids, 42, "client-x", 3, 1, 5000, None)
    (size,) = struct.unpack_from(">i", frame)
    assert size == len(frame) - 4
    api_key, version, correlation, client_len = struct.unpack_from(">hhih", frame, 4)
    assert (api_key, version, correlation) == (0, 3, 42)
    pos = 14
    assert frame[pos : pos + client_len] == b"client-x"
    pos += client_len
    (txn_len,) = struct.unpack_from(">h", frame, pos)
    assert txn_len == -1
    acks, timeout, topics = struct.unpack_from(">hii", frame, pos + 2)
    assert (acks, timeout, topics) == (1, 5000, 1)
    pos += 12
    (name_len,) = struct.unpack_from(">h", frame, pos)
    assert frame[pos + 2 : pos + 2 + name_len] == b"t"
    pos += 2 + name_len
    (count,) = struct.unpack_from(">i", frame, pos)
    pos += 4
    found = {}
    for _ in range(count):
        index, length = struct.unpack_from(">ii", frame, pos)
        found[index] = frame[pos + 8 : pos + 8 + length]
        pos += 8 + length
    assert pos == len(frame)
    assert found == {acc.batch_info(i).partition: acc.sealed_batch(i) for i in ids}
    with pytest.raises(KeyError):
        acc.produce_request([999], 1, None, 3, 1, 5000, None)


@pytest.mark.parametrize(
    ("version", "client_id", "transactional_id"),
    [(3, "client-x", None), (8, None, "txn-1"), (9, "c", None), (12, "ü-client", "t" * 300)],
)
def test_produce_request_matches_the_reference_encoder(
    version: int, client_id: str | None, transactional_id: str | None
) -> None:
    """The producer's frames are written in place into a `bytes` object of their computed
    size; the module-level encoder builds them in a growing buffer. Same bytes, every shape:
    flexible or not, with and without a client id and a transactional id, two topics."""
    acc = new_accumulator()
    fill(acc, "t", 0, 2)
    fill(acc, "t", 3, 1)
    fill(acc, "other", 1, 3)
    route = {**routing(), **routing("other")}
    ids = [i for ids in acc.drain(route, 1 << 20, 100).values() for i in ids]
    assert len(ids) == 3
    frame = acc.produce_request(ids, 42, client_id, version, -1, 5000, transactional_id)
    batches = [
        _native.ProduceBatch(
            acc.batch_info(i).topic, acc.batch_info(i).partition, acc.sealed_batch(i)
        )
        for i in ids
    ]
    reference = _native.encode_produce_request(
        42, client_id, version, -1, 5000, transactional_id, batches
    )
    assert frame == reference


def test_sequences_retries_and_epoch_bump() -> None:
    acc = new_accumulator(idempotent=True)
    fill(acc, "t", 0, 27)  # batches of 8, 8, 8, 3
    assert acc.drain(routing(), 1 << 20, 100) == {}, "no producer id yet"
    acc.set_producer_id(77, 0)
    a, b, c = (drained_ids(acc)[0] for _ in range(3))
    assert [parse_batch(acc.sealed_batch(i))["base_sequence"] for i in (a, b, c)] == [0, 8, 16]
    first_bytes = acc.sealed_batch(b)
    # Out-of-order responses: back to the head in sequence order, one at a time.
    acc.retry(c, 100, 0)
    acc.retry(b, 100, 50)
    acc.retry(a, 100, 0)
    assert drained_ids(acc, 120) == [a]
    assert drained_ids(acc, 120) == []
    acc.complete(a)
    assert drained_ids(acc, 120) == [], "b is backing off until 150"
    assert acc.ready(120) == _native.ReadyCheck([], 150)
    assert drained_ids(acc, 150) == [b]
    assert acc.sealed_batch(b) == first_bytes
    # Epoch bump: the unacknowledged b (in flight) and c (queued) restart at 0.
    acc.set_producer_id(77, 1)
    acc.reset_sequences()
    assert parse_batch(acc.sealed_batch(b))["producer_epoch"] == 1
    assert parse_batch(acc.sealed_batch(b))["base_sequence"] == 0
    acc.complete(b)
    assert drained_ids(acc) == [c]
    assert parse_batch(acc.sealed_batch(c))["base_sequence"] == 8
    acc.complete(c)
    d = drained_ids(acc)[0]
    assert parse_batch(acc.sealed_batch(d))["base_sequence"] == 16


def test_split_maps_old_indexes_to_new_batches() -> None:
    acc = new_accumulator(idempotent=True)
    acc.set_producer_id(5, 0)
    handles = fill(acc, "t", 0, 8)
    (big,) = drained_ids(acc)
    runs = acc.split(big)
    assert len(runs) >= 2
    assert [r.first_index for r in runs] == [
        sum(r.count for r in runs[:i]) for i in range(len(runs))
    ]
    values = []
    sequence = 0
    for run in runs:
        new_id, count = run.batch_id, run.count
        assert drained_ids(acc) == [new_id]
        batch = parse_batch(acc.sealed_batch(new_id))
        assert batch["base_sequence"] == sequence
        records = batch["records"]
        assert isinstance(records, list)
        assert len(records) == count
        sequence += count
        values += [r["value"] for r in records]
        acc.complete(new_id)
    assert values == [value(n) for n in range(len(handles))]
    assert acc.used_memory() == 0
    single = fill(acc, "t", 0, 1)[0] >> 32
    assert drained_ids(acc) == [single]
    # Nothing smaller can hold it: no pieces, and it stays in flight for the caller to fail.
    assert acc.split(single) == []
    assert acc.in_flight_batches() == 1
    acc.fail(single)


def test_expire_fail_and_abort_release_memory() -> None:
    acc = new_accumulator()
    fill(acc, "t", 0, 11, now=0)  # two batches
    fill(acc, "t", 1, 1, now=0)
    fill(acc, "t", 2, 1, now=500)
    (sent,) = acc.drain({("t", 1): 1}, 1 << 20, 100).values()
    expired = acc.expire(1000, 1000)
    assert len(expired) == 2
    assert acc.fail(sent[0]) == 1
    assert acc.live_batches() == 1
    assert acc.used_memory() == 61 + RECORD_SIZE
    assert len(acc.abort_all()) == 1
    assert acc.used_memory() == 0
    metrics = acc.metrics()
    assert metrics["records_expired"] == 11
    assert metrics["records_failed"] == 13


def test_append_many_returns_runs_and_stops_when_memory_runs_out() -> None:
    acc = new_accumulator()
    values = [value(n) for n in range(20)]
    runs = acc.append_many("t", 4, values, partition=1, timestamp_ms=5, now_ms=0)
    assert sum(r.count for r in runs) == 20
    assert len(runs) == 3
    assert all(r.first_index == 0 for r in runs)
    assert [acc.batch_info(r.batch_id) for r in runs] == [_native.TopicPartition("t", 1)] * 3

    keys = [f"key-{n}".encode() for n in range(20)]
    runs = acc.append_many("k", 6, values, keys, timestamp_ms=5, now_ms=0)
    position = 0
    for run in runs:
        for key in keys[position : position + run.count]:
            assert acc.batch_info(run.batch_id).partition == _native.partition_for_key(key, 6)
        position += run.count
    assert position == 20

    small = new_accumulator(buffer_memory=1000)
    runs = small.append_many("t", 4, values, partition=0, timestamp_ms=5, now_ms=0)
    done = sum(r.count for r in runs)
    assert 0 < done < 20
    with pytest.raises(BufferFullError):
        small.append_many("t", 4, values[done:], partition=0, timestamp_ms=5, now_ms=0)
    with pytest.raises(SerializationError, match="got 1 keys for 20 values"):
        small.append_many("t", 4, values, [b"k"], timestamp_ms=5, now_ms=0)


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_decode(codec: str) -> None:
    acc = new_accumulator(compression=codec)
    fill(acc, "t", 0, 8)
    (batch_id,) = drained_ids(acc)
    decoded = _native.decode_batches(acc.sealed_batch(batch_id))[0]
    assert decoded["compression"] == codec
    assert [r["value"] for r in decoded["records"]] == [value(n) for n in range(8)]
    metrics = acc.metrics()
    assert metrics["compressed_bytes"] < metrics["uncompressed_bytes"]


def test_close_refuses_appends_and_makes_everything_ready() -> None:
    acc = new_accumulator(linger_ms=1000)
    fill(acc, "t", 0, 1)
    acc.close()
    assert acc.ready(0).partitions == [_native.TopicPartition("t", 0)]
    with pytest.raises(ProducerClosedError, match="closed"):
        acc.append("t", 4, 0, None, b"v", None, 0, 0)
    assert acc.take_failed() == []
