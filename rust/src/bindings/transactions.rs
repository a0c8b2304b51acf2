//! Python face of the transactional requests' codecs (`AddPartitionsToTxn`, `AddOffsetsToTxn`,
//! `TxnOffsetCommit`, `EndTxn`): encoders take plain arguments and, for lists, the input
//! classes of `request_inputs`; decoders return frozen result classes with typed fields,
//! declared in `_native.pyi` and checked by stubtest. Errors are `protocol`'s: a response
//! that does not decode is `ProtocolError`; an unencodable request stays `ValueError`, an
//! internal invariant (the transaction manager checks a user's group metadata and offsets
//! before it encodes them).

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use pyo3::prelude::*;

use super::protocol::{header, to_py};
use super::request_inputs::{TxnOffset, TxnTopicPartitions};
use crate::protocol::{self, GroupMetadata, TxnIdentity};

/// The error code (0 for none) the coordinator answered for one partition.
#[pyclass(frozen, get_all, module = "ferrokafka._native")]
#[derive(Debug, Clone)]
pub struct TxnPartitionError {
    topic: String,
    partition: i32,
    error_code: i16,
}

#[pymethods]
impl TxnPartitionError {
    fn __repr__(&self) -> String {
        format!(
            "TxnPartitionError(topic={:?}, partition={}, error_code={})",
            self.topic, self.partition, self.error_code
        )
    }
}

fn partition_errors(results: Vec<protocol::TxnPartitionResult>) -> Vec<TxnPartitionError> {
    results
        .into_iter()
        .map(|r| TxnPartitionError {
            topic: r.topic,
            partition: r.partition,
            error_code: r.error_code,
        })
        .collect()
}

/// The answer to `AddPartitionsToTxn` or `TxnOffsetCommit`: one entry per partition.
#[pyclass(frozen, get_all, module = "ferrokafka._native")]
#[derive(Debug, Clone)]
pub struct TxnPartitionsResult {
    throttle_time_ms: i32,
    partitions: Vec<TxnPartitionError>,
}

/// The answer to `AddOffsetsToTxn` or `EndTxn`. `producer_id` and `producer_epoch` are the
/// ones the coordinator gave the producer at the end of the transaction (`EndTxn` v5+,
/// transactions v2), -1 otherwise.
#[pyclass(frozen, get_all, module = "ferrokafka._native")]
#[derive(Debug, Clone)]
pub struct TxnCoordinatorResult {
    throttle_time_ms: i32,
    error_code: i16,
    producer_id: i64,
    producer_epoch: i16,
}

fn identity(transactional_id: &str, producer_id: i64, producer_epoch: i16) -> TxnIdentity<'_> {
    TxnIdentity {
        transactional_id,
        producer_id,
        producer_epoch,
    }
}

#[pyfunction]
#[pyo3(signature = (
    correlation_id, client_id, version, transactional_id, producer_id, producer_epoch, partitions,
))]
#[allow(clippy::too_many_arguments)]
fn encode_add_partitions_to_txn_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    partitions: Vec<Bound<'_, TxnTopicPartitions>>,
) -> PyResult<Vec<u8>> {
    let borrowed: Vec<(&str, Vec<i32>)> = partitions
        .iter()
        .map(|t| (t.get().topic.as_str(), t.get().partitions.clone()))
        .collect();
    protocol::encode_add_partitions_to_txn_request(
        &header(correlation_id, client_id, version),
        &identity(transactional_id, producer_id, producer_epoch),
        &borrowed,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_add_partitions_to_txn_response(
    frame: &[u8],
    version: i16,
) -> PyResult<TxnPartitionsResult> {
    let r = protocol::decode_add_partitions_to_txn_response(frame, version).map_err(to_py)?;
    Ok(TxnPartitionsResult {
        throttle_time_ms: r.throttle_time_ms,
        partitions: partition_errors(r.results),
    })
}

#[pyfunction]
#[pyo3(signature = (
    correlation_id, client_id, version, transactional_id, producer_id, producer_epoch, group_id,
))]
#[allow(clippy::too_many_arguments)]
fn encode_add_offsets_to_txn_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    group_id: &str,
) -> PyResult<Vec<u8>> {
    protocol::encode_add_offsets_to_txn_request(
        &header(correlation_id, client_id, version),
        &identity(transactional_id, producer_id, producer_epoch),
        group_id,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_add_offsets_to_txn_response(
    frame: &[u8],
    version: i16,
) -> PyResult<TxnCoordinatorResult> {
    let r = protocol::decode_add_offsets_to_txn_response(frame, version).map_err(to_py)?;
    Ok(TxnCoordinatorResult {
        throttle_time_ms: r.throttle_time_ms,
        error_code: r.error_code,
        producer_id: -1,
        producer_epoch: -1,
    })
}

/// The group's generation, member id and instance id are sent from v3 on (KIP-447).
#[pyfunction]
#[pyo3(signature = (
    correlation_id, client_id, version, transactional_id, producer_id, producer_epoch,
    group_id, generation_id, member_id, group_instance_id, offsets,
))]
#[allow(clippy::too_many_arguments)]
fn encode_txn_offset_commit_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    group_id: &str,
    generation_id: i32,
    member_id: &str,
    group_instance_id: Option<&str>,
    offsets: Vec<Bound<'_, TxnOffset>>,
) -> PyResult<Vec<u8>> {
    let borrowed: Vec<protocol::TxnOffset<'_>> = offsets
        .iter()
        .map(|o| {
            let o = o.get();
            protocol::TxnOffset {
                topic: &o.topic,
                partition: o.partition,
                offset: o.offset,
                leader_epoch: o.leader_epoch,
                metadata: o.metadata.as_deref(),
            }
        })
        .collect();
    protocol::encode_txn_offset_commit_request(
        &header(correlation_id, client_id, version),
        &identity(transactional_id, producer_id, producer_epoch),
        &GroupMetadata {
            group_id,
            generation_id,
            member_id,
            group_instance_id,
        },
        &borrowed,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_txn_offset_commit_response(frame: &[u8], version: i16) -> PyResult<TxnPartitionsResult> {
    let r = protocol::decode_txn_offset_commit_response(frame, version).map_err(to_py)?;
    Ok(TxnPartitionsResult {
        throttle_time_ms: r.throttle_time_ms,
        partitions: partition_errors(r.results),
    })
}

#[pyfunction]
#[pyo3(signature = (
    correlation_id, client_id, version, transactional_id, producer_id, producer_epoch, commit,
))]
#[allow(clippy::too_many_arguments)]
fn encode_end_txn_request(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    commit: bool,
) -> PyResult<Vec<u8>> {
    protocol::encode_end_txn_request(
        &header(correlation_id, client_id, version),
        &identity(transactional_id, producer_id, producer_epoch),
        commit,
    )
    .map_err(to_py)
}

#[pyfunction]
fn decode_end_txn_response(frame: &[u8], version: i16) -> PyResult<TxnCoordinatorResult> {
    let r = protocol::decode_end_txn_response(frame, version).map_err(to_py)?;
    Ok(TxnCoordinatorResult {
        throttle_time_ms: r.throttle_time_ms,
        error_code: r.error_code,
        producer_id: r.producer_id,
        producer_epoch: r.producer_epoch,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TxnPartitionError>()?;
    m.add_class::<TxnPartitionsResult>()?;
    m.add_class::<TxnCoordinatorResult>()?;
    m.add_function(wrap_pyfunction!(encode_add_partitions_to_txn_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_add_partitions_to_txn_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_add_offsets_to_txn_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_add_offsets_to_txn_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_txn_offset_commit_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_txn_offset_commit_response, m)?)?;
    m.add_function(wrap_pyfunction!(encode_end_txn_request, m)?)?;
    m.add_function(wrap_pyfunction!(decode_end_txn_response, m)?)?;
    Ok(())
}
