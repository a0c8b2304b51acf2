//! The accumulator's per-record hot path without Python: `append` of 100-byte records,
//! unkeyed (sticky), keyed (murmur2) and to an explicit partition, and `append_many` of 1000.
//! Batches are drained, sealed and completed as the producer would, so memory stays flat and
//! the cost of closing batches is included. Reported per record.
//!
//! `cargo bench --bench accumulator -- --quick`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrokafka::producer::{Accumulator, AccumulatorConfig, Route};

const PARTITIONS: i32 = 6;

/// `(key, value)` as `append_many` takes them.
type Record<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);
const TOPIC: &str = "bench";

fn accumulator() -> Accumulator {
    Accumulator::new(AccumulatorConfig {
        idempotent: false,
        ..AccumulatorConfig::default()
    })
    .unwrap()
}

/// Sends and completes everything queued: keeps memory bounded between iterations.
fn drain_all(acc: &mut Accumulator, routes: &[Route]) {
    acc.begin_flush();
    loop {
        let drained = acc.drain(routes, 1 << 20, 0);
        if drained.by_node.is_empty() {
            break;
        }
        for (_, ids) in drained.by_node {
            for id in ids {
                acc.complete(id).unwrap();
            }
        }
    }
    acc.end_flush();
}

fn routes(acc: &mut Accumulator) -> Vec<Route> {
    // Creates the topic so it can be routed.
    acc.append(TOPIC, PARTITIONS, Some(0), None, Some(b"x"), &[], 0, 0)
        .unwrap();
    let topic = acc.topic_id(TOPIC).unwrap();
    (0..PARTITIONS)
        .map(|partition| Route {
            topic,
            partition,
            node: partition % 3,
        })
        .collect()
}

fn append(c: &mut Criterion) {
    let value = vec![b'v'; 100];
    let keys: Vec<Vec<u8>> = (0..1024).map(|i| format!("key-{i}").into_bytes()).collect();
    let mut group = c.benchmark_group("append_100B");
    group.throughput(Throughput::Elements(1));
    for (name, keyed, explicit) in [
        ("unkeyed", false, false),
        ("keyed", true, false),
        ("explicit", false, true),
    ] {
        let mut acc = accumulator();
        let routes = routes(&mut acc);
        let mut n = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let key = keyed.then(|| keys[n % keys.len()].as_slice());
                let partition = explicit.then_some((n % 6) as i32);
                let appended = acc
                    .append(TOPIC, PARTITIONS, partition, key, Some(&value), &[], 0, 0)
                    .unwrap();
                if n % 100_000 == 0 {
                    drain_all(&mut acc, &routes);
                }
                black_box(appended.handle())
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("append_many_1000x100B");
    group.throughput(Throughput::Elements(1000));
    let mut acc = accumulator();
    let routes = routes(&mut acc);
    let records: Vec<Record<'_>> = vec![(None, Some(&value)); 1000];
    let mut n = 0usize;
    group.bench_function("unkeyed", |b| {
        b.iter(|| {
            n += 1;
            let out = acc
                .append_many(TOPIC, PARTITIONS, None, records.iter().copied(), 0, 0)
                .unwrap();
            if n % 100 == 0 {
                drain_all(&mut acc, &routes);
            }
            black_box(out.runs.len())
        });
    });
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
