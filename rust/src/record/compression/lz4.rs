//! LZ4 in the frame format Kafka writes: the frame by hand around lz4's block compressor, and
//! lz4's own frame decoder for reading.

use std::io::Read;

use super::{compress_error, decompress_error, Codec};
use crate::record::RecordError;

pub(super) const DEFAULT_LEVEL: i32 = 9;
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
pub(super) fn compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
    // Java uses the fast compressor at the default level and the high-compression one with
    // the given level otherwise; matching it keeps sizes and speeds comparable.
    let mode = if level == DEFAULT_LEVEL {
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
pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::record::compression::{decompress, Compression};

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
}
