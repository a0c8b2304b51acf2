//! `AddPartitionsToTxn`: tells the transaction coordinator which partitions a transaction
//! writes to, before the first batch of the transaction reaches each of them (transactions v1).
//!
//! Only the client form (v0..=v3: one transactional id, its partitions) is implemented: v4+
//! batches several transactions and is sent by brokers to coordinators (KIP-890 part 1), which
//! refuse it from clients.

use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::{AddPartitionsToTxnRequest, ProducerId, TopicName, TransactionalId};
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::wire::{DecodeResult, Reader};
use super::{ApiKey, ProtocolError};

/// The error (or `NONE`) of one partition of a transactional request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnPartitionResult {
    pub topic: String,
    pub partition: i32,
    pub error_code: i16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddPartitionsToTxnResponse {
    pub throttle_time_ms: i32,
    pub results: Vec<TxnPartitionResult>,
}

/// The transaction's identity as every transactional request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnIdentity<'a> {
    pub transactional_id: &'a str,
    pub producer_id: i64,
    pub producer_epoch: i16,
}

/// `partitions` as `(topic, [partition])`, one entry per topic.
pub fn encode_add_partitions_to_txn_request(
    header: &RequestHeader<'_>,
    txn: &TxnIdentity<'_>,
    partitions: &[(&str, Vec<i32>)],
) -> Result<Vec<u8>, ProtocolError> {
    let topics = partitions
        .iter()
        .map(|(topic, parts)| {
            AddPartitionsToTxnTopic::default()
                .with_name(TopicName(StrBytes::from_string((*topic).to_owned())))
                .with_partitions(parts.clone())
        })
        .collect();
    let body = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(TransactionalId(StrBytes::from_string(
            txn.transactional_id.to_owned(),
        )))
        .with_v3_and_below_producer_id(ProducerId(txn.producer_id))
        .with_v3_and_below_producer_epoch(txn.producer_epoch)
        .with_v3_and_below_topics(topics);
    encode_request(ApiKey::AddPartitionsToTxn, header, &body)
}

pub fn decode_add_partitions_to_txn_response(
    frame: &[u8],
    version: i16,
) -> Result<AddPartitionsToTxnResponse, ProtocolError> {
    decode_response(ApiKey::AddPartitionsToTxn, version, frame, |r| {
        let flexible = version >= 3;
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let results = topic_partition_errors(r, flexible)?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(AddPartitionsToTxnResponse {
            throttle_time_ms,
            results,
        })
    })
}

/// `[topic: name, [partition: index, error_code]]`, the shape of both `AddPartitionsToTxn`
/// (v0..=v3) and `TxnOffsetCommit` answers, flattened to one entry per partition.
pub(crate) fn topic_partition_errors(
    r: &mut Reader<'_>,
    flexible: bool,
) -> DecodeResult<Vec<TxnPartitionResult>> {
    // A topic takes at least a length of its name and of its partitions: 2 bytes compact,
    // 6 classic; a partition 6 bytes (+1 for its tagged fields when flexible).
    let (topic_min, partition_min) = if flexible { (3, 7) } else { (6, 6) };
    let topics = r.vec("topics", flexible, topic_min, |r| {
        let name = r.string("topic name", flexible)?;
        let partitions = r.vec("partitions", flexible, partition_min, |r| {
            let partition = r.i32("partition_index")?;
            let error_code = r.i16("error_code")?;
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok((partition, error_code))
        })?;
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok((name, partitions))
    })?;
    Ok(topics
        .into_iter()
        .flat_map(|(topic, partitions)| {
            partitions
                .into_iter()
                .map(move |(partition, error_code)| TxnPartitionResult {
                    topic: topic.clone(),
                    partition,
                    error_code,
                })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::add_partitions_to_txn_response::{
        AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
    };
    use kafka_protocol::messages::AddPartitionsToTxnResponse as CrateResponse;

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

    fn crate_body() -> CrateResponse {
        let result = |partition, code| {
            AddPartitionsToTxnPartitionResult::default()
                .with_partition_index(partition)
                .with_partition_error_code(code)
        };
        CrateResponse::default()
            .with_throttle_time_ms(7)
            .with_results_by_topic_v3_and_below(vec![
                AddPartitionsToTxnTopicResult::default()
                    .with_name(TopicName(StrBytes::from_static_str("orders")))
                    .with_results_by_partition(vec![result(0, 0), result(2, 51)]),
                AddPartitionsToTxnTopicResult::default()
                    .with_name(TopicName(StrBytes::from_static_str("audit")))
                    .with_results_by_partition(vec![result(1, 0)]),
            ])
    }

    #[test]
    fn round_trips_every_version() {
        for version in 0..=3 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 9,
                client_id: Some("test-client"),
            };
            let expected = AddPartitionsToTxnRequest::default()
                .with_v3_and_below_transactional_id(TransactionalId(StrBytes::from_static_str(
                    "etl-1",
                )))
                .with_v3_and_below_producer_id(ProducerId(4000))
                .with_v3_and_below_producer_epoch(3)
                .with_v3_and_below_topics(vec![AddPartitionsToTxnTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("orders")))
                    .with_partitions(vec![0, 2])]);
            assert_eq!(
                encode_add_partitions_to_txn_request(&header, &TXN, &[("orders", vec![0, 2])])
                    .unwrap(),
                crate_request(ApiKey::AddPartitionsToTxn, version, 9, &expected)
            );
            let frame = crate_response(ApiKey::AddPartitionsToTxn, version, 9, &crate_body());
            let response = decode_add_partitions_to_txn_response(&frame, version).unwrap();
            assert_eq!(response.throttle_time_ms, 7);
            let flat: Vec<_> = response
                .results
                .iter()
                .map(|r| (r.topic.as_str(), r.partition, r.error_code))
                .collect();
            assert_eq!(flat, [("orders", 0, 0), ("orders", 2, 51), ("audit", 1, 0)]);
        }
    }

    #[test]
    fn the_broker_form_is_not_offered() {
        let header = RequestHeader {
            api_version: 4,
            correlation_id: 9,
            client_id: None,
        };
        let err = encode_add_partitions_to_txn_request(&header, &TXN, &[]).unwrap_err();
        assert!(
            matches!(err, ProtocolError::UnsupportedVersion { version: 4, .. }),
            "{err}"
        );
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 0..=3 {
            let flexible = version >= 3;
            let body = crate_body();
            let plain = crate_response(ApiKey::AddPartitionsToTxn, version, 9, &body);
            let tagged = flexible.then(|| {
                let mut body = body
                    .clone()
                    .with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                for topic in &mut body.results_by_topic_v3_and_below {
                    topic.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
                    for partition in &mut topic.results_by_partition {
                        partition
                            .unknown_tagged_fields
                            .insert(UNKNOWN_TAG, unknown());
                    }
                }
                crate_response_with_unknown_tags(ApiKey::AddPartitionsToTxn, version, 9, &body)
            });
            let string = if flexible {
                Prefix::Varint { plus_one: true }
            } else {
                Prefix::I16
            };
            let too_long = [length_past_the_end(&plain, b"orders", string)];
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_add_partitions_to_txn_response(f, version)
            });
        }
    }
}
