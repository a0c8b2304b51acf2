//! gzip (RFC 1952) through flate2: the compressor at Java's levels with an 8 KiB window, and
//! a reader that takes concatenated members, as Java's `GZIPInputStream` does.

use super::{compress_error, read_bounded, Codec};
use crate::record::RecordError;

/// Deflate's window, as log2 of its size: 8 KiB, where Java's `Deflater` and librdkafka use
/// 32 KiB (15). Any gzip reader takes a stream written with a smaller window (its distances
/// are only shorter), so this changes the output, never who can read it.
///
/// Why: batches filled by their compressed size hold about four times the records of
/// uncompressed ones (with 1 KiB JSON, ~60 KiB for `batch_size` 16 KiB), and level 6 then
/// walks its hash chains (up to 128 candidates a byte) over a full 32 KiB of history. Measured
/// with flate2/zlib-rs on the benchmarks' 1 KiB JSON, CPU per record at level 6:
///
/// | batch          | 32 KiB window       | 16 KiB              | 8 KiB               |
/// |----------------|---------------------|---------------------|---------------------|
/// | 15 KiB         | 13.0 µs, ratio 0.281 | 13.1 µs, 0.281      | 11.5 µs, 0.282      |
/// | 60 KiB         | 24.2 µs, ratio 0.242 | 17.5 µs, 0.249      | 12.0 µs, 0.259      |
///
/// So an 8 KiB window costs the same per record at every batch size, and a 60 KiB batch still
/// compresses better than a 15 KiB one did with the full window.
const WINDOW_BITS: u8 = 13;

/// Output room for `input` bytes: the gzip header and trailer (18 bytes) and deflate's
/// growth on incompressible input (0.2% measured on random bytes with this window), so that
/// the compressor mostly finishes in one call.
fn worst_case(input: usize) -> usize {
    input + input / 64 + 64
}

pub(super) fn compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
    let level = if level < 0 {
        flate2::Compression::default()
    } else {
        flate2::Compression::new(level as u32)
    };
    let mut encoder = flate2::Compress::new_gzip(level, WINDOW_BITS);
    out.reserve(worst_case(input.len()));
    loop {
        // `total_in` counts what the encoder has consumed across calls.
        let consumed = usize::try_from(encoder.total_in()).unwrap_or(input.len());
        let status = encoder
            .compress_vec(&input[consumed..], out, flate2::FlushCompress::Finish)
            .map_err(|e| compress_error(Codec::Gzip, &e))?;
        if status == flate2::Status::StreamEnd {
            return Ok(());
        }
        // Only if the bound above were short: room for the rest, then go on.
        out.reserve(worst_case(input.len() - consumed).max(4096));
    }
}

pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    read_bounded(Codec::Gzip, flate2::read::MultiGzDecoder::new(data), limit)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn json(records: usize) -> Vec<u8> {
        (0..records)
            .flat_map(|i| {
                format!(
                    "{{\"n\":{i},\"user\":\"user-{}\",\"event\":\"checkout\",\"amount\":{}.{:02}}}",
                    i * 7919 % 1000,
                    i % 500,
                    i % 100
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn writes_one_gzip_member_that_a_plain_reader_takes() {
        let input = json(2_000);
        let mut out = b"room".to_vec();
        compress(&input, -1, &mut out).unwrap();
        assert_eq!(&out[..4], b"room");
        let member = &out[4..];
        // RFC 1952: magic, deflate, and the output is far smaller than the input.
        assert_eq!(member[..3], [0x1f, 0x8b, 8]);
        assert!(member.len() * 4 < input.len(), "{}", member.len());
        // The single-member reader ends exactly at the trailer: one member, nothing after it.
        let mut reader = flate2::read::GzDecoder::new(member);
        let mut restored = Vec::new();
        reader.read_to_end(&mut restored).unwrap();
        assert_eq!(restored, input);
    }

    #[test]
    fn the_window_is_no_longer_than_eight_kib() {
        // A block repeated 12 KiB apart: a 32 KiB window refers back to it, an 8 KiB one
        // cannot, and so compresses it no better than the block alone.
        let mut block = Vec::new();
        let mut state = 0x9e37_79b9_u32;
        while block.len() < 4096 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            block.push((state % 26) as u8 + b'a');
        }
        let mut input = block.clone();
        input.resize(12 * 1024, b' ');
        input.extend_from_slice(&block);
        let mut out = Vec::new();
        compress(&input, 9, &mut out).unwrap();
        let mut alone = Vec::new();
        compress(&block, 9, &mut alone).unwrap();
        assert!(
            out.len() > alone.len() * 3 / 2,
            "{} vs {}",
            out.len(),
            alone.len()
        );
        assert_eq!(decompress(&out, input.len()).unwrap(), input);
    }

    #[test]
    fn incompressible_input_fits_the_room_reserved_up_front() {
        let noise = crate::record::compression::tests::noise(300_000);
        let mut out = Vec::new();
        compress(&noise, -1, &mut out).unwrap();
        assert!(
            out.len() <= worst_case(noise.len()),
            "{} for {}",
            out.len(),
            noise.len()
        );
        assert_eq!(decompress(&out, noise.len()).unwrap(), noise);
    }
}
