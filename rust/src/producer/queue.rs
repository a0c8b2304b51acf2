//! The per-partition state: the queue of batches waiting to be sent and the idempotence
//! bookkeeping that must stay next to it (next sequence, batches sent but not acknowledged).

use std::collections::VecDeque;

use super::batch::{Batch, BatchId};

#[derive(Debug, Default)]
pub struct PartitionQueue {
    /// Oldest first. Only the last batch may still be open for appends.
    pub batches: VecDeque<Batch>,
    /// Sequence for the next batch drained without one (idempotence).
    pub next_sequence: i32,
    /// Drained batches not yet completed, retried, split or failed: what the broker may be
    /// processing right now. Drives muting when order must be kept with one request in flight.
    pub in_flight: u32,
    /// `(base_sequence, batch)` of every batch given a sequence and not yet completed or
    /// failed, ascending. Includes retried batches back in `batches`: a retry must wait until
    /// it is the lowest of these, or the broker sees a gap (Java: `firstInFlightSequence`).
    pub unacked: Vec<(i32, BatchId)>,
    /// The partition received a batch at least once (Java creates its deque then): adaptive
    /// partitioning waits until every partition of the topic has one.
    pub seen: bool,
    /// Bytes of the partition's last batch closed or drained (0: none yet): the next batch's
    /// buffer starts that big rather than `batch_size`, so partitions that fill small batches
    /// (many partitions, a short linger) do not each hold a mostly empty `batch_size` buffer.
    pub last_batch_bytes: usize,
}

impl PartitionQueue {
    /// The buffer to open a batch with, whose first record makes it `first_bytes` long: the
    /// partition's last batch and a quarter more (`most` when there was none, like Java's
    /// pooled buffers: growing a 16 KiB buffer by doubling would copy it four times), never
    /// more than `most` (what the new batch may hold) unless the first record needs it. The
    /// quarter keeps a batch as big as the last from doubling its buffer for its last records.
    pub fn next_batch_capacity(&self, first_bytes: usize, most: usize) -> usize {
        let expected = match self.last_batch_bytes {
            0 => most,
            last => last.saturating_add(last / 4).min(most),
        };
        expected.max(first_bytes)
    }

    /// True when nothing more can be appended to the queue's last batch (or there is none),
    /// which is when the sticky partitioner may switch without leaving a fractional batch.
    pub fn all_batches_full(&self) -> bool {
        self.batches.back().map_or(true, Batch::is_full)
    }

    pub fn first_unacked_sequence(&self) -> Option<i32> {
        self.unacked.first().map(|&(seq, _)| seq)
    }

    pub fn track_unacked(&mut self, sequence: i32, id: BatchId) {
        let at = self.unacked.partition_point(|&(s, _)| s < sequence);
        self.unacked.insert(at, (sequence, id));
    }

    pub fn forget_unacked(&mut self, id: BatchId) {
        self.unacked.retain(|&(_, b)| b != id);
    }

    /// Puts a batch that was sent back at the head of the queue. With sequences, batches that
    /// come back out of order (several were in flight to one partition) are kept in sequence
    /// order behind other returned batches with lower sequences (Java `insertInSequenceOrder`).
    pub fn reenqueue(&mut self, batch: Batch) {
        let Some(sequence) = batch.base_sequence() else {
            self.batches.push_front(batch);
            return;
        };
        let at = self
            .batches
            .iter()
            .position(|b| b.base_sequence().map_or(true, |s| s >= sequence))
            .unwrap_or(self.batches.len());
        self.batches.insert(at, batch);
    }

    /// Removes a queued batch by id, wherever it sits.
    pub fn remove(&mut self, id: BatchId) -> Option<Batch> {
        let at = self.batches.iter().position(|b| b.id == id)?;
        self.batches.remove(at)
    }

    pub fn find_mut(&mut self, id: BatchId) -> Option<&mut Batch> {
        self.batches.iter_mut().find(|b| b.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::batch::TopicId;
    use crate::record::{BatchBuilder, ProducerStamp};

    fn batch(id: BatchId, sequence: Option<i32>) -> Batch {
        let mut b = Batch::new(id, TopicId(0), 0, BatchBuilder::new(0, 0), 0);
        if let Some(s) = sequence {
            b.stamp = Some(ProducerStamp {
                producer_id: 1,
                producer_epoch: 0,
                base_sequence: s,
                transactional: false,
            });
        }
        b
    }

    fn ids(q: &PartitionQueue) -> Vec<BatchId> {
        q.batches.iter().map(|b| b.id).collect()
    }

    #[test]
    fn reenqueue_without_sequence_goes_to_head() {
        let mut q = PartitionQueue::default();
        q.batches.push_back(batch(1, None));
        q.reenqueue(batch(2, None));
        assert_eq!(ids(&q), [2, 1]);
    }

    #[test]
    fn reenqueue_keeps_sequence_order() {
        let mut q = PartitionQueue::default();
        q.batches.push_back(batch(9, None)); // never drained
        q.reenqueue(batch(3, Some(20)));
        q.reenqueue(batch(1, Some(0)));
        q.reenqueue(batch(2, Some(10)));
        assert_eq!(ids(&q), [1, 2, 3, 9]);
    }

    #[test]
    fn unacked_sorted_and_forgotten() {
        let mut q = PartitionQueue::default();
        q.track_unacked(10, 2);
        q.track_unacked(0, 1);
        q.track_unacked(20, 3);
        assert_eq!(q.first_unacked_sequence(), Some(0));
        q.forget_unacked(1);
        assert_eq!(q.first_unacked_sequence(), Some(10));
        assert_eq!(q.unacked, [(10, 2), (20, 3)]);
    }
}
