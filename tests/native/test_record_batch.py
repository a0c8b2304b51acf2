"""Record batch v2 encoding checked by parties other than its own decoder.

- A small decoder written here (struct and a hand-rolled zig-zag varint) parses every field.
- CRC-32C comes from the `crc32c` package; payloads are decompressed with `gzip`, `cramjam`
  (snappy, after stripping the xerial framing here), `lz4.frame` and `zstandard`.
- The Java client's `DefaultRecordBatch` reads them (the harness's Kafka jars; never skipped).
- Hypothesis drives round trips through the bindings and throws malformed input at the decoder.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cramjam
import crc32c as crc32c_reference
import lz4.frame  # type: ignore[import-untyped]
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrokafka import _native
from ferrokafka.testing import KafkaJava

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {name: index for index, name in enumerate(CODECS)}

Headers = list[tuple[str, bytes | None]]
Rec = tuple[int, bytes | None, bytes | None, Headers]

# ---- an independent decoder --------------------------------------------------------------

# baseOffset, batchLength, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta,
# baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, recordCount
BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")
XERIAL_MAGIC = b"\x82SNAPPY\x00"


@dataclass
class Batch:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    payload: bytes = b""
    records: list[Rec] = field(default_factory=list)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    raw = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        raw |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), pos


def read_bytes(data: bytes, pos: int) -> tuple[bytes | None, int]:
    length, pos = read_varint(data, pos)
    if length < 0:
        return None, pos
    return data[pos : pos + length], pos + length


def unframe_xerial(data: bytes) -> bytes:
    assert data[:8] == XERIAL_MAGIC
    assert struct.unpack(">ii", data[8:16]) == (1, 1)
    out, pos = [], 16
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        block = data[pos + 4 : pos + 4 + length]
        assert len(block) == length
        chunk = bytes(cramjam.snappy.decompress_raw(block))
        assert len(chunk) <= 32 * 1024
        out.append(chunk)
        pos += 4 + length
    return b"".join(out)


def reference_decompress(codec: str, data: bytes) -> bytes:
    if codec == "none":
        return data
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "snappy":
        return unframe_xerial(data)
    if codec == "lz4":
        return bytes(lz4.frame.decompress(data))
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def parse_batches(data: bytes) -> list[Batch]:
    batches, pos = [], 0
    while pos < len(data):
        batch = Batch(*BATCH_HEADER.unpack_from(data, pos))
        end = pos + 12 + batch.batch_length
        assert end <= len(data)
        assert crc32c_reference.crc32c(data[pos + 21 : end]) == batch.crc
        batch.payload = data[pos + 61 : end]
        records = reference_decompress(CODECS[batch.attributes & 7], batch.payload)
        cursor = 0
        for index in range(batch.record_count):
            length, cursor = read_varint(records, cursor)
            record_end = cursor + length
            assert records[cursor] == 0  # record attributes
            timestamp_delta, cursor = read_varint(records, cursor + 1)
            offset_delta, cursor = read_varint(records, cursor)
            assert offset_delta == index
            key, cursor = read_bytes(records, cursor)
            value, cursor = read_bytes(records, cursor)
            count, cursor = read_varint(records, cursor)
            headers: Headers = []
            for _ in range(count):
                header_key, cursor = read_bytes(records, cursor)
                header_value, cursor = read_bytes(records, cursor)
                assert header_key is not None
                headers.append((header_key.decode(), header_value))
            assert cursor == record_end
            batch.records.append((batch.base_timestamp + timestamp_delta, key, value, headers))
        assert cursor == len(records)
        batches.append(batch)
        pos = end
    return batches


# ---- fixed examples ----------------------------------------------------------------------


def encode(records: list[Rec], **options: Any) -> bytes:
    """``_native.encode_batch`` of records written here as plain tuples, the form the
    independent reader below returns."""
    return _native.encode_batch([_native.BatchRecord(*r) for r in records], **options)


def sample_records(count: int = 40) -> list[Rec]:
    return [
        (
            1_700_000_000_000 + (i * 7) % 13,
            None if i % 5 == 0 else f"key-{i}".encode(),
            None
            if i % 7 == 3
            else b""
            if i % 7 == 4
            else (b'{"n": %d, "pad": "%s"}' % (i, b"x" * i)),
            [("trace", b"t%d" % i), ("trace", None), ("\u00e9t\u00e9", b"")][: i % 4],
        )
        for i in range(count)
    ]


def test_golden_single_record() -> None:
    sealed = encode([(1000, b"k", b"v", [("h", None)])])
    record = bytes([0x16, 0, 0, 0, 0x02, ord("k"), 0x02, ord("v"), 0x02, 0x02, ord("h"), 0x01])
    after_crc = (
        struct.pack(">hiqqqhii", 0, 0, 1000, 1000, -1, -1, -1, 1) + record
    )  # attributes .. recordCount, then the record
    expected = (
        struct.pack(">qiib", 0, len(after_crc) + 9, -1, 2)
        + struct.pack(">I", crc32c_reference.crc32c(after_crc))
        + after_crc
    )
    assert sealed == expected
    assert _native.RECORD_BATCH_OVERHEAD == 61


@pytest.mark.parametrize("codec", CODECS)
def test_independent_decoder_reads_every_field(codec: str) -> None:
    records = sample_records()
    sealed = encode(
        records,
        compression=codec,
        producer_id=4242,
        producer_epoch=7,
        base_sequence=1000,
        transactional=True,
    )
    (batch,) = parse_batches(sealed)
    assert batch.base_offset == 0
    assert batch.batch_length == len(sealed) - 12
    assert batch.partition_leader_epoch == -1
    assert batch.magic == 2
    # Codec in bits 0-2, CreateTime (bit 3 clear), transactional bit 4, not a control batch.
    assert batch.attributes == CODEC_IDS[codec] | 0x10
    assert batch.last_offset_delta == len(records) - 1
    assert batch.base_timestamp == records[0][0]
    assert batch.max_timestamp == max(r[0] for r in records)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (4242, 7, 1000)
    assert batch.record_count == len(records)
    assert batch.records == records


def test_compression_levels_change_output_not_content() -> None:
    records = sample_records(200)
    for codec, levels in {"gzip": [1, 9], "lz4": [1, 9, 17], "zstd": [-5, 3, 19]}.items():
        sizes = set()
        for level in levels:
            sealed = encode(records, compression=codec, level=level)
            (batch,) = parse_batches(sealed)
            assert batch.records == records
            sizes.add(len(sealed))
        assert len(sizes) > 1, codec


def test_lz4_frame_is_kafkas() -> None:
    payload = b"abc" * 50_000
    frame = _native.compress("lz4", payload)
    # Magic, FLG 0x60 (v1, independent blocks, no checksums, no size), BD 0x40 (64 KiB), HC.
    assert frame[:7] == bytes.fromhex("04224d18604082")
    assert frame[-4:] == b"\x00\x00\x00\x00"
    assert lz4.frame.decompress(frame) == payload
    info = lz4.frame.get_frame_info(frame)
    assert info["block_linked"] is False
    assert info["content_checksum"] is False
    assert info["block_size_id"] == lz4.frame.BLOCKSIZE_MAX64KB


def test_snappy_is_xerial_framed() -> None:
    payload = bytes(range(256)) * 1000
    framed = _native.compress("snappy", payload)
    assert framed[:16] == XERIAL_MAGIC + struct.pack(">ii", 1, 1)
    assert unframe_xerial(framed) == payload


@pytest.mark.parametrize("codec", CODECS[1:])
def test_reads_what_reference_libraries_write(codec: str) -> None:
    payload = b"".join(b'{"id": %d, "name": "user-%d"}' % (i, i % 31) for i in range(5000))
    if codec == "gzip":
        # Two members: Java's GZIPInputStream reads on past the first.
        compressed = gzip.compress(payload) + gzip.compress(b"tail")
    elif codec == "snappy":
        # Plain raw snappy, no xerial framing: snappy-java reads it too.
        compressed = bytes(cramjam.snappy.compress_raw(payload + b"tail"))
    elif codec == "lz4":
        # Linked blocks and a content checksum: legal frames the Java client never writes.
        compressed = lz4.frame.compress(payload + b"tail", content_checksum=True)
    else:
        compressed = zstandard.ZstdCompressor(level=5).compress(payload + b"tail")
    assert _native.decompress(codec, compressed) == payload + b"tail"


@pytest.mark.parametrize(
    ("codec", "level", "message"),
    [
        ("gzip", 0, "compression level 0 is out of range for gzip: expected 1..=9"),
        ("gzip", 10, "compression level 10 is out of range for gzip: expected 1..=9"),
        ("lz4", 0, "compression level 0 is out of range for lz4: expected 1..=17"),
        ("lz4", 18, "compression level 18 is out of range for lz4: expected 1..=17"),
        ("zstd", 23, "compression level 23 is out of range for zstd: expected -131072..=22"),
        ("zstd", -131073, "out of range for zstd"),
        ("snappy", 1, "compression codec snappy takes no level, got 1"),
        ("none", 3, "compression codec none takes no level, got 3"),
        ("brotli", None, 'unknown compression codec "brotli"'),
    ],
)
def test_bad_codec_or_level(codec: str, level: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode([(0, None, b"v", [])], compression=codec, level=level)
    with pytest.raises(ValueError, match=message):
        _native.compress(codec, b"data", level)


def test_level_edges_accepted() -> None:
    for codec, level in [("gzip", -1), ("gzip", 1), ("lz4", 17), ("zstd", -131072), ("zstd", 22)]:
        assert _native.decompress(codec, _native.compress(codec, b"edge" * 100, level)) == (
            b"edge" * 100
        )


def test_empty_record_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one record"):
        encode([])


def test_decompression_bomb_is_refused() -> None:
    bomb = gzip.compress(bytes(80 << 20), compresslevel=1)
    with pytest.raises(ValueError, match="more than the limit of 67108864 bytes"):
        _native.decompress("gzip", bomb)
    claim = b"\xff\xff\xff\xff\x0f\x00"  # raw snappy block claiming 4 GiB
    with pytest.raises(ValueError, match="snappy"):
        _native.decompress("snappy", claim)


def test_crc32c_matches_reference() -> None:
    assert _native.crc32c(b"123456789") == 0xE3069283
    data = os.urandom(100_000)
    assert _native.crc32c(data) == crc32c_reference.crc32c(data)


def test_decode_batches_dict_shape() -> None:
    records = sample_records(5)
    sealed = encode(records, compression="lz4", producer_id=1, producer_epoch=2)
    (batch,) = _native.decode_batches(sealed + sealed)[:1]
    assert batch["compression"] == "lz4"
    assert batch["crc"] == parse_batches(sealed)[0].crc
    assert (batch["log_append_time"], batch["transactional"], batch["control"]) == (
        False,
        False,
        False,
    )
    assert [(r["timestamp"], r["key"], r["value"], r["headers"]) for r in batch["records"]] == (
        records
    )
    assert [r["offset"] for r in batch["records"]] == list(range(5))


# ---- the Java client as a reader ---------------------------------------------------------


def hex_or_none(text: str) -> bytes | None:
    if text == "-":
        return None
    return b"" if text == "=" else bytes.fromhex(text)


def test_java_client_reads_our_batches(tmp_path: Path, kafka_java_runtime: KafkaJava) -> None:
    records = sample_records()
    stamps = {"none": False, "gzip": True, "snappy": False, "lz4": True, "zstd": False}
    data = b"".join(
        encode(
            records,
            compression=codec,
            level={"gzip": 9, "lz4": 12, "zstd": 10}.get(codec),
            producer_id=77,
            producer_epoch=3,
            base_sequence=5,
            transactional=transactional,
        )
        for codec, transactional in stamps.items()
    )
    path = tmp_path / "batches.bin"
    path.write_bytes(data)
    reader = Path(__file__).with_name("record_batch_reader.java")
    result = subprocess.run(
        [kafka_java_runtime.java, "-cp", kafka_java_runtime.classpath, str(reader), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    batch_lines = [line.split() for line in lines if line.startswith("B ")]
    assert [fields[4] for fields in batch_lines] == list(stamps)
    for fields, transactional in zip(batch_lines, stamps.values(), strict=True):
        assert fields[1:4] == ["0", "2", "CreateTime"]
        assert fields[5:] == [
            str(transactional).lower(),
            str(len(records) - 1),
            str(records[0][0]),
            str(max(r[0] for r in records)),
            "77",
            "3",
            "5",
            str(len(records)),
            "-1",
        ]
    seen: list[Rec] = []
    for line in lines:
        if not line.startswith("R "):
            continue
        fields = line.split()
        pairs = fields[6:]
        headers = [
            ((hex_or_none(k) or b"").decode(), hex_or_none(v))
            for k, v in zip(pairs[::2], pairs[1::2], strict=True)
        ]
        assert len(headers) == int(fields[5])
        seen.append((int(fields[2]), hex_or_none(fields[3]), hex_or_none(fields[4]), headers))
        assert int(fields[1]) == (len(seen) - 1) % len(records)
    assert seen == records * len(stamps)


# ---- hypothesis ----------------------------------------------------------------------------

optional_bytes = st.none() | st.binary(max_size=300)
header_lists = st.lists(
    st.tuples(st.sampled_from(["a", "b", "\u00e9", "\U0001f600", ""]), optional_bytes), max_size=4
)
record_lists = st.lists(
    st.tuples(st.integers(0, 2**45), optional_bytes, optional_bytes, header_lists),
    min_size=1,
    max_size=25,
)


@st.composite
def compressions(draw: st.DrawFn) -> tuple[str, int | None]:
    codec = draw(st.sampled_from(CODECS))
    ranges = {"gzip": (1, 9), "lz4": (1, 17), "zstd": (-20, 9)}
    if codec not in ranges or draw(st.booleans()):
        return codec, None
    return codec, draw(st.integers(*ranges[codec]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=record_lists,
    compression=compressions(),
    producer_id=st.integers(-1, 2**63 - 1),
    producer_epoch=st.integers(-1, 2**15 - 1),
    base_sequence=st.integers(-1, 2**31 - 1),
    transactional=st.booleans(),
)
def test_round_trip(
    records: list[Rec],
    compression: tuple[str, int | None],
    producer_id: int,
    producer_epoch: int,
    base_sequence: int,
    transactional: bool,
) -> None:
    codec, level = compression
    sealed = encode(
        records,
        compression=codec,
        level=level,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=base_sequence,
        transactional=transactional,
    )
    (ours,) = _native.decode_batches(sealed)
    assert [(r["timestamp"], r["key"], r["value"], r["headers"]) for r in ours["records"]] == (
        records
    )
    assert (ours["producer_id"], ours["producer_epoch"], ours["base_sequence"]) == (
        producer_id,
        producer_epoch,
        base_sequence,
    )
    assert ours["transactional"] is transactional
    (theirs,) = parse_batches(sealed)
    assert theirs.records == records
    assert theirs.crc == ours["crc"]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_raise_value_error(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        _native.decode_batches(data)
    for codec in CODECS[1:]:
        with contextlib.suppress(ValueError):
            _native.decompress(codec, data)


@settings(max_examples=200, deadline=None)
@given(
    codec=st.sampled_from(CODECS),
    cut=st.integers(min_value=1),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=4),
)
def test_damaged_batches_raise_value_error(
    codec: str, cut: int, flips: list[tuple[int, int]]
) -> None:
    original = encode(sample_records(10), compression=codec)
    with pytest.raises(ValueError, match=r"truncated|batch"):
        _native.decode_batches(original[: 1 + cut % (len(original) - 1)])
    damaged = bytearray(original)
    for at, mask in flips:
        damaged[at % len(damaged)] ^= mask
    with contextlib.suppress(ValueError):
        _native.decode_batches(bytes(damaged))
    # Everything from the magic byte on is covered by the magic or the CRC check; only
    # baseOffset, batchLength and partitionLeaderEpoch lie outside.
    if bytes(damaged) != original and all(at % len(damaged) >= 16 for at, _ in flips):
        with pytest.raises(ValueError, match=r"fails its CRC-32C check|has magic"):
            _native.decode_batches(bytes(damaged))
