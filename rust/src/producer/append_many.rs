//! Appending many records of one topic in one call (`send_many`): one timestamp, no headers,
//! records pushed one by one by a [`BulkAppend`] so that the caller can lend each key and
//! value only while it is appended (the binding reads them in place from a Python list).

use super::accumulator::Accumulator;
use super::batch::{BatchId, TopicId};
use super::error::AccumulatorError;

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
    pub fn push(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(), AccumulatorError> {
        let now_ms = self.now_ms;
        let done = self.acc.append_to(
            self.topic,
            self.partition,
            key,
            value,
            &[],
            self.timestamp_ms,
            || now_ms,
        )?;
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
