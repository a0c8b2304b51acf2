//! The producer's per-record hot path: partitioners and the record accumulator.
//!
//! - [`partitioner`]: Java-identical murmur2 for keys, the KIP-794 sticky partitioner.
//! - [`accumulator`]: per-partition batch queues and appends ([`Accumulator`]).
//! - `append`, `append_many`, `ready`, `drain`, `lifecycle`, `compressed`: `impl Accumulator`
//!   blocks for appending (one record, or many of a topic in one call), readiness, draining
//!   (sequences, sealing, the Produce request), what follows (complete, retry, split, fail,
//!   expire) and batches back from the compression workers.
//! - `config`, [`batch`], [`queue`], [`memory`], [`metrics`], [`error`]: the state those work on;
//!   [`spare_buffers`]: the records buffers of gone batches, reused by new ones.
//! - [`ratio_estimator`]: how well each topic compresses, hence how full a compressed batch is.
//! - [`workers`]: the compression worker threads and the mailbox batches come back through.
//!
//! Nothing here does I/O (but wake the owner when compressed batches are back) or reads a clock: times are passed in, partition counts come with
//! each append and leaders with each drain.

pub mod accumulator;
mod append;
mod append_many;
pub mod batch;
mod compressed;
mod config;
mod drain;
pub mod error;
mod lifecycle;
pub mod memory;
pub mod metrics;
pub mod partitioner;
pub mod queue;
mod queued;
pub mod ratio_estimator;
mod ready;
pub mod spare_buffers;
#[cfg(test)]
mod test_support;
pub mod workers;

pub use accumulator::{
    Accumulator, AccumulatorConfig, AppendManyOutcome, Appended, BulkAppend, Run,
};
pub use batch::{BatchId, TopicId};
pub use drain::{DrainSelection, Drained, Route};
pub use error::AccumulatorError;
pub use metrics::AccumulatorMetrics;
pub use partitioner::{
    murmur2, partition_for_key, to_positive, validate_partition, PartitionOutOfRange,
    StickyPartitioner,
};
pub use ready::ReadyCheck;
