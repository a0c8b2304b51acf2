//! zstd frames, compressed with a per-thread context that is kept across batches.

use std::cell::RefCell;

use super::{compress_error, decompress_error, read_bounded, Codec};
use crate::record::RecordError;

thread_local! {
    /// A zstd compression context costs a large allocation to set up; one per thread is
    /// reused across batches, its level changed when needed.
    static ZSTD_CONTEXT: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
}

pub(super) fn compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), RecordError> {
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

pub(super) fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, RecordError> {
    let decoder = zstd::stream::read::Decoder::with_buffer(data)
        .map_err(|e| decompress_error(Codec::Zstd, &e))?;
    read_bounded(Codec::Zstd, decoder, limit)
}
