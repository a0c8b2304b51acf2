//! `SaslHandshake` and `SaslAuthenticate`: the mechanism negotiation and the opaque token
//! exchange of SASL authentication (KIP-152). The tokens themselves (PLAIN, SCRAM,
//! OAUTHBEARER) are built by the caller.

use bytes::Bytes;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;

use super::frame::{decode_response, encode_request, RequestHeader};
use super::{ApiKey, ProtocolError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslHandshakeResponse {
    pub error_code: i16,
    /// The mechanisms the broker has enabled.
    pub mechanisms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslAuthenticateResponse {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub auth_bytes: Vec<u8>,
    /// 0 when the session does not expire or before v1 (KIP-368).
    pub session_lifetime_ms: i64,
}

pub fn encode_sasl_handshake_request(
    header: &RequestHeader<'_>,
    mechanism: &str,
) -> Result<Vec<u8>, ProtocolError> {
    let body =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_string(mechanism.to_owned()));
    encode_request(ApiKey::SaslHandshake, header, &body)
}

pub fn decode_sasl_handshake_response(
    frame: &[u8],
    version: i16,
) -> Result<SaslHandshakeResponse, ProtocolError> {
    decode_response(ApiKey::SaslHandshake, version, frame, |r| {
        Ok(SaslHandshakeResponse {
            error_code: r.i16("error_code")?,
            mechanisms: r.vec("mechanisms", false, 2, |r| r.string("mechanism", false))?,
        })
    })
}

pub fn encode_sasl_authenticate_request(
    header: &RequestHeader<'_>,
    auth_bytes: &[u8],
) -> Result<Vec<u8>, ProtocolError> {
    let body =
        SaslAuthenticateRequest::default().with_auth_bytes(Bytes::copy_from_slice(auth_bytes));
    encode_request(ApiKey::SaslAuthenticate, header, &body)
}

pub fn decode_sasl_authenticate_response(
    frame: &[u8],
    version: i16,
) -> Result<SaslAuthenticateResponse, ProtocolError> {
    decode_response(ApiKey::SaslAuthenticate, version, frame, |r| {
        let flexible = version >= 2;
        let response = SaslAuthenticateResponse {
            error_code: r.i16("error_code")?,
            error_message: r.nullable_string("error_message", flexible)?,
            auth_bytes: r
                .nullable_bytes("auth_bytes", flexible)?
                .unwrap_or_default()
                .to_vec(),
            session_lifetime_ms: if version >= 1 {
                r.i64("session_lifetime_ms")?
            } else {
                0
            },
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(response)
    })
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{
        SaslAuthenticateResponse as CrateAuthenticate, SaslHandshakeResponse as CrateHandshake,
    };

    use super::super::frame::test_support::{
        assert_lenient_where_safe, assert_robust, crate_request, crate_response,
        crate_response_with_unknown_tags, length_past_the_end, unknown, Prefix, UNKNOWN_TAG,
    };
    use super::*;

    #[test]
    fn handshake_round_trip() {
        for version in 0..=1 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 1,
                client_id: Some("test-client"),
            };
            let expected =
                SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN"));
            assert_eq!(
                encode_sasl_handshake_request(&header, "PLAIN").unwrap(),
                crate_request(ApiKey::SaslHandshake, version, 1, &expected)
            );
            let body = CrateHandshake::default().with_mechanisms(vec![
                StrBytes::from_static_str("PLAIN"),
                StrBytes::from_static_str("SCRAM-SHA-256"),
            ]);
            let frame = crate_response(ApiKey::SaslHandshake, version, 1, &body);
            let response = decode_sasl_handshake_response(&frame, version).unwrap();
            assert_eq!(response.mechanisms, ["PLAIN", "SCRAM-SHA-256"]);
            assert_robust(&frame, |f| decode_sasl_handshake_response(f, version));
        }
    }

    #[test]
    fn authenticate_round_trip() {
        for version in 0..=2 {
            let header = RequestHeader {
                api_version: version,
                correlation_id: 2,
                client_id: Some("test-client"),
            };
            let expected = SaslAuthenticateRequest::default()
                .with_auth_bytes(Bytes::from_static(b"\0alice\0secret"));
            assert_eq!(
                encode_sasl_authenticate_request(&header, b"\0alice\0secret").unwrap(),
                crate_request(ApiKey::SaslAuthenticate, version, 2, &expected)
            );
            let body = CrateAuthenticate::default()
                .with_error_message(None)
                .with_auth_bytes(Bytes::from_static(b"server-final"))
                .with_session_lifetime_ms(if version >= 1 { 3_600_000 } else { 0 });
            let frame = crate_response(ApiKey::SaslAuthenticate, version, 2, &body);
            let response = decode_sasl_authenticate_response(&frame, version).unwrap();
            assert_eq!(response.auth_bytes, b"server-final");
            assert_eq!(
                response.session_lifetime_ms,
                if version >= 1 { 3_600_000 } else { 0 }
            );
            assert_robust(&frame, |f| decode_sasl_authenticate_response(f, version));
        }
    }

    #[test]
    fn handshake_lenient_where_safe() {
        for version in 0..=1 {
            let body = CrateHandshake::default().with_mechanisms(vec![
                StrBytes::from_static_str("PLAIN"),
                StrBytes::from_static_str("SCRAM-SHA-256"),
            ]);
            let plain = crate_response(ApiKey::SaslHandshake, version, 1, &body);
            let mechanisms_count = [
                &plain[..6],
                &0x7fff_ffff_i32.to_be_bytes()[..],
                &plain[10..],
            ];
            let too_long = [
                mechanisms_count.concat(),
                length_past_the_end(&plain, b"SCRAM-SHA-256", Prefix::I16),
            ];
            // Never flexible: no tagged fields.
            assert_lenient_where_safe(&plain, None, &too_long, |f| {
                decode_sasl_handshake_response(f, version)
            });
        }
    }

    #[test]
    fn authenticate_lenient_where_safe() {
        for version in 0..=2 {
            let flexible = version >= 2;
            let body = CrateAuthenticate::default()
                .with_error_code(58)
                .with_error_message(Some(StrBytes::from_static_str("wrong password")))
                .with_auth_bytes(Bytes::from_static(b"server-final"))
                .with_session_lifetime_ms(if version >= 1 { 3_600_000 } else { 0 });
            let plain = crate_response(ApiKey::SaslAuthenticate, version, 2, &body);
            let tagged = flexible.then(|| {
                let body = body.with_unknown_tagged_field(UNKNOWN_TAG, unknown());
                crate_response_with_unknown_tags(ApiKey::SaslAuthenticate, version, 2, &body)
            });
            let (string, bytes) = if flexible {
                let compact = Prefix::Varint { plus_one: true };
                (compact, compact)
            } else {
                (Prefix::I16, Prefix::I32)
            };
            let too_long = [
                length_past_the_end(&plain, b"wrong password", string),
                length_past_the_end(&plain, b"server-final", bytes),
            ];
            assert_lenient_where_safe(&plain, tagged.as_deref(), &too_long, |f| {
                decode_sasl_authenticate_response(f, version)
            });
        }
    }
}
