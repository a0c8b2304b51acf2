//! What the `Accumulator` hands back to Python: one frozen class per answer, with typed, named
//! fields declared in `_native.pyi` (stubtest checks the declaration against these). None of
//! them is per record: a sender round, a drain or a `send_many` call makes a few.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::value_class::value_class;
use crate::producer::{BatchId, ReadyCheck as CoreReadyCheck, Run, TopicId};

value_class! {
    /// `count` consecutive records that went to batch `batch_id`. From `append_many`: they
    /// are its records `first_index..first_index + count` (the input records follow the runs
    /// in order). From `split`: they were the split batch's records `first_index..first_index +
    /// count` and are the new batch's `0..count`.
    BatchRun {
        batch_id: BatchId,
        first_index: u32,
        count: u32,
    }
}

impl BatchRun {
    pub fn list(py: Python<'_>, runs: &[Run]) -> PyResult<Vec<Py<Self>>> {
        runs.iter()
            .map(|r| {
                Py::new(
                    py,
                    Self {
                        batch_id: r.batch_id,
                        first_index: r.first_index,
                        count: r.count,
                    },
                )
            })
            .collect()
    }
}

value_class! {
    /// A partition of a topic: where a batch goes.
    TopicPartition {
        topic: Py<PyString>,
        partition: i32,
    }
}

impl TopicPartition {
    pub fn new_py(py: Python<'_>, topic: &str, partition: i32) -> PyResult<Py<Self>> {
        Py::new(
            py,
            Self {
                topic: PyString::new(py, topic).unbind(),
                partition,
            },
        )
    }
}

value_class! {
    /// What `Accumulator.ready` found.
    ReadyCheck {
        /// The partitions with a batch to send now (a list of `TopicPartition`, built once:
        /// the sender reads it every round, and a `Vec` would be copied into a new list on
        /// each read).
        partitions: Py<PyList>,
        /// The earliest time (ms) another becomes sendable by linger or backoff; `None`: only
        /// an append or a completion can change that.
        next_ready_ms: Option<i64>,
    }
}

impl ReadyCheck {
    /// From the core's answer; `topic_name` names the topic ids in it.
    pub fn new_py<'a>(
        py: Python<'_>,
        check: CoreReadyCheck,
        topic_name: impl Fn(TopicId) -> &'a str,
    ) -> PyResult<Self> {
        let partitions = PyList::empty(py);
        for (topic, partition) in check.ready {
            partitions.append(TopicPartition::new_py(py, topic_name(topic), partition)?)?;
        }
        Ok(Self {
            partitions: partitions.unbind(),
            next_ready_ms: check.next_ready_ms,
        })
    }
}

value_class! {
    /// A batch a drain could not seal (a codec failed): its records must be failed.
    FailedBatch {
        batch_id: BatchId,
        reason: String,
    }
}

value_class! {
    /// Something that happened to a batch, for the producer's metrics.
    BatchEvent {
        /// 0 sent, 1 retried, 2 failed, 3 split (`producer::metrics::BatchEventKind`).
        kind: u8,
        topic: Py<PyString>,
        records: u32,
        /// The sealed (compressed) batch's size; 0 unless sent.
        size_bytes: u32,
        /// The size before compression, batch header included; 0 unless sent.
        uncompressed_bytes: u32,
        /// From the batch's first record to its drain; 0 unless sent.
        queue_time_ms: i64,
    }
}

impl BatchEvent {
    pub fn new_py(
        py: Python<'_>,
        event: &crate::producer::metrics::BatchEvent,
        topic: &str,
    ) -> PyResult<Py<Self>> {
        let event = Self {
            kind: event.kind as u8,
            topic: PyString::new(py, topic).unbind(),
            records: event.records,
            size_bytes: event.bytes,
            uncompressed_bytes: event.uncompressed_bytes,
            queue_time_ms: event.queue_time_ms,
        };
        Py::new(py, event)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BatchRun>()?;
    m.add_class::<TopicPartition>()?;
    m.add_class::<ReadyCheck>()?;
    m.add_class::<FailedBatch>()?;
    m.add_class::<BatchEvent>()?;
    Ok(())
}
