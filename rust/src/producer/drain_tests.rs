use bytes::Bytes;
use kafka_protocol::messages::{ProduceRequest, RequestHeader as CrateHeader};
use kafka_protocol::protocol::Decodable;

use super::*;
use crate::producer::accumulator::AccumulatorConfig;
use crate::producer::test_support::*;
use crate::protocol::ApiKey;
use crate::record::Codec;

#[test]
fn drains_only_routed_partitions_grouped_by_node() {
    let mut acc = accumulator(config());
    for p in 0..4 {
        fill(&mut acc, "t", p, 1, 0);
    }
    let routing = [
        route(&acc, "t", 0, 7),
        route(&acc, "t", 1, 8),
        route(&acc, "t", 2, 7),
    ];
    let drained = acc.drain(&routing, 1 << 20, 100);
    assert!(drained.failed.is_empty());
    assert_eq!(drained.by_node.len(), 2);
    let (node_a, ids_a) = &drained.by_node[0];
    let (node_b, ids_b) = &drained.by_node[1];
    assert_eq!((*node_a, ids_a.len()), (7, 2));
    assert_eq!((*node_b, ids_b.len()), (8, 1));
    let partitions: Vec<i32> = ids_a
        .iter()
        .map(|&id| acc.batch_info(id).unwrap().1)
        .collect();
    assert_eq!(partitions, [0, 2]);
    // Partition 3 has no leader: it stays queued.
    assert_eq!(acc.queued_batches(), 1);
    assert_eq!(acc.in_flight_batches(), 3);
    assert_memory_exact(&acc);
}

#[test]
fn one_batch_per_partition_per_drain() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 30, 0); // four batches
    let routing = routes(&acc, "t", 1);
    let first = acc.drain(&routing, 1 << 20, 0);
    assert_eq!(first.by_node[0].1.len(), 1);
    let second = acc.drain(&routing, 1 << 20, 0);
    assert_eq!(second.by_node[0].1.len(), 1);
    assert_ne!(first.by_node[0].1, second.by_node[0].1);
    let ids: Vec<_> = [&first, &second]
        .iter()
        .map(|d| decoded(&acc, d.by_node[0].1[0]))
        .collect();
    // Queue order is kept: the first batch carries the first records.
    assert_eq!(
        ids[0].records[0].value.as_deref(),
        Some(value(0).as_slice())
    );
}

#[test]
fn node_is_drained_only_when_one_of_its_partitions_is_sendable() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 0);
    fill(&mut acc, "t", 1, 1, 5);
    let routing = routes(&acc, "t", 1);
    assert!(
        acc.drain(&routing, 1 << 20, 9).by_node.is_empty(),
        "nothing lingered enough"
    );
    // Partition 0 is ready at 10; partition 1 is not, but rides along in the same request.
    let drained = acc.drain(&routing, 1 << 20, 10);
    assert_eq!(drained.by_node[0].1.len(), 2);
}

#[test]
fn request_size_limit_and_fair_rotation() {
    let mut acc = accumulator(config());
    for p in 0..4 {
        fill(&mut acc, "t", p, 30, 0);
    }
    let routing = routes(&acc, "t", 1);
    // Room for two full batches (~980 bytes each) per request.
    let mut order = Vec::new();
    for _ in 0..4 {
        let drained = acc.drain(&routing, 2_000, 100);
        let ids = &drained.by_node[0].1;
        assert_eq!(ids.len(), 2);
        let total: usize = ids
            .iter()
            .map(|&id| acc.sealed_batch(id).unwrap().len())
            .sum();
        assert!(total <= 2_000);
        order.extend(ids.iter().map(|&id| acc.batch_info(id).unwrap().1));
    }
    // Each drain resumes after the partition where the previous one stopped.
    assert_eq!(order, [0, 1, 2, 3, 0, 1, 2, 3]);
}

#[test]
fn first_batch_is_taken_even_if_larger_than_the_request_limit() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 5, 0);
    fill(&mut acc, "t", 1, 5, 0);
    let routing = routes(&acc, "t", 1);
    let drained = acc.drain(&routing, 10, 100);
    assert_eq!(drained.by_node[0].1.len(), 1);
}

#[test]
fn sequences_are_assigned_per_partition_at_drain() {
    let mut acc = accumulator(AccumulatorConfig {
        idempotent: true,
        ..config()
    });
    fill(&mut acc, "t", 0, 11, 0); // 8 + 3 records
    fill(&mut acc, "t", 1, 2, 0);
    let routing = routes(&acc, "t", 1);
    assert!(acc.ready(100).ready.is_empty(), "no producer id yet");
    assert!(acc.drain(&routing, 1 << 20, 100).by_node.is_empty());

    acc.set_producer_id(4_000, 3);
    let first = acc.drain(&routing, 1 << 20, 100);
    let second = acc.drain(&routing, 1 << 20, 100);
    let b0 = decoded(&acc, first.by_node[0].1[0]);
    let b1 = decoded(&acc, first.by_node[0].1[1]);
    let b2 = decoded(&acc, second.by_node[0].1[0]);
    assert_eq!(
        (b0.producer_id, b0.producer_epoch, b0.base_sequence),
        (4_000, 3, 0)
    );
    assert_eq!(b0.record_count, 8);
    assert_eq!(b1.base_sequence, 0, "partition 1 counts on its own");
    assert_eq!((b2.base_sequence, b2.record_count), (8, 3));
    assert!(!b0.transactional);
}

#[test]
fn transactional_bit_is_set() {
    let mut acc = accumulator(AccumulatorConfig {
        idempotent: true,
        transactional: true,
        ..config()
    });
    acc.set_producer_id(1, 0);
    fill(&mut acc, "t", 0, 1, 0);
    let drained = acc.drain(&routes(&acc, "t", 1), 1 << 20, 100);
    assert!(decoded(&acc, drained.by_node[0].1[0]).transactional);
}

#[test]
fn muted_partition_waits_for_its_in_flight_batch() {
    let mut acc = accumulator(AccumulatorConfig {
        mute_while_in_flight: true,
        ..config()
    });
    fill(&mut acc, "t", 0, 20, 0);
    let routing = routes(&acc, "t", 1);
    let first = acc.drain(&routing, 1 << 20, 100);
    assert_eq!(first.by_node.len(), 1);
    assert!(acc.ready(100).ready.is_empty());
    assert!(acc.drain(&routing, 1 << 20, 100).by_node.is_empty());
    acc.complete(first.by_node[0].1[0]).unwrap();
    assert_eq!(acc.drain(&routing, 1 << 20, 100).by_node.len(), 1);
}

#[test]
fn several_batches_of_a_partition_may_be_in_flight_without_muting() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 20, 0);
    let routing = routes(&acc, "t", 1);
    assert_eq!(acc.drain(&routing, 1 << 20, 100).by_node.len(), 1);
    assert_eq!(acc.drain(&routing, 1 << 20, 100).by_node.len(), 1);
    assert_eq!(acc.in_flight_batches(), 2);
}

#[test]
fn compressed_batches_decode_and_feed_metrics() {
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let compression = Compression::parse(codec, None).unwrap();
        let mut acc = accumulator(AccumulatorConfig {
            compression,
            ..config()
        });
        let handles = fill(&mut acc, "t", 0, 8, 0);
        let drained = acc.drain(&routes(&acc, "t", 1), 1 << 20, 100);
        let id = drained.by_node[0].1[0];
        let batch = decoded(&acc, id);
        assert_eq!(batch.codec, Codec::from_name(codec).unwrap());
        assert_eq!(batch.records.len(), handles.len());
        assert_eq!(batch.records[3].value.as_deref(), Some(value(3).as_slice()));
        let m = acc.metrics();
        assert_eq!(m.batches_sealed, 1);
        assert!(m.compressed_bytes < m.uncompressed_bytes, "{codec}: {m:?}");
        assert!(acc.topics[0].compression_ratio.ratio() < 1.0, "{codec}");
    }
}

#[test]
fn produce_request_carries_the_sealed_batches() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 2, 0);
    fill(&mut acc, "t", 1, 3, 0);
    fill(&mut acc, "u", 0, 1, 0);
    let mut routing = routes(&acc, "t", 1);
    routing.push(route(&acc, "u", 0, 1));
    let drained = acc.drain(&routing, 1 << 20, 100);
    let ids = &drained.by_node[0].1;
    assert_eq!(ids.len(), 3);
    let header = RequestHeader {
        api_version: 9,
        correlation_id: 77,
        client_id: Some("c"),
    };
    let frame = acc.produce_request(ids, &header, -1, 30_000, None).unwrap();
    let size = i32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
    assert_eq!(size, frame.len() - 4);
    let mut body = Bytes::copy_from_slice(&frame[4..]);
    let head = CrateHeader::decode(&mut body, ApiKey::Produce.request_header_version(9)).unwrap();
    assert_eq!(head.correlation_id, 77);
    let request = ProduceRequest::decode(&mut body, 9).unwrap();
    assert_eq!(request.acks, -1);
    assert_eq!(request.timeout_ms, 30_000);
    let mut found = 0;
    for topic in &request.topic_data {
        for partition in &topic.partition_data {
            let records = partition.records.as_ref().unwrap();
            let id = ids
                .iter()
                .copied()
                .find(|&id| acc.batch_info(id) == Some((topic.name.as_str(), partition.index)))
                .unwrap();
            assert_eq!(&records[..], acc.sealed_batch(id).unwrap());
            found += 1;
        }
    }
    assert_eq!(found, 3);
    let err = acc
        .produce_request(&[12_345], &header, -1, 1, None)
        .unwrap_err();
    assert_eq!(err, AccumulatorError::NotInFlight(12_345));
}

/// `drain_select`, sealed and filed as `drain` does, with `busy` nodes.
fn drain_around(acc: &mut Accumulator, routing: &[Route], now: i64, busy: &[i32]) -> Drained {
    let mut selection = acc.drain_select(routing, 1 << 20, now, busy);
    selection.seal(&acc.config().compression);
    acc.drain_finish(selection)
}

#[test]
fn a_busy_node_gets_no_request_of_small_batches() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 0);
    fill(&mut acc, "t", 1, 1, 0);
    let routing = routes(&acc, "t", 7);
    // Lingered, so sendable; but node 7 is working on a request: they wait for its answer.
    assert!(drain_around(&mut acc, &routing, 10, &[7])
        .by_node
        .is_empty());
    assert_eq!(
        drain_around(&mut acc, &routing, 10, &[8]).by_node[0]
            .1
            .len(),
        2
    );
}

#[test]
fn a_full_batch_goes_to_a_busy_node_and_small_ones_ride_along() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 30, 0); // full batches
    fill(&mut acc, "t", 1, 1, 0);
    let routing = routes(&acc, "t", 7);
    let drained = drain_around(&mut acc, &routing, 10, &[7]);
    let partitions: Vec<i32> = drained.by_node[0]
        .1
        .iter()
        .map(|&id| acc.batch_info(id).unwrap().1)
        .collect();
    assert_eq!(partitions, [0, 1]);
}

#[test]
fn small_batches_worth_a_batch_size_together_go_to_a_busy_node() {
    let mut acc = accumulator(config());
    for p in 0..4 {
        fill(&mut acc, "t", p, 1, 0);
    }
    let routing = routes(&acc, "t", 7);
    assert!(drain_around(&mut acc, &routing, 10, &[7])
        .by_node
        .is_empty());
    for p in 0..4 {
        fill(&mut acc, "t", p, 2, 0);
    }
    // Three records a partition: no batch is full (1,000 bytes), the four hold more together.
    let sizes: Vec<usize> = (0..4)
        .map(|p| {
            let queue = &acc.topics[0].partitions[p];
            assert_eq!(queue.batches.len(), 1);
            let head = queue.batches.front().unwrap();
            assert!(!head.is_full());
            head.builder.size_in_bytes()
        })
        .collect();
    assert!(sizes.iter().sum::<usize>() >= config().batch_size);
    assert_eq!(
        drain_around(&mut acc, &routing, 10, &[7]).by_node[0]
            .1
            .len(),
        4
    );
}

#[test]
fn a_retried_batch_goes_to_a_busy_node() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 0);
    let routing = routes(&acc, "t", 7);
    let sent = drain_around(&mut acc, &routing, 10, &[]).by_node[0].1[0];
    acc.retry(sent, 20, 0).unwrap();
    assert_eq!(
        drain_around(&mut acc, &routing, 20, &[7]).by_node[0].1,
        [sent]
    );
}
