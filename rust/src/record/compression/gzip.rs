//! gzip (RFC 1952) through flate2: the compressor at Java's levels, and a reader that takes
//! concatenated members, as Java's `GZIPInputStream` does.

use std::io::Write;

use super::{compress_error, read_bounded, Codec};
use crate::record::RecordError;

pub(super) fn compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
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

pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    read_bounded(Codec::Gzip, flate2::read::MultiGzDecoder::new(data), limit)
}
