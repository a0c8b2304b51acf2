//! The partitions that have batches queued: what `ready`, `expire` and the aborts walk, so
//! their cost follows the partitions in use rather than every partition of every topic (a
//! keyed producer over 3,000 partitions has a few hundred queued at a time).

use std::collections::BTreeSet;

use super::accumulator::Accumulator;
use super::batch::TopicId;

/// Ordered by topic, then partition: `ready` reports partitions in the same order as a walk
/// over every queue would, so the drain's rotation over a node's partitions is unchanged.
#[derive(Debug)]
pub(crate) struct QueuedPartitions {
    set: BTreeSet<(TopicId, i32)>,
    /// At most the creation time of every queue's head (the oldest batch of its queue, which
    /// is all `expire` looks at): until it is `delivery_timeout_ms` old nothing can expire,
    /// and `expire` walks nothing. Lowered when a queue gets a head, made exact by each walk.
    oldest_head_ms: i64,
}

impl Default for QueuedPartitions {
    fn default() -> Self {
        Self {
            set: BTreeSet::new(),
            oldest_head_ms: i64::MAX,
        }
    }
}

impl QueuedPartitions {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (TopicId, i32)> + '_ {
        self.set.iter().copied()
    }

    /// A copy, for walks that add or remove batches on the way.
    pub fn to_vec(&self) -> Vec<(TopicId, i32)> {
        self.set.iter().copied().collect()
    }

    pub fn clear(&mut self) {
        self.set.clear();
        self.oldest_head_ms = i64::MAX;
    }

    /// Whether a queued batch may be `delivery_timeout_ms` old at `now_ms`.
    pub fn may_expire(&self, now_ms: i64, delivery_timeout_ms: i64) -> bool {
        self.oldest_head_ms != i64::MAX
            && now_ms.saturating_sub(self.oldest_head_ms) >= delivery_timeout_ms
    }

    /// After a walk over every queue: the oldest head it saw (`i64::MAX`: none).
    pub fn set_oldest_head(&mut self, created_ms: i64) {
        self.oldest_head_ms = created_ms;
    }

    fn set(&mut self, topic: TopicId, partition: i32, queued: bool) {
        if queued {
            self.set.insert((topic, partition));
        } else {
            self.set.remove(&(topic, partition));
        }
    }
}

impl Accumulator {
    /// Brings the list up to date after batches were added to or taken from a queue.
    pub(crate) fn queue_changed(&mut self, topic: TopicId, partition: i32) {
        let queue = &self.topics[topic.index()].partitions[partition as usize];
        let head_ms = queue.batches.front().map(|b| b.created_ms);
        self.queued.set(topic, partition, head_ms.is_some());
        if let Some(created_ms) = head_ms {
            let oldest = &mut self.queued.oldest_head_ms;
            *oldest = (*oldest).min(created_ms);
        }
    }
}

#[cfg(test)]
#[path = "queued_tests.rs"]
mod tests;
