//! The decoded responses as Python sees them: one frozen class per wire structure, with typed,
//! named, read-only fields. They are the only definition of a response's shape on the Python
//! side (`_native.pyi` declares them, stubtest checks the declaration against these), so a
//! field added or reordered here is seen by mypy at every call site instead of by a test at
//! run time.
//!
//! Each class takes its fields as constructor arguments (positional or by name, in the order
//! below), compares and hashes by value and shows them in its repr, as the `NamedTuple`s it
//! replaces did: tests and fake brokers build responses by hand. Lists (`Vec`) are handed out
//! as a new `list` on each read; the objects in them are shared.

// pyo3 hands arguments over by value.
#![allow(clippy::needless_pass_by_value)]

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::value_class::value_class;
use crate::protocol;

// --- ApiVersions ---------------------------------------------------------------------------

value_class! {
    /// The versions of one API a broker or this codec speaks, or the levels of one finalized
    /// feature: both ends included.
    VersionRange {
        min_version: i16,
        max_version: i16,
    }
}

impl VersionRange {
    pub fn new_py(py: Python<'_>, min_version: i16, max_version: i16) -> PyResult<Py<Self>> {
        Py::new(
            py,
            Self {
                min_version,
                max_version,
            },
        )
    }
}

value_class! {
    /// An `ApiVersions` response.
    ApiVersionsResult {
        error_code: i16,
        /// `{api_key: VersionRange}` the broker supports.
        api_versions: HashMap<i16, Py<VersionRange>>,
        throttle_time_ms: i32,
        /// Cluster-wide finalized feature levels (v3+), e.g. `transaction.version`.
        finalized_features: HashMap<String, Py<VersionRange>>,
    }
}

impl ApiVersionsResult {
    pub fn from_core(py: Python<'_>, r: protocol::ApiVersionsResponse) -> PyResult<Self> {
        Ok(Self {
            error_code: r.error_code,
            api_versions: r
                .api_keys
                .iter()
                .map(|k| {
                    Ok((
                        k.api_key,
                        VersionRange::new_py(py, k.min_version, k.max_version)?,
                    ))
                })
                .collect::<PyResult<_>>()?,
            throttle_time_ms: r.throttle_time_ms,
            finalized_features: r
                .finalized_features
                .into_iter()
                .map(|f| {
                    Ok((
                        f.name,
                        VersionRange::new_py(py, f.min_version, f.max_version)?,
                    ))
                })
                .collect::<PyResult<_>>()?,
        })
    }
}

// --- Metadata (and the brokers Produce names) ----------------------------------------------

value_class! {
    /// A broker as Metadata lists it, or as a Produce response names a new leader (v10+).
    BrokerMetadata {
        node_id: i32,
        host: String,
        port: i32,
        rack: Option<String>,
    }
}

value_class! {
    /// One partition of a Metadata response.
    PartitionMetadata {
        partition: i32,
        error_code: i16,
        /// -1 while the partition has no leader.
        leader_id: i32,
        /// -1 when the broker does not send epochs (Metadata < v7).
        leader_epoch: i32,
        replicas: Vec<i32>,
        isr: Vec<i32>,
        offline_replicas: Vec<i32>,
    }
}

value_class! {
    /// One topic of a Metadata response.
    TopicMetadata {
        name: String,
        error_code: i16,
        is_internal: bool,
        partitions: Vec<Py<PartitionMetadata>>,
        /// 16 bytes from Metadata v10 on, else `None`.
        topic_id: Option<Py<PyBytes>>,
    }
}

value_class! {
    /// A Metadata response.
    MetadataResult {
        brokers: Vec<Py<BrokerMetadata>>,
        cluster_id: Option<String>,
        controller_id: i32,
        topics: Vec<Py<TopicMetadata>>,
        throttle_time_ms: i32,
        /// Top-level error (v13+), 0 otherwise.
        error_code: i16,
    }
}

fn broker(
    py: Python<'_>,
    node_id: i32,
    host: String,
    port: i32,
    rack: Option<String>,
) -> PyResult<Py<BrokerMetadata>> {
    Py::new(
        py,
        BrokerMetadata {
            node_id,
            host,
            port,
            rack,
        },
    )
}

impl MetadataResult {
    pub fn from_core(py: Python<'_>, r: protocol::MetadataResponse) -> PyResult<Self> {
        let brokers = r
            .brokers
            .into_iter()
            .map(|b| broker(py, b.node_id, b.host, b.port, b.rack))
            .collect::<PyResult<_>>()?;
        let topics = r
            .topics
            .into_iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .into_iter()
                    .map(|p| {
                        Py::new(
                            py,
                            PartitionMetadata {
                                partition: p.partition,
                                error_code: p.error_code,
                                leader_id: p.leader_id,
                                leader_epoch: p.leader_epoch,
                                replicas: p.replica_nodes,
                                isr: p.isr_nodes,
                                offline_replicas: p.offline_replicas,
                            },
                        )
                    })
                    .collect::<PyResult<_>>()?;
                let topic_id =
                    (t.topic_id != [0; 16]).then(|| PyBytes::new(py, &t.topic_id).unbind());
                Py::new(
                    py,
                    TopicMetadata {
                        name: t.name.unwrap_or_default(),
                        error_code: t.error_code,
                        is_internal: t.is_internal,
                        partitions,
                        topic_id,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            brokers,
            cluster_id: r.cluster_id,
            controller_id: r.controller_id,
            topics,
            throttle_time_ms: r.throttle_time_ms,
            error_code: r.error_code,
        })
    }
}

// --- InitProducerId ------------------------------------------------------------------------

value_class! {
    /// An `InitProducerId` response.
    InitProducerIdResult {
        error_code: i16,
        producer_id: i64,
        producer_epoch: i16,
        throttle_time_ms: i32,
    }
}

impl From<protocol::InitProducerIdResponse> for InitProducerIdResult {
    fn from(r: protocol::InitProducerIdResponse) -> Self {
        Self {
            error_code: r.error_code,
            producer_id: r.producer_id,
            producer_epoch: r.producer_epoch,
            throttle_time_ms: r.throttle_time_ms,
        }
    }
}

// --- Produce -------------------------------------------------------------------------------

value_class! {
    /// A record the broker rejected, by its index in the batch (Produce v8+).
    RecordError {
        batch_index: i32,
        message: Option<String>,
    }
}

value_class! {
    /// The partition's new leader, sent with `NOT_LEADER_OR_FOLLOWER` (Produce v10+, KIP-951).
    LeaderHint {
        leader_id: i32,
        leader_epoch: i32,
    }
}

value_class! {
    /// One partition's answer in a Produce response.
    PartitionProduceResult {
        topic: Py<PyString>,
        partition: i32,
        error_code: i16,
        base_offset: i64,
        /// -1 unless the topic uses `LogAppendTime`.
        log_append_time_ms: i64,
        log_start_offset: i64,
        error_message: Option<String>,
        record_errors: Vec<Py<RecordError>>,
        current_leader: Option<Py<LeaderHint>>,
    }
}

value_class! {
    /// A Produce response.
    ProduceResult {
        partitions: Vec<Py<PartitionProduceResult>>,
        /// The brokers that `current_leader` hints name (v10+).
        node_endpoints: Vec<Py<BrokerMetadata>>,
        throttle_time_ms: i32,
    }
}

impl ProduceResult {
    /// On the hot path: one object per partition, and nothing else unless the broker sent
    /// record errors or leader hints.
    pub fn from_core(py: Python<'_>, r: protocol::ProduceResponse) -> PyResult<Self> {
        let partitions = r
            .partitions
            .into_iter()
            .map(|p| {
                let record_errors = p
                    .record_errors
                    .into_iter()
                    .map(|e| {
                        Py::new(
                            py,
                            RecordError {
                                batch_index: e.batch_index,
                                message: e.message,
                            },
                        )
                    })
                    .collect::<PyResult<_>>()?;
                let current_leader = p
                    .current_leader
                    .map(|l| {
                        Py::new(
                            py,
                            LeaderHint {
                                leader_id: l.leader_id,
                                leader_epoch: l.leader_epoch,
                            },
                        )
                    })
                    .transpose()?;
                Py::new(
                    py,
                    PartitionProduceResult {
                        topic: PyString::new(py, &p.topic).unbind(),
                        partition: p.partition,
                        error_code: p.error_code,
                        base_offset: p.base_offset,
                        log_append_time_ms: p.log_append_time_ms,
                        log_start_offset: p.log_start_offset,
                        error_message: p.error_message,
                        record_errors,
                        current_leader,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        let node_endpoints = r
            .node_endpoints
            .into_iter()
            .map(|e| broker(py, e.node_id, e.host, e.port, e.rack))
            .collect::<PyResult<_>>()?;
        Ok(Self {
            partitions,
            node_endpoints,
            throttle_time_ms: r.throttle_time_ms,
        })
    }
}

// --- FindCoordinator -----------------------------------------------------------------------

value_class! {
    /// The coordinator of one key.
    CoordinatorResult {
        /// `None` before v4, whose response answers the one key asked.
        key: Option<String>,
        node_id: i32,
        host: String,
        port: i32,
        error_code: i16,
        error_message: Option<String>,
    }
}

value_class! {
    /// A `FindCoordinator` response.
    FindCoordinatorResult {
        throttle_time_ms: i32,
        coordinators: Vec<Py<CoordinatorResult>>,
    }
}

impl FindCoordinatorResult {
    pub fn from_core(py: Python<'_>, r: protocol::FindCoordinatorResponse) -> PyResult<Self> {
        let coordinators = r
            .coordinators
            .into_iter()
            .map(|c| {
                Py::new(
                    py,
                    CoordinatorResult {
                        key: c.key,
                        node_id: c.node_id,
                        host: c.host,
                        port: c.port,
                        error_code: c.error_code,
                        error_message: c.error_message,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            throttle_time_ms: r.throttle_time_ms,
            coordinators,
        })
    }
}

// --- SASL ----------------------------------------------------------------------------------

value_class! {
    /// A `SaslHandshake` response.
    SaslHandshakeResult {
        error_code: i16,
        /// The mechanisms the broker enables.
        mechanisms: Vec<String>,
    }
}

value_class! {
    /// A `SaslAuthenticate` response.
    SaslAuthenticateResult {
        error_code: i16,
        error_message: Option<String>,
        auth_bytes: Py<PyBytes>,
        /// 0 when the broker does not ask for re-authentication (or before v1).
        session_lifetime_ms: i64,
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<VersionRange>()?;
    m.add_class::<ApiVersionsResult>()?;
    m.add_class::<BrokerMetadata>()?;
    m.add_class::<PartitionMetadata>()?;
    m.add_class::<TopicMetadata>()?;
    m.add_class::<MetadataResult>()?;
    m.add_class::<InitProducerIdResult>()?;
    m.add_class::<RecordError>()?;
    m.add_class::<LeaderHint>()?;
    m.add_class::<PartitionProduceResult>()?;
    m.add_class::<ProduceResult>()?;
    m.add_class::<CoordinatorResult>()?;
    m.add_class::<FindCoordinatorResult>()?;
    m.add_class::<SaslHandshakeResult>()?;
    m.add_class::<SaslAuthenticateResult>()?;
    Ok(())
}
