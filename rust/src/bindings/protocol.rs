//! Python face of the wire codec (`crate::protocol`): one function per request encoder and
//! response decoder, plain tuples and dicts out. Typed wrappers live in
//! `ferrokafka._protocol`.

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyDict;

use crate::protocol::{self, RequestHeader, SUPPORTED_VERSIONS};

pyo3::create_exception!(
    ferrokafka._native,
    ProtocolError,
    PyValueError,
    "A request could not be encoded or a response could not be decoded. The message names the API and version."
);

pub(crate) fn to_py(err: protocol::ProtocolError) -> PyErr {
    ProtocolError::new_err(err.to_string())
}

pub(crate) fn header(correlation_id: i32, client_id: Option<&str>, version: i16) -> RequestHeader<'_> {
    RequestHeader {
        api_version: version,
        correlation_id,
        client_id,
    }
}

/// `{api_key: (min_version, max_version)}` for every API this codec implements.
#[pyfunction]
fn supported_versions() -> HashMap<i16, (i16, i16)> {
    SUPPORTED_VERSIONS
        .iter()
        .map(|(api, range)| (*api as i16, (range.min, range.max)))
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

type ApiVersionsTuple = (i16, Vec<(i16, i16, i16)>, i32, Vec<(String, (i16, i16))>);

/// `(error_code, [(api_key, min, max)], throttle_time_ms, [(feature, (min, max))])`; the
/// features are the cluster's finalized ones (v3+).
#[pyfunction]
fn decode_api_versions_response(frame: &[u8], version: i16) -> PyResult<ApiVersionsTuple> {
    let r = protocol::decode_api_versions_response(frame, version).map_err(to_py)?;
    Ok((
        r.error_code,
        r.api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect(),
        r.throttle_time_ms,
        r.finalized_features
            .into_iter()
            .map(|f| (f.name, (f.min_version, f.max_version)))
            .collect(),
    ))
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

/// A dict with `throttle_time_ms`, `brokers` `[(node_id, host, port, rack)]`, `cluster_id`,
/// `controller_id`, `error_code` and `topics` `[(name, error_code, is_internal, partitions,
/// topic_id)]`, partitions being `(partition, error_code, leader_id, leader_epoch, replicas,
/// isr, offline_replicas)` and `topic_id` 16 bytes or `None`.
#[pyfunction]
fn decode_metadata_response<'py>(
    py: Python<'py>,
    frame: &[u8],
    version: i16,
) -> PyResult<Bound<'py, PyDict>> {
    let r = protocol::decode_metadata_response(frame, version).map_err(to_py)?;
    let out = PyDict::new(py);
    out.set_item("throttle_time_ms", r.throttle_time_ms)?;
    out.set_item("cluster_id", r.cluster_id)?;
    out.set_item("controller_id", r.controller_id)?;
    out.set_item("error_code", r.error_code)?;
    let brokers: Vec<_> = r
        .brokers
        .into_iter()
        .map(|b| (b.node_id, b.host, b.port, b.rack))
        .collect();
    out.set_item("brokers", brokers)?;
    let topics: Vec<_> = r
        .topics
        .into_iter()
        .map(|t| {
            let partitions: Vec<_> = t
                .partitions
                .into_iter()
                .map(|p| {
                    (
                        p.partition,
                        p.error_code,
                        p.leader_id,
                        p.leader_epoch,
                        p.replica_nodes,
                        p.isr_nodes,
                        p.offline_replicas,
                    )
                })
                .collect();
            let topic_id = (t.topic_id != [0; 16]).then_some(t.topic_id);
            (
                t.name.unwrap_or_default(),
                t.error_code,
                t.is_internal,
                partitions,
                topic_id,
            )
        })
        .collect();
    out.set_item("topics", topics)?;
    Ok(out)
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

/// `(error_code, producer_id, producer_epoch, throttle_time_ms)`.
#[pyfunction]
fn decode_init_producer_id_response(frame: &[u8], version: i16) -> PyResult<(i16, i64, i16, i32)> {
    let r = protocol::decode_init_producer_id_response(frame, version).map_err(to_py)?;
    Ok((
        r.error_code,
        r.producer_id,
        r.producer_epoch,
        r.throttle_time_ms,
    ))
}

/// `batches` is a list of `(topic, partition, record_batch_bytes)`; the bytes are read in
/// place, not copied before encoding.
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
    batches: Vec<(String, i32, PyBackedBytes)>,
) -> PyResult<Vec<u8>> {
    let borrowed: Vec<(&str, i32, &[u8])> = batches
        .iter()
        .map(|(t, p, b)| (t.as_str(), *p, &b[..]))
        .collect();
    let header = header(correlation_id, client_id, version);
    py.detach(|| {
        protocol::encode_produce_request(&header, acks, timeout_ms, transactional_id, &borrowed)
    })
    .map_err(to_py)
}

type PartitionTuple = (
    String,
    i32,
    i16,
    i64,
    i64,
    i64,
    Option<String>,
    Vec<(i32, Option<String>)>,
    Option<(i32, i32)>,
);
type ProduceTuple = (
    Vec<PartitionTuple>,
    Vec<(i32, String, i32, Option<String>)>,
    i32,
);

/// `(partitions, node_endpoints, throttle_time_ms)`: partitions as `(topic, partition,
/// error_code, base_offset, log_append_time_ms, log_start_offset, error_message,
/// [(batch_index, message)], (leader_id, leader_epoch) | None)`, node endpoints as
/// `(node_id, host, port, rack)`.
#[pyfunction]
fn decode_produce_response(frame: &[u8], version: i16) -> PyResult<ProduceTuple> {
    let r = protocol::decode_produce_response(frame, version).map_err(to_py)?;
    let partitions = r
        .partitions
        .into_iter()
        .map(|p| {
            (
                p.topic,
                p.partition,
                p.error_code,
                p.base_offset,
                p.log_append_time_ms,
                p.log_start_offset,
                p.error_message,
                p.record_errors
                    .into_iter()
                    .map(|e| (e.batch_index, e.message))
                    .collect(),
                p.current_leader.map(|l| (l.leader_id, l.leader_epoch)),
            )
        })
        .collect();
    let endpoints = r
        .node_endpoints
        .into_iter()
        .map(|e| (e.node_id, e.host, e.port, e.rack))
        .collect();
    Ok((partitions, endpoints, r.throttle_time_ms))
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

type CoordinatorTuple = (Option<String>, i32, String, i32, i16, Option<String>);

/// `(throttle_time_ms, [(key | None, node_id, host, port, error_code, error_message)])`.
#[pyfunction]
fn decode_find_coordinator_response(
    frame: &[u8],
    version: i16,
) -> PyResult<(i32, Vec<CoordinatorTuple>)> {
    let r = protocol::decode_find_coordinator_response(frame, version).map_err(to_py)?;
    let coordinators = r
        .coordinators
        .into_iter()
        .map(|c| {
            (
                c.key,
                c.node_id,
                c.host,
                c.port,
                c.error_code,
                c.error_message,
            )
        })
        .collect();
    Ok((r.throttle_time_ms, coordinators))
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

/// `(error_code, [mechanism])`.
#[pyfunction]
fn decode_sasl_handshake_response(frame: &[u8], version: i16) -> PyResult<(i16, Vec<String>)> {
    let r = protocol::decode_sasl_handshake_response(frame, version).map_err(to_py)?;
    Ok((r.error_code, r.mechanisms))
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

/// `(error_code, error_message, auth_bytes, session_lifetime_ms)`.
#[pyfunction]
fn decode_sasl_authenticate_response(
    frame: &[u8],
    version: i16,
) -> PyResult<(i16, Option<String>, Vec<u8>, i64)> {
    let r = protocol::decode_sasl_authenticate_response(frame, version).map_err(to_py)?;
    Ok((
        r.error_code,
        r.error_message,
        r.auth_bytes,
        r.session_lifetime_ms,
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ProtocolError", m.py().get_type::<ProtocolError>())?;
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
