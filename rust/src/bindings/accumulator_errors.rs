//! What the `Accumulator` binding raises for each refusal, as the public classes of
//! `ferrokafka.errors`, with messages that say what is wrong and how to fix it. Every send
//! path (`send_nowait`, its native fast path, which hands failures back to it, `send`,
//! `send_many` and the sync producer) ends in these, so the same mistake reads the same way
//! whichever path made it. `check_partition` and `check_headers` let the send calls refuse a
//! record before they serialize it, wait for metadata or hold it, in the same words.

use pyo3::exceptions::{PyKeyError, PyUnicodeEncodeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyInt, PyString};

use super::bulk_items::BulkItems;
use super::errors::{
    buffer_full_error, config_error, partition_out_of_range_error, producer_closed_error,
    record_too_large_error, serialization_error,
};
use crate::producer::{validate_partition, AccumulatorError};

/// Header pairs as the append takes them.
pub type PyHeaders = Vec<(PyBackedStr, Option<PyBackedBytes>)>;

/// The public error for `err`, which an operation on records of `topic` (if any) met.
pub fn accumulator_error(err: &AccumulatorError, topic: Option<&str>) -> PyErr {
    match *err {
        AccumulatorError::BufferFull { .. } => buffer_full_error(format!(
            "{err}; await send() or produce_many(), which wait up to max_block_ms for space, \
             or slow down, or raise buffer_memory"
        )),
        AccumulatorError::RecordTooLarge { .. } => record_too_large_error(err.to_string()),
        AccumulatorError::PartitionOutOfRange(out) => out_of_range(
            topic.unwrap_or("the topic"),
            &out.partition,
            Some(out.num_partitions),
        ),
        AccumulatorError::Closed => producer_closed_error(
            "the producer is closed: it appends no more records; create a new one to send more"
                .to_owned(),
        ),
        AccumulatorError::InvalidConfig(_) => config_error(err.to_string()),
        // Internal invariants, not a caller's mistake (see `errors`): the sender expects
        // `KeyError` for a batch already let go.
        AccumulatorError::UnknownBatch(_) | AccumulatorError::NotInFlight(_) => {
            PyKeyError::new_err(err.to_string())
        }
        AccumulatorError::Protocol(_)
        | AccumulatorError::InvalidPartitionCount(_)
        | AccumulatorError::NotSplittable(_) => PyValueError::new_err(err.to_string()),
    }
}

/// The partition's problem, then the valid ones and the fix, said once for every path.
fn partition_error(problem: &str, count: Option<i32>) -> PyErr {
    let valid = match count {
        Some(1) => "it has 1 partition (valid: 0)".to_owned(),
        // Words, not `0..1`: range notation reads as inclusive to some, exclusive to others.
        Some(n) => format!("it has {n} partitions (valid: from 0 to {})", n - 1),
        None => format!("partitions are numbered from 0 to at most {}", i32::MAX),
    };
    partition_out_of_range_error(format!(
        "{problem}: {valid}; pass one of those, or partition=None to let the partitioner choose"
    ))
}

fn out_of_range(topic: &str, partition: &dyn std::fmt::Display, count: Option<i32>) -> PyErr {
    partition_error(
        &format!("partition {partition} of '{topic}' is out of range"),
        count,
    )
}

/// The `partition=` argument as the accumulator takes it. Refuses what is not an int (a bool
/// is one to Python, but `partition=True` is a mistake, not partition 1), what no topic can
/// have (partitions are int32 on the wire: `2**40` is out of range, not an `OverflowError`)
/// and, when the topic's partition count is known, what the topic does not have.
pub fn partition_argument(
    topic: &str,
    partition: Option<&Bound<'_, PyAny>>,
    num_partitions: Option<i32>,
) -> PyResult<Option<i32>> {
    let Some(partition) = partition.filter(|p| !p.is_none()) else {
        return Ok(None);
    };
    if !partition.is_exact_instance_of::<PyInt>() {
        let problem = format!(
            "partition={} is a {}, not a partition number of '{topic}'",
            partition.repr()?,
            partition.get_type().name()?
        );
        return Err(partition_error(&problem, num_partitions));
    }
    let Ok(number) = partition.extract::<i32>() else {
        return Err(out_of_range(topic, &partition.str()?, num_partitions));
    };
    match num_partitions {
        Some(count) => validate_partition(number, count)
            .map(Some)
            .map_err(|out| out_of_range(topic, &out.partition, Some(out.num_partitions))),
        None if number >= 0 => Ok(Some(number)),
        None => Err(out_of_range(topic, &number, None)),
    }
}

/// The headers of a record of `topic`: `(str, bytes | None)` pairs whose names have UTF-8.
pub fn headers_argument(topic: &str, headers: Option<&Bound<'_, PyAny>>) -> PyResult<PyHeaders> {
    let Some(headers) = headers.filter(|h| !h.is_none()) else {
        return Ok(Vec::new());
    };
    headers.extract::<PyHeaders>().map_err(|err| {
        let py = headers.py();
        if err.is_instance_of::<PyUnicodeEncodeError>(py) {
            serialization_error(
                topic,
                format!(
                    "a header name of a record for '{topic}' is not valid Unicode ({}): \
                     header names are sent as UTF-8; remove the lone surrogates from it",
                    err.value(py)
                ),
            )
        } else {
            serialization_error(
                topic,
                format!(
                    "the headers of a record for '{topic}' are not (str, bytes | None) pairs: \
                     {}",
                    err.value(py)
                ),
            )
        }
    })
}

/// The `values` and `keys` of a bulk append: bytes or None each, no serializer applied, and as
/// many keys as values.
pub fn bulk_arguments<'py>(
    topic: &str,
    values: &Bound<'py, PyAny>,
    keys: Option<&Bound<'py, PyAny>>,
) -> PyResult<(BulkItems<'py>, Option<BulkItems<'py>>)> {
    let values = bulk_argument(topic, "values", values)?;
    let Some(keys) = keys.filter(|k| !k.is_none()) else {
        return Ok((values, None));
    };
    let keys = bulk_argument(topic, "keys", keys)?;
    if keys.len() != values.len() {
        return Err(serialization_error(
            topic,
            format!(
                "send_many for '{topic}' got {} keys for {} values: pass one key per value, \
                 or keys=None",
                keys.len(),
                values.len()
            ),
        ));
    }
    Ok((values, Some(keys)))
}

fn bulk_argument<'py>(
    topic: &str,
    what: &str,
    items: &Bound<'py, PyAny>,
) -> PyResult<BulkItems<'py>> {
    if let Some(in_place) = BulkItems::in_place(items) {
        return Ok(in_place);
    }
    if items.is_instance_of::<PyString>() {
        return Err(bulk_error(topic, what, "a str, not a sequence of bytes"));
    }
    items
        .extract()
        .map(BulkItems::Converted)
        .map_err(|err: PyErr| bulk_error(topic, what, &err.value(items.py()).to_string()))
}

fn bulk_error(topic: &str, what: &str, problem: &str) -> PyErr {
    serialization_error(
        topic,
        format!(
            "the {what} of send_many for '{topic}' must be a sequence of bytes (or None), \
             with no serializer applied: {problem}; serialize the records first, or use \
             send_nowait"
        ),
    )
}

/// Refuses a `partition=` that is not an int (a bool included) or not a partition of `topic`
/// (of any topic while its partition count is unknown), as the append does.
#[pyfunction]
#[pyo3(signature = (topic, partition, num_partitions = None))]
fn check_partition(
    topic: &str,
    partition: &Bound<'_, PyAny>,
    num_partitions: Option<i32>,
) -> PyResult<()> {
    partition_argument(topic, Some(partition), num_partitions).map(|_| ())
}

/// Refuses headers the append would refuse (a record held for its topic's metadata is
/// appended later, and should fail now, not then alone).
#[pyfunction]
fn check_headers(topic: &str, headers: &Bound<'_, PyAny>) -> PyResult<()> {
    headers_argument(topic, Some(headers)).map(|_| ())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_partition, m)?)?;
    m.add_function(wrap_pyfunction!(check_headers, m)?)?;
    Ok(())
}
