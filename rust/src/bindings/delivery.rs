//! The per-record objects of `Producer.send_nowait`: `DeliveryFuture`, and `SendFastPath`, the
//! callable that takes the common case (bytes in, no headers, known topic) from the Python call
//! to the appended record without running any Python code; its `send` and `produce` return the
//! native awaitables of `awaiting`, and `send`'s wait for its batch is `waiter`'s.
//!
//! A record's cost is dominated by what happens around the append (argument checks, two clock
//! reads, a batch lookup, building a future): done in Python that is about four times the
//! append itself. Here it is one call. Anything off the common path, and every error, is
//! handed to the Python implementation with the same arguments, so the checks and the
//! exceptions exist once, in Python.
//!
//! `DeliveryFuture` holds its record's place (the Python `PendingBatch` and the index in it)
//! and asks the batch for everything else through its methods (`done`, `record_metadata`,
//! `record_error`, `add_done_callback`, `remove_done_callback`, `cancel_future`,
//! `asyncio_waiter`) and its `loop`: the batch owns its outcome, and nothing here knows its
//! fields. It has the methods asyncio's helpers use of a future (`asyncio.isfuture` is true),
//! so `wait`, `as_completed`, `gather`, `shield` and `wait_for` take it. Which event loop
//! library runs is decided in Python (`ferrokafka._runtime`): a batch opened under asyncio
//! holds its loop, under trio None. Awaiting under other event loops than asyncio, and `repr`,
//! are written in Python (`ferrokafka.records`).

mod awaiting;
mod waiter;

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::ThreadId;

use pyo3::exceptions::asyncio::CancelledError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyInt, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::accumulator::PyAccumulator;
use awaiting::{Awaiting, Returns, SendCall};
use waiter::{Delivered, TaskWaiter};

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
    /// `cancel()` was called: this future has ended (its awaiters get `CancelledError`), the
    /// record has not (it is queued, and is delivered or fails as any other).
    cancelled: bool,
    /// The message given to `cancel(msg)`, carried by the `CancelledError`s it causes.
    cancel_message: Option<Py<PyAny>>,
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
/// `tuple.__new__` and `ferrokafka.records.RecordMetadata`.
static RECORD_METADATA: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
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
            cancelled: false,
            cancel_message: None,
        }
    }

    /// What `asyncio.isfuture` looks for; asyncio sets it on the futures a task waits on,
    /// which this never is (awaiting it yields a plain asyncio future of the awaiter's own).
    #[classattr]
    fn _asyncio_future_blocking() -> bool {
        false
    }

    /// The asyncio loop of the producer that queued the record (asyncio's helpers check it);
    /// `RuntimeError` under trio, which has none.
    fn get_loop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let event_loop = self.batch.bind(py).getattr(pyo3::intern!(py, "loop"))?;
        if event_loop.is_none() {
            return Err(PyRuntimeError::new_err(
                "this DeliveryFuture belongs to a producer that runs outside asyncio (trio): \
                 it has no asyncio loop; await it instead",
            ));
        }
        Ok(event_loop)
    }

    /// True once the record is delivered or has failed, or the future was cancelled.
    fn done(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.cancelled || batch_resolved(self.batch.bind(py))?)
    }

    /// True if `cancel()` ended the future before the record's delivery did.
    fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// Ends the future with `CancelledError` if it has not ended: its callbacks run and its
    /// awaiters wake up. The record stays queued and is delivered (or fails) all the same;
    /// `on_delivery` still reports it. Returns False if the future had ended already.
    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Bound<'_, PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        if slf.borrow().done(py)? {
            return Ok(false);
        }
        {
            let mut this = slf.borrow_mut();
            this.cancelled = true;
            this.cancel_message = msg.map(Bound::unbind);
        }
        let batch = slf.borrow().batch.clone_ref(py);
        batch
            .bind(py)
            .call_method1(pyo3::intern!(py, "cancel_future"), (slf,))?;
        Ok(true)
    }

    /// The message given to `cancel`: asyncio's helpers read it of a cancelled future.
    #[getter]
    fn _cancel_message(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.cancel_message.as_ref().map(|msg| msg.clone_ref(py))
    }

    /// The `CancelledError` of a cancelled future (asyncio's `gather` asks for it by name).
    fn _make_cancelled_error<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.cancelled_error(py)
            .into_value(py)
            .into_bound(py)
            .into_any()
    }

    /// The `RecordMetadata`, or the delivery's error raised; `InvalidStateError` if pending,
    /// `CancelledError` if cancelled.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_not_cancelled(py)?;
        self.record_metadata(py)
    }

    /// The delivery's error, or None if it succeeded; `InvalidStateError` if pending,
    /// `CancelledError` if cancelled.
    fn exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_not_cancelled(py)?;
        self.batch
            .bind(py)
            .call_method1(pyo3::intern!(py, "record_error"), (self.index,))
    }

    /// Calls `callback(future)` (in `context`, if given) once the future has ended; if it has,
    /// at the event loop's next turn, as asyncio futures do.
    #[pyo3(signature = (callback, *, context = None))]
    fn add_done_callback<'py>(
        slf: &Bound<'py, Self>,
        callback: Bound<'py, PyAny>,
        context: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let batch = slf.borrow().batch.clone_ref(py);
        batch
            .bind(py)
            .call_method1(
                pyo3::intern!(py, "add_done_callback"),
                (slf, callback, context),
            )
            .map(drop)
    }

    /// Removes every `callback` added to this future; returns how many were removed.
    fn remove_done_callback<'py>(
        slf: &Bound<'py, Self>,
        callback: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let batch = slf.borrow().batch.clone_ref(py);
        batch
            .bind(py)
            .call_method1(pyo3::intern!(py, "remove_done_callback"), (slf, callback))
    }

    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let batch = slf.borrow().batch.clone_ref(py);
        if batch.bind(py).getattr(pyo3::intern!(py, "loop"))?.is_none() {
            return call_behaviour(py, &AWAIT, "_future_await", (slf,));
        }
        Ok(Bound::new(py, Awaiting::new(slf.clone().unbind()))?.into_any())
    }

    /// `yield from future` in a generator-based coroutine, as for asyncio futures.
    fn __iter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::__await__(slf)
    }

    fn __repr__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        call_behaviour(slf.py(), &REPR, "_future_repr", (slf,))
    }

    /// The `PendingBatch` that holds the record (read with `_index`; two getters rather than
    /// a pair: the callers that want only the batch allocate nothing). Private to the package.
    #[getter(_batch)]
    fn batch(&self, py: Python<'_>) -> Py<PyAny> {
        self.batch.clone_ref(py)
    }

    /// The record's index in its batch: its offset is the batch's base offset plus this.
    #[getter(_index)]
    fn index(&self) -> u32 {
        self.index
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

    /// `record_metadata` of a record whose batch ended, built here for the common case (one
    /// piece, delivered): the per-record end of `await send(...)`. Anything else asks the batch.
    fn delivered_metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match waiter::delivered(self.batch.bind(py))? {
            Some(delivered) => self.metadata(py, &delivered),
            None => self.record_metadata(py),
        }
    }

    /// The record's `RecordMetadata` in a batch `delivered` as one piece.
    fn metadata<'py>(&self, py: Python<'py>, delivered: &Delivered) -> PyResult<Bound<'py, PyAny>> {
        let offset = if delivered.base_offset < 0 {
            -1
        } else {
            delivered.base_offset + i64::from(self.index)
        };
        let (timestamp, kind) = if delivered.log_append_time >= 0 {
            (
                delivered.log_append_time,
                pyo3::intern!(py, "LogAppendTime"),
            )
        } else {
            (self.timestamp, pyo3::intern!(py, "CreateTime"))
        };
        let fields = (
            delivered.topic.bind(py),
            delivered.partition.bind(py),
            offset,
            timestamp,
            kind,
            self.key_size,
            self.value_size,
        );
        // tuple.__new__(RecordMetadata, fields): the named tuple without its Python __new__.
        let (tuple_new, record_metadata) = RECORD_METADATA.get_or_try_init(py, || {
            let tuple_new = py
                .get_type::<pyo3::types::PyTuple>()
                .getattr("__new__")?
                .unbind();
            let class = py
                .import(BEHAVIOUR_MODULE)?
                .getattr("RecordMetadata")?
                .unbind();
            Ok::<_, PyErr>((tuple_new, class))
        })?;
        tuple_new.bind(py).call1((record_metadata, fields))
    }

    fn check_not_cancelled(&self, py: Python<'_>) -> PyResult<()> {
        if self.cancelled {
            return Err(self.cancelled_error(py));
        }
        Ok(())
    }

    fn cancelled_error(&self, py: Python<'_>) -> PyErr {
        match &self.cancel_message {
            Some(msg) => CancelledError::new_err((msg.clone_ref(py),)),
            None => CancelledError::new_err(()),
        }
    }
}

/// `PendingBatch.resolved`, read as the attribute: the batch's `done()` without a call.
fn batch_resolved(batch: &Bound<'_, PyAny>) -> PyResult<bool> {
    batch
        .getattr(pyo3::intern!(batch.py(), "resolved"))?
        .is_truthy()
}

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
    fn take_credit(&self) -> bool {
        let left = self.credit.load(Ordering::Relaxed);
        if left <= 1 {
            self.credit.store(self.yield_every, Ordering::Relaxed);
            return false;
        }
        self.credit.store(left - 1, Ordering::Relaxed);
        true
    }

    /// `try_send` with no options, on the producer's thread only.
    fn try_send_here(
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
    fn slow_call<'py>(
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

    fn event_loop(&self) -> PyResult<&Py<PyAny>> {
        self.event_loop
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the producer's loop is not asyncio"))
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
            cancelled: false,
            cancel_message: None,
        }))
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
    Ok(Bound::new(py, call)?.into_any())
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(waiter::wake_waiters, m)?)?;
    m.add_class::<DeliveryFuture>()?;
    m.add_class::<SendFastPath>()?;
    m.add_class::<Awaiting>()?;
    m.add_class::<SendCall>()?;
    m.add_class::<TaskWaiter>()?;
    Ok(())
}
