//! The 61-byte header of a record batch (magic 2), as Java's `DefaultRecordBatch` writes it,
//! and the producer stamp that [`restamp`] rewrites in a sealed batch.
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

use super::compression::Codec;
use super::error::RecordError;

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

/// What the records decide in a batch header; the rest is fixed or the stamp's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchShape {
    pub record_count: usize,
    pub base_timestamp: i64,
    /// -1 (Java's `NO_TIMESTAMP`) for a batch without records.
    pub max_timestamp: i64,
    pub codec: Codec,
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

/// Writes the header and the CRC-32C into `batch`, whose first [`RECORD_BATCH_OVERHEAD`]
/// bytes were left for it, followed by the (compressed) records.
pub(crate) fn write_header(
    batch: &mut [u8],
    shape: &BatchShape,
    stamp: &ProducerStamp,
) -> Result<(), RecordError> {
    debug_assert!(
        batch.len() >= RECORD_BATCH_OVERHEAD,
        "body without header room"
    );
    let too_large = || RecordError::BatchTooLarge { size: batch.len() };
    let batch_length =
        i32::try_from(batch.len() - offsets::AFTER_LENGTH).map_err(|_| too_large())?;
    let count = i32::try_from(shape.record_count).map_err(|_| too_large())?;

    put(batch, 0, &0_i64.to_be_bytes());
    put(batch, offsets::BATCH_LENGTH, &batch_length.to_be_bytes());
    put(
        batch,
        offsets::PARTITION_LEADER_EPOCH,
        &(-1_i32).to_be_bytes(),
    );
    batch[offsets::MAGIC] = 2;
    put(
        batch,
        offsets::LAST_OFFSET_DELTA,
        &(count - 1).to_be_bytes(),
    );
    put(
        batch,
        offsets::BASE_TIMESTAMP,
        &shape.base_timestamp.to_be_bytes(),
    );
    put(
        batch,
        offsets::MAX_TIMESTAMP,
        &shape.max_timestamp.to_be_bytes(),
    );
    put(batch, offsets::RECORD_COUNT, &count.to_be_bytes());
    write_stamp(batch, stamp, shape.codec.id());
    Ok(())
}

/// Rewrites producer id / epoch / base sequence / transactional bit in a sealed batch and
/// recomputes the CRC, without recompressing (for epoch bumps and sequence reassignment on
/// retry). `sealed` is one batch as [`BatchBuilder::seal`](super::BatchBuilder::seal) returns it; a slice shorter than
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::builder::{BatchBuilder, Header};
    use crate::record::compression::Compression;
    use crate::record::reader::decode_batches;

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
}
