//! Counters the Python metrics layer turns into Java's rates and averages
//! (record-send-rate, record-size-avg, batch-size-avg, compression-rate-avg, ...). Plain
//! monotonically increasing totals: rates are computed where the clock is.

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
}
