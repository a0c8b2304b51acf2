//! Partition choice: Java-identical murmur2 for keyed records and the KIP-794 uniform sticky
//! partitioner (with adaptive, queue-size-weighted switching) for unkeyed ones.
//!
//! The hash must match `org.apache.kafka.common.utils.Utils.murmur2` bit for bit: users mix
//! Java and Python producers on one topic and expect a key to land on the same partition.

use std::time::{SystemTime, UNIX_EPOCH};

const MURMUR2_SEED: u32 = 0x9747_b28c;
const MURMUR2_M: u32 = 0x5bd1_e995;
const MURMUR2_R: u32 = 24;

/// Java's `Utils.murmur2`: 32-bit `MurmurHash2` with Kafka's seed, little-endian 4-byte chunks.
pub fn murmur2(data: &[u8]) -> i32 {
    // Java hashes `length` as a signed int; for any slice Python can hand us it fits.
    let mut h: u32 = MURMUR2_SEED ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(MURMUR2_M);
        k ^= k >> MURMUR2_R;
        k = k.wrapping_mul(MURMUR2_M);
        h = h.wrapping_mul(MURMUR2_M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through from the highest remaining byte down to the first.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(MURMUR2_M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(MURMUR2_M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(h: i32) -> i32 {
    h & 0x7fff_ffff
}

/// The partition Java's default partitioner picks for a key: over all partitions, available or not.
pub fn partition_for_key(key: &[u8], num_partitions: i32) -> i32 {
    debug_assert!(num_partitions > 0);
    to_positive(murmur2(key)) % num_partitions
}

/// A partition number outside `0..num_partitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("partition {partition} is out of range: the topic has {num_partitions} partitions, numbered from 0")]
pub struct PartitionOutOfRange {
    pub partition: i32,
    pub num_partitions: i32,
}

/// Checks an explicitly requested partition against the topic's partition count.
pub fn validate_partition(partition: i32, num_partitions: i32) -> Result<i32, PartitionOutOfRange> {
    if (0..num_partitions).contains(&partition) {
        Ok(partition)
    } else {
        Err(PartitionOutOfRange {
            partition,
            num_partitions,
        })
    }
}

/// xorshift64*: the partitioner needs cheap, decent randomness, not cryptographic quality, and
/// the crate avoids a `rand` dependency for one call site.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // A zero state would stay zero forever.
        Self(seed | 1)
    }

    fn from_clock(salt: u64) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self::new(nanos ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// A non-negative 31-bit value, like Java's `toPositive(nextInt())`.
    fn next_positive(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as u32
    }
}

/// Cumulative frequency table over the available partitions' inverted queue sizes
/// (Java `BuiltInPartitioner.PartitionLoadStats`): shorter queues get a larger share.
#[derive(Debug, Clone, Default)]
struct LoadStats {
    cumulative: Vec<u32>,
    partition_ids: Vec<i32>,
}

/// The KIP-794 sticky partitioner state of one topic.
#[derive(Debug, Clone)]
pub struct StickyPartitioner {
    /// Bytes to produce to one partition before switching (Java: `batch.size`).
    sticky_batch_size: usize,
    /// `None` until the first unkeyed record of the topic, and right after a switch is due.
    current: Option<i32>,
    /// Bytes appended to `current` since it was chosen.
    produced_bytes: usize,
    /// `None` means "switch uniformly": adaptive partitioning off, too few partitions, or all
    /// queues equally long.
    load: Option<LoadStats>,
    rng: Rng,
}

impl StickyPartitioner {
    pub fn new(sticky_batch_size: usize) -> Self {
        let salt = std::ptr::addr_of!(sticky_batch_size) as u64;
        Self::with_rng(sticky_batch_size, Rng::from_clock(salt))
    }

    /// A partitioner whose random choices repeat from run to run, for tests.
    pub fn with_seed(sticky_batch_size: usize, seed: u64) -> Self {
        Self::with_rng(sticky_batch_size, Rng::new(seed))
    }

    fn with_rng(sticky_batch_size: usize, rng: Rng) -> Self {
        Self {
            sticky_batch_size: sticky_batch_size.max(1),
            current: None,
            produced_bytes: 0,
            load: None,
            rng,
        }
    }

    /// The partition the next unkeyed record goes to. `available` lists the partitions that
    /// have a leader (`None`: all of them).
    pub fn partition(&mut self, num_partitions: i32, available: Option<&[i32]>) -> i32 {
        match self.current {
            Some(p) if p < num_partitions => p,
            _ => self.switch(num_partitions, available),
        }
    }

    /// Accounts `appended_bytes` to the current partition and switches once enough went there.
    ///
    /// `enable_switch` is false while the partition's last batch is still open: switching then
    /// would leave a fractional batch behind (the linger case Java describes in
    /// `updatePartitionInfo`); the cap at twice the batch size bounds that deferral.
    pub fn record_appended(
        &mut self,
        appended_bytes: usize,
        enable_switch: bool,
        num_partitions: i32,
        available: Option<&[i32]>,
    ) {
        if self.current.is_none() {
            return;
        }
        self.produced_bytes += appended_bytes;
        let enough = self.produced_bytes >= self.sticky_batch_size;
        if (enough && enable_switch) || self.produced_bytes >= self.sticky_batch_size * 2 {
            self.switch(num_partitions, available);
        }
    }

    /// Bytes produced to the current sticky partition since it was chosen.
    pub fn produced_bytes(&self) -> usize {
        self.produced_bytes
    }

    /// The current sticky partition, if one was chosen.
    pub fn current(&self) -> Option<i32> {
        self.current
    }

    fn switch(&mut self, num_partitions: i32, available: Option<&[i32]>) -> i32 {
        let next = self.next_partition(num_partitions, available);
        self.current = Some(next);
        self.produced_bytes = 0;
        next
    }

    fn next_partition(&mut self, num_partitions: i32, available: Option<&[i32]>) -> i32 {
        let random = self.rng.next_positive();
        if let Some(load) = &self.load {
            // Stats may predate a partition-count decrease reported by metadata; fall back to
            // uniform choice rather than return a partition that no longer exists.
            if load.partition_ids.iter().all(|&p| p < num_partitions) {
                let total = *load.cumulative.last().expect("load stats are never empty");
                let weighted = random % total;
                // The first entry strictly greater than `weighted`.
                let index = load.cumulative.partition_point(|&c| c <= weighted);
                return load.partition_ids[index];
            }
        }
        let in_range: Option<Vec<i32>> = available.map(|a| {
            a.iter()
                .copied()
                .filter(|&p| (0..num_partitions).contains(&p))
                .collect()
        });
        match in_range.as_deref() {
            Some(list) if !list.is_empty() => list[random as usize % list.len()],
            _ => (random % num_partitions.max(1) as u32) as i32,
        }
    }

    /// Rebuilds the adaptive weights from the queue lengths of the available partitions
    /// (Java `updatePartitionLoadStats`). `queue_sizes[i]` belongs to `partition_ids[i]`;
    /// `num_partitions` counts all partitions of the topic, available or not.
    pub fn update_load_stats(
        &mut self,
        queue_sizes: &[u32],
        partition_ids: &[i32],
        num_partitions: i32,
    ) {
        debug_assert_eq!(queue_sizes.len(), partition_ids.len());
        let length = queue_sizes.len();
        if length < 1 || num_partitions < 2 {
            self.load = None;
            return;
        }
        let max = queue_sizes.iter().copied().max().unwrap_or(0);
        let all_equal = queue_sizes.iter().all(|&q| q == queue_sizes[0]);
        if all_equal && length == num_partitions as usize {
            self.load = None;
            return;
        }
        let max_plus_one = max + 1;
        let mut cumulative = Vec::with_capacity(length);
        let mut running = 0u32;
        for &q in queue_sizes {
            running += max_plus_one - q;
            cumulative.push(running);
        }
        self.load = Some(LoadStats {
            cumulative,
            partition_ids: partition_ids.to_vec(),
        });
    }

    /// Drops the adaptive weights, so switching is uniform again.
    pub fn clear_load_stats(&mut self) {
        self.load = None;
    }

    /// The end of the random range the adaptive choice draws from (tests only).
    #[cfg(test)]
    pub(crate) fn load_range_end(&self) -> Option<u32> {
        self.load
            .as_ref()
            .and_then(|l| l.cumulative.last().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, Utils.murmur2(key), partition of 3, of 6, of 100), printed by kafka-clients 4.1.1.
    const JAVA_VECTORS: &[(&str, i32, i32, i32, i32)] = &[
        ("", 275_646_681, 0, 3, 81),
        ("a", -1_563_381_124, 1, 4, 24),
        ("ab", 316_155_434, 2, 2, 34),
        ("abc", 479_470_107, 0, 3, 7),
        ("abcd", -1_323_649_548, 2, 2, 0),
        ("abcde", 461_995_741, 1, 1, 41),
        ("key", -1_079_937_367, 1, 1, 81),
        ("order-17", 1_568_318_961, 0, 3, 61),
        ("user-42", 1_459_644_460, 1, 4, 60),
        ("0", 971_027_396, 2, 2, 96),
        ("1", -1_993_445_489, 0, 3, 59),
        ("kafka", -798_503_068, 1, 4, 80),
        ("\u{e9}t\u{e9}", -2_101_193_575, 1, 1, 73),
        ("partition-key-with-some-length", -2_003_277_651, 2, 5, 97),
    ];

    #[test]
    fn murmur2_matches_java_utils_test() {
        // The cases of Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn murmur2_and_partitions_match_java_client() {
        for &(key, hash, p3, p6, p100) in JAVA_VECTORS {
            assert_eq!(murmur2(key.as_bytes()), hash, "hash of {key:?}");
            assert_eq!(partition_for_key(key.as_bytes(), 3), p3, "{key:?} of 3");
            assert_eq!(partition_for_key(key.as_bytes(), 6), p6, "{key:?} of 6");
            assert_eq!(
                partition_for_key(key.as_bytes(), 100),
                p100,
                "{key:?} of 100"
            );
        }
        let all_bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(murmur2(&all_bytes), -1_948_347_274);
    }

    #[test]
    fn to_positive_clears_sign_bit_only() {
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(5), 5);
    }

    #[test]
    fn explicit_partition_validation() {
        assert_eq!(validate_partition(0, 3), Ok(0));
        assert_eq!(validate_partition(2, 3), Ok(2));
        assert!(validate_partition(3, 3).is_err());
        assert!(validate_partition(-1, 3).is_err());
        let msg = validate_partition(7, 3).unwrap_err().to_string();
        assert!(
            msg.contains("partition 7") && msg.contains("3 partitions"),
            "{msg}"
        );
    }

    #[test]
    fn sticks_until_batch_size_then_switches() {
        let mut p = StickyPartitioner::with_seed(1000, 7);
        let first = p.partition(4, None);
        for _ in 0..9 {
            assert_eq!(p.partition(4, None), first);
            p.record_appended(100, true, 4, None);
        }
        assert_eq!(p.produced_bytes(), 900);
        assert_eq!(p.partition(4, None), first);
        p.record_appended(100, true, 4, None);
        // A switch happened: produced bytes restart from zero for the new choice.
        assert_eq!(p.produced_bytes(), 0);
    }

    #[test]
    fn switch_deferred_while_batch_open_but_capped_at_twice() {
        let mut p = StickyPartitioner::with_seed(1000, 3);
        let first = p.partition(8, None);
        p.record_appended(1500, false, 8, None);
        assert_eq!(p.current(), Some(first));
        p.record_appended(499, false, 8, None);
        assert_eq!(p.current(), Some(first));
        p.record_appended(1, false, 8, None);
        assert_eq!(p.produced_bytes(), 0, "2x batch size forces the switch");
    }

    #[test]
    fn switches_spread_uniformly() {
        let mut p = StickyPartitioner::with_seed(1, 11);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            let part = p.partition(4, None);
            counts[part as usize] += 1;
            p.record_appended(1, true, 4, None);
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn only_available_partitions_are_chosen() {
        let mut p = StickyPartitioner::with_seed(1, 5);
        for _ in 0..1000 {
            let part = p.partition(6, Some(&[1, 4]));
            assert!(part == 1 || part == 4, "{part}");
            p.record_appended(1, true, 6, Some(&[1, 4]));
        }
        // No partition available: any partition of the topic.
        let part = p.partition(6, Some(&[]));
        assert!((0..6).contains(&part));
    }

    #[test]
    fn current_partition_beyond_new_count_is_replaced() {
        let mut p = StickyPartitioner::with_seed(1 << 20, 9);
        let mut first = p.partition(100, None);
        while first < 10 {
            p.record_appended(1 << 21, true, 100, None);
            first = p.partition(100, None);
        }
        assert!(p.partition(10, None) < 10);
    }

    #[test]
    fn load_stats_cft_matches_java_example() {
        // Java's example: queue sizes 0 3 1 -> frequencies 4 1 3 -> CFT 4 5 8.
        let mut p = StickyPartitioner::with_seed(1, 13);
        p.update_load_stats(&[0, 3, 1], &[0, 1, 2], 3);
        assert_eq!(p.load_range_end(), Some(8));
        let mut counts = [0u32; 3];
        for _ in 0..80_000 {
            let part = p.partition(3, None);
            counts[part as usize] += 1;
            p.record_appended(1, true, 3, None);
        }
        // Expected shares 4/8, 1/8, 3/8.
        assert!((38_000..42_000).contains(&counts[0]), "{counts:?}");
        assert!((9_000..11_000).contains(&counts[1]), "{counts:?}");
        assert!((28_000..32_000).contains(&counts[2]), "{counts:?}");
    }

    #[test]
    fn load_stats_disabled_when_uniform_or_single_partition() {
        let mut p = StickyPartitioner::with_seed(1, 1);
        p.update_load_stats(&[2, 2, 2], &[0, 1, 2], 3);
        assert_eq!(p.load_range_end(), None);
        p.update_load_stats(&[5], &[0], 1);
        assert_eq!(p.load_range_end(), None);
        // Equal sizes but a partition excluded: still adaptive, restricted to the listed ones.
        p.update_load_stats(&[2, 2], &[0, 2], 3);
        assert_eq!(p.load_range_end(), Some(2));
        for _ in 0..200 {
            let part = p.partition(3, None);
            assert_ne!(part, 1);
            p.record_appended(1, true, 3, None);
        }
        p.update_load_stats(&[], &[], 3);
        assert_eq!(p.load_range_end(), None);
    }
}
