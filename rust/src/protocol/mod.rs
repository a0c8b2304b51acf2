//! The Kafka wire codec: request encoding and response decoding, no I/O.
//!
//! Every request is encoded into a complete frame, 4-byte size prefix included, ready to be
//! written to a socket. Every response is decoded from the frame *without* its size prefix
//! (it starts at the correlation id) into a plain, version-independent struct, so that the
//! sender never deals with a particular protocol version.
//!
//! Requests are built with the `kafka-protocol` crate's generated messages, except Produce,
//! whose body is written here straight from borrowed record batches (see [`produce`]).
//! Responses are decoded by hand with bounds checks, see [`wire`] for why.
//!
//! Versions implemented are listed in [`SUPPORTED_VERSIONS`]. Picking the version to use with a
//! broker is the connection's job (`ferrokafka._connection.BrokerConnection.api_version`): it
//! holds the broker's `ApiVersions` answer, and its callers narrow the range per request.

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod api_versions;
pub mod end_txn;
pub mod find_coordinator;
mod frame;
pub mod init_producer_id;
pub mod metadata;
pub mod produce;
pub mod sasl;
pub mod txn_offset_commit;
pub mod wire;

pub use add_offsets_to_txn::{
    decode_add_offsets_to_txn_response, encode_add_offsets_to_txn_request, TxnErrorResponse,
};
pub use add_partitions_to_txn::{
    decode_add_partitions_to_txn_response, encode_add_partitions_to_txn_request,
    AddPartitionsToTxnResponse, TxnIdentity, TxnPartitionResult,
};
pub use api_versions::{
    decode_api_versions_response, encode_api_versions_request, ApiVersionRange, ApiVersionsResponse,
};
pub use end_txn::{decode_end_txn_response, encode_end_txn_request, EndTxnResponse};
pub use find_coordinator::{
    decode_find_coordinator_response, encode_find_coordinator_request, Coordinator,
    FindCoordinatorResponse,
};
pub use frame::{response_correlation_id, RequestHeader};
pub use init_producer_id::{
    decode_init_producer_id_response, encode_init_producer_id_request, InitProducerIdResponse,
};
pub use kafka_protocol::messages::ApiKey;
pub use kafka_protocol::protocol::VersionRange;
pub use metadata::{
    decode_metadata_response, encode_metadata_request, MetadataBroker, MetadataPartition,
    MetadataResponse, MetadataTopic,
};
pub use produce::{
    decode_produce_response, encode_produce_request, LeaderHint, NodeEndpoint,
    PartitionProduceResult, ProduceResponse, RecordError,
};
pub use sasl::{
    decode_sasl_authenticate_response, decode_sasl_handshake_response,
    encode_sasl_authenticate_request, encode_sasl_handshake_request, SaslAuthenticateResponse,
    SaslHandshakeResponse,
};
pub use txn_offset_commit::{
    decode_txn_offset_commit_response, encode_txn_offset_commit_request, GroupMetadata, TxnOffset,
    TxnOffsetCommitResponse,
};

use wire::DecodeError;

/// The error code a broker answers with when it does not support the requested version.
pub const UNSUPPORTED_VERSION: i16 = 35;

/// The versions this codec implements, per API.
///
/// Metadata starts at v4, the first that can turn off topic auto-creation (Kafka 0.11, like
/// Produce v3 and record batch v2).
///
/// Produce stops at v12: v13 (Kafka 4.1+) addresses topics by id instead of name, which needs
/// topic ids in the metadata cache and in every batch's routing first.
///
/// `AddPartitionsToTxn` stops at v3, the last form a client may send (v4+ batches several
/// transactions, from brokers to coordinators). `EndTxn` v5 and `TxnOffsetCommit` v5 belong to
/// transactions v2 (KIP-890 part 2); the transaction manager asks for them only where it uses
/// that protocol.
pub const SUPPORTED_VERSIONS: [(ApiKey, VersionRange); 11] = [
    (ApiKey::Produce, VersionRange { min: 3, max: 12 }),
    (ApiKey::Metadata, VersionRange { min: 4, max: 13 }),
    (ApiKey::FindCoordinator, VersionRange { min: 1, max: 6 }),
    (ApiKey::SaslHandshake, VersionRange { min: 0, max: 1 }),
    (ApiKey::ApiVersions, VersionRange { min: 0, max: 4 }),
    (ApiKey::InitProducerId, VersionRange { min: 0, max: 5 }),
    (ApiKey::SaslAuthenticate, VersionRange { min: 0, max: 2 }),
    (ApiKey::AddPartitionsToTxn, VersionRange { min: 0, max: 3 }),
    (ApiKey::AddOffsetsToTxn, VersionRange { min: 0, max: 4 }),
    (ApiKey::EndTxn, VersionRange { min: 0, max: 5 }),
    (ApiKey::TxnOffsetCommit, VersionRange { min: 0, max: 5 }),
];

/// Everything that can go wrong in the codec. Messages name the API and the version.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    #[error("malformed {api:?} v{version} response: {reason}")]
    Malformed {
        api: ApiKey,
        version: i16,
        reason: DecodeError,
    },
    #[error(
        "{api:?} v{version} is not implemented by this client (it implements v{}..=v{})",
        supported.min,
        supported.max
    )]
    UnsupportedVersion {
        api: ApiKey,
        version: i16,
        supported: VersionRange,
    },
    #[error("cannot encode {api:?} v{version} request: {reason}")]
    InvalidRequest {
        api: ApiKey,
        version: i16,
        reason: String,
    },
}

/// The range of versions this codec implements for `api`, if it implements it at all.
pub fn supported_range(api: ApiKey) -> Option<VersionRange> {
    SUPPORTED_VERSIONS
        .iter()
        .find(|(key, _)| *key == api)
        .map(|(_, range)| *range)
}

pub(crate) fn check_version(api: ApiKey, version: i16) -> Result<(), ProtocolError> {
    let supported = supported_range(api).unwrap_or(VersionRange { min: 0, max: -1 });
    if version < supported.min || version > supported.max {
        return Err(ProtocolError::UnsupportedVersion {
            api,
            version,
            supported,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every decoder at every version, fed arbitrary bytes, returns instead of panicking.
    fn decode_any(frame: &[u8]) {
        for (api, range) in SUPPORTED_VERSIONS {
            for version in range.min..=range.max {
                let _ = match api {
                    ApiKey::Produce => decode_produce_response(frame, version).map(drop),
                    ApiKey::Metadata => decode_metadata_response(frame, version).map(drop),
                    ApiKey::FindCoordinator => {
                        decode_find_coordinator_response(frame, version).map(drop)
                    }
                    ApiKey::SaslHandshake => {
                        decode_sasl_handshake_response(frame, version).map(drop)
                    }
                    ApiKey::ApiVersions => decode_api_versions_response(frame, version).map(drop),
                    ApiKey::InitProducerId => {
                        decode_init_producer_id_response(frame, version).map(drop)
                    }
                    ApiKey::SaslAuthenticate => {
                        decode_sasl_authenticate_response(frame, version).map(drop)
                    }
                    ApiKey::AddPartitionsToTxn => {
                        decode_add_partitions_to_txn_response(frame, version).map(drop)
                    }
                    ApiKey::AddOffsetsToTxn => {
                        decode_add_offsets_to_txn_response(frame, version).map(drop)
                    }
                    ApiKey::EndTxn => decode_end_txn_response(frame, version).map(drop),
                    ApiKey::TxnOffsetCommit => {
                        decode_txn_offset_commit_response(frame, version).map(drop)
                    }
                    _ => unreachable!(),
                };
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn random_frames_never_panic(frame in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            decode_any(&frame);
        }

        #[test]
        fn frames_announcing_huge_counts_never_panic(
            prefix in proptest::collection::vec(proptest::num::u8::ANY, 0..24),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..24),
        ) {
            // Sprinkle maximal lengths (i32 and varint forms) where arrays and strings start.
            let mut frame = prefix;
            frame.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
            frame.extend_from_slice(&tail);
            decode_any(&frame);
        }
    }

    #[test]
    fn hostile_metadata_counts_are_rejected_without_allocating() {
        // correlation id, throttle, then 2^31-1 brokers in 8 bytes.
        let frame = [0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        let err = decode_metadata_response(&frame, 8).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("malformed Metadata v8 response: frame ends inside brokers"),
            "{err}"
        );
    }

    #[test]
    fn supported_versions_are_within_the_crate_schemas() {
        for (api, ours) in SUPPORTED_VERSIONS {
            let schema = api.valid_versions();
            assert!(ours.min >= schema.min && ours.max <= schema.max, "{api:?}");
        }
    }
}
