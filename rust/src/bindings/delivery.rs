//! The per-record objects of `Producer.send_nowait`: `DeliveryFuture` (`future`), and
//! `SendFastPath` (`fast_path`), the callable that takes the common case (bytes in, no headers,
//! known topic) from the Python call to the appended record without running any Python code;
//! its `send` and `produce` return the native awaitables of `awaiting` (the Python type of
//! `SendCall` is `coroutine_type`'s), `send`'s wait for its batch is `waiter`'s (its Python type `waiter_type`'s), and the
//! `RecordMetadata` it returns is built by `record_metadata`.

mod awaiting;
mod c_api;
mod coroutine_type;
mod fast_path;
mod future;
mod record_metadata;
mod waiter;
mod waiter_type;

use pyo3::prelude::*;

use awaiting::Awaiting;
use fast_path::SendFastPath;
use future::DeliveryFuture;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(waiter::wake_waiters, m)?)?;
    m.add_class::<DeliveryFuture>()?;
    m.add_class::<SendFastPath>()?;
    m.add_class::<Awaiting>()?;
    coroutine_type::register(m)?;
    waiter_type::register(m)?;
    Ok(())
}
