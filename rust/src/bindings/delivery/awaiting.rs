//! The native awaitables of the per-record paths, so that awaiting a record runs no Python
//! frame of ours on its common path:
//!
//! - `Awaiting`: `await future` for a `DeliveryFuture` under asyncio;
//! - `SendCall`: `await producer.send(...)` (a coroutine: `asyncio.create_task` and
//!   `asyncio.gather` take it), which appends the record through `SendFastPath` when it first
//!   runs, then waits for its batch like `Awaiting`;
//! - the same object for `await producer.produce(...)`, which returns the record's
//!   `DeliveryFuture` as soon as it is appended.
//!
//! Each does its work when first stepped, not when called, as a Python coroutine would: a
//! `send(...)` or `produce(...)` never awaited queues nothing. Anything off the common path
//! (options, unknown topic, a full buffer, another thread, the producer's turn to yield) is
//! handed to the Python coroutine with the same arguments, and this object steps it.

use pyo3::exceptions::{PyBaseException, PyRuntimeError, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::c_api::Collected;
use super::coroutine_type::{iter_send, Stepped};
use super::fast_path::SendFastPath;
use super::future::{batch_resolved, DeliveryFuture};
use super::waiter_type::{new_task_waiter, waiter_of};

/// The end of an awaitable: `StopIteration(value)`, built here so that the error is raised
/// as it is. Left to the interpreter, a tuple (a `RecordMetadata`) would be taken for the
/// exception's arguments, and wrapping it in one more tuple costs that tuple and a deferred
/// construction.
pub(super) fn stop_with(value: Bound<'_, PyAny>) -> PyResult<PyErr> {
    let py = value.py();
    let stop = py.get_type::<PyStopIteration>().call1((value,))?;
    Ok(PyErr::from_value(stop))
}

/// A waiter of the awaiting task's own (so that cancelling one awaiting task cannot cancel the
/// others), in `batch`'s list of waiters, ready to be yielded to the task.
fn new_waiter<'py>(
    batch: &Bound<'py, PyAny>,
    event_loop: &Py<PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = batch.py();
    let waiter = new_task_waiter(py, event_loop.clone_ref(py))?;
    let waiters = batch.getattr(pyo3::intern!(py, "waiters"))?;
    if let Ok(waiters) = waiters.cast::<PyList>() {
        waiters.append(&waiter)?;
    } else {
        batch.setattr(pyo3::intern!(py, "waiters"), PyList::new(py, [&waiter])?)?;
    }
    Ok(waiter)
}

/// `await future` under asyncio: yields a future of the awaiter's own until the record's batch
/// has ended, then returns the metadata. The same steps as `ferrokafka.records._future_await`,
/// without a Python frame.
#[pyclass(module = "ferrokafka._native")]
pub struct Awaiting {
    future: Py<DeliveryFuture>,
    /// The batch waited on: a record held for metadata moves to its real batch meanwhile.
    waiting_on: Option<Py<PyAny>>,
}

impl Awaiting {
    pub fn new(future: Py<DeliveryFuture>) -> Self {
        Self {
            future,
            waiting_on: None,
        }
    }
}

#[pymethods]
impl Awaiting {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let future = self.future.bind(py);
        loop {
            future.borrow().check_not_cancelled(py)?;
            let batch = future.borrow().batch.clone_ref(py);
            let batch = batch.bind(py);
            let moved = self
                .waiting_on
                .take()
                .is_some_and(|before| !before.bind(py).is(batch));
            if moved {
                continue;
            }
            if batch_resolved(batch)? {
                return Err(stop_with(future.borrow().delivered_metadata(py)?)?);
            }
            // The batch checks the loop: a future awaited from another one is refused.
            let waiter = batch.call_method0(pyo3::intern!(py, "asyncio_waiter"))?;
            if waiter.is_none() {
                return Err(PyRuntimeError::new_err(
                    "a DeliveryFuture awaited under asyncio must be awaited inside its event loop",
                ));
            }
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

/// Where a `SendCall` is. A finished call holds nothing, so that freeing it releases nothing.
enum Step {
    /// Not run yet: the producer's path and the record's topic, value and key.
    Start {
        path: Py<SendFastPath>,
        topic: Py<PyAny>,
        value: Py<PyAny>,
        key: Py<PyAny>,
    },
    /// Appended; waiting for the batch's end (`send`), on this waiter once one was yielded.
    Waiting {
        path: Py<SendFastPath>,
        future: DeliveryFuture,
        waiter: Option<Py<PyAny>>,
    },
    /// Off the fast path: the Python coroutine doing the work, stepped by this object.
    Delegating(Py<PyAny>),
    Finished,
}

/// What the call returns once the record is appended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// `send`: the record's `RecordMetadata`, once delivered.
    Metadata,
    /// `produce`: the record's `DeliveryFuture`, at once.
    Future,
}

/// The state of `await producer.send(...)` / `await producer.produce(...)` for a record of
/// bytes, created by `SendFastPath`. The Python object around it (the coroutine protocol's
/// `send`, `throw`, `close`, `__await__`) is `coroutine_type`'s.
pub struct SendCall {
    returns: Returns,
    step: Step,
}

impl SendCall {
    pub fn new(
        path: Py<SendFastPath>,
        returns: Returns,
        topic: Py<PyAny>,
        value: Py<PyAny>,
        key: Py<PyAny>,
    ) -> Self {
        Self {
            returns,
            step: Step::Start {
                path,
                topic,
                value,
                key,
            },
        }
    }

    /// Not run yet. Its first step creates and drops no `Py` handle but through `drop_ref`
    /// (errors aside), which `coroutine_type` relies on to run it without pyo3's attach.
    pub fn starting(&self) -> bool {
        matches!(self.step, Step::Start { .. })
    }

    /// Holds no object (finished, or cleared by the collector).
    pub fn is_empty(&self) -> bool {
        matches!(self.step, Step::Finished)
    }

    /// One step with `value` sent in (asyncio sends None at every step; only a delegated
    /// coroutine receives it).
    pub fn send<'py>(&mut self, value: &Bound<'py, PyAny>) -> PyResult<Stepped<'py>> {
        let py = value.py();
        let result = match &self.step {
            Step::Delegating(coroutine) => iter_send(coroutine.bind(py), value),
            _ => self.advance(py),
        };
        if !matches!(result, Ok(Stepped::Yield(_))) {
            std::mem::replace(&mut self.step, Step::Finished).release(py);
        }
        result
    }

    fn advance<'py>(&mut self, py: Python<'py>) -> PyResult<Stepped<'py>> {
        loop {
            match &self.step {
                Step::Start {
                    path,
                    topic,
                    value,
                    key,
                } => {
                    let fast = path.get();
                    let (topic, value, key) = (topic.bind(py), value.bind(py), key.bind(py));
                    // produce's turn to yield: the Python coroutine gives it.
                    let turn = self.returns == Returns::Future && !fast.take_credit();
                    let appended = if turn {
                        None
                    } else {
                        fast.try_send_here(py, topic, value, key)?
                    };
                    let next = match appended {
                        Some(future) if self.returns == Returns::Future => {
                            return Ok(Stepped::Return(Bound::new(py, future)?.into_any()));
                        }
                        Some(future) => Step::Waiting {
                            path: path.clone_ref(py),
                            future,
                            waiter: None,
                        },
                        None => Step::Delegating(
                            fast.slow_call(py, self.returns, turn, topic, value, key)?
                                .unbind(),
                        ),
                    };
                    std::mem::replace(&mut self.step, next).release(py);
                }
                Step::Waiting {
                    path,
                    future,
                    waiter,
                } => {
                    // Woken by a delivered batch: its outcome came with the waiter.
                    if let Some(outcome) = waiter.as_ref().and_then(|w| {
                        waiter_of(w.bind(py))?
                            .try_borrow()
                            .ok()?
                            .outcome()
                            .map(|o| o.clone_ref(py))
                    }) {
                        let metadata = future.metadata(py, &outcome.get().delivered)?;
                        return Ok(Stepped::Return(metadata));
                    }
                    let batch = future.batch.bind(py);
                    if batch_resolved(batch)? {
                        return Ok(Stepped::Return(future.delivered_metadata(py)?));
                    }
                    let waiter = new_waiter(batch, path.get().event_loop()?)?;
                    if let Step::Waiting {
                        waiter: waiting, ..
                    } = &mut self.step
                    {
                        *waiting = Some(waiter.clone().unbind());
                    }
                    return Ok(Stepped::Yield(waiter));
                }
                Step::Delegating(coroutine) => {
                    return iter_send(coroutine.bind(py), &py.None().into_bound(py));
                }
                Step::Finished => {
                    return Err(PyRuntimeError::new_err(
                        "cannot reuse already awaited coroutine",
                    ));
                }
            }
        }
    }

    /// Raises the exception `args` describe (`throw`'s arguments: an exception, or a type
    /// with an optional value and traceback) where the coroutine waits (a cancelled task's
    /// `CancelledError`): the wait ends, the record, already queued, does not.
    pub fn throw<'py>(&mut self, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let py = args.py();
        let step = std::mem::replace(&mut self.step, Step::Finished);
        if let Step::Delegating(coroutine) = step {
            let result = coroutine
                .bind(py)
                .call_method1(pyo3::intern!(py, "throw"), args);
            if result.is_ok() {
                self.step = Step::Delegating(coroutine);
            }
            return result;
        }
        let error = args.get_item(0)?;
        let value = args.get_item(1).ok().filter(|v| !v.is_none());
        let exception = if error.is_instance_of::<PyBaseException>() {
            error
        } else if let Some(value) = value {
            if value.is_instance_of::<PyBaseException>() {
                value
            } else {
                error.call1((value,))?
            }
        } else {
            error.call0()?
        };
        Err(PyErr::from_value(exception))
    }

    pub fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        let step = std::mem::replace(&mut self.step, Step::Finished);
        if let Step::Delegating(coroutine) = step {
            coroutine
                .bind(py)
                .call_method0(pyo3::intern!(py, "close"))?;
        }
        Ok(())
    }

    /// The objects this call holds, for the garbage collector.
    fn held(&self) -> impl Iterator<Item = *mut pyo3::ffi::PyObject> + '_ {
        let held: [Option<*mut pyo3::ffi::PyObject>; 4] = match &self.step {
            Step::Start {
                path,
                topic,
                value,
                key,
            } => [
                Some(path.as_ptr()),
                Some(topic.as_ptr()),
                Some(value.as_ptr()),
                Some(key.as_ptr()),
            ],
            Step::Waiting {
                path,
                future,
                waiter,
            } => [
                Some(path.as_ptr()),
                Some(future.batch.as_ptr()),
                waiter.as_ref().map(Py::as_ptr),
                None,
            ],
            Step::Delegating(coroutine) => [Some(coroutine.as_ptr()), None, None, None],
            Step::Finished => [None; 4],
        };
        held.into_iter().flatten()
    }
}

impl Collected for SendCall {
    fn references(&self) -> impl Iterator<Item = *mut pyo3::ffi::PyObject> + '_ {
        self.held()
    }

    /// Drops what the call holds (the garbage collector breaking a cycle): the call is
    /// finished.
    fn clear(&mut self) {
        self.step = Step::Finished;
    }
}

impl Step {
    /// Drops the step's handles with `drop_ref`, which releases them at once whether or not
    /// pyo3 counts this thread as attached (a plain drop would defer them then).
    fn release(self, py: Python<'_>) {
        match self {
            Step::Start {
                path,
                topic,
                value,
                key,
            } => {
                path.drop_ref(py);
                topic.drop_ref(py);
                value.drop_ref(py);
                key.drop_ref(py);
            }
            Step::Waiting {
                path,
                future,
                waiter,
            } => {
                path.drop_ref(py);
                if let Some(waiter) = waiter {
                    waiter.drop_ref(py);
                }
                drop(future);
            }
            Step::Delegating(coroutine) => coroutine.drop_ref(py),
            Step::Finished => {}
        }
    }
}
