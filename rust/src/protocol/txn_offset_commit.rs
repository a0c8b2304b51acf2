//! `TxnOffsetCommit`: sends a consumer group's offsets to the group coordinator as part of a
//! transaction; they become the group's committed offsets when the transaction commits.
//!
//! v3+ carries the consumer's generation, member id and group instance id, so that the group
//! coordinator refuses offsets from a consumer that left the group (KIP-447). Before v3 they
//! are not sent.

use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    GroupId, ProducerId, TopicName, TransactionalId, TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::add_partitions_to_txn::{topic_partition_errors, TxnIdentity, TxnPartitionResult};
use super::frame::{decode_response, encode_request, RequestHeader};
use super::{ApiKey, ProtocolError};

/// The consumer group the offsets belong to, as the consumer knows it (KIP-447).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMetadata<'a> {
    pub group_id: &'a str,
    /// -1 when unknown (a plain group id was given).
    pub generation_id: i32,
    /// Empty when unknown.
    pub member_id: &'a str,
    pub group_instance_id: Option<&'a str>,
}

/// One offset to commit: the next offset to consume and, when known, the leader epoch of the
/// record before it (-1 otherwise) and free-form metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnOffset<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitResponse {
    pub throttle_time_ms: i32,
    pub results: Vec<TxnPartitionResult>,
}

pub fn encode_txn_offset_commit_request(
    header: &RequestHeader<'_>,
    txn: &TxnIdentity<'_>,
    group: &GroupMetadata<'_>,
    offsets: &[TxnOffset<'_>],
) -> Result<Vec<u8>, ProtocolError> {
    let version = header.api_version;
    // Offsets grouped by topic, topics in first-seen order.
    let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
    for o in offsets {
        let mut partition = TxnOffsetCommitRequestPartition::default()
            .with_partition_index(o.partition)
            .with_committed_offset(o.offset)
            .with_committed_metadata(o.metadata.map(|m| StrBytes::from_string(m.to_owned())));
        if version >= 2 {
            partition = partition.with_committed_leader_epoch(o.leader_epoch);
        }
        match topics.iter_mut().find(|t| t.name.0.as_str() == o.topic) {
            Some(topic) => topic.partitions.push(partition),
            None => topics.push(
                TxnOffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(o.topic.to_owned())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    let mut body = TxnOffsetCommitRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            txn.transactional_id.to_owned(),
        )))
        .with_group_id(GroupId(StrBytes::from_string(group.group_id.to_owned())))
        .with_producer_id(ProducerId(txn.producer_id))
        .with_producer_epoch(txn.producer_epoch)
        .with_topics(topics);
    if version >= 3 {
        body = body
            .with_generation_id(group.generation_id)
            .with_member_id(StrBytes::from_string(group.member_id.to_owned()))
            .with_group_instance_id(
                group
                    .group_instance_id
                    .map(|id| StrBytes::from_string(id.to_owned())),
            );
    }
    encode_request(ApiKey::TxnOffsetCommit, header, &body)
}

pub fn decode_txn_offset_commit_response(
    frame: &[u8],
    version: i16,
) -> Result<TxnOffsetCommitResponse, ProtocolError> {
    decode_response(ApiKey::TxnOffsetCommit, version, frame, |r| {
        let flexible = version >= 3;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let results = topic_partition_errors(r, flexible)?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(TxnOffsetCommitResponse {
            throttle_time_ms,
            results,
        })
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::txn_offset_commit_response::{
        TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
    };
    use kafka_protocol::messages::TxnOffsetCommitResponse as CrateResponse;

    use super::super::frame::test_support::{
        assert_lenient_where_safe, crate_request, crate_response, crate_response_with_unknown_tags,
        length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    const TXN: TxnIdentity<'static> = TxnIdentity {
        transactional_id: "etl-1",
        producer_id: 4000,
        producer_epoch: 3,
    };
    const GROUP: GroupMetadata<'static> = GroupMetadata {
        group_id: "readers",
        generation_id: 12,
        member_id: "member-a",
        group_instance_id: Some("pod-0"),
    };

    fn offset(topic: &'static str, partition: i32, offset: i64) -> TxnOffset<'static> {
        TxnOffset {
            topic,
            partition,
            offset,
            leader_epoch: 2,
            metadata: None,
        }
    }

    #[test]
    fn round_trips_every_version() {
        let offsets = [
            offset("in", 0, 42),
            offset("other", 3, 5),
            offset("in", 1, 7),
        ];
        for version in 0..=5 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 3,
                client_id: Some("test-client"),
            };
            let partition = |index, committed| {
                let p = TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(index)
                    .with_committed_offset(committed)
                    .with_committed_metadata(None);
                if version >= 2 {
                    p.with_committed_leader_epoch(2)
                } else {
                    p
                }
            };
            let mut expected = TxnOffsetCommitRequest::default()
                .with_transactional_id(TransactionalId(StrBytes::from_static_str("etl-1")))
                .with_group_id(GroupId(StrBytes::from_static_str("readers")))
                .with_producer_id(ProducerId(4000))
                .with_producer_epoch(3)
                .with_topics(vec![
                    TxnOffsetCommitRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_static_str("in")))
                        .with_partitions(vec![partition(0, 42), partition(1, 7)]),
                    TxnOffsetCommitRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_static_str("other")))
                        .with_partitions(vec![partition(3, 5)]),
                ]);
            if version >= 3 {
                expected = expected
                    .with_generation_id(12)
                    .with_member_id(StrBytes::from_static_str("member-a"))
                    .with_group_instance_id(Some(StrBytes::from_static_str("pod-0")));
            }
            assert_eq!(
                encode_txn_offset_commit_request(&header, &TXN, &GROUP, &offsets).unwrap(),
                crate_request(ApiKey::TxnOffsetCommit, version, 3, &expected),
                "v{version}"
            );
        }
    }

    #[test]
    fn decodes_every_version_leniently() {
        for version in 0..=5 {
            let flexible = version >= 3;
            let result = |partition, code| {
                TxnOffsetCommitResponsePartition::default()
                    .with_partition_index(partition)
                    .with_error_code(code)
            };
            let body = CrateResponse::default()
                .with_throttle_time_ms(9)
                .with_topics(vec![TxnOffsetCommitResponseTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("input")))
                    .with_partitions(vec![result(0, 0), result(1, 22)])]);
            let plain = crate_response(ApiKey::TxnOffsetCommit, version, 3, &body);
            let response = decode_txn_offset_commit_response(&plain, version).unwrap();
            assert_eq!(response.throttle_time_ms, 9);
            let flat: Vec<_> = response
                .results
                .iter()
                .map(|r| (r.topic.as_str(), r.partition, r.error_code))
                .collect();
            assert_eq!(flat, [("input", 0, 0), ("input", 1, 22)]);
            let tagged = flexible.then(|| {
                let mut body = body
                    .clone()
                    .with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                for topic in &mut body.topics {
                    topic.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
                    for partition in &mut topic.partitions {
                        partition
                            .unknown_tagged_fields
                            .insert(UNKNOWN_TAG, unknown());
                    }
                }
                crate_response_with_unknown_tags(ApiKey::TxnOffsetCommit, version, 3, &body)
            });
            let string = if flexible {
                Prefix::Varint { plus_one: true }
            } else {
                Prefix::I16
            };
            let too_long = [length_past_the_end(&plain, b"input", string)];
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_txn_offset_commit_response(f, version)
            });
        }
    }
}
