use super::*;
use crate::producer::append::record_size_bound;
use crate::producer::partitioner::{murmur2, partition_for_key};
use crate::producer::test_support::*;
use crate::record::{BatchBuilder, Header};

#[test]
fn records_fill_a_batch_until_the_next_does_not_fit() {
    let mut acc = accumulator(config());
    let handles = fill(&mut acc, "t", 1, 20, 0);
    let batches: Vec<u32> = handles.iter().map(|&h| batch_of(h)).collect();
    let indexes: Vec<u32> = handles.iter().map(|&h| index_of(h)).collect();
    let queue = &acc.topics[0].partitions[1];
    assert_eq!(queue.batches.len(), 3);
    let per_batch = queue.batches[0].record_count();
    assert!(per_batch > 1);
    for (n, batch) in queue.batches.iter().enumerate() {
        assert!(batch.builder.size_in_bytes() <= 1_000);
        if n + 1 < queue.batches.len() {
            assert!(batch.closed, "all but the last are closed");
            // The next record would not have fitted.
            assert!(batch.builder.size_in_bytes() + 109 > 1_000);
        }
    }
    assert!(!queue.batches[2].closed);
    assert_eq!(
        indexes[..per_batch],
        (0..per_batch as u32).collect::<Vec<_>>()[..]
    );
    assert_eq!(indexes[per_batch], 0, "a new batch starts at index 0");
    assert_ne!(batches[per_batch], batches[0]);
    assert_eq!(acc.batch_info(batches[0]), Some(("t", 1)));
    assert_memory_exact(&acc);
    assert_eq!(acc.metrics().records_appended, 20);
    assert_eq!(acc.metrics().batches_created, 3);
}

#[test]
fn record_larger_than_batch_size_gets_its_own_batch() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 2, 0);
    let big = vec![7u8; 3_000];
    let a = acc
        .append("t", 4, Some(0), None, Some(&big), &[], 5, 0)
        .unwrap();
    assert!(a.new_batch);
    assert_eq!(a.index, 0);
    let after = fill(&mut acc, "t", 0, 1, 0);
    assert_ne!(
        batch_of(after[0]),
        a.batch_id,
        "nothing joins an oversized batch"
    );
    assert_eq!(acc.topics[0].partitions[0].batches.len(), 3);
    assert_memory_exact(&acc);
}

#[test]
fn records_too_large_are_rejected_without_side_effects() {
    let mut acc = accumulator(AccumulatorConfig {
        max_request_size: 2_000,
        ..config()
    });
    let big = vec![0u8; 2_000];
    let err = acc
        .append("t", 4, Some(0), None, Some(&big), &[], 0, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AccumulatorError::RecordTooLarge {
                setting: "max_request_size",
                limit: 2_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_request_size=2000"), "{err}");

    let mut acc = accumulator(AccumulatorConfig {
        buffer_memory: 1_500,
        ..config()
    });
    let err = acc
        .append("t", 4, Some(0), None, Some(&big), &[], 0, 0)
        .unwrap_err();
    assert!(matches!(
        err,
        AccumulatorError::RecordTooLarge {
            setting: "buffer_memory",
            ..
        }
    ));
    assert_eq!(acc.used_memory(), 0);
    assert_eq!(acc.live_batches(), 0);
}

#[test]
fn buffer_full_is_refused_exactly_and_leaves_state_alone() {
    let mut acc = accumulator(AccumulatorConfig {
        buffer_memory: 1_200,
        ..config()
    });
    let mut appended = 0;
    let err = loop {
        let v = value(appended);
        match acc.append("t", 4, Some(appended as i32 % 4), None, Some(&v), &[], 0, 0) {
            Ok(_) => appended += 1,
            Err(e) => break e,
        }
    };
    let AccumulatorError::BufferFull {
        requested,
        available,
        limit,
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(limit, 1_200);
    assert!(requested > available);
    assert_eq!(available, acc.available_memory());
    assert_memory_exact(&acc);
    assert_eq!(acc.metrics().records_appended, appended as u64);
    assert_eq!(acc.metrics().buffer_exhausted, 1);
    // Exhaustion makes everything sendable at once, so memory comes back soon.
    let check = acc.ready(0);
    assert_eq!(check.ready.len(), 4);
}

#[test]
fn headers_and_keys_are_encoded_into_the_batch() {
    let mut acc = accumulator(config());
    let headers = [
        Header {
            key: "trace",
            value: Some(b"abc"),
        },
        Header {
            key: "n",
            value: None,
        },
    ];
    acc.append("t", 4, Some(2), Some(b"k"), Some(b"v"), &headers, 42, 0)
        .unwrap();
    acc.begin_flush();
    let routing = routes(&acc, "t", 1);
    let drained = acc.drain(&routing, 1 << 20, 0);
    let id = drained.by_node[0].1[0];
    let batch = decoded(&acc, id);
    let record = &batch.records[0];
    assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
    assert_eq!(record.value.as_deref(), Some(&b"v"[..]));
    assert_eq!(record.timestamp, 42);
    assert_eq!(record.headers.len(), 2);
}

#[test]
fn keyed_records_use_murmur2_over_all_partitions() {
    let mut acc = accumulator(config());
    for key in [&b"order-17"[..], b"user-42", b"a", b""] {
        let a = acc
            .append("t", 6, None, Some(key), Some(b"v"), &[], 0, 0)
            .unwrap();
        assert_eq!(a.partition, (murmur2(key) & 0x7fff_ffff) % 6);
    }
    // Values from the Java client: "order-17" -> 3 and "user-42" -> 4 of 6.
    assert_eq!(
        acc.append("t", 6, None, Some(b"order-17"), None, &[], 0, 0)
            .unwrap()
            .partition,
        3
    );
    assert_eq!(
        acc.append("t", 6, None, Some(b"user-42"), None, &[], 0, 0)
            .unwrap()
            .partition,
        4
    );
}

#[test]
fn ignore_keys_spreads_keyed_records_like_unkeyed() {
    let mut acc = accumulator(AccumulatorConfig {
        partitioner_ignore_keys: true,
        ..config()
    });
    acc.set_available_partitions("t", Some(vec![5]));
    let a = acc
        .append("t", 6, None, Some(b"order-17"), Some(b"v"), &[], 0, 0)
        .unwrap();
    assert_eq!(
        a.partition, 5,
        "sticky choice among available partitions, not the key hash"
    );
}

#[test]
fn explicit_partition_is_validated() {
    let mut acc = accumulator(config());
    let err = acc
        .append("t", 3, Some(3), None, Some(b"v"), &[], 0, 0)
        .unwrap_err();
    assert!(
        matches!(err, AccumulatorError::PartitionOutOfRange(_)),
        "{err:?}"
    );
    let err = acc
        .append("t", 3, Some(-1), None, Some(b"v"), &[], 0, 0)
        .unwrap_err();
    assert!(matches!(err, AccumulatorError::PartitionOutOfRange(_)));
    let err = acc
        .append("t", 0, None, None, Some(b"v"), &[], 0, 0)
        .unwrap_err();
    assert_eq!(err, AccumulatorError::InvalidPartitionCount(0));
    assert_eq!(acc.live_batches(), 0);
}

#[test]
fn unkeyed_records_stick_then_switch_among_available_partitions() {
    let mut acc = accumulator(config());
    acc.set_available_partitions("t", Some(vec![1, 3]));
    let mut partitions = Vec::new();
    for n in 0..200 {
        let v = value(n);
        let a = acc.append("t", 4, None, None, Some(&v), &[], 0, 0).unwrap();
        partitions.push(a.partition);
        // Draining empties the queue now and then, so switches are not deferred.
        if n % 5 == 4 {
            acc.begin_flush();
            let routing = routes(&acc, "t", 1);
            let drained = acc.drain(&routing, 1 << 20, 0);
            for id in drained.by_node.iter().flat_map(|(_, ids)| ids) {
                acc.complete(*id).unwrap();
            }
            acc.end_flush();
        }
    }
    assert!(
        partitions.iter().all(|&p| p == 1 || p == 3),
        "{partitions:?}"
    );
    // Runs of one partition last about a batch (eight 109-byte records), never one record.
    let mut runs = Vec::new();
    let mut len = 1;
    for w in partitions.windows(2) {
        if w[0] == w[1] {
            len += 1;
        } else {
            runs.push(len);
            len = 1;
        }
    }
    // (A switch may pick the same partition again, which merges two runs.)
    assert!(runs.len() >= 2, "{runs:?}");
    assert!(runs.iter().all(|&r| r >= 8), "{runs:?}");
}

#[test]
fn switch_is_deferred_while_the_last_batch_is_open() {
    // Nothing drains: the partitioner switches only when 2 x batch_size went to one partition.
    let mut acc = accumulator(config());
    let mut switched_after = None;
    for n in 1..100 {
        let v = value(n);
        acc.append("t", 4, None, None, Some(&v), &[], 0, 0).unwrap();
        if acc.topics[0].sticky.produced_bytes() == 0 {
            switched_after = Some(n);
            break;
        }
    }
    // 2000 bytes: a 61-byte batch header per batch plus 109 bytes per record.
    assert_eq!(switched_after, Some(17));
}

#[test]
fn linger_readiness_and_next_ready_time() {
    let mut acc = accumulator(config());
    fill(&mut acc, "t", 0, 1, 100);
    fill(&mut acc, "t", 1, 1, 104);
    let check = acc.ready(105);
    assert!(check.ready.is_empty());
    assert_eq!(check.next_ready_ms, Some(110));
    let check = acc.ready(110);
    let t = acc.topic_id("t").unwrap();
    assert_eq!(check.ready, vec![(t, 0)]);
    assert_eq!(check.next_ready_ms, Some(114));
    let check = acc.ready(200);
    assert_eq!(check.ready, vec![(t, 0), (t, 1)]);
    assert_eq!(check.next_ready_ms, None);
}

#[test]
fn full_batches_are_ready_before_linger() {
    let mut acc = accumulator(AccumulatorConfig {
        linger_ms: 1_000,
        ..config()
    });
    fill(&mut acc, "t", 2, 10, 0); // a closed batch and an open one
    fill(&mut acc, "t", 3, 1, 0);
    let t = acc.topic_id("t").unwrap();
    let check = acc.ready(1);
    assert_eq!(check.ready, vec![(t, 2)]);
    assert_eq!(check.next_ready_ms, Some(1_000));
}

#[test]
fn flush_and_close_make_everything_ready() {
    let mut acc = accumulator(AccumulatorConfig {
        linger_ms: 1_000,
        ..config()
    });
    fill(&mut acc, "t", 0, 1, 0);
    assert!(acc.ready(1).ready.is_empty());
    acc.begin_flush();
    assert_eq!(acc.ready(1).ready.len(), 1);
    acc.end_flush();
    assert!(acc.ready(1).ready.is_empty());
    acc.close();
    assert_eq!(acc.ready(1).ready.len(), 1);
    let err = acc
        .append("t", 4, Some(0), None, None, &[], 0, 0)
        .unwrap_err();
    assert_eq!(err, AccumulatorError::Closed);
}

#[test]
fn append_many_reports_runs_per_batch() {
    let mut acc = accumulator(config());
    let values: Vec<Vec<u8>> = (0..20).map(value).collect();
    let out = acc
        .append_many(
            "t",
            4,
            Some(1),
            values.iter().map(|v| (None, Some(v.as_slice()))),
            7,
            0,
        )
        .unwrap();
    assert_eq!(out.appended, 20);
    assert!(out.error.is_none());
    assert_eq!(out.runs.len(), 3);
    assert_eq!(out.runs.iter().map(|r| r.count).sum::<u32>(), 20);
    assert!(out.runs.iter().all(|r| r.first_index == 0));
    let queue = &acc.topics[0].partitions[1];
    for (run, batch) in out.runs.iter().zip(&queue.batches) {
        assert_eq!(run.batch_id, batch.id);
        assert_eq!(run.count as usize, batch.record_count());
    }
    // Continuing into the open batch: the run starts at its next index.
    let more = acc
        .append_many("t", 4, Some(1), [(None, Some(&b"x"[..]))], 7, 0)
        .unwrap();
    assert_eq!(more.runs[0].batch_id, out.runs[2].batch_id);
    assert_eq!(more.runs[0].first_index, out.runs[2].count);
    assert_memory_exact(&acc);
}

#[test]
fn append_many_keyed_records_form_runs_per_partition() {
    let mut acc = accumulator(config());
    let keys: Vec<Vec<u8>> = (0..50).map(|n| format!("key-{n}").into_bytes()).collect();
    let out = acc
        .append_many(
            "t",
            4,
            None,
            keys.iter().map(|k| (Some(k.as_slice()), Some(&b"v"[..]))),
            7,
            0,
        )
        .unwrap();
    assert_eq!(out.appended, 50);
    assert_eq!(out.runs.iter().map(|r| r.count).sum::<u32>(), 50);
    for (n, key) in keys.iter().enumerate() {
        // Find the run holding input record n and check its partition.
        let mut start = 0;
        let run = out
            .runs
            .iter()
            .find(|r| {
                let hit = (start..start + r.count as usize).contains(&n);
                start += r.count as usize;
                hit
            })
            .unwrap();
        let (_, partition) = acc.batch_info(run.batch_id).unwrap();
        assert_eq!(partition, partition_for_key(key, 4));
    }
}

#[test]
fn append_many_stops_at_buffer_full_and_errors_when_nothing_fits() {
    let mut acc = accumulator(AccumulatorConfig {
        buffer_memory: 1_000,
        ..config()
    });
    let values: Vec<Vec<u8>> = (0..20).map(value).collect();
    let iter = || values.iter().map(|v| (None, Some(v.as_slice())));
    let out = acc.append_many("t", 4, Some(0), iter(), 0, 0).unwrap();
    assert!(out.appended > 0 && out.appended < 20);
    assert!(matches!(
        out.error,
        Some(AccumulatorError::BufferFull { .. })
    ));
    assert_eq!(
        out.runs.iter().map(|r| r.count as usize).sum::<usize>(),
        out.appended
    );
    let err = acc.append_many("t", 4, Some(0), iter(), 0, 0).unwrap_err();
    assert!(matches!(err, AccumulatorError::BufferFull { .. }));
    assert_memory_exact(&acc);
}

#[test]
fn handle_packs_batch_and_index() {
    let a = Appended {
        batch_id: 0xdead_beef,
        index: 7,
        partition: 0,
        new_batch: false,
    };
    assert_eq!(a.handle(), 0xdead_beef_0000_0007);
}

#[test]
fn batch_ids_skip_ids_still_in_use() {
    let mut acc = accumulator(config());
    acc.next_batch_id = u32::MAX;
    let a = acc
        .append("t", 4, Some(0), None, Some(b"v"), &[], 0, 0)
        .unwrap();
    assert_eq!(a.batch_id, u32::MAX);
    acc.next_batch_id = u32::MAX;
    let b = acc
        .append("t", 4, Some(1), None, Some(b"v"), &[], 0, 0)
        .unwrap();
    assert_eq!(b.batch_id, 0, "wrapped, skipping the live id");
}

#[test]
fn adaptive_weights_wait_until_every_partition_had_a_batch() {
    let mut acc = accumulator(AccumulatorConfig {
        buffer_memory: 1 << 20,
        ..config()
    });
    fill(&mut acc, "t", 0, 200, 0); // 25 batches
    acc.topics[0].sticky = StickyPartitioner::with_seed(1_000, 42);
    // The weights are kept only for topics that had unkeyed records, as the loop below adds.
    acc.topics[0].sticky_used = true;
    acc.ready(0);
    assert_eq!(
        acc.topics[0].sticky.load_range_end(),
        None,
        "partitions 1-3 never had a batch"
    );
    for p in 1..4 {
        fill(&mut acc, "t", p, 1, 0);
    }
    acc.ready(0);
    // Queue lengths 25, 1, 1, 1: weights 1, 25, 25, 25.
    assert_eq!(acc.topics[0].sticky.load_range_end(), Some(76));
    let mut zero = 0;
    for n in 0..400 {
        let v = value(n);
        let a = acc.append("t", 4, None, None, Some(&v), &[], 0, 0).unwrap();
        zero += i32::from(a.partition == 0);
        acc.ready(0);
    }
    // Uniform switching would send about 100 records there.
    assert!(
        zero <= 20,
        "{zero} of 400 records went to the loaded partition"
    );
}

#[test]
fn invalid_config_is_rejected() {
    for bad in [
        AccumulatorConfig {
            batch_size: 0,
            ..config()
        },
        AccumulatorConfig {
            linger_ms: -1,
            ..config()
        },
        AccumulatorConfig {
            buffer_memory: 0,
            ..config()
        },
        AccumulatorConfig {
            max_request_size: 0,
            ..config()
        },
        AccumulatorConfig {
            transactional: true,
            idempotent: false,
            ..config()
        },
    ] {
        assert!(matches!(
            Accumulator::new(bad),
            Err(AccumulatorError::InvalidConfig(_))
        ));
    }
}

#[test]
fn size_bound_is_never_below_the_exact_size() {
    let builder = BatchBuilder::new(0, 0);
    let long = vec![1u8; 70_000];
    let headers = [
        Header {
            key: "k",
            value: Some(&long[..300]),
        },
        Header {
            key: "",
            value: None,
        },
    ];
    for (ts, key, value, headers) in [
        (0, None, None, &[][..]),
        (i64::MIN, Some(&long[..]), Some(&long[..]), &headers[..]),
        (i64::MAX, Some(&b""[..]), None, &headers[..1]),
        (-1, None, Some(&long[..127]), &[][..]),
    ] {
        let exact = builder.size_of_next(ts, key, value, headers);
        assert!(record_size_bound(key, value, headers) >= exact);
    }
}
