//! What happens to a batch after it was drained (complete, retry, split, fail) or while it
//! waits too long (expire), plus the producer-id changes that renumber sequences.

use super::accumulator::{Accumulator, Run};
use super::batch::{increment_sequence, Batch, BatchId};
use super::error::AccumulatorError;
use crate::record::{ProducerStamp, RECORD_BATCH_OVERHEAD};

impl Accumulator {
    /// Topic name and partition of a live (queued or in-flight) batch.
    pub fn batch_info(&self, batch_id: BatchId) -> Option<(&str, i32)> {
        let &(topic, partition) = self.locations.get(&batch_id)?;
        Some((self.topic_name(topic), partition))
    }

    fn not_in_flight(&self, batch_id: BatchId) -> AccumulatorError {
        if self.locations.contains_key(&batch_id) {
            AccumulatorError::NotInFlight(batch_id)
        } else {
            AccumulatorError::UnknownBatch(batch_id)
        }
    }

    fn take_in_flight(&mut self, batch_id: BatchId) -> Result<Batch, AccumulatorError> {
        let Some(batch) = self.in_flight.remove(&batch_id) else {
            return Err(self.not_in_flight(batch_id));
        };
        self.topics[batch.topic.index()].partitions[batch.partition as usize].in_flight -= 1;
        Ok(batch)
    }

    /// Removes a batch for good: memory, id and sequence tracking released.
    fn retire(&mut self, batch: &Batch) {
        let queue = &mut self.topics[batch.topic.index()].partitions[batch.partition as usize];
        queue.forget_unacked(batch.id);
        self.locations.remove(&batch.id);
        self.memory.release(batch.reserved);
    }

    /// Keeps the records buffer of a batch that is gone for a batch opened later (see
    /// `spare_buffers.rs`); call after [`Self::retire`], whose release makes the room.
    fn recycle(&mut self, mut batch: Batch) {
        let room = self.memory.limit().saturating_sub(self.memory.used());
        self.spare.put(batch.builder.take_records(), room);
    }

    /// The broker stored the batch: releases it and returns its record count. Each record's
    /// metadata (offset: the response's base offset plus its index; timestamp) is its
    /// future's, which holds what it needs.
    pub fn complete(&mut self, batch_id: BatchId) -> Result<usize, AccumulatorError> {
        let batch = self.take_in_flight(batch_id)?;
        self.retire(&batch);
        let records = batch.record_count();
        self.metrics.records_completed += records as u64;
        self.metrics.batches_completed += 1;
        self.recycle(batch);
        Ok(records)
    }

    /// Fails a batch, queued or in flight; returns its record count. Sequences are not
    /// rewound: with idempotence the caller bumps the epoch and calls
    /// [`Self::reset_sequences`] if later batches of the partition must be renumbered.
    pub fn fail(&mut self, batch_id: BatchId) -> Result<usize, AccumulatorError> {
        let batch = if self.in_flight.contains_key(&batch_id) {
            self.take_in_flight(batch_id)?
        } else {
            let &(topic, partition) = self
                .locations
                .get(&batch_id)
                .ok_or(AccumulatorError::UnknownBatch(batch_id))?;
            let batch = self.topics[topic.index()].partitions[partition as usize]
                .remove(batch_id)
                .ok_or(AccumulatorError::UnknownBatch(batch_id))?;
            self.queue_changed(topic, partition);
            batch
        };
        self.retire(&batch);
        self.metrics.failed(&batch);
        let records = batch.record_count();
        self.recycle(batch);
        Ok(records)
    }

    /// Puts an in-flight batch back at the head of its queue, not drained again before
    /// `now_ms + backoff_ms`. It keeps its sequence and sealed bytes.
    pub fn retry(
        &mut self,
        batch_id: BatchId,
        now_ms: i64,
        backoff_ms: i64,
    ) -> Result<(), AccumulatorError> {
        let mut batch = self.take_in_flight(batch_id)?;
        batch.retried = true;
        batch.retry_at_ms = now_ms.saturating_add(backoff_ms.max(0));
        self.metrics.retried(&batch);
        let (topic, partition) = (batch.topic, batch.partition);
        self.topics[topic.index()].partitions[partition as usize].reenqueue(batch);
        self.queue_changed(topic, partition);
        Ok(())
    }

    /// Replaces an in-flight batch the broker rejected as too large (`MESSAGE_TOO_LARGE`) by
    /// smaller ones at the head of its queue, each at most half its size (and at most
    /// `batch_size`), so repeated splits always make progress. Returns where each original
    /// record went: original indexes `[first_index, first_index + count)`, in order, are the
    /// new batch's records `0..count`.
    ///
    /// Sequences follow Java's `ProducerBatch.split`: the pieces share out the original's
    /// sequence range, so nothing after them needs renumbering. The pieces keep the original
    /// creation time and count as never sent.
    pub fn split(&mut self, batch_id: BatchId) -> Result<Vec<Run>, AccumulatorError> {
        match self.in_flight.get(&batch_id) {
            None => return Err(self.not_in_flight(batch_id)),
            Some(b) if b.record_count() < 2 => {
                return Err(AccumulatorError::NotSplittable(batch_id));
            }
            Some(_) => {}
        }
        let original = self.take_in_flight(batch_id)?;
        self.retire(&original);
        // The broker found the batch too large: the ratio that sized it was too hopeful.
        let sealed = original.wire_bytes().map_or(0, <[u8]>::len);
        self.topics[original.topic.index()]
            .compression_ratio
            .reset_after_split(sealed, original.builder.size_in_bytes());
        let records = original.builder.size_in_bytes() - RECORD_BATCH_OVERHEAD;
        let max_bytes = self
            .config
            .batch_size
            .min(records / 2 + RECORD_BATCH_OVERHEAD);
        let pieces = original.builder.split(max_bytes);

        let mut runs = Vec::with_capacity(pieces.len());
        let mut batches = Vec::with_capacity(pieces.len());
        let mut first_index = 0u32;
        let mut sequence = original.base_sequence();
        for builder in pieces {
            let id = self.allocate_batch_id();
            // Claim the id at once: `allocate_batch_id` skips ids in `locations`.
            self.locations
                .insert(id, (original.topic, original.partition));
            let count = builder.record_count();
            let reserved = builder.size_in_bytes();
            let mut piece = Batch::new(
                id,
                original.topic,
                original.partition,
                builder,
                original.created_ms,
            );
            piece.closed = true;
            piece.reserved = reserved;
            if let (Some(stamp), Some(base)) = (original.stamp, sequence) {
                piece.stamp = Some(ProducerStamp {
                    base_sequence: base,
                    ..stamp
                });
                sequence = Some(increment_sequence(base, count as i32));
            }
            // Split batches were already accounted for; Java also allocates them outside its
            // pool rather than fail records it accepted.
            self.memory.force_reserve(reserved);
            runs.push(Run {
                batch_id: id,
                first_index,
                count: count as u32,
            });
            first_index += count as u32;
            batches.push(piece);
        }
        let queue =
            &mut self.topics[original.topic.index()].partitions[original.partition as usize];
        for piece in batches.into_iter().rev() {
            if let Some(sequence) = piece.base_sequence() {
                queue.track_unacked(sequence, piece.id);
            }
            queue.reenqueue(piece);
        }
        self.queue_changed(original.topic, original.partition);
        self.metrics.split(&original, runs.len());
        Ok(runs)
    }

    /// Removes queued batches whose first record is at least `delivery_timeout_ms` old, oldest
    /// first per partition (a queue is in creation order, so the scan stops at the first young
    /// batch). In-flight batches are the sender's to time out, through [`Self::fail`].
    ///
    /// Called every sender round: it walks the queues only when the oldest head may be due.
    pub fn expire(&mut self, now_ms: i64, delivery_timeout_ms: i64) -> Vec<BatchId> {
        let mut expired = Vec::new();
        if !self.queued.may_expire(now_ms, delivery_timeout_ms) {
            return expired;
        }
        let mut oldest_head_ms = i64::MAX;
        for (topic, partition) in self.queued.to_vec() {
            loop {
                let queue = &mut self.topics[topic.index()].partitions[partition as usize];
                let old = queue
                    .batches
                    .front()
                    .is_some_and(|b| now_ms.saturating_sub(b.created_ms) >= delivery_timeout_ms);
                if !old {
                    break;
                }
                let batch = queue.batches.pop_front().expect("checked above");
                self.retire(&batch);
                self.metrics.records_expired += batch.record_count() as u64;
                self.metrics.failed(&batch);
                expired.push(batch.id);
                self.recycle(batch);
            }
            self.queue_changed(topic, partition);
            let queue = &self.topics[topic.index()].partitions[partition as usize];
            if let Some(head) = queue.batches.front() {
                oldest_head_ms = oldest_head_ms.min(head.created_ms);
            }
        }
        self.queued.set_oldest_head(oldest_head_ms);
        expired
    }

    /// Drops every batch, queued and in flight (forced close); returns their ids.
    pub fn abort_all(&mut self) -> Vec<BatchId> {
        let mut aborted: Vec<BatchId> = Vec::with_capacity(self.locations.len());
        for topic in &mut self.topics {
            for queue in &mut topic.partitions {
                for batch in queue.batches.drain(..) {
                    self.metrics.failed(&batch);
                    aborted.push(batch.id);
                }
                queue.in_flight = 0;
                queue.unacked.clear();
            }
        }
        for (id, batch) in self.in_flight.drain() {
            self.metrics.failed(&batch);
            aborted.push(id);
        }
        self.queued.clear();
        self.locations.clear();
        self.memory.release(self.memory.used());
        aborted
    }

    /// Drops queued batches that were never sent (a transaction abort: what the broker never
    /// saw can simply be failed); returns their ids.
    pub fn abort_undrained(&mut self) -> Vec<BatchId> {
        let mut aborted = Vec::new();
        for (topic, partition) in self.queued.to_vec() {
            let queue = &mut self.topics[topic.index()].partitions[partition as usize];
            let (never_sent, kept): (Vec<Batch>, Vec<Batch>) = queue
                .batches
                .drain(..)
                .partition(|b| !b.is_sealed() && b.stamp.is_none());
            queue.batches.extend(kept);
            for batch in never_sent {
                self.retire(&batch);
                self.metrics.failed(&batch);
                aborted.push(batch.id);
                self.recycle(batch);
            }
            self.queue_changed(topic, partition);
        }
        aborted
    }

    /// After an epoch bump (or a new producer id): every partition's sequences restart at 0.
    /// Batches already numbered and not yet acknowledged, queued or in flight, are renumbered
    /// from 0 in their sequence order under the current producer id and epoch (Java's
    /// `startSequencesAtBeginning`); their sealed bytes are restamped, not re-encoded.
    ///
    /// Does nothing before [`Self::set_producer_id`]: there is no epoch to renumber under.
    pub fn reset_sequences(&mut self) {
        let Some((producer_id, producer_epoch)) = self.producer else {
            return;
        };
        let transactional = self.config.transactional;
        for topic in &mut self.topics {
            for queue in &mut topic.partitions {
                let mut next = 0;
                let unacked = std::mem::take(&mut queue.unacked);
                for (_, id) in unacked {
                    let batch = match self.in_flight.get_mut(&id) {
                        Some(b) => b,
                        None => queue.find_mut(id).expect("unacked batches are live"),
                    };
                    batch.set_stamp(ProducerStamp {
                        producer_id,
                        producer_epoch,
                        base_sequence: next,
                        transactional,
                    });
                    let count = batch.record_count() as i32;
                    queue.unacked.push((next, id));
                    next = increment_sequence(next, count);
                }
                queue.next_sequence = next;
            }
        }
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
