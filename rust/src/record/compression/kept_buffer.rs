//! [`Compression::compress_after`]: compressing into a buffer each thread keeps between calls,
//! so that a batch's output is allocated once, at its size.

use std::cell::RefCell;

use super::{Codec, Compression};
use crate::record::RecordError;

impl Compression {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::compression::tests::samples;

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
}
