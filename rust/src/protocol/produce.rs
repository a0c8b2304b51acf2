//! Produce: the hot request. Its body is written here directly from borrowed record batches
//! into the one output buffer; going through the crate's `ProduceRequest` would first copy
//! every batch into an owned `Bytes`. The tests check the bytes against the crate's encoder
//! for every version.
//!
//! Versions 3..=12 address topics by name. v13 (Kafka 4.1+) replaces names by topic ids and
//! is not implemented yet.

use std::collections::HashMap;

use super::frame::{begin_request, decode_response, RequestHeader};
use super::wire::{uvarint_len, DecodeResult, Reader};
use super::{ApiKey, ProtocolError};

/// The leader a partition moved to, sent with `NOT_LEADER_OR_FOLLOWER` (v10+, KIP-951) so the
/// client can retry at once without a metadata round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderHint {
    pub leader_id: i32,
    pub leader_epoch: i32,
}

/// Where to reach a broker named in a [`LeaderHint`] (v10+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEndpoint {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

/// A record of a batch that the broker rejected (v8+), e.g. for an invalid timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub batch_index: i32,
    pub message: Option<String>,
}

/// The outcome for one partition's batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionProduceResult {
    pub topic: String,
    pub partition: i32,
    pub error_code: i16,
    pub base_offset: i64,
    /// -1 unless the topic uses `LogAppendTime`.
    pub log_append_time_ms: i64,
    /// -1 before v5.
    pub log_start_offset: i64,
    pub error_message: Option<String>,
    pub record_errors: Vec<RecordError>,
    pub current_leader: Option<LeaderHint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResponse {
    /// One entry per partition, in the broker's order.
    pub partitions: Vec<PartitionProduceResult>,
    pub throttle_time_ms: i32,
    pub node_endpoints: Vec<NodeEndpoint>,
}

/// One topic's batches as `(partition, batch)`, in the order given.
type TopicBatches<'a> = (&'a str, Vec<(i32, &'a [u8])>);

/// Encodes a Produce request from already-encoded record batches, given as
/// `(topic, partition, batch)`. Batches are grouped by topic in order of first appearance;
/// a partition may appear only once.
pub fn encode_produce_request(
    header: &RequestHeader<'_>,
    acks: i16,
    timeout_ms: i32,
    transactional_id: Option<&str>,
    batches: &[(&str, i32, &[u8])],
) -> Result<Vec<u8>, ProtocolError> {
    let frame = ProduceFrame::new(header, acks, timeout_ms, transactional_id, batches)?;
    let mut buf = Vec::with_capacity(frame.len());
    frame.write_to(&mut buf);
    Ok(buf)
}

/// Where a frame is written: a `Vec` that grows, or a buffer of the frame's exact size (a
/// Python `bytes` object's, filled in place instead of copied into it).
pub trait FrameOut {
    fn put(&mut self, bytes: &[u8]);
}

impl FrameOut for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A Produce request whose size is known before a byte of it is written (size prefix
/// included): validated and laid out by [`ProduceFrame::new`], written by
/// [`ProduceFrame::write_to`].
pub struct ProduceFrame<'a> {
    /// The size prefix and the request header.
    head: Vec<u8>,
    body_size: usize,
    flexible: bool,
    acks: i16,
    timeout_ms: i32,
    transactional_id: Option<&'a str>,
    topics: Vec<TopicBatches<'a>>,
}

impl<'a> ProduceFrame<'a> {
    pub fn new(
        header: &RequestHeader<'_>,
        acks: i16,
        timeout_ms: i32,
        transactional_id: Option<&'a str>,
        batches: &[(&'a str, i32, &'a [u8])],
    ) -> Result<Self, ProtocolError> {
        let version = header.api_version;
        let flexible = version >= 9;
        let invalid = |reason: String| ProtocolError::InvalidRequest {
            api: ApiKey::Produce,
            version,
            reason,
        };
        let topics = group_by_topic(batches).map_err(invalid)?;
        let body_size = body_size(flexible, transactional_id, &topics).map_err(invalid)?;
        let mut head = begin_request(ApiKey::Produce, header, 0)?;
        let size = i32::try_from(head.len() - 4 + body_size).map_err(|_| {
            invalid(format!(
                "request of {} bytes exceeds the protocol's 2 GiB limit",
                head.len() + body_size
            ))
        })?;
        head[..4].copy_from_slice(&size.to_be_bytes());
        Ok(ProduceFrame {
            head,
            body_size,
            flexible,
            acks,
            timeout_ms,
            transactional_id,
            topics,
        })
    }

    /// The whole frame's size in bytes, size prefix included.
    pub fn len(&self) -> usize {
        self.head.len() + self.body_size
    }

    /// Never true: a frame has at least its size prefix and header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the frame: exactly [`Self::len`] bytes.
    pub fn write_to(&self, out: &mut impl FrameOut) {
        let flexible = self.flexible;
        let put_len = |out: &mut dyn FnMut(&[u8]), len: usize, wide: bool| {
            if flexible {
                let mut varint = [0_u8; 5];
                out(put_uvarint_into(&mut varint, len as u32 + 1));
            } else if wide {
                out(&(len as i32).to_be_bytes());
            } else {
                out(&(len as i16).to_be_bytes());
            }
        };
        let mut put = |bytes: &[u8]| out.put(bytes);
        put(&self.head);
        match self.transactional_id {
            Some(id) => {
                put_len(&mut put, id.len(), false);
                put(id.as_bytes());
            }
            None if flexible => put(&[0]),
            None => put(&(-1_i16).to_be_bytes()),
        }
        put(&self.acks.to_be_bytes());
        put(&self.timeout_ms.to_be_bytes());
        put_len(&mut put, self.topics.len(), true);
        for (topic, partitions) in &self.topics {
            put_len(&mut put, topic.len(), false);
            put(topic.as_bytes());
            put_len(&mut put, partitions.len(), true);
            for &(partition, batch) in partitions {
                put(&partition.to_be_bytes());
                put_len(&mut put, batch.len(), true);
                put(batch);
                if flexible {
                    put(&[0]);
                }
            }
            if flexible {
                put(&[0]);
            }
        }
        if flexible {
            put(&[0]);
        }
    }
}

/// `value` as an unsigned varint in `buf`; returns the bytes written.
fn put_uvarint_into(buf: &mut [u8; 5], mut value: u32) -> &[u8] {
    let mut len = 0;
    while value >= 0x80 {
        buf[len] = (value as u8) | 0x80;
        value >>= 7;
        len += 1;
    }
    buf[len] = value as u8;
    &buf[..=len]
}

/// Groups batches by topic without reordering partitions within a topic.
fn group_by_topic<'a>(
    batches: &[(&'a str, i32, &'a [u8])],
) -> Result<Vec<TopicBatches<'a>>, String> {
    let mut topic_index: HashMap<&str, usize> = HashMap::new();
    let mut topics: Vec<TopicBatches<'a>> = Vec::new();
    for &(topic, partition, batch) in batches {
        let i = *topic_index.entry(topic).or_insert_with(|| {
            topics.push((topic, Vec::new()));
            topics.len() - 1
        });
        let partitions = &mut topics[i].1;
        if partitions.iter().any(|&(p, _)| p == partition) {
            return Err(format!(
                "two batches for {topic}-{partition} in one request"
            ));
        }
        partitions.push((partition, batch));
    }
    Ok(topics)
}

/// The body's exact size, so that the frame is allocated once.
fn body_size(
    flexible: bool,
    transactional_id: Option<&str>,
    topics: &[TopicBatches<'_>],
) -> Result<usize, String> {
    let len_size = |len: usize, wide: bool| match (flexible, wide) {
        (true, _) => uvarint_len(len as u32 + 1),
        (false, true) => 4,
        (false, false) => 2,
    };
    let string_size = |s: &str| {
        if s.len() > i16::MAX as usize {
            return Err(format!("string of {} bytes is longer than 32767", s.len()));
        }
        Ok(len_size(s.len(), false) + s.len())
    };
    let tags = usize::from(flexible);
    let mut size = transactional_id.map_or(Ok(len_size(0, false)), string_size)?
        + 2
        + 4
        + len_size(topics.len(), true)
        + tags;
    for (topic, partitions) in topics {
        size += string_size(topic)? + len_size(partitions.len(), true) + tags;
        for (_, batch) in partitions {
            if batch.len() >= i32::MAX as usize {
                return Err(format!(
                    "record batch of {} bytes is too large",
                    batch.len()
                ));
            }
            size += 4 + len_size(batch.len(), true) + batch.len() + tags;
        }
    }
    Ok(size)
}

pub fn decode_produce_response(
    frame: &[u8],
    version: i16,
) -> Result<ProduceResponse, ProtocolError> {
    decode_response(ApiKey::Produce, version, frame, |r| body(r, version))
}

fn body(r: &mut Reader<'_>, version: i16) -> DecodeResult<ProduceResponse> {
    let flexible = version >= 9;
    let mut partitions = Vec::new();
    let topics = r.array_len("responses", flexible, 2)?.unwrap_or(0);
    for _ in 0..topics {
        let topic = r.string("topic name", flexible)?;
        let n = r
            .array_len("partition_responses", flexible, 22)?
            .unwrap_or(0);
        partitions.reserve(n);
        for _ in 0..n {
            partitions.push(partition(r, version, topic.clone())?);
        }
        if flexible {
            r.skip_tagged_fields()?;
        }
    }
    let throttle_time_ms = r.i32("throttle_time_ms")?;
    let mut node_endpoints = Vec::new();
    if flexible {
        r.tagged_fields(|tag, field| {
            if tag == 0 && version >= 10 {
                node_endpoints = field.vec("node_endpoints", true, 10, |r| {
                    let endpoint = NodeEndpoint {
                        node_id: r.i32("node_id")?,
                        host: r.string("host", true)?,
                        port: r.i32("port")?,
                        rack: r.nullable_string("rack", true)?,
                    };
                    r.skip_tagged_fields()?;
                    Ok(endpoint)
                })?;
            }
            Ok(())
        })?;
    }
    Ok(ProduceResponse {
        partitions,
        throttle_time_ms,
        node_endpoints,
    })
}

fn partition(
    r: &mut Reader<'_>,
    version: i16,
    topic: String,
) -> DecodeResult<PartitionProduceResult> {
    let flexible = version >= 9;
    let partition = r.i32("partition index")?;
    let error_code = r.i16("error_code")?;
    let base_offset = r.i64("base_offset")?;
    let log_append_time_ms = r.i64("log_append_time_ms")?;
    let log_start_offset = if version >= 5 {
        r.i64("log_start_offset")?
    } else {
        -1
    };
    let (record_errors, error_message) = if version >= 8 {
        let record_errors = r.vec("record_errors", flexible, 5, |r| {
            let error = RecordError {
                batch_index: r.i32("batch_index")?,
                message: r.nullable_string("batch_index_error_message", flexible)?,
            };
            if flexible {
                r.skip_tagged_fields()?;
            }
            Ok(error)
        })?;
        (record_errors, r.nullable_string("error_message", flexible)?)
    } else {
        (Vec::new(), None)
    };
    let mut current_leader = None;
    if flexible {
        r.tagged_fields(|tag, field| {
            if tag == 0 && version >= 10 {
                current_leader = Some(LeaderHint {
                    leader_id: field.i32("current_leader id")?,
                    leader_epoch: field.i32("current_leader epoch")?,
                });
                field.skip_tagged_fields()?;
            }
            Ok(())
        })?;
    }
    Ok(PartitionProduceResult {
        topic,
        partition,
        error_code,
        base_offset,
        log_append_time_ms,
        log_start_offset,
        error_message,
        record_errors,
        current_leader,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::produce_response::{
        BatchIndexAndErrorMessage, LeaderIdAndEpoch, NodeEndpoint as CrateEndpoint,
        PartitionProduceResponse, TopicProduceResponse,
    };
    use kafka_protocol::messages::{
        BrokerId, ProduceRequest, ProduceResponse as CrateResponse, TopicName, TransactionalId,
    };
    use kafka_protocol::protocol::StrBytes;

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    fn header(version: i16) -> RequestHeader<'static> {
        RequestHeader {
            api_version: version,
            correlation_id: 42,
            client_id: Some("test-client"),
        }
    }

    fn partition_data(index: i32, batch: &[u8]) -> PartitionProduceData {
        PartitionProduceData::default()
            .with_index(index)
            .with_records(Some(Bytes::copy_from_slice(batch)))
    }

    fn topic_data(name: &'static str, partitions: Vec<PartitionProduceData>) -> TopicProduceData {
        TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str(name)))
            .with_partition_data(partitions)
    }

    #[test]
    fn request_matches_the_crate_for_every_version() {
        let big = vec![0xab; 300];
        let batches: [(&str, i32, &[u8]); 3] = [("a", 0, b"first"), ("bb", 3, &big), ("a", 1, b"")];
        for version in 3..=12 {
            for txn in [None, Some("txn-1")] {
                let expected = ProduceRequest::default()
                    .with_transactional_id(
                        txn.map(|t| TransactionalId(StrBytes::from_string(t.to_owned()))),
                    )
                    .with_acks(-1)
                    .with_timeout_ms(30_000)
                    .with_topic_data(vec![
                        topic_data(
                            "a",
                            vec![partition_data(0, b"first"), partition_data(1, b"")],
                        ),
                        topic_data("bb", vec![partition_data(3, &big)]),
                    ]);
                let ours =
                    encode_produce_request(&header(version), -1, 30_000, txn, &batches).unwrap();
                assert_eq!(
                    ours,
                    crate_request(ApiKey::Produce, version, 42, &expected),
                    "v{version}"
                );
            }
        }
    }

    #[test]
    fn request_rejects_duplicates_and_v13() {
        let dup: [(&str, i32, &[u8]); 2] = [("a", 0, b"x"), ("a", 0, b"y")];
        let err = encode_produce_request(&header(9), 1, 1000, None, &dup).unwrap_err();
        assert!(err.to_string().contains("two batches for a-0"), "{err}");
        let err = encode_produce_request(&header(13), 1, 1000, None, &[]).unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::UnsupportedVersion { version: 13, .. }
        ));
    }

    fn sample(version: i16) -> CrateResponse {
        let mut ok = PartitionProduceResponse::default()
            .with_index(0)
            .with_base_offset(100)
            .with_log_append_time_ms(-1);
        let mut failed = PartitionProduceResponse::default()
            .with_index(1)
            .with_error_code(6)
            .with_base_offset(-1)
            .with_log_append_time_ms(-1);
        if version >= 5 {
            ok = ok.with_log_start_offset(0);
        }
        if version >= 8 {
            failed = failed
                .with_error_message(Some(StrBytes::from_static_str("not leader")))
                .with_record_errors(vec![BatchIndexAndErrorMessage::default()
                    .with_batch_index(2)
                    .with_batch_index_error_message(Some(StrBytes::from_static_str("bad ts")))]);
        }
        if version >= 10 {
            failed = failed.with_current_leader(
                LeaderIdAndEpoch::default()
                    .with_leader_id(BrokerId(3))
                    .with_leader_epoch(9),
            );
        }
        let response = CrateResponse::default()
            .with_throttle_time_ms(1)
            .with_responses(vec![TopicProduceResponse::default()
                .with_name(TopicName(StrBytes::from_static_str("orders")))
                .with_partition_responses(vec![ok, failed])]);
        if version >= 10 {
            response.with_node_endpoints(vec![CrateEndpoint::default()
                .with_node_id(BrokerId(3))
                .with_host(StrBytes::from_static_str("b3"))
                .with_port(9095)])
        } else {
            response
        }
    }

    #[test]
    fn decodes_every_version() {
        for version in 3..=12 {
            let frame = crate_response(ApiKey::Produce, version, 42, &sample(version));
            let response = decode_produce_response(&frame, version).unwrap();
            let [ok, failed] = &response.partitions[..] else {
                panic!("two partitions")
            };
            assert_eq!(
                (ok.topic.as_str(), ok.partition, ok.error_code),
                ("orders", 0, 0)
            );
            assert_eq!(ok.base_offset, 100);
            assert_eq!(ok.log_start_offset, if version >= 5 { 0 } else { -1 });
            assert_eq!((failed.partition, failed.error_code), (1, 6));
            if version >= 8 {
                assert_eq!(failed.error_message.as_deref(), Some("not leader"));
                assert_eq!(
                    failed.record_errors,
                    vec![RecordError {
                        batch_index: 2,
                        message: Some("bad ts".into())
                    }]
                );
            }
            if version >= 10 {
                assert_eq!(
                    failed.current_leader,
                    Some(LeaderHint {
                        leader_id: 3,
                        leader_epoch: 9
                    })
                );
                assert_eq!(response.node_endpoints[0].host, "b3");
            } else {
                assert_eq!(failed.current_leader, None);
            }
            assert_eq!(response.throttle_time_ms, 1);
            assert_robust(&frame, |f| decode_produce_response(f, version));
        }
    }

    /// `sample()` with an unknown tagged field at every level that has tagged fields.
    fn sample_with_unknown_tags(version: i16) -> CrateResponse {
        let mut response = sample(version).with_unknown_tagged_field(UNKNOWN_TAG, unknown());
        for topic in &mut response.responses {
            topic.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
            for partition in &mut topic.partition_responses {
                partition
                    .unknown_tagged_fields
                    .insert(UNKNOWN_TAG, unknown());
                for error in &mut partition.record_errors {
                    error.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
                }
                // A default leader hint is not sent at all; an unknown field would make it sent.
                if partition.current_leader != LeaderIdAndEpoch::default() {
                    partition
                        .current_leader
                        .unknown_tagged_fields
                        .insert(UNKNOWN_TAG, unknown());
                }
            }
        }
        for endpoint in &mut response.node_endpoints {
            endpoint
                .unknown_tagged_fields
                .insert(UNKNOWN_TAG, unknown());
        }
        response
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 3..=12 {
            let flexible = version >= 9;
            let plain = crate_response(ApiKey::Produce, version, 42, &sample(version));
            let tagged = flexible.then(|| {
                let body = sample_with_unknown_tags(version);
                crate_response_with_unknown_tags(ApiKey::Produce, version, 42, &body)
            });
            let string = if flexible {
                Prefix::Varint { plus_one: true }
            } else {
                Prefix::I16
            };
            let mut needles: Vec<&[u8]> = vec![b"orders"];
            if version >= 8 {
                needles.extend([&b"not leader"[..], b"bad ts"]);
            }
            if version >= 10 {
                needles.push(b"b3");
            }
            let too_long: Vec<_> = needles
                .into_iter()
                .map(|needle| length_past_the_end(&plain, needle, string))
                .collect();
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_produce_response(f, version)
            });
        }
    }
}
