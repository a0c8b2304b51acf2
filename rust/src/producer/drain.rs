//! Draining: which queued batches go into the next request to each node, their sequence
//! numbers, sealing, and the Produce request built from them.
//!
//! Split in three steps so the binding can seal (compress) without holding the GIL:
//! [`Accumulator::drain_select`] takes batches out of their queues, [`DrainSelection::seal`]
//! touches only those batches, [`Accumulator::drain_finish`] files them as in flight.

use std::collections::HashMap;

use super::accumulator::Accumulator;
use super::batch::{increment_sequence, Batch, BatchId, Compressing, Sealed, TopicId};
use super::error::AccumulatorError;
use super::ready::Readiness;
use crate::protocol::produce::encode_produce_request;

/// A batch as a Produce request carries it: topic, partition, sealed bytes.
pub type RequestBatch<'a> = (&'a str, i32, &'a [u8]);
use crate::protocol::RequestHeader;
use crate::record::{Codec, Compression, ProducerStamp, RecordError};

/// The leader of one partition, as the caller's metadata says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub topic: TopicId,
    pub partition: i32,
    pub node: i32,
}

#[derive(Debug)]
struct Selected {
    batch: Batch,
    /// Sealed in this drain (a retried batch reuses its bytes).
    fresh: bool,
    /// Its records were compressed in this drain, not on a worker (whose results teach the
    /// compression ratio as they come back).
    compressed_here: bool,
}

/// Batches taken out of their queues, not yet sealed or filed as in flight.
#[derive(Debug, Default)]
pub struct DrainSelection {
    nodes: Vec<(i32, Vec<Selected>)>,
    errors: HashMap<BatchId, RecordError>,
    /// When the batches were taken: their queue time ends here (record-queue-time).
    now_ms: i64,
}

impl DrainSelection {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Seals (compresses, stamps, checksums) every batch that has no wire bytes yet; a batch
    /// the workers compressed only gets its header and checksum.
    pub fn seal(&mut self, compression: &Compression) {
        for (_, batches) in &mut self.nodes {
            for selected in batches.iter_mut().filter(|s| !s.batch.is_sealed()) {
                let batch = &mut selected.batch;
                let stamp = batch.stamp.unwrap_or(ProducerStamp::NO_PRODUCER);
                let sealed = match std::mem::take(&mut batch.compressing) {
                    Compressing::NotStarted if compression.codec == Codec::None => {
                        // Its header goes into the room left for it: no copy of the records.
                        selected.compressed_here = true;
                        batch
                            .builder
                            .seal_in_place(&stamp)
                            .map(|()| Sealed::InPlace)
                    }
                    Compressing::NotStarted => {
                        selected.compressed_here = true;
                        batch.builder.seal(&stamp, compression).map(Sealed::Owned)
                    }
                    Compressing::Done(body) => body
                        .and_then(|body| batch.builder.frame(body, &stamp, compression.codec))
                        .map(Sealed::Owned),
                    Compressing::OnWorker(_) => Err(RecordError::Compress {
                        codec: compression.codec.name(),
                        reason: "drained while its records were on a worker".into(),
                    }),
                };
                match sealed {
                    Ok(sealed) => {
                        batch.sealed = sealed;
                        selected.fresh = true;
                    }
                    Err(error) => {
                        self.errors.insert(batch.id, error);
                    }
                }
            }
        }
    }
}

/// The result of a drain: per node the batches of one request, in request order.
#[derive(Debug, Default, PartialEq)]
pub struct Drained {
    pub by_node: Vec<(i32, Vec<BatchId>)>,
    /// Batches that could not be sealed (a codec error): already removed and their memory
    /// released; their records must be failed with this error.
    pub failed: Vec<(BatchId, RecordError)>,
}

impl Accumulator {
    /// Takes the batches for one request per node and seals them. See [`Self::drain_select`].
    pub fn drain(&mut self, routing: &[Route], max_request_size: usize, now_ms: i64) -> Drained {
        let mut selection = self.drain_select(routing, max_request_size, now_ms, &[]);
        selection.seal(&self.config.compression);
        self.drain_finish(selection)
    }

    /// For every node in `routing` with at least one sendable partition: at most one batch per
    /// partition (Java's rule), starting after the partition where the node's previous drain
    /// stopped, until `max_request_size` bytes (a first batch is always taken). Partitions
    /// absent from `routing` (no known leader) are left alone; each partition must appear once.
    ///
    /// A node in `busy` is working on a request of this producer already: it gets another now
    /// only if that request would be worth one of its own (`worth_another_request`); otherwise
    /// its batches wait for the answer and go together in the next request. Kafka reads one
    /// request per connection at a time, so a small request sent now would mostly wait in the
    /// broker's socket behind the one out, and would cost both sides a request.
    pub fn drain_select(
        &mut self,
        routing: &[Route],
        max_request_size: usize,
        now_ms: i64,
        busy: &[i32],
    ) -> DrainSelection {
        let mut groups: Vec<(i32, Vec<(TopicId, i32)>)> = Vec::new();
        let mut group_of: HashMap<i32, usize> = HashMap::new();
        for route in routing {
            let known = self.topics.get(route.topic.index()).is_some_and(|t| {
                route.partition >= 0 && (route.partition as usize) < t.partitions.len()
            });
            if !known {
                continue;
            }
            let g = *group_of.entry(route.node).or_insert_with(|| {
                groups.push((route.node, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push((route.topic, route.partition));
        }

        let mut selection = DrainSelection {
            now_ms,
            ..DrainSelection::default()
        };
        for (node, parts) in groups {
            let any_sendable = parts.iter().any(|&(t, p)| {
                self.readiness(&self.topics[t.index()].partitions[p as usize], now_ms)
                    == Readiness::Sendable
            });
            if !any_sendable {
                continue;
            }
            if busy.contains(&node) && !self.worth_another_request(&parts, now_ms) {
                continue;
            }
            let batches = self.drain_node(node, &parts, max_request_size, now_ms);
            if !batches.is_empty() {
                selection.nodes.push((node, batches));
            }
        }
        selection
    }

    /// Whether what a drain would take from `parts` deserves a request while another is out
    /// to the same node: a full batch (throughput needs those pipelined), a retry, a full
    /// buffer (memory is freed by sending), or `batch_size` bytes over all the partitions.
    fn worth_another_request(&self, parts: &[(TopicId, i32)], now_ms: i64) -> bool {
        if self.exhausted {
            return true;
        }
        let mut bytes = 0;
        for &(topic, partition) in parts {
            let queue = &self.topics[topic.index()].partitions[partition as usize];
            if !self.drainable(queue, now_ms) {
                continue;
            }
            let head = queue.batches.front().expect("drainable queues have a head");
            if head.retried || queue.batches.len() > 1 || head.is_full() {
                return true;
            }
            bytes += head.builder.size_in_bytes();
            if bytes >= self.config.batch_size {
                return true;
            }
        }
        false
    }

    fn drain_node(
        &mut self,
        node: i32,
        parts: &[(TopicId, i32)],
        max_request_size: usize,
        now_ms: i64,
    ) -> Vec<Selected> {
        let start = self.drain_cursor.get(&node).copied().unwrap_or(0) % parts.len();
        let mut size = 0;
        let mut taken = Vec::new();
        let mut resume_at = None;
        for k in 0..parts.len() {
            let i = (start + k) % parts.len();
            let (topic_id, partition) = parts[i];
            let topic = &self.topics[topic_id.index()];
            let queue = &topic.partitions[partition as usize];
            if !self.drainable(queue, now_ms) {
                continue;
            }
            let head = queue.batches.front().expect("drainable queues have a head");
            let estimate = head.estimated_wire_size(&topic.compression_ratio);
            if size + estimate > max_request_size && !taken.is_empty() {
                break;
            }
            let stamp_with = if self.config.idempotent {
                self.producer
            } else {
                None
            };
            let transactional = self.config.transactional;
            let queue = &mut self.topics[topic_id.index()].partitions[partition as usize];
            let mut batch = queue
                .batches
                .pop_front()
                .expect("drainable queues have a head");
            batch.closed = true;
            queue.last_batch_bytes = batch.builder.size_in_bytes();
            if let (Some((producer_id, producer_epoch)), None) = (stamp_with, batch.stamp) {
                let base_sequence = queue.next_sequence;
                batch.stamp = Some(ProducerStamp {
                    producer_id,
                    producer_epoch,
                    base_sequence,
                    transactional,
                });
                queue.next_sequence =
                    increment_sequence(base_sequence, batch.record_count() as i32);
                queue.track_unacked(base_sequence, batch.id);
            }
            queue.in_flight += 1;
            self.queue_changed(topic_id, partition);
            size += estimate;
            taken.push(Selected {
                batch,
                fresh: false,
                compressed_here: false,
            });
            resume_at = Some((i + 1) % parts.len());
        }
        if let Some(at) = resume_at {
            self.drain_cursor.insert(node, at);
        }
        taken
    }

    /// Files sealed batches as in flight and returns their ids per node.
    pub fn drain_finish(&mut self, mut selection: DrainSelection) -> Drained {
        let mut drained = Drained::default();
        for (node, batches) in selection.nodes {
            let mut ids = Vec::with_capacity(batches.len());
            for Selected {
                batch,
                fresh,
                compressed_here,
            } in batches
            {
                let Some(wire_size) = batch.wire_bytes().map(<[u8]>::len) else {
                    let error = selection.errors.remove(&batch.id).unwrap_or_else(|| {
                        RecordError::Compress {
                            codec: "none",
                            reason: "batch was not sealed".into(),
                        }
                    });
                    let id = batch.id;
                    self.forget_in_flight(&batch);
                    drained.failed.push((id, error));
                    continue;
                };
                if fresh {
                    let raw = batch.builder.size_in_bytes();
                    self.metrics.batches_sealed += 1;
                    self.metrics.uncompressed_bytes += raw as u64;
                    self.metrics.compressed_bytes += wire_size as u64;
                    if compressed_here {
                        self.topics[batch.topic.index()]
                            .compression_ratio
                            .observe(wire_size, raw);
                    }
                }
                self.metrics.sent(&batch, wire_size, selection.now_ms);
                ids.push(batch.id);
                self.in_flight.insert(batch.id, batch);
            }
            if !ids.is_empty() {
                drained.by_node.push((node, ids));
            }
        }
        drained
    }

    /// Drops a batch that was taken for sending but will not be sent.
    fn forget_in_flight(&mut self, batch: &Batch) {
        let queue = &mut self.topics[batch.topic.index()].partitions[batch.partition as usize];
        queue.in_flight -= 1;
        queue.forget_unacked(batch.id);
        self.locations.remove(&batch.id);
        self.memory.release(batch.reserved);
        self.metrics.failed(batch);
    }

    /// Encodes a Produce request carrying the sealed bytes of in-flight batches, without
    /// copying them anywhere but into the request.
    pub fn produce_request(
        &self,
        batch_ids: &[BatchId],
        header: &RequestHeader<'_>,
        acks: i16,
        timeout_ms: i32,
        transactional_id: Option<&str>,
    ) -> Result<Vec<u8>, AccumulatorError> {
        let batches = self.sealed_batches(batch_ids)?;
        Ok(encode_produce_request(
            header,
            acks,
            timeout_ms,
            transactional_id,
            &batches,
        )?)
    }

    /// The in-flight batches as a Produce request's `(topic, partition, sealed batch)`.
    pub fn sealed_batches(
        &self,
        batch_ids: &[BatchId],
    ) -> Result<Vec<RequestBatch<'_>>, AccumulatorError> {
        let mut parts: Vec<RequestBatch<'_>> = Vec::with_capacity(batch_ids.len());
        for &id in batch_ids {
            let batch = self
                .in_flight
                .get(&id)
                .ok_or(AccumulatorError::NotInFlight(id))?;
            let sealed = batch
                .wire_bytes()
                .ok_or(AccumulatorError::NotInFlight(id))?;
            parts.push((self.topic_name(batch.topic), batch.partition, sealed));
        }
        Ok(parts)
    }

    /// The sealed bytes of an in-flight batch.
    pub fn sealed_batch(&self, batch_id: BatchId) -> Option<&[u8]> {
        self.in_flight.get(&batch_id)?.wire_bytes()
    }
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;
