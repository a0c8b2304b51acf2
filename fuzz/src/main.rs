//! A mutation fuzzer for ferrokafka's decoders that runs on stable Rust.
//!
//! libFuzzer (cargo-fuzz) needs a nightly toolchain; this driver needs none. For each decoder
//! it starts from a corpus of real responses and record batches (`fuzz/corpus/`, captured from
//! a broker by `capture_corpus.py`), mutates them (bit flips, interesting integers at random
//! places, insertions, deletions, splices, truncations), and feeds every result to the decoder
//! under `catch_unwind`. Record batches get their length and CRC-32C recomputed most of the
//! time, so that mutations reach past the checksum into the records and the decompressors.
//!
//! There is no coverage instrumentation; as a stand-in, an input whose outcome is new (a
//! decoder error not seen before, numbers aside) joins the pool that later inputs are
//! mutated from. A panic is a finding: the input is written to `<out>/crashes/` and the run
//! exits with status 1. So is a decode slower than `--slow-ms`, written to `<out>/slow/`.
//!
//! ```text
//! cargo run --release --manifest-path fuzz/Cargo.toml -- --iterations 1000000
//! cargo run --release --manifest-path fuzz/Cargo.toml -- --target produce --seed 7
//! cargo run --release --manifest-path fuzz/Cargo.toml -- --replay produce:12 crash.bin
//! ```

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::ops::RangeInclusive;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrokafka::protocol::{
    decode_api_versions_response, decode_find_coordinator_response,
    decode_init_producer_id_response, decode_metadata_response, decode_produce_response,
    decode_sasl_authenticate_response, decode_sasl_handshake_response, supported_range, ApiKey,
};
use ferrokafka::record::{crc32c, decode_batches, decompress, Codec};

/// Where a record batch's fields sit (`DefaultRecordBatch`): the CRC covers everything from
/// the attributes to the end of the batch.
const BATCH_LENGTH_AT: usize = 8;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const RECORDS_AT: usize = 61;
/// The pool a target mutates from stops growing here.
const MAX_POOL: usize = 4096;
/// Inputs made from scratch stay this small.
const MAX_RANDOM_LEN: usize = 512;

type Decode = fn(&[u8], i16) -> Result<(), String>;

struct Target {
    name: &'static str,
    /// Protocol versions to decode at; `None` for inputs without a version.
    versions: Option<RangeInclusive<i16>>,
    decode: Decode,
    /// Inputs are record batches: recompute length and CRC after mutating.
    batches: bool,
    /// Seeds come from the record batches of this codec (their compressed records section).
    codec: Option<Codec>,
}

fn response(api: ApiKey) -> RangeInclusive<i16> {
    let range = supported_range(api).expect("the codec implements it");
    range.min..=range.max
}

fn targets() -> Vec<Target> {
    fn protocol(name: &'static str, api: ApiKey, decode: Decode) -> Target {
        Target {
            name,
            versions: Some(response(api)),
            decode,
            batches: false,
            codec: None,
        }
    }
    fn decompressor(name: &'static str, codec: Codec, decode: Decode) -> Target {
        Target {
            name,
            versions: None,
            decode,
            batches: false,
            codec: Some(codec),
        }
    }
    vec![
        protocol("produce", ApiKey::Produce, |f, v| {
            outcome(decode_produce_response(f, v))
        }),
        protocol("metadata", ApiKey::Metadata, |f, v| {
            outcome(decode_metadata_response(f, v))
        }),
        protocol("api_versions", ApiKey::ApiVersions, |f, v| {
            outcome(decode_api_versions_response(f, v))
        }),
        protocol("init_producer_id", ApiKey::InitProducerId, |f, v| {
            outcome(decode_init_producer_id_response(f, v))
        }),
        protocol("find_coordinator", ApiKey::FindCoordinator, |f, v| {
            outcome(decode_find_coordinator_response(f, v))
        }),
        protocol("sasl_handshake", ApiKey::SaslHandshake, |f, v| {
            outcome(decode_sasl_handshake_response(f, v))
        }),
        protocol("sasl_authenticate", ApiKey::SaslAuthenticate, |f, v| {
            outcome(decode_sasl_authenticate_response(f, v))
        }),
        Target {
            name: "record_batches",
            versions: None,
            decode: |data, _| outcome(decode_batches(data)),
            batches: true,
            codec: None,
        },
        decompressor("gzip", Codec::Gzip, |d, _| unpack(Codec::Gzip, d)),
        decompressor("snappy", Codec::Snappy, |d, _| unpack(Codec::Snappy, d)),
        decompressor("lz4", Codec::Lz4, |d, _| unpack(Codec::Lz4, d)),
        decompressor("zstd", Codec::Zstd, |d, _| unpack(Codec::Zstd, d)),
    ]
}

/// What a decoder did, as the fuzzer tells outcomes apart: decoded, or the error's message.
fn outcome<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<(), String> {
    result.map(drop).map_err(|e| e.to_string())
}

/// The decompressors alone, with a small output limit so that bombs cost little.
fn unpack(codec: Codec, data: &[u8]) -> Result<(), String> {
    outcome(decompress(codec, data, 1 << 20))
}

/// xorshift64*: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Values that sit on the edges decoders check: lengths of -1 (null), 0, huge, negative.
const INTERESTING: [i64; 14] = [
    0,
    1,
    -1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    -0x8000,
    0xffff,
    0x7fff_ffff,
    -0x8000_0000,
    0x1_0000,
    0x7fff_ffff_ffff_ffff,
];

fn mutate(data: &mut Vec<u8>, rng: &mut Rng, pool: &[Seed]) {
    let most = if rng.chance(8) { 16 } else { 4 };
    let rounds = 1 + rng.below(most);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(11) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = rng.byte();
            }
            2 | 3 if len > 0 => {
                let width = [1, 2, 4, 8][rng.below(4)];
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let bytes = value.to_be_bytes();
                let at = rng.below(len);
                for (i, b) in bytes[8 - width..].iter().enumerate() {
                    if at + i < data.len() {
                        data[at + i] = *b;
                    }
                }
            }
            4 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let fill: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                data.splice(at..at, fill);
            }
            5 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(32));
                data.drain(at..at + n);
            }
            6 if len > 0 => {
                let from = rng.below(len);
                let n = 1 + rng.below((len - from).min(64));
                let chunk = data[from..from + n].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, chunk);
            }
            7 if len > 0 => data.truncate(rng.below(len)),
            8 if !pool.is_empty() => {
                let other = &pool[rng.below(pool.len())].data;
                let keep = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                data.truncate(keep);
                data.extend_from_slice(&other[from..]);
            }
            9 => {
                // An over-long or maximal unsigned varint, where compact lengths live.
                let at = rng.below(len + 1);
                let varint: &[u8] = if rng.chance(2) {
                    &[0xff, 0xff, 0xff, 0xff, 0x0f]
                } else {
                    &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
                };
                data.splice(at..at, varint.iter().copied());
            }
            10 if len > 0 => {
                let at = rng.below(len);
                let delta = 1 + rng.below(4) as u8;
                data[at] = if rng.chance(2) {
                    data[at].wrapping_add(delta)
                } else {
                    data[at].wrapping_sub(delta)
                };
            }
            _ => {}
        }
    }
}

/// Makes a mutated first batch pass the length and CRC checks again (most of the time), so the
/// mutation is judged by the code behind them.
fn repair_batch(data: &mut [u8], rng: &mut Rng) {
    if data.len() < RECORDS_AT {
        return;
    }
    if !rng.chance(4) {
        let length = (data.len() - BATCH_LENGTH_AT - 4) as i32;
        data[BATCH_LENGTH_AT..BATCH_LENGTH_AT + 4].copy_from_slice(&length.to_be_bytes());
    }
    let declared = i32::from_be_bytes(
        data[BATCH_LENGTH_AT..BATCH_LENGTH_AT + 4]
            .try_into()
            .unwrap(),
    );
    let Ok(declared) = usize::try_from(declared) else {
        return;
    };
    let end = BATCH_LENGTH_AT + 4 + declared;
    if end <= data.len() && end > ATTRIBUTES_AT {
        let crc = crc32c(&data[ATTRIBUTES_AT..end]);
        data[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

#[derive(Clone)]
struct Seed {
    data: Vec<u8>,
    /// From the file name (`v12-...`), when the corpus says which version it answers.
    version: Option<i16>,
}

fn load_seeds(corpus: &Path, target: &Target) -> Vec<Seed> {
    let folder = if target.codec.is_some() {
        corpus.join("record_batches")
    } else {
        corpus.join(target.name)
    };
    let mut files: Vec<PathBuf> = fs::read_dir(&folder)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let Ok(data) = fs::read(&path) else { continue };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let version = name
            .strip_prefix('v')
            .and_then(|rest| rest.split('-').next())
            .and_then(|v| v.parse().ok());
        match target.codec {
            None => seeds.push(Seed { data, version }),
            Some(codec) => seeds.extend(compressed_section(&data, codec).map(|data| Seed {
                data,
                version: None,
            })),
        }
    }
    seeds
}

/// The records section of the first batch in `data`, if that batch uses `codec`.
fn compressed_section(data: &[u8], codec: Codec) -> Option<Vec<u8>> {
    let batches = decode_batches(data).ok()?;
    let first = batches.first()?;
    if first.codec != codec {
        return None;
    }
    let end = BATCH_LENGTH_AT + 4 + usize::try_from(first.batch_length).ok()?;
    data.get(RECORDS_AT..end).map(<[u8]>::to_vec)
}

/// The kind of an outcome: the message with every word that holds a digit (counts, offsets,
/// hex checksums) blanked, so that "needs 12 more bytes" and "needs 13 more bytes" are one.
fn kind(outcome: &Result<(), String>) -> String {
    match outcome {
        Ok(()) => "ok".to_owned(),
        Err(message) => message
            .split_whitespace()
            .map(|word| {
                if word.chars().any(|c| c.is_ascii_digit()) {
                    "#"
                } else {
                    word
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn install_quiet_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned());
        *PANIC_MESSAGE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(format!("{payload}{location}"));
    }));
}

enum Run {
    Done(Result<(), String>),
    Panicked(String),
}

fn run_one(target: &Target, input: &[u8], version: i16) -> (Run, Duration) {
    let started = Instant::now();
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.decode)(input, version)));
    let elapsed = started.elapsed();
    let run = match result {
        Ok(outcome) => Run::Done(outcome),
        Err(_) => Run::Panicked(
            PANIC_MESSAGE
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or_default(),
        ),
    };
    (run, elapsed)
}

#[derive(Default)]
struct Report {
    inputs: u64,
    ok: u64,
    errors: u64,
    panics: u64,
    slow: u64,
    kinds: usize,
    seeds: usize,
    longest: Duration,
    elapsed: Duration,
}

struct Options {
    iterations: u64,
    seed: u64,
    corpus: PathBuf,
    out: PathBuf,
    only: Vec<String>,
    slow: Duration,
    replay: Option<(String, Vec<PathBuf>)>,
}

fn fuzz(target: &Target, options: &Options) -> Report {
    let mut rng = Rng::new(options.seed ^ fnv(target.name.as_bytes()));
    let seeds = load_seeds(&options.corpus, target);
    let mut pool = seeds.clone();
    let mut outcomes: HashSet<String> = HashSet::new();
    let mut report = Report {
        seeds: seeds.len(),
        ..Report::default()
    };
    let versions = target.versions.clone().unwrap_or(0..=0);
    let span = (versions.end() - versions.start() + 1) as usize;
    let started = Instant::now();
    for _ in 0..options.iterations {
        let (mut input, mut version) = if pool.is_empty() || rng.chance(64) {
            let n = rng.below(MAX_RANDOM_LEN);
            ((0..n).map(|_| rng.byte()).collect(), None)
        } else {
            let seed = &pool[rng.below(pool.len())];
            let mut data = seed.data.clone();
            mutate(&mut data, &mut rng, &pool);
            (data, seed.version)
        };
        if rng.chance(10) {
            // A response decoded at a neighbouring version: a broker and client that disagree.
            version = None;
        }
        let version = version.unwrap_or_else(|| versions.start() + rng.below(span) as i16);
        if target.batches {
            repair_batch(&mut input, &mut rng);
        }
        let (run, mut elapsed) = run_one(target, &input, version);
        if elapsed > options.slow {
            // Once more, so that a moment without the CPU is not taken for a slow input.
            elapsed = elapsed.min(run_one(target, &input, version).1);
        }
        report.inputs += 1;
        report.longest = report.longest.max(elapsed);
        if elapsed > options.slow {
            report.slow += 1;
            save_finding(&options.out.join("slow"), target, version, &input, "slow");
        }
        match run {
            Run::Panicked(message) => {
                report.panics += 1;
                let path = save_finding(
                    &options.out.join("crashes"),
                    target,
                    version,
                    &input,
                    &message,
                );
                eprintln!(
                    "PANIC in {} v{version}: {message} (input saved as {})",
                    target.name,
                    path.display()
                );
            }
            Run::Done(outcome) => {
                if outcome.is_ok() {
                    report.ok += 1;
                } else {
                    report.errors += 1;
                }
                if outcomes.insert(kind(&outcome)) && pool.len() < MAX_POOL {
                    pool.push(Seed {
                        data: input,
                        version: Some(version),
                    });
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report.kinds = outcomes.len();
    report
}

fn save_finding(dir: &Path, target: &Target, version: i16, input: &[u8], why: &str) -> PathBuf {
    let _ = fs::create_dir_all(dir);
    let path = dir.join(format!(
        "{}-v{version}-{:016x}.bin",
        target.name,
        fnv(input)
    ));
    let _ = fs::write(&path, input);
    let _ = fs::write(path.with_extension("txt"), why);
    path
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn replay(targets: &[Target], spec: &str, files: &[PathBuf]) -> ExitCode {
    let (name, version) = spec.split_once(':').unwrap_or((spec, "0"));
    let Some(target) = targets.iter().find(|t| t.name == name) else {
        eprintln!("no target {name}");
        return ExitCode::from(2);
    };
    let version: i16 = version.parse().unwrap_or(0);
    let mut failed = false;
    for file in files {
        let data = fs::read(file).unwrap_or_default();
        let (run, elapsed) = run_one(target, &data, version);
        match run {
            Run::Done(outcome) => println!("{}: {outcome:?} in {elapsed:?}", file.display()),
            Run::Panicked(message) => {
                failed = true;
                println!("{}: PANIC {message}", file.display());
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_options() -> Result<Options, String> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut options = Options {
        iterations: 1_000_000,
        seed: 1,
        corpus: here.join("corpus"),
        out: here.join("findings"),
        only: Vec::new(),
        slow: Duration::from_millis(250),
        replay: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--iterations" => {
                options.iterations = value()?.parse().map_err(|e| format!("{arg}: {e}"))?;
            }
            "--seed" => options.seed = value()?.parse().map_err(|e| format!("{arg}: {e}"))?,
            "--corpus" => options.corpus = value()?.into(),
            "--out" => options.out = value()?.into(),
            "--target" => options.only.push(value()?),
            "--slow-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("{arg}: {e}"))?;
                options.slow = Duration::from_millis(ms);
            }
            "--replay" => {
                let spec = value()?;
                options.replay = Some((spec, args.by_ref().map(PathBuf::from).collect()));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

const USAGE: &str = "usage: fuzz_decoders [--iterations N] [--seed S] [--target NAME]... \
[--corpus DIR] [--out DIR] [--slow-ms MS] | --replay TARGET[:VERSION] FILE...";

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    install_quiet_panic_hook();
    let targets = targets();
    if let Some((spec, files)) = &options.replay {
        return replay(&targets, spec, files);
    }
    let chosen: Vec<&Target> = targets
        .iter()
        .filter(|t| options.only.is_empty() || options.only.iter().any(|o| o == t.name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
        eprintln!("no such target; the targets are {}", names.join(", "));
        return ExitCode::from(2);
    }
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>6} {:>5} {:>6} {:>6} {:>10} {:>8}",
        "target", "inputs", "ok", "errors", "panics", "slow", "seeds", "kinds", "longest", "time"
    );
    let mut panics = 0;
    let mut slow = 0;
    for target in chosen {
        let r = fuzz(target, &options);
        panics += r.panics;
        slow += r.slow;
        let mut line = String::new();
        let _ = write!(
            line,
            "{:<18} {:>10} {:>10} {:>10} {:>6} {:>5} {:>6} {:>6} {:>10.2?} {:>7.1}s",
            target.name,
            r.inputs,
            r.ok,
            r.errors,
            r.panics,
            r.slow,
            r.seeds,
            r.kinds,
            r.longest,
            r.elapsed.as_secs_f64()
        );
        println!("{line}");
    }
    if panics > 0 || slow > 0 {
        println!(
            "{panics} panic(s), {slow} slow input(s): see {}",
            options.out.display()
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
