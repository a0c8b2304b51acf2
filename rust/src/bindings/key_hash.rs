//! Java's key hash for Python: the partition a keyed record goes to, the same as the Java
//! client's for the same key (for tests and for custom partitioners that fall back to it).

use pyo3::prelude::*;

use super::accumulator_errors::accumulator_error;
use crate::producer::AccumulatorError;

/// Java's `Utils.murmur2` of `data`, as a signed 32-bit int.
#[pyfunction]
fn murmur2(data: &[u8]) -> i32 {
    crate::producer::murmur2(data)
}

/// The partition Java's default partitioner picks for `key`: `toPositive(murmur2(key)) % n`.
#[pyfunction]
fn partition_for_key(key: &[u8], num_partitions: i32) -> PyResult<i32> {
    if num_partitions < 1 {
        let err = AccumulatorError::InvalidPartitionCount(num_partitions);
        return Err(accumulator_error(&err, None));
    }
    Ok(crate::producer::partition_for_key(key, num_partitions))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(murmur2, m)?)?;
    m.add_function(wrap_pyfunction!(partition_for_key, m)?)?;
    Ok(())
}
