//! Building record batches (magic 2), laid out as Java's `DefaultRecordBatch` and
//! `DefaultRecord` write them.
//!
//! Record, all lengths and deltas zig-zag varints:
//! `length, attributes i8 (0), timestampDelta varlong, offsetDelta, keyLength (-1 = null), key,
//! valueLength (-1 = null), value, headerCount, [keyLength, key (UTF-8), valueLength, value]*`.
//! The batch header in front of them is [`super::batch_header`]'s.

use super::batch_header::{write_header, BatchShape, ProducerStamp, RECORD_BATCH_OVERHEAD};
use super::compression::{Codec, Compression};
use super::error::RecordError;
use super::varint::{read_varint, read_varlong, varlong_size, write_varlong};

/// Java's `RecordBatch.NO_TIMESTAMP`: the max timestamp of a batch without records.
const NO_TIMESTAMP: i64 = -1;

/// A record header; `value: None` is written as length -1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub key: &'a str,
    pub value: Option<&'a [u8]>,
}

/// An open batch: records encoded back to back in one buffer, uncompressed, ready to be sealed
/// (possibly several times, with different stamps) or split.
///
/// The buffer starts with room for the batch header, as Java's `MemoryRecordsBuilder` leaves
/// it: a batch without compression is sealed by writing its header there
/// ([`Self::seal_in_place`]), the records never copied; a compressed one is written elsewhere.
#[derive(Clone, Debug)]
pub struct BatchBuilder {
    base_timestamp: i64,
    max_timestamp: i64,
    /// [`RECORD_BATCH_OVERHEAD`] bytes of header room, then the encoded records. Empty while
    /// the records are out for compression ([`Self::take_records`]).
    buffer: Vec<u8>,
    /// Each record's `CreateTime`, for per-record delivery metadata; 8 bytes a record is small
    /// next to the record itself and saves re-parsing the buffer.
    timestamps: Vec<i64>,
}

impl BatchBuilder {
    pub fn new(base_timestamp: i64, capacity_hint: usize) -> Self {
        BatchBuilder {
            base_timestamp,
            max_timestamp: NO_TIMESTAMP,
            buffer: header_room(Vec::with_capacity(capacity_hint.max(RECORD_BATCH_OVERHEAD))),
            timestamps: Vec::new(),
        }
    }

    /// A builder whose records go into `buffer`, emptied first: a buffer that held an earlier
    /// batch keeps its memory pages, which a fresh allocation this large would fault in again.
    pub fn with_buffer(base_timestamp: i64, buffer: Vec<u8>) -> Self {
        // One timestamp per record: room for a buffer's worth of ~128-byte records up front,
        // so that growing it one record at a time is rare.
        let records = (buffer.capacity() / 128).clamp(16, 1024);
        BatchBuilder {
            base_timestamp,
            max_timestamp: NO_TIMESTAMP,
            buffer: header_room(buffer),
            timestamps: Vec::with_capacity(records),
        }
    }

    /// Exact encoded size of a record if appended now (used for the `batch_size` fit check
    /// before appending).
    pub fn size_of_next(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let body = self.body_size(timestamp, key, value, headers);
        varlong_size(body as i64) + body
    }

    fn body_size(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let mut size = 1 // attributes
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + bytes_size(key)
            + bytes_size(value)
            + varlong_size(headers.len() as i64);
        for header in headers {
            size += bytes_size(Some(header.key.as_bytes())) + bytes_size(header.value);
        }
        size
    }

    /// Writes the record straight into the one buffer (no per-record heap objects); returns its
    /// encoded size.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header<'_>],
    ) -> usize {
        let body = self.body_size(timestamp, key, value, headers);
        let total = varlong_size(body as i64) + body;
        let out = &mut self.buffer;
        out.reserve(total);
        write_varlong(out, body as i64);
        out.push(0); // record attributes: unused in v2
        write_varlong(out, timestamp.wrapping_sub(self.base_timestamp));
        write_varlong(out, self.timestamps.len() as i64);
        write_bytes(out, key);
        write_bytes(out, value);
        write_varlong(out, headers.len() as i64);
        for header in headers {
            write_bytes(out, Some(header.key.as_bytes()));
            write_bytes(out, header.value);
        }
        self.timestamps.push(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        total
    }

    pub fn record_count(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// `RECORD_BATCH_OVERHEAD` plus the uncompressed records.
    pub fn size_in_bytes(&self) -> usize {
        RECORD_BATCH_OVERHEAD + self.records_bytes().len()
    }

    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }

    /// The largest record timestamp, or -1 (Java's `NO_TIMESTAMP`) while the batch is empty.
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    /// The `CreateTime` of record `index`, in append order.
    pub fn timestamp_of(&self, index: usize) -> i64 {
        self.timestamps[index]
    }

    /// The encoded records, uncompressed, without the batch header.
    pub fn records_bytes(&self) -> &[u8] {
        self.buffer.get(RECORD_BATCH_OVERHEAD..).unwrap_or(&[])
    }

    /// Encodes the whole batch: header, compressed records, CRC-32C. Does not consume the
    /// builder (the uncompressed records stay for splitting and re-sealing).
    pub fn seal(
        &self,
        stamp: &ProducerStamp,
        compression: &Compression,
    ) -> Result<Vec<u8>, RecordError> {
        let body = compress_records(self.records_bytes(), compression)?;
        self.frame(body, stamp, compression.codec)
    }

    /// Seals the batch without compression where it is: its header and CRC-32C go into the
    /// header room, and [`Self::sealed_in_place`] is then the whole batch. Appending after
    /// this would leave the header stale: a sealed batch takes no more records.
    pub fn seal_in_place(&mut self, stamp: &ProducerStamp) -> Result<(), RecordError> {
        let shape = self.shape(Codec::None);
        write_header(&mut self.buffer, &shape, stamp)
    }

    /// The batch as [`Self::seal_in_place`] sealed it (header, records), or the header room
    /// and records of an unsealed one.
    pub fn sealed_in_place(&self) -> &[u8] {
        &self.buffer
    }

    /// [`Self::sealed_in_place`], writable: for [`super::restamp`].
    pub fn sealed_in_place_mut(&mut self) -> &mut [u8] {
        &mut self.buffer
    }

    fn shape(&self, codec: Codec) -> BatchShape {
        BatchShape {
            record_count: self.timestamps.len(),
            base_timestamp: self.base_timestamp,
            max_timestamp: self.max_timestamp,
            codec,
        }
    }

    /// Moves the buffer out (header room, then the records), for compression elsewhere
    /// ([`compress_buffer`]) or for a later batch's records; until [`Self::restore_records`]
    /// the builder holds no records bytes (its record count and timestamps stay).
    pub fn take_records(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }

    /// Puts back what [`Self::take_records`] moved out.
    pub fn restore_records(&mut self, buffer: Vec<u8>) {
        self.buffer = buffer;
    }

    /// Writes the header of this batch and its CRC-32C into `body`, which is
    /// [`compress_records`]' output for this builder's records with `codec`.
    pub fn frame(
        &self,
        mut body: Vec<u8>,
        stamp: &ProducerStamp,
        codec: Codec,
    ) -> Result<Vec<u8>, RecordError> {
        write_header(&mut body, &self.shape(codec), stamp)?;
        Ok(body)
    }

    /// Splits into builders of at most `max_bytes` each (by `size_in_bytes`), keeping order.
    /// A record larger than `max_bytes` on its own gets a builder of its own. The pieces keep
    /// this builder's base timestamp; offset deltas restart at 0 in each.
    pub fn split(&self, max_bytes: usize) -> Vec<BatchBuilder> {
        let mut pieces = Vec::new();
        let mut current =
            BatchBuilder::new(self.base_timestamp, max_bytes.min(self.size_in_bytes()));
        let records = self.records_bytes();
        let mut pos = 0;
        for &timestamp in &self.timestamps {
            let (start_of_rest, end) = record_span(records, pos);
            let rest = &records[start_of_rest..end];
            pos = end;
            let size = current.reencoded_size(timestamp, rest.len());
            if !current.is_empty() && current.size_in_bytes() + size > max_bytes {
                let capacity = max_bytes.min(self.size_in_bytes());
                pieces.push(std::mem::replace(
                    &mut current,
                    BatchBuilder::new(self.base_timestamp, capacity),
                ));
            }
            current.append_encoded(timestamp, rest);
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    }

    fn reencoded_size(&self, timestamp: i64, rest_len: usize) -> usize {
        let body = 1
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + rest_len;
        varlong_size(body as i64) + body
    }

    /// Appends a record whose key, value and headers are already encoded (`rest`).
    fn append_encoded(&mut self, timestamp: i64, rest: &[u8]) {
        let body = 1
            + varlong_size(timestamp.wrapping_sub(self.base_timestamp))
            + varlong_size(self.timestamps.len() as i64)
            + rest.len();
        let out = &mut self.buffer;
        write_varlong(out, body as i64);
        out.push(0);
        write_varlong(out, timestamp.wrapping_sub(self.base_timestamp));
        write_varlong(out, self.timestamps.len() as i64);
        out.extend_from_slice(rest);
        self.timestamps.push(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }
}

/// A batch's records compressed after room for its header: what [`BatchBuilder::frame`]
/// completes. Needs nothing but the records, so it can run on any thread.
pub fn compress_records(records: &[u8], compression: &Compression) -> Result<Vec<u8>, RecordError> {
    compression.compress_after(RECORD_BATCH_OVERHEAD, records)
}

/// [`compress_records`] of a buffer that [`BatchBuilder::take_records`] moved out.
pub fn compress_buffer(buffer: &[u8], compression: &Compression) -> Result<Vec<u8>, RecordError> {
    compress_records(
        buffer.get(RECORD_BATCH_OVERHEAD..).unwrap_or(&[]),
        compression,
    )
}

/// `buffer` emptied, then filled with the header room a builder starts with.
fn header_room(mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    buffer.resize(RECORD_BATCH_OVERHEAD, 0);
    buffer
}

/// For the record starting at `pos` in a buffer this module wrote: where its key length starts
/// and where the record ends.
fn record_span(records: &[u8], pos: usize) -> (usize, usize) {
    let mut cursor = pos;
    let body = read_varint(records, &mut cursor).expect("record length written by append");
    let end = cursor + body as usize;
    cursor += 1; // attributes
    read_varlong(records, &mut cursor).expect("timestamp delta written by append");
    read_varint(records, &mut cursor).expect("offset delta written by append");
    (cursor, end)
}

#[inline]
fn bytes_size(bytes: Option<&[u8]>) -> usize {
    match bytes {
        None => 1, // -1
        Some(b) => varlong_size(b.len() as i64) + b.len(),
    }
}

#[inline]
fn write_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => write_varlong(out, -1),
        Some(b) => {
            write_varlong(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::reader::decode_batches;

    #[test]
    fn split_keeps_order_and_bounds() {
        let mut builder = BatchBuilder::new(100, 0);
        for i in 0..200_u32 {
            let value = vec![b'x'; (i % 37) as usize * 10];
            let key = i.to_be_bytes();
            let headers = [Header {
                key: "i",
                value: Some(&key),
            }];
            builder.append(100 + i64::from(i), Some(&key), Some(&value), &headers);
        }
        let pieces = builder.split(1_000);
        assert!(pieces.len() > 1);
        let mut next = 0_u32;
        for piece in &pieces {
            assert!(piece.size_in_bytes() <= 1_000 || piece.record_count() == 1);
            let sealed = piece
                .seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE)
                .unwrap();
            assert_eq!(sealed.len(), piece.size_in_bytes());
            for (offset, record) in decode_batches(&sealed).unwrap()[0]
                .records
                .iter()
                .enumerate()
            {
                assert_eq!(record.offset, offset as i64);
                assert_eq!(record.key.as_deref(), Some(&next.to_be_bytes()[..]));
                assert_eq!(record.timestamp, 100 + i64::from(next));
                assert_eq!(
                    record.headers,
                    [("i".to_owned(), Some(next.to_be_bytes().to_vec()))]
                );
                next += 1;
            }
        }
        assert_eq!(next, 200);

        // A record larger than the bound alone gets a piece of its own.
        let mut big = BatchBuilder::new(0, 0);
        big.append(0, None, Some(&[0; 10]), &[]);
        big.append(0, None, Some(&[0; 500]), &[]);
        big.append(0, None, Some(&[0; 10]), &[]);
        let sizes: Vec<usize> = big
            .split(200)
            .iter()
            .map(BatchBuilder::record_count)
            .collect();
        assert_eq!(sizes, [1, 1, 1]);
    }

    #[test]
    fn empty_batch() {
        let builder = BatchBuilder::new(7, 0);
        assert_eq!(builder.max_timestamp(), -1);
        let sealed = builder
            .seal(&ProducerStamp::NO_PRODUCER, &Compression::NONE)
            .unwrap();
        assert_eq!(sealed.len(), RECORD_BATCH_OVERHEAD);
        let batch = &decode_batches(&sealed).unwrap()[0];
        assert_eq!((batch.record_count, batch.last_offset_delta), (0, -1));
        assert!(builder.split(100).is_empty());
    }
}
