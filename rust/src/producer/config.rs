//! Accumulator settings, named after the Java producer's configs.

use super::error::AccumulatorError;
use crate::record::Compression;

/// Settings, named after the Java producer's; defaults are the Java 4.x defaults.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // independent switches, each a Java config
pub struct AccumulatorConfig {
    /// `batch.size`: a batch closes when the next record would take it past this many bytes
    /// (uncompressed, header included). Also the sticky partitioner's switch threshold.
    pub batch_size: usize,
    /// `linger.ms`: a batch that is not full becomes sendable this long after its first record.
    pub linger_ms: i64,
    /// `buffer.memory`: the bytes all queued and in-flight records may take together.
    pub buffer_memory: usize,
    /// `max.request.size`: no record (as a batch of one) may exceed it.
    pub max_request_size: usize,
    pub compression: Compression,
    /// `enable.idempotence`: stamp producer id, epoch and per-partition sequences at drain.
    pub idempotent: bool,
    /// Set the transactional bit in batch headers.
    pub transactional: bool,
    /// `partitioner.ignore.keys`: keyed records are spread like unkeyed ones.
    pub partitioner_ignore_keys: bool,
    /// `partitioner.adaptive.partitioning.enable`.
    pub partitioner_adaptive: bool,
    /// Keep at most one batch per partition in flight (`max.in.flight.requests.per.connection`
    /// = 1, Java's `guaranteeMessageOrder`).
    pub mute_while_in_flight: bool,
    /// With a codec: closed batches of at least this many uncompressed bytes (header included)
    /// are compressed on the worker threads while they wait in their queue; smaller ones, and
    /// every batch when `None`, at the drain on the caller's thread.
    pub compress_on_workers_from: Option<usize>,
}

impl Default for AccumulatorConfig {
    fn default() -> Self {
        Self {
            batch_size: 16_384,
            linger_ms: 5,
            buffer_memory: 33_554_432,
            max_request_size: 1_048_576,
            compression: Compression::NONE,
            idempotent: true,
            transactional: false,
            partitioner_ignore_keys: false,
            partitioner_adaptive: true,
            mute_while_in_flight: false,
            compress_on_workers_from: None,
        }
    }
}

impl AccumulatorConfig {
    pub(crate) fn validate(&self) -> Result<(), AccumulatorError> {
        let bad = |s: &str| Err(AccumulatorError::InvalidConfig(s.to_owned()));
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1");
        }
        if self.linger_ms < 0 {
            return bad("linger_ms must not be negative");
        }
        if self.buffer_memory == 0 {
            return bad("buffer_memory must be at least 1");
        }
        if self.max_request_size == 0 {
            return bad("max_request_size must be at least 1");
        }
        if self.transactional && !self.idempotent {
            return bad("transactional batches need idempotence");
        }
        Ok(())
    }
}
