//! The record-batch codecs, byte-compatible with what the Java client writes and reads.
//!
//! | codec  | id | framing                                                   | levels (KIP-390)        |
//! |--------|----|-----------------------------------------------------------|-------------------------|
//! | none   | 0  | -                                                         | -                       |
//! | gzip   | 1  | RFC 1952, concatenated members accepted on read            | 1..=9, default -1 (= 6) |
//! | snappy | 2  | xerial snappy-java stream (raw snappy also accepted)       | -                       |
//! | lz4    | 3  | LZ4 frame, 64 KiB independent blocks, no checksums         | 1..=17, default 9       |
//! | zstd   | 4  | zstd frame                                                | -131072..=22, default 3 |
//!
//! Every decompressor is bounded by an output limit: a batch from the network cannot make us
//! allocate more than that, whatever lengths it claims.

use std::cell::RefCell;
use std::io::{Read, Write};

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
            Codec::Gzip => gzip_compress(input, level.unwrap_or(-1), out),
            Codec::Snappy => snappy_compress(input, out),
            Codec::Lz4 => lz4_compress(input, level.unwrap_or(LZ4_DEFAULT_LEVEL), out),
            Codec::Zstd => zstd_compress(input, level.unwrap_or(3), out),
        }
    }

    pub fn compress(&self, input: &[u8]) -> Result<Vec<u8>, RecordError> {
        let mut out = Vec::new();
        self.compress_into(input, &mut out)?;
        Ok(out)
    }

    /// `room` zero bytes, then the compressed form of `input`, in a vector allocated at
    /// exactly that length.
    ///
    /// The codecs need their worst-case output size up front (input plus a margin); sizing the
    /// result itself that way grows it once more per batch and zero-fills ~16 KiB of fresh
    /// pages for ~5-8 KiB of output (`perf` on 1 KiB JSON with lz4: page faults,
    /// `realloc` and the zero fill took about half as much of the compression worker's time as
    /// lz4 itself). So the codec writes into a buffer kept by the calling thread, which stays
    /// warm, and only the result is copied out, at its size.
    pub fn compress_after(&self, room: usize, input: &[u8]) -> Result<Vec<u8>, RecordError> {
        if self.codec == Codec::None {
            let mut out = Vec::with_capacity(room + input.len());
            out.resize(room, 0);
            out.extend_from_slice(input);
            return Ok(out);
        }
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            scratch.clear();
            let compressed = self.compress_into(input, &mut scratch);
            let out = compressed.map(|()| {
                let mut out = Vec::with_capacity(room + scratch.len());
                out.resize(room, 0);
                out.extend_from_slice(&scratch);
                out
            });
            if scratch.capacity() > SCRATCH_KEPT_BYTES {
                // A one-off large batch must not pin its size on every thread that saw it.
                *scratch = Vec::new();
            }
            out
        })
    }
}

/// Largest output buffer [`Compression::compress_after`] keeps between calls: a batch at the
/// default `max_request_size` (1 MiB) and the codecs' margin.
const SCRATCH_KEPT_BYTES: usize = (1 << 20) + (64 << 10);

thread_local! {
    /// Where [`Compression::compress_after`] compresses before copying the result out.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
        Codec::Gzip => read_bounded(codec, flate2::read::MultiGzDecoder::new(data), limit),
        Codec::Snappy => snappy_decompress(data, limit),
        Codec::Lz4 => lz4_decompress(data, limit),
        Codec::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(data)
                .map_err(|e| decompress_error(codec, &e))?;
            read_bounded(codec, decoder, limit)
        }
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

// ---- gzip ---------------------------------------------------------------------------------

fn gzip_compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
    let level = if level < 0 {
        flate2::Compression::default()
    } else {
        flate2::Compression::new(level as u32)
    };
    let mut encoder = flate2::write::GzEncoder::new(out, level);
    encoder
        .write_all(input)
        .map_err(|e| compress_error(Codec::Gzip, &e))?;
    encoder
        .finish()
        .map_err(|e| compress_error(Codec::Gzip, &e))?;
    Ok(())
}

// ---- snappy (xerial framing) --------------------------------------------------------------

/// snappy-java's stream header: magic `\x82SNAPPY\0`, then version 1 and minimum compatible
/// version 1 as big-endian i32s.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;
/// snappy-java's default block size, the one Kafka's `SnappyOutputStream` uses.
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

fn snappy_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), RecordError> {
    out.reserve(
        XERIAL_HEADER_LEN
            + snap::raw::max_compress_len(input.len())
            + 4 * (input.len() / XERIAL_BLOCK_SIZE + 1),
    );
    out.extend_from_slice(&XERIAL_MAGIC);
    out.extend_from_slice(&1_i32.to_be_bytes());
    out.extend_from_slice(&1_i32.to_be_bytes());
    let mut encoder = snap::raw::Encoder::new();
    for chunk in input.chunks(XERIAL_BLOCK_SIZE) {
        let length_at = out.len();
        let data_at = length_at + 4;
        out.resize(data_at + snap::raw::max_compress_len(chunk.len()), 0);
        let written = encoder
            .compress(chunk, &mut out[data_at..])
            .map_err(|e| compress_error(Codec::Snappy, &e))?;
        out.truncate(data_at + written);
        out[length_at..data_at].copy_from_slice(&(written as u32).to_be_bytes());
    }
    Ok(())
}

/// Accepts the xerial stream Kafka writes, several such streams concatenated (snappy-java reads
/// a header again where one appears between blocks), and a bare raw snappy block, which
/// snappy-java falls back to when the magic is absent.
fn snappy_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    let mut decoder = snap::raw::Decoder::new();
    let mut out = Vec::new();
    if !data.starts_with(&XERIAL_MAGIC) {
        snappy_block(&mut decoder, data, limit, &mut out)?;
        return Ok(out);
    }
    let mut pos = 0;
    while pos < data.len() {
        if data[pos..].starts_with(&XERIAL_MAGIC) {
            let header = data
                .get(pos..pos + XERIAL_HEADER_LEN)
                .ok_or_else(|| snappy_malformed("stream header is truncated"))?;
            let compatible = i32::from_be_bytes([header[12], header[13], header[14], header[15]]);
            if compatible < 1 {
                return Err(snappy_malformed(&format!(
                    "stream header declares compatible version {compatible}, expected at least 1"
                )));
            }
            pos += XERIAL_HEADER_LEN;
            continue;
        }
        let length_bytes = data
            .get(pos..pos + 4)
            .ok_or_else(|| snappy_malformed("block length is truncated"))?;
        let length = u32::from_be_bytes([
            length_bytes[0],
            length_bytes[1],
            length_bytes[2],
            length_bytes[3],
        ]) as usize;
        pos += 4;
        let block = data.get(pos..pos.saturating_add(length)).ok_or_else(|| {
            snappy_malformed(&format!(
                "block of {length} bytes runs past the end of the data"
            ))
        })?;
        pos += length;
        if !block.is_empty() {
            snappy_block(&mut decoder, block, limit, &mut out)?;
        }
    }
    Ok(out)
}

fn snappy_block(
    decoder: &mut snap::raw::Decoder,
    block: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), RecordError> {
    let length =
        snap::raw::decompress_len(block).map_err(|e| decompress_error(Codec::Snappy, &e))?;
    // The claimed length is checked before it sizes any allocation.
    if length > limit - out.len() {
        return Err(RecordError::DecompressedTooLarge {
            codec: Codec::Snappy.name(),
            limit,
        });
    }
    let start = out.len();
    out.resize(start + length, 0);
    let written = decoder
        .decompress(block, &mut out[start..])
        .map_err(|e| decompress_error(Codec::Snappy, &e))?;
    out.truncate(start + written);
    Ok(())
}

fn snappy_malformed(reason: &str) -> RecordError {
    RecordError::Decompress {
        codec: Codec::Snappy.name(),
        reason: reason.to_owned(),
    }
}

// ---- lz4 (frame format) -------------------------------------------------------------------

const LZ4_DEFAULT_LEVEL: i32 = 9;
const LZ4_BLOCK_SIZE: usize = 64 * 1024;
/// Magic 0x184D2204 (little-endian), FLG 0x60 (version 1, independent blocks, no block or
/// content checksum, no content size), BD 0x40 (64 KiB blocks), and the header checksum byte,
/// `(xxh32(FLG, BD) >> 8) & 0xff`, which is constant for constant flags. This is the frame
/// header Kafka's `Lz4BlockOutputStream` writes.
const LZ4_FRAME_HEADER: [u8; 7] = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
/// Block-size high bit: the block is stored uncompressed.
const LZ4_UNCOMPRESSED_BLOCK: u32 = 0x8000_0000;

/// The frame is written by hand around lz4's block compressor, as Kafka does, because the
/// frame API would allocate a compression context and a 64 KiB staging buffer per batch.
fn lz4_compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
    // Java uses the fast compressor at the default level and the high-compression one with
    // the given level otherwise; matching it keeps sizes and speeds comparable.
    let mode = if level == LZ4_DEFAULT_LEVEL {
        lz4::block::CompressionMode::DEFAULT
    } else {
        lz4::block::CompressionMode::HIGHCOMPRESSION(level)
    };
    out.extend_from_slice(&LZ4_FRAME_HEADER);
    for chunk in input.chunks(LZ4_BLOCK_SIZE) {
        let bound =
            lz4::block::compress_bound(chunk.len()).map_err(|e| compress_error(Codec::Lz4, &e))?;
        let length_at = out.len();
        let data_at = length_at + 4;
        out.resize(data_at + bound, 0);
        let written = lz4::block::compress_to_buffer(chunk, Some(mode), false, &mut out[data_at..])
            .map_err(|e| compress_error(Codec::Lz4, &e))?;
        let block_header = if written >= chunk.len() {
            // Incompressible: store the bytes as they are, flagged, as the format allows.
            out.truncate(data_at);
            out.extend_from_slice(chunk);
            chunk.len() as u32 | LZ4_UNCOMPRESSED_BLOCK
        } else {
            out.truncate(data_at + written);
            written as u32
        };
        out[length_at..data_at].copy_from_slice(&block_header.to_le_bytes());
    }
    // End mark: a zero block size.
    out.extend_from_slice(&0_u32.to_le_bytes());
    Ok(())
}

/// Reads any valid LZ4 frame (lz4's own frame decoder also checks checksums when present).
fn lz4_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    let mut decoder = lz4::Decoder::new(data).map_err(|e| decompress_error(Codec::Lz4, &e))?;
    let mut out = Vec::new();
    (&mut decoder)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| decompress_error(Codec::Lz4, &e))?;
    if out.len() > limit {
        return Err(RecordError::DecompressedTooLarge {
            codec: Codec::Lz4.name(),
            limit,
        });
    }
    let (_, finished) = decoder.finish();
    finished.map_err(|_| RecordError::Decompress {
        codec: Codec::Lz4.name(),
        reason: "frame ends before its end mark".to_owned(),
    })?;
    Ok(out)
}

// ---- zstd ---------------------------------------------------------------------------------

thread_local! {
    /// A zstd compression context costs a large allocation to set up; one per thread is
    /// reused across batches, its level changed when needed.
    static ZSTD_CONTEXT: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
}

fn zstd_compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
    ZSTD_CONTEXT.with(|cell| {
        let mut slot = cell.borrow_mut();
        match slot.as_mut() {
            Some((current, compressor)) if *current != level => {
                compressor
                    .set_compression_level(level)
                    .map_err(|e| compress_error(Codec::Zstd, &e))?;
                *current = level;
            }
            Some(_) => {}
            None => {
                let compressor = zstd::bulk::Compressor::new(level)
                    .map_err(|e| compress_error(Codec::Zstd, &e))?;
                *slot = Some((level, compressor));
            }
        }
        let (_, compressor) = slot.as_mut().expect("context set above");
        // zstd writes into the spare capacity after the cursor: nothing is zero-filled first.
        let start = out.len();
        out.reserve(zstd::zstd_safe::compress_bound(input.len()));
        let mut tail = std::io::Cursor::new(&mut *out);
        tail.set_position(start as u64);
        compressor
            .compress_to_buffer(input, &mut tail)
            .map_err(|e| compress_error(Codec::Zstd, &e))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<Vec<u8>> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        // xorshift: incompressible bytes without another dependency.
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
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
    fn compress_after_leaves_room_and_allocates_the_exact_size() {
        for codec in Codec::ALL {
            let compression = Compression::new(codec, None).unwrap();
            // Twice each, so the second call runs with the thread's buffer already used.
            for sample in samples().iter().chain(samples().iter()) {
                let out = compression.compress_after(61, sample).unwrap();
                assert_eq!(out.capacity(), out.len(), "{codec:?}");
                assert!(out[..61].iter().all(|&b| b == 0));
                assert_eq!(out[61..], compression.compress(sample).unwrap());
            }
        }
        let bad = Compression {
            codec: Codec::Lz4,
            level: Some(99),
        };
        assert!(bad.compress_after(61, b"x").is_err());
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
    fn lz4_frame_matches_kafka_layout() {
        let compressed = Compression::parse("lz4", None)
            .unwrap()
            .compress(b"hello hello hello hello")
            .unwrap();
        assert_eq!(compressed[..7], LZ4_FRAME_HEADER);
        assert_eq!(compressed[compressed.len() - 4..], [0, 0, 0, 0]);
        // lz4's own frame encoder, set to Kafka's flags, computes the same header checksum.
        let mut reference = lz4::EncoderBuilder::new()
            .block_size(lz4::BlockSize::Max64KB)
            .block_mode(lz4::BlockMode::Independent)
            .checksum(lz4::ContentChecksum::NoChecksum)
            .block_checksum(lz4::liblz4::BlockChecksum::NoBlockChecksum)
            .build(Vec::new())
            .unwrap();
        reference.write_all(b"x").unwrap();
        let (reference, result) = reference.finish();
        result.unwrap();
        assert_eq!(reference[..7], LZ4_FRAME_HEADER);
    }

    #[test]
    fn lz4_reads_frames_with_checksums_and_linked_blocks() {
        let data: Vec<u8> = (0..300_000_u32)
            .flat_map(|i| (i % 1000).to_le_bytes())
            .collect();
        let mut encoder = lz4::EncoderBuilder::new()
            .level(4)
            .build(Vec::new())
            .unwrap();
        encoder.write_all(&data).unwrap();
        let (frame, result) = encoder.finish();
        result.unwrap();
        assert_eq!(decompress(Codec::Lz4, &frame, data.len()).unwrap(), data);
        let truncated = &frame[..frame.len() - 5];
        assert!(decompress(Codec::Lz4, truncated, data.len()).is_err());
    }

    #[test]
    fn snappy_framing() {
        let data: Vec<u8> = (0..100_000_u32)
            .flat_map(|i| (i / 7).to_be_bytes())
            .collect();
        let framed = Compression::parse("snappy", None)
            .unwrap()
            .compress(&data)
            .unwrap();
        assert_eq!(
            framed[..16],
            *b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01"
        );
        // 400,000 bytes in 32 KiB chunks: 13 blocks.
        let mut pos = 16;
        let mut blocks = 0;
        while pos < framed.len() {
            let length = u32::from_be_bytes(framed[pos..pos + 4].try_into().unwrap()) as usize;
            let block = &framed[pos + 4..pos + 4 + length];
            assert!(snap::raw::decompress_len(block).unwrap() <= XERIAL_BLOCK_SIZE);
            pos += 4 + length;
            blocks += 1;
        }
        assert_eq!(blocks, 13);

        // Raw snappy, as snappy-java also reads it.
        let raw = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decompress(Codec::Snappy, &raw, data.len()).unwrap(), data);
        // Two streams back to back, as snappy-java reads them.
        let twice = [framed.clone(), framed.clone()].concat();
        assert_eq!(
            decompress(Codec::Snappy, &twice, 2 * data.len()).unwrap(),
            [data.clone(), data].concat()
        );
        for cut in [10, 17, 20, framed.len() - 1] {
            assert!(
                decompress(Codec::Snappy, &framed[..cut], usize::MAX).is_err(),
                "cut at {cut}"
            );
        }
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
