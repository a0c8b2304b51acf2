use proptest::prelude::*;

use super::*;
use crate::producer::accumulator::AccumulatorConfig;
use crate::producer::partitioner::StickyPartitioner;
use crate::producer::test_support::*;

type Records = Vec<(Option<Vec<u8>>, Option<Vec<u8>>)>;

/// An accumulator whose topic "t" (4 partitions) switches sticky partitions as `seed` says.
fn seeded(config: AccumulatorConfig, seed: u64) -> Accumulator {
    let batch_size = config.batch_size;
    let mut acc = accumulator(config);
    let topic = acc.topic_id_or_insert("t");
    acc.topics[topic.index()].sticky = StickyPartitioner::with_seed(batch_size, seed);
    acc
}

/// Everything an append leaves behind that a reader of the accumulator could see.
fn state(acc: &Accumulator) -> Vec<(i32, u32, usize, Vec<u8>, usize, bool)> {
    let topic = &acc.topics[0];
    topic
        .partitions
        .iter()
        .enumerate()
        .flat_map(|(p, q)| {
            q.batches.iter().map(move |b| {
                (
                    p as i32,
                    b.id,
                    b.record_count(),
                    b.builder.records_bytes().to_vec(),
                    b.reserved,
                    b.closed,
                )
            })
        })
        .collect()
}

fn record() -> impl Strategy<Value = (Option<Vec<u8>>, Option<Vec<u8>>)> {
    (
        prop::option::weighted(0.3, prop::collection::vec(any::<u8>(), 0..8)),
        prop::option::weighted(0.9, prop::collection::vec(any::<u8>(), 0..300)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// `append_many` is record-by-record `append` with one timestamp, shortcut or not: the same
    /// batches, bytes, memory, runs and partitioner state, and the same stop.
    #[test]
    fn append_many_appends_as_single_appends_do(
        records in prop::collection::vec(record(), 0..120),
        partition in prop::option::weighted(0.3, 0..5_i32),
        ignore_keys in any::<bool>(),
        buffer_memory in 2_000..40_000_usize,
        seed in any::<u64>(),
    ) {
        let config = AccumulatorConfig {
            buffer_memory,
            partitioner_ignore_keys: ignore_keys,
            ..config()
        };
        let mut many = seeded(config.clone(), seed);
        let mut single = seeded(config, seed);
        let pairs = records.iter().map(|(k, v)| (k.as_deref(), v.as_deref()));
        let outcome = many.append_many("t", 4, partition, pairs, 7, 3);

        let mut handles = Vec::new();
        let mut error = None;
        for (key, value) in &records {
            match single.append("t", 4, partition, key.as_deref(), value.as_deref(), &[], 7, 3) {
                Ok(done) => handles.push(done),
                Err(err) => {
                    error = Some(err);
                    break;
                }
            }
        }
        match outcome {
            Err(err) => {
                prop_assert!(handles.is_empty());
                prop_assert_eq!(Some(err), error);
            }
            Ok(outcome) => {
                prop_assert_eq!(outcome.appended, handles.len());
                prop_assert_eq!(outcome.error, error);
                let from_runs: Vec<(BatchId, u32)> = outcome
                    .runs
                    .iter()
                    .flat_map(|r| (r.first_index..r.first_index + r.count).map(|i| (r.batch_id, i)))
                    .collect();
                let from_handles: Vec<(BatchId, u32)> =
                    handles.iter().map(|h| (h.batch_id, h.index)).collect();
                prop_assert_eq!(from_runs, from_handles);
            }
        }
        prop_assert_eq!(state(&many), state(&single));
        prop_assert_eq!(many.used_memory(), single.used_memory());
        prop_assert_eq!(many.metrics().records_appended, single.metrics().records_appended);
        let (a, b) = (&many.topics[0].sticky, &single.topics[0].sticky);
        prop_assert_eq!((a.current(), a.produced_bytes()), (b.current(), b.produced_bytes()));
        assert_memory_exact(&many);
    }
}

#[test]
fn a_bulk_append_on_a_closed_accumulator_refuses_its_first_record() {
    let mut acc = accumulator(config());
    acc.close();
    let empty: Records = Vec::new();
    let none = acc
        .append_many(
            "t",
            4,
            None,
            empty.iter().map(|(k, v)| (k.as_deref(), v.as_deref())),
            0,
            0,
        )
        .unwrap();
    assert_eq!((none.appended, none.runs.len()), (0, 0));
    let err = acc
        .append_many("t", 4, None, [(None, Some(&b"v"[..]))], 0, 0)
        .unwrap_err();
    assert_eq!(err, AccumulatorError::Closed);
}
