//! `DeliveryFuture`: the delivery of one record, awaitable and usable with callbacks, as
//! asyncio's helpers expect of a future.
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

use pyo3::exceptions::asyncio::CancelledError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{PyTraverseError, PyVisit};

use super::awaiting::Awaiting;
use super::record_metadata::{new_record_metadata, Fields};
use super::waiter::{self, Delivered};

/// The module whose functions await a `DeliveryFuture` outside asyncio and show it.
const BEHAVIOUR_MODULE: &str = "ferrokafka.records";

/// The delivery of one record: awaitable, and usable with callbacks. `await future` returns
/// its `RecordMetadata` or raises the delivery's error.
#[pyclass(module = "ferrokafka", name = "DeliveryFuture")]
pub struct DeliveryFuture {
    pub(super) batch: Py<PyAny>,
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
static REPR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl DeliveryFuture {
    #[new]
    pub(super) fn new(
        batch: Py<PyAny>,
        index: u32,
        timestamp: i64,
        key_size: i32,
        value_size: i32,
    ) -> Self {
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
    pub(super) fn delivered_metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match waiter::delivered(self.batch.bind(py))? {
            Some(delivered) => self.metadata(py, &delivered),
            None => self.record_metadata(py),
        }
    }

    /// The record's `RecordMetadata` in a batch `delivered` as one piece.
    pub(super) fn metadata<'py>(
        &self,
        py: Python<'py>,
        delivered: &Delivered,
    ) -> PyResult<Bound<'py, PyAny>> {
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
        new_record_metadata(
            py,
            Fields {
                topic: delivered.topic.bind(py),
                partition: delivered.partition.bind(py),
                offset,
                timestamp,
                timestamp_type: kind,
                serialized_key_size: self.key_size,
                serialized_value_size: self.value_size,
            },
        )
    }

    pub(super) fn check_not_cancelled(&self, py: Python<'_>) -> PyResult<()> {
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
pub(super) fn batch_resolved(batch: &Bound<'_, PyAny>) -> PyResult<bool> {
    batch
        .getattr(pyo3::intern!(batch.py(), "resolved"))?
        .is_truthy()
}
