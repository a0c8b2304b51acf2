//! A Produce request written straight into a new Python `bytes` object: the request's record
//! batches are most of what the sender writes, and building the frame in a Rust buffer first
//! copied every byte of them once more. The interpreter can hand out a `bytes` object whose contents
//! are not yet written, which is what needs `unsafe` here.
#![allow(unsafe_code)]

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::protocol::produce::{FrameOut, ProduceFrame};

/// `frame`, written once into a new `bytes` object of its size.
pub(super) fn frame_bytes<'py>(
    py: Python<'py>,
    frame: &ProduceFrame<'_>,
) -> PyResult<Bound<'py, PyBytes>> {
    let len = frame.len();
    let size = pyo3::ffi::Py_ssize_t::try_from(len)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("request too large"))?;
    // SAFETY: PyBytes_FromStringAndSize(NULL, n) returns a new bytes object (or NULL with an
    // exception set) whose n bytes are uninitialised and which nothing else references yet;
    // `write_to` writes exactly `len` bytes into it (checked below) before it is handed out.
    unsafe {
        let object = pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), size);
        let bytes = Bound::from_owned_ptr_or_err(py, object)?.cast_into_unchecked::<PyBytes>();
        let start = pyo3::ffi::PyBytes_AsString(bytes.as_ptr()).cast::<u8>();
        let mut out = SliceOut {
            buf: std::slice::from_raw_parts_mut(start, len),
            at: 0,
        };
        frame.write_to(&mut out);
        assert_eq!(out.at, len, "a Produce frame's size precomputation is off");
        Ok(bytes)
    }
}

/// A [`FrameOut`] over a buffer of the frame's exact size.
struct SliceOut<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl FrameOut for SliceOut<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        self.buf[self.at..end].copy_from_slice(bytes);
        self.at = end;
    }
}
