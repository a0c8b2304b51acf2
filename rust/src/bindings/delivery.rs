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
//! `DeliveryFuture` holds its record's place (the Python `PendingBatch` and the index in it)
//! and asks the batch for everything else through its methods (`done`, `record_metadata`,
//! `record_error`, `add_done_callback`, `asyncio_waiter`): the batch owns its outcome, and
//! nothing here knows its fields. Awaiting under other event loops than asyncio, and `repr`,
//! are written in Python (`ferrokafka.records`).

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::accumulator::PyAccumulator;

/// The module whose functions await a `DeliveryFuture` outside asyncio and show it.
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
            .call_method0(pyo3::intern!(py, "done"))?
            .is_truthy()
    }

    /// The `RecordMetadata`, or the delivery's error raised; `InvalidStateError` if pending.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.record_metadata(py)
    }

    /// The delivery's error, or None if it succeeded; `InvalidStateError` if pending.
    fn exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.batch
            .bind(py)
            .call_method1(pyo3::intern!(py, "record_error"), (self.index,))
    }

    /// Calls `callback(future)` on the event loop once the record is delivered or failed.
    fn add_done_callback<'py>(slf: &Bound<'py, Self>, callback: Bound<'py, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let batch = slf.borrow().batch.clone_ref(py);
        batch
            .bind(py)
            .call_method1(pyo3::intern!(py, "add_done_callback"), (slf, callback))
            .map(drop)
    }

    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if asyncio_running(py)? {
            let awaiting = Awaiting {
                future: slf.clone().unbind(),
                waiting_on: None,
            };
            return Ok(Bound::new(py, awaiting)?.into_any());
        }
        call_behaviour(py, &AWAIT, "_future_await", (slf,))
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

impl DeliveryFuture {
    /// `PendingBatch.record_metadata` for this record: the metadata, or the error raised.
    fn record_metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.batch.bind(py).call_method1(
            pyo3::intern!(py, "record_metadata"),
            (self.index, self.timestamp, self.key_size, self.value_size),
        )
    }
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The asyncio event loop running in this thread, or None.
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let get_running_loop = GET_RUNNING_LOOP.get_or_try_init(py, || {
        py.import("asyncio")?
            .getattr("_get_running_loop")
            .map(Bound::unbind)
    })?;
    get_running_loop.bind(py).call0()
}

/// True when an asyncio event loop runs in this thread (trio and others take the Python path).
fn asyncio_running(py: Python<'_>) -> PyResult<bool> {
    Ok(!running_loop(py)?.is_none())
}

/// `await future` under asyncio: yields a future of the awaiter's own (so that cancelling one
/// awaiting task cannot cancel the others) until the record's batch has ended, then returns
/// the metadata. The same steps as `ferrokafka.records._future_await`, without a Python frame.
#[pyclass(module = "ferrokafka._native")]
pub struct Awaiting {
    future: Py<DeliveryFuture>,
    /// The batch waited on: a record held for metadata moves to its real batch meanwhile.
    waiting_on: Option<Py<PyAny>>,
}

#[pymethods]
impl Awaiting {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let future = self.future.bind(py);
        loop {
            let batch = future.borrow().batch.clone_ref(py);
            let batch = batch.bind(py);
            let moved = self
                .waiting_on
                .take()
                .is_some_and(|before| !before.bind(py).is(batch));
            if !moved && batch.call_method0(pyo3::intern!(py, "done"))?.is_truthy()? {
                let metadata = future.borrow().record_metadata(py)?;
                return Err(pyo3::exceptions::PyStopIteration::new_err((
                    metadata.unbind(),
                )));
            }
            if moved {
                continue;
            }
            // A future of the awaiter's own, in the batch's list of waiters.
            let waiter = batch.call_method0(pyo3::intern!(py, "asyncio_waiter"))?;
            if waiter.is_none() {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "a DeliveryFuture awaited under asyncio must be awaited inside its event loop",
                ));
            }
            // What asyncio.Future.__await__ does before yielding itself to the task.
            waiter.setattr(pyo3::intern!(py, "_asyncio_future_blocking"), true)?;
            self.waiting_on = Some(batch.clone().unbind());
            return Ok(Some(waiter));
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.future)?;
        if let Some(batch) = &self.waiting_on {
            visit.call(batch)?;
        }
        Ok(())
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
    /// `{topic: partition count}` for topics with metadata.
    partition_counts: Py<PyDict>,
    /// `batch_for(batch_id, now_ms) -> PendingBatch`: the registered batch, or a new one
    /// registered for a batch the append opened (the producer's; the registry is its owner).
    batch_for: Py<PyAny>,
    fallback: Py<PyAny>,
    /// The producer's monotonic clock (ms) at `clock_origin`: Rust and Python read it alike.
    clock_base_ms: i64,
    clock_origin: Instant,
    /// The batch of the previous record and its `PendingBatch`: consecutive records mostly
    /// share one. Batch ids are never reused, so a hit is always the right object.
    last_batch: Mutex<Option<(u64, Py<PyAny>)>>,
}

impl SendFastPath {
    fn last_batch(&self) -> std::sync::MutexGuard<'_, Option<(u64, Py<PyAny>)>> {
        self.last_batch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

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
        let (Ok(topic), Ok(value)) = (
            topic.cast_exact::<PyString>(),
            value.cast_exact::<PyBytes>(),
        ) else {
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
        } else if !partition.is_exact_instance_of::<PyInt>() {
            // A bool is an int to `extract`: `partition=True` is refused, not partition 1.
            return Ok(None);
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
        let timestamp = wall_clock_ms();
        let value = value.as_bytes();
        // The monotonic clock is read only for a record that opens a batch.
        let mut opened_at = None;
        let appended = self.accumulator.borrow_mut(py).append_record(
            topic,
            count,
            partition,
            key,
            Some(value),
            &[],
            timestamp,
            || *opened_at.insert(self.now_ms()),
        );
        let Ok(handle) = appended else {
            return Ok(None);
        };
        let batch_id = handle >> 32;
        // The lock is never held while Python code runs (that code could send again).
        let cached = match &*self.last_batch() {
            Some((id, batch)) if *id == batch_id => Some(batch.clone_ref(py)),
            _ => None,
        };
        let batch = if let Some(batch) = cached {
            batch
        } else {
            let now = opened_at.unwrap_or_else(|| self.now_ms());
            let batch = self.batch_for.bind(py).call1((batch_id, now))?.unbind();
            *self.last_batch() = Some((batch_id, batch.clone_ref(py)));
            batch
        };
        Ok(Some(DeliveryFuture {
            batch,
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
    #[pyo3(signature = (accumulator, partition_counts, batch_for, fallback, now_ms))]
    fn new(
        accumulator: Py<PyAccumulator>,
        partition_counts: Py<PyDict>,
        batch_for: Py<PyAny>,
        fallback: Py<PyAny>,
        now_ms: i64,
    ) -> Self {
        Self {
            accumulator,
            partition_counts,
            batch_for,
            fallback,
            clock_base_ms: now_ms,
            clock_origin: Instant::now(),
            last_batch: Mutex::new(None),
        }
    }

    /// `send_nowait` itself. A method rather than `__call__`: a bound method of a native class
    /// is called through vectorcall, without packing the arguments into a tuple.
    #[pyo3(signature = (
        topic, value = None, key = None, *,
        headers = None, partition = None, timestamp_ms = None, on_delivery = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn send<'py>(
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
        visit.call(&self.partition_counts)?;
        visit.call(&self.batch_for)?;
        visit.call(&self.fallback)?;
        if let Ok(last_batch) = self.last_batch.try_lock() {
            if let Some((_, batch)) = &*last_batch {
                visit.call(batch)?;
            }
        }
        Ok(())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DeliveryFuture>()?;
    m.add_class::<SendFastPath>()?;
    m.add_class::<Awaiting>()?;
    Ok(())
}
