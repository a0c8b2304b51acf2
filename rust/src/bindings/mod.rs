//! The pyo3 layer: `ferrokafka._native`. Thin wrappers only; every computation lives in the
//! plain-Rust modules so that `cargo test` and criterion exercise it without Python.

use pyo3::prelude::*;

mod accumulator;
mod delivery;
mod errors;
mod protocol;
mod record;
mod responses;
mod transactions;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    protocol::register(m)?;
    responses::register(m)?;
    record::register(m)?;
    accumulator::register(m)?;
    delivery::register(m)?;
    transactions::register(m)?;
    Ok(())
}
