//! Python face of the record layer (`crate::record`): batch encoding and decoding, CRC-32C and
//! the codecs, for tests and tooling. Compression and decoding run with the GIL released.
//! A codec name or level no codec takes is a setting's mistake and raises
//! `ferrokafka.errors.ConfigError` (a `ValueError`); every other `RecordError` (bytes that do
//! not decode or compress) stays a `ValueError` carrying its message: these functions serve
//! tests and tooling, and the producer's own batches never reach them.

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyList};

use super::errors::config_error;
use super::value_class::value_class;
use crate::record::{
    self, decode_batches as decode, BatchBuilder, Codec, Compression, DecodedBatch, Header,
    ProducerStamp, RecordError, DEFAULT_DECOMPRESSION_LIMIT,
};

fn to_py(err: RecordError) -> PyErr {
    match err {
        RecordError::UnknownCodec(_)
        | RecordError::LevelNotSupported { .. }
        | RecordError::LevelOutOfRange { .. } => config_error(err.to_string()),
        _ => PyValueError::new_err(err.to_string()),
    }
}

value_class! {
    /// One record for `encode_batch`. Its bytes are read in place, not copied.
    BatchRecord {
        timestamp_ms: i64,
        key: Option<PyBackedBytes>,
        value: Option<PyBackedBytes>,
        /// `(name, value)` pairs, the public form of headers.
        headers: Vec<(PyBackedStr, Option<PyBackedBytes>)>,
    }
}

/// Encodes one record batch; the first record's timestamp is the batch's base timestamp, as in
/// the Java producer.
#[pyfunction]
#[pyo3(
    signature = (
        records,
        *,
        compression = "none",
        level = None,
        producer_id = -1,
        producer_epoch = -1,
        base_sequence = -1,
        transactional = false,
    ),
    // Spelled out because pyo3 renders negative defaults as `...`.
    text_signature = "(records, *, compression='none', level=None, producer_id=-1, producer_epoch=-1, base_sequence=-1, transactional=False)"
)]
#[allow(clippy::too_many_arguments)]
fn encode_batch<'py>(
    py: Python<'py>,
    records: Vec<Bound<'py, BatchRecord>>,
    compression: &str,
    level: Option<i32>,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let compression = Compression::parse(compression, level).map_err(to_py)?;
    let Some(first) = records.first() else {
        return Err(PyValueError::new_err(
            "a record batch needs at least one record",
        ));
    };
    let stamp = ProducerStamp {
        producer_id,
        producer_epoch,
        base_sequence,
        transactional,
    };
    let base_timestamp = first.get().timestamp_ms;
    let records: Vec<&BatchRecord> = records.iter().map(Bound::get).collect();
    let sealed = py.detach(|| {
        let mut builder = BatchBuilder::new(base_timestamp, 0);
        let mut headers = Vec::new();
        for record in &records {
            headers.clear();
            headers.extend(record.headers.iter().map(|(k, v)| Header {
                key: k,
                value: v.as_deref(),
            }));
            builder.append(
                record.timestamp_ms,
                record.key.as_deref(),
                record.value.as_deref(),
                &headers,
            );
        }
        builder.seal(&stamp, &compression)
    });
    Ok(PyBytes::new(py, &sealed.map_err(to_py)?))
}

/// Decodes one or more concatenated batches into dicts: the header fields, and `records`, a
/// list of dicts with absolute `offset` and `timestamp`, `key`, `value` and `headers`.
#[pyfunction]
fn decode_batches<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let batches = py.detach(|| decode(data)).map_err(to_py)?;
    let list = PyList::empty(py);
    for batch in &batches {
        list.append(batch_dict(py, batch)?)?;
    }
    Ok(list)
}

fn optional_bytes<'py>(py: Python<'py>, bytes: Option<&Vec<u8>>) -> Option<Bound<'py, PyBytes>> {
    bytes.map(|b| PyBytes::new(py, b))
}

fn batch_dict<'py>(py: Python<'py>, batch: &DecodedBatch) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("base_offset", batch.base_offset)?;
    dict.set_item("batch_length", batch.batch_length)?;
    dict.set_item("partition_leader_epoch", batch.partition_leader_epoch)?;
    dict.set_item("magic", batch.magic)?;
    dict.set_item("crc", batch.crc)?;
    dict.set_item("attributes", batch.attributes)?;
    dict.set_item("compression", batch.codec.name())?;
    dict.set_item("log_append_time", batch.log_append_time)?;
    dict.set_item("transactional", batch.transactional)?;
    dict.set_item("control", batch.control)?;
    dict.set_item("last_offset_delta", batch.last_offset_delta)?;
    dict.set_item("base_timestamp", batch.base_timestamp)?;
    dict.set_item("max_timestamp", batch.max_timestamp)?;
    dict.set_item("producer_id", batch.producer_id)?;
    dict.set_item("producer_epoch", batch.producer_epoch)?;
    dict.set_item("base_sequence", batch.base_sequence)?;
    dict.set_item("record_count", batch.record_count)?;
    let records = PyList::empty(py);
    for record in &batch.records {
        let item = PyDict::new(py);
        item.set_item("offset", record.offset)?;
        item.set_item("timestamp", record.timestamp)?;
        item.set_item("key", optional_bytes(py, record.key.as_ref()))?;
        item.set_item("value", optional_bytes(py, record.value.as_ref()))?;
        let headers = PyList::empty(py);
        for (key, value) in &record.headers {
            headers.append((key, optional_bytes(py, value.as_ref())))?;
        }
        item.set_item("headers", headers)?;
        records.append(item)?;
    }
    dict.set_item("records", records)?;
    Ok(dict)
}

/// CRC-32C (Castagnoli), the checksum of record batches.
#[pyfunction]
#[pyo3(name = "crc32c")]
fn checksum(py: Python<'_>, data: &[u8]) -> u32 {
    py.detach(|| record::crc32c(data))
}

/// Compresses `data` as a batch's records section is compressed with `codec`.
#[pyfunction]
#[pyo3(signature = (codec, data, level = None))]
fn compress<'py>(
    py: Python<'py>,
    codec: &str,
    data: &[u8],
    level: Option<i32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let compression = Compression::parse(codec, level).map_err(to_py)?;
    let compressed = py.detach(|| compression.compress(data)).map_err(to_py)?;
    Ok(PyBytes::new(py, &compressed))
}

/// Decompresses a records section compressed with `codec`, up to 64 MiB of output.
#[pyfunction]
fn decompress<'py>(py: Python<'py>, codec: &str, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let codec = Codec::from_name(codec).map_err(to_py)?;
    let restored = py
        .detach(|| record::decompress(codec, data, DEFAULT_DECOMPRESSION_LIMIT))
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &restored))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BatchRecord>()?;
    m.add_function(wrap_pyfunction!(encode_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decode_batches, m)?)?;
    m.add_function(wrap_pyfunction!(checksum, m)?)?;
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add("RECORD_BATCH_OVERHEAD", record::RECORD_BATCH_OVERHEAD)?;
    Ok(())
}
