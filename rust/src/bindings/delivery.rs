//! The per-record objects of `Producer.send_nowait`: `DeliveryFuture`, and `SendFastPath`, the
//! callable that takes the common case (bytes in, no headers, known topic) from the Python call
//! to the appended record without running any Python code.
//!
//! A record's cost is dominated by what happens around the append (argument checks, two clock
//! reads, a batch lookup, building a future): done in Python that is about four times the
//! append itself. Here it is one call. Anything off the common path, and every error, is
//! handed to the Python implementation with the same arguments, so the checks and the
//! exceptions exist once, in Python.
//!
//! `DeliveryFuture` holds its record's place (the Python `PendingBatch` and the index in it);
//! what a future does when awaited or asked for its result is written in Python
//! (`ferrokafka.records`), which this class calls.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::accumulator::PyAccumulator;

/// The module whose functions give `DeliveryFuture` its behaviour.
const BEHAVIOUR_MODULE: &str = "ferrokafka.records";

/// The delivery of one record: awaitable, and usable with callbacks. `await future` returns
/// its `RecordMetadata` or raises the delivery's error.
#[pyclass(module = "ferrokafka", name = "DeliveryFuture")]
pub struct DeliveryFuture {
    batch: Py<PyAny>,
    index: u32,
    timestamp: i64,
    key_size: i32,
    value_size: i32,
}

/// Calls `ferrokafka.records.<name>(*args)`, looked up once.
fn call_behaviour<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
    args: impl pyo3::call::PyCallArgs<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let function = cell.get_or_try_init(py, || {
        py.import(BEHAVIOUR_MODULE)?
            .getattr(name)
            .map(Bound::unbind)
    })?;
    function.bind(py).call1(args)
}

static RESULT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static EXCEPTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ADD_DONE_CALLBACK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static AWAIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static REPR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl DeliveryFuture {
    #[new]
    fn new(batch: Py<PyAny>, index: u32, timestamp: i64, key_size: i32, value_size: i32) -> Self {
        Self {
            batch,
            index,
            timestamp,
            key_size,
            value_size,
        }
    }

    /// True once the record is delivered or has failed.
    fn done(&self, py: Python<'_>) -> PyResult<bool> {
        self.batch
            .bind(py)
            .getattr(pyo3::intern!(py, "resolved"))?
            .is_truthy()
    }

    /// The `RecordMetadata`, or the delivery's error raised; `InvalidStateError` if pending.
    fn result<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        call_behaviour(slf.py(), &RESULT, "_future_result", (slf,))
    }

    /// The delivery's error, or None if it succeeded; `InvalidStateError` if pending.
    fn exception<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        call_behaviour(slf.py(), &EXCEPTION, "_future_exception", (slf,))
    }

    /// Calls `callback(future)` on the event loop once the record is delivered or failed.
    fn add_done_callback<'py>(
        slf: &Bound<'py, Self>,
        callback: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        call_behaviour(
            slf.py(),
            &ADD_DONE_CALLBACK,
            "_future_add_done_callback",
            (slf, callback),
        )
        .map(drop)
    }

    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        call_behaviour(slf.py(), &AWAIT, "_future_await", (slf,))
    }

    fn __repr__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        call_behaviour(slf.py(), &REPR, "_future_repr", (slf,))
    }

    /// The batch that holds the record (a `PendingBatch`) and its index there.
    fn batch_and_index(&self, py: Python<'_>) -> (Py<PyAny>, u32) {
        (self.batch.clone_ref(py), self.index)
    }

    /// Moves the record to another batch (a record held for metadata, once appended).
    fn rebind(&mut self, batch: Py<PyAny>, index: u32) {
        self.batch = batch;
        self.index = index;
    }

    /// The record's timestamp as sent (`CreateTime`), in ms.
    #[getter]
    fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The serialized key's size in bytes, -1 without a key.
    #[getter]
    fn serialized_key_size(&self) -> i32 {
        self.key_size
    }

    /// The serialized value's size in bytes, -1 without a value.
    #[getter]
    fn serialized_value_size(&self) -> i32 {
        self.value_size
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.batch)
    }
}

/// `Producer.send_nowait` for a started producer without serializers or custom partitioner.
/// Called like `send_nowait`; appends records of bytes without headers, timestamp or callback
/// to topics with known metadata right here, and calls `fallback` with the same arguments for
/// everything else, failures included (nothing was appended then, so the fallback starts over
/// and raises the right exception).
#[pyclass(module = "ferrokafka._native", name = "SendFastPath")]
pub struct SendFastPath {
    accumulator: Py<PyAccumulator>,
    /// `{batch_id: PendingBatch}`, the producer's registry of open batches.
    batches: Py<PyDict>,
    /// `{topic: partition count}` for topics with metadata.
    partition_counts: Py<PyDict>,
    /// `new_batch(batch_id, now_ms) -> PendingBatch`: registers a batch the append opened.
    new_batch: Py<PyAny>,
    fallback: Py<PyAny>,
    /// The producer's monotonic clock (ms) at `clock_origin`: Rust and Python read it alike.
    clock_base_ms: i64,
    clock_origin: Instant,
}

impl SendFastPath {
    fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.clock_origin.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.clock_base_ms.saturating_add(elapsed)
    }

    /// The record's `DeliveryFuture`, or None when the call is not for the fast path or the
    /// append failed.
    #[allow(clippy::too_many_arguments)]
    fn try_send(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        partition: &Bound<'_, PyAny>,
    ) -> PyResult<Option<DeliveryFuture>> {
        let (Ok(topic), Ok(value)) = (topic.cast_exact::<PyString>(), value.cast_exact::<PyBytes>())
        else {
            return Ok(None);
        };
        let key = if key.is_none() {
            None
        } else if let Ok(key) = key.cast_exact::<PyBytes>() {
            Some(key.as_bytes())
        } else {
            return Ok(None);
        };
        let partition = if partition.is_none() {
            None
        } else if let Ok(partition) = partition.extract::<i32>() {
            Some(partition)
        } else {
            return Ok(None);
        };
        let Some(count) = self.partition_counts.bind(py).get_item(topic)? else {
            return Ok(None);
        };
        let Ok(count) = count.extract::<i32>() else {
            return Ok(None);
        };
        let now = self.now_ms();
        let timestamp = wall_clock_ms();
        let value = value.as_bytes();
        let appended = self.accumulator.borrow_mut(py).append_record(
            topic,
            count,
            partition,
            key,
            Some(value),
            &[],
            timestamp,
            now,
        );
        let Ok(handle) = appended else {
            return Ok(None);
        };
        let batch_id = handle >> 32;
        let batch = match self.batches.bind(py).get_item(batch_id)? {
            Some(batch) => batch,
            None => self.new_batch.bind(py).call1((batch_id, now))?,
        };
        Ok(Some(DeliveryFuture {
            batch: batch.unbind(),
            index: u32::try_from(handle & 0xFFFF_FFFF).unwrap_or(u32::MAX),
            timestamp,
            key_size: key.map_or(-1, |k| i32::try_from(k.len()).unwrap_or(i32::MAX)),
            value_size: i32::try_from(value.len()).unwrap_or(i32::MAX),
        }))
    }
}

fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[pymethods]
impl SendFastPath {
    #[new]
    #[pyo3(signature = (accumulator, batches, partition_counts, new_batch, fallback, now_ms))]
    fn new(
        accumulator: Py<PyAccumulator>,
        batches: Py<PyDict>,
        partition_counts: Py<PyDict>,
        new_batch: Py<PyAny>,
        fallback: Py<PyAny>,
        now_ms: i64,
    ) -> Self {
        Self {
            accumulator,
            batches,
            partition_counts,
            new_batch,
            fallback,
            clock_base_ms: now_ms,
            clock_origin: Instant::now(),
        }
    }

    /// The producer's monotonic clock in ms, as this object reads it.
    fn monotonic_ms(&self) -> i64 {
        self.now_ms()
    }

    #[pyo3(signature = (
        topic, value = None, key = None, *,
        headers = None, partition = None, timestamp_ms = None, on_delivery = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        topic: Bound<'py, PyAny>,
        value: Option<Bound<'py, PyAny>>,
        key: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
        partition: Option<Bound<'py, PyAny>>,
        timestamp_ms: Option<Bound<'py, PyAny>>,
        on_delivery: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let none = py.None().into_bound(py);
        let value = value.unwrap_or_else(|| none.clone());
        let key = key.unwrap_or_else(|| none.clone());
        let partition = partition.unwrap_or_else(|| none.clone());
        // pyo3 hands over a Python None as Rust's None.
        let plain = headers.is_none() && timestamp_ms.is_none() && on_delivery.is_none();
        if plain {
            if let Some(future) = self.try_send(py, &topic, &value, &key, &partition)? {
                return Ok(Bound::new(py, future)?.into_any());
            }
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "headers"), headers)?;
        kwargs.set_item(pyo3::intern!(py, "partition"), partition)?;
        kwargs.set_item(pyo3::intern!(py, "timestamp_ms"), timestamp_ms)?;
        kwargs.set_item(pyo3::intern!(py, "on_delivery"), on_delivery)?;
        self.fallback
            .bind(py)
            .call((topic, value, key), Some(&kwargs))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.batches)?;
        visit.call(&self.partition_counts)?;
        visit.call(&self.new_batch)?;
        visit.call(&self.fallback)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DeliveryFuture>()?;
    m.add_class::<SendFastPath>()?;
    Ok(())
}
