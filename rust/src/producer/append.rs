//! Appending records: the partition chosen (explicit, by key, or sticky), the record written
//! into its partition's open batch or a new one, memory reserved, and what the caller is told
//! of where it went.

use super::accumulator::{Accumulator, Topic};
use super::batch::{Batch, BatchId, TopicId};
use super::error::AccumulatorError;
use super::partitioner::{partition_for_key, validate_partition};
use super::queue::PartitionQueue;
use super::ratio_estimator::on_wire_share;
use crate::record::{BatchBuilder, Header, RECORD_BATCH_OVERHEAD};

/// A new batch's buffer is sized for its fill limit, but for at most this many times
/// `batch_size` (records that compress to a quarter fill four).
const MOST_BATCH_SIZES_UP_FRONT: usize = 4;

/// Where a record went. [`Appended::handle`] packs it into one integer for Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub batch_id: BatchId,
    /// The record's position in its batch: offset = base offset + index.
    pub index: u32,
    pub partition: i32,
    pub new_batch: bool,
}

impl Appended {
    /// `batch_id << 32 | index`.
    pub fn handle(&self) -> u64 {
        (u64::from(self.batch_id) << 32) | u64::from(self.index)
    }
}

impl Accumulator {
    /// Updates the partition count (counts only grow in Kafka; a smaller one from stale
    /// metadata is ignored so queued batches keep their partition).
    pub(super) fn update_partition_count(
        &mut self,
        id: TopicId,
        num_partitions: i32,
    ) -> Result<(), AccumulatorError> {
        if num_partitions < 1 {
            return Err(AccumulatorError::InvalidPartitionCount(num_partitions));
        }
        let topic = &mut self.topics[id.index()];
        if num_partitions > topic.num_partitions {
            topic.num_partitions = num_partitions;
            topic
                .partitions
                .resize_with(num_partitions as usize, PartitionQueue::default);
        }
        Ok(())
    }

    /// Appends one record. `partition`: explicit (validated), else murmur2 of the key, else
    /// the sticky partitioner. Keys, values and headers are copied straight into the batch.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        topic: &str,
        num_partitions: i32,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<Appended, AccumulatorError> {
        let topic = self.topic_id_or_insert(topic);
        self.append_to_topic(
            topic,
            num_partitions,
            partition,
            key,
            value,
            headers,
            timestamp_ms,
            || now_ms,
        )
    }

    /// [`Self::append`] for a topic id from [`Self::topic_id_or_insert`]. `now_ms` is called
    /// only if the record opens a batch (the only use of "now" in an append), so a caller that
    /// reads a clock for it skips that read for most records.
    #[allow(clippy::too_many_arguments)]
    pub fn append_to_topic(
        &mut self,
        topic: TopicId,
        num_partitions: i32,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
        now_ms: impl FnOnce() -> i64,
    ) -> Result<Appended, AccumulatorError> {
        self.update_partition_count(topic, num_partitions)?;
        self.append_to(topic, partition, key, value, headers, timestamp_ms, now_ms)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn append_to(
        &mut self,
        topic_id: TopicId,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
        now_ms: impl FnOnce() -> i64,
    ) -> Result<Appended, AccumulatorError> {
        if self.closed {
            return Err(AccumulatorError::Closed);
        }
        let batch_size = self.config.batch_size;
        let topic = &mut self.topics[topic_id.index()];
        let num_partitions = topic.num_partitions;
        let (partition, sticky) = match (partition, key) {
            (Some(p), _) => (validate_partition(p, num_partitions)?, false),
            (None, Some(k)) if !self.config.partitioner_ignore_keys => {
                (partition_for_key(k, num_partitions), false)
            }
            (None, _) => {
                topic.sticky_used = true;
                (topic.sticky_partition(), true)
            }
        };
        let queue = &mut topic.partitions[partition as usize];

        let mut appended = None;
        if let Some(last) = queue.batches.back_mut().filter(|b| !b.closed) {
            let room = last.fill_limit.saturating_sub(last.builder.size_in_bytes());
            // The exact size costs a second pass over the record; it only matters near the
            // end of the batch or of the memory, which most records are far from.
            let bound = record_size_bound(key, value, headers);
            let exact = (bound > room || bound > self.memory.available())
                .then(|| last.builder.size_of_next(timestamp_ms, key, value, headers));
            if exact.is_some_and(|size| size > room) {
                // Java closes the batch here too, even if the new one cannot be allocated:
                // the full batch becomes sendable, which is what frees memory.
                last.closed = true;
                let closed_bytes = last.builder.size_in_bytes();
                if let Some(sealer) = &mut self.sealer {
                    sealer.offer(last);
                }
                queue.last_batch_bytes = closed_bytes;
            } else {
                if let Some(size) = exact {
                    if let Err(e) = self.memory.try_reserve(size) {
                        self.exhausted = true;
                        self.metrics.buffer_exhausted += 1;
                        return Err(buffer_full(e.requested, e.available, self.memory.limit()));
                    }
                }
                let index = last.builder.record_count() as u32;
                let size = last.builder.append(timestamp_ms, key, value, headers);
                if exact.is_none() {
                    self.memory.force_reserve(size); // within `bound`, checked above
                }
                last.reserved += size;
                appended = Some((last.id, index, size, size));
            }
        }
        let (batch_id, index, record_size, reserved) = if let Some(a) = appended {
            a
        } else {
            let builder = BatchBuilder::new(timestamp_ms, 0);
            let size = builder.size_of_next(timestamp_ms, key, value, headers);
            let total = RECORD_BATCH_OVERHEAD + size;
            self.check_record_size(total)?;
            if let Err(e) = self.memory.try_reserve(total) {
                self.exhausted = true;
                self.metrics.buffer_exhausted += 1;
                return Err(buffer_full(e.requested, e.available, self.memory.limit()));
            }
            let id = self.allocate_batch_id();
            let fill_limit = self.topics[topic_id.index()]
                .compression_ratio
                .fill_limit(batch_size, self.config.max_request_size);
            let queue = &mut self.topics[topic_id.index()].partitions[partition as usize];
            // Up to a full batch up front, like Java's pooled buffers: growing a 16 KiB buffer
            // by doubling would copy it four times per batch. Not beyond a few times
            // batch_size, though: a compressed batch's limit may be most of a request, and a
            // batch that lingers with a few records would hold all of it.
            let most = fill_limit.min(batch_size.saturating_mul(MOST_BATCH_SIZES_UP_FRONT));
            // The builder's buffer holds the batch header's room too: the batch's whole size.
            let capacity = queue.next_batch_capacity(total, most);
            let mut builder = BatchBuilder::with_buffer(timestamp_ms, self.spare.take(capacity));
            builder.append(timestamp_ms, key, value, headers);
            let mut batch = Batch::new(id, topic_id, partition, builder, now_ms());
            batch.reserved = total;
            batch.fill_limit = fill_limit;
            queue.seen = true;
            queue.batches.push_back(batch);
            self.queue_changed(topic_id, partition);
            self.locations.insert(id, (topic_id, partition));
            self.metrics.batches_created += 1;
            (id, 0, size, total)
        };
        self.exhausted = false;
        self.metrics.records_appended += 1;
        self.metrics.record_bytes_appended += record_size as u64;

        if sticky {
            let topic = &mut self.topics[topic_id.index()];
            let queue = &topic.partitions[partition as usize];
            let full = queue.all_batches_full();
            let fill_limit = queue.batches.back().map_or(batch_size, |b| b.fill_limit);
            let counted = on_wire_share(reserved, batch_size, fill_limit);
            let available = topic.available.as_deref();
            topic
                .sticky
                .record_appended(counted, full, topic.num_partitions, available);
        }
        Ok(Appended {
            batch_id,
            index,
            partition,
            new_batch: index == 0,
        })
    }

    /// [`Self::append_to`]'s common case, for `append_many`'s records after the first: the
    /// record into the open batch of `partition` when its size bound fits both the batch's
    /// room and the free memory, so neither needs its exact size. `None`, with nothing done,
    /// otherwise. `partition` is in range; `sticky`: the sticky partitioner chose it.
    ///
    /// It repeats that case (and the counting after it) rather than being called by
    /// `append_to`: split so, the single append ran 10-15% more instructions (callgrind). The
    /// property test of `append_many_tests.rs` holds the two to the same result.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn append_if_room(
        &mut self,
        topic_id: TopicId,
        partition: i32,
        sticky: bool,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
    ) -> Option<Appended> {
        let topic = &mut self.topics[topic_id.index()];
        let last = topic.partitions[partition as usize]
            .batches
            .back_mut()
            .filter(|b| !b.closed)?;
        let bound = record_size_bound(key, value, headers);
        let room = last.fill_limit.saturating_sub(last.builder.size_in_bytes());
        if bound > room || bound > self.memory.available() {
            return None;
        }
        let index = last.builder.record_count() as u32;
        let size = last.builder.append(timestamp_ms, key, value, headers);
        self.memory.force_reserve(size); // within `bound`, checked above
        last.reserved += size;
        let (batch_id, full, fill_limit) = (last.id, last.is_full(), last.fill_limit);
        self.count_appended(topic_id, sticky, size, size, (full, fill_limit));
        Some(Appended {
            batch_id,
            index,
            partition,
            new_batch: false,
        })
    }

    /// What [`Self::append_if_room`] ends with, as `append_to` does: the counts, and the
    /// record's share of its batch for the sticky partitioner (`reserved`: what the record
    /// took of the buffer memory). `batch`: whether the batch it went to is full now, and its
    /// fill limit.
    fn count_appended(
        &mut self,
        topic_id: TopicId,
        sticky: bool,
        record_size: usize,
        reserved: usize,
        (full, fill_limit): (bool, usize),
    ) {
        self.exhausted = false;
        self.metrics.records_appended += 1;
        self.metrics.record_bytes_appended += record_size as u64;
        if sticky {
            let batch_size = self.config.batch_size;
            let topic = &mut self.topics[topic_id.index()];
            let counted = on_wire_share(reserved, batch_size, fill_limit);
            let available = topic.available.as_deref();
            topic
                .sticky
                .record_appended(counted, full, topic.num_partitions, available);
        }
    }

    /// True when the next unkeyed record of the topic goes to `partition`'s open batch with no
    /// partition choice to make: it is the sticky partition and its last batch can take more
    /// (what [`Topic::sticky_partition`] checks).
    pub(super) fn sticky_stays(&self, topic_id: TopicId, partition: i32) -> bool {
        let topic = &self.topics[topic_id.index()];
        topic.sticky.current() == Some(partition)
            && !topic.partitions[partition as usize].all_batches_full()
    }

    fn check_record_size(&self, total: usize) -> Result<(), AccumulatorError> {
        let too_large = |limit, setting| AccumulatorError::RecordTooLarge {
            size: total,
            overhead: RECORD_BATCH_OVERHEAD,
            limit,
            setting,
        };
        if total > self.config.max_request_size {
            return Err(too_large(self.config.max_request_size, "max_request_size"));
        }
        if total > self.config.buffer_memory {
            return Err(too_large(self.config.buffer_memory, "buffer_memory"));
        }
        Ok(())
    }
}

impl Topic {
    /// The sticky partition for the next unkeyed record, switching first if the previous one
    /// got its share and its last batch is closed (Java `partitionChanged`).
    fn sticky_partition(&mut self) -> i32 {
        let available = self.available.as_deref();
        let current = self.sticky.partition(self.num_partitions, available);
        if self.partitions[current as usize].all_batches_full() {
            self.sticky
                .record_appended(0, true, self.num_partitions, available);
            return self.sticky.partition(self.num_partitions, available);
        }
        current
    }
}

/// At least the encoded size of a record: every varint at its widest (lengths and counts 5
/// bytes, the timestamp delta 10).
pub(super) fn record_size_bound(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[Header<'_>],
) -> usize {
    let mut bound = 36 + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
    for header in headers {
        bound += 10 + header.key.len() + header.value.map_or(0, <[u8]>::len);
    }
    bound
}

fn buffer_full(requested: usize, available: usize, limit: usize) -> AccumulatorError {
    AccumulatorError::BufferFull {
        requested,
        available,
        limit,
    }
}
