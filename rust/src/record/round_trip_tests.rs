//! Property tests of the record layer: whatever the builder appends, seals or splits, the reader
//! decodes back unchanged, with every codec.

use proptest::prelude::*;

use super::batch_header::ProducerStamp;
use super::builder::{BatchBuilder, Header};
use super::compression::{Codec, Compression};
use super::reader::decode_batches;

type Record = (
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

fn record() -> impl Strategy<Value = Record> {
    let bytes = proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300));
    // A small key alphabet makes duplicate header keys common.
    let header = ("[a-c\u{e9}\u{1F600}]{0,3}", bytes.clone());
    (
        -1_i64..(1_i64 << 45),
        bytes.clone(),
        bytes,
        proptest::collection::vec(header, 0..5),
    )
}

fn compression() -> impl Strategy<Value = Compression> {
    (0..Codec::ALL.len(), any::<u32>()).prop_map(|(index, raw)| {
        let codec = Codec::ALL[index];
        let level = codec.level_range().and_then(|(min, max, _)| {
            // Keep zstd to its fast half; its negative levels are quick too.
            let (min, max) = if codec == Codec::Zstd {
                (-50, 6)
            } else {
                (min, max)
            };
            (raw % 3 != 0).then(|| min + (raw % (max - min + 1) as u32) as i32)
        });
        Compression::new(codec, level).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn round_trip(
        base in -1_i64..(1_i64 << 45),
        records in proptest::collection::vec(record(), 0..40),
        compression in compression(),
        producer_id in -1_i64..1_000_000,
        producer_epoch in -1_i16..100,
        base_sequence in -1_i32..i32::MAX,
        transactional: bool,
    ) {
        let mut builder = BatchBuilder::new(base, 0);
        for (timestamp, key, value, headers) in &records {
            let headers: Vec<Header<'_>> = headers
                .iter()
                .map(|(k, v)| Header { key: k, value: v.as_deref() })
                .collect();
            let expected = builder.size_of_next(*timestamp, key.as_deref(), value.as_deref(), &headers);
            let before = builder.size_in_bytes();
            let size = builder.append(*timestamp, key.as_deref(), value.as_deref(), &headers);
            prop_assert_eq!(size, expected);
            prop_assert_eq!(builder.size_in_bytes(), before + size);
        }
        let stamp = ProducerStamp { producer_id, producer_epoch, base_sequence, transactional };
        let sealed = builder.seal(&stamp, &compression).unwrap();
        if compression.codec == Codec::None {
            prop_assert_eq!(sealed.len(), builder.size_in_bytes());
        }
        let batches = decode_batches(&sealed).unwrap();
        prop_assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        prop_assert_eq!(batch.codec, compression.codec);
        prop_assert_eq!(batch.transactional, transactional);
        prop_assert_eq!(batch.producer_id, producer_id);
        prop_assert_eq!(batch.producer_epoch, producer_epoch);
        prop_assert_eq!(batch.base_sequence, base_sequence);
        prop_assert_eq!(batch.record_count as usize, records.len());
        prop_assert_eq!(batch.max_timestamp, records.iter().map(|r| r.0).max().unwrap_or(-1).max(-1));
        for (index, (decoded, (timestamp, key, value, headers))) in batch.records.iter().zip(&records).enumerate() {
            prop_assert_eq!(decoded.offset, index as i64);
            prop_assert_eq!(decoded.timestamp, *timestamp);
            prop_assert_eq!(&decoded.key, key);
            prop_assert_eq!(&decoded.value, value);
            prop_assert_eq!(&decoded.headers, headers);
        }
    }

    #[test]
    fn split_then_seal_round_trips(
        records in proptest::collection::vec(record(), 1..40),
        max_bytes in 61_usize..3_000,
    ) {
        let mut builder = BatchBuilder::new(0, 0);
        for (timestamp, key, value, _) in &records {
            builder.append(*timestamp, key.as_deref(), value.as_deref(), &[]);
        }
        let pieces = builder.split(max_bytes);
        let mut decoded = Vec::new();
        for piece in &pieces {
            prop_assert!(piece.size_in_bytes() <= max_bytes || piece.record_count() == 1);
            let sealed = piece.seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE).unwrap();
            decoded.extend(decode_batches(&sealed).unwrap().remove(0).records);
        }
        prop_assert_eq!(decoded.len(), records.len());
        for (got, (timestamp, key, value, _)) in decoded.iter().zip(&records) {
            prop_assert_eq!(got.timestamp, *timestamp);
            prop_assert_eq!(&got.key, key);
            prop_assert_eq!(&got.value, value);
        }
    }
}
