//! What the delivery types made with the C API rather than `#[pyclass]` share (`SendCall` in
//! `coroutine_type`, `TaskWaiter` in `waiter_type`): their method and slot tables, their
//! creation from a spec, and the way every function the interpreter calls enters Rust.
//!
//! Every such function is called by the interpreter with the thread attached, and turns a
//! panic into a Python exception rather than unwinding into C.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::{c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::ffi;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// A `PyCFunction`'s signature (`METH_O`, `METH_VARARGS`, `METH_NOARGS`).
pub type CFunction =
    unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> *mut ffi::PyObject;

pub fn method(
    name: &'static CStr,
    function: CFunction,
    flags: c_int,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: function,
        },
        ml_flags: flags,
        ml_doc: doc.as_ptr(),
    }
}

/// A `METH_FASTCALL | METH_KEYWORDS` method.
pub fn fastcall_method(
    name: &'static CStr,
    function: ffi::PyCFunctionFastWithKeywords,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: function,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }
}

pub fn slot(slot: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// A type named `name` whose objects are `basicsize` bytes, garbage collected, neither
/// subclassable (a subclass's objects would not have the layout its functions expect) nor
/// made from Python; `slots` ends with `PyType_Slot::default()`. Every table its slots point
/// to must live as long as the process (the interpreter copies the slots, not the tables).
pub fn new_type(
    py: Python<'_>,
    name: &'static CStr,
    basicsize: usize,
    slots: &mut [ffi::PyType_Slot],
) -> PyResult<Py<PyType>> {
    let mut spec = ffi::PyType_Spec {
        name: name.as_ptr(),
        basicsize: c_int::try_from(basicsize).expect("a small struct"),
        itemsize: 0,
        flags: u32::try_from(
            ffi::Py_TPFLAGS_DEFAULT
                | ffi::Py_TPFLAGS_HAVE_GC
                | ffi::Py_TPFLAGS_IMMUTABLETYPE
                | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION,
        )
        .expect("the flags fit in 32 bits"),
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: the spec and its slots are valid for the call, and every table the slots point
    // to is 'static (the caller's contract); every function has its slot's signature.
    unsafe {
        let ty = ffi::PyType_FromSpec(&raw mut spec);
        Ok(Bound::from_owned_ptr_or_err(py, ty)?
            .cast_into::<PyType>()?
            .unbind())
    }
}

/// A new object of `ty`, a garbage-collected type whose objects are `T`s (the object header
/// first): `init` writes every field after the header before the object is tracked (the
/// collector reads them) or seen by anything else.
///
/// # Safety
/// `ty`'s basic size is `T`'s and it has `Py_TPFLAGS_HAVE_GC`; `init` leaves no field of `T`
/// after the header uninitialised.
pub unsafe fn new_gc_object<'py, T>(
    py: Python<'py>,
    ty: &Py<PyType>,
    init: impl FnOnce(*mut T),
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: per the contract, `PyObject_GC_New` gives a `T` whose header is set.
    unsafe {
        let object = ffi::PyObject_GC_New::<T>(ty.as_ptr().cast());
        if object.is_null() {
            return Err(PyErr::fetch(py));
        }
        init(object);
        ffi::PyObject_GC_Track(object.cast());
        Ok(Bound::from_owned_ptr(py, object.cast()))
    }
}

/// What the object of a type made here holds, for the collector.
pub trait Collected {
    /// Every object held.
    fn references(&self) -> impl Iterator<Item = *mut ffi::PyObject> + '_;
    /// Drops what is held (the collector breaking a cycle).
    fn clear(&mut self);
}

/// An object of a type made here: the object header, then (among its fields) its state in a
/// `RefCell`, which the collector's slots below reach.
pub trait StateObject {
    type State: Collected;

    /// The state of `object`.
    ///
    /// # Safety
    /// `object` is a live object of this type, alive for `'a`.
    unsafe fn state<'a>(object: *mut ffi::PyObject) -> &'a RefCell<Self::State>;
}

/// `tp_traverse` of `O`'s objects. A method under way holds the state: its references are
/// then not reported, which only keeps them alive for this collection.
///
/// # Safety
/// Called by the collector, with a live, tracked (so initialised) object of `O`'s type and its
/// visit pair.
pub unsafe extern "C" fn traverse<O: StateObject>(
    object: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: per the contract.
    let Ok(held) = unsafe { O::state(object) }.try_borrow() else {
        return 0;
    };
    // SAFETY: per the contract; the references are held by the object's state.
    unsafe { visit_all(held.references(), visit, arg) }
}

/// `tp_clear` of `O`'s objects.
///
/// # Safety
/// Called by the collector, with a live object of `O`'s type.
pub unsafe extern "C" fn clear<O: StateObject>(object: *mut ffi::PyObject) -> c_int {
    enter(-1, |_| {
        // SAFETY: per the contract.
        if let Ok(mut held) = unsafe { O::state(object) }.try_borrow_mut() {
            held.clear();
        }
        Ok(0)
    })
}

/// `tp_traverse`'s loop: `visit(reference, arg)` for each reference, stopping at the first
/// that returns non-zero (returned).
///
/// # Safety
/// `visit` and `arg` are the collector's pair; every reference is held by the object being
/// traversed.
unsafe fn visit_all(
    references: impl Iterator<Item = *mut ffi::PyObject>,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    for reference in references {
        // SAFETY: per the contract.
        let status = unsafe { visit(reference, arg) };
        if status != 0 {
            return status;
        }
    }
    0
}

/// Runs `body` with the thread attached through `Python::attach`, a panic raised as
/// `PanicException`; `failed` is what the slot returns with an exception set.
pub fn enter<R>(failed: R, body: impl for<'py> FnOnce(Python<'py>) -> PyResult<R>) -> R {
    Python::attach(|py| run(py, failed, body))
}

/// `enter` without pyo3's attach bookkeeping (its thread-local count, `PyGILState_Ensure` and
/// `Release`): a third of what a `produce` record cost beyond `send_nowait`. Right only for a
/// body that drops no `Py` handle but through `drop_ref`: pyo3 counts the thread as detached,
/// so a plain drop would be deferred to its next attach (not lost: only later).
///
/// # Safety
/// The thread is attached (every slot is called so by the interpreter).
pub unsafe fn enter_attached<R>(
    failed: R,
    body: impl for<'py> FnOnce(Python<'py>) -> PyResult<R>,
) -> R {
    // SAFETY: per the contract; the token does not outlive this call.
    let py = unsafe { Python::assume_attached() };
    run(py, failed, body)
}

fn run<'py, R>(py: Python<'py>, failed: R, body: impl FnOnce(Python<'py>) -> PyResult<R>) -> R {
    let result = catch_unwind(AssertUnwindSafe(|| body(py))).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic in ferrokafka's native code".to_owned());
        Err(PanicException::new_err(message))
    });
    result.unwrap_or_else(|error| {
        error.restore(py);
        failed
    })
}
