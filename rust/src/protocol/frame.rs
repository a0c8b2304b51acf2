//! Request frames (size prefix + request header + body) and response headers.

use kafka_protocol::protocol::Encodable;

use super::wire::{DecodeError, Reader};
use super::{check_version, ApiKey, ProtocolError};

/// What every request header carries besides the API key, which each encoder knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHeader<'a> {
    pub api_version: i16,
    pub correlation_id: i32,
    /// Sent in every request so that broker logs and quotas can name the client.
    pub client_id: Option<&'a str>,
}

/// Starts a frame: a size placeholder, then request header v1 or v2 (flexible versions) as
/// the schema of `api` says. The header is written here rather than with the crate's
/// `RequestHeader` so that the hot Produce path does not copy the client id per request.
pub(crate) fn begin_request(
    api: ApiKey,
    header: &RequestHeader<'_>,
    body_capacity: usize,
) -> Result<Vec<u8>, ProtocolError> {
    check_version(api, header.api_version)?;
    let client_id = header.client_id.map(str::as_bytes);
    let client_id_len = match client_id {
        None => -1,
        Some(id) => i16::try_from(id.len()).map_err(|_| ProtocolError::InvalidRequest {
            api,
            version: header.api_version,
            reason: format!("client_id is {} bytes long, the limit is 32767", id.len()),
        })?,
    };
    let mut buf = Vec::with_capacity(4 + 10 + client_id.map_or(0, <[u8]>::len) + 1 + body_capacity);
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(&(api as i16).to_be_bytes());
    buf.extend_from_slice(&header.api_version.to_be_bytes());
    buf.extend_from_slice(&header.correlation_id.to_be_bytes());
    buf.extend_from_slice(&client_id_len.to_be_bytes());
    if let Some(id) = client_id {
        buf.extend_from_slice(id);
    }
    if api.request_header_version(header.api_version) >= 2 {
        // No tagged fields.
        buf.push(0);
    }
    Ok(buf)
}

/// Fills in the size prefix.
pub(crate) fn finish_request(
    api: ApiKey,
    version: i16,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>, ProtocolError> {
    let size = i32::try_from(buf.len() - 4).map_err(|_| ProtocolError::InvalidRequest {
        api,
        version,
        reason: format!(
            "request of {} bytes exceeds the protocol's 2 GiB limit",
            buf.len()
        ),
    })?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

/// Encodes a request whose body is one of the crate's generated messages.
pub(crate) fn encode_request<T: Encodable>(
    api: ApiKey,
    header: &RequestHeader<'_>,
    body: &T,
) -> Result<Vec<u8>, ProtocolError> {
    let version = header.api_version;
    check_version(api, version)?;
    let invalid = |reason: String| ProtocolError::InvalidRequest {
        api,
        version,
        reason,
    };
    let size = body
        .compute_size(version)
        .map_err(|e| invalid(e.to_string()))?;
    let mut buf = begin_request(api, header, size)?;
    body.encode(&mut buf, version)
        .map_err(|e| invalid(e.to_string()))?;
    finish_request(api, version, buf)
}

/// The correlation id of a response frame (without its size prefix), if it has one.
pub fn response_correlation_id(frame: &[u8]) -> Option<i32> {
    frame
        .get(..4)
        .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Skips the response header (v0: correlation id; v1: plus tagged fields; `ApiVersions` always
/// v0 so that a client can read it whatever version it asked for) and returns the body.
pub(crate) fn response_body(
    api: ApiKey,
    version: i16,
    frame: &[u8],
) -> Result<Reader<'_>, ProtocolError> {
    check_version(api, version)?;
    let malformed = |reason| ProtocolError::Malformed {
        api,
        version,
        reason,
    };
    let mut reader = Reader::new(frame);
    reader.i32("correlation id").map_err(malformed)?;
    if api.response_header_version(version) >= 1 {
        reader.skip_tagged_fields().map_err(malformed)?;
    }
    Ok(reader)
}

/// Runs a body decoder and wraps its error with the API and version.
///
/// Bytes after the last field the version defines are ignored, as Kafka's `NetworkClient`
/// (which parses the body from a buffer and never checks that it was consumed) and librdkafka
/// do: a broker that speaks the protocol without being Kafka may send more than the schema
/// defines, and the other clients never notice. Nothing is logged or counted for them: a
/// broker that does it does it in every response, so a log line would repeat on the hot path
/// without telling anything new, and the fields that were read are exactly what a stricter
/// reader would have read.
pub(crate) fn decode_response<'a, T>(
    api: ApiKey,
    version: i16,
    frame: &'a [u8],
    body: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, ProtocolError> {
    let mut reader = response_body(api, version, frame)?;
    body(&mut reader).map_err(|reason| ProtocolError::Malformed {
        api,
        version,
        reason,
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the codec tests: the crate's own encoders act as the oracle.

    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::{RequestHeader as CrateHeader, ResponseHeader};
    use kafka_protocol::protocol::{Encodable, StrBytes};

    use super::ApiKey;

    pub fn crate_request(api: ApiKey, version: i16, corr: i32, body: &impl Encodable) -> Vec<u8> {
        let header = CrateHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(corr)
            .with_client_id(Some(StrBytes::from_static_str("test-client")));
        let mut buf = BytesMut::new();
        header
            .encode(&mut buf, api.request_header_version(version))
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        let mut out = (buf.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(&buf);
        out
    }

    pub fn crate_response(api: ApiKey, version: i16, corr: i32, body: &impl Encodable) -> Vec<u8> {
        encode_response(api, version, ResponseHeader::default(), corr, body)
    }

    /// Like [`crate_response`], with an unknown tagged field in the response header too (where
    /// the header has tagged fields). The body's own unknown fields are the caller's: the
    /// crate's messages carry them with `with_unknown_tagged_field`.
    pub fn crate_response_with_unknown_tags(
        api: ApiKey,
        version: i16,
        corr: i32,
        body: &impl Encodable,
    ) -> Vec<u8> {
        let header = ResponseHeader::default().with_unknown_tagged_field(UNKNOWN_TAG, unknown());
        encode_response(api, version, header, corr, body)
    }

    fn encode_response(
        api: ApiKey,
        version: i16,
        header: ResponseHeader,
        corr: i32,
        body: &impl Encodable,
    ) -> Vec<u8> {
        let mut buf = BytesMut::new();
        header
            .with_correlation_id(corr)
            .encode(&mut buf, api.response_header_version(version))
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        buf.to_vec()
    }

    /// A tag past every tag the schemas define today: what a newer broker could add.
    pub const UNKNOWN_TAG: i32 = 9000;
    /// The value of the unknown tagged fields; unique in a frame, so that tests can find it.
    pub const UNKNOWN_VALUE: &[u8] = b"\x00\xff a newer field";
    /// What a broker may append after the last field a version defines.
    pub const TRAILING: &[u8] = &[0, 1, 0x7f, 0xff, 0x80];

    pub fn unknown() -> Bytes {
        Bytes::from_static(UNKNOWN_VALUE)
    }

    /// How a length is written in front of a string or byte array.
    #[derive(Debug, Clone, Copy)]
    pub enum Prefix {
        /// Classic strings.
        I16,
        /// Classic byte arrays.
        I32,
        /// Compact strings and byte arrays (length + 1), and tagged field sizes (length).
        Varint { plus_one: bool },
    }

    /// `frame` with the length in front of `needle` (its first occurrence) replaced by one that
    /// reaches far past the end of the frame.
    pub fn length_past_the_end(frame: &[u8], needle: &[u8], prefix: Prefix) -> Vec<u8> {
        let at = *occurrences(frame, needle)
            .first()
            .expect("needle in the frame");
        length_past_the_end_at(frame, at, needle.len(), prefix)
    }

    fn occurrences(frame: &[u8], needle: &[u8]) -> Vec<usize> {
        frame
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(at, _)| at)
            .collect()
    }

    fn length_past_the_end_at(frame: &[u8], at: usize, len: usize, prefix: Prefix) -> Vec<u8> {
        let (width, current, huge): (usize, i64, Vec<u8>) = match prefix {
            Prefix::I16 => (
                2,
                i64::from(i16::from_be_bytes([frame[at - 2], frame[at - 1]])),
                0x7fff_i16.to_be_bytes().to_vec(),
            ),
            Prefix::I32 => (
                4,
                i64::from(i32::from_be_bytes([
                    frame[at - 4],
                    frame[at - 3],
                    frame[at - 2],
                    frame[at - 1],
                ])),
                0x7fff_ffff_i32.to_be_bytes().to_vec(),
            ),
            Prefix::Varint { plus_one } => {
                // Every needle used is shorter than 127 bytes: its length is one varint byte.
                let current = i64::from(frame[at - 1]) - i64::from(plus_one);
                (1, current, vec![0xff, 0xff, 0xff, 0x7f])
            }
        };
        assert_eq!(current, len as i64, "the length in front of the needle");
        let mut out = frame[..at - width].to_vec();
        out.extend_from_slice(&huge);
        out.extend_from_slice(&frame[at..]);
        out
    }

    /// What every response decoder must do with what a broker may send:
    /// - bytes after the last field, and unknown tagged fields (in `tagged`, the same response
    ///   as `plain` with unknown fields in it, for flexible versions), decode to what `plain`
    ///   decodes to;
    /// - a length reaching past the end of the frame (each of `too_long`, and the unknown
    ///   field's size in `tagged`) and a truncated frame (every strict prefix) are refused.
    pub fn assert_lenient_where_safe<T: PartialEq + std::fmt::Debug>(
        plain: &[u8],
        tagged: Option<&[u8]>,
        too_long: &[Vec<u8>],
        decode: impl Fn(&[u8]) -> Result<T, super::ProtocolError>,
    ) {
        let expected = decode(plain).unwrap();
        let trailing = [plain, TRAILING].concat();
        assert_eq!(decode(&trailing).unwrap(), expected, "with trailing bytes");
        if let Some(tagged) = tagged {
            assert_ne!(tagged, plain, "the unknown tagged fields were encoded");
            assert_eq!(
                decode(tagged).unwrap(),
                expected,
                "with unknown tagged fields"
            );
            let both = [tagged, TRAILING].concat();
            assert_eq!(decode(&both).unwrap(), expected, "with both");
            let unknown_fields = occurrences(tagged, UNKNOWN_VALUE);
            assert!(!unknown_fields.is_empty());
            for at in unknown_fields {
                let size = Prefix::Varint { plus_one: false };
                let bad = length_past_the_end_at(tagged, at, UNKNOWN_VALUE.len(), size);
                assert_frame_ends_inside(&decode(&bad), "tagged field size");
            }
            assert_robust(tagged, &decode);
        }
        for bad in too_long {
            assert_frame_ends_inside(&decode(bad), "a length");
        }
        assert_robust(plain, &decode);
    }

    fn assert_frame_ends_inside<T: std::fmt::Debug>(
        result: &Result<T, super::ProtocolError>,
        what: &str,
    ) {
        let err = result.as_ref().expect_err(what).to_string();
        assert!(err.contains("frame ends inside"), "{what}: {err}");
    }

    /// Every strict prefix of a valid frame, and a few byte flips, must decode to an error
    /// (or, for flips, to anything) without panicking.
    pub fn assert_robust<T>(
        frame: &[u8],
        decode: impl Fn(&[u8]) -> Result<T, super::ProtocolError>,
    ) {
        for cut in 0..frame.len() {
            assert!(
                decode(&frame[..cut]).is_err(),
                "prefix of {cut} bytes decoded"
            );
        }
        let mut flipped = frame.to_vec();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = decode(&flipped);
            flipped[i] ^= 0xff;
        }
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};

    use super::test_support::crate_request;
    use super::*;

    #[test]
    fn headers_match_the_crate_for_every_version() {
        for (api, range) in super::super::SUPPORTED_VERSIONS {
            for version in range.min..=range.max {
                let header = RequestHeader {
                    api_version: version,
                    correlation_id: 77,
                    client_id: Some("test-client"),
                };
                let ours =
                    finish_request(api, version, begin_request(api, &header, 0).unwrap()).unwrap();
                // An empty body: compare the header part of a crate-built frame.
                let theirs = match api {
                    ApiKey::ApiVersions => {
                        crate_request(api, version, 77, &ApiVersionsRequest::default())
                    }
                    _ => crate_request(api, version, 77, &MetadataRequest::default()),
                };
                assert_eq!(ours[4..], theirs[4..ours.len()], "{api:?} v{version}");
            }
        }
    }

    #[test]
    fn null_client_id_and_version_checks() {
        let header = RequestHeader {
            api_version: 99,
            correlation_id: 1,
            client_id: None,
        };
        let err = begin_request(ApiKey::Metadata, &header, 0).unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::UnsupportedVersion { version: 99, .. }
        ));
        let header = RequestHeader {
            api_version: 4,
            ..header
        };
        let frame = begin_request(ApiKey::Metadata, &header, 0).unwrap();
        assert_eq!(frame[12..14], [0xff, 0xff]);
    }

    #[test]
    fn response_header_versions() {
        // Metadata v9+ responses carry tagged fields after the correlation id.
        let frame = [0, 0, 0, 5, 0];
        assert_eq!(
            response_body(ApiKey::Metadata, 9, &frame)
                .unwrap()
                .remaining(),
            0
        );
        assert_eq!(
            response_body(ApiKey::Metadata, 8, &frame)
                .unwrap()
                .remaining(),
            1
        );
        // ApiVersions never does.
        assert_eq!(
            response_body(ApiKey::ApiVersions, 4, &frame)
                .unwrap()
                .remaining(),
            1
        );
        assert_eq!(response_correlation_id(&frame), Some(5));
        assert_eq!(response_correlation_id(&frame[..3]), None);
    }
}
