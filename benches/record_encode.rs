//! Encode + compress throughput of record batches: 16 KiB batches (the default `batch.size`)
//! of 100 B and 1 KiB JSON-like records, per codec at its default level. Throughput is counted
//! in uncompressed record bytes; the compression ratio is printed once per case.
//!
//! `cargo bench --bench record_encode -- --quick`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrokafka::record::{BatchBuilder, Codec, Compression, Header, ProducerStamp};

const BATCH_SIZE: usize = 16 * 1024;
const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

struct Input {
    key: Vec<u8>,
    value: Vec<u8>,
}

/// JSON-like values with realistic repetition: fixed field names, a few enumerated strings,
/// numbers and a free-text tail from a small vocabulary.
fn json_records(value_size: usize, count: usize) -> Vec<Input> {
    const WORDS: [&str; 16] = [
        "alpha", "bravo", "checkout", "delta", "click", "view", "mobile", "desktop", "eu-west",
        "us-east", "premium", "free", "search", "cart", "login", "error",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            let r = next();
            let mut value = format!(
                "{{\"id\":{},\"user\":\"user-{}\",\"event\":\"{}\",\"ts\":{},\"amount\":{}.{:02},\"note\":\"",
                i,
                r % 10_000,
                WORDS[(r >> 20) as usize % WORDS.len()],
                BASE_TIMESTAMP + i as i64,
                (r >> 8) % 1000,
                (r >> 40) % 100
            );
            while value.len() + 2 < value_size {
                value.push_str(WORDS[next() as usize % WORDS.len()]);
                value.push(' ');
            }
            value.truncate(value_size - 2);
            value.push_str("\"}");
            Input { key: format!("user-{}", r % 10_000).into_bytes(), value: value.into_bytes() }
        })
        .collect()
}

/// As many records as fill one batch of `BATCH_SIZE`, as the accumulator would.
fn fill(inputs: &[Input]) -> BatchBuilder {
    let headers = [Header {
        key: "source",
        value: Some(b"bench"),
    }];
    let mut builder = BatchBuilder::new(BASE_TIMESTAMP, BATCH_SIZE);
    for (i, input) in inputs.iter().enumerate() {
        let timestamp = BASE_TIMESTAMP + i as i64;
        let size = builder.size_of_next(timestamp, Some(&input.key), Some(&input.value), &headers);
        if builder.size_in_bytes() + size > BATCH_SIZE {
            break;
        }
        builder.append(timestamp, Some(&input.key), Some(&input.value), &headers);
    }
    builder
}

fn encode_compress(c: &mut Criterion) {
    for (label, value_size) in [("100B", 100), ("1KiB", 1024)] {
        let inputs = json_records(value_size, BATCH_SIZE / value_size + 1);
        let reference = fill(&inputs);
        let count = reference.record_count();
        let uncompressed = reference.size_in_bytes();
        let mut group = c.benchmark_group(format!("encode_compress/{label}"));
        group.throughput(Throughput::Bytes(uncompressed as u64));
        for codec in Codec::ALL {
            let compression = Compression::new(codec, None).expect("default level");
            let sealed = reference
                .seal(&ProducerStamp::NO_PRODUCER, &compression)
                .unwrap();
            println!(
                "{label} {}: {count} records, {uncompressed} B -> {} B (ratio {:.2})",
                codec.name(),
                sealed.len(),
                f64::from(uncompressed as u32) / f64::from(sealed.len() as u32)
            );
            group.bench_with_input(
                BenchmarkId::from_parameter(codec.name()),
                &compression,
                |b, compression| {
                    b.iter(|| {
                        let builder = fill(black_box(&inputs[..count]));
                        black_box(
                            builder
                                .seal(&ProducerStamp::NO_PRODUCER, compression)
                                .unwrap(),
                        )
                    });
                },
            );
        }
        group.finish();
    }
}

criterion_group!(benches, encode_compress);
criterion_main!(benches);
