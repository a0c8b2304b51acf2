//! The partitions that have batches queued: what `ready`, `expire` and the aborts walk, so
//! their cost follows the partitions in use rather than every partition of every topic (a
//! keyed producer over 3,000 partitions has a few hundred queued at a time).

use std::collections::BTreeSet;

use super::accumulator::Accumulator;
use super::batch::TopicId;

/// Ordered by topic, then partition: `ready` reports partitions in the same order as a walk
/// over every queue would, so the drain's rotation over a node's partitions is unchanged.
#[derive(Debug, Default)]
pub(crate) struct QueuedPartitions {
    set: BTreeSet<(TopicId, i32)>,
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
        let queued = !self.topics[topic.index()].partitions[partition as usize]
            .batches
            .is_empty();
        self.queued.set(topic, partition, queued);
    }
}

#[cfg(test)]
#[path = "queued_tests.rs"]
mod tests;
