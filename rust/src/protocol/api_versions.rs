//! `ApiVersions`: the first request on every connection, which tells which versions of every
//! API the broker speaks, and (v3+) which cluster features are finalized, such as
//! `transaction.version` that decides between the two transaction protocols (KIP-890).

use kafka_protocol::messages::ApiVersionsRequest;
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::wire::{DecodeResult, Reader};
use super::{ApiKey, ProtocolError, UNSUPPORTED_VERSION};

/// Sent in v3+ requests; the broker shows them in its client metrics.
const CLIENT_SOFTWARE_NAME: &str = "ferrokafka";
const CLIENT_SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersionRange {
    pub api_key: i16,
    pub min_version: i16,
    pub max_version: i16,
}

/// A feature and its version range: supported by the broker, or finalized for the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub min_version: i16,
    pub max_version: i16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsResponse {
    /// `UNSUPPORTED_VERSION` (35) means the broker did not speak the requested `ApiVersions`
    /// version; `api_keys` then holds its own `ApiVersions` range to retry with.
    pub error_code: i16,
    pub api_keys: Vec<ApiVersionRange>,
    pub throttle_time_ms: i32,
    pub supported_features: Vec<Feature>,
    /// -1 when the broker sent no finalized features.
    pub finalized_features_epoch: i64,
    pub finalized_features: Vec<Feature>,
}

pub fn encode_api_versions_request(header: &RequestHeader<'_>) -> Result<Vec<u8>, ProtocolError> {
    let body = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str(CLIENT_SOFTWARE_NAME))
        .with_client_software_version(StrBytes::from_static_str(CLIENT_SOFTWARE_VERSION));
    encode_request(ApiKey::ApiVersions, header, &body)
}

/// Decodes an `ApiVersions` response to a request sent with `version`.
///
/// A broker that does not support `version` answers in the v0 format with error
/// `UNSUPPORTED_VERSION`, whatever was asked; such an answer is recognised by its error code
/// and read as v0.
pub fn decode_api_versions_response(
    frame: &[u8],
    version: i16,
) -> Result<ApiVersionsResponse, ProtocolError> {
    let decode_as = |v: i16| decode_response(ApiKey::ApiVersions, v, frame, |r| body(r, v));
    let error_code = frame.get(4..6).map(|b| i16::from_be_bytes([b[0], b[1]]));
    if version > 0 && error_code == Some(UNSUPPORTED_VERSION) {
        if let Ok(response) = decode_as(0) {
            return Ok(response);
        }
    }
    decode_as(version)
}

fn body(r: &mut Reader<'_>, version: i16) -> DecodeResult<ApiVersionsResponse> {
    let flexible = version >= 3;
    let error_code = r.i16("error_code")?;
    let api_keys = r.vec("api_keys", flexible, 6, |r| {
        let range = ApiVersionRange {
            api_key: r.i16("api_key")?,
            min_version: r.i16("min_version")?,
            max_version: r.i16("max_version")?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(range)
    })?;
    let throttle_time_ms = if version >= 1 {
        r.i32("throttle_time_ms")?
    } else {
        0
    };
    let mut response = ApiVersionsResponse {
        error_code,
        api_keys,
        throttle_time_ms,
        supported_features: Vec::new(),
        finalized_features_epoch: -1,
        finalized_features: Vec::new(),
    };
    if flexible {
        r.tagged_fields(|tag, field| {
            match tag {
                0 => response.supported_features = features(field, false)?,
                1 => response.finalized_features_epoch = field.i64("finalized_features_epoch")?,
                2 => response.finalized_features = features(field, true)?,
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(response)
}

/// Supported features are (name, min, max); finalized ones (name, max level, min level).
fn features(r: &mut Reader<'_>, finalized: bool) -> DecodeResult<Vec<Feature>> {
    r.vec("features", true, 6, |r| {
        let name = r.string("feature name", true)?;
        let first = r.i16("feature version")?;
        let second = r.i16("feature version")?;
        r.skip_tagged_fields()?;
        let (min_version, max_version) = if finalized {
            (second, first)
        } else {
            (first, second)
        };
        Ok(Feature {
            name,
            min_version,
            max_version,
        })
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::api_versions_response::{
        ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
    };
    use kafka_protocol::messages::ApiVersionsResponse as CrateResponse;

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    fn sample() -> CrateResponse {
        CrateResponse::default()
            .with_error_code(0)
            .with_throttle_time_ms(7)
            .with_api_keys(vec![
                ApiVersion::default()
                    .with_api_key(0)
                    .with_min_version(3)
                    .with_max_version(13),
                ApiVersion::default()
                    .with_api_key(18)
                    .with_min_version(0)
                    .with_max_version(4),
            ])
            .with_supported_features(vec![SupportedFeatureKey::default()
                .with_name(StrBytes::from_static_str("transaction.version"))
                .with_min_version(0)
                .with_max_version(2)])
            .with_finalized_features_epoch(12)
            .with_finalized_features(vec![FinalizedFeatureKey::default()
                .with_name(StrBytes::from_static_str("transaction.version"))
                .with_min_version_level(2)
                .with_max_version_level(2)])
    }

    #[test]
    fn request_matches_the_crate() {
        for version in 0..=4 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 3,
                client_id: Some("test-client"),
            };
            let expected = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("ferrokafka"))
                .with_client_software_version(StrBytes::from_static_str(CLIENT_SOFTWARE_VERSION));
            assert_eq!(
                encode_api_versions_request(&header).unwrap(),
                crate_request(ApiKey::ApiVersions, version, 3, &expected)
            );
        }
    }

    #[test]
    fn decodes_every_version() {
        for version in 0..=4 {
            let frame = crate_response(ApiKey::ApiVersions, version, 9, &sample());
            let response = decode_api_versions_response(&frame, version).unwrap();
            assert_eq!(response.api_keys.len(), 2);
            assert_eq!(
                response.api_keys[0],
                ApiVersionRange {
                    api_key: 0,
                    min_version: 3,
                    max_version: 13
                }
            );
            assert_eq!(response.throttle_time_ms, if version >= 1 { 7 } else { 0 });
            if version >= 3 {
                assert_eq!(response.finalized_features_epoch, 12);
                assert_eq!(
                    response.finalized_features,
                    vec![Feature {
                        name: "transaction.version".into(),
                        min_version: 2,
                        max_version: 2
                    }]
                );
                assert_eq!(response.supported_features[0].max_version, 2);
            }
            assert_robust(&frame, |f| decode_api_versions_response(f, version));
        }
    }

    /// `sample()` with an unknown tagged field at every level that has tagged fields.
    fn sample_with_unknown_tags() -> CrateResponse {
        let mut response = sample().with_unknown_tagged_field(UNKNOWN_TAG, unknown());
        for key in &mut response.api_keys {
            key.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
        }
        for feature in &mut response.supported_features {
            feature.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
        }
        for feature in &mut response.finalized_features {
            feature.unknown_tagged_fields.insert(UNKNOWN_TAG, unknown());
        }
        response
    }

    #[test]
    fn lenient_where_safe_at_every_version() {
        for version in 0..=4 {
            let plain = crate_response(ApiKey::ApiVersions, version, 9, &sample());
            let flexible = version >= 3;
            let tagged = flexible.then(|| {
                crate_response_with_unknown_tags(
                    ApiKey::ApiVersions,
                    version,
                    9,
                    &sample_with_unknown_tags(),
                )
            });
            // The api_keys count (after the correlation id and the error code), then a feature
            // name, reaching past the end.
            let mut too_long = vec![if flexible {
                [&plain[..6], &[0xff, 0xff, 0xff, 0x7f], &plain[7..]].concat()
            } else {
                [
                    &plain[..6],
                    &0x7fff_ffff_i32.to_be_bytes()[..],
                    &plain[10..],
                ]
                .concat()
            }];
            if flexible {
                let name = b"transaction.version";
                too_long.push(length_past_the_end(
                    &plain,
                    name,
                    Prefix::Varint { plus_one: true },
                ));
            }
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_api_versions_response(f, version)
            });
        }
    }

    #[test]
    fn tansu_answer_with_a_tag_unknown_here_decodes() {
        // What tansu 0.6 (a Kafka-compatible broker) answers to ApiVersions v4, shortened to
        // two APIs: after the features comes tag 3 (ZkMigrationReady, which a Kafka broker
        // sends only when true), one byte that this decoder does not read and once refused as
        // "1 unexpected bytes after the end of the message".
        let mut frame = vec![0, 0, 0, 42, 0, 0, 3];
        frame.extend_from_slice(&[0, 0, 0, 3, 0, 12, 0]); // Produce v0..=12
        frame.extend_from_slice(&[0, 18, 0, 0, 0, 4, 0]); // ApiVersions v0..=4
        frame.extend_from_slice(&[0, 0, 0, 0]); // throttle
        frame.extend_from_slice(&[4, 0, 1, 1, 1, 8]);
        frame.extend_from_slice(&[0xff; 8]);
        frame.extend_from_slice(&[2, 1, 1, 3, 1, 0]);
        let response = decode_api_versions_response(&frame, 4).unwrap();
        assert_eq!(response.api_keys.len(), 2);
        assert_eq!(response.finalized_features_epoch, -1);
        let with_extra = [&frame[..], &[0]].concat();
        assert_eq!(
            decode_api_versions_response(&with_extra, 4).unwrap(),
            response
        );
        // The same tag as the crate writes it.
        let expected = crate_response(ApiKey::ApiVersions, 4, 9, &sample());
        let migrating = sample().with_zk_migration_ready(true);
        let frame = crate_response(ApiKey::ApiVersions, 4, 9, &migrating);
        assert_ne!(frame, expected);
        assert_eq!(
            decode_api_versions_response(&frame, 4),
            decode_api_versions_response(&expected, 4)
        );
    }

    #[test]
    fn unsupported_version_answer_is_read_as_v0() {
        let v0 = CrateResponse::default()
            .with_error_code(UNSUPPORTED_VERSION)
            .with_api_keys(vec![ApiVersion::default()
                .with_api_key(18)
                .with_min_version(0)
                .with_max_version(2)]);
        let frame = crate_response(ApiKey::ApiVersions, 0, 1, &v0);
        for asked in 0..=4 {
            let response = decode_api_versions_response(&frame, asked).unwrap();
            assert_eq!(response.error_code, UNSUPPORTED_VERSION);
            assert_eq!(response.api_keys[0].max_version, 2);
        }
    }
}
