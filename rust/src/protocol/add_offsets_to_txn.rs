//! `AddOffsetsToTxn`: tells the transaction coordinator that the transaction will commit a
//! consumer group's offsets (transactions v1), before `TxnOffsetCommit` sends them to the
//! group coordinator.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, GroupId, ProducerId, TransactionalId};
use kafka_protocol::protocol::StrBytes;

use super::add_partitions_to_txn::TxnIdentity;
use super::frame::{decode_response, encode_request, RequestHeader};
use super::{ApiKey, ProtocolError};

/// The answer of `AddOffsetsToTxn` and (before v5) `EndTxn`: one error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnErrorResponse {
    pub throttle_time_ms: i32,
    pub error_code: i16,
}

pub fn encode_add_offsets_to_txn_request(
    header: &RequestHeader<'_>,
    txn: &TxnIdentity<'_>,
    group_id: &str,
) -> Result<Vec<u8>, ProtocolError> {
    let body = AddOffsetsToTxnRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            txn.transactional_id.to_owned(),
        )))
        .with_producer_id(ProducerId(txn.producer_id))
        .with_producer_epoch(txn.producer_epoch)
        .with_group_id(GroupId(StrBytes::from_string(group_id.to_owned())));
    encode_request(ApiKey::AddOffsetsToTxn, header, &body)
}

pub fn decode_add_offsets_to_txn_response(
    frame: &[u8],
    version: i16,
) -> Result<TxnErrorResponse, ProtocolError> {
    decode_response(ApiKey::AddOffsetsToTxn, version, frame, |r| {
        let response = TxnErrorResponse {
            throttle_time_ms: r.i32("throttle_time_ms")?,
            error_code: r.i16("error_code")?,
        };
        if version >= 3 {
            r.skip_tagged_fields()?;
        }
        Ok(response)
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::AddOffsetsToTxnResponse as CrateResponse;

    use super::super::frame::test_support::{
        assert_lenient_where_safe, crate_request, crate_response, crate_response_with_unknown_tags,
        unknown, UNKNOWN_TAG,
    };
    use super::*;

    #[test]
    fn round_trips_every_version() {
        let txn = TxnIdentity {
            transactional_id: "etl-1",
            producer_id: 4000,
            producer_epoch: 3,
        };
        for version in 0..=4 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 5,
                client_id: Some("test-client"),
            };
            let expected = AddOffsetsToTxnRequest::default()
                .with_transactional_id(TransactionalId(StrBytes::from_static_str("etl-1")))
                .with_producer_id(ProducerId(4000))
                .with_producer_epoch(3)
                .with_group_id(GroupId(StrBytes::from_static_str("readers")));
            assert_eq!(
                encode_add_offsets_to_txn_request(&header, &txn, "readers").unwrap(),
                crate_request(ApiKey::AddOffsetsToTxn, version, 5, &expected)
            );
            let body = CrateResponse::default()
                .with_throttle_time_ms(4)
                .with_error_code(51);
            let plain = crate_response(ApiKey::AddOffsetsToTxn, version, 5, &body);
            assert_eq!(
                decode_add_offsets_to_txn_response(&plain, version).unwrap(),
                TxnErrorResponse {
                    throttle_time_ms: 4,
                    error_code: 51
                }
            );
            let tagged = (version >= 3).then(|| {
                let body = body.with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                crate_response_with_unknown_tags(ApiKey::AddOffsetsToTxn, version, 5, &body)
            });
            assert_lenient_where_safe(&plain, tagged.as_deref(), &[], |f| {
                decode_add_offsets_to_txn_response(f, version)
            });
        }
    }
}
