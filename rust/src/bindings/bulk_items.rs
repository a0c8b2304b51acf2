//! The `values` and `keys` of a bulk append (`Accumulator.append_many`), read where they lie.
//!
//! Converting a list of 10,000 values into a vector of owned buffers (`PyBackedBytes`: a
//! reference taken, and dropped later, per item, and a 240 KB vector) cost more than
//! appending them. A list or tuple whose items are all `bytes` or `None`, what `send_many` is
//! given, is instead checked in one pass and read in place while the records are appended:
//! the GIL is held throughout and no Python code runs in between, so it cannot change. Any
//! other sequence, or an item of another type (a `bytearray`), is converted as before, with
//! the same refusals.

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyList, PyTuple};

/// The items of one argument.
pub enum BulkItems<'py> {
    List(Bound<'py, PyList>),
    Tuple(Bound<'py, PyTuple>),
    Converted(Vec<Option<PyBackedBytes>>),
}

/// One item: the bytes object itself, or what it was converted to.
pub enum Item<'a, 'py> {
    Null,
    Bytes(Bound<'py, PyBytes>),
    Converted(&'a PyBackedBytes),
}

impl Item<'_, '_> {
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Item::Null => None,
            Item::Bytes(bytes) => Some(bytes.as_bytes()),
            Item::Converted(bytes) => Some(bytes),
        }
    }
}

impl<'py> BulkItems<'py> {
    /// `items` to be read in place: a list or tuple of only `bytes` and `None`; else `None`
    /// (convert them).
    pub fn in_place(items: &Bound<'py, PyAny>) -> Option<Self> {
        if let Ok(list) = items.cast_exact::<PyList>() {
            return list
                .iter()
                .all(|item| is_bytes_or_none(&item))
                .then(|| BulkItems::List(list.clone()));
        }
        if let Ok(tuple) = items.cast_exact::<PyTuple>() {
            return tuple
                .iter_borrowed()
                .all(|item| is_bytes_or_none(&item))
                .then(|| BulkItems::Tuple(tuple.clone()));
        }
        None
    }

    pub fn len(&self) -> usize {
        match self {
            BulkItems::List(list) => list.len(),
            BulkItems::Tuple(tuple) => tuple.len(),
            BulkItems::Converted(items) => items.len(),
        }
    }

    /// Item `index`; `None` past the end, or if a list changed since [`Self::in_place`]
    /// checked it (which nothing can do while the GIL is held and no Python code runs).
    pub fn get(&self, index: usize) -> Option<Item<'_, 'py>> {
        let item = match self {
            BulkItems::List(list) => list.get_item(index).ok()?,
            BulkItems::Tuple(tuple) => tuple.get_item(index).ok()?,
            BulkItems::Converted(items) => {
                return items
                    .get(index)
                    .map(|item| item.as_ref().map_or(Item::Null, Item::Converted));
            }
        };
        if item.is_none() {
            return Some(Item::Null);
        }
        item.cast_into_exact::<PyBytes>().ok().map(Item::Bytes)
    }
}

/// Exact types: the check is a pointer comparison. Subclasses of `bytes` are converted as
/// before, and so are `bytearray` items (copied, as they are mutable).
fn is_bytes_or_none(item: &Bound<'_, PyAny>) -> bool {
    item.is_none() || item.is_exact_instance_of::<PyBytes>()
}
