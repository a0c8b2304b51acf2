//! The one error type of the record layer. Each variant says what was wrong and, where it helps,
//! what would be valid, because these messages reach Python users unchanged as `ValueError`.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RecordError {
    #[error("unknown compression codec {0:?}: expected one of none, gzip, snappy, lz4, zstd")]
    UnknownCodec(String),

    #[error("unknown compression codec id {0} in batch attributes: expected 0 to 4")]
    UnknownCodecId(i16),

    #[error("compression codec {codec} takes no level, got {level}")]
    LevelNotSupported { codec: &'static str, level: i32 },

    #[error("compression level {level} is out of range for {codec}: expected {min}..={max}")]
    LevelOutOfRange {
        codec: &'static str,
        level: i32,
        min: i32,
        max: i32,
    },

    #[error("{codec} compression failed: {reason}")]
    Compress { codec: &'static str, reason: String },

    #[error("{codec} data is malformed: {reason}")]
    Decompress { codec: &'static str, reason: String },

    #[error("{codec} data decompresses to more than the limit of {limit} bytes")]
    DecompressedTooLarge { codec: &'static str, limit: usize },

    #[error("record batch of {size} bytes is larger than the 2147483647 bytes Kafka can frame")]
    BatchTooLarge { size: usize },

    #[error(
        "record batch truncated at offset {offset}: needs {needed} bytes, {available} available"
    )]
    Truncated {
        offset: usize,
        needed: usize,
        available: usize,
    },

    #[error("record batch at offset {offset} has magic {magic}: only magic 2 (record batch v2) is supported")]
    UnsupportedMagic { offset: usize, magic: i8 },

    #[error("record batch at offset {offset} has batchLength {length}: must be at least 49")]
    BadBatchLength { offset: usize, length: i32 },

    #[error("record batch at offset {offset} fails its CRC-32C check: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        offset: usize,
        stored: u32,
        computed: u32,
    },

    #[error("record batch at offset {offset} is malformed: {reason}")]
    Malformed { offset: usize, reason: String },
}
