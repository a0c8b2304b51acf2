use super::*;
use crate::producer::accumulator::AccumulatorConfig;
use crate::producer::test_support::*;
use crate::producer::BatchId;

/// The list holds exactly the partitions whose queue is not empty.
fn assert_listed_exactly(acc: &Accumulator) {
    let non_empty: Vec<(TopicId, i32)> = acc
        .topics
        .iter()
        .enumerate()
        .flat_map(|(t, topic)| {
            topic
                .partitions
                .iter()
                .enumerate()
                .filter(|(_, q)| !q.batches.is_empty())
                .map(move |(p, _)| (TopicId(t as u32), p as i32))
        })
        .collect();
    assert_eq!(acc.queued.to_vec(), non_empty);
    assert_eq!(acc.has_undrained(), !non_empty.is_empty());
}

fn listed(acc: &Accumulator) -> Vec<i32> {
    acc.queued.iter().map(|(_, p)| p).collect()
}

fn drain_ids(acc: &mut Accumulator, now: i64) -> Vec<BatchId> {
    let routing = routes(acc, "t", 1);
    acc.drain(&routing, 1 << 20, now)
        .by_node
        .into_iter()
        .flat_map(|(_, ids)| ids)
        .collect()
}

#[test]
fn partition_leaves_when_its_last_batch_is_drained_and_returns_with_a_new_one() {
    let mut acc = accumulator(config());
    assert!(listed(&acc).is_empty());
    fill(&mut acc, "t", 2, 15, 0); // two batches: 9 records fit in 1,000 bytes
    fill(&mut acc, "t", 0, 1, 0);
    assert_eq!(listed(&acc), [0, 2], "in partition order");
    assert_listed_exactly(&acc);

    assert_eq!(drain_ids(&mut acc, 100).len(), 2);
    assert_eq!(listed(&acc), [2], "partition 2 still has its second batch");
    assert_eq!(drain_ids(&mut acc, 100).len(), 1);
    assert!(listed(&acc).is_empty());
    assert!(!acc.has_undrained());
    let check = acc.ready(100);
    assert_eq!((check.ready, check.next_ready_ms), (vec![], None));

    fill(&mut acc, "t", 3, 1, 200);
    assert_eq!(listed(&acc), [3]);
    assert_eq!(acc.ready(210).ready, [(acc.topic_id("t").unwrap(), 3)]);
    assert_listed_exactly(&acc);
    assert_memory_exact(&acc);
}

#[test]
fn retried_and_split_batches_are_listed_again() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 1, 4, 0);
    fill(&mut acc, "t", 2, 1, 0);
    let ids = drain_ids(&mut acc, 100);
    assert!(listed(&acc).is_empty());

    acc.retry(ids[1], 100, 50).unwrap();
    assert_eq!(listed(&acc), [2]);
    let check = acc.ready(120);
    assert_eq!((check.ready.len(), check.next_ready_ms), (0, Some(150)));
    assert_eq!(acc.ready(150).ready.len(), 1, "backoff over");

    acc.split(ids[0]).unwrap();
    assert_eq!(listed(&acc), [1, 2]);
    assert_listed_exactly(&acc);
    assert_memory_exact(&acc);

    // Draining the split pieces and the retry one at a time keeps the list exact.
    while !drain_ids(&mut acc, 200).is_empty() {
        assert_listed_exactly(&acc);
    }
    assert!(listed(&acc).is_empty());
}

#[test]
fn expired_failed_and_aborted_batches_leave_the_list() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 0);
    fill(&mut acc, "t", 1, 1, 500);
    let third = fill(&mut acc, "t", 2, 1, 500);
    fill(&mut acc, "t", 3, 1, 500);

    assert_eq!(acc.expire(1_000, 1_000).len(), 1);
    assert_eq!(listed(&acc), [1, 2, 3]);

    acc.fail(batch_of(third[0])).unwrap();
    assert_eq!(listed(&acc), [1, 3]);

    // Partition 3's batch was sent once and retried: a transaction abort keeps it.
    let routing = vec![route(&acc, "t", 3, 1)];
    let sent = acc.drain(&routing, 1 << 20, 600).by_node[0].1[0];
    acc.retry(sent, 600, 0).unwrap();
    assert_eq!(acc.abort_undrained().len(), 1);
    assert_eq!(listed(&acc), [3]);
    assert_listed_exactly(&acc);

    acc.abort_all();
    assert!(listed(&acc).is_empty());
    assert_listed_exactly(&acc);
}

#[test]
fn keyed_only_topics_keep_no_load_statistics() {
    let mut acc = accumulator(AccumulatorConfig {
        buffer_memory: 1 << 20,
        ..config()
    });
    // Every partition gets batches, of uneven lengths: weights would be computed now.
    for p in 0..4 {
        fill(&mut acc, "t", p, 20 * (p as usize + 1), 0);
    }
    let v = value(0);
    acc.append("t", 4, None, Some(b"key"), Some(&v), &[], 0, 0)
        .unwrap();
    acc.ready(0);
    assert_eq!(acc.topics[0].sticky.load_range_end(), None);

    acc.append("t", 4, None, None, Some(&v), &[], 0, 0).unwrap();
    acc.ready(0);
    assert!(
        acc.topics[0].sticky.load_range_end().is_some(),
        "an unkeyed record makes the topic use them"
    );
}

#[test]
fn a_new_batch_is_sized_like_the_partitions_last_one() {
    let mut acc = accumulator(config());
    let queue = |acc: &Accumulator, p: usize| acc.topics[0].partitions[p].last_batch_bytes;
    fill(&mut acc, "t", 0, 2, 0);
    assert_eq!(queue(&acc, 0), 0, "none closed or drained yet");
    drain_ids(&mut acc, 100);
    let two_records = queue(&acc, 0);
    assert!(two_records > 61 + 200 && two_records < 1_000);

    fill(&mut acc, "t", 1, 12, 0); // the tenth record closes the first batch
    assert!(queue(&acc, 1) > 900 && queue(&acc, 1) <= 1_000);

    let q = &acc.topics[0].partitions[0];
    assert_eq!(
        q.next_batch_capacity(150, 1_000),
        two_records + two_records / 4
    );
    let full = &acc.topics[0].partitions[1];
    assert_eq!(full.next_batch_capacity(150, 1_000), 1_000, "capped");
    assert_eq!(
        q.next_batch_capacity(5_000, 1_000),
        5_000,
        "a big first record"
    );
    let fresh = &acc.topics[0].partitions[2];
    assert_eq!(fresh.next_batch_capacity(150, 1_000), 1_000, "no batch yet");
}

#[test]
fn expire_walks_only_once_the_oldest_head_may_be_due() {
    let mut acc = accumulator(config());
    assert!(!acc.queued.may_expire(i64::MAX, 0), "nothing queued");
    fill(&mut acc, "t", 0, 1, 100);
    fill(&mut acc, "t", 1, 1, 300);
    assert!(!acc.queued.may_expire(1_099, 1_000));
    assert!(acc.queued.may_expire(1_100, 1_000));
    assert_eq!(acc.expire(1_100, 1_000).len(), 1);
    // The walk made the bound exact: partition 1's batch, created at 300.
    assert!(!acc.queued.may_expire(1_299, 1_000));

    // A retried batch goes back at the head of its queue with its old creation time.
    let routing = vec![route(&acc, "t", 1, 1)];
    let sent = acc.drain(&routing, 1 << 20, 400).by_node[0].1[0];
    fill(&mut acc, "t", 1, 1, 1_200);
    assert!(
        acc.expire(1_300, 1_000).is_empty(),
        "walked: the bound was still 300"
    );
    assert!(
        !acc.queued.may_expire(2_199, 1_000),
        "only the batch of 1,200 is queued"
    );
    acc.retry(sent, 1_300, 0).unwrap();
    assert!(acc.queued.may_expire(1_300, 1_000));
    assert_eq!(acc.expire(1_300, 1_000), [sent]);
}
