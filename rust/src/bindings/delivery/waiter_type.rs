//! The Python type of `TaskWaiter` (the waiter's state and its wake-up are `waiter`'s), made
//! with the C API rather than `#[pyclass]` because asyncio's C task reaches into it on every
//! awaited record: it reads `_asyncio_future_blocking`, sets it False, calls `get_loop()` and
//! `add_done_callback(wakeup, context=...)`. Here the attribute is a plain member (a byte the
//! interpreter reads and writes itself, where a pyo3 property runs a trampoline each way) and
//! the methods are C functions with no generic argument parsing.
//!
//! The per-record functions (`get_loop`, `add_done_callback`, `result` and freeing the
//! waiter) enter Rust without pyo3's attach and drop their handles with `drop_ref`; the
//! others enter through `Python::attach` (see `c_api`).
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::{c_char, c_void};
use std::mem::offset_of;
use std::ptr;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyTuple, PyType};
use pyo3::Borrowed;

use super::c_api::{
    clear, enter, enter_attached, fastcall_method, method, new_gc_object, new_type, slot, traverse,
    StateObject,
};
use super::waiter::{schedule, Callback, Waiter};

/// The object's layout: the Python object header, `_asyncio_future_blocking` as a C `char`
/// (what a `Py_T_BOOL` member is), then the waiter. The `RefCell` refuses a method begun
/// while another runs on the same waiter (none runs Python code while it holds the waiter).
#[repr(C)]
struct Object {
    header: ffi::PyObject,
    blocking: c_char,
    waiter: RefCell<Waiter>,
}

static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("TaskWaiter", task_waiter_type(m.py())?.bind(m.py()))
}

/// A new waiter of `event_loop`, ready to be yielded: `_asyncio_future_blocking` is True, as
/// asyncio's `Future.__await__` sets it before yielding.
pub fn new_task_waiter(py: Python<'_>, event_loop: Py<PyAny>) -> PyResult<Bound<'_, PyAny>> {
    let ty = task_waiter_type(py)?;
    // SAFETY: the type's basic size is `Object`'s and it has Py_TPFLAGS_HAVE_GC; both fields
    // after the header are written.
    unsafe {
        new_gc_object::<Object>(py, ty, |object| {
            ptr::write(&raw mut (*object).blocking, 1);
            ptr::write(
                &raw mut (*object).waiter,
                RefCell::new(Waiter::new(event_loop)),
            );
        })
    }
}

/// The waiter inside `object`, if it is a `TaskWaiter`.
pub fn waiter_of<'a>(object: &'a Bound<'_, PyAny>) -> Option<&'a RefCell<Waiter>> {
    let ty = TYPE.get(object.py())?;
    // SAFETY: `object` is alive for 'a; an object of this (final) type is an `Object`.
    unsafe {
        if ffi::Py_TYPE(object.as_ptr()) != ty.as_ptr().cast() {
            return None;
        }
        Some(waiter_in(object.as_ptr()))
    }
}

/// # Safety
/// `object` is a live object of this type, alive for `'a`.
unsafe fn waiter_in<'a>(object: *mut ffi::PyObject) -> &'a RefCell<Waiter> {
    // SAFETY: per the contract, `object` is an `Object` made by `new_task_waiter`.
    unsafe { &(*object.cast::<Object>()).waiter }
}

fn task_waiter_type(py: Python<'_>) -> PyResult<&Py<PyType>> {
    TYPE.get_or_try_init(py, || create_type(py))
}

fn in_use() -> PyErr {
    PyRuntimeError::new_err("the TaskWaiter is in use by another call")
}

fn create_type(py: Python<'_>) -> PyResult<Py<PyType>> {
    // Made once per process, and kept: the type points at its tables.
    let methods: &'static mut [ffi::PyMethodDef] = Box::leak(Box::new([
        method(
            c"get_loop",
            get_loop,
            ffi::METH_NOARGS,
            c"get_loop($self, /)\n--\n\nThe event loop the waiter belongs to.",
        ),
        method(
            c"done",
            done,
            ffi::METH_NOARGS,
            c"done($self, /)\n--\n\nTrue once woken or cancelled.",
        ),
        method(
            c"cancelled",
            cancelled,
            ffi::METH_NOARGS,
            c"cancelled($self, /)\n--\n\nTrue once cancelled.",
        ),
        method(
            c"result",
            result,
            ffi::METH_NOARGS,
            c"result($self, /)\n--\n\nNone once woken (the awaiting call reads the batch's \
              outcome itself); raises CancelledError if cancelled, InvalidStateError while \
              waiting.",
        ),
        method(
            c"exception",
            exception,
            ffi::METH_NOARGS,
            c"exception($self, /)\n--\n\nNone once woken; raises as result() otherwise.",
        ),
        fastcall_method(
            c"add_done_callback",
            add_done_callback,
            c"add_done_callback($self, callback, /, *, context=None)\n--\n\nRuns \
              callback(waiter) in context once woken or cancelled; at the loop's next turn if \
              that has happened already.",
        ),
        method(
            c"remove_done_callback",
            remove_done_callback,
            ffi::METH_O,
            c"remove_done_callback($self, callback, /)\n--\n\nRemoves every callback; returns \
              how many were removed.",
        ),
        fastcall_method(
            c"cancel",
            cancel,
            c"cancel($self, /, msg=None)\n--\n\nThe awaiting task was cancelled: the waiter \
              ends with CancelledError and wakes it (the record's batch is not touched). False \
              if the waiter had ended already.",
        ),
        ffi::PyMethodDef::zeroed(),
    ]));
    let members: &'static mut [ffi::PyMemberDef] = Box::leak(Box::new([
        ffi::PyMemberDef {
            name: c"_asyncio_future_blocking".as_ptr(),
            type_code: ffi::Py_T_BOOL,
            offset: ffi::Py_ssize_t::try_from(offset_of!(Object, blocking))
                .expect("a small offset"),
            flags: 0,
            doc: c"True when yielded, as asyncio's Future.__await__ sets it; the task sets it \
                   False."
                .as_ptr(),
        },
        ffi::PyMemberDef::default(),
    ]));
    let dealloc_fn: ffi::destructor = dealloc;
    let traverse_fn: ffi::traverseproc = traverse::<Object>;
    let clear_fn: ffi::inquiry = clear::<Object>;
    let mut slots = [
        slot(ffi::Py_tp_dealloc, dealloc_fn as *mut c_void),
        slot(ffi::Py_tp_traverse, traverse_fn as *mut c_void),
        slot(ffi::Py_tp_clear, clear_fn as *mut c_void),
        slot(ffi::Py_tp_methods, methods.as_mut_ptr().cast()),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(
            ffi::Py_tp_doc,
            c"What ``await producer.send(...)`` yields to its task while the record's batch is \
              open: the parts of the future protocol asyncio's Task uses."
                .as_ptr()
                .cast_mut()
                .cast(),
        ),
        ffi::PyType_Slot::default(),
    ];
    new_type(
        py,
        c"ferrokafka._native.TaskWaiter",
        std::mem::size_of::<Object>(),
        &mut slots,
    )
}

unsafe extern "C" fn get_loop(
    object: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_NOARGS method gets its live object; nothing is dropped (the loop's new
    // reference is the caller's).
    unsafe {
        reading_attached(object, |py, waiter| {
            Ok(waiter.event_loop().clone_ref(py).into_bound(py))
        })
    }
}

/// `reading` for the methods asyncio's task calls on every record, entered without pyo3's
/// attach (see `c_api::enter_attached`).
///
/// # Safety
/// `object` is the method's live object; `read` drops no handle but through `drop_ref`.
unsafe fn reading_attached(
    object: *mut ffi::PyObject,
    read: impl for<'py> FnOnce(Python<'py>, &Waiter) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: per the contract.
    unsafe {
        enter_attached(ptr::null_mut(), |py| {
            let waiter = waiter_in(object).try_borrow().map_err(|_| in_use())?;
            Ok(read(py, &waiter)?.into_ptr())
        })
    }
}

/// A `METH_NOARGS` method that reads the waiter: what `read` makes of it.
///
/// # Safety
/// `object` is the method's live object.
unsafe fn reading(
    object: *mut ffi::PyObject,
    read: impl for<'py> FnOnce(Python<'py>, &Waiter) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    enter(ptr::null_mut(), |py| {
        // SAFETY: per the contract.
        let waiter = unsafe { waiter_in(object) }
            .try_borrow()
            .map_err(|_| in_use())?;
        Ok(read(py, &waiter)?.into_ptr())
    })
}

fn py_bool(py: Python<'_>, value: bool) -> Bound<'_, PyAny> {
    PyBool::new(py, value).to_owned().into_any()
}

unsafe extern "C" fn done(object: *mut ffi::PyObject, _: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: a METH_NOARGS method gets its live object.
    unsafe { reading(object, |py, waiter| Ok(py_bool(py, waiter.done()))) }
}

unsafe extern "C" fn cancelled(
    object: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_NOARGS method gets its live object.
    unsafe { reading(object, |py, waiter| Ok(py_bool(py, waiter.cancelled()))) }
}

unsafe extern "C" fn result(
    object: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_NOARGS method gets its live object. When woken (asyncio's task asks on
    // every record) nothing is dropped; an error is handed to the interpreter, which owns it
    // from then on.
    unsafe {
        reading_attached(object, |py, waiter| {
            waiter.result(py)?;
            Ok(py.None().into_bound(py))
        })
    }
}

unsafe extern "C" fn exception(
    object: *mut ffi::PyObject,
    _: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_NOARGS method gets its live object.
    unsafe {
        reading(object, |py, waiter| {
            waiter.result(py)?;
            Ok(py.None().into_bound(py))
        })
    }
}

/// An argument of a C method, borrowed for the call.
type Argument<'py> = Borrowed<'py, 'py, PyAny>;

/// The arguments of a `METH_FASTCALL | METH_KEYWORDS` call: its positional ones, then the
/// value of each keyword in `names`, None where not given. Refuses other keywords, and
/// positional arguments beyond `most`, with the errors Python gives.
///
/// # Safety
/// `args`, `nargs` and `kwnames` are what the interpreter passed to such a method.
unsafe fn fastcall_arguments<'py, const N: usize>(
    py: Python<'py>,
    function: &str,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
    most: usize,
    names: [&str; N],
) -> PyResult<(Vec<Argument<'py>>, [Option<Argument<'py>>; N])> {
    let positional = usize::try_from(nargs).unwrap_or(0);
    if positional > most {
        return Err(PyTypeError::new_err(format!(
            "{function}() takes at most {most} positional argument(s) ({positional} given)"
        )));
    }
    // SAFETY: per the contract, `args` holds `nargs` positional values then one value per
    // keyword name, each alive for the call.
    let argument = |index: usize| unsafe { Borrowed::from_ptr(py, *args.add(index)) };
    let given: Vec<_> = (0..positional).map(argument).collect();
    let mut keywords = [None; N];
    if !kwnames.is_null() {
        // SAFETY: per the contract, `kwnames` is a tuple of str, alive for the call.
        let kwnames = unsafe { Borrowed::from_ptr(py, kwnames).cast_unchecked::<PyTuple>() };
        for (index, name) in kwnames.iter().enumerate() {
            let name = name.extract::<String>()?;
            let Some(slot) = names.iter().position(|known| *known == name) else {
                return Err(PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{name}'"
                )));
            };
            keywords[slot] = Some(argument(positional + index));
        }
    }
    Ok((given, keywords))
}

unsafe extern "C" fn add_done_callback(
    object: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a METH_FASTCALL | METH_KEYWORDS method is called attached with its live object
    // and arguments. Kept for later (the common case, a waiting waiter), the callback and
    // context are new references and nothing is dropped; a callback for a waiter that has
    // ended is scheduled, and what that drops is released at pyo3's next attach.
    unsafe {
        enter_attached(ptr::null_mut(), |py| {
            let (given, [context]) = fastcall_arguments(
                py,
                "add_done_callback",
                args,
                nargs,
                kwnames,
                1,
                ["context"],
            )?;
            let [callback] = given[..] else {
                return Err(PyTypeError::new_err(
                    "add_done_callback() takes exactly one positional argument, the callback",
                ));
            };
            let context = context.filter(|context| !context.is_none());
            let entry: Callback = (
                callback.to_owned().unbind(),
                context.map(|context| context.to_owned().unbind()),
            );
            let mut waiter = waiter_in(object).try_borrow_mut().map_err(|_| in_use())?;
            if let Some(entry) = waiter.add_callback(entry) {
                let event_loop = waiter.event_loop().clone_ref(py);
                drop(waiter);
                let this = Borrowed::from_ptr(py, object);
                schedule(event_loop.bind(py), &this, entry)?;
            }
            Ok(py.None().into_ptr())
        })
    }
}

unsafe extern "C" fn remove_done_callback(
    object: *mut ffi::PyObject,
    callback: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    enter(ptr::null_mut(), |py| {
        // SAFETY: a METH_O method gets its live object and one live argument, borrowed.
        let (waiter, callback) = unsafe { (waiter_in(object), Borrowed::from_ptr(py, callback)) };
        let removed = waiter
            .try_borrow_mut()
            .map_err(|_| in_use())?
            .remove_callback(&callback)?;
        Ok(removed.into_pyobject(py)?.into_any().into_ptr())
    })
}

unsafe extern "C" fn cancel(
    object: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    enter(ptr::null_mut(), |py| {
        // SAFETY: a METH_FASTCALL | METH_KEYWORDS method gets its live object and arguments.
        let (given, [keyword]) =
            unsafe { fastcall_arguments(py, "cancel", args, nargs, kwnames, 1, ["msg"]) }?;
        if !given.is_empty() && keyword.is_some() {
            return Err(PyTypeError::new_err(
                "cancel() got multiple values for argument 'msg'",
            ));
        }
        let msg = given
            .first()
            .copied()
            .or(keyword)
            .filter(|msg| !msg.is_none())
            .map(|msg| msg.to_owned().unbind());
        // SAFETY: as above.
        let waiter = unsafe { waiter_in(object) };
        let (event_loop, callbacks) = {
            let mut waiter = waiter.try_borrow_mut().map_err(|_| in_use())?;
            let Some(callbacks) = waiter.cancel(msg) else {
                return Ok(py_bool(py, false).into_ptr());
            };
            (waiter.event_loop().clone_ref(py), callbacks)
        };
        // SAFETY: as above.
        let this = unsafe { Borrowed::from_ptr(py, object) };
        for callback in callbacks {
            schedule(event_loop.bind(py), &this, callback)?;
        }
        Ok(py_bool(py, true).into_ptr())
    })
}

impl StateObject for Object {
    type State = Waiter;

    unsafe fn state<'a>(object: *mut ffi::PyObject) -> &'a RefCell<Waiter> {
        // SAFETY: as the trait's contract.
        unsafe { waiter_in(object) }
    }
}

unsafe extern "C" fn dealloc(object: *mut ffi::PyObject) {
    // SAFETY: the object's last reference is gone, and the interpreter calls this attached:
    // it is untracked before its waiter is moved out (so the collector never sees a moved
    // waiter), the waiter's handles are released at once with `drop_ref`, then the object is
    // freed as it was allocated (`PyObject_GC_New`), and the reference its heap type held
    // for it released.
    unsafe {
        ffi::PyObject_GC_UnTrack(object.cast());
        let waiter = ptr::read(&raw const (*object.cast::<Object>()).waiter).into_inner();
        waiter.release(Python::assume_attached());
        let ty = ffi::Py_TYPE(object);
        ffi::PyObject_GC_Del(object.cast());
        ffi::Py_DECREF(ty.cast());
    }
}
