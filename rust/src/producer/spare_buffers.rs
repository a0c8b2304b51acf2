//! Record buffers of batches that are gone, kept for the batches opened next.
//!
//! A batch's buffer is large (up to a few times `batch_size`), and a fresh allocation that
//! large comes from the kernel untouched: glibc maps it anew, or hands back heap it trimmed,
//! so every 4 KiB page faults on its first write. Appending 100-byte records, those faults
//! cost as much as the appends themselves. A buffer that already held a batch keeps its
//! pages; reusing it is what Java's `BufferPool` does for its `batch.size` buffers.
//!
//! Like Java's pool, spare buffers and the bytes of live records together stay within
//! `buffer_memory` (checked when a buffer is put back), so a producer holds no more memory
//! idle than it was allowed to fill. They are not counted in [`super::memory::BufferMemory`]:
//! what an append may reserve does not depend on them.

#[derive(Debug, Default)]
pub struct SpareBuffers {
    /// Empty buffers, the most recently put back last (its pages are the likeliest cached).
    buffers: Vec<Vec<u8>>,
    /// The sum of their capacities.
    bytes: usize,
}

impl SpareBuffers {
    /// Keeps `buffer` for a later batch if its capacity fits in `room` (the buffer memory
    /// that neither records nor other spare buffers take), else frees it.
    pub fn put(&mut self, mut buffer: Vec<u8>, room: usize) {
        let capacity = buffer.capacity();
        if capacity == 0 || self.bytes + capacity > room {
            return;
        }
        buffer.clear();
        self.bytes += capacity;
        self.buffers.push(buffer);
    }

    /// An empty buffer with room for at least `capacity` bytes: the one put back last among
    /// those large enough, else a new one, and then the last one put back is freed rather
    /// than kept for growing: growing copies, and the next batch of its partition would
    /// likely want the same size again. (Compressed batches come back from the workers out of
    /// order and in sizes that vary, so the last one alone is often not the one that fits.)
    pub fn take(&mut self, capacity: usize) -> Vec<u8> {
        let fitting = self
            .buffers
            .iter()
            .rposition(|buffer| buffer.capacity() >= capacity);
        if let Some(at) = fitting {
            let buffer = self.buffers.remove(at);
            self.bytes -= buffer.capacity();
            return buffer;
        }
        if let Some(small) = self.buffers.pop() {
            self.bytes -= small.capacity();
        }
        Vec::with_capacity(capacity)
    }

    /// Bytes held by spare buffers.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_put_back_is_taken_again_with_its_memory() {
        let mut spare = SpareBuffers::default();
        let mut buffer = Vec::with_capacity(1_000);
        buffer.extend_from_slice(b"old records");
        let address = buffer.as_ptr();
        spare.put(buffer, 10_000);
        assert_eq!((spare.len(), spare.bytes()), (1, 1_000));
        let again = spare.take(800);
        assert_eq!(again.as_ptr(), address, "the same allocation");
        assert!(again.is_empty());
        assert!(spare.is_empty());
        assert_eq!(spare.bytes(), 0);
    }

    #[test]
    fn spare_bytes_stay_within_the_room() {
        let mut spare = SpareBuffers::default();
        spare.put(Vec::with_capacity(600), 1_000);
        spare.put(Vec::with_capacity(600), 1_000);
        assert_eq!(
            (spare.len(), spare.bytes()),
            (1, 600),
            "the second would exceed 1,000"
        );
        spare.put(Vec::with_capacity(400), 1_000);
        assert_eq!((spare.len(), spare.bytes()), (2, 1_000));
        spare.put(Vec::new(), 1_000_000);
        assert_eq!(spare.len(), 2, "an unallocated buffer is not worth keeping");
    }

    #[test]
    fn the_latest_buffer_large_enough_is_taken() {
        let mut spare = SpareBuffers::default();
        spare.put(Vec::with_capacity(900), 10_000);
        spare.put(Vec::with_capacity(1_000), 10_000);
        spare.put(Vec::with_capacity(300), 10_000);
        assert_eq!(spare.take(800).capacity(), 1_000);
        assert_eq!((spare.len(), spare.bytes()), (2, 1_200));
        assert_eq!(spare.take(200).capacity(), 300, "the latest that fits");
        assert_eq!(spare.take(100).capacity(), 900);
        assert!(spare.is_empty());
    }

    #[test]
    fn a_buffer_too_small_is_freed_not_grown() {
        let mut spare = SpareBuffers::default();
        spare.put(Vec::with_capacity(100), 10_000);
        let taken = spare.take(500);
        assert!(taken.capacity() >= 500);
        assert!(spare.is_empty());
        assert_eq!(spare.bytes(), 0);
        assert!(
            spare.take(10).capacity() >= 10,
            "a new one when none is left"
        );
    }
}
