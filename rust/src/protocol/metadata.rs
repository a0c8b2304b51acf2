//! Metadata: brokers, the controller, and each topic's partitions with their leaders.

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::wire::{DecodeResult, Reader};
use super::{ApiKey, ProtocolError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataBroker {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataPartition {
    pub error_code: i16,
    pub partition: i32,
    /// -1 while the partition has no leader.
    pub leader_id: i32,
    /// -1 before v7. Lets the cache ignore metadata older than what it already has.
    pub leader_epoch: i32,
    pub replica_nodes: Vec<i32>,
    pub isr_nodes: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataTopic {
    pub error_code: i16,
    /// `None` only for topics asked for by id (v12+), which this client never does.
    pub name: Option<String>,
    /// All zeros before v10.
    pub topic_id: [u8; 16],
    pub is_internal: bool,
    pub partitions: Vec<MetadataPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponse {
    pub throttle_time_ms: i32,
    pub brokers: Vec<MetadataBroker>,
    pub cluster_id: Option<String>,
    /// -1 when unknown.
    pub controller_id: i32,
    pub topics: Vec<MetadataTopic>,
    /// Top-level error, v13+ (e.g. a rebootstrap request); 0 before.
    pub error_code: i16,
}

/// `topics: None` asks for every topic.
pub fn encode_metadata_request(
    header: &RequestHeader<'_>,
    topics: Option<&[&str]>,
    allow_auto_topic_creation: bool,
) -> Result<Vec<u8>, ProtocolError> {
    let topics = topics.map(|names| {
        names
            .iter()
            .map(|name| {
                MetadataRequestTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_string((*name).to_owned()))))
            })
            .collect()
    });
    let body = MetadataRequest::default()
        .with_topics(topics)
        .with_allow_auto_topic_creation(allow_auto_topic_creation);
    encode_request(ApiKey::Metadata, header, &body)
}

pub fn decode_metadata_response(
    frame: &[u8],
    version: i16,
) -> Result<MetadataResponse, ProtocolError> {
    decode_response(ApiKey::Metadata, version, frame, |r| body(r, version))
}

fn body(r: &mut Reader<'_>, version: i16) -> DecodeResult<MetadataResponse> {
    let flexible = version >= 9;
    // Fields older than v4 (the oldest version implemented) are always present.
    let throttle_time_ms = r.i32("throttle_time_ms")?;
    let brokers = r.vec("brokers", flexible, 10, |r| {
        let broker = MetadataBroker {
            node_id: r.i32("node_id")?,
            host: r.string("host", flexible)?,
            port: r.i32("port")?,
            rack: r.nullable_string("rack", flexible)?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(broker)
    })?;
    let cluster_id = r.nullable_string("cluster_id", flexible)?;
    let controller_id = r.i32("controller_id")?;
    let topics = r.vec("topics", flexible, 6, |r| topic(r, version))?;
    if (8..=10).contains(&version) {
        r.i32("cluster_authorized_operations")?;
    }
    let error_code = if version >= 13 {
        r.i16("error_code")?
    } else {
        0
    };
    if flexible {
        r.skip_tagged_fields()?;
    }
    Ok(MetadataResponse {
        throttle_time_ms,
        brokers,
        cluster_id,
        controller_id,
        topics,
        error_code,
    })
}

fn topic(r: &mut Reader<'_>, version: i16) -> DecodeResult<MetadataTopic> {
    let flexible = version >= 9;
    let error_code = r.i16("topic error_code")?;
    let name = r.nullable_string("topic name", flexible)?;
    let topic_id = if version >= 10 {
        r.uuid("topic_id")?
    } else {
        [0; 16]
    };
    let is_internal = r.bool("is_internal")?;
    let partitions = r.vec("partitions", flexible, 12, |r| {
        let partition = MetadataPartition {
            error_code: r.i16("partition error_code")?,
            partition: r.i32("partition_index")?,
            leader_id: r.i32("leader_id")?,
            leader_epoch: if version >= 7 {
                r.i32("leader_epoch")?
            } else {
                -1
            },
            replica_nodes: r.i32_vec("replica_nodes", flexible)?,
            isr_nodes: r.i32_vec("isr_nodes", flexible)?,
            offline_replicas: if version >= 5 {
                r.i32_vec("offline_replicas", flexible)?
            } else {
                Vec::new()
            },
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(partition)
    })?;
    if version >= 8 {
        r.i32("topic_authorized_operations")?;
    }
    if flexible {
        r.skip_tagged_fields()?;
    }
    Ok(MetadataTopic {
        error_code,
        name,
        topic_id,
        is_internal,
        partitions,
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };
    use kafka_protocol::messages::{BrokerId, MetadataResponse as CrateResponse};

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    fn sample(version: i16) -> CrateResponse {
        let partition = |index: i32, leader: i32| {
            let p = MetadataResponsePartition::default()
                .with_error_code(0)
                .with_partition_index(index)
                .with_leader_id(BrokerId(leader))
                .with_replica_nodes(vec![BrokerId(1), BrokerId(2)])
                .with_isr_nodes(vec![BrokerId(leader)]);
            let p = if version >= 7 {
                p.with_leader_epoch(4)
            } else {
                p
            };
            if version >= 5 {
                p.with_offline_replicas(vec![BrokerId(2)])
            } else {
                p
            }
        };
        let topic = MetadataResponseTopic::default()
            .with_error_code(0)
            .with_name(Some(TopicName(StrBytes::from_static_str("orders"))))
            .with_is_internal(false)
            .with_partitions(vec![partition(0, 1), partition(1, 2)]);
        let topic = if version >= 10 {
            // The id's type is the crate's (uuid) and is reached through inference.
            topic.with_topic_id("07070707-0707-0707-0707-070707070707".parse().unwrap())
        } else {
            topic
        };
        let topic = if version >= 8 {
            topic.with_topic_authorized_operations(0)
        } else {
            topic
        };
        let missing = MetadataResponseTopic::default()
            .with_error_code(3)
            .with_name(Some(TopicName(StrBytes::from_static_str("missing"))));
        let response = CrateResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(1))
                    .with_host(StrBytes::from_static_str("127.0.0.1"))
                    .with_port(9092)
                    .with_rack(Some(StrBytes::from_static_str("r1"))),
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("localhost"))
                    .with_port(9093),
            ])
            .with_controller_id(BrokerId(2))
            .with_topics(vec![topic, missing]);
        let response = if version >= 3 {
            response.with_throttle_time_ms(5)
        } else {
            response
        };
        if version >= 2 {
            response.with_cluster_id(Some(StrBytes::from_static_str("abc")))
        } else {
            response
        }
    }

    #[test]
    fn decodes_every_version() {
        for version in 4..=13 {
            let frame = crate_response(ApiKey::Metadata, version, 11, &sample(version));
            let m = decode_metadata_response(&frame, version).unwrap();
            assert_eq!(m.brokers.len(), 2);
            assert_eq!(m.brokers[0].host, "127.0.0.1");
            assert_eq!(m.brokers[0].rack.as_deref(), Some("r1"));
            assert_eq!(m.brokers[1].rack, None);
            assert_eq!(m.controller_id, 2);
            assert_eq!(m.cluster_id.as_deref(), Some("abc"));
            assert_eq!(m.topics[0].name.as_deref(), Some("orders"));
            assert_eq!(m.topics[0].partitions[1].leader_id, 2);
            assert_eq!(m.topics[0].partitions[1].replica_nodes, vec![1, 2]);
            assert_eq!(m.topics[0].partitions[1].isr_nodes, vec![2]);
            assert_eq!(
                m.topics[0].partitions[0].leader_epoch,
                if version >= 7 { 4 } else { -1 }
            );
            assert_eq!(
                m.topics[0].topic_id,
                if version >= 10 { [7; 16] } else { [0; 16] }
            );
            assert_eq!(m.topics[1].error_code, 3);
            assert_robust(&frame, |f| decode_metadata_response(f, version));
        }
    }

    /// `sample()` with an unknown tagged field at every level that has tagged fields.
    fn sample_with_unknown_tags(version: i16) -> CrateResponse {
        let mut response = sample(version).with_unknown_tagged_field(UNKNOWN_TAG, unknown());
        for broker in &mut response.brokers {
            broker.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
        }
        for topic in &mut response.topics {
            topic.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
            for partition in &mut topic.partitions {
                partition
                    .unknown_tagged_fields
                    .insert(UNKNOWN_TAG, unknown());
            }
        }
        response
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 4..=13 {
            let flexible = version >= 9;
            let plain = crate_response(ApiKey::Metadata, version, 11, &sample(version));
            let tagged = flexible.then(|| {
                let body = sample_with_unknown_tags(version);
                crate_response_with_unknown_tags(ApiKey::Metadata, version, 11, &body)
            });
            let string = if flexible {
                Prefix::Varint { plus_one: true }
            } else {
                Prefix::I16
            };
            // A broker's host, the cluster id, a topic's name.
            let too_long = [&b"127.0.0.1"[..], b"abc", b"missing"]
                .map(|needle| length_past_the_end(&plain, needle, string));
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_metadata_response(f, version)
            });
        }
    }

    #[test]
    fn request_matches_the_crate() {
        for version in 4..=13 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 5,
                client_id: Some("test-client"),
            };
            let all = MetadataRequest::default().with_topics(None);
            assert_eq!(
                encode_metadata_request(&header, None, true).unwrap(),
                crate_request(ApiKey::Metadata, version, 5, &all)
            );
            let some = MetadataRequest::default()
                .with_topics(Some(vec![MetadataRequestTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_static_str("orders"))))]))
                .with_allow_auto_topic_creation(false);
            assert_eq!(
                encode_metadata_request(&header, Some(&["orders"]), false).unwrap(),
                crate_request(ApiKey::Metadata, version, 5, &some)
            );
        }
    }

    #[test]
    fn versions_before_4_are_refused() {
        let header = RequestHeader {
            api_version: 3,
            correlation_id: 5,
            client_id: None,
        };
        let err = encode_metadata_request(&header, None, true).unwrap_err();
        assert!(
            matches!(err, ProtocolError::UnsupportedVersion { version: 3, .. }),
            "{err}"
        );
        let err = decode_metadata_response(&[0, 0, 0, 1], 3).unwrap_err();
        assert!(
            matches!(err, ProtocolError::UnsupportedVersion { version: 3, .. }),
            "{err}"
        );
    }
}
