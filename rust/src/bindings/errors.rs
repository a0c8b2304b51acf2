//! The public exception classes of `ferrokafka.errors`, raised from Rust. The binding defines
//! no exception classes of its own: a decoding failure is the same `ProtocolError` and an
//! oversized record the same `RecordTooLargeError` that users catch, so Python has nothing to
//! translate. Each class is imported once, on the first error that needs it (importing at
//! module load would make `ferrokafka._native` depend on the package's Python half).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

fn public_error(cell: &'static PyOnceLock<Py<PyType>>, name: &str, message: String) -> PyErr {
    Python::attach(|py| match cell.import(py, "ferrokafka.errors", name) {
        Ok(class) => PyErr::from_type(class.clone(), (message,)),
        Err(err) => err,
    })
}

/// `ferrokafka.errors.ProtocolError`: the bytes a broker sent do not decode.
pub fn protocol_error(message: String) -> PyErr {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    public_error(&CLASS, "ProtocolError", message)
}

/// `ferrokafka.errors.RecordTooLargeError`: a record that no batch can hold.
pub fn record_too_large_error(message: String) -> PyErr {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    public_error(&CLASS, "RecordTooLargeError", message)
}
