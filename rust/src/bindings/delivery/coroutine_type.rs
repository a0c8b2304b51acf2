//! The Python type of `SendCall` (`await producer.send(...)`, `await producer.produce(...)`),
//! made with the C API rather than `#[pyclass]` for the one slot pyo3 has no hook for:
//! `am_send`.
//!
//! `await` steps its object with `PyIter_Send`. Without `am_send` that calls `__next__`, and a
//! call that has its value must raise `StopIteration(value)`: an exception object built, raised
//! and unpacked again for every record. `await producer.produce(...)` has its value at its
//! first step, so that was about half of what it cost beyond `send_nowait`. With `am_send` the value
//! is handed back as `PYGEN_RETURN`, and `am_await` returning the object itself spares the
//! `__await__` call. `__next__`, `send`, `throw` and `close` are there as on any coroutine
//! (asyncio's Task throws into it; `asyncio.iscoroutine` looks for them). What the call holds
//! and how it steps is `awaiting::SendCall`'s; this module is only the object around it.
//!
//! Every function here is called by the interpreter, with the thread attached, and turns a
//! panic into a Python exception rather than unwinding into C. Each enters pyo3 through
//! `Python::attach`, so that handles dropped inside are released at once rather than deferred,
//! but for the two on every record: the first step (`enter_step`, which drops its handles with
//! `drop_ref`) and freeing a finished call, which holds nothing.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyType};
use pyo3::Borrowed;

use super::awaiting::{stop_with, SendCall};
use super::c_api::{
    clear, enter, enter_attached, method, new_gc_object, new_type, slot, traverse, StateObject,
};

/// What one step of a coroutine came to.
pub enum Stepped<'py> {
    /// It waits: what it yielded to the task.
    Yield(Bound<'py, PyAny>),
    /// It is done: its value.
    Return(Bound<'py, PyAny>),
}

/// One step of `iter` (a coroutine, or any iterator) with `value` sent in, through its
/// `am_send` when it has one, without a `StopIteration` for its value.
pub fn iter_send<'py>(
    iter: &Bound<'py, PyAny>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Stepped<'py>> {
    let py = iter.py();
    let mut result = ptr::null_mut();
    // SAFETY: both objects are alive for the call; `result` is a place for one pointer.
    let status = unsafe { ffi::PyIter_Send(iter.as_ptr(), value.as_ptr(), &raw mut result) };
    // SAFETY: NEXT and RETURN leave a new reference in `result`; ERROR leaves it null with
    // the error set, which `from_owned_ptr_or_err` fetches.
    let result = unsafe { Bound::from_owned_ptr_or_err(py, result) }?;
    Ok(match status {
        ffi::PySendResult::PYGEN_NEXT => Stepped::Yield(result),
        _ => Stepped::Return(result),
    })
}

/// The object's layout: the Python object header, then the call. The `RefCell` refuses a
/// step begun while another runs (a step runs Python code, which could step the same object),
/// with the error of a running generator.
#[repr(C)]
struct Object {
    header: ffi::PyObject,
    call: RefCell<SendCall>,
}

static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SendCall", send_call_type(m.py())?.bind(m.py()))
}

/// A new `SendCall` object owning `call`.
pub fn new_send_call(py: Python<'_>, call: SendCall) -> PyResult<Bound<'_, PyAny>> {
    let ty = send_call_type(py)?;
    // SAFETY: the type's basic size is `Object`'s and it has Py_TPFLAGS_HAVE_GC; `call`, the
    // one field after the header, is written.
    unsafe {
        new_gc_object::<Object>(py, ty, |object| {
            ptr::write(&raw mut (*object).call, RefCell::new(call));
        })
    }
}

fn send_call_type(py: Python<'_>) -> PyResult<&Py<PyType>> {
    TYPE.get_or_try_init(py, || create_type(py))
}

fn create_type(py: Python<'_>) -> PyResult<Py<PyType>> {
    // The type keeps pointing at its method table: made once per process, and kept.
    let methods: &'static mut [ffi::PyMethodDef] = Box::leak(Box::new([
        method(
            c"send",
            send_method,
            ffi::METH_O,
            c"send($self, value, /)\n--\n\nRuns the call to its next wait; `value` goes to the \
              coroutine it delegates to, if any.",
        ),
        method(
            c"throw",
            throw_method,
            ffi::METH_VARARGS,
            c"throw($self, error, value=None, traceback=None, /)\n--\n\nRaises the exception \
              where the call waits.",
        ),
        method(
            c"close",
            close_method,
            ffi::METH_NOARGS,
            c"close($self, /)\n--\n\nEnds the call where it waits.",
        ),
        ffi::PyMethodDef::zeroed(),
    ]));
    let dealloc_fn: ffi::destructor = dealloc;
    let traverse_fn: ffi::traverseproc = traverse::<Object>;
    let clear_fn: ffi::inquiry = clear::<Object>;
    let self_fn: ffi::unaryfunc = itself;
    let next_fn: ffi::iternextfunc = next;
    let send_fn: SendFunc = am_send;
    let mut slots = [
        slot(ffi::Py_tp_dealloc, dealloc_fn as *mut c_void),
        slot(ffi::Py_tp_traverse, traverse_fn as *mut c_void),
        slot(ffi::Py_tp_clear, clear_fn as *mut c_void),
        slot(ffi::Py_tp_iter, self_fn as *mut c_void),
        slot(ffi::Py_tp_iternext, next_fn as *mut c_void),
        slot(ffi::Py_am_await, self_fn as *mut c_void),
        slot(ffi::Py_am_send, send_fn as *mut c_void),
        slot(ffi::Py_tp_methods, methods.as_mut_ptr().cast()),
        slot(
            ffi::Py_tp_doc,
            c"The native coroutine of ``await producer.send(...)`` / ``await producer.produce(...)``."
                .as_ptr()
                .cast_mut()
                .cast(),
        ),
        ffi::PyType_Slot::default(),
    ];
    new_type(
        py,
        c"ferrokafka._native.SendCall",
        std::mem::size_of::<Object>(),
        &mut slots,
    )
}

/// `am_send`'s signature (`sendfunc`, which pyo3 declares only outside the limited API).
type SendFunc = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *mut ffi::PyObject,
    *mut *mut ffi::PyObject,
) -> ffi::PySendResult;

/// The call inside `object`.
///
/// # Safety
/// `object` is an object of this module's type, alive for `'a`.
unsafe fn call_of<'a>(object: *mut ffi::PyObject) -> &'a RefCell<SendCall> {
    // SAFETY: per the contract, `object` is an `Object`, initialised by `new_send_call`.
    unsafe { &(*object.cast::<Object>()).call }
}

/// One step of the call in `object` with `value` sent in.
///
/// # Safety
/// As `call_of`.
unsafe fn step<'py>(
    object: *mut ffi::PyObject,
    value: &Bound<'py, PyAny>,
) -> PyResult<Stepped<'py>> {
    // SAFETY: as the caller's.
    let call = unsafe { call_of(object) };
    let mut call = call
        .try_borrow_mut()
        .map_err(|_| PyValueError::new_err("coroutine already executing"))?;
    call.send(value)
}

/// The value of an ended step as the iterator protocol has it: `StopIteration(value)`.
fn yielded(stepped: Stepped<'_>) -> PyResult<*mut ffi::PyObject> {
    match stepped {
        Stepped::Yield(value) => Ok(value.into_ptr()),
        Stepped::Return(value) => Err(stop_with(value)?),
    }
}

unsafe extern "C" fn am_send(
    object: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut *mut ffi::PyObject,
) -> ffi::PySendResult {
    // SAFETY: the interpreter calls this slot attached, with a live object of this type, a
    // live value borrowed for the call and a place for the result.
    unsafe {
        enter_step(object, ffi::PySendResult::PYGEN_ERROR, |py| {
            send_into(py, object, value, result)
        })
    }
}

/// Runs a step of the call in `object`: the first one, and for `produce` mostly the only one,
/// with `enter_attached` (it drops its handles with `drop_ref`: see `SendCall::starting`),
/// any other with `enter`.
///
/// # Safety
/// The thread is attached; `object` is a live object of this type.
unsafe fn enter_step<R>(
    object: *mut ffi::PyObject,
    failed: R,
    body: impl for<'py> FnOnce(Python<'py>) -> PyResult<R>,
) -> R {
    // SAFETY: per the contract.
    let starting = unsafe { call_of(object) }
        .try_borrow()
        .is_ok_and(|call| call.starting());
    if starting {
        // SAFETY: per the contract.
        unsafe { enter_attached(failed, body) }
    } else {
        enter(failed, body)
    }
}

/// `am_send`'s step: the result written on every outcome, a new reference or null.
///
/// # Safety
/// As `am_send`'s arguments.
unsafe fn send_into(
    py: Python<'_>,
    object: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut *mut ffi::PyObject,
) -> PyResult<ffi::PySendResult> {
    // SAFETY: per the contract.
    unsafe {
        *result = ptr::null_mut();
        let value = Borrowed::from_ptr(py, value);
        Ok(match step(object, &value)? {
            Stepped::Yield(next) => {
                *result = next.into_ptr();
                ffi::PySendResult::PYGEN_NEXT
            }
            Stepped::Return(end) => {
                *result = end.into_ptr();
                ffi::PySendResult::PYGEN_RETURN
            }
        })
    }
}

unsafe extern "C" fn next(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the interpreter calls this slot attached, with a live object of this type.
    unsafe {
        enter_step(object, ptr::null_mut(), |py| {
            yielded(step(object, &py.None().into_bound(py))?)
        })
    }
}

unsafe extern "C" fn send_method(
    object: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_O method is called attached, with its object and one live argument,
    // borrowed.
    unsafe {
        enter_step(object, ptr::null_mut(), |py| {
            yielded(step(object, &Borrowed::from_ptr(py, value))?)
        })
    }
}

unsafe extern "C" fn throw_method(
    object: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    enter(ptr::null_mut(), |py| {
        // SAFETY: a METH_VARARGS method gets its object and the tuple of its arguments.
        let (call, args) = unsafe {
            (
                call_of(object),
                Bound::from_borrowed_ptr(py, args).cast_into_unchecked::<PyTuple>(),
            )
        };
        if !(1..=3).contains(&args.len()) {
            return Err(PyTypeError::new_err(format!(
                "throw expected 1 to 3 arguments, got {}",
                args.len()
            )));
        }
        let mut call = call
            .try_borrow_mut()
            .map_err(|_| PyValueError::new_err("coroutine already executing"))?;
        Ok(call.throw(&args)?.into_ptr())
    })
}

unsafe extern "C" fn close_method(
    object: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    enter(ptr::null_mut(), |py| {
        // SAFETY: a METH_NOARGS method gets its object.
        let call = unsafe { call_of(object) };
        let mut call = call
            .try_borrow_mut()
            .map_err(|_| PyValueError::new_err("coroutine already executing"))?;
        call.close(py)?;
        Ok(py.None().into_ptr())
    })
}

/// `__await__` and `__iter__`: the object is its own iterator.
unsafe extern "C" fn itself(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the interpreter passes a live object; the new reference is the caller's.
    unsafe { ffi::Py_INCREF(object) };
    object
}

impl StateObject for Object {
    type State = SendCall;

    unsafe fn state<'a>(object: *mut ffi::PyObject) -> &'a RefCell<SendCall> {
        // SAFETY: as the trait's contract.
        unsafe { call_of(object) }
    }
}

unsafe extern "C" fn dealloc(object: *mut ffi::PyObject) {
    // SAFETY: the object's last reference is gone: it is untracked before its call is dropped
    // (so the collector never sees a dropped call), then freed as it was allocated
    // (`PyObject_GC_New`), and the reference its heap type held for it is released. A
    // finished call holds nothing: dropping it needs no attach (it is the common case).
    unsafe {
        ffi::PyObject_GC_UnTrack(object.cast());
        let call = &raw mut (*object.cast::<Object>()).call;
        if (*call).get_mut().is_empty() {
            ptr::drop_in_place(call);
        } else {
            Python::attach(|_| ptr::drop_in_place(call));
        }
        let ty = ffi::Py_TYPE(object);
        ffi::PyObject_GC_Del(object.cast());
        ffi::Py_DECREF(ty.cast());
    }
}
