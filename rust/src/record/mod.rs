//! Record batches (magic 2): encoding, decoding, CRC-32C and compression.
//!
//! - [`builder`]: an open batch ([`BatchBuilder`]) that appends records into one buffer and
//!   seals into wire bytes; [`restamp`] for producer id / epoch / sequence changes on retry.
//! - [`reader`]: a checking decoder for one or more concatenated batches.
//! - [`compression`]: the five codecs with Kafka's framings and KIP-390 levels.

pub mod builder;
pub mod compression;
pub mod error;
pub mod reader;
mod varint;

pub use builder::{
    compress_records, restamp, BatchBuilder, Header, ProducerStamp, RECORD_BATCH_OVERHEAD,
};
pub use compression::{decompress, Codec, Compression, DEFAULT_DECOMPRESSION_LIMIT};
pub use error::RecordError;
pub use reader::{decode_batches, decode_batches_with_limit, DecodedBatch, DecodedRecord};

/// CRC-32C (Castagnoli) as record batches use it.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}
