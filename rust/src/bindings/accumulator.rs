//! Python face of the producer core (`crate::producer`): the `Accumulator` class. Thin on
//! purpose: argument conversion only; what each refusal raises (the public
//! classes of `ferrokafka.errors`) is `accumulator_errors`'s.

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use super::accumulator_errors::{
    accumulator_error, bulk_arguments, headers_argument, partition_argument,
};
use super::accumulator_results::{BatchEvent, BatchRun, FailedBatch, ReadyCheck, TopicPartition};
use super::bulk_items::Item;
use super::errors::config_error;
use super::frame_bytes::frame_bytes;
use crate::producer::workers::hand_over_from;
use crate::producer::{Accumulator, AccumulatorConfig, AccumulatorError, BatchId, Route, TopicId};
use crate::protocol::produce::ProduceFrame;
use crate::protocol::RequestHeader;
use crate::record::{Compression, Header};

/// For the operations that name no topic.
fn to_py(err: AccumulatorError) -> PyErr {
    accumulator_error(&err, None)
}

/// Batch ids are `u32` in Rust; Python may hand back any int.
fn batch_id(id: u64) -> PyResult<BatchId> {
    BatchId::try_from(id).map_err(|_| PyKeyError::new_err(format!("no batch with id {id}")))
}

/// Per-partition record batches for the producer: appends, readiness, draining into Produce
/// requests, and the outcome of each sent batch. All times are milliseconds on the caller's
/// clock (monotonic); the accumulator never reads one itself.
#[pyclass(module = "ferrokafka._native", name = "Accumulator")]
pub struct PyAccumulator {
    inner: Accumulator,
    /// The topic object of the previous append and its id: the next append usually names the
    /// same `str` object, and comparing pointers is cheaper than reading and hashing the name.
    /// Holding the reference keeps the pointer from being reused by another object.
    last_topic: Option<(Py<PyString>, TopicId)>,
    /// Batches a drain could not seal (a codec failure), until `take_failed` hands them over.
    failed: Vec<Py<FailedBatch>>,
}

#[pymethods]
impl PyAccumulator {
    #[new]
    #[pyo3(signature = (
        *,
        batch_size = 16_384,
        linger_ms = 5,
        buffer_memory = 33_554_432,
        max_request_size = 1_048_576,
        compression = "none",
        compression_level = None,
        idempotent = true,
        transactional = false,
        partitioner_ignore_keys = false,
        partitioner_adaptive = true,
        mute_while_in_flight = false,
        compress_on_workers = true,
    ))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn new(
        batch_size: usize,
        linger_ms: i64,
        buffer_memory: usize,
        max_request_size: usize,
        compression: &str,
        compression_level: Option<i32>,
        idempotent: bool,
        transactional: bool,
        partitioner_ignore_keys: bool,
        partitioner_adaptive: bool,
        mute_while_in_flight: bool,
        compress_on_workers: bool,
    ) -> PyResult<Self> {
        let compression = Compression::parse(compression, compression_level)
            .map_err(|e| config_error(e.to_string()))?;
        let config = AccumulatorConfig {
            batch_size,
            linger_ms,
            buffer_memory,
            max_request_size,
            compression,
            idempotent,
            transactional,
            partitioner_ignore_keys,
            partitioner_adaptive,
            mute_while_in_flight,
            compress_on_workers_from: compress_on_workers
                .then(|| hand_over_from(compression.codec)),
        };
        Ok(Self {
            inner: Accumulator::new(config).map_err(to_py)?,
            last_topic: None,
            failed: Vec::new(),
        })
    }

    /// Appends one record; returns its handle `batch_id << 32 | index` (one int instead of a
    /// tuple: the hot path allocates nothing else). The record's offset will be the batch's
    /// base offset plus `index`; `batch_info(batch_id)` names its topic and partition.
    #[pyo3(signature = (topic, num_partitions, partition, key, value, headers, timestamp_ms, now_ms))]
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        topic: &Bound<'_, PyString>,
        num_partitions: i32,
        partition: Option<&Bound<'_, PyAny>>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: Option<&Bound<'_, PyAny>>,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> PyResult<u64> {
        let name = topic.to_str()?;
        let partition = partition_argument(name, partition, Some(num_partitions))?;
        let headers = headers_argument(name, headers)?;
        // Empty without headers: collecting nothing allocates nothing.
        let headers: Vec<Header<'_>> = headers
            .iter()
            .map(|(k, v)| Header {
                key: k,
                value: v.as_deref(),
            })
            .collect();
        self.append_record(
            topic,
            num_partitions,
            partition,
            key,
            value,
            &headers,
            timestamp_ms,
            || now_ms,
        )
        .map_err(|err| accumulator_error(&err, Some(name)))
    }

    /// Appends many records (no headers, one timestamp) in one call; returns the `BatchRun`s
    /// they went to, in input order. Stops early when a record does not fit (the counts then
    /// sum to less than `len(values)`: wait and append the rest); raises only if the very first
    /// record fails.
    #[pyo3(signature = (topic, num_partitions, values, keys = None, *, partition = None, timestamp_ms, now_ms))]
    #[allow(clippy::too_many_arguments)]
    fn append_many(
        &mut self,
        py: Python<'_>,
        topic: &str,
        num_partitions: i32,
        values: &Bound<'_, PyAny>,
        keys: Option<&Bound<'_, PyAny>>,
        partition: Option<&Bound<'_, PyAny>>,
        timestamp_ms: i64,
        now_ms: i64,
    ) -> PyResult<Vec<Py<BatchRun>>> {
        let partition = partition_argument(topic, partition, Some(num_partitions))?;
        let (values, keys) = bulk_arguments(topic, values, keys)?;
        let refused = |err: AccumulatorError| accumulator_error(&err, Some(topic));
        let mut bulk = self
            .inner
            .bulk_append(topic, num_partitions, partition, timestamp_ms, now_ms)
            .map_err(refused)?;
        for index in 0..values.len() {
            // Both are checked: an item is missing only if the argument changed meanwhile,
            // which nothing can do; then the records before it are what went in.
            let Some(value) = values.get(index) else {
                break;
            };
            let key = match &keys {
                Some(keys) => match keys.get(index) {
                    Some(key) => Some(key),
                    None => break,
                },
                None => None,
            };
            if let Err(err) = bulk.push(key.as_ref().and_then(Item::bytes), value.bytes()) {
                let outcome = bulk.stop(err).map_err(refused)?;
                return BatchRun::list(py, &outcome.runs);
            }
        }
        BatchRun::list(py, &bulk.finish().runs)
    }

    /// The topic and partition of a queued or in-flight batch; `KeyError` once it is gone.
    fn batch_info(&self, py: Python<'_>, batch_id: u64) -> PyResult<Py<TopicPartition>> {
        let (topic, partition) = self
            .inner
            .batch_info(self::batch_id(batch_id)?)
            .ok_or_else(|| to_py(AccumulatorError::UnknownBatch(batch_id as BatchId)))?;
        TopicPartition::new_py(py, topic, partition)
    }

    /// The partitions with something to send now, and the earliest time another becomes
    /// sendable. Also refreshes the adaptive partitioner's weights.
    fn ready(&mut self, py: Python<'_>, now_ms: i64) -> PyResult<ReadyCheck> {
        let check = self.inner.ready(now_ms);
        ReadyCheck::new_py(py, check, |topic| self.inner.topic_name(topic))
    }

    /// Takes the batches of one request per node: `routing` maps `(topic, partition)` to the
    /// leader's node id; only nodes with a sendable partition are drained, at most one batch
    /// per partition, within `max_request_size`. Batches get their sequence numbers and are
    /// sealed (compressed) with the GIL released. Returns `{node_id: [batch_id, ...]}`.
    ///
    /// `routing` stays a dict keyed by plain tuples, not `TopicPartition`s: the sender builds
    /// it afresh each round from its metadata, which keys partitions so, and hashing a tuple
    /// of a str and an int costs less than a class's `__hash__` over a tuple of its fields.
    ///
    /// `busy_nodes`: nodes with a request of this producer out, which get another only if it
    /// is worth one of its own (a full batch, a retry, `batch_size` bytes in all); their
    /// smaller batches wait for the answer and go together.
    #[pyo3(signature = (routing, max_request_size, now_ms, busy_nodes = Vec::new()))]
    fn drain<'py>(
        &mut self,
        py: Python<'py>,
        routing: &Bound<'py, PyDict>,
        max_request_size: usize,
        now_ms: i64,
        busy_nodes: Vec<i32>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut routes = Vec::with_capacity(routing.len());
        for (key, node) in routing.iter() {
            let key = key.cast_into::<PyTuple>()?;
            let topic = key.get_item(0)?;
            let topic = topic.cast::<PyString>()?.to_str()?;
            let Some(topic) = self.inner.topic_id(topic) else {
                continue; // never appended to: nothing to drain
            };
            let partition: i32 = key.get_item(1)?.extract()?;
            routes.push(Route {
                topic,
                partition,
                node: node.extract()?,
            });
        }
        let mut selection = self
            .inner
            .drain_select(&routes, max_request_size, now_ms, &busy_nodes);
        if !selection.is_empty() {
            let compression = self.inner.config().compression;
            py.detach(|| selection.seal(&compression));
        }
        let drained = self.inner.drain_finish(selection);
        for (batch_id, error) in drained.failed {
            let reason = error.to_string();
            self.failed
                .push(Py::new(py, FailedBatch { batch_id, reason })?);
        }
        let out = PyDict::new(py);
        for (node, ids) in drained.by_node {
            out.set_item(node, ids)?;
        }
        Ok(out)
    }

    /// The file descriptor that becomes readable when batches come back from the compression
    /// worker threads: wait on it, call `take_compressed`, then look at `ready` again. `None`
    /// when this accumulator compresses nothing on them (no codec).
    fn compression_wake_fd(&self) -> Option<i32> {
        self.inner.compression_wake_fd()
    }

    /// Files batches the workers finished as drainable (`ready` does it too) and consumes
    /// the wake-up; returns how many became drainable.
    fn take_compressed(&mut self) -> usize {
        self.inner.take_compressed()
    }

    /// Batches on the compression workers now.
    fn compressing_batches(&self) -> usize {
        self.inner.compressing_batches()
    }

    /// Batches a drain had to drop because they could not be sealed, with the reason; their
    /// records must be failed. Empty unless a codec failed.
    fn take_failed(&mut self) -> Vec<Py<FailedBatch>> {
        std::mem::take(&mut self.failed)
    }

    /// The whole Produce request frame (size prefix included) for in-flight batches, built
    /// from their sealed bytes in Rust.
    #[pyo3(signature = (batch_ids, correlation_id, client_id, api_version, acks, timeout_ms, transactional_id))]
    #[allow(clippy::too_many_arguments)]
    fn produce_request<'py>(
        &self,
        py: Python<'py>,
        batch_ids: Vec<u64>,
        correlation_id: i32,
        client_id: Option<&str>,
        api_version: i16,
        acks: i16,
        timeout_ms: i32,
        transactional_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let ids = batch_ids
            .into_iter()
            .map(batch_id)
            .collect::<PyResult<Vec<_>>>()?;
        let header = RequestHeader {
            api_version,
            correlation_id,
            client_id,
        };
        let batches = self.inner.sealed_batches(&ids).map_err(to_py)?;
        let frame = ProduceFrame::new(&header, acks, timeout_ms, transactional_id, &batches)
            .map_err(|err| to_py(err.into()))?;
        frame_bytes(py, &frame)
    }

    /// The sealed record batch of an in-flight batch (tests and tooling).
    fn sealed_batch<'py>(&self, py: Python<'py>, batch_id: u64) -> PyResult<Bound<'py, PyBytes>> {
        let id = self::batch_id(batch_id)?;
        let bytes = self
            .inner
            .sealed_batch(id)
            .ok_or_else(|| to_py(AccumulatorError::NotInFlight(id)))?;
        Ok(PyBytes::new(py, bytes))
    }

    /// The broker stored the batch: releases its memory; returns its record count. (Each
    /// record's metadata is built from its future and the response, not from here: a list
    /// of a batch's timestamps would be built for records nobody asks about.)
    fn complete(&mut self, batch_id: u64) -> PyResult<usize> {
        self.inner
            .complete(self::batch_id(batch_id)?)
            .map_err(to_py)
    }

    /// Sends an in-flight batch back to the head of its queue, drainable again at
    /// `now_ms + backoff_ms`; it keeps its sequence numbers.
    fn retry(&mut self, batch_id: u64, now_ms: i64, backoff_ms: i64) -> PyResult<()> {
        self.inner
            .retry(self::batch_id(batch_id)?, now_ms, backoff_ms)
            .map_err(to_py)
    }

    /// Drops a queued or in-flight batch and releases its memory; returns its record count.
    fn fail(&mut self, batch_id: u64) -> PyResult<usize> {
        self.inner.fail(self::batch_id(batch_id)?).map_err(to_py)
    }

    /// Replaces an in-flight batch rejected with `MESSAGE_TOO_LARGE` by smaller batches at the
    /// head of its queue. Returns one `BatchRun` per new batch: the old batch's records
    /// `first_index..first_index + count` are the new batch's `0..count`. Empty for a
    /// single-record batch, which stays in flight: no smaller batch can hold it, so the caller
    /// fails it as too large.
    fn split(&mut self, py: Python<'_>, batch_id: u64) -> PyResult<Vec<Py<BatchRun>>> {
        match self.inner.split(self::batch_id(batch_id)?) {
            Ok(runs) => BatchRun::list(py, &runs),
            Err(AccumulatorError::NotSplittable(_)) => Ok(Vec::new()),
            Err(err) => Err(to_py(err)),
        }
    }

    /// Removes queued batches whose first record is at least `delivery_timeout_ms` old and
    /// returns their ids; their records must be failed with a timeout.
    fn expire(&mut self, now_ms: i64, delivery_timeout_ms: i64) -> Vec<BatchId> {
        self.inner.expire(now_ms, delivery_timeout_ms)
    }

    /// Drops every batch, queued and in flight; returns their ids.
    fn abort_all(&mut self) -> Vec<BatchId> {
        self.inner.abort_all()
    }

    /// Drops queued batches that were never sent (transaction abort); returns their ids.
    fn abort_undrained(&mut self) -> Vec<BatchId> {
        self.inner.abort_undrained()
    }

    /// Producer id and epoch for idempotent batches; -1 blocks draining until a valid one.
    fn set_producer_id(&mut self, producer_id: i64, epoch: i16) {
        self.inner.set_producer_id(producer_id, epoch);
    }

    /// After an epoch bump: sequences restart at 0; unacknowledged batches are renumbered.
    fn reset_sequences(&mut self) {
        self.inner.reset_sequences();
    }

    /// Partitions of `topic` that have a leader (`None`: all). Unkeyed records go only there.
    fn set_available_partitions(&mut self, topic: &str, partitions: Option<Vec<i32>>) {
        self.inner.set_available_partitions(topic, partitions);
    }

    /// Makes everything sendable now, until `end_flush` (calls nest).
    fn begin_flush(&mut self) {
        self.inner.begin_flush();
    }

    fn end_flush(&mut self) {
        self.inner.end_flush();
    }

    /// Refuses further appends (`ProducerClosedError`) and makes everything sendable.
    fn close(&mut self) {
        self.inner.close();
    }

    fn buffer_memory(&self) -> usize {
        self.inner.buffer_memory()
    }

    fn available_memory(&self) -> usize {
        self.inner.available_memory()
    }

    fn used_memory(&self) -> usize {
        self.inner.used_memory()
    }

    fn queued_batches(&self) -> usize {
        self.inner.queued_batches()
    }

    fn in_flight_batches(&self) -> usize {
        self.inner.in_flight_batches()
    }

    /// Queued plus in flight: what a flush waits for.
    fn live_batches(&self) -> usize {
        self.inner.live_batches()
    }

    fn has_undrained(&self) -> bool {
        self.inner.has_undrained()
    }

    /// Running totals: records/bytes appended, batches created/sealed, uncompressed and
    /// compressed bytes, completions, retries, splits, failures, expiries, refusals for memory.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (name, value) in self.inner.metrics().pairs() {
            out.set_item(name, value)?;
        }
        Ok(out)
    }

    /// The batch events since the last call, oldest first.
    fn take_batch_events(&mut self, py: Python<'_>) -> PyResult<Vec<Py<BatchEvent>>> {
        let events = self.inner.take_batch_events();
        events
            .into_iter()
            .map(|e| BatchEvent::new_py(py, &e, self.inner.topic_name(TopicId(e.topic))))
            .collect()
    }
}

impl PyAccumulator {
    /// `append` for callers inside the crate (the send fast path), with Rust-side errors.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn append_record(
        &mut self,
        topic: &Bound<'_, PyString>,
        num_partitions: i32,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
        timestamp_ms: i64,
        now_ms: impl FnOnce() -> i64,
    ) -> Result<u64, AccumulatorError> {
        let topic = match &self.last_topic {
            Some((last, id)) if last.as_ptr() == topic.as_ptr() => *id,
            _ => {
                let name = topic
                    .to_str()
                    .map_err(|e| AccumulatorError::InvalidConfig(e.to_string()))?;
                let id = self.inner.topic_id_or_insert(name);
                self.last_topic = Some((topic.clone().unbind(), id));
                id
            }
        };
        self.inner
            .append_to_topic(
                topic,
                num_partitions,
                partition,
                key,
                value,
                headers,
                timestamp_ms,
                now_ms,
            )
            .map(|a| a.handle())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAccumulator>()?;
    Ok(())
}
