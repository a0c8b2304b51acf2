//! `InitProducerId`: obtains the producer id and epoch that idempotence and transactions need,
//! and (v3+) bumps the epoch of a known producer id after an error (KIP-360).

use kafka_protocol::messages::{InitProducerIdRequest, ProducerId, TransactionalId};
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::{ApiKey, ProtocolError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitProducerIdResponse {
    pub throttle_time_ms: i32,
    pub error_code: i16,
    pub producer_id: i64,
    pub producer_epoch: i16,
}

/// `producer_id`/`producer_epoch` are -1 for a new producer; a known pair asks for an epoch
/// bump and needs v3+.
pub fn encode_init_producer_id_request(
    header: &RequestHeader<'_>,
    transactional_id: Option<&str>,
    transaction_timeout_ms: i32,
    producer_id: i64,
    producer_epoch: i16,
) -> Result<Vec<u8>, ProtocolError> {
    let body = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|id| TransactionalId(StrBytes::from_string(id.to_owned()))),
        )
        .with_transaction_timeout_ms(transaction_timeout_ms)
        .with_producer_id(ProducerId(producer_id))
        .with_producer_epoch(producer_epoch);
    encode_request(ApiKey::InitProducerId, header, &body)
}

pub fn decode_init_producer_id_response(
    frame: &[u8],
    version: i16,
) -> Result<InitProducerIdResponse, ProtocolError> {
    decode_response(ApiKey::InitProducerId, version, frame, |r| {
        let response = InitProducerIdResponse {
            throttle_time_ms: r.i32("throttle_time_ms")?,
            error_code: r.i16("error_code")?,
            producer_id: r.i64("producer_id")?,
            producer_epoch: r.i16("producer_epoch")?,
        };
        if version >= 2 {
            r.skip_tagged_fields()?;
        }
        Ok(response)
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::InitProducerIdResponse as CrateResponse;

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, unknown, UNKNOWN_TAG,
    };
    use super::*;

    #[test]
    fn round_trips_every_version() {
        for version in 0..=5 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 8,
                client_id: Some("test-client"),
            };
            let expected = InitProducerIdRequest::default()
                .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("t"))))
                .with_transaction_timeout_ms(60_000);
            assert_eq!(
                encode_init_producer_id_request(&header, Some("t"), 60_000, -1, -1).unwrap(),
                crate_request(ApiKey::InitProducerId, version, 8, &expected)
            );
            let body = CrateResponse::default()
                .with_throttle_time_ms(2)
                .with_producer_id(ProducerId(1234))
                .with_producer_epoch(5);
            let frame = crate_response(ApiKey::InitProducerId, version, 8, &body);
            assert_eq!(
                decode_init_producer_id_response(&frame, version).unwrap(),
                InitProducerIdResponse {
                    throttle_time_ms: 2,
                    error_code: 0,
                    producer_id: 1234,
                    producer_epoch: 5
                }
            );
            assert_robust(&frame, |f| decode_init_producer_id_response(f, version));
        }
    }

    #[test]
    fn epoch_bump_needs_v3() {
        let header = RequestHeader {
            api_version: 2,
            correlation_id: 8,
            client_id: None,
        };
        let err = encode_init_producer_id_request(&header, None, 0, 7, 1).unwrap_err();
        assert!(
            matches!(err, ProtocolError::InvalidRequest { version: 2, .. }),
            "{err}"
        );
        let header = RequestHeader {
            api_version: 3,
            ..header
        };
        assert!(encode_init_producer_id_request(&header, None, 0, 7, 1).is_ok());
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 0..=5 {
            let body = CrateResponse::default()
                .with_throttle_time_ms(2)
                .with_producer_id(ProducerId(1234))
                .with_producer_epoch(5);
            let plain = crate_response(ApiKey::InitProducerId, version, 8, &body);
            let tagged = (version >= 2).then(|| {
                let body = body.with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                crate_response_with_unknown_tags(ApiKey::InitProducerId, version, 8, &body)
            });
            // No length in this response but the tagged fields' sizes (checked with `tagged`).
            assert_lenient_where_safe(&plain, tagged.as_deref(), &[], |f| {
                decode_init_producer_id_response(f, version)
            });
        }
    }
}
