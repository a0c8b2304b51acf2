//! Readiness: which partitions have something to send now, when the next one will, and the
//! adaptive partitioner's queue statistics gathered on the way (as Java's `ready` does).

use super::accumulator::{Accumulator, Topic};
use super::batch::{Compressing, TopicId};
use super::queue::PartitionQueue;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadyCheck {
    /// Partitions with a batch to send now.
    pub ready: Vec<(TopicId, i32)>,
    /// The earliest time (same clock as `now_ms`) another partition becomes sendable by linger
    /// or backoff; `None` when only an event (an append, a completion) can change anything.
    pub next_ready_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// Nothing to drain, or draining must wait for an event.
    Blocked,
    Sendable,
    /// Becomes sendable at this time.
    WaitUntil(i64),
}

impl Accumulator {
    /// Partitions with something to send now, and when the next one will have. Also
    /// refreshes the adaptive partitioner's weights from the queue lengths (as Java's
    /// `ready` does).
    ///
    /// With compression workers: takes back what they finished first, and a sendable head
    /// batch big enough to be worth the hand-over (one that linger or a flush made sendable
    /// before it filled) is closed and handed over instead of reported; it becomes sendable
    /// when it comes back.
    pub fn ready(&mut self, now_ms: i64) -> ReadyCheck {
        self.take_compressed();
        let mut check = ReadyCheck::default();
        let mut hand_over = Vec::new();
        // Only the partitions with a batch: any other is `Blocked`.
        for (t, p) in self.queued.iter() {
            let queue = &self.topics[t.index()].partitions[p as usize];
            match self.readiness(queue, now_ms) {
                Readiness::Sendable
                    if self.sealer.as_ref().is_some_and(|s| {
                        s.wants(queue.batches.front().expect("sendable queues have a head"))
                    }) =>
                {
                    hand_over.push((t, p));
                }
                Readiness::Sendable => check.ready.push((t, p)),
                Readiness::WaitUntil(at) => {
                    check.next_ready_ms =
                        Some(check.next_ready_ms.map_or(at, |next: i64| next.min(at)));
                }
                Readiness::Blocked => {}
            }
        }
        if self.config.partitioner_adaptive {
            // Keyed records never ask the sticky partitioner: a keyed-only topic's weights
            // would cost a walk over all its partitions each round for nothing.
            for topic in self.topics.iter_mut().filter(|t| t.sticky_used) {
                topic.refresh_load_stats();
            }
        }
        let kept = match &mut self.sealer {
            Some(sealer) => {
                for (t, p) in hand_over {
                    let head = self.topics[t.index()].partitions[p as usize]
                        .batches
                        .front_mut();
                    let head = head.expect("sendable queues have a head");
                    head.closed = true;
                    sealer.offer(head);
                }
                sealer.submit()
            }
            None => Vec::new(),
        };
        // A lone sendable head is compressed at the drain: it is reported ready now.
        check.ready.extend(self.put_back(kept));
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
        if matches!(head.compressing, Compressing::OnWorker(_)) {
            return false; // the worker's wake-up brings it back
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
        let sendable = head.retried
            || queue.batches.len() > 1
            || head.is_full()
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
}

impl Topic {
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
        self.sticky
            .update_load_stats(&sizes, &ids, self.num_partitions);
    }
}
