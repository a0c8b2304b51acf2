//! Builds `ferrokafka.records.RecordMetadata`, the named tuple every awaited record returns,
//! the way `tuple.__new__` does but without a call into Python: the class's own allocator
//! gives a tuple of seven empty slots, which are filled in place. `tuple.__new__(cls, fields)`
//! would cost a tuple of the fields, a tuple of its arguments and a copy, for every record.
#![allow(unsafe_code)]

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The class, from the module that defines it.
static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The fields of a `RecordMetadata`, in its order.
#[derive(Clone, Copy)]
pub struct Fields<'a, 'py> {
    pub topic: &'a Bound<'py, PyAny>,
    pub partition: &'a Bound<'py, PyAny>,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: &'a Bound<'py, PyAny>,
    pub serialized_key_size: i32,
    pub serialized_value_size: i32,
}

pub fn new_record_metadata<'py>(
    py: Python<'py>,
    fields: Fields<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let class = CLASS.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("ferrokafka.records")?
                .getattr("RecordMetadata")?
                .cast_into::<PyType>()?
                .unbind(),
        )
    })?;
    let items = [
        fields.topic.clone(),
        fields.partition.clone(),
        fields.offset.into_pyobject(py)?.into_any(),
        fields.timestamp.into_pyobject(py)?.into_any(),
        fields.timestamp_type.clone(),
        fields.serialized_key_size.into_pyobject(py)?.into_any(),
        fields.serialized_value_size.into_pyobject(py)?.into_any(),
    ];
    let class = class.bind(py).as_type_ptr();
    // SAFETY: `RecordMetadata` is a subclass of tuple with no fields of its own (a named
    // tuple's `__slots__` is empty), so its `tp_alloc` gives a tuple of `items.len()` slots,
    // each NULL (which the collector skips), with the one reference this function owns.
    // `PyTuple_SetItem` accepts a tuple subclass whose reference count is 1, and steals the
    // item's reference whether or not it succeeds.
    unsafe {
        let alloc = ffi::PyType_GetSlot(class, ffi::Py_tp_alloc);
        if alloc.is_null() {
            return Err(PyErr::fetch(py));
        }
        let alloc: ffi::allocfunc = std::mem::transmute(alloc);
        let tuple = Bound::from_owned_ptr_or_err(py, alloc(class, items.len() as ffi::Py_ssize_t))?;
        for (index, item) in items.into_iter().enumerate() {
            if ffi::PyTuple_SetItem(tuple.as_ptr(), index as ffi::Py_ssize_t, item.into_ptr()) != 0
            {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(tuple)
    }
}
