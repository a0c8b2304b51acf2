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

use pyo3::exceptions::asyncio::{CancelledError, InvalidStateError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use pyo3::{PyTraverseError, PyVisit};

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
type Callback = (Py<PyAny>, Option<Py<PyAny>>);

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

/// One awaiting task's wait for a batch (see the module's documentation).
#[pyclass(module = "ferrokafka._native")]
pub struct TaskWaiter {
    event_loop: Py<PyAny>,
    /// Set True when yielded, as asyncio's `Future.__await__` sets it; the task sets it False.
    #[pyo3(get, set, name = "_asyncio_future_blocking")]
    blocking: bool,
    state: State,
    callbacks: Callbacks,
}

impl TaskWaiter {
    /// A waiter of `event_loop`, ready to be yielded.
    pub fn new(event_loop: Py<PyAny>) -> Self {
        Self {
            event_loop,
            blocking: true,
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
}

/// `loop.call_soon(callback, waiter, context=context)`: how asyncio runs a callback of a future
/// that has ended.
fn schedule(
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

#[pymethods]
impl TaskWaiter {
    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn done(&self) -> bool {
        !self.is_pending()
    }

    fn cancelled(&self) -> bool {
        matches!(self.state, State::Cancelled(_))
    }

    /// None once woken (the awaiting coroutine reads the outcome itself); `CancelledError` if
    /// cancelled; `InvalidStateError` while waiting.
    fn result(&self, py: Python<'_>) -> PyResult<()> {
        match &self.state {
            State::Done(_) => Ok(()),
            State::Cancelled(msg) => Err(cancelled_error(py, msg.as_ref())),
            State::Pending => Err(InvalidStateError::new_err("the batch has not ended yet")),
        }
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.result(py).map(|()| None)
    }

    /// Runs `callback(waiter)` in `context` once woken or cancelled; at the loop's next turn
    /// if that has happened already.
    #[pyo3(signature = (callback, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        callback: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let mut this = slf.borrow_mut();
        if this.is_pending() {
            this.callbacks.push((callback, context));
            return Ok(());
        }
        let event_loop = this.event_loop.clone_ref(slf.py());
        drop(this);
        schedule(event_loop.bind(slf.py()), slf.as_any(), (callback, context))
    }

    /// Removes every `callback`; returns how many were removed.
    fn remove_done_callback(&mut self, callback: &Bound<'_, PyAny>) -> PyResult<usize> {
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

    /// The awaiting task was cancelled: the waiter ends with `CancelledError` and wakes it.
    /// The record's batch is not touched. False if the waiter had ended already.
    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        let (event_loop, callbacks) = {
            let mut this = slf.borrow_mut();
            if !this.is_pending() {
                return Ok(false);
            }
            this.state = State::Cancelled(msg);
            (
                this.event_loop.clone_ref(py),
                this.callbacks.take().collect::<Vec<_>>(),
            )
        };
        for callback in callbacks {
            schedule(event_loop.bind(py), slf.as_any(), callback)?;
        }
        Ok(true)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        match &self.state {
            State::Done(Some(outcome)) => visit.call(outcome)?,
            State::Cancelled(Some(msg)) => visit.call(msg)?,
            _ => {}
        }
        for (callback, context) in self.callbacks.iter() {
            visit.call(callback)?;
            if let Some(context) = context {
                visit.call(context)?;
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.callbacks = Callbacks::default();
        self.state = State::Pending;
    }
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
    woken: Vec<(Option<Py<TaskWaiter>>, Callback)>,
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
        if let Ok(task_waiter) = waiter.cast::<TaskWaiter>() {
            let mut this = task_waiter.borrow_mut();
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
                woken.push((Some(task_waiter.clone().unbind()), callback));
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
