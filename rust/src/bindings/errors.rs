//! The public exception classes of `ferrokafka.errors`, raised from Rust. The binding defines
//! no exception classes of its own: a decoding failure is the same `ProtocolError`, an
//! oversized record the same `RecordTooLargeError` and a full buffer the same `BufferFullError`
//! that users catch, so Python has nothing to translate. Each class is imported once per
//! interpreter, on the first error that needs it (importing at module load would make
//! `ferrokafka._native` depend on the package's Python half).
//!
//! What stays a builtin exception is an internal invariant, never a caller's mistake that
//! reaches users: an unknown batch id (`KeyError`, which the sender expects for a batch
//! already let go), a partition count below 1 from metadata, a Produce version the codec does
//! not implement (`ValueError`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

fn public_error(
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    message: String,
    keywords: &[(&str, &str)],
) -> PyErr {
    Python::attach(|py| {
        let class = match cell.import(py, "ferrokafka.errors", name) {
            Ok(class) => class,
            Err(err) => return err,
        };
        if keywords.is_empty() {
            return PyErr::from_type(class.clone(), (message,));
        }
        // Keyword arguments (`SerializationError(topic=...)`) need the instance made now.
        let made = PyDict::new(py);
        for (key, value) in keywords {
            if let Err(err) = made.set_item(key, value) {
                return err;
            }
        }
        match class.call((message,), Some(&made)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(err) => err,
        }
    })
}

macro_rules! public_errors {
    ($($(#[$doc:meta])* $function:ident => $class:literal;)*) => {$(
        $(#[$doc])*
        pub fn $function(message: String) -> PyErr {
            static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
            public_error(&CLASS, $class, message, &[])
        }
    )*};
}

public_errors! {
    /// `ferrokafka.errors.ProtocolError`: the bytes a broker sent do not decode.
    protocol_error => "ProtocolError";
    /// `ferrokafka.errors.RecordTooLargeError`: a record that no batch can hold.
    record_too_large_error => "RecordTooLargeError";
    /// `ferrokafka.errors.BufferFullError`: `buffer_memory` has no room for the record now.
    buffer_full_error => "BufferFullError";
    /// `ferrokafka.errors.PartitionOutOfRangeError`: a `partition=` the topic does not have.
    partition_out_of_range_error => "PartitionOutOfRangeError";
    /// `ferrokafka.errors.ProducerClosedError`: an append after `close()`.
    producer_closed_error => "ProducerClosedError";
    /// `ferrokafka.errors.ConfigError`: a setting the accumulator cannot work with.
    config_error => "ConfigError";
}

/// `ferrokafka.errors.SerializationError` for a record of `topic`: a key, value or header the
/// wire cannot carry.
pub fn serialization_error(topic: &str, message: String) -> PyErr {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    public_error(&CLASS, "SerializationError", message, &[("topic", topic)])
}
