//! What the Python metrics layer turns into Java's windowed rates and averages.
//!
//! Two kinds of numbers. Running totals (`records_appended`, `compressed_bytes`, ...) that only
//! grow. And batch events: one small entry per batch drained, retried, failed or split, with
//! its topic, so Python can feed Java's sampled windows (record-send-rate, per-topic byte-rate,
//! record-queue-time-max, ...) per batch rather than per record. The events are taken (and
//! cleared) by the sender once per round, so the list stays short; a cap bounds it if nobody
//! takes them (a producer that is never started, or stopped).

use super::batch::Batch;
#[cfg(test)]
use super::batch::TopicId;

/// The most events kept between two takes; later ones only count in the totals.
pub const MAX_PENDING_EVENTS: usize = 65_536;

/// What happened to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BatchEventKind {
    /// Drained into a Produce request (again, for a retry: Java counts every send).
    Sent = 0,
    /// Put back for another attempt.
    Retried = 1,
    /// Its records failed (broker error, expiry, abort, sealing error).
    Failed = 2,
    /// Too large for the broker: replaced by smaller batches.
    Split = 3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEvent {
    pub kind: BatchEventKind,
    /// Index of the topic in the accumulator (its name is looked up when taken).
    pub topic: u32,
    pub records: u32,
    /// Sealed (compressed) bytes; 0 unless `Sent`.
    pub bytes: u32,
    /// Bytes before compression, batch header included; 0 unless `Sent`.
    pub uncompressed_bytes: u32,
    /// From the first record to this drain (record-queue-time); 0 unless `Sent`.
    pub queue_time_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccumulatorMetrics {
    pub records_appended: u64,
    /// Encoded record bytes appended (record-size-avg = this / `records_appended`).
    pub record_bytes_appended: u64,
    pub batches_created: u64,
    pub batches_sealed: u64,
    /// Batch bytes before and after compression, over sealed batches (compression-rate-avg).
    pub uncompressed_bytes: u64,
    pub compressed_bytes: u64,
    pub records_completed: u64,
    pub batches_completed: u64,
    pub records_retried: u64,
    pub batches_retried: u64,
    pub batches_split: u64,
    /// Records failed through `fail`, expiry, aborts or a sealing error.
    pub records_failed: u64,
    pub records_expired: u64,
    /// Appends refused for lack of buffer memory (buffer-exhausted-total).
    pub buffer_exhausted: u64,
    /// Batch events since the last `take_events`.
    pub events: Vec<BatchEvent>,
}

impl AccumulatorMetrics {
    /// Name/value pairs, names in Python's snake case.
    pub fn pairs(&self) -> [(&'static str, u64); 14] {
        [
            ("records_appended", self.records_appended),
            ("record_bytes_appended", self.record_bytes_appended),
            ("batches_created", self.batches_created),
            ("batches_sealed", self.batches_sealed),
            ("uncompressed_bytes", self.uncompressed_bytes),
            ("compressed_bytes", self.compressed_bytes),
            ("records_completed", self.records_completed),
            ("batches_completed", self.batches_completed),
            ("records_retried", self.records_retried),
            ("batches_retried", self.batches_retried),
            ("batches_split", self.batches_split),
            ("records_failed", self.records_failed),
            ("records_expired", self.records_expired),
            ("buffer_exhausted", self.buffer_exhausted),
        ]
    }

    fn push(&mut self, event: BatchEvent) {
        if self.events.len() < MAX_PENDING_EVENTS {
            self.events.push(event);
        }
    }

    fn event(kind: BatchEventKind, batch: &Batch) -> BatchEvent {
        BatchEvent {
            kind,
            topic: batch.topic.0,
            records: u32::try_from(batch.record_count()).unwrap_or(u32::MAX),
            bytes: 0,
            uncompressed_bytes: 0,
            queue_time_ms: 0,
        }
    }

    /// A batch drained into a request, its sealed bytes `sealed_len` long.
    pub fn sent(&mut self, batch: &Batch, sealed_len: usize, now_ms: i64) {
        let mut event = Self::event(BatchEventKind::Sent, batch);
        event.bytes = u32::try_from(sealed_len).unwrap_or(u32::MAX);
        event.uncompressed_bytes = u32::try_from(batch.builder.size_in_bytes()).unwrap_or(u32::MAX);
        event.queue_time_ms = now_ms.saturating_sub(batch.created_ms).max(0);
        self.push(event);
    }

    pub fn retried(&mut self, batch: &Batch) {
        self.records_retried += batch.record_count() as u64;
        self.batches_retried += 1;
        self.push(Self::event(BatchEventKind::Retried, batch));
    }

    pub fn failed(&mut self, batch: &Batch) {
        self.records_failed += batch.record_count() as u64;
        self.push(Self::event(BatchEventKind::Failed, batch));
    }

    pub fn split(&mut self, batch: &Batch, pieces: usize) {
        self.batches_split += 1;
        self.batches_created += pieces as u64;
        self.push(Self::event(BatchEventKind::Split, batch));
    }

    /// The events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<BatchEvent> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::test_support::{accumulator, config, fill, routes};

    #[test]
    fn one_event_per_batch_sent_retried_and_failed() {
        let mut acc = accumulator(config());
        // 100-byte records in 1,000-byte batches: 8 per batch, so 10 records make 2 batches.
        fill(&mut acc, "t", 0, 10, 0);
        let routing = routes(&acc, "t", 1);
        let first = acc.drain(&routing, 1 << 20, 40).by_node[0].1[0];
        let events = acc.take_batch_events();
        assert_eq!(events.len(), 1);
        let sent = &events[0];
        assert_eq!(sent.kind, BatchEventKind::Sent);
        assert_eq!(acc.topic_name(TopicId(sent.topic)), "t");
        assert!(sent.records > 1);
        assert_eq!(sent.queue_time_ms, 40);
        assert!(sent.bytes > 100 * sent.records);
        assert_eq!(sent.bytes, sent.uncompressed_bytes, "no compression");
        assert!(acc.take_batch_events().is_empty(), "taking clears the list");

        acc.retry(first, 50, 0).unwrap();
        let again = acc.drain(&routing, 1 << 20, 60).by_node[0].1[0];
        assert_eq!(again, first);
        acc.fail(first).unwrap();
        let kinds: Vec<_> = acc.take_batch_events().iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                BatchEventKind::Retried,
                BatchEventKind::Sent,
                BatchEventKind::Failed
            ]
        );
        assert_eq!(acc.metrics().records_retried, u64::from(sent.records));
        assert_eq!(acc.metrics().records_failed, u64::from(sent.records));
    }

    #[test]
    fn events_are_capped_when_nobody_takes_them() {
        let mut metrics = AccumulatorMetrics::default();
        let mut acc = accumulator(config());
        fill(&mut acc, "t", 0, 1, 0);
        let batch = acc.topics[0].partitions[0].batches.front().unwrap();
        for _ in 0..=MAX_PENDING_EVENTS {
            metrics.failed(batch);
        }
        assert_eq!(metrics.events.len(), MAX_PENDING_EVENTS);
        assert_eq!(metrics.records_failed, MAX_PENDING_EVENTS as u64 + 1);
    }
}
