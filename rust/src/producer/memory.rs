//! `buffer.memory` accounting: the bytes of every record held by the accumulator, counted
//! exactly from append until its batch completes, fails, expires or is aborted.
//!
//! Unlike Java's `BufferPool` this is only a counter: batches own growable buffers (the
//! buffers of gone batches are kept apart, in `spare_buffers.rs`). Waiting for space is the
//! caller's job (Python awaits a batch completion and retries), so there is no blocking here.

/// Not enough free buffer memory for a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub requested: usize,
    pub available: usize,
}

#[derive(Debug, Clone)]
pub struct BufferMemory {
    limit: usize,
    used: usize,
}

impl BufferMemory {
    pub fn new(limit: usize) -> Self {
        Self { limit, used: 0 }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn used(&self) -> usize {
        self.used
    }

    /// Free bytes; zero while a forced reservation (see [`Self::force_reserve`]) overshoots.
    pub fn available(&self) -> usize {
        self.limit.saturating_sub(self.used)
    }

    pub fn try_reserve(&mut self, bytes: usize) -> Result<(), Exhausted> {
        if bytes > self.available() {
            return Err(Exhausted {
                requested: bytes,
                available: self.available(),
            });
        }
        self.used += bytes;
        Ok(())
    }

    /// Reserves even past the limit. Used when a batch already accounted for is re-framed
    /// (splitting adds one batch header per part): refusing would lose records that were
    /// accepted, and Java likewise allocates split batches outside its pool.
    pub fn force_reserve(&mut self, bytes: usize) {
        self.used += bytes;
    }

    pub fn release(&mut self, bytes: usize) {
        debug_assert!(
            bytes <= self.used,
            "releasing {bytes} of {} used",
            self.used
        );
        self.used = self.used.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_and_release_exactly() {
        let mut m = BufferMemory::new(100);
        m.try_reserve(60).unwrap();
        assert_eq!(m.available(), 40);
        assert_eq!(
            m.try_reserve(41),
            Err(Exhausted {
                requested: 41,
                available: 40
            })
        );
        assert_eq!(m.used(), 60, "a refused reservation changes nothing");
        m.try_reserve(40).unwrap();
        assert_eq!(m.available(), 0);
        m.release(100);
        assert_eq!(m.available(), 100);
    }

    #[test]
    fn forced_reservation_may_overshoot() {
        let mut m = BufferMemory::new(10);
        m.try_reserve(8).unwrap();
        m.force_reserve(5);
        assert_eq!(m.used(), 13);
        assert_eq!(m.available(), 0);
        assert!(m.try_reserve(1).is_err());
        m.release(13);
        assert_eq!(m.available(), 10);
    }
}
