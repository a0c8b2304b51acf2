//! snappy in snappy-java's xerial stream framing, which Kafka writes; snap has the raw block
//! codec but not this framing.

use super::{compress_error, decompress_error, Codec};
use crate::record::RecordError;

/// snappy-java's stream header: magic `\x82SNAPPY\0`, then version 1 and minimum compatible
/// version 1 as big-endian i32s.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;
/// snappy-java's default block size, the one Kafka's `SnappyOutputStream` uses.
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), RecordError> {
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
pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::compression::{decompress, Compression};

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
}
