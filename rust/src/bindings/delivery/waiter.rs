//! `TaskWaiter`: what `await producer.send(...)` yields to its asyncio task while the record's
//! batch is open, in place of an asyncio future per record; and `wake_waiters`, which ends
//! every waiter of a batch and resumes their tasks in one turn of the loop.
//!
//! A task accepts any yielded object with the future protocol. What asyncio's `Task` (C
//! `task_step` and `task_wakeup`, and `Task.cancel`) uses of it, and all this implements:
//! `_asyncio_future_blocking` (read, then set False), `get_loop()` (checked against the
//! task's), `add_done_callback(wakeup, context=...)`, `cancel(msg)` when the task is
//! cancelled while waiting, and `result()` when woken. `done`, `cancelled`, `exception` and
//! `remove_done_callback` are there for whoever else looks at a task's `_fut_waiter`.
//!
//! An asyncio future schedules one loop callback per record when set; a batch of N records
//! awaited by N tasks costs N handles. Here the batch's end marks every waiter done and makes
//! one `call_soon`, whose callback runs each task's wake-up in the task's context, as each
//! handle would have. The waiter carries the batch's outcome, read once per batch, so that the
//! resumed `send` builds its `RecordMetadata` without asking the batch again.
//!
//! Each awaiting task has its own waiter: cancelling one task cancels its waiter only (the
//! record stays queued, as the documented rule says); the others still wake at the batch's end.
//!
//! This module is the waiter's state and the wake-up; the Python type around the state, whose
//! attribute and methods the task reaches on every record, is `waiter_type`'s.

use pyo3::exceptions::asyncio::{CancelledError, InvalidStateError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use pyo3::{PyTraverseError, PyVisit};

use super::c_api::Collected;
use super::waiter_type::waiter_of;

/// How a delivered batch ended, read once for all its waiters: what the records' metadata needs
/// beyond each record's own fields.
pub struct Delivered {
    pub topic: Py<PyAny>,
    pub partition: Py<PyAny>,
    /// -1 with acks=0.
    pub base_offset: i64,
    /// -1: each record keeps its `CreateTime`.
    pub log_append_time: i64,
}

/// The batch outcome all of a batch's waiters share.
#[pyclass(module = "ferrokafka._native", frozen)]
pub struct BatchOutcome {
    pub delivered: Delivered,
}

#[pymethods]
impl BatchOutcome {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.delivered.topic)?;
        visit.call(&self.delivered.partition)
    }
}

enum State {
    Pending,
    /// Woken by its batch: `Some` if the batch was delivered in one piece, `None` if the
    /// waiting task must look at the batch again (failed, split, or only woken).
    Done(Option<Py<BatchOutcome>>),
    /// Cancelled with this message (the awaiting task was).
    Cancelled(Option<Py<PyAny>>),
}

/// A task's wake-up and the context it runs in (None: the current one).
pub type Callback = (Py<PyAny>, Option<Py<PyAny>>);

/// A waiter's done callbacks, in the order they were added. A waiter almost always has exactly
/// one, its task's wake-up: that one is kept inline, so that a record's waiter allocates nothing
/// more for it.
#[derive(Default)]
struct Callbacks {
    first: Option<Callback>,
    more: Vec<Callback>,
}

impl Callbacks {
    fn push(&mut self, callback: Callback) {
        if self.first.is_none() && self.more.is_empty() {
            self.first = Some(callback);
        } else {
            self.more.push(callback);
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Callback> {
        self.first.iter().chain(&self.more)
    }

    /// Every callback, leaving none.
    fn take(&mut self) -> impl Iterator<Item = Callback> {
        let Self { first, more } = std::mem::take(self);
        first.into_iter().chain(more)
    }
}

/// One awaiting task's wait for a batch (see the module's documentation): the state of a
/// `TaskWaiter` object, whose Python type is `waiter_type`'s.
pub struct Waiter {
    event_loop: Py<PyAny>,
    state: State,
    callbacks: Callbacks,
}

impl Waiter {
    /// A waiter of `event_loop`, ready to be yielded.
    pub fn new(event_loop: Py<PyAny>) -> Self {
        Self {
            event_loop,
            state: State::Pending,
            callbacks: Callbacks::default(),
        }
    }

    /// The delivered batch's outcome, once woken by a delivered batch.
    pub fn outcome(&self) -> Option<&Py<BatchOutcome>> {
        match &self.state {
            State::Done(outcome) => outcome.as_ref(),
            _ => None,
        }
    }

    fn is_pending(&self) -> bool {
        matches!(self.state, State::Pending)
    }

    pub fn event_loop(&self) -> &Py<PyAny> {
        &self.event_loop
    }

    pub fn done(&self) -> bool {
        !self.is_pending()
    }

    pub fn cancelled(&self) -> bool {
        matches!(self.state, State::Cancelled(_))
    }

    /// Ok once woken (the awaiting coroutine reads the outcome itself); `CancelledError` if
    /// cancelled; `InvalidStateError` while waiting.
    pub fn result(&self, py: Python<'_>) -> PyResult<()> {
        match &self.state {
            State::Done(_) => Ok(()),
            State::Cancelled(msg) => Err(cancelled_error(py, msg.as_ref())),
            State::Pending => Err(InvalidStateError::new_err("the batch has not ended yet")),
        }
    }

    /// Keeps `callback` for the waiter's end; hands it back if the waiter has ended already
    /// (the caller schedules it).
    pub fn add_callback(&mut self, callback: Callback) -> Option<Callback> {
        if self.is_pending() {
            self.callbacks.push(callback);
            return None;
        }
        Some(callback)
    }

    /// Removes every `callback`; returns how many were removed.
    pub fn remove_callback(&mut self, callback: &Bound<'_, PyAny>) -> PyResult<usize> {
        let before = self.callbacks.len();
        // Compared first, so that a comparison that raises leaves every callback in place.
        let mut keep = Vec::with_capacity(before);
        for entry in self.callbacks.iter() {
            keep.push(!entry.0.bind(callback.py()).eq(callback)?);
        }
        let mut kept = Callbacks::default();
        for (entry, keep) in self.callbacks.take().zip(keep) {
            if keep {
                kept.push(entry);
            }
        }
        self.callbacks = kept;
        Ok(before - self.callbacks.len())
    }

    /// The awaiting task was cancelled: the waiter ends with `CancelledError`; returns the
    /// callbacks to schedule, or None if the waiter had ended already. The record's batch is
    /// not touched.
    pub fn cancel(&mut self, msg: Option<Py<PyAny>>) -> Option<Vec<Callback>> {
        if !self.is_pending() {
            return None;
        }
        self.state = State::Cancelled(msg);
        Some(self.callbacks.take().collect())
    }

    /// Every object the waiter holds, for the collector.
    fn held(&self) -> impl Iterator<Item = *mut pyo3::ffi::PyObject> + '_ {
        let state = match &self.state {
            State::Done(Some(outcome)) => Some(outcome.as_ptr()),
            State::Cancelled(Some(msg)) => Some(msg.as_ptr()),
            _ => None,
        };
        let callbacks = self.callbacks.iter().flat_map(|(callback, context)| {
            [Some(callback.as_ptr()), context.as_ref().map(Py::as_ptr)]
        });
        std::iter::once(Some(self.event_loop.as_ptr()))
            .chain(std::iter::once(state))
            .chain(callbacks)
            .flatten()
    }

    /// Releases every handle at once with `drop_ref` (the waiter's object is being freed,
    /// possibly outside pyo3's attach, where a plain drop would be deferred).
    pub fn release(self, py: Python<'_>) {
        let Self {
            event_loop,
            state,
            mut callbacks,
        } = self;
        event_loop.drop_ref(py);
        match state {
            State::Done(Some(outcome)) => outcome.drop_ref(py),
            State::Cancelled(Some(msg)) => msg.drop_ref(py),
            _ => {}
        }
        for (callback, context) in callbacks.take() {
            callback.drop_ref(py);
            if let Some(context) = context {
                context.drop_ref(py);
            }
        }
    }

    /// Drops what the waiter holds but its loop (the collector breaking a cycle).
    fn drop_held(&mut self) {
        self.callbacks = Callbacks::default();
        self.state = State::Pending;
    }
}

impl Collected for Waiter {
    fn references(&self) -> impl Iterator<Item = *mut pyo3::ffi::PyObject> + '_ {
        self.held()
    }

    fn clear(&mut self) {
        self.drop_held();
    }
}

/// `loop.call_soon(callback, waiter, context=context)`: how asyncio runs a callback of a future
/// that has ended.
pub fn schedule(
    event_loop: &Bound<'_, PyAny>,
    waiter: &Bound<'_, PyAny>,
    (callback, context): Callback,
) -> PyResult<()> {
    let py = event_loop.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(pyo3::intern!(py, "context"), context)?;
    event_loop
        .getattr(pyo3::intern!(py, "call_soon"))?
        .call((callback, waiter), Some(&kwargs))
        .map(drop)
}

fn cancelled_error(py: Python<'_>, msg: Option<&Py<PyAny>>) -> PyErr {
    match msg {
        Some(msg) => CancelledError::new_err((msg.clone_ref(py),)),
        None => CancelledError::new_err(()),
    }
}

/// The loop callback of one batch's end: resumes each woken task, as the handle an asyncio
/// future would have scheduled per waiter does (in the task's context; an exception goes to
/// the loop's exception handler and the next task still runs).
///
/// A waiter's first callback, its task's own wake-up (added when the waiter was yielded), is
/// handed `finished`, an asyncio future of the loop that has ended with None, rather than the
/// waiter: a woken waiter's `result()` is that same None, and asyncio's C task reads a native
/// future's result directly, where it would look up and call the waiter's `result` method by
/// name for every record. Any other callback gets its waiter, as a future's callbacks do.
#[pyclass(module = "ferrokafka._native", frozen)]
struct WakeUp {
    event_loop: Py<PyAny>,
    finished: Py<PyAny>,
    /// Each callback, with the waiter it is given (None: `finished`).
    woken: Vec<(Option<Py<PyAny>>, Callback)>,
}

/// `contextvars.Context.run`, unbound: `Context.run(context, fn, arg)` without a lookup.
static CONTEXT_RUN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl WakeUp {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let context_run = CONTEXT_RUN.get_or_try_init(py, || {
            py.import("contextvars")?
                .getattr("Context")?
                .getattr("run")
                .map(Bound::unbind)
        })?;
        let finished = self.finished.bind(py);
        for (waiter, (callback, context)) in &self.woken {
            let given = waiter
                .as_ref()
                .map_or(finished, |waiter| waiter.bind(py).as_any());
            let ran = match context {
                Some(context) => context_run.bind(py).call1((context, callback, given)),
                None => callback.bind(py).call1((given,)),
            };
            if let Err(error) = ran {
                let details = PyDict::new(py);
                details.set_item("message", "resuming a task awaiting a record batch failed")?;
                details.set_item("exception", error.into_value(py))?;
                self.event_loop
                    .bind(py)
                    .call_method1(pyo3::intern!(py, "call_exception_handler"), (details,))?;
            }
        }
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        visit.call(&self.finished)?;
        for (waiter, (callback, context)) in &self.woken {
            if let Some(waiter) = waiter {
                visit.call(waiter)?;
            }
            visit.call(callback)?;
            if let Some(context) = context {
                visit.call(context)?;
            }
        }
        Ok(())
    }
}

/// The outcome of `batch` if it was delivered in one piece (what `await send` returns from
/// without asking the batch again), else None.
pub fn delivered(batch: &Bound<'_, PyAny>) -> PyResult<Option<Delivered>> {
    let py = batch.py();
    if !batch.getattr(pyo3::intern!(py, "resolved"))?.is_truthy()?
        || !batch.getattr(pyo3::intern!(py, "parts"))?.is_none()
        || !batch.getattr(pyo3::intern!(py, "error"))?.is_none()
    {
        return Ok(None);
    }
    Ok(Some(Delivered {
        topic: batch.getattr(pyo3::intern!(py, "topic"))?.unbind(),
        partition: batch.getattr(pyo3::intern!(py, "partition"))?.unbind(),
        base_offset: batch.getattr(pyo3::intern!(py, "base_offset"))?.extract()?,
        log_append_time: batch
            .getattr(pyo3::intern!(py, "log_append_time_ms"))?
            .extract()?,
    }))
}

/// Wakes the waiters of `batch`, which ended (or whose records moved): each `TaskWaiter` is
/// marked done with the batch's outcome and every task waiting on one resumes in a single
/// `call_soon`; any other waiter (an asyncio future of `PendingBatch.asyncio_waiter`) is set.
#[pyfunction]
pub fn wake_waiters(batch: &Bound<'_, PyAny>, waiters: &Bound<'_, PyList>) -> PyResult<()> {
    let py = batch.py();
    let mut outcome: Option<Option<Py<BatchOutcome>>> = None;
    let mut woken = Vec::with_capacity(waiters.len());
    let mut event_loop = None;
    for waiter in waiters.iter() {
        if let Some(task_waiter) = waiter_of(&waiter) {
            let mut this = task_waiter
                .try_borrow_mut()
                .map_err(|_| PyRuntimeError::new_err("a TaskWaiter was woken while in use"))?;
            if !this.is_pending() {
                continue;
            }
            let shared = match &outcome {
                Some(shared) => shared,
                None => outcome.insert(
                    delivered(batch)?
                        .map(|delivered| Py::new(py, BatchOutcome { delivered }))
                        .transpose()?,
                ),
            };
            this.state = State::Done(shared.as_ref().map(|o| o.clone_ref(py)));
            if event_loop.is_none() {
                event_loop = Some(this.event_loop.clone_ref(py));
            }
            let Callbacks { first, more } = std::mem::take(&mut this.callbacks);
            woken.extend(first.map(|callback| (None, callback)));
            for callback in more {
                woken.push((Some(waiter.clone().unbind()), callback));
            }
        } else if !waiter
            .call_method0(pyo3::intern!(py, "done"))?
            .is_truthy()?
        {
            waiter.call_method1(pyo3::intern!(py, "set_result"), (py.None(),))?;
        }
    }
    if let (Some(event_loop), false) = (event_loop, woken.is_empty()) {
        let finished = event_loop
            .bind(py)
            .call_method0(pyo3::intern!(py, "create_future"))?;
        finished.call_method1(pyo3::intern!(py, "set_result"), (py.None(),))?;
        let wake_up = WakeUp {
            event_loop: event_loop.clone_ref(py),
            finished: finished.unbind(),
            woken,
        };
        event_loop
            .bind(py)
            .call_method1(pyo3::intern!(py, "call_soon"), (wake_up,))?;
    }
    Ok(())
}
