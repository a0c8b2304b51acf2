//! Helpers shared by the accumulator's unit tests.

use super::accumulator::{Accumulator, AccumulatorConfig};
use super::batch::BatchId;
use super::drain::Route;
use crate::record::{decode_batches, DecodedBatch};

/// Small batches, no idempotence, 10 ms linger: easy numbers for the tests.
pub fn config() -> AccumulatorConfig {
    AccumulatorConfig {
        batch_size: 1_000,
        linger_ms: 10,
        buffer_memory: 100_000,
        max_request_size: 50_000,
        idempotent: false,
        ..AccumulatorConfig::default()
    }
}

pub fn accumulator(config: AccumulatorConfig) -> Accumulator {
    Accumulator::new(config).unwrap()
}

/// A 100-byte value whose first bytes say which record it is.
pub fn value(n: usize) -> Vec<u8> {
    let mut v = format!("record-{n}-").into_bytes();
    v.resize(100, b'.');
    v
}

/// Appends `count` 100-byte unkeyed records to an explicit partition; returns the handles.
pub fn fill(
    acc: &mut Accumulator,
    topic: &str,
    partition: i32,
    count: usize,
    now: i64,
) -> Vec<u64> {
    (0..count)
        .map(|n| {
            let v = value(n);
            acc.append(
                topic,
                4,
                Some(partition),
                None,
                Some(&v),
                &[],
                1_000 + n as i64,
                now,
            )
            .unwrap()
            .handle()
        })
        .collect()
}

pub fn route(acc: &Accumulator, topic: &str, partition: i32, node: i32) -> Route {
    Route {
        topic: acc.topic_id(topic).unwrap(),
        partition,
        node,
    }
}

/// Every partition of `topic` (4 partitions) led by `node`.
pub fn routes(acc: &Accumulator, topic: &str, node: i32) -> Vec<Route> {
    (0..4).map(|p| route(acc, topic, p, node)).collect()
}

pub fn decoded(acc: &Accumulator, id: BatchId) -> DecodedBatch {
    let mut batches = decode_batches(acc.sealed_batch(id).expect("sealed")).unwrap();
    assert_eq!(batches.len(), 1);
    batches.remove(0)
}

/// Memory in use equals the bytes of every live batch: nothing leaks, nothing double counts.
pub fn assert_memory_exact(acc: &Accumulator) {
    let queued: usize = acc
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|q| &q.batches)
        .map(|b| {
            assert_eq!(b.reserved, b.builder.size_in_bytes(), "batch {}", b.id);
            b.reserved
        })
        .sum();
    let in_flight: usize = acc
        .in_flight
        .values()
        .map(|b| {
            assert_eq!(b.reserved, b.builder.size_in_bytes(), "batch {}", b.id);
            b.reserved
        })
        .sum();
    assert_eq!(acc.used_memory(), queued + in_flight);
    assert_eq!(
        acc.available_memory(),
        acc.buffer_memory() - acc.used_memory()
    );
    assert_eq!(
        acc.live_batches(),
        acc.queued_batches() + acc.in_flight_batches()
    );
}

pub fn batch_of(handle: u64) -> BatchId {
    (handle >> 32) as BatchId
}

pub fn index_of(handle: u64) -> u32 {
    (handle & 0xffff_ffff) as u32
}
