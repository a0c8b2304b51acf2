//! Building record batches (magic 2), laid out as Java's `DefaultRecordBatch` and
//! `DefaultRecord` write them.
//!
//! Batch header, 61 bytes, big-endian:
//!
//! ```text
//! offset  field                 value written here
//!  0      baseOffset      i64   0 (the broker assigns offsets)
//!  8      batchLength     i32   bytes after this field
//! 12      partitionLeaderEpoch  -1 (a producer does not know it)
//! 16      magic           i8    2
//! 17      crc             u32   CRC-32C of bytes 21.. (attributes to the end)
//! 21      attributes      i16   codec | transactional << 4 (CreateTime: bit 3 clear)
//! 23      lastOffsetDelta i32   record count - 1
//! 27      baseTimestamp   i64
//! 35      maxTimestamp    i64
//! 43      producerId      i64
//! 51      producerEpoch   i16
//! 53      baseSequence    i32
//! 57      recordCount     i32
//! 61      records (compressed as a whole when a codec is set)
//! ```
//!
//! Record, all lengths and deltas zig-zag varints:
//! `length, attributes i8 (0), timestampDelta varlong, offsetDelta, keyLength (-1 = null), key,
//! valueLength (-1 = null), value, headerCount, [keyLength, key (UTF-8), valueLength, value]*`.

use super::compression::{Codec, Compression};
use super::error::RecordError;
use super::varint::{read_varint, read_varlong, varlong_size, write_varlong};

pub const RECORD_BATCH_OVERHEAD: usize = 61;

/// Byte offsets of the header fields listed in the module docs.
pub(crate) mod offsets {
    pub const BATCH_LENGTH: usize = 8;
    pub const PARTITION_LEADER_EPOCH: usize = 12;
    pub const MAGIC: usize = 16;
    pub const CRC: usize = 17;
    pub const ATTRIBUTES: usize = 21;
    pub const LAST_OFFSET_DELTA: usize = 23;
    pub const BASE_TIMESTAMP: usize = 27;
    pub const MAX_TIMESTAMP: usize = 35;
    pub const PRODUCER_ID: usize = 43;
    pub const PRODUCER_EPOCH: usize = 51;
    pub const BASE_SEQUENCE: usize = 53;
    pub const RECORD_COUNT: usize = 57;
    /// `batchLength` counts from here.
    pub const AFTER_LENGTH: usize = 12;
}

pub(crate) const CODEC_MASK: i16 = 0x07;
pub(crate) const TIMESTAMP_TYPE_FLAG: i16 = 0x08;
pub(crate) const TRANSACTIONAL_FLAG: i16 = 0x10;
pub(crate) const CONTROL_FLAG: i16 = 0x20;

/// Java's `RecordBatch.NO_TIMESTAMP`: the max timestamp of a batch without records.
const NO_TIMESTAMP: i64 = -1;

/// A record header; `value: None` is written as length -1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub key: &'a str,
    pub value: Option<&'a [u8]>,
}

/// The idempotence and transaction fields of a batch header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProducerStamp {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
}

impl ProducerStamp {
    /// What a producer without idempotence writes (Java's `NO_PRODUCER_ID` and friends).
    pub const NO_PRODUCER: ProducerStamp = ProducerStamp {
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        transactional: false,
    };
}

impl Default for ProducerStamp {
    fn default() -> Self {
        ProducerStamp::NO_PRODUCER
    }
}

/// An open batch: records encoded back to back in one buffer, uncompressed, ready to be sealed
/// (possibly several times, with different stamps) or split.
#[derive(Clone, Debug)]
pub struct BatchBuilder {
    base_timestamp: i64,
    max_timestamp: i64,
    /// Encoded records without the batch header.
    records: Vec<u8>,
    /// Each record's `CreateTime`, for per-record delivery metadata; 8 bytes a record is small
    /// next to the record itself and saves re-parsing the buffer.
    timestamps: Vec<i64>,
}

impl BatchBuilder {
    pub fn new(base_timestamp: i64, capacity_hint: usize) -> Self {
        BatchBuilder {
            base_timestamp,
            max_timestamp: NO_TIMESTAMP,
            records: Vec::with_capacity(capacity_hint.saturating_sub(RECORD_BATCH_OVERHEAD)),
            timestamps: Vec::new(),
        }
    }

    /// Exact encoded size of a record if appended now (used for the `batch_size` fit check
    /// before appending).
    pub fn size_of_next(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let body = self.body_size(timestamp, key, value, headers);
        varlong_size(body as i64) + body
    }

    fn body_size(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let mut size = 1 // attributes
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + bytes_size(key)
            + bytes_size(value)
            + varlong_size(headers.len() as i64);
        for header in headers {
            size += bytes_size(Some(header.key.as_bytes())) + bytes_size(header.value);
        }
        size
    }

    /// Writes the record straight into the one buffer (no per-record heap objects); returns its
    /// encoded size.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let body = self.body_size(timestamp, key, value, headers);
        let total = varlong_size(body as i64) + body;
        let out = &mut self.records;
        out.reserve(total);
        write_varlong(out, body as i64);
        out.push(0); // record attributes: unused in v2
        write_varlong(out, timestamp.wrapping_sub(self.base_timestamp));
        write_varlong(out, self.timestamps.len() as i64);
        write_bytes(out, key);
        write_bytes(out, value);
        write_varlong(out, headers.len() as i64);
        for header in headers {
            write_bytes(out, Some(header.key.as_bytes()));
            write_bytes(out, header.value);
        }
        self.timestamps.push(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        total
    }

    pub fn record_count(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// `RECORD_BATCH_OVERHEAD` plus the uncompressed records.
    pub fn size_in_bytes(&self) -> usize {
        RECORD_BATCH_OVERHEAD + self.records.len()
    }

    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }

    /// The largest record timestamp, or -1 (Java's `NO_TIMESTAMP`) while the batch is empty.
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    /// The `CreateTime` of record `index`, in append order.
    pub fn timestamp_of(&self, index: usize) -> i64 {
        self.timestamps[index]
    }

    /// The encoded records, uncompressed, without the batch header.
    pub fn records_bytes(&self) -> &[u8] {
        &self.records
    }

    /// Encodes the whole batch: header, compressed records, CRC-32C. Does not consume the
    /// builder (the uncompressed records stay for splitting and re-sealing).
    pub fn seal(
        &self,
        stamp: &ProducerStamp,
        compression: &Compression,
    ) -> Result<Vec<u8>, RecordError> {
        let body = compress_records(&self.records, compression)?;
        self.frame(body, stamp, compression.codec)
    }

    /// Moves the encoded records out, for compression elsewhere; until
    /// [`Self::restore_records`] the builder holds no records bytes (its record count and
    /// timestamps stay).
    pub fn take_records(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.records)
    }

    /// Puts back what [`Self::take_records`] moved out.
    pub fn restore_records(&mut self, records: Vec<u8>) {
        self.records = records;
    }

    /// Writes the header of this batch and its CRC-32C into `body`, which is
    /// [`compress_records`]' output for this builder's records with `codec`.
    pub fn frame(
        &self,
        mut out: Vec<u8>,
        stamp: &ProducerStamp,
        codec: Codec,
    ) -> Result<Vec<u8>, RecordError> {
        debug_assert!(
            out.len() >= RECORD_BATCH_OVERHEAD,
            "body without header room"
        );
        let batch_length = i32::try_from(out.len() - offsets::AFTER_LENGTH)
            .map_err(|_| RecordError::BatchTooLarge { size: out.len() })?;
        let count = i32::try_from(self.timestamps.len())
            .map_err(|_| RecordError::BatchTooLarge { size: out.len() })?;

        put(&mut out, 0, &0_i64.to_be_bytes());
        put(&mut out, offsets::BATCH_LENGTH, &batch_length.to_be_bytes());
        put(
            &mut out,
            offsets::PARTITION_LEADER_EPOCH,
            &(-1_i32).to_be_bytes(),
        );
        out[offsets::MAGIC] = 2;
        put(
            &mut out,
            offsets::LAST_OFFSET_DELTA,
            &(count - 1).to_be_bytes(),
        );
        put(
            &mut out,
            offsets::BASE_TIMESTAMP,
            &self.base_timestamp.to_be_bytes(),
        );
        put(
            &mut out,
            offsets::MAX_TIMESTAMP,
            &self.max_timestamp.to_be_bytes(),
        );
        put(&mut out, offsets::RECORD_COUNT, &count.to_be_bytes());
        write_stamp(&mut out, stamp, codec.id());
        Ok(out)
    }

    /// Splits into builders of at most `max_bytes` each (by `size_in_bytes`), keeping order.
    /// A record larger than `max_bytes` on its own gets a builder of its own. The pieces keep
    /// this builder's base timestamp; offset deltas restart at 0 in each.
    pub fn split(&self, max_bytes: usize) -> Vec<BatchBuilder> {
        let mut pieces = Vec::new();
        let mut current =
            BatchBuilder::new(self.base_timestamp, max_bytes.min(self.size_in_bytes()));
        let mut pos = 0;
        for &timestamp in &self.timestamps {
            let (start_of_rest, end) = record_span(&self.records, pos);
            let rest = &self.records[start_of_rest..end];
            pos = end;
            let size = current.reencoded_size(timestamp, rest.len());
            if !current.is_empty() && current.size_in_bytes() + size > max_bytes {
                let capacity = max_bytes.min(self.size_in_bytes());
                pieces.push(std::mem::replace(
                    &mut current,
                    BatchBuilder::new(self.base_timestamp, capacity),
                ));
            }
            current.append_encoded(timestamp, rest);
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    }

    fn reencoded_size(&self, timestamp: i64, rest_len: usize) -> usize {
        let body = 1
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + rest_len;
        varlong_size(body as i64) + body
    }

    /// Appends a record whose key, value and headers are already encoded (`rest`).
    fn append_encoded(&mut self, timestamp: i64, rest: &[u8]) {
        let body = 1
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + rest.len();
        let out = &mut self.records;
        write_varlong(out, body as i64);
        out.push(0);
        write_varlong(out, timestamp.wrapping_sub(self.base_timestamp));
        write_varlong(out, self.timestamps.len() as i64);
        out.extend_from_slice(rest);
        self.timestamps.push(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }
}

/// A batch's records compressed after room for its header: what [`BatchBuilder::frame`]
/// completes. Needs nothing but the records, so it can run on any thread.
pub fn compress_records(records: &[u8], compression: &Compression) -> Result<Vec<u8>, RecordError> {
    compression.compress_after(RECORD_BATCH_OVERHEAD, records)
}

/// For the record starting at `pos` in a buffer this module wrote: where its key length starts
/// and where the record ends.
fn record_span(records: &[u8], pos: usize) -> (usize, usize) {
    let mut cursor = pos;
    let body = read_varint(records, &mut cursor).expect("record length written by append");
    let end = cursor + body as usize;
    cursor += 1; // attributes
    read_varlong(records, &mut cursor).expect("timestamp delta written by append");
    read_varint(records, &mut cursor).expect("offset delta written by append");
    (cursor, end)
}

/// Rewrites producer id / epoch / base sequence / transactional bit in a sealed batch and
/// recomputes the CRC, without recompressing (for epoch bumps and sequence reassignment on
/// retry). `sealed` is one batch as [`BatchBuilder::seal`] returns it; a slice shorter than
/// a batch header is left alone.
pub fn restamp(sealed: &mut [u8], stamp: &ProducerStamp) {
    if sealed.len() < RECORD_BATCH_OVERHEAD {
        debug_assert!(
            false,
            "restamp of {} bytes: not a sealed batch",
            sealed.len()
        );
        return;
    }
    let attributes =
        i16::from_be_bytes([sealed[offsets::ATTRIBUTES], sealed[offsets::ATTRIBUTES + 1]]);
    write_stamp(sealed, stamp, attributes & !TRANSACTIONAL_FLAG);
}

/// Writes the stamp and the attributes (`other_attributes` plus the stamp's transactional bit),
/// then the CRC over everything after it.
fn write_stamp(batch: &mut [u8], stamp: &ProducerStamp, other_attributes: i16) {
    let attributes = other_attributes
        | if stamp.transactional {
            TRANSACTIONAL_FLAG
        } else {
            0
        };
    put(batch, offsets::ATTRIBUTES, &attributes.to_be_bytes());
    put(
        batch,
        offsets::PRODUCER_ID,
        &stamp.producer_id.to_be_bytes(),
    );
    put(
        batch,
        offsets::PRODUCER_EPOCH,
        &stamp.producer_epoch.to_be_bytes(),
    );
    put(
        batch,
        offsets::BASE_SEQUENCE,
        &stamp.base_sequence.to_be_bytes(),
    );
    let crc = crc32c::crc32c(&batch[offsets::ATTRIBUTES..]);
    put(batch, offsets::CRC, &crc.to_be_bytes());
}

#[inline]
fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    out[at..at + bytes.len()].copy_from_slice(bytes);
}

#[inline]
fn bytes_size(bytes: Option<&[u8]>) -> usize {
    match bytes {
        None => 1, // -1
        Some(b) => varlong_size(b.len() as i64) + b.len(),
    }
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => write_varlong(out, -1),
        Some(b) => {
            write_varlong(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::compression::Codec;
    use crate::record::reader::decode_batches;
    use proptest::prelude::*;

    #[test]
    fn golden_single_record_batch() {
        let mut builder = BatchBuilder::new(1000, 0);
        let headers = [Header {
            key: "h",
            value: None,
        }];
        let size = builder.append(1000, Some(b"k"), Some(b"v"), &headers);
        assert_eq!(size, 12);
        let sealed = builder
            .seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE)
            .unwrap();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[0, 0, 0, 0, 0, 0, 0, 0][..],      // baseOffset
            &[0, 0, 0, 61],                     // batchLength: 73 - 12
            &[0xff, 0xff, 0xff, 0xff],          // partitionLeaderEpoch -1
            &[2],                               // magic
            &[0x57, 0x86, 0x92, 0x49],          // CRC-32C of bytes 21..73
            &[0, 0],                            // attributes: none, CreateTime
            &[0, 0, 0, 0],                      // lastOffsetDelta
            &[0, 0, 0, 0, 0, 0, 0x03, 0xe8],    // baseTimestamp 1000
            &[0, 0, 0, 0, 0, 0, 0x03, 0xe8],    // maxTimestamp 1000
            &[0xff; 8],                         // producerId -1
            &[0xff, 0xff],                      // producerEpoch -1
            &[0xff, 0xff, 0xff, 0xff],          // baseSequence -1
            &[0, 0, 0, 1],                      // recordCount
            &[0x16],                            // record length 11
            &[0],                               // attributes
            &[0],                               // timestampDelta 0
            &[0],                               // offsetDelta 0
            &[0x02, b'k'],                      // key
            &[0x02, b'v'],                      // value
            &[0x02],                            // one header
            &[0x02, b'h', 0x01],                // "h" => null
        ]
        .concat();
        assert_eq!(sealed, expected);
    }

    #[test]
    fn header_fields_and_stamp() {
        let mut builder = BatchBuilder::new(5_000, 1024);
        builder.append(5_010, None, Some(b"a"), &[]);
        builder.append(4_990, Some(b"b"), None, &[]);
        builder.append(5_003, None, None, &[]);
        assert_eq!(builder.max_timestamp(), 5_010);
        assert_eq!(
            (0..3).map(|i| builder.timestamp_of(i)).collect::<Vec<_>>(),
            [5_010, 4_990, 5_003]
        );
        let stamp = ProducerStamp {
            producer_id: 77,
            producer_epoch: 3,
            base_sequence: 41,
            transactional: true,
        };
        let compression = Compression::parse("zstd", None).unwrap();
        let sealed = builder.seal(&stamp, &compression).unwrap();
        let batch = &decode_batches(&sealed).unwrap()[0];
        assert_eq!(batch.attributes, Codec::Zstd.id() | TRANSACTIONAL_FLAG);
        assert_eq!(batch.last_offset_delta, 2);
        assert_eq!(batch.record_count, 3);
        assert_eq!(batch.base_timestamp, 5_000);
        assert_eq!(batch.max_timestamp, 5_010);
        assert_eq!(batch.partition_leader_epoch, -1);
        assert_eq!(
            (batch.producer_id, batch.producer_epoch, batch.base_sequence),
            (77, 3, 41)
        );
        assert_eq!(batch.records[1].timestamp, 4_990);
        assert_eq!(batch.records[1].offset, 1);
    }

    #[test]
    fn restamp_changes_only_stamp_and_crc() {
        let mut builder = BatchBuilder::new(0, 0);
        for i in 0..50_u8 {
            builder.append(i64::from(i), Some(&[i]), Some(&[i; 40]), &[]);
        }
        let compression = Compression::parse("lz4", None).unwrap();
        let mut sealed = builder
            .seal(&ProducerStamp::NO_PRODUCER, &compression)
            .unwrap();
        let stamp = ProducerStamp {
            producer_id: 9,
            producer_epoch: 1,
            base_sequence: 100,
            transactional: true,
        };
        restamp(&mut sealed, &stamp);
        assert_eq!(sealed, builder.seal(&stamp, &compression).unwrap());
        restamp(&mut sealed, &ProducerStamp::NO_PRODUCER);
        assert_eq!(
            sealed,
            builder
                .seal(&ProducerStamp::NO_PRODUCER, &compression)
                .unwrap()
        );
    }

    #[test]
    fn split_keeps_order_and_bounds() {
        let mut builder = BatchBuilder::new(100, 0);
        for i in 0..200_u32 {
            let value = vec![b'x'; (i % 37) as usize * 10];
            let key = i.to_be_bytes();
            let headers = [Header {
                key: "i",
                value: Some(&key),
            }];
            builder.append(100 + i64::from(i), Some(&key), Some(&value), &headers);
        }
        let pieces = builder.split(1_000);
        assert!(pieces.len() > 1);
        let mut next = 0_u32;
        for piece in &pieces {
            assert!(piece.size_in_bytes() <= 1_000 || piece.record_count() == 1);
            let sealed = piece
                .seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE)
                .unwrap();
            assert_eq!(sealed.len(), piece.size_in_bytes());
            for (offset, record) in decode_batches(&sealed).unwrap()[0]
                .records
                .iter()
                .enumerate()
            {
                assert_eq!(record.offset, offset as i64);
                assert_eq!(record.key.as_deref(), Some(&next.to_be_bytes()[..]));
                assert_eq!(record.timestamp, 100 + i64::from(next));
                assert_eq!(
                    record.headers,
                    [("i".to_owned(), Some(next.to_be_bytes().to_vec()))]
                );
                next += 1;
            }
        }
        assert_eq!(next, 200);

        // A record larger than the bound alone gets a piece of its own.
        let mut big = BatchBuilder::new(0, 0);
        big.append(0, None, Some(&[0; 10]), &[]);
        big.append(0, None, Some(&[0; 500]), &[]);
        big.append(0, None, Some(&[0; 10]), &[]);
        let sizes: Vec<usize> = big
            .split(200)
            .iter()
            .map(BatchBuilder::record_count)
            .collect();
        assert_eq!(sizes, [1, 1, 1]);
    }

    #[test]
    fn empty_batch() {
        let builder = BatchBuilder::new(7, 0);
        assert_eq!(builder.max_timestamp(), -1);
        let sealed = builder
            .seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE)
            .unwrap();
        assert_eq!(sealed.len(), RECORD_BATCH_OVERHEAD);
        let batch = &decode_batches(&sealed).unwrap()[0];
        assert_eq!((batch.record_count, batch.last_offset_delta), (0, -1));
        assert!(builder.split(100).is_empty());
    }

    type Record = (
        i64,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Vec<(String, Option<Vec<u8>>)>,
    );

    fn record() -> impl Strategy<Value = Record> {
        let bytes = proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300));
        // A small key alphabet makes duplicate header keys common.
        let header = ("[a-c\u{e9}\u{1F600}]{0,3}", bytes.clone());
        (
            -1_i64..(1_i64 << 45),
            bytes.clone(),
            bytes,
            proptest::collection::vec(header, 0..5),
        )
    }

    fn compression() -> impl Strategy<Value = Compression> {
        (0..Codec::ALL.len(), any::<u32>()).prop_map(|(index, raw)| {
            let codec = Codec::ALL[index];
            let level = codec.level_range().and_then(|(min, max, _)| {
                // Keep zstd to its fast half; its negative levels are quick too.
                let (min, max) = if codec == Codec::Zstd {
                    (-50, 6)
                } else {
                    (min, max)
                };
                (raw % 3 != 0).then(|| min + (raw % (max - min + 1) as u32) as i32)
            });
            Compression::new(codec, level).unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn round_trip(
            base in -1_i64..(1_i64 << 45),
            records in proptest::collection::vec(record(), 0..40),
            compression in compression(),
            producer_id in -1_i64..1_000_000,
            producer_epoch in -1_i16..100,
            base_sequence in -1_i32..i32::MAX,
            transactional: bool,
        ) {
            let mut builder = BatchBuilder::new(base, 0);
            for (timestamp, key, value, headers) in &records {
                let headers: Vec<Header<'_>> = headers
                    .iter()
                    .map(|(k, v)| Header { key: k, value: v.as_deref() })
                    .collect();
                let expected = builder.size_of_next(*timestamp, key.as_deref(), value.as_deref(), &headers);
                let before = builder.size_in_bytes();
                let size = builder.append(*timestamp, key.as_deref(), value.as_deref(), &headers);
                prop_assert_eq!(size, expected);
                prop_assert_eq!(builder.size_in_bytes(), before + size);
            }
            let stamp = ProducerStamp { producer_id, producer_epoch, base_sequence, transactional };
            let sealed = builder.seal(&stamp, &compression).unwrap();
            if compression.codec == Codec::None {
                prop_assert_eq!(sealed.len(), builder.size_in_bytes());
            }
            let batches = decode_batches(&sealed).unwrap();
            prop_assert_eq!(batches.len(), 1);
            let batch = &batches[0];
            prop_assert_eq!(batch.codec, compression.codec);
            prop_assert_eq!(batch.transactional, transactional);
            prop_assert_eq!(batch.producer_id, producer_id);
            prop_assert_eq!(batch.producer_epoch, producer_epoch);
            prop_assert_eq!(batch.base_sequence, base_sequence);
            prop_assert_eq!(batch.record_count as usize, records.len());
            prop_assert_eq!(batch.max_timestamp, records.iter().map(|r| r.0).max().unwrap_or(-1).max(-1));
            for (index, (decoded, (timestamp, key, value, headers))) in batch.records.iter().zip(&records).enumerate() {
                prop_assert_eq!(decoded.offset, index as i64);
                prop_assert_eq!(decoded.timestamp, *timestamp);
                prop_assert_eq!(&decoded.key, key);
                prop_assert_eq!(&decoded.value, value);
                prop_assert_eq!(&decoded.headers, headers);
            }
        }

        #[test]
        fn split_then_seal_round_trips(
            records in proptest::collection::vec(record(), 1..40),
            max_bytes in 61_usize..3_000,
        ) {
            let mut builder = BatchBuilder::new(0, 0);
            for (timestamp, key, value, _) in &records {
                builder.append(*timestamp, key.as_deref(), value.as_deref(), &[]);
            }
            let pieces = builder.split(max_bytes);
            let mut decoded = Vec::new();
            for piece in &pieces {
                prop_assert!(piece.size_in_bytes() <= max_bytes || piece.record_count() == 1);
                let sealed = piece.seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE).unwrap();
                decoded.extend(decode_batches(&sealed).unwrap().remove(0).records);
            }
            prop_assert_eq!(decoded.len(), records.len());
            for (got, (timestamp, key, value, _)) in decoded.iter().zip(&records) {
                prop_assert_eq!(got.timestamp, *timestamp);
                prop_assert_eq!(&got.key, key);
                prop_assert_eq!(&got.value, value);
            }
        }
    }
}
