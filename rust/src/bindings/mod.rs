//! The pyo3 layer: `ferrokafka._native`. Thin wrappers only; every computation lives in the
//! plain-Rust modules so that `cargo test` and criterion exercise it without Python.

use pyo3::prelude::*;

mod accumulator;
mod accumulator_errors;
mod accumulator_results;
mod bulk_items;
mod delivery;
mod errors;
mod frame_bytes;
mod key_hash;
mod protocol;
mod record;
mod request_inputs;
mod responses;
mod transactions;
mod value_class;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    protocol::register(m)?;
    responses::register(m)?;
    record::register(m)?;
    accumulator::register(m)?;
    accumulator_errors::register(m)?;
    key_hash::register(m)?;
    accumulator_results::register(m)?;
    delivery::register(m)?;
    transactions::register(m)?;
    request_inputs::register(m)?;
    Ok(())
}
