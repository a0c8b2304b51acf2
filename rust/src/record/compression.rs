//! The record-batch codecs, byte-compatible with what the Java client writes and reads.
//!
//! | codec  | id | framing                                                   | levels (KIP-390)        |
//! |--------|----|-----------------------------------------------------------|-------------------------|
//! | none   | 0  | -                                                         | -                       |
//! | gzip   | 1  | RFC 1952, 8 KiB window; concatenated members read          | 1..=9, default -1 (= 6) |
//! | snappy | 2  | xerial snappy-java stream (raw snappy also accepted)       | -                       |
//! | lz4    | 3  | LZ4 frame, 64 KiB independent blocks, no checksums         | 1..=17, default 9       |
//! | zstd   | 4  | zstd frame                                                | -131072..=22, default 3 |
//!
//! Every decompressor is bounded by an output limit: a batch from the network cannot make us
//! allocate more than that, whatever lengths it claims.
//!
//! This module holds the codecs' names, ids and levels, and hands each batch to its codec's
//! module (`gzip`, `snappy`, `lz4`, `zstd`); `kept_buffer` compresses through a buffer each
//! thread keeps.

mod gzip;
mod kept_buffer;
mod lz4;
mod snappy;
mod zstd;

use std::io::Read;

use super::error::RecordError;

/// Output cap for [`decompress`] when the caller has no better bound. Kafka's default
/// `message.max.bytes` is 1 MiB; 64 MiB leaves room for large topic overrides and high ratios.
pub const DEFAULT_DECOMPRESSION_LIMIT: usize = 64 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    pub const ALL: [Codec; 5] = [
        Codec::None,
        Codec::Gzip,
        Codec::Snappy,
        Codec::Lz4,
        Codec::Zstd,
    ];

    /// The value of attribute bits 0-2 in a record batch.
    pub const fn id(self) -> i16 {
        match self {
            Codec::None => 0,
            Codec::Gzip => 1,
            Codec::Snappy => 2,
            Codec::Lz4 => 3,
            Codec::Zstd => 4,
        }
    }

    pub fn from_id(id: i16) -> Result<Codec, RecordError> {
        match id {
            0 => Ok(Codec::None),
            1 => Ok(Codec::Gzip),
            2 => Ok(Codec::Snappy),
            3 => Ok(Codec::Lz4),
            4 => Ok(Codec::Zstd),
            _ => Err(RecordError::UnknownCodecId(id)),
        }
    }

    /// The name used by `compression.type`.
    pub const fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Snappy => "snappy",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }

    /// Accepts the `compression.type` names, ignoring ASCII case.
    pub fn from_name(name: &str) -> Result<Codec, RecordError> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| RecordError::UnknownCodec(name.to_owned()))
    }

    /// `(min, max, default)` as in Java's `CompressionType`; `None` for codecs without levels.
    pub const fn level_range(self) -> Option<(i32, i32, i32)> {
        match self {
            Codec::None | Codec::Snappy => None,
            // Java's default is Deflater.DEFAULT_COMPRESSION (-1), which zlib maps to 6.
            Codec::Gzip => Some((1, 9, -1)),
            Codec::Lz4 => Some((1, 17, 9)),
            Codec::Zstd => Some((-131_072, 22, 3)),
        }
    }
}

/// A codec with its level; `level: None` means the codec's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Compression {
    pub codec: Codec,
    pub level: Option<i32>,
}

impl Compression {
    pub const NONE: Compression = Compression {
        codec: Codec::None,
        level: None,
    };

    /// Parses a `compression.type` name and an optional `compression.<codec>.level`.
    pub fn parse(name: &str, level: Option<i32>) -> Result<Compression, RecordError> {
        Compression::new(Codec::from_name(name)?, level)
    }

    /// Checks `level` against the codec's KIP-390 range. Each codec's default value is accepted
    /// too (gzip's -1 lies outside 1..=9), as Java's builders accept it.
    pub fn new(codec: Codec, level: Option<i32>) -> Result<Compression, RecordError> {
        if let Some(level) = level {
            check_level(codec, level)?;
        }
        Ok(Compression { codec, level })
    }

    /// The level handed to the codec, defaults resolved.
    pub fn effective_level(&self) -> Option<i32> {
        let (_, _, default) = self.codec.level_range()?;
        Some(self.level.unwrap_or(default))
    }

    /// Appends the compressed form of `input` to `out`.
    pub fn compress_into(&self, input: &[u8], out: &mut Vec<u8>) -> Result<(), RecordError> {
        // The fields are public, so a level may not have gone through `new`.
        if let Some(level) = self.level {
            check_level(self.codec, level)?;
        }
        let level = self.effective_level();
        match self.codec {
            Codec::None => {
                out.extend_from_slice(input);
                Ok(())
            }
            Codec::Gzip => gzip::compress(input, level.unwrap_or(-1), out),
            Codec::Snappy => snappy::compress(input, out),
            Codec::Lz4 => lz4::compress(input, level.unwrap_or(lz4::DEFAULT_LEVEL), out),
            Codec::Zstd => zstd::compress(input, level.unwrap_or(3), out),
        }
    }

    pub fn compress(&self, input: &[u8]) -> Result<Vec<u8>, RecordError> {
        let mut out = Vec::new();
        self.compress_into(input, &mut out)?;
        Ok(out)
    }
}

fn check_level(codec: Codec, level: i32) -> Result<(), RecordError> {
    match codec.level_range() {
        None => Err(RecordError::LevelNotSupported {
            codec: codec.name(),
            level,
        }),
        Some((min, max, default)) if (level < min || level > max) && level != default => {
            Err(RecordError::LevelOutOfRange {
                codec: codec.name(),
                level,
                min,
                max,
            })
        }
        Some(_) => Ok(()),
    }
}

/// Decompresses a batch's records section, refusing to produce more than `limit` bytes.
pub fn decompress(codec: Codec, data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    match codec {
        Codec::None => {
            if data.len() > limit {
                return Err(RecordError::DecompressedTooLarge {
                    codec: codec.name(),
                    limit,
                });
            }
            Ok(data.to_vec())
        }
        Codec::Gzip => gzip::decompress(data, limit),
        Codec::Snappy => snappy::decompress(data, limit),
        Codec::Lz4 => lz4::decompress(data, limit),
        Codec::Zstd => zstd::decompress(data, limit),
    }
}

fn compress_error(codec: Codec, err: &dyn std::fmt::Display) -> RecordError {
    RecordError::Compress {
        codec: codec.name(),
        reason: err.to_string(),
    }
}

fn decompress_error(codec: Codec, err: &dyn std::fmt::Display) -> RecordError {
    RecordError::Decompress {
        codec: codec.name(),
        reason: err.to_string(),
    }
}

/// Reads a decoder to its end, one byte past `limit` at most, so that a bomb is caught after
/// `limit + 1` bytes of output and never grows the buffer further.
fn read_bounded(codec: Codec, reader: impl Read, limit: usize) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| decompress_error(codec, &e))?;
    if out.len() > limit {
        return Err(RecordError::DecompressedTooLarge {
            codec: codec.name(),
            limit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `len` incompressible bytes (xorshift), without another dependency.
    pub(super) fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    pub(super) fn samples() -> Vec<Vec<u8>> {
        let noise = noise(200_000);
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("{{\"id\":{i},\"name\":\"user-{}\"}}", i % 97).into_bytes())
            .collect();
        vec![Vec::new(), b"a".to_vec(), noise, text]
    }

    fn levels(codec: Codec) -> Vec<Option<i32>> {
        match codec.level_range() {
            None => vec![None],
            Some((min, max, default)) => vec![None, Some(min), Some(default), Some(max)],
        }
    }

    #[test]
    fn round_trip_every_codec_and_level() {
        for codec in Codec::ALL {
            for level in levels(codec) {
                let compression = Compression::new(codec, level).unwrap();
                for sample in samples() {
                    let compressed = compression.compress(&sample).unwrap();
                    let restored = decompress(codec, &compressed, sample.len()).unwrap();
                    assert!(
                        restored == sample,
                        "{codec:?} level {level:?}, {} bytes",
                        sample.len()
                    );
                }
            }
        }
    }

    #[test]
    fn compress_into_appends() {
        for codec in Codec::ALL {
            let mut out = b"prefix".to_vec();
            let compression = Compression::new(codec, None).unwrap();
            compression
                .compress_into(b"payload payload", &mut out)
                .unwrap();
            assert_eq!(&out[..6], b"prefix");
            assert_eq!(
                decompress(codec, &out[6..], 100).unwrap(),
                b"payload payload"
            );
        }
    }

    #[test]
    fn level_validation() {
        assert!(Compression::parse("gzip", Some(-1)).is_ok());
        assert!(Compression::parse("GZIP", Some(9)).is_ok());
        assert!(Compression::parse("zstd", Some(-131_072)).is_ok());
        assert!(Compression::parse("zstd", Some(22)).is_ok());
        assert!(Compression::parse("lz4", Some(17)).is_ok());
        let errors = [
            (Compression::parse("gzip", Some(0)), "compression level 0 is out of range for gzip: expected 1..=9"),
            (Compression::parse("gzip", Some(10)), "compression level 10 is out of range for gzip: expected 1..=9"),
            (Compression::parse("lz4", Some(18)), "compression level 18 is out of range for lz4: expected 1..=17"),
            (Compression::parse("zstd", Some(23)), "compression level 23 is out of range for zstd: expected -131072..=22"),
            (Compression::parse("snappy", Some(1)), "compression codec snappy takes no level, got 1"),
            (Compression::parse("none", Some(1)), "compression codec none takes no level, got 1"),
            (Compression::parse("brotli", None), "unknown compression codec \"brotli\": expected one of none, gzip, snappy, lz4, zstd"),
        ];
        for (result, message) in errors {
            assert_eq!(result.unwrap_err().to_string(), message);
        }
        // Public fields can bypass `new`; compressing still refuses a bad level.
        let bad = Compression {
            codec: Codec::Gzip,
            level: Some(42),
        };
        assert!(bad.compress(b"x").is_err());
    }
    #[test]
    fn decompression_is_bounded() {
        let zeros = vec![0_u8; 10 << 20];
        for codec in Codec::ALL {
            let compressed = Compression::new(codec, None)
                .unwrap()
                .compress(&zeros)
                .unwrap();
            let err = decompress(codec, &compressed, 1 << 20).unwrap_err();
            assert_eq!(
                err,
                RecordError::DecompressedTooLarge {
                    codec: codec.name(),
                    limit: 1 << 20
                }
            );
            assert_eq!(
                decompress(codec, &compressed, 10 << 20).unwrap().len(),
                10 << 20
            );
        }
        // A raw snappy block claiming 4 GiB is refused before anything is allocated.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert!(matches!(
            decompress(Codec::Snappy, &claim, DEFAULT_DECOMPRESSION_LIMIT),
            Err(RecordError::DecompressedTooLarge { .. } | RecordError::Decompress { .. })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2_000), codec in 0_usize..5) {
            let _ = decompress(Codec::ALL[codec], &data, 1 << 20);
        }

        #[test]
        fn corrupted_frames_never_panic(
            codec in 1_usize..5,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let codec = Codec::ALL[codec];
            let data: Vec<u8> = (0..5_000_u32).flat_map(|i| (i % 300).to_le_bytes()).collect();
            let mut compressed = Compression::new(codec, None).unwrap().compress(&data).unwrap();
            for (at, mask) in flips {
                let len = compressed.len();
                compressed[at % len] ^= mask | 1;
            }
            compressed.truncate(cut % (compressed.len() + 1));
            let _ = decompress(codec, &compressed, 1 << 20);
        }
    }
}
