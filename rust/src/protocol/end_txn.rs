//! `EndTxn`: asks the transaction coordinator to commit or abort the open transaction.
//!
//! From v5 (transactions v2, KIP-890 part 2) the answer carries the producer id and the epoch
//! the coordinator bumped at the end of the transaction; earlier versions leave them at -1.

use kafka_protocol::messages::{EndTxnRequest, ProducerId, TransactionalId};
use kafka_protocol::protocol::StrBytes;

use super::add_partitions_to_txn::TxnIdentity;
use super::frame::{decode_response, encode_request, RequestHeader};
use super::{ApiKey, ProtocolError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTxnResponse {
    pub throttle_time_ms: i32,
    pub error_code: i16,
    /// -1 before v5.
    pub producer_id: i64,
    /// -1 before v5.
    pub producer_epoch: i16,
}

pub fn encode_end_txn_request(
    header: &RequestHeader<'_>,
    txn: &TxnIdentity<'_>,
    commit: bool,
) -> Result<Vec<u8>, ProtocolError> {
    let body = EndTxnRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_string(
            txn.transactional_id.to_owned(),
        )))
        .with_producer_id(ProducerId(txn.producer_id))
        .with_producer_epoch(txn.producer_epoch)
        .with_committed(commit);
    encode_request(ApiKey::EndTxn, header, &body)
}

pub fn decode_end_txn_response(
    frame: &[u8],
    version: i16,
) -> Result<EndTxnResponse, ProtocolError> {
    decode_response(ApiKey::EndTxn, version, frame, |r| {
        let throttle_time_ms = r.i32("throttle_time_ms")?;
        let error_code = r.i16("error_code")?;
        let (producer_id, producer_epoch) = if version >= 5 {
            (r.i64("producer_id")?, r.i16("producer_epoch")?)
        } else {
            (-1, -1)
        };
        if version >= 3 {
            r.skip_tagged_fields()?;
        }
        Ok(EndTxnResponse {
            throttle_time_ms,
            error_code,
            producer_id,
            producer_epoch,
        })
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::EndTxnResponse as CrateResponse;

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
        for version in 0..=5 {
            for commit in [true, false] {
                let header = RequestHeader {
                    api_version: version,
                    correlation_id: 6,
                    client_id: Some("test-client"),
                };
                let expected = EndTxnRequest::default()
                    .with_transactional_id(TransactionalId(StrBytes::from_static_str("etl-1")))
                    .with_producer_id(ProducerId(4000))
                    .with_producer_epoch(3)
                    .with_committed(commit);
                assert_eq!(
                    encode_end_txn_request(&header, &txn, commit).unwrap(),
                    crate_request(ApiKey::EndTxn, version, 6, &expected)
                );
            }
            let mut body = CrateResponse::default()
                .with_throttle_time_ms(1)
                .with_error_code(48);
            if version >= 5 {
                body = body
                    .with_producer_id(ProducerId(4000))
                    .with_producer_epoch(4);
            }
            let plain = crate_response(ApiKey::EndTxn, version, 6, &body);
            let (producer_id, producer_epoch) = if version >= 5 { (4000, 4) } else { (-1, -1) };
            assert_eq!(
                decode_end_txn_response(&plain, version).unwrap(),
                EndTxnResponse {
                    throttle_time_ms: 1,
                    error_code: 48,
                    producer_id,
                    producer_epoch,
                }
            );
            let tagged = (version >= 3).then(|| {
                let body = body.with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                crate_response_with_unknown_tags(ApiKey::EndTxn, version, 6, &body)
            });
            assert_lenient_where_safe(&plain, tagged.as_deref(), &[], |f| {
                decode_end_txn_response(f, version)
            });
        }
    }
}
