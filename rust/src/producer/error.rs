//! Errors of the accumulator. Messages reach Python users unchanged, so each says what went
//! wrong and what to change.

use super::batch::BatchId;
use super::partitioner::PartitionOutOfRange;
use crate::protocol::ProtocolError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccumulatorError {
    /// Transient: retry once batches complete and release memory.
    #[error(
        "buffer_memory is full: the record needs {requested} bytes, {available} of {limit} are \
         free until in-flight batches complete"
    )]
    BufferFull {
        requested: usize,
        available: usize,
        limit: usize,
    },

    /// Permanent for this record.
    #[error(
        "the record is {size} bytes when serialized (with the {overhead}-byte batch header), \
         more than {setting}={limit}"
    )]
    RecordTooLarge {
        size: usize,
        overhead: usize,
        limit: usize,
        setting: &'static str,
    },

    #[error(transparent)]
    PartitionOutOfRange(#[from] PartitionOutOfRange),

    #[error("num_partitions must be at least 1, got {0}")]
    InvalidPartitionCount(i32),

    #[error("the accumulator is closed: no more records can be appended")]
    Closed,

    #[error("no batch with id {0}: it already completed, failed or expired")]
    UnknownBatch(BatchId),

    #[error("batch {0} is not in flight (it is still queued, or already gone)")]
    NotInFlight(BatchId),

    #[error("batch {0} has a single record and cannot be split")]
    NotSplittable(BatchId),

    #[error("invalid accumulator setting: {0}")]
    InvalidConfig(String),

    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}
