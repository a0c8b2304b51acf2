//! The record accumulator: one queue of batches per (topic, partition), records appended into
//! the open batch of their partition, memory counted, readiness computed.
//!
//! It never looks at cluster state: partition counts come with each append, leaders with each
//! drain. Draining lives in `drain.rs`, the life of a sent batch in `lifecycle.rs`.

use std::collections::HashMap;

use super::batch::{Batch, BatchId, TopicId};
use super::error::AccumulatorError;
use super::memory::BufferMemory;
use super::metrics::AccumulatorMetrics;
use super::partitioner::{partition_for_key, validate_partition, StickyPartitioner};
use super::queue::PartitionQueue;
use crate::record::{BatchBuilder, Compression, Header, RECORD_BATCH_OVERHEAD};

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
        }
    }
}

impl AccumulatorConfig {
    fn validate(&self) -> Result<(), AccumulatorError> {
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

/// Consecutive records of an `append_many` call that went to one batch: input records
/// `[start, start + count)` are that batch's records `[first_index, first_index + count)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub batch_id: BatchId,
    pub first_index: u32,
    pub count: u32,
}

/// What `append_many` did: records before `appended` are in `runs`; `error` is why it stopped
/// early (never set when `appended` is 0: the error is returned instead).
#[derive(Debug, Clone, PartialEq)]
pub struct AppendManyOutcome {
    pub runs: Vec<Run>,
    pub appended: usize,
    pub error: Option<AccumulatorError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadyCheck {
    /// Partitions with a batch to send now.
    pub ready: Vec<(TopicId, i32)>,
    /// The earliest time (same clock as `now_ms`) another partition becomes sendable by linger
    /// or backoff; `None` when only an event (an append, a completion) can change anything.
    pub next_ready_ms: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct Topic {
    pub name: String,
    pub num_partitions: i32,
    /// Indexed by partition number.
    pub partitions: Vec<PartitionQueue>,
    pub sticky: StickyPartitioner,
    /// Partitions with a leader, as last reported; `None` = all.
    pub available: Option<Vec<i32>>,
    /// Expected sealed/raw size ratio (Java's `CompressionRatioEstimator`), for sizing requests.
    pub compression_ratio: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// Nothing to drain, or draining must wait for an event.
    Blocked,
    Sendable,
    /// Becomes sendable at this time.
    WaitUntil(i64),
}

#[derive(Debug)]
pub struct Accumulator {
    pub(crate) config: AccumulatorConfig,
    pub(crate) topics: Vec<Topic>,
    topic_ids: HashMap<String, TopicId>,
    /// Most appends go to the topic of the previous one; comparing one name is cheaper than
    /// hashing it.
    last_topic: Option<TopicId>,
    pub(crate) memory: BufferMemory,
    /// Every live batch, queued or in flight.
    pub(crate) locations: HashMap<BatchId, (TopicId, i32)>,
    pub(crate) in_flight: HashMap<BatchId, Batch>,
    next_batch_id: BatchId,
    /// `(producer_id, epoch)` from `InitProducerId`; `None` blocks draining when idempotent.
    pub(crate) producer: Option<(i64, i16)>,
    flushes: u32,
    /// An append was refused for memory since the last successful one: send everything now
    /// (Java treats waiting appenders the same way).
    exhausted: bool,
    closed: bool,
    /// Per node, where the next drain starts among its partitions, so none starves.
    pub(crate) drain_cursor: HashMap<i32, usize>,
    pub(crate) metrics: AccumulatorMetrics,
}

impl Accumulator {
    pub fn new(config: AccumulatorConfig) -> Result<Self, AccumulatorError> {
        config.validate()?;
        Ok(Self {
            memory: BufferMemory::new(config.buffer_memory),
            config,
            topics: Vec::new(),
            topic_ids: HashMap::new(),
            last_topic: None,
            locations: HashMap::new(),
            in_flight: HashMap::new(),
            next_batch_id: 0,
            producer: None,
            flushes: 0,
            exhausted: false,
            closed: false,
            drain_cursor: HashMap::new(),
            metrics: AccumulatorMetrics::default(),
        })
    }

    pub fn config(&self) -> &AccumulatorConfig {
        &self.config
    }

    pub fn metrics(&self) -> &AccumulatorMetrics {
        &self.metrics
    }

    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.topic_ids.get(name).copied()
    }

    pub fn topic_name(&self, topic: TopicId) -> &str {
        &self.topics[topic.index()].name
    }

    fn topic_id_or_insert(&mut self, name: &str) -> TopicId {
        if let Some(id) = self.last_topic {
            if self.topics[id.index()].name == name {
                return id;
            }
        }
        let id = if let Some(&id) = self.topic_ids.get(name) {
            id
        } else {
            let id = TopicId(self.topics.len() as u32);
            self.topics.push(Topic {
                name: name.to_owned(),
                num_partitions: 0,
                partitions: Vec::new(),
                sticky: StickyPartitioner::new(self.config.batch_size),
                available: None,
                compression_ratio: 1.0,
            });
            self.topic_ids.insert(name.to_owned(), id);
            id
        };
        self.last_topic = Some(id);
        id
    }

    /// The topic, with its partition count updated (counts only grow in Kafka; a smaller one
    /// from stale metadata is ignored so queued batches keep their partition).
    fn topic_for_append(
        &mut self,
        name: &str,
        num_partitions: i32,
    ) -> Result<TopicId, AccumulatorError> {
        if num_partitions < 1 {
            return Err(AccumulatorError::InvalidPartitionCount(num_partitions));
        }
        let id = self.topic_id_or_insert(name);
        let topic = &mut self.topics[id.index()];
        if num_partitions > topic.num_partitions {
            topic.num_partitions = num_partitions;
            topic.partitions.resize_with(num_partitions as usize, PartitionQueue::default);
        }
        Ok(id)
    }

    /// Partitions of `topic` that have a leader (`None`: all): the unkeyed partitioner only
    /// switches to these, and adaptive weights only cover these.
    pub fn set_available_partitions(&mut self, topic: &str, available: Option<Vec<i32>>) {
        let id = self.topic_id_or_insert(topic);
        self.topics[id.index()].available = available;
    }

    pub fn set_producer_id(&mut self, producer_id: i64, epoch: i16) {
        self.producer = (producer_id >= 0).then_some((producer_id, epoch));
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
        let topic = self.topic_for_append(topic, num_partitions)?;
        self.append_to(topic, partition, key, value, headers, timestamp_ms, now_ms)
    }

    /// Appends records with one timestamp and no headers, in order, until one fails. The
    /// first record's failure is returned as the error; a later one stops the run (see
    /// [`AppendManyOutcome`]) so the caller knows exactly which records are in.
    pub fn append_many<'a>(
        &mut self,
        topic: &str,
        num_partitions: i32,
        partition: Option<i32>,
        records: impl IntoIterator<Item = (Option<&'a [u8]>, Option<&'a [u8]>)>,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<AppendManyOutcome, AccumulatorError> {
        let topic = self.topic_for_append(topic, num_partitions)?;
        let mut runs: Vec<Run> = Vec::new();
        let mut appended = 0;
        for (key, value) in records {
            let done = match self.append_to(topic, partition, key, value, &[], timestamp_ms, now_ms)
            {
                Ok(done) => done,
                Err(error) if appended == 0 => return Err(error),
                Err(error) => return Ok(AppendManyOutcome { runs, appended, error: Some(error) }),
            };
            appended += 1;
            match runs.last_mut() {
                Some(run) if run.batch_id == done.batch_id
                    && run.first_index + run.count == done.index =>
                {
                    run.count += 1;
                }
                _ => runs.push(Run { batch_id: done.batch_id, first_index: done.index, count: 1 }),
            }
        }
        Ok(AppendManyOutcome { runs, appended, error: None })
    }

    #[allow(clippy::too_many_arguments)]
    fn append_to(
        &mut self,
        topic_id: TopicId,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
        now_ms: i64,
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
            (None, _) => (topic.sticky_partition(batch_size), true),
        };
        let queue = &mut topic.partitions[partition as usize];

        let mut appended = None;
        if let Some(last) = queue.batches.back_mut().filter(|b| !b.closed) {
            let size = last.builder.size_of_next(timestamp_ms, key, value, headers);
            if last.builder.size_in_bytes() + size <= batch_size {
                if let Err(e) = self.memory.try_reserve(size) {
                    self.exhausted = true;
                    self.metrics.buffer_exhausted += 1;
                    return Err(buffer_full(e.requested, e.available, self.memory.limit()));
                }
                let index = last.builder.record_count() as u32;
                last.builder.append(timestamp_ms, key, value, headers);
                last.reserved += size;
                appended = Some((last.id, index, size, size));
            } else {
                // Java closes the batch here too, even if the new one cannot be allocated:
                // the full batch becomes sendable, which is what frees memory.
                last.closed = true;
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
            // Sized for a full batch up front, like Java's pooled buffers: growing a 16 KiB
            // buffer by doubling would copy it four times per batch.
            let mut builder = BatchBuilder::new(timestamp_ms, total.max(batch_size));
            builder.append(timestamp_ms, key, value, headers);
            let mut batch = Batch::new(id, topic_id, partition, builder, now_ms);
            batch.reserved = total;
            let queue = &mut self.topics[topic_id.index()].partitions[partition as usize];
            queue.seen = true;
            queue.batches.push_back(batch);
            self.locations.insert(id, (topic_id, partition));
            self.metrics.batches_created += 1;
            (id, 0, size, total)
        };
        self.exhausted = false;
        self.metrics.records_appended += 1;
        self.metrics.record_bytes_appended += record_size as u64;

        if sticky {
            let topic = &mut self.topics[topic_id.index()];
            let full = topic.partitions[partition as usize].all_batches_full(batch_size);
            let available = topic.available.as_deref();
            topic.sticky.record_appended(reserved, full, topic.num_partitions, available);
        }
        Ok(Appended { batch_id, index, partition, new_batch: index == 0 })
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

    pub(crate) fn allocate_batch_id(&mut self) -> BatchId {
        loop {
            let id = self.next_batch_id;
            self.next_batch_id = self.next_batch_id.wrapping_add(1);
            if !self.locations.contains_key(&id) {
                return id;
            }
        }
    }

    /// Partitions with something to send now, and when the next one will have. Also
    /// refreshes the adaptive partitioner's weights from the queue lengths (as Java's
    /// `ready` does).
    pub fn ready(&mut self, now_ms: i64) -> ReadyCheck {
        let mut check = ReadyCheck::default();
        for t in 0..self.topics.len() {
            let topic = &self.topics[t];
            for (p, queue) in topic.partitions.iter().enumerate() {
                match self.readiness(queue, now_ms) {
                    Readiness::Sendable => check.ready.push((TopicId(t as u32), p as i32)),
                    Readiness::WaitUntil(at) => {
                        check.next_ready_ms =
                            Some(check.next_ready_ms.map_or(at, |next: i64| next.min(at)));
                    }
                    Readiness::Blocked => {}
                }
            }
            if self.config.partitioner_adaptive {
                self.topics[t].refresh_load_stats();
            }
        }
        check
    }

    /// Whether the head batch of `queue` may be drained now, ignoring linger (a drain takes
    /// every drainable partition of a node once one of them is sendable).
    pub(crate) fn drainable(&self, queue: &PartitionQueue, now_ms: i64) -> bool {
        let Some(head) = queue.batches.front() else {
            return false;
        };
        if self.config.mute_while_in_flight && queue.in_flight > 0 {
            return false;
        }
        if head.is_backing_off(now_ms) {
            return false;
        }
        if self.config.idempotent {
            if self.producer.is_none() {
                return false;
            }
            // A retried batch goes only once everything sent before it is resolved;
            // otherwise the broker would see its sequence out of order.
            if let Some(sequence) = head.base_sequence() {
                if queue.first_unacked_sequence() != Some(sequence) {
                    return false;
                }
            }
        }
        true
    }

    pub(crate) fn readiness(&self, queue: &PartitionQueue, now_ms: i64) -> Readiness {
        let Some(head) = queue.batches.front() else {
            return Readiness::Blocked;
        };
        if self.config.mute_while_in_flight && queue.in_flight > 0 {
            return Readiness::Blocked;
        }
        if head.is_backing_off(now_ms) {
            return Readiness::WaitUntil(head.retry_at_ms);
        }
        if !self.drainable(queue, now_ms) {
            return Readiness::Blocked;
        }
        let linger_end = head.created_ms.saturating_add(self.config.linger_ms);
        let sendable = head.attempts > 0
            || queue.batches.len() > 1
            || head.is_full(self.config.batch_size)
            || now_ms >= linger_end
            || self.flushes > 0
            || self.exhausted
            || self.closed;
        if sendable {
            Readiness::Sendable
        } else {
            Readiness::WaitUntil(linger_end)
        }
    }

    /// Makes every batch sendable now until [`Self::end_flush`] (calls nest).
    pub fn begin_flush(&mut self) {
        self.flushes += 1;
    }

    pub fn end_flush(&mut self) {
        self.flushes = self.flushes.saturating_sub(1);
    }

    /// Refuses further appends and makes everything sendable, so the sender can drain out.
    pub fn close(&mut self) {
        self.closed = true;
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn buffer_memory(&self) -> usize {
        self.memory.limit()
    }

    pub fn available_memory(&self) -> usize {
        self.memory.available()
    }

    pub fn used_memory(&self) -> usize {
        self.memory.used()
    }

    /// Batches waiting in queues.
    pub fn queued_batches(&self) -> usize {
        self.topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|q| q.batches.len())
            .sum()
    }

    pub fn in_flight_batches(&self) -> usize {
        self.in_flight.len()
    }

    /// Queued or in flight: what a flush waits for.
    pub fn live_batches(&self) -> usize {
        self.locations.len()
    }

    pub fn has_undrained(&self) -> bool {
        self.topics
            .iter()
            .flat_map(|t| &t.partitions)
            .any(|q| !q.batches.is_empty())
    }
}

impl Topic {
    /// The sticky partition for the next unkeyed record, switching first if the previous one
    /// got its share and its last batch is closed (Java `partitionChanged`).
    fn sticky_partition(&mut self, batch_size: usize) -> i32 {
        let available = self.available.as_deref();
        let current = self.sticky.partition(self.num_partitions, available);
        if self.partitions[current as usize].all_batches_full(batch_size) {
            self.sticky.record_appended(0, true, self.num_partitions, available);
            return self.sticky.partition(self.num_partitions, available);
        }
        current
    }

    /// Java's `partitionReady` statistics: queue lengths of the available partitions, once
    /// every partition of the topic has had a batch (before that a partition the weights do
    /// not know about could never be chosen).
    fn refresh_load_stats(&mut self) {
        let seen = self.partitions.iter().filter(|q| q.seen).count();
        if self.num_partitions < 1 || seen < self.num_partitions as usize {
            self.sticky.clear_load_stats();
            return;
        }
        let ids: Vec<i32> = match &self.available {
            Some(list) => list
                .iter()
                .copied()
                .filter(|&p| (0..self.num_partitions).contains(&p))
                .collect(),
            None => (0..self.num_partitions).collect(),
        };
        let sizes: Vec<u32> = ids
            .iter()
            .map(|&p| self.partitions[p as usize].batches.len() as u32)
            .collect();
        self.sticky.update_load_stats(&sizes, &ids, self.num_partitions);
    }
}

fn buffer_full(requested: usize, available: usize, limit: usize) -> AccumulatorError {
    AccumulatorError::BufferFull { requested, available, limit }
}

#[cfg(test)]
#[path = "accumulator_tests.rs"]
mod tests;
