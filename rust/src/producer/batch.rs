//! One batch as the accumulator tracks it, from its first record to its completion.
//!
//! State machine (each arrow is an accumulator call):
//!
//! ```text
//! open ──(next record does not fit / drained)──▶ closed, queued
//! queued ──drain──▶ in flight ──complete / fail──▶ gone
//!                   in flight ──retry──▶ queued (at the head, backing off)
//!                   in flight ──split──▶ gone, replaced by smaller queued batches
//! queued ──expire / fail / abort──▶ gone
//! ```

use super::ratio_estimator::RatioEstimator;
use super::workers::Ticket;
use crate::record::{restamp, BatchBuilder, ProducerStamp, RecordError};

/// Identifies a live batch. Ids wrap after 2^32 batches; an id still in use is never reused.
pub type BatchId = u32;

/// Index of a topic inside the accumulator, stable for its lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicId(pub(crate) u32);

impl TopicId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug)]
pub struct Batch {
    pub id: BatchId,
    pub topic: TopicId,
    pub partition: i32,
    /// The records, uncompressed; kept after sealing so the batch can be split or re-sealed.
    pub builder: BatchBuilder,
    /// Bytes this batch holds in `BufferMemory`; released in one step when the batch is gone.
    pub reserved: usize,
    /// When the first record was appended: linger and delivery timeout count from here, and
    /// split batches inherit it (as in Java) so splitting cannot extend a record's life.
    pub created_ms: i64,
    /// No more appends: the next record did not fit, or the batch was drained once.
    pub closed: bool,
    /// Uncompressed bytes (header included) at which the batch is full: `batch_size`, or with
    /// a codec what is expected to compress to it (see `ratio_estimator.rs`). Fixed when the
    /// batch opens, as Java fixes a batch's estimated ratio; a batch made whole (a split
    /// piece) is full as it is.
    pub fill_limit: usize,
    /// Sent back by `retry` at least once: then it backs off and ignores linger. How many
    /// tries it had is the sender's count (Python's in-flight registry), kept once.
    pub retried: bool,
    /// A retried batch is not drained before this time.
    pub retry_at_ms: i64,
    /// Producer id, epoch and base sequence once assigned at the first drain (idempotence).
    /// A batch keeps its sequence across retries so the broker can detect duplicates.
    pub stamp: Option<ProducerStamp>,
    /// The wire bytes, made at the first drain and reused by retries; always match `stamp`.
    /// Read through [`Batch::wire_bytes`].
    pub sealed: Sealed,
    /// Compression ahead of the drain, on the worker threads (see `workers.rs`).
    pub compressing: Compressing,
}

/// Where a batch's wire bytes are, once its first drain sealed it.
#[derive(Debug, Default)]
pub enum Sealed {
    #[default]
    No,
    /// Without compression: the builder's own buffer, whose header room now holds the header.
    InPlace,
    /// Compressed: the header and the compressed records.
    Owned(Vec<u8>),
}

/// Where a batch's compression stands before its first drain.
#[derive(Debug, Default)]
pub enum Compressing {
    /// Not handed over: the drain compresses it (no codec, a small batch, a split piece).
    #[default]
    NotStarted,
    /// On a worker, with its records: not drainable until it comes back.
    OnWorker(Ticket),
    /// Back from a worker: the compressed records after room for the header, which the drain
    /// writes with the batch's stamp; or why compression failed (the drain fails the batch).
    Done(Result<Vec<u8>, RecordError>),
}

impl Batch {
    pub fn new(
        id: BatchId,
        topic: TopicId,
        partition: i32,
        builder: BatchBuilder,
        created_ms: i64,
    ) -> Self {
        Self {
            id,
            topic,
            partition,
            fill_limit: builder.size_in_bytes(),
            builder,
            reserved: 0,
            created_ms,
            closed: false,
            retried: false,
            retry_at_ms: 0,
            stamp: None,
            sealed: Sealed::No,
            compressing: Compressing::NotStarted,
        }
    }

    pub fn record_count(&self) -> usize {
        self.builder.record_count()
    }

    pub fn base_sequence(&self) -> Option<i32> {
        self.stamp.map(|s| s.base_sequence)
    }

    /// Full for readiness: closed, or at its fill limit already.
    pub fn is_full(&self) -> bool {
        self.closed || self.builder.size_in_bytes() >= self.fill_limit
    }

    pub fn is_backing_off(&self, now_ms: i64) -> bool {
        self.retried && now_ms < self.retry_at_ms
    }

    /// The batch as it goes on the wire, once sealed.
    pub fn wire_bytes(&self) -> Option<&[u8]> {
        match &self.sealed {
            Sealed::No => None,
            Sealed::InPlace => Some(self.builder.sealed_in_place()),
            Sealed::Owned(bytes) => Some(bytes),
        }
    }

    pub fn is_sealed(&self) -> bool {
        !matches!(self.sealed, Sealed::No)
    }

    /// Bytes the batch will take in a request: exact once sealed, else as its topic's
    /// compression ratio expects.
    pub fn estimated_wire_size(&self, ratio: &RatioEstimator) -> usize {
        match self.wire_bytes() {
            Some(bytes) => bytes.len(),
            None => ratio.wire_size(self.builder.size_in_bytes()),
        }
    }

    /// Changes producer id, epoch or sequence; the sealed bytes follow without recompression.
    pub fn set_stamp(&mut self, stamp: ProducerStamp) {
        self.stamp = Some(stamp);
        match &mut self.sealed {
            Sealed::No => {}
            Sealed::InPlace => restamp(self.builder.sealed_in_place_mut(), &stamp),
            Sealed::Owned(bytes) => restamp(bytes, &stamp),
        }
    }
}

/// Java's `DefaultRecordBatch.incrementSequence`: sequences wrap from `i32::MAX` to 0.
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{decode_batches, Compression};

    #[test]
    fn sequence_wraps_like_java() {
        assert_eq!(increment_sequence(0, 5), 5);
        assert_eq!(increment_sequence(i32::MAX - 2, 2), i32::MAX);
        assert_eq!(increment_sequence(i32::MAX - 2, 3), 0);
        assert_eq!(increment_sequence(i32::MAX, 10), 9);
    }

    #[test]
    fn restamping_keeps_sealed_bytes_in_step() {
        let mut builder = BatchBuilder::new(10, 0);
        builder.append(10, None, Some(b"v"), &[]);
        builder.append(11, None, Some(b"w"), &[]);
        let mut batch = Batch::new(1, TopicId(0), 0, builder, 5);
        let first = ProducerStamp {
            producer_id: 7,
            producer_epoch: 1,
            base_sequence: 40,
            transactional: false,
        };
        batch.set_stamp(first);
        batch.sealed = Sealed::Owned(batch.builder.seal(&first, &Compression::NONE).unwrap());
        batch.set_stamp(ProducerStamp {
            producer_epoch: 2,
            base_sequence: 0,
            ..first
        });
        let decoded = decode_batches(batch.wire_bytes().unwrap()).unwrap();
        assert_eq!(decoded[0].producer_epoch, 2);
        assert_eq!(decoded[0].base_sequence, 0);
        assert_eq!(batch.base_sequence(), Some(0));
        assert_eq!(
            (batch.builder.timestamp_of(0), batch.builder.timestamp_of(1)),
            (10, 11)
        );
    }

    #[test]
    fn a_batch_sealed_in_place_restamps_in_place() {
        let mut builder = BatchBuilder::new(10, 0);
        builder.append(10, Some(b"k"), Some(b"v"), &[]);
        builder.append(12, None, Some(b"w"), &[]);
        let expected_records = builder.records_bytes().to_vec();
        let mut batch = Batch::new(1, TopicId(0), 0, builder, 5);
        let first = ProducerStamp {
            producer_id: 7,
            producer_epoch: 1,
            base_sequence: 40,
            transactional: true,
        };
        batch.set_stamp(first);
        batch.builder.seal_in_place(&first).unwrap();
        batch.sealed = Sealed::InPlace;
        let copied = batch.builder.seal(&first, &Compression::NONE).unwrap();
        assert_eq!(
            batch.wire_bytes(),
            Some(&copied[..]),
            "in place or copied: same bytes"
        );
        let second = ProducerStamp {
            producer_epoch: 2,
            base_sequence: 0,
            ..first
        };
        batch.set_stamp(second);
        let resealed = batch.builder.seal(&second, &Compression::NONE).unwrap();
        assert_eq!(batch.wire_bytes(), Some(&resealed[..]));
        let decoded = decode_batches(batch.wire_bytes().unwrap()).unwrap();
        assert_eq!(
            (decoded[0].producer_epoch, decoded[0].base_sequence),
            (2, 0)
        );
        assert_eq!(decoded[0].records.len(), 2);
        // The records are where they were, for a split.
        assert_eq!(batch.builder.records_bytes(), &expected_records[..]);
    }

    #[test]
    fn backoff_only_after_a_retry() {
        let mut batch = Batch::new(1, TopicId(0), 0, BatchBuilder::new(0, 0), 0);
        batch.retry_at_ms = 100;
        assert!(!batch.is_backing_off(50), "never retried");
        batch.retried = true;
        assert!(batch.is_backing_off(99));
        assert!(!batch.is_backing_off(100));
    }
}
