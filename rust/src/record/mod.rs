//! Record batches (magic 2): encoding, decoding, CRC-32C and compression.
//!
//! - [`builder`]: an open batch ([`BatchBuilder`]) that appends records into one buffer and
//!   seals into wire bytes.
//! - [`batch_header`]: the 61-byte batch header; [`restamp`] for producer id / epoch /
//!   sequence changes on retry.
//! - [`reader`]: a checking decoder for one or more concatenated batches.
//! - [`compression`]: the five codecs with Kafka's framings and KIP-390 levels.

pub mod batch_header;
pub mod builder;
pub mod compression;
pub mod error;
pub mod reader;
#[cfg(test)]
mod round_trip_tests;
mod varint;

pub use batch_header::{restamp, ProducerStamp, RECORD_BATCH_OVERHEAD};
pub use builder::{compress_buffer, compress_records, BatchBuilder, Header};
pub use compression::{decompress, Codec, Compression, DEFAULT_DECOMPRESSION_LIMIT};
pub use error::RecordError;
pub use reader::{decode_batches, decode_batches_with_limit, DecodedBatch, DecodedRecord};

/// CRC-32C (Castagnoli) as record batches use it.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}
