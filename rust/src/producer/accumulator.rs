//! The record accumulator: one queue of batches per (topic, partition), the topics registered
//! by name, memory counted.
//!
//! It never looks at cluster state: partition counts come with each append, leaders with each
//! drain. Appending lives in `append.rs` (many records in one call: `append_many.rs`),
//! readiness in `ready.rs`, draining in `drain.rs`, the life of a sent batch in
//! `lifecycle.rs`, batches back from the compression workers in `compressed.rs`.

use std::collections::HashMap;

pub use super::append::Appended;
pub use super::append_many::{AppendManyOutcome, BulkAppend, Run};
use super::batch::{Batch, BatchId, TopicId};
pub use super::config::AccumulatorConfig;
use super::error::AccumulatorError;
use super::memory::BufferMemory;
use super::metrics::{AccumulatorMetrics, BatchEvent};
use super::partitioner::StickyPartitioner;
use super::queue::PartitionQueue;
use super::queued::QueuedPartitions;
use super::ratio_estimator::RatioEstimator;
use super::spare_buffers::SpareBuffers;
use super::workers::{Sealer, WorkerPool};
use crate::record::Codec;

#[derive(Debug)]
pub(crate) struct Topic {
    pub name: String,
    pub num_partitions: i32,
    /// Indexed by partition number.
    pub partitions: Vec<PartitionQueue>,
    pub sticky: StickyPartitioner,
    /// Partitions with a leader, as last reported; `None` = all.
    pub available: Option<Vec<i32>>,
    /// How well this topic's records compress: how full its batches get, how large requests.
    pub compression_ratio: RatioEstimator,
    /// An unkeyed record went through the sticky partitioner: only then are the adaptive
    /// partitioner's load statistics worth a walk over every partition of the topic.
    pub sticky_used: bool,
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
    /// Records buffers of batches that are gone, for the next batches to open.
    pub(crate) spare: SpareBuffers,
    /// The partitions whose queue is not empty.
    pub(crate) queued: QueuedPartitions,
    /// Every live batch, queued or in flight.
    pub(crate) locations: HashMap<BatchId, (TopicId, i32)>,
    pub(crate) in_flight: HashMap<BatchId, Batch>,
    next_batch_id: BatchId,
    /// `(producer_id, epoch)` from `InitProducerId`; `None` blocks draining when idempotent.
    pub(crate) producer: Option<(i64, i16)>,
    pub(crate) flushes: u32,
    /// An append was refused for memory since the last successful one: send everything now
    /// (Java treats waiting appenders the same way).
    pub(crate) exhausted: bool,
    pub(crate) closed: bool,
    /// Per node, where the next drain starts among its partitions, so none starves.
    pub(crate) drain_cursor: HashMap<i32, usize>,
    pub(crate) metrics: AccumulatorMetrics,
    /// With a codec and `compress_on_workers_from`: compresses closed batches on the worker
    /// threads. `None` also when its wake-up socket could not be made (then the drain
    /// compresses, as without workers).
    pub(crate) sealer: Option<Sealer>,
}

impl Accumulator {
    pub fn new(config: AccumulatorConfig) -> Result<Self, AccumulatorError> {
        config.validate()?;
        let sealer = match config.compress_on_workers_from {
            Some(min_bytes) if config.compression.codec != Codec::None => {
                Sealer::new(config.compression, min_bytes, WorkerPool::shared()).ok()
            }
            _ => None,
        };
        Ok(Self {
            sealer,
            memory: BufferMemory::new(config.buffer_memory),
            spare: SpareBuffers::default(),
            config,
            topics: Vec::new(),
            topic_ids: HashMap::new(),
            last_topic: None,
            queued: QueuedPartitions::default(),
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

    /// Batch events (sent, retried, failed, split) since the last call, oldest first.
    pub fn take_batch_events(&mut self) -> Vec<BatchEvent> {
        self.metrics.take_events()
    }

    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.topic_ids.get(name).copied()
    }

    pub fn topic_name(&self, topic: TopicId) -> &str {
        &self.topics[topic.index()].name
    }

    /// The id of a topic, registered on first use. Ids are stable, so a caller may keep one
    /// and use [`Self::append_to_topic`] to skip the name lookup.
    pub fn topic_id_or_insert(&mut self, name: &str) -> TopicId {
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
                compression_ratio: RatioEstimator::new(self.config.compression.codec),
                sticky_used: false,
            });
            self.topic_ids.insert(name.to_owned(), id);
            id
        };
        self.last_topic = Some(id);
        id
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

    pub(crate) fn allocate_batch_id(&mut self) -> BatchId {
        loop {
            let id = self.next_batch_id;
            self.next_batch_id = self.next_batch_id.wrapping_add(1);
            if !self.locations.contains_key(&id) {
                return id;
            }
        }
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
        self.queued
            .iter()
            .map(|(t, p)| self.topics[t.index()].partitions[p as usize].batches.len())
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
        !self.queued.is_empty()
    }
}

#[cfg(test)]
#[path = "accumulator_tests.rs"]
mod tests;
