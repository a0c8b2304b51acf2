//! `FindCoordinator`: the broker that coordinates a transactional id (key type 1) or a group
//! (key type 0).

use kafka_protocol::messages::FindCoordinatorRequest;
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::wire::{DecodeResult, Reader};
use super::{ApiKey, ProtocolError};

pub const KEY_TYPE_GROUP: i8 = 0;
pub const KEY_TYPE_TRANSACTION: i8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinator {
    /// The key this entry answers; `None` before v4, where the response has one entry for the
    /// one key asked.
    pub key: Option<String>,
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub error_code: i16,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindCoordinatorResponse {
    pub throttle_time_ms: i32,
    pub coordinators: Vec<Coordinator>,
}

/// Versions before 4 carry exactly one key.
pub fn encode_find_coordinator_request(
    header: &RequestHeader<'_>,
    key_type: i8,
    keys: &[&str],
) -> Result<Vec<u8>, ProtocolError> {
    let version = header.api_version;
    let owned = |k: &&str| StrBytes::from_string((*k).to_owned());
    let body = if version >= 4 {
        FindCoordinatorRequest::default().with_coordinator_keys(keys.iter().map(owned).collect())
    } else {
        let [key] = keys else {
            return Err(ProtocolError::InvalidRequest {
                api: ApiKey::FindCoordinator,
                version,
                reason: format!("versions before 4 take exactly one key, not {}", keys.len()),
            });
        };
        FindCoordinatorRequest::default().with_key(owned(key))
    };
    encode_request(
        ApiKey::FindCoordinator,
        header,
        &body.with_key_type(key_type),
    )
}

pub fn decode_find_coordinator_response(
    frame: &[u8],
    version: i16,
) -> Result<FindCoordinatorResponse, ProtocolError> {
    decode_response(ApiKey::FindCoordinator, version, frame, |r| {
        body(r, version)
    })
}

fn body(r: &mut Reader<'_>, version: i16) -> DecodeResult<FindCoordinatorResponse> {
    let flexible = version >= 3;
    let throttle_time_ms = if version >= 1 {
        r.i32("throttle_time_ms")?
    } else {
        0
    };
    let coordinators = if version >= 4 {
        r.vec("coordinators", true, 13, |r| {
            let coordinator = Coordinator {
                key: Some(r.string("key", true)?),
                node_id: r.i32("node_id")?,
                host: r.string("host", true)?,
                port: r.i32("port")?,
                error_code: r.i16("error_code")?,
                error_message: r.nullable_string("error_message", true)?,
            };
            r.skip_tagged_fields()?;
            Ok(coordinator)
        })?
    } else {
        let error_code = r.i16("error_code")?;
        let error_message = if version >= 1 {
            r.nullable_string("error_message", flexible)?
        } else {
            None
        };
        vec![Coordinator {
            key: None,
            node_id: r.i32("node_id")?,
            host: r.string("host", flexible)?,
            port: r.i32("port")?,
            error_code,
            error_message,
        }]
    };
    if flexible {
        r.skip_tagged_fields()?;
    }
    Ok(FindCoordinatorResponse {
        throttle_time_ms,
        coordinators,
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::find_coordinator_response::Coordinator as CrateCoordinator;
    use kafka_protocol::messages::{BrokerId, FindCoordinatorResponse as CrateResponse};

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    #[test]
    fn round_trips_every_version() {
        for version in 1..=6 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 4,
                client_id: Some("test-client"),
            };
            let expected = if version >= 4 {
                FindCoordinatorRequest::default()
                    .with_coordinator_keys(vec![StrBytes::from_static_str("txn")])
            } else {
                FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("txn"))
            }
            .with_key_type(KEY_TYPE_TRANSACTION);
            assert_eq!(
                encode_find_coordinator_request(&header, KEY_TYPE_TRANSACTION, &["txn"]).unwrap(),
                crate_request(ApiKey::FindCoordinator, version, 4, &expected)
            );

            let body = if version >= 4 {
                CrateResponse::default().with_coordinators(vec![CrateCoordinator::default()
                    .with_key(StrBytes::from_static_str("txn"))
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("b2"))
                    .with_port(9093)
                    .with_error_message(None)])
            } else {
                CrateResponse::default()
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("b2"))
                    .with_port(9093)
                    .with_error_message(None)
            }
            .with_throttle_time_ms(3);
            let frame = crate_response(ApiKey::FindCoordinator, version, 4, &body);
            let response = decode_find_coordinator_response(&frame, version).unwrap();
            assert_eq!(response.throttle_time_ms, 3);
            let c = &response.coordinators[0];
            assert_eq!(
                (c.node_id, c.host.as_str(), c.port, c.error_code),
                (2, "b2", 9093, 0)
            );
            assert_eq!(
                c.key.as_deref(),
                if version >= 4 { Some("txn") } else { None }
            );
            assert_robust(&frame, |f| decode_find_coordinator_response(f, version));
        }
    }

    #[test]
    fn old_versions_take_one_key() {
        let header = RequestHeader {
            api_version: 3,
            correlation_id: 4,
            client_id: None,
        };
        let err = encode_find_coordinator_request(&header, 1, &["a", "b"]).unwrap_err();
        assert!(err.to_string().contains("exactly one key"), "{err}");
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 1..=6 {
            let flexible = version >= 3;
            let body = if version >= 4 {
                CrateResponse::default().with_coordinators(vec![CrateCoordinator::default()
                    .with_key(StrBytes::from_static_str("txn"))
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("broker-2"))
                    .with_port(9093)
                    .with_error_message(Some(StrBytes::from_static_str("all fine")))])
            } else {
                CrateResponse::default()
                    .with_node_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("broker-2"))
                    .with_port(9093)
                    .with_error_message(Some(StrBytes::from_static_str("all fine")))
            }
            .with_throttle_time_ms(3);
            let plain = crate_response(ApiKey::FindCoordinator, version, 4, &body);
            let tagged = flexible.then(|| {
                let mut body = body
                    .clone()
                    .with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                for coordinator in &mut body.coordinators {
                    coordinator
                        .unknown_tagged_fields
                        .insert(UNKNOWN_TAG, unknown());
                }
                crate_response_with_unknown_tags(ApiKey::FindCoordinator, version, 4, &body)
            });
            let string = if flexible {
                Prefix::Varint { plus_one: true }
            } else {
                Prefix::I16
            };
            let mut needles: Vec<&[u8]> = vec![b"broker-2", b"all fine"];
            if version >= 4 {
                needles.push(b"txn");
            }
            let too_long: Vec<_> = needles
                .into_iter()
                .map(|needle| length_past_the_end(&plain, needle, string))
                .collect();
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_find_coordinator_response(f, version)
            });
        }
    }
}
