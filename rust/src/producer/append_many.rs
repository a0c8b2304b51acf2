//! Appending many records of one topic in one call (`send_many`): one timestamp, no headers,
//! records pushed one by one by a [`BulkAppend`] so that the caller can lend each key and
//! value only while it is appended (the binding reads them in place from a Python list).

use super::accumulator::Accumulator;
use super::batch::{BatchId, TopicId};
use super::error::AccumulatorError;
use super::partitioner::partition_for_key;

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

/// An `append_many` in progress: [`Self::push`] each record in order until one fails, then
/// [`Self::stop`] with its error, or [`Self::finish`].
#[derive(Debug)]
pub struct BulkAppend<'a> {
    acc: &'a mut Accumulator,
    topic: TopicId,
    partition: Option<i32>,
    timestamp_ms: i64,
    now_ms: i64,
    runs: Vec<Run>,
    appended: usize,
    /// The partition the next unkeyed record goes to, when known without the partitioner:
    /// the sticky one, while its open batch can take more (see `Accumulator::sticky_stays`).
    sticky_next: Option<i32>,
}

impl Accumulator {
    /// Starts appending records of `topic` with one timestamp; see [`BulkAppend`].
    pub fn bulk_append(
        &mut self,
        topic: &str,
        num_partitions: i32,
        partition: Option<i32>,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<BulkAppend<'_>, AccumulatorError> {
        let topic = self.topic_id_or_insert(topic);
        self.update_partition_count(topic, num_partitions)?;
        Ok(BulkAppend {
            acc: self,
            topic,
            partition,
            timestamp_ms,
            now_ms,
            runs: Vec::new(),
            appended: 0,
            sticky_next: None,
        })
    }

    /// Appends records with one timestamp and no headers, in order, until one fails. The
    /// first record's failure is returned as the error; a later one stops the run (see
    /// [`AppendManyOutcome`]) so the caller knows exactly which records are in.
    pub fn append_many<'r>(
        &mut self,
        topic: &str,
        num_partitions: i32,
        partition: Option<i32>,
        records: impl IntoIterator<Item = (Option<&'r [u8]>, Option<&'r [u8]>)>,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> Result<AppendManyOutcome, AccumulatorError> {
        let mut bulk = self.bulk_append(topic, num_partitions, partition, timestamp_ms, now_ms)?;
        for (key, value) in records {
            if let Err(error) = bulk.push(key, value) {
                return bulk.stop(error);
            }
        }
        Ok(bulk.finish())
    }
}

impl BulkAppend<'_> {
    /// Appends the next record, as [`Accumulator::append`] would (partition by key, or
    /// sticky, unless one was given). On an error nothing of that record is appended.
    ///
    /// Most records take the shortcut: their partition known at once (given, hashed from the
    /// key, or the sticky one while it stays), and their size bound within the room of that
    /// partition's open batch and the free memory. The first record, one that fills a batch
    /// or opens one, and those near the memory limit go the single append's whole way.
    pub fn push(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(), AccumulatorError> {
        let timestamp_ms = self.timestamp_ms;
        let shortcut = self.known_partition(key).and_then(|(partition, sticky)| {
            let acc = &mut *self.acc;
            acc.append_if_room(self.topic, partition, sticky, key, value, &[], timestamp_ms)
        });
        let done = if let Some(done) = shortcut {
            done
        } else {
            let now_ms = self.now_ms;
            self.acc.append_to(
                self.topic,
                self.partition,
                key,
                value,
                &[],
                self.timestamp_ms,
                || now_ms,
            )?
        };
        if self.partition.is_none() && self.keyless(key) {
            self.sticky_next = self
                .acc
                .sticky_stays(self.topic, done.partition)
                .then_some(done.partition);
        }
        self.appended += 1;
        match self.runs.last_mut() {
            Some(run)
                if run.batch_id == done.batch_id && run.first_index + run.count == done.index =>
            {
                run.count += 1;
            }
            _ => self.runs.push(Run {
                batch_id: done.batch_id,
                first_index: done.index,
                count: 1,
            }),
        }
        Ok(())
    }

    /// The record's partition and whether the sticky partitioner chose it, when known with no
    /// check left: after a first record went in (the producer is open, the topic's partition
    /// count is set), for a given partition in range, a key, or the sticky partition while
    /// it stays.
    fn known_partition(&self, key: Option<&[u8]>) -> Option<(i32, bool)> {
        if self.appended == 0 {
            return None;
        }
        let num_partitions = self.acc.topics[self.topic.index()].num_partitions;
        match (self.partition, key) {
            (Some(p), _) => (0..num_partitions).contains(&p).then_some((p, false)),
            (None, Some(k)) if !self.acc.config.partitioner_ignore_keys => {
                Some((partition_for_key(k, num_partitions), false))
            }
            (None, _) => self.sticky_next.map(|p| (p, true)),
        }
    }

    /// The partitioner treats the record as unkeyed.
    fn keyless(&self, key: Option<&[u8]>) -> bool {
        key.is_none() || self.acc.config.partitioner_ignore_keys
    }

    /// Records appended so far.
    pub fn appended(&self) -> usize {
        self.appended
    }

    /// Ends after `error` refused a record: the error itself if it was the first, else what
    /// went in before it, with the error.
    pub fn stop(self, error: AccumulatorError) -> Result<AppendManyOutcome, AccumulatorError> {
        if self.appended == 0 {
            return Err(error);
        }
        Ok(AppendManyOutcome {
            runs: self.runs,
            appended: self.appended,
            error: Some(error),
        })
    }

    pub fn finish(self) -> AppendManyOutcome {
        AppendManyOutcome {
            runs: self.runs,
            appended: self.appended,
            error: None,
        }
    }
}

#[cfg(test)]
#[path = "append_many_tests.rs"]
mod tests;
