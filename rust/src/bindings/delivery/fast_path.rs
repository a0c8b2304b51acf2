//! `SendFastPath`: `send_nowait`, `send` and `produce` for the common case, from the Python
//! call to the appended record in one native call.
//!
//! A record's cost is dominated by what happens around the append (argument checks, two clock
//! reads, a batch lookup, building a future): done in Python that is about four times the
//! append itself. Here it is one call. Anything off the common path, and every error, is
//! handed to the Python implementation with the same arguments, so the checks and the
//! exceptions exist once, in Python.

use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::awaiting::{Returns, SendCall};
use super::coroutine_type::new_send_call;
use super::future::DeliveryFuture;
use crate::bindings::accumulator::PyAccumulator;

/// `Producer.send_nowait` for a started producer without serializers or custom partitioner.
/// Called like `send_nowait`; appends records of bytes without headers, timestamp or callback
/// to topics with known metadata right here, and calls `fallback` with the same arguments for
/// everything else, failures included (nothing was appended then, so the fallback starts over
/// and raises the right exception).
#[pyclass(module = "ferrokafka._native", name = "SendFastPath", frozen)]
pub struct SendFastPath {
    accumulator: Py<PyAccumulator>,
    /// `{topic: partition count}` for topics with metadata.
    partition_counts: Py<PyDict>,
    /// The last topic looked up in `partition_counts`, and its count: most calls name the same
    /// `str` object as the one before, found here by address instead of by a dict lookup.
    /// `cached_topic` is null while nothing is cached; `topic_holder` keeps that object alive,
    /// so no other object can take its address while it is cached.
    cached_topic: AtomicPtr<pyo3::ffi::PyObject>,
    cached_count: AtomicI32,
    topic_holder: Mutex<Option<Py<PyString>>>,
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
    /// The thread of the producer's event loop: `send` and `produce` append only there
    /// (anything else is handed to the Python coroutines, which raise the loop's error).
    thread: ThreadId,
    /// The producer's asyncio loop, which every `TaskWaiter` of `send` belongs to; None under
    /// trio, where `send` is not shadowed (awaiting a batch there is Python's).
    event_loop: Option<Py<PyAny>>,
    /// `Producer.send`, unbound from this path: the coroutine for every other `send`.
    send_fallback: Py<PyAny>,
    /// `produce_fallback(topic, value, key, headers, partition, timestamp_ms, turn)`: the
    /// coroutine for every other `produce` (`_enqueue.produce_slowly`, owner checked).
    produce_fallback: Py<PyAny>,
    /// Records `produce` appends between two turns given to the event loop.
    yield_every: u32,
    /// Appends left before `produce` gives the loop its next turn.
    credit: AtomicU32,
}

impl SendFastPath {
    fn last_batch(&self) -> std::sync::MutexGuard<'_, Option<(u64, Py<PyAny>)>> {
        self.last_batch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One of `produce`'s appends before the next turn of the loop; false (and the count
    /// starts again) when the turn is due.
    pub(super) fn take_credit(&self) -> bool {
        let left = self.credit.load(Ordering::Relaxed);
        if left <= 1 {
            self.credit.store(self.yield_every, Ordering::Relaxed);
            return false;
        }
        self.credit.store(left - 1, Ordering::Relaxed);
        true
    }

    /// `try_send` with no options, on the producer's thread only.
    pub(super) fn try_send_here(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
    ) -> PyResult<Option<DeliveryFuture>> {
        if std::thread::current().id() != self.thread {
            return Ok(None);
        }
        self.try_send(py, topic, value, key, &py.None().into_bound(py))
    }

    /// The Python coroutine for a `send` / `produce` off the fast path. A `produce` comes
    /// here on its turn to yield too, which is the only reason it is not at its start.
    pub(super) fn slow_call<'py>(
        &self,
        py: Python<'py>,
        returns: Returns,
        turn: bool,
        topic: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match returns {
            Returns::Metadata => self.send_fallback.bind(py).call1((topic, value, key)),
            Returns::Future => self.produce_fallback.bind(py).call1((
                topic,
                value,
                key,
                py.None(),
                py.None(),
                py.None(),
                turn,
            )),
        }
    }

    pub(super) fn event_loop(&self) -> PyResult<&Py<PyAny>> {
        self.event_loop
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the producer's loop is not asyncio"))
    }

    /// ``topic``'s partition count: the cached one for the cached topic object, else
    /// `partition_counts`' (then cached). None for a topic without metadata.
    fn partition_count(&self, topic: &Bound<'_, PyString>) -> PyResult<Option<i32>> {
        // Every writer holds the GIL, as this reader does: the two loads see one update.
        if topic.as_ptr() == self.cached_topic.load(Ordering::Relaxed) {
            return Ok(Some(self.cached_count.load(Ordering::Relaxed)));
        }
        let Some(count) = self.partition_counts.bind(topic.py()).get_item(topic)? else {
            return Ok(None);
        };
        let Ok(count) = count.extract::<i32>() else {
            return Ok(None);
        };
        let mut holder = self
            .topic_holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *holder = Some(topic.clone().unbind());
        self.cached_count.store(count, Ordering::Relaxed);
        self.cached_topic.store(topic.as_ptr(), Ordering::Relaxed);
        Ok(Some(count))
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
        let Some(count) = self.partition_count(topic)? else {
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
        Ok(Some(DeliveryFuture::new(
            batch,
            u32::try_from(handle & 0xFFFF_FFFF).unwrap_or(u32::MAX),
            timestamp,
            key.map_or(-1, |k| i32::try_from(k.len()).unwrap_or(i32::MAX)),
            i32::try_from(value.len()).unwrap_or(i32::MAX),
        )))
    }
}

fn new_call<'py>(
    path: &Bound<'py, SendFastPath>,
    returns: Returns,
    topic: Bound<'py, PyAny>,
    value: Option<Bound<'py, PyAny>>,
    key: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = path.py();
    let call = SendCall::new(
        path.clone().unbind(),
        returns,
        topic.unbind(),
        value.map_or_else(|| py.None(), Bound::unbind),
        key.map_or_else(|| py.None(), Bound::unbind),
    );
    new_send_call(py, call)
}

fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[pymethods]
impl SendFastPath {
    #[new]
    #[pyo3(signature = (
        accumulator, partition_counts, batch_for, fallback, now_ms, *,
        event_loop, send_fallback, produce_fallback, yield_every,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        accumulator: Py<PyAccumulator>,
        partition_counts: Py<PyDict>,
        batch_for: Py<PyAny>,
        fallback: Py<PyAny>,
        now_ms: i64,
        event_loop: Option<Py<PyAny>>,
        send_fallback: Py<PyAny>,
        produce_fallback: Py<PyAny>,
        yield_every: u32,
    ) -> Self {
        Self {
            accumulator,
            partition_counts,
            cached_topic: AtomicPtr::new(std::ptr::null_mut()),
            cached_count: AtomicI32::new(0),
            topic_holder: Mutex::new(None),
            batch_for,
            fallback,
            clock_base_ms: now_ms,
            clock_origin: Instant::now(),
            last_batch: Mutex::new(None),
            thread: std::thread::current().id(),
            event_loop,
            send_fallback,
            produce_fallback,
            yield_every: yield_every.max(1),
            credit: AtomicU32::new(yield_every.max(1)),
        }
    }

    /// To be called whenever `partition_counts` changes (after every metadata update): the
    /// next call looks its topic up there again.
    fn partition_counts_changed(&self) {
        self.cached_topic
            .store(std::ptr::null_mut(), Ordering::Relaxed);
        // Dropped after the pointer is cleared: nothing compares against a freed address.
        self.topic_holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// `Producer.send` itself (under asyncio): a native coroutine that appends the record when
    /// first run and returns its `RecordMetadata` once delivered. Calls with options are the
    /// Python method's coroutine straight away.
    #[pyo3(signature = (topic, value = None, key = None, *, headers = None, partition = None, timestamp_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn send_awaited<'py>(
        slf: &Bound<'py, Self>,
        topic: Bound<'py, PyAny>,
        value: Option<Bound<'py, PyAny>>,
        key: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
        partition: Option<Bound<'py, PyAny>>,
        timestamp_ms: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if headers.is_some() || partition.is_some() || timestamp_ms.is_some() {
            let kwargs = PyDict::new(py);
            kwargs.set_item(pyo3::intern!(py, "headers"), headers)?;
            kwargs.set_item(pyo3::intern!(py, "partition"), partition)?;
            kwargs.set_item(pyo3::intern!(py, "timestamp_ms"), timestamp_ms)?;
            return slf
                .get()
                .send_fallback
                .bind(py)
                .call((topic, value, key), Some(&kwargs));
        }
        new_call(slf, Returns::Metadata, topic, value, key)
    }

    /// `Producer.produce` itself: a native awaitable that appends the record when first run
    /// and returns its `DeliveryFuture` at once; every `yield_every`-th call, calls with
    /// options and every failure run `produce_fallback`'s coroutine instead.
    #[pyo3(signature = (topic, value = None, key = None, *, headers = None, partition = None, timestamp_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn produce<'py>(
        slf: &Bound<'py, Self>,
        topic: Bound<'py, PyAny>,
        value: Option<Bound<'py, PyAny>>,
        key: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
        partition: Option<Bound<'py, PyAny>>,
        timestamp_ms: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if headers.is_some() || partition.is_some() || timestamp_ms.is_some() {
            let py = slf.py();
            let this = slf.get();
            let turn = !this.take_credit();
            return this.produce_fallback.bind(py).call1((
                topic,
                value,
                key,
                headers,
                partition,
                timestamp_ms,
                turn,
            ));
        }
        new_call(slf, Returns::Future, topic, value, key)
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
        if let Ok(holder) = self.topic_holder.try_lock() {
            if let Some(topic) = &*holder {
                visit.call(topic)?;
            }
        }
        visit.call(&self.batch_for)?;
        visit.call(&self.fallback)?;
        visit.call(&self.send_fallback)?;
        visit.call(&self.produce_fallback)?;
        visit.call(&self.event_loop)?;
        if let Ok(last_batch) = self.last_batch.try_lock() {
            if let Some((_, batch)) = &*last_batch {
                visit.call(batch)?;
            }
        }
        Ok(())
    }
}
