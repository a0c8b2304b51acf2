//! How well a topic's records compress, learned from its batches already compressed (Java's
//! `CompressionRatioEstimator`), and what that means for how many uncompressed bytes a batch
//! may take (Java's `MemoryRecordsBuilder.estimatedBytesWritten` and `isFull`).
//!
//! `batch_size` is a size on the wire. Java compresses while it appends, so its batches close
//! when the header plus the records, scaled by the expected ratio and a 5% margin, reach
//! `batch_size`. Batches here hold their records uncompressed until they are sealed, so the
//! same estimate is turned around: a batch opens with a fill limit in uncompressed bytes, the
//! size whose estimate is `batch_size`. With 1 KiB JSON records that compress to a quarter,
//! a 16 KiB batch holds some 60 records instead of 15, and each request carries four times as
//! many records for the same bytes.
//!
//! Ratios count the records only: the 61-byte header is never compressed.

use crate::record::{Codec, RECORD_BATCH_OVERHEAD};

/// Java's `COMPRESSION_RATE_ESTIMATION_FACTOR`: the margin over the expected ratio, so a batch
/// that compresses a little worse than the last ones still stays within `batch_size`.
const ESTIMATION_FACTOR: f64 = 1.05;

/// Java's `CompressionRatioEstimator` steps: a worse ratio is believed at once, a better one
/// slowly, so batches and requests rarely overshoot.
const DETERIORATE_STEP: f32 = 0.05;
const IMPROVING_STEP: f32 = 0.005;

/// A compressed batch takes at most `max_request_size` less this share of it: the worst case
/// of every codec on incompressible records (lz4 adds 1/255, zstd 1/256, gzip and snappy
/// less) stays below it, with room left for the request's own header.
const WORST_CASE_MARGIN_DIVISOR: usize = 64;

/// The expected compressed/uncompressed ratio of one topic's records with one codec (an
/// accumulator has a single codec, so one estimator per topic). Without a codec it is not
/// consulted: batches fill to `batch_size`, as in Java.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioEstimator {
    compressing: bool,
    /// Starts at 1.0 (Java's initial rate for every codec): until a batch was compressed,
    /// nothing is assumed, and the first batches are no larger than without compression.
    ratio: f32,
}

impl RatioEstimator {
    pub fn new(codec: Codec) -> Self {
        Self {
            compressing: codec != Codec::None,
            ratio: 1.0,
        }
    }

    /// The current estimate of compressed/uncompressed record bytes.
    pub fn ratio(&self) -> f32 {
        self.ratio
    }

    /// Learns from a sealed batch of `sealed` bytes (header included) whose builder held
    /// `uncompressed` bytes (header included).
    ///
    /// Java's rule: a worse ratio raises the estimate by at least `DETERIORATE_STEP`, a
    /// better one lowers it by `IMPROVING_STEP`; unlike Java, never below the ratio observed,
    /// which keeps a single very compressible batch from overstating the next ones.
    pub fn observe(&mut self, sealed: usize, uncompressed: usize) {
        let Some(observed) = self.observed(sealed, uncompressed) else {
            return;
        };
        if observed > self.ratio {
            self.ratio = (self.ratio + DETERIORATE_STEP).max(observed);
        } else if observed < self.ratio {
            self.ratio = (self.ratio - IMPROVING_STEP).max(observed);
        }
    }

    /// After the broker refused a batch as too large: back to no smaller than 1.0, or the
    /// refused batch's own ratio if worse (Java's `ProducerBatch.split`), so that the batches
    /// that follow are no larger than uncompressed ones until the ratio is learnt again.
    pub fn reset_after_split(&mut self, sealed: usize, uncompressed: usize) {
        if self.compressing {
            let observed = self.observed(sealed, uncompressed).unwrap_or(1.0);
            self.ratio = observed.max(1.0);
        }
    }

    fn observed(self, sealed: usize, uncompressed: usize) -> Option<f32> {
        let records = uncompressed.checked_sub(RECORD_BATCH_OVERHEAD)?;
        if !self.compressing || records == 0 {
            return None;
        }
        let compressed = sealed.saturating_sub(RECORD_BATCH_OVERHEAD);
        #[allow(clippy::cast_precision_loss)] // a ratio; batches are far below 2^52 bytes
        let observed = (compressed as f64 / records as f64) as f32;
        Some(observed)
    }

    /// The uncompressed size (header included) at which a batch opened now is full: without
    /// a codec `batch_size`; with one, the size whose estimated wire size (header, plus the
    /// records times the ratio and `ESTIMATION_FACTOR`) is `batch_size`, and never more than
    /// a request can carry in the worst case.
    pub fn fill_limit(&self, batch_size: usize, max_request_size: usize) -> usize {
        if !self.compressing {
            return batch_size;
        }
        let scale = f64::from(self.ratio) * ESTIMATION_FACTOR;
        #[allow(clippy::cast_precision_loss)] // sizes far below 2^52
        let (room, most) = (
            batch_size.saturating_sub(RECORD_BATCH_OVERHEAD) as f64,
            max_request_size as f64,
        );
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // positive, bounded
        let records = (room / scale).min(most).floor() as usize;
        let worst_case = max_request_size - max_request_size / WORST_CASE_MARGIN_DIVISOR;
        (RECORD_BATCH_OVERHEAD + records).min(worst_case.max(RECORD_BATCH_OVERHEAD))
    }

    /// Bytes a batch of `uncompressed` bytes (header included) is expected to take in a
    /// request, for sizing requests before the batch is sealed.
    pub fn wire_size(&self, uncompressed: usize) -> usize {
        if !self.compressing {
            return uncompressed;
        }
        let records = uncompressed.saturating_sub(RECORD_BATCH_OVERHEAD);
        #[allow(clippy::cast_precision_loss)] // an estimate
        let compressed = (records as f64 * f64::from(self.ratio)).ceil();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // positive, bounded
        let compressed = compressed as usize;
        RECORD_BATCH_OVERHEAD + compressed
    }
}

/// `bytes` appended to a batch whose fill limit is `fill_limit`, counted as the share of
/// `batch_size` they take on the wire: what the sticky partitioner counts (Java counts the
/// growth of the batch's estimated size), so it moves on after about one full batch whether
/// or not the records compress.
pub fn on_wire_share(bytes: usize, batch_size: usize, fill_limit: usize) -> usize {
    if fill_limit == batch_size || fill_limit == 0 {
        return bytes;
    }
    let share = bytes as u128 * batch_size as u128 / fill_limit as u128;
    usize::try_from(share).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: usize = RECORD_BATCH_OVERHEAD;

    fn lz4() -> RatioEstimator {
        RatioEstimator::new(Codec::Lz4)
    }

    /// A sealed size whose records compress to `ratio` of `records` bytes.
    fn sealed(records: usize, ratio: f64) -> (usize, usize) {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        #[allow(clippy::cast_sign_loss)]
        let compressed = (records as f64 * ratio).round() as usize;
        (H + compressed, H + records)
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    #[test]
    fn starts_at_one_and_improves_slowly() {
        let mut e = lz4();
        assert!(close(e.ratio(), 1.0));
        let (s, u) = sealed(10_000, 0.25);
        e.observe(s, u);
        assert!(close(e.ratio(), 0.995), "{}", e.ratio());
        for _ in 0..99 {
            e.observe(s, u);
        }
        assert!(close(e.ratio(), 0.5), "{}", e.ratio());
        for _ in 0..1_000 {
            e.observe(s, u);
        }
        assert!(
            close(e.ratio(), 0.25),
            "never below the observed ratio: {}",
            e.ratio()
        );
    }

    #[test]
    fn worse_ratio_is_believed_at_once() {
        let mut e = lz4();
        e.ratio = 0.5;
        let (s, u) = sealed(10_000, 0.52);
        e.observe(s, u);
        assert!(
            close(e.ratio(), 0.55),
            "at least one step up: {}",
            e.ratio()
        );
        let (s, u) = sealed(10_000, 0.9);
        e.observe(s, u);
        assert!(
            close(e.ratio(), 0.9),
            "the observed ratio if worse: {}",
            e.ratio()
        );
        let (s, u) = sealed(10_000, 0.9);
        e.observe(s, u);
        assert!(close(e.ratio(), 0.9), "unchanged when equal: {}", e.ratio());
    }

    #[test]
    fn header_is_not_part_of_the_ratio() {
        let mut e = lz4();
        e.ratio = 0.5;
        e.observe(H + 50, H + 100);
        assert!(close(e.ratio(), 0.5), "{}", e.ratio());
        e.observe(H, H);
        assert!(close(e.ratio(), 0.5), "an empty batch teaches nothing");
    }

    #[test]
    fn without_a_codec_nothing_is_learnt() {
        let mut e = RatioEstimator::new(Codec::None);
        e.observe(H + 10, H + 1_000);
        assert!(close(e.ratio(), 1.0));
        assert_eq!(e.fill_limit(16_384, 1 << 20), 16_384);
        assert_eq!(e.wire_size(5_000), 5_000);
        e.reset_after_split(H + 10, H + 1_000);
        assert!(close(e.ratio(), 1.0));
    }

    #[test]
    fn fill_limit_scales_with_the_ratio_and_margin() {
        let mut e = lz4();
        // Ratio 1.0: only the 5% margin, so incompressible records stay within batch_size.
        let limit = e.fill_limit(16_384, 1 << 20);
        assert_eq!(limit, H + 15_545, "16,323 / 1.05");
        assert!(e.wire_size(limit) <= 16_384);
        e.ratio = 0.25;
        let limit = e.fill_limit(16_384, 1 << 20);
        assert_eq!(limit, H + 62_182, "16,323 / 0.2625");
        // The expected wire size of a full batch is batch_size less the margin.
        let wire = e.wire_size(limit);
        assert!(wire <= 16_384 && wire * 105 / 100 >= 16_384 - H, "{wire}");
    }

    #[test]
    fn fill_limit_never_exceeds_what_a_request_carries() {
        let mut e = lz4();
        e.ratio = 0.01;
        let max_request = 1 << 20;
        let limit = e.fill_limit(1 << 20, max_request);
        assert_eq!(limit, max_request - max_request / 64);
        // lz4's bound on incompressible input: n + n/255 + 16.
        let worst = limit + limit / 255 + 16;
        assert!(worst < max_request, "{worst}");
        // batch_size below the header: one record per batch, as without compression.
        assert_eq!(e.fill_limit(10, max_request), H);
    }

    #[test]
    fn split_resets_to_at_least_one() {
        let mut e = lz4();
        e.ratio = 0.2;
        let (s, u) = sealed(10_000, 0.3);
        e.reset_after_split(s, u);
        assert!(close(e.ratio(), 1.0));
        let (s, u) = sealed(10_000, 1.2);
        e.reset_after_split(s, u);
        assert!(close(e.ratio(), 1.2), "{}", e.ratio());
    }

    #[test]
    fn wire_size_estimates_compressed_records() {
        let mut e = lz4();
        e.ratio = 0.5;
        assert_eq!(e.wire_size(H + 1_000), H + 500);
        assert_eq!(e.wire_size(H), H);
        e.ratio = 1.3;
        assert_eq!(e.wire_size(H + 1_000), H + 1_300);
    }

    #[test]
    fn wire_share_counts_the_estimated_bytes() {
        assert_eq!(on_wire_share(1_000, 16_384, 16_384), 1_000);
        assert_eq!(on_wire_share(1_000, 16_384, 65_536), 250);
        assert_eq!(on_wire_share(1_000, 16_384, 0), 1_000);
    }

    mod in_the_accumulator {
        use std::thread;
        use std::time::{Duration, Instant};

        use crate::producer::test_support::{accumulator, config, decoded, fill, routes};
        use crate::producer::{Accumulator, AccumulatorConfig};
        use crate::record::Compression;

        fn lz4(compress_on_workers_from: Option<usize>) -> Accumulator {
            accumulator(AccumulatorConfig {
                compression: Compression::parse("lz4", None).unwrap(),
                compress_on_workers_from,
                ..config()
            })
        }

        /// Drains partition 0 of "t" until empty, completing every batch; returns the sealed
        /// size and record count of each, in order.
        fn drain_all(acc: &mut Accumulator) -> Vec<(usize, usize)> {
            let routing = routes(acc, "t", 1);
            let mut sent = Vec::new();
            while acc.queued_batches() > 0 {
                let drained = acc.drain(&routing, 1 << 20, 100);
                for &id in &drained.by_node[0].1 {
                    let sealed = acc.sealed_batch(id).unwrap().len();
                    sent.push((sealed, decoded(acc, id).records.len()));
                    acc.complete(id).unwrap();
                }
            }
            sent
        }

        #[test]
        fn compressible_batches_fill_past_batch_size_once_the_ratio_is_learnt() {
            let mut acc = lz4(None);
            let mut sent = Vec::new();
            for _ in 0..60 {
                fill(&mut acc, "t", 0, 50, 0);
                sent.extend(drain_all(&mut acc));
            }
            // 100-byte records, ~108 encoded: 8 fit in 1,000 bytes less the 5% margin.
            assert!(sent[..3].iter().all(|&(_, n)| n <= 8), "{:?}", &sent[..3]);
            let ratio = acc.topics[0].compression_ratio.ratio();
            assert!(ratio < 0.5, "{ratio}");
            let (_, last_count) = sent[sent.len() - 2];
            assert!(last_count > 16, "{:?}", &sent[sent.len() - 5..]);
            assert!(
                sent.iter().all(|&(sealed, _)| sealed <= 1_000),
                "batch_size holds on the wire: {sent:?}"
            );
        }

        #[test]
        fn incompressible_batches_stay_within_batch_size_on_the_wire() {
            let mut acc = lz4(None);
            let mut state = 0x9e37_79b9_7f4a_7c15_u64;
            let mut noise = || {
                let mut v = vec![0_u8; 100];
                for byte in &mut v {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *byte = state.to_le_bytes()[0];
                }
                v
            };
            for round in 0..20 {
                for n in 0..50 {
                    let v = noise();
                    acc.append("t", 4, Some(0), None, Some(&v), &[], n, 0)
                        .unwrap_or_else(|e| panic!("round {round}: {e}"));
                }
                let sent = drain_all(&mut acc);
                assert!(
                    sent.iter().all(|&(sealed, _)| sealed <= 1_000),
                    "round {round}: {sent:?}"
                );
            }
            assert!(acc.topics[0].compression_ratio.ratio() > 1.0);
        }

        #[test]
        fn a_split_makes_the_next_batches_no_larger_than_uncompressed() {
            let mut acc = lz4(None);
            for _ in 0..40 {
                fill(&mut acc, "t", 0, 50, 0);
                drain_all(&mut acc);
            }
            assert!(acc.topics[0].compression_ratio.ratio() < 0.8);
            fill(&mut acc, "t", 0, 50, 0);
            let drained = acc.drain(&routes(&acc, "t", 1), 1 << 20, 100);
            acc.split(drained.by_node[0].1[0]).unwrap();
            assert!(acc.topics[0].compression_ratio.ratio() >= 1.0);
            let queue = &acc.topics[0].partitions[0];
            let open = queue.batches.iter().filter(|b| !b.closed);
            assert!(open.clone().all(|b| b.fill_limit > 1_000), "opened before");
            fill(&mut acc, "t", 1, 1, 0);
            let fresh = acc.topics[0].partitions[1].batches.back().unwrap();
            assert!(fresh.fill_limit <= 1_000, "{}", fresh.fill_limit);
        }

        #[test]
        fn results_from_the_workers_teach_the_ratio_before_the_drain() {
            let mut acc = lz4(Some(0));
            fill(&mut acc, "t", 0, 50, 0);
            assert!(acc.compressing_batches() >= 2);
            let deadline = Instant::now() + Duration::from_secs(10);
            while acc.compressing_batches() > 0 {
                assert!(Instant::now() < deadline, "workers did not finish");
                acc.take_compressed();
                thread::sleep(Duration::from_millis(1));
            }
            let learnt = acc.topics[0].compression_ratio.ratio();
            assert!(learnt < 1.0, "{learnt}");
            drain_all(&mut acc);
            // Batches compressed on the workers were counted once, when they came back.
            let closed_on_workers = acc.metrics().batches_sealed;
            assert!(closed_on_workers >= 5);
            let after = acc.topics[0].compression_ratio.ratio();
            assert!(learnt - after < 0.005 * 2.5, "{learnt} -> {after}");
        }

        #[test]
        fn the_sticky_partitioner_counts_bytes_on_the_wire() {
            let mut acc = lz4(None);
            acc.topics.clear();
            let topic = acc.topic_id_or_insert("t");
            acc.topics[topic.index()].compression_ratio = {
                let mut e = super::lz4();
                e.ratio = 0.25;
                e
            };
            let v = [b'x'; 100];
            let first = acc.append("t", 4, None, None, Some(&v), &[], 0, 0).unwrap();
            let mut same = 1;
            while acc
                .append("t", 4, None, None, Some(&v), &[], 0, 0)
                .unwrap()
                .partition
                == first.partition
            {
                same += 1;
                assert!(same < 1_000);
            }
            // About one batch of 1,000 bytes on the wire: some 35 records, not 9.
            assert!(same > 20, "{same}");
        }
    }
}
