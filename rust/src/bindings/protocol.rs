//! Python face of the wire codec (`crate::protocol`): one function per request encoder and
//! response decoder. Decoders return the frozen result classes of [`super::responses`].
//!
//! Errors: a response that does not decode raises `ferrokafka.errors.ProtocolError` (the
//! broker's bytes cannot be trusted; the connection drops it). A request that cannot be
//! encoded (a version this codec does not implement, two batches for one partition) stays a
//! `ValueError`: an internal invariant, never a user's mistake, since the producer negotiates
//! versions within `SUPPORTED_VERSIONS` and drains one batch per partition.

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;

use super::errors::protocol_error;
use super::request_inputs::ProduceBatch;
use super::responses::{
    ApiVersionsResult, FindCoordinatorResult, InitProducerIdResult, MetadataResult, ProduceResult,
    SaslAuthenticateResult, SaslHandshakeResult, VersionRange,
};
use crate::protocol::{self, RequestHeader, SUPPORTED_VERSIONS};

/// The message names the API and the version.
pub(crate) fn to_py(err: protocol::ProtocolError) -> PyErr {
    match err {
        protocol::ProtocolError::Malformed { .. } => protocol_error(err.to_string()),
        protocol::ProtocolError::UnsupportedVersion { .. }
        | protocol::ProtocolError::InvalidRequest { .. } => PyValueError::new_err(err.to_string()),
    }
}

pub(crate) fn header(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
) -> RequestHeader<'_> {
    RequestHeader {
        api_version: version,
        correlation_id,
        client_id,
    }
}

/// `{api_key: VersionRange}` for every API this codec implements.
#[pyfunction]
fn supported_versions(py: Python<'_>) -> PyResult<HashMap<i16, Py<VersionRange>>> {
    SUPPORTED_VERSIONS
        .iter()
        .map(|(api, range)| Ok((*api as i16, VersionRange::new_py(py, range.min, range.max)?)))
        .collect()
}

#[pyfunction]
#[pyo3(signature = (correlation_id, client_id, version))]
fn encode_api_versions_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
) -> PyResult<Vec<u8>> {
    protocol::encode_api_versions_request(&header(correlation_id, client_id, version))
        .map_err(to_py)
}

#[pyfunction]
fn decode_api_versions_response(
    py: Python<'_>,
    frame: &[u8],
    version: i16,
) -> PyResult<ApiVersionsResult> {
    let r = protocol::decode_api_versions_response(frame, version).map_err(to_py)?;
    ApiVersionsResult::from_core(py, r)
}

#[pyfunction]
#[pyo3(signature = (correlation_id, client_id, version, topics, allow_auto_topic_creation))]
fn encode_metadata_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    topics: Option<Vec<String>>,
    allow_auto_topic_creation: bool,
) -> PyResult<Vec<u8>> {
    let names: Option<Vec<&str>> = topics
        .as_ref()
        .map(|t| t.iter().map(String::as_str).collect());
    protocol::encode_metadata_request(
        &header(correlation_id, client_id, version),
        names.as_deref(),
        allow_auto_topic_creation,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_metadata_response(
    py: Python<'_>,
    frame: &[u8],
    version: i16,
) -> PyResult<MetadataResult> {
    let r = protocol::decode_metadata_response(frame, version).map_err(to_py)?;
    MetadataResult::from_core(py, r)
}

#[pyfunction]
#[pyo3(
    signature = (
        correlation_id, client_id, version, transactional_id, transaction_timeout_ms,
        producer_id=-1, producer_epoch=-1,
    ),
    text_signature = "(correlation_id, client_id, version, transactional_id, \
                      transaction_timeout_ms, producer_id=-1, producer_epoch=-1)"
)]
fn encode_init_producer_id_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    transactional_id: Option<&str>,
    transaction_timeout_ms: i32,
    producer_id: i64,
    producer_epoch: i16,
) -> PyResult<Vec<u8>> {
    protocol::encode_init_producer_id_request(
        &header(correlation_id, client_id, version),
        transactional_id,
        transaction_timeout_ms,
        producer_id,
        producer_epoch,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_init_producer_id_response(frame: &[u8], version: i16) -> PyResult<InitProducerIdResult> {
    let r = protocol::decode_init_producer_id_response(frame, version).map_err(to_py)?;
    Ok(r.into())
}

/// The batches' bytes are read in place, not copied before encoding.
#[pyfunction]
#[pyo3(signature = (
    correlation_id, client_id, version, acks, timeout_ms, transactional_id, batches,
))]
#[allow(clippy::too_many_arguments)]
fn encode_produce_request(
    py: Python<'_>,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    acks: i16,
    timeout_ms: i32,
    transactional_id: Option<&str>,
    batches: Vec<Bound<'_, ProduceBatch>>,
) -> PyResult<Vec<u8>> {
    // Held for the encoder, which runs without the GIL: a `bytes` object never changes.
    let records: Vec<PyBackedBytes> = batches
        .iter()
        .map(|b| PyBackedBytes::from(b.get().records.bind(py).clone()))
        .collect();
    let borrowed: Vec<(&str, i32, &[u8])> = batches
        .iter()
        .zip(&records)
        .map(|(b, r)| (b.get().topic.as_str(), b.get().partition, &r[..]))
        .collect();
    let header = header(correlation_id, client_id, version);
    py.detach(|| {
        protocol::encode_produce_request(&header, acks, timeout_ms, transactional_id, &borrowed)
    })
    .map_err(to_py)
}

/// On the hot path: called for every Produce response.
#[pyfunction]
fn decode_produce_response(py: Python<'_>, frame: &[u8], version: i16) -> PyResult<ProduceResult> {
    let r = protocol::decode_produce_response(frame, version).map_err(to_py)?;
    ProduceResult::from_core(py, r)
}

#[pyfunction]
#[pyo3(signature = (correlation_id, client_id, version, key_type, keys))]
fn encode_find_coordinator_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    key_type: i8,
    keys: Vec<String>,
) -> PyResult<Vec<u8>> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    protocol::encode_find_coordinator_request(
        &header(correlation_id, client_id, version),
        key_type,
        &keys,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_find_coordinator_response(
    py: Python<'_>,
    frame: &[u8],
    version: i16,
) -> PyResult<FindCoordinatorResult> {
    let r = protocol::decode_find_coordinator_response(frame, version).map_err(to_py)?;
    FindCoordinatorResult::from_core(py, r)
}

#[pyfunction]
#[pyo3(signature = (correlation_id, client_id, version, mechanism))]
fn encode_sasl_handshake_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    mechanism: &str,
) -> PyResult<Vec<u8>> {
    protocol::encode_sasl_handshake_request(&header(correlation_id, client_id, version), mechanism)
        .map_err(to_py)
}

#[pyfunction]
fn decode_sasl_handshake_response(frame: &[u8], version: i16) -> PyResult<SaslHandshakeResult> {
    let r = protocol::decode_sasl_handshake_response(frame, version).map_err(to_py)?;
    Ok(SaslHandshakeResult {
        error_code: r.error_code,
        mechanisms: r.mechanisms,
    })
}

#[pyfunction]
#[pyo3(signature = (correlation_id, client_id, version, auth_bytes))]
fn encode_sasl_authenticate_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    auth_bytes: &[u8],
) -> PyResult<Vec<u8>> {
    protocol::encode_sasl_authenticate_request(
        &header(correlation_id, client_id, version),
        auth_bytes,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_sasl_authenticate_response(
    py: Python<'_>,
    frame: &[u8],
    version: i16,
) -> PyResult<SaslAuthenticateResult> {
    let r = protocol::decode_sasl_authenticate_response(frame, version).map_err(to_py)?;
    Ok(SaslAuthenticateResult {
        error_code: r.error_code,
        error_message: r.error_message,
        auth_bytes: pyo3::types::PyBytes::new(py, &r.auth_bytes).unbind(),
        session_lifetime_ms: r.session_lifetime_ms,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(supported_versions, m)?)?;
    m.add_function(wrap_pyfunction!(encode_api_versions_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_api_versions_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_metadata_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_metadata_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_init_producer_id_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_init_producer_id_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_produce_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_produce_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_find_coordinator_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_find_coordinator_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_sasl_handshake_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_sasl_handshake_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_sasl_authenticate_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_sasl_authenticate_response, m)?)?;
    Ok(())
}
