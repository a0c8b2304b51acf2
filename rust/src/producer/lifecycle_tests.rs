use super::*;
use crate::producer::accumulator::AccumulatorConfig;
use crate::producer::drain::Route;
use crate::producer::test_support::*;

fn idempotent() -> Accumulator {
    let mut acc = accumulator(AccumulatorConfig {
        idempotent: true,
        ..config()
    });
    acc.set_producer_id(9, 0);
    acc
}

fn drain_ids(acc: &mut Accumulator, routing: &[Route], now: i64) -> Vec<BatchId> {
    acc.drain(routing, 1 << 20, now)
        .by_node
        .into_iter()
        .flat_map(|(_, ids)| ids)
        .collect()
}

#[test]
fn a_gone_batch_lends_its_buffer_to_the_next_batch() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 3, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    let buffer = acc.in_flight[&id].builder.records_bytes().as_ptr();
    acc.complete(id).unwrap();
    assert_eq!(acc.spare.len(), 1);
    assert!(acc.spare.bytes() <= acc.available_memory());
    let next = fill(&mut acc, "t", 2, 1, 0);
    let batch = &acc.topics[0].partitions[2].batches[0];
    assert_eq!(batch.id, batch_of(next[0]));
    assert_eq!(batch.builder.records_bytes().as_ptr(), buffer);
    assert!(acc.spare.is_empty());
    assert_eq!(decoded_records(&mut acc, 2), [value(0)]);
    assert_memory_exact(&acc);

    // Failed, expired and aborted batches give theirs back too, within buffer_memory.
    for partition in [0, 1, 3] {
        fill(&mut acc, "t", partition, 1, 0);
    }
    let queued = acc.topics[0].partitions[1].batches[0].id;
    acc.fail(queued).unwrap();
    assert_eq!(acc.spare.len(), 1);
    assert_eq!(acc.expire(10_000, 1).len(), 2);
    assert_eq!(acc.spare.len(), 3);
    let mut small = accumulator(AccumulatorConfig {
        buffer_memory: 1_200,
        ..config()
    });
    fill(&mut small, "t", 0, 1, 0);
    fill(&mut small, "t", 1, 1, 0);
    small.abort_undrained();
    assert_eq!(
        small.spare.len(),
        1,
        "two batch_size buffers exceed buffer_memory=1,200"
    );
}

/// The values of the batch drained from `partition` of topic "t".
fn decoded_records(acc: &mut Accumulator, partition: i32) -> Vec<Vec<u8>> {
    let routing = [route(acc, "t", partition, 1)];
    let id = drain_ids(acc, &routing, 100)[0];
    decoded(acc, id)
        .records
        .into_iter()
        .map(|r| r.value.unwrap())
        .collect()
}

#[test]
fn complete_releases_memory_and_counts_records() {
    let mut acc = accumulator(config());
    let handles = fill(&mut acc, "t", 0, 3, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    assert_eq!(acc.complete(id).unwrap(), 3);
    assert_eq!(batch_of(handles[2]), id);
    assert_eq!(acc.used_memory(), 0);
    assert_eq!(acc.live_batches(), 0);
    assert_eq!(acc.batch_info(id), None);
    assert_eq!(acc.complete(id), Err(AccumulatorError::UnknownBatch(id)));
    let m = acc.metrics();
    assert_eq!((m.records_completed, m.batches_completed), (3, 1));
}

#[test]
fn complete_needs_an_in_flight_batch() {
    let mut acc = accumulator(config());
    let h = fill(&mut acc, "t", 0, 1, 0);
    assert_eq!(
        acc.complete(batch_of(h[0])),
        Err(AccumulatorError::NotInFlight(batch_of(h[0])))
    );
}

#[test]
fn fail_works_for_queued_and_in_flight_batches() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 11, 0);
    fill(&mut acc, "t", 1, 1, 0);
    let routing = [route(&acc, "t", 0, 1)];
    let sent = drain_ids(&mut acc, &routing, 100)[0];
    let queued = acc.topics[0].partitions[1].batches[0].id;
    assert_eq!(acc.fail(sent).unwrap(), 8);
    assert_eq!(acc.fail(queued).unwrap(), 1);
    assert_memory_exact(&acc);
    assert_eq!(acc.live_batches(), 1);
    assert_eq!(acc.metrics().records_failed, 9);
    assert_eq!(acc.fail(sent), Err(AccumulatorError::UnknownBatch(sent)));
}

#[test]
fn retry_goes_back_to_the_head_and_backs_off() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 11, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    let bytes = acc.sealed_batch(id).unwrap().to_vec();
    acc.retry(id, 200, 50).unwrap();
    assert_eq!(acc.topics[0].partitions[0].batches[0].id, id);
    assert_memory_exact(&acc);
    // Backing off: not drainable, and the next wake-up is the end of the backoff.
    let check = acc.ready(220);
    assert!(check.ready.is_empty());
    assert_eq!(check.next_ready_ms, Some(250));
    assert!(drain_ids(&mut acc, &routing, 249).is_empty());
    assert_eq!(drain_ids(&mut acc, &routing, 250), [id]);
    assert_eq!(
        acc.sealed_batch(id).unwrap(),
        bytes,
        "same bytes on every attempt"
    );
    assert_eq!(acc.metrics().records_retried, 8);
}

#[test]
fn retried_batches_keep_sequences_and_return_in_sequence_order() {
    let mut acc = idempotent();
    fill(&mut acc, "t", 0, 27, 0); // batches of 8, 8, 8, 3 records
    let routing = routes(&acc, "t", 1);
    let a = drain_ids(&mut acc, &routing, 100)[0];
    let b = drain_ids(&mut acc, &routing, 100)[0];
    let c = drain_ids(&mut acc, &routing, 100)[0];
    // Responses come back out of order; each goes back to the head, ordered by sequence.
    acc.retry(c, 100, 0).unwrap();
    acc.retry(a, 100, 0).unwrap();
    acc.retry(b, 100, 0).unwrap();
    let order: Vec<_> = acc.topics[0].partitions[0]
        .batches
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(order[..3], [a, b, c]);
    assert_eq!(acc.topics[0].partitions[0].batches[3].stamp, None);
    // Only the lowest unacknowledged sequence goes; the next waits for its outcome.
    assert_eq!(drain_ids(&mut acc, &routing, 100), [a]);
    assert!(drain_ids(&mut acc, &routing, 100).is_empty());
    assert!(acc.ready(100).ready.is_empty());
    acc.complete(a).unwrap();
    assert_eq!(drain_ids(&mut acc, &routing, 100), [b]);
    acc.complete(b).unwrap();
    assert_eq!(drain_ids(&mut acc, &routing, 100), [c]);
    assert_eq!(decoded(&acc, c).base_sequence, 16);
    acc.complete(c).unwrap();
    let d = drain_ids(&mut acc, &routing, 100)[0];
    assert_eq!(
        decoded(&acc, d).base_sequence,
        24,
        "a new batch continues the sequence"
    );
}

#[test]
fn split_replaces_a_batch_at_the_head_with_exact_memory() {
    let mut acc = accumulator(config());
    let handles = fill(&mut acc, "t", 0, 11, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    let runs = acc.split(id).unwrap();
    assert!(runs.len() >= 2);
    assert_eq!(runs.iter().map(|r| r.count).sum::<u32>(), 8);
    let mut next = 0;
    for run in &runs {
        assert_eq!(run.first_index, next);
        next += run.count;
        assert_eq!(acc.batch_info(run.batch_id), Some(("t", 0)));
    }
    assert_eq!(acc.batch_info(id), None);
    let queue = &acc.topics[0].partitions[0];
    let order: Vec<_> = queue.batches.iter().map(|b| b.id).collect();
    assert_eq!(
        order[..runs.len()],
        runs.iter().map(|r| r.batch_id).collect::<Vec<_>>()[..]
    );
    assert_eq!(
        queue.batches[runs.len()].id,
        batch_of(handles[10]),
        "the rest stays behind"
    );
    assert_eq!(queue.in_flight, 0);
    assert_memory_exact(&acc);
    // The pieces carry the original records in order.
    let mut values = Vec::new();
    for run in &runs {
        let ids = drain_ids(&mut acc, &routing, 100);
        assert_eq!(ids, [run.batch_id]);
        values.extend(
            decoded(&acc, run.batch_id)
                .records
                .into_iter()
                .map(|r| r.value.unwrap()),
        );
        acc.complete(run.batch_id).unwrap();
    }
    assert_eq!(values, (0..8).map(value).collect::<Vec<_>>());
    assert_eq!(acc.metrics().batches_split, 1);
}

#[test]
fn split_pieces_share_the_original_sequence_range() {
    let mut acc = idempotent();
    fill(&mut acc, "t", 0, 8, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    let runs = acc.split(id).unwrap();
    let mut expected = 0;
    for run in &runs {
        assert_eq!(drain_ids(&mut acc, &routing, 100), [run.batch_id]);
        let batch = decoded(&acc, run.batch_id);
        assert_eq!(batch.base_sequence, expected);
        expected += batch.record_count;
        acc.complete(run.batch_id).unwrap();
    }
    assert_eq!(acc.topics[0].partitions[0].next_sequence, 8);
}

#[test]
fn split_of_one_record_is_refused() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 0);
    let routing = routes(&acc, "t", 1);
    let id = drain_ids(&mut acc, &routing, 100)[0];
    assert_eq!(acc.split(id), Err(AccumulatorError::NotSplittable(id)));
    assert_eq!(
        acc.in_flight_batches(),
        1,
        "still in flight, to be failed by the caller"
    );
    assert_eq!(acc.split(999), Err(AccumulatorError::UnknownBatch(999)));
}

#[test]
fn repeated_splits_always_shrink() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 8, 0);
    let routing = routes(&acc, "t", 1);
    let mut id = drain_ids(&mut acc, &routing, 100)[0];
    let mut count = 8;
    while count > 1 {
        let runs = acc.split(id).unwrap();
        assert!(runs.len() >= 2);
        assert!(runs[0].count < count);
        count = runs[0].count;
        id = drain_ids(&mut acc, &routing, 100)[0];
        assert_eq!(id, runs[0].batch_id);
    }
    assert_memory_exact(&acc);
}

#[test]
fn expire_removes_old_queued_batches_only() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 11, 0); // two batches created at 0
    fill(&mut acc, "t", 1, 1, 0);
    fill(&mut acc, "t", 2, 1, 500);
    let routing = [route(&acc, "t", 1, 1)];
    let in_flight = drain_ids(&mut acc, &routing, 100)[0];
    let expired = acc.expire(1_000, 1_000);
    assert_eq!(expired.len(), 2, "partition 0's two batches");
    assert!(expired.iter().all(|&id| acc.batch_info(id).is_none()));
    assert!(acc.batch_info(in_flight).is_some());
    assert_eq!(acc.queued_batches(), 1);
    assert_memory_exact(&acc);
    assert_eq!(acc.metrics().records_expired, 11);
    assert!(acc.expire(1_499, 1_000).is_empty());
    assert_eq!(acc.expire(1_500, 1_000).len(), 1);
}

#[test]
fn abort_all_returns_everything_and_frees_memory() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 12, 0);
    fill(&mut acc, "t", 1, 1, 0);
    let routing = [route(&acc, "t", 0, 1)];
    drain_ids(&mut acc, &routing, 100);
    let mut aborted = acc.abort_all();
    aborted.sort_unstable();
    assert_eq!(aborted.len(), 3);
    assert_eq!(acc.used_memory(), 0);
    assert_eq!(acc.live_batches(), 0);
    assert!(!acc.has_undrained());
}

#[test]
fn abort_undrained_keeps_batches_that_were_sent() {
    let mut acc = idempotent();
    fill(&mut acc, "t", 0, 12, 0);
    let routing = routes(&acc, "t", 1);
    let sent = drain_ids(&mut acc, &routing, 100)[0];
    acc.retry(sent, 100, 0).unwrap();
    let aborted = acc.abort_undrained();
    assert_eq!(aborted.len(), 1);
    assert_eq!(acc.topics[0].partitions[0].batches[0].id, sent);
    assert_memory_exact(&acc);
}

#[test]
fn reset_sequences_renumbers_unacknowledged_batches_from_zero() {
    let mut acc = idempotent();
    fill(&mut acc, "t", 0, 27, 0);
    fill(&mut acc, "t", 1, 1, 0);
    let routing = routes(&acc, "t", 1);
    let first = drain_ids(&mut acc, &routing, 100); // t-0 seq 0, t-1 seq 0
    let a = first[0];
    let b = drain_ids(&mut acc, &routing, 100)[0]; // t-0 seq 8
    let c = drain_ids(&mut acc, &routing, 100)[0]; // t-0 seq 16
    acc.complete(a).unwrap();
    acc.retry(b, 100, 0).unwrap();
    // Epoch bump: b (queued again) and c (in flight) restart at 0 under epoch 1.
    acc.set_producer_id(9, 1);
    acc.reset_sequences();
    let queue = &acc.topics[0].partitions[0];
    assert_eq!(queue.unacked, [(0, b), (8, c)]);
    assert_eq!(queue.next_sequence, 16);
    let c_batch = decoded(&acc, c);
    assert_eq!((c_batch.producer_epoch, c_batch.base_sequence), (1, 8));
    assert_eq!(
        acc.topics[0].partitions[1].next_sequence, 1,
        "t-1's batch is still unacked"
    );
    assert_eq!(drain_ids(&mut acc, &routing, 100), [b]);
    let b_batch = decoded(&acc, b);
    assert_eq!((b_batch.producer_epoch, b_batch.base_sequence), (1, 0));
    acc.complete(b).unwrap();
    acc.complete(c).unwrap();
    let d = drain_ids(&mut acc, &routing, 100)[0];
    assert_eq!(decoded(&acc, d).base_sequence, 16);
}
