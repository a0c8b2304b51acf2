use std::sync::mpsc::channel;
use std::thread;
use std::time::{Duration, Instant};

use super::*;
use crate::producer::batch::{Sealed, TopicId};
use crate::record::{decode_batches, BatchBuilder, Codec, ProducerStamp, RECORD_BATCH_OVERHEAD};

fn pool(size: usize) -> &'static WorkerPool {
    // Leaked on purpose: a Sealer borrows its pool for the life of the process.
    Box::leak(Box::new(WorkerPool::new(size)))
}

fn closed_batch(id: BatchId, records: usize) -> Batch {
    let mut builder = BatchBuilder::new(1_000, 0);
    for i in 0..records {
        let value = format!("{{\"id\":{i},\"name\":\"record number {i}\",\"ok\":true}}");
        builder.append(1_000 + i as i64, None, Some(value.as_bytes()), &[]);
    }
    let mut batch = Batch::new(id, TopicId(0), 0, builder, 0);
    batch.closed = true;
    batch
}

/// Waits (bounded) until the wake-up socket is readable, the way the event loop would.
fn wait_until_woken(sealer: &Sealer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sealer.mailbox.signalled.load(Ordering::Acquire) {
        assert!(Instant::now() < deadline, "no wake-up within 10 s");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn jobs_run_on_worker_threads() {
    let pool = pool(2);
    assert_eq!(pool.size(), 2);
    let (tx, rx) = channel();
    for n in 0..8 {
        let tx = tx.clone();
        pool.submit(move || tx.send((n, thread::current().id())).unwrap());
    }
    let mut seen: Vec<_> = (0..8)
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    seen.sort_by_key(|&(n, _)| n);
    assert_eq!(
        seen.iter().map(|&(n, _)| n).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|&(_, id)| id != thread::current().id()));
}

#[test]
fn the_shared_pool_is_sized_for_the_cores() {
    let size = WorkerPool::shared().size();
    assert!((1..=MAX_WORKERS).contains(&size), "{size}");
}

#[test]
fn offered_batches_come_back_compressed_and_frame_into_valid_batches() {
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let compression = Compression::parse(codec, None).unwrap();
        let mut sealer = Sealer::new(compression, 0, pool(1)).unwrap();
        let mut batch = closed_batch(7, 50);
        let mut other = closed_batch(8, 5);
        let raw = batch.builder.records_bytes().to_vec();
        sealer.offer(&mut batch);
        sealer.offer(&mut other);
        assert!(sealer.submit().is_empty(), "two batches go to the workers");
        assert!(
            matches!(batch.compressing, Compressing::OnWorker(_)),
            "{codec}"
        );
        assert!(
            batch.builder.records_bytes().is_empty(),
            "records moved, not copied"
        );
        assert!(!sealer.wants(&batch), "handed over once");

        let mut finished = Vec::new();
        while finished.len() < 2 {
            wait_until_woken(&sealer);
            finished.extend(sealer.take_finished());
        }
        assert_eq!(sealer.on_workers, 0);
        finished.sort_by_key(|done| done.batch_id);
        let done = finished.swap_remove(0);
        assert_eq!(done.batch_id, 7);
        assert_eq!(
            &done.records[RECORD_BATCH_OVERHEAD..],
            raw,
            "records come back as they left"
        );
        batch.builder.restore_records(done.records);
        let stamp = ProducerStamp {
            producer_id: 3,
            producer_epoch: 1,
            base_sequence: 10,
            transactional: false,
        };
        let framed = batch
            .builder
            .frame(done.result.unwrap(), &stamp, compression.codec)
            .unwrap();
        assert_eq!(
            framed,
            batch.builder.seal(&stamp, &compression).unwrap(),
            "{codec}: the same bytes as sealing on the caller's thread"
        );
        let decoded = decode_batches(&framed).unwrap();
        assert_eq!(decoded[0].records.len(), 50);
        assert_eq!(decoded[0].base_sequence, 10);
    }
}

#[test]
fn a_lone_batch_is_given_back_for_the_drain() {
    let compression = Compression::parse("lz4", None).unwrap();
    let mut sealer = Sealer::new(compression, 0, pool(1)).unwrap();
    let mut batch = closed_batch(3, 50);
    let raw = batch.builder.records_bytes().to_vec();
    sealer.offer(&mut batch);
    assert_eq!(sealer.on_workers, 1);
    let kept = sealer.submit();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0, 3);
    assert_eq!(
        &kept[0].1[RECORD_BATCH_OVERHEAD..],
        raw,
        "the records, as they left"
    );
    assert_eq!(sealer.on_workers, 0);
    assert!(!sealer.expecting());
    assert!(sealer.submit().is_empty(), "given back once");
}

#[test]
fn small_and_sealed_batches_stay_with_the_caller() {
    let compression = Compression::parse("lz4", None).unwrap();
    let mut sealer = Sealer::new(compression, 4096, pool(1)).unwrap();
    let mut small = closed_batch(1, 2);
    sealer.offer(&mut small);
    assert!(matches!(small.compressing, Compressing::NotStarted));
    let mut retried = closed_batch(2, 200);
    retried.sealed = Sealed::Owned(vec![0; 61]);
    sealer.offer(&mut retried);
    assert!(matches!(retried.compressing, Compressing::NotStarted));
    assert_eq!(sealer.on_workers, 0);
    assert!(!sealer.expecting());
}

#[test]
fn many_results_make_one_wake_up_until_taken() {
    let compression = Compression::parse("zstd", None).unwrap();
    let mut sealer = Sealer::new(compression, 0, pool(2)).unwrap();
    let mut tickets = Vec::new();
    for id in 0..20 {
        let mut batch = closed_batch(id, 20);
        sealer.offer(&mut batch);
        let Compressing::OnWorker(ticket) = batch.compressing else {
            panic!("not handed over");
        };
        tickets.push(ticket);
    }
    assert!(sealer.submit().is_empty());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut finished = Vec::new();
    while finished.len() < 20 {
        assert!(
            Instant::now() < deadline,
            "only {} of 20 back",
            finished.len()
        );
        wait_until_woken(&sealer);
        finished.extend(sealer.take_finished());
    }
    let mut back: Vec<_> = finished.iter().map(|c| c.ticket).collect();
    back.sort_unstable();
    assert_eq!(back, tickets);
    let mut byte = [0_u8; 1];
    let unread = (&sealer.woken).read(&mut byte);
    assert_eq!(
        unread.unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the wake-up was consumed"
    );
    assert!(!sealer.expecting());
}

#[test]
fn a_failed_job_reports_its_error() {
    let mailbox = Arc::new(Mailbox::new(UnixStream::pair().unwrap().0));
    mailbox.outstanding.store(1, Ordering::Release);
    let posted = Arc::clone(&mailbox);
    let (tx, rx) = channel();
    pool(1).submit(move || {
        posted.post(Compressed {
            batch_id: 1,
            ticket: 0,
            records: Vec::new(),
            result: Err(RecordError::Compress {
                codec: Codec::Lz4.name(),
                reason: "refused".into(),
            }),
        });
        tx.send(()).unwrap();
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let done = lock(&mailbox.done).pop().unwrap();
    assert!(done.result.unwrap_err().to_string().contains("refused"));
}

/// Holds the pool's only worker until the returned sender is used (or dropped).
fn hold_the_worker(pool: &WorkerPool) -> std::sync::mpsc::Sender<()> {
    let (open, gate) = channel::<()>();
    pool.submit(move || {
        let _ = gate.recv();
    });
    open
}

/// Waits (bounded) until the pool's only worker has run every job queued before this call.
fn wait_for_queued_jobs(pool: &WorkerPool) {
    let (tx, rx) = channel();
    pool.submit(move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the worker did not get through its queue within 10 s");
}

/// Offers `count` closed batches (ids from `first`) and sends them to the workers.
fn hand_over_batches(sealer: &mut Sealer, first: BatchId, count: BatchId) -> Vec<Ticket> {
    let mut tickets = Vec::new();
    for id in first..first + count {
        let mut batch = closed_batch(id, 50);
        sealer.offer(&mut batch);
        let Compressing::OnWorker(ticket) = batch.compressing else {
            panic!("not handed over");
        };
        tickets.push(ticket);
    }
    assert!(
        sealer.submit().is_empty(),
        "{count} batches go to the workers"
    );
    tickets
}

#[test]
fn a_dropped_sealers_queued_batches_are_skipped_and_a_live_ones_come_back() {
    let pool = pool(1);
    let compression = Compression::parse("zstd", None).unwrap();
    let open = hold_the_worker(pool);
    let mut dropped = Sealer::new(compression, 0, pool).unwrap();
    hand_over_batches(&mut dropped, 0, 6);
    let mut live = Sealer::new(compression, 0, pool).unwrap();
    let tickets = hand_over_batches(&mut live, 10, 4);
    let abandoned = Arc::clone(&dropped.mailbox);
    drop(dropped);
    open.send(()).unwrap();

    let mut finished = Vec::new();
    while finished.len() < tickets.len() {
        wait_until_woken(&live);
        finished.extend(live.take_finished());
    }
    let mut back: Vec<_> = finished.iter().map(|c| c.ticket).collect();
    back.sort_unstable();
    assert_eq!(back, tickets, "the live sealer gets every result");
    assert!(finished.iter().all(|c| c.result.is_ok()));
    assert_eq!(live.mailbox.compressed.load(Ordering::Acquire), 4);
    assert!(!live.expecting());

    wait_for_queued_jobs(pool);
    assert_eq!(
        abandoned.compressed.load(Ordering::Acquire),
        0,
        "the dropped sealer's batches were not compressed"
    );
    assert!(lock(&abandoned.done).is_empty());
    assert!(!abandoned.signalled.load(Ordering::Acquire));
}

#[test]
fn a_result_posted_to_an_abandoned_mailbox_is_dropped_without_a_wake_up() {
    let (woken, wake) = UnixStream::pair().unwrap();
    woken.set_nonblocking(true).unwrap();
    let mailbox = Mailbox::new(wake);
    mailbox.outstanding.store(1, Ordering::Release);
    // Abandoned after the job compressed its batch, before it posts it.
    mailbox.abandoned.store(true, Ordering::Release);
    mailbox.post(Compressed {
        batch_id: 1,
        ticket: 0,
        records: vec![1, 2, 3],
        result: Ok(vec![4, 5]),
    });
    assert!(lock(&mailbox.done).is_empty());
    assert!(!mailbox.signalled.load(Ordering::Acquire));
    let mut byte = [0_u8; 1];
    let unread = (&woken).read(&mut byte);
    assert_eq!(
        unread.unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "no wake-up written"
    );
}

mod in_the_accumulator {
    use super::*;
    use crate::producer::test_support::{accumulator, config, decoded, fill, routes, value};
    use crate::producer::{Accumulator, AccumulatorConfig};

    fn lz4_on_workers() -> Accumulator {
        let mut acc = accumulator(AccumulatorConfig {
            compression: Compression::parse("lz4", None).unwrap(),
            compress_on_workers_from: Some(0),
            idempotent: true,
            ..config()
        });
        acc.set_producer_id(5, 0);
        acc
    }

    /// Takes back what the workers finished, waiting (bounded) until nothing is on them.
    fn wait_for_workers(acc: &mut Accumulator) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while acc.compressing_batches() > 0 {
            assert!(Instant::now() < deadline, "workers did not finish");
            acc.take_compressed();
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn closed_batches_go_to_workers_and_drain_in_order_with_sequences() {
        let mut acc = lz4_on_workers();
        // 1,000-byte batches of 100-byte records: 30 records close three (8 each, the 5% margin
        // of the compressed-size estimate leaving no room for a ninth).
        fill(&mut acc, "t", 0, 30, 0);
        assert!(acc.compressing_batches() >= 2);
        assert!(acc.compression_wake_fd().is_some());
        let routing = routes(&acc, "t", 1);
        wait_for_workers(&mut acc);
        let mut sequences = Vec::new();
        let mut values = Vec::new();
        for _ in 0..10 {
            acc.begin_flush(); // the open tail batch goes too, handed over by `ready`
            let check = acc.ready(100);
            acc.end_flush();
            wait_for_workers(&mut acc);
            let _ = check;
            let drained = acc.drain(&routing, 1 << 20, 100);
            for (_, ids) in &drained.by_node {
                for &id in ids {
                    let batch = decoded(&acc, id);
                    assert_eq!(batch.codec, Codec::Lz4);
                    sequences.push((batch.base_sequence, batch.records.len()));
                    values.extend(batch.records.into_iter().map(|r| r.value.unwrap()));
                    acc.complete(id).unwrap();
                }
            }
        }
        let expected: Vec<Vec<u8>> = (0..30).map(value).collect();
        assert_eq!(values, expected, "every record once, in order");
        let mut next = 0;
        for (base, count) in sequences {
            assert_eq!(base, next, "sequences follow drain order");
            next += count as i32;
        }
        assert_eq!(acc.live_batches(), 0);
        assert_eq!(acc.used_memory(), 0);
    }

    #[test]
    fn a_batch_on_a_worker_blocks_its_partition_only() {
        let mut acc = lz4_on_workers();
        // One worker, held by a gate: what is handed over stays on it until the gate opens.
        let pool = pool(1);
        let (open, gate) = channel::<()>();
        pool.submit(move || {
            let _ = gate.recv();
        });
        acc.sealer = Some(Sealer::new(acc.config.compression, 0, pool).unwrap());
        fill(&mut acc, "t", 0, 12, 0); // closes batch 0 (to the worker), opens batch 1
        fill(&mut acc, "t", 1, 3, 0);
        let routing = routes(&acc, "t", 1);
        acc.begin_flush();
        let check = acc.ready(100);
        // Partition 0 waits for its head; partition 1's open head, sendable by the flush, was
        // handed over instead of reported.
        assert!(check.ready.is_empty(), "{check:?}");
        assert_eq!(acc.compressing_batches(), 2);
        assert!(acc.drain(&routing, 1 << 20, 100).by_node.is_empty());
        assert_eq!(acc.queued_batches(), 3, "batch 1 did not overtake batch 0");
        open.send(()).unwrap();
        wait_for_workers(&mut acc);
        let drained = acc.drain(&routing, 1 << 20, 100);
        let ids: Vec<BatchId> = drained.by_node[0].1.clone();
        assert_eq!(ids.len(), 2, "one batch per partition");
        assert_eq!(decoded(&acc, ids[0]).base_sequence, 0);
        assert!(ids.contains(&0), "partition 0's first batch went first");
    }

    #[test]
    fn a_dropped_accumulators_batches_are_not_compressed() {
        let mut acc = lz4_on_workers();
        let pool = pool(1);
        let open = hold_the_worker(pool);
        acc.sealer = Some(Sealer::new(acc.config.compression, 0, pool).unwrap());
        fill(&mut acc, "t", 0, 30, 0); // closes three batches
        acc.take_compressed(); // and sends them to the (held) worker
        assert!(acc.compressing_batches() >= 2);
        let mailbox = Arc::clone(&acc.sealer.as_ref().unwrap().mailbox);
        assert!(mailbox.outstanding.load(Ordering::Acquire) >= 2, "queued");
        drop(acc);
        open.send(()).unwrap();
        wait_for_queued_jobs(pool);
        assert_eq!(mailbox.compressed.load(Ordering::Acquire), 0);
        assert!(lock(&mailbox.done).is_empty());
    }

    #[test]
    fn a_lone_sendable_batch_is_reported_ready_and_compressed_at_the_drain() {
        let mut acc = lz4_on_workers();
        fill(&mut acc, "t", 0, 3, 0);
        acc.begin_flush();
        let check = acc.ready(100);
        acc.end_flush();
        assert_eq!(check.ready.len(), 1, "{check:?}");
        assert_eq!(acc.compressing_batches(), 0);
        let drained = acc.drain(&routes(&acc, "t", 1), 1 << 20, 100);
        let id = drained.by_node[0].1[0];
        let batch = decoded(&acc, id);
        assert_eq!(batch.codec, Codec::Lz4);
        assert_eq!(batch.records.len(), 3);
    }

    #[test]
    fn results_for_batches_that_are_gone_are_dropped() {
        let mut acc = lz4_on_workers();
        fill(&mut acc, "t", 0, 30, 0);
        let on_workers = acc.compressing_batches();
        assert!(on_workers >= 2);
        let expired = acc.expire(1_000_000, 10);
        assert!(expired.len() >= on_workers);
        wait_for_workers(&mut acc);
        assert_eq!(acc.live_batches(), 0);
        assert_eq!(acc.used_memory(), 0);
    }

    #[test]
    fn a_compression_failure_fails_the_batch_at_the_drain() {
        let mut acc = lz4_on_workers();
        fill(&mut acc, "t", 0, 30, 0);
        wait_for_workers(&mut acc);
        let head = &mut acc.topics[0].partitions[0].batches[0];
        let failing = head.id;
        head.compressing = Compressing::Done(Err(RecordError::Compress {
            codec: "lz4",
            reason: "out of memory".into(),
        }));
        let drained = acc.drain(&routes(&acc, "t", 1), 1 << 20, 100);
        assert_eq!(drained.failed.len(), 1);
        assert_eq!(drained.failed[0].0, failing);
        assert!(drained.failed[0].1.to_string().contains("out of memory"));
        assert!(acc.batch_info(failing).is_none());
    }

    #[test]
    fn without_a_codec_nothing_is_handed_over() {
        let mut acc = accumulator(AccumulatorConfig {
            compress_on_workers_from: Some(0),
            ..config()
        });
        fill(&mut acc, "t", 0, 30, 0);
        assert_eq!(acc.compressing_batches(), 0);
        assert!(acc.compression_wake_fd().is_none());
    }
}
