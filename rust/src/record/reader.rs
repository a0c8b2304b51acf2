//! Decoding record batches (magic 2), with the checks Java's `DefaultRecordBatch` and
//! `DefaultRecord` make. Input is untrusted: every length is checked against the bytes that
//! are actually there before it is used, and allocations are sized by those bytes, never by a
//! count read from the input.

use super::batch_header::{
    offsets, CODEC_MASK, CONTROL_FLAG, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_FLAG,
    TRANSACTIONAL_FLAG,
};
use super::compression::{decompress, Codec, DEFAULT_DECOMPRESSION_LIMIT};
use super::error::RecordError;
use super::varint::{read_varint, read_varlong};

/// The smallest record: a one-byte length and six one-byte fields (attributes, timestamp
/// delta, offset delta, key length, value length, header count).
const MIN_RECORD_SIZE: usize = 7;
/// The smallest header: one-byte key and value lengths.
const MIN_HEADER_SIZE: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedBatch {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub codec: Codec,
    /// Attribute bit 3: the broker's append time instead of the producer's `CreateTime`.
    pub log_append_time: bool,
    pub transactional: bool,
    pub control: bool,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
    pub records: Vec<DecodedRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedRecord {
    /// Absolute: base offset plus offset delta.
    pub offset: i64,
    /// Absolute: base timestamp plus delta, or the batch's max timestamp under `LogAppendTime`.
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Parses one or more concatenated batches, verifying each CRC and decompressing each records
/// section up to [`DEFAULT_DECOMPRESSION_LIMIT`] bytes.
pub fn decode_batches(data: &[u8]) -> Result<Vec<DecodedBatch>, RecordError> {
    decode_batches_with_limit(data, DEFAULT_DECOMPRESSION_LIMIT)
}

/// As [`decode_batches`], with the per-batch decompressed size capped at `limit` bytes.
pub fn decode_batches_with_limit(
    data: &[u8],
    limit: usize,
) -> Result<Vec<DecodedBatch>, RecordError> {
    let mut batches = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let (batch, next) = decode_batch(data, pos, limit)?;
        batches.push(batch);
        pos = next;
    }
    Ok(batches)
}

fn be_i16(data: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([data[at], data[at + 1]])
}

fn be_i32(data: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(data[at..at + 4].try_into().expect("four bytes"))
}

fn be_i64(data: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(data[at..at + 8].try_into().expect("eight bytes"))
}

/// Decodes the batch starting at `start`; returns it and the offset just past it.
fn decode_batch(
    data: &[u8],
    start: usize,
    limit: usize,
) -> Result<(DecodedBatch, usize), RecordError> {
    let available = data.len() - start;
    if available < RECORD_BATCH_OVERHEAD {
        return Err(RecordError::Truncated {
            offset: start,
            needed: RECORD_BATCH_OVERHEAD,
            available,
        });
    }
    let header = &data[start..];
    let magic = header[offsets::MAGIC] as i8;
    if magic != 2 {
        return Err(RecordError::UnsupportedMagic {
            offset: start,
            magic,
        });
    }
    let batch_length = be_i32(header, offsets::BATCH_LENGTH);
    if batch_length < (RECORD_BATCH_OVERHEAD - offsets::AFTER_LENGTH) as i32 {
        return Err(RecordError::BadBatchLength {
            offset: start,
            length: batch_length,
        });
    }
    let size = offsets::AFTER_LENGTH + batch_length as usize;
    if available < size {
        return Err(RecordError::Truncated {
            offset: start,
            needed: size,
            available,
        });
    }
    let batch = &header[..size];

    let stored = be_i32(batch, offsets::CRC) as u32;
    let computed = crc32c::crc32c(&batch[offsets::ATTRIBUTES..]);
    if stored != computed {
        return Err(RecordError::CrcMismatch {
            offset: start,
            stored,
            computed,
        });
    }

    let attributes = be_i16(batch, offsets::ATTRIBUTES);
    let codec = Codec::from_id(attributes & CODEC_MASK)?;
    let log_append_time = attributes & TIMESTAMP_TYPE_FLAG != 0;
    let base_offset = be_i64(batch, 0);
    let base_timestamp = be_i64(batch, offsets::BASE_TIMESTAMP);
    let max_timestamp = be_i64(batch, offsets::MAX_TIMESTAMP);
    let record_count = be_i32(batch, offsets::RECORD_COUNT);
    let malformed = |reason: String| RecordError::Malformed {
        offset: start,
        reason,
    };
    if record_count < 0 {
        return Err(malformed(format!("negative record count {record_count}")));
    }

    let compressed = &batch[RECORD_BATCH_OVERHEAD..];
    let decompressed;
    let records_bytes = if codec == Codec::None {
        compressed
    } else {
        decompressed = decompress(codec, compressed, limit)?;
        &decompressed[..]
    };

    let context = RecordContext {
        base_offset,
        base_timestamp,
        max_timestamp,
        log_append_time,
    };
    let records =
        decode_records(records_bytes, record_count as usize, &context).map_err(malformed)?;

    let decoded = DecodedBatch {
        base_offset,
        batch_length,
        partition_leader_epoch: be_i32(batch, offsets::PARTITION_LEADER_EPOCH),
        magic,
        crc: stored,
        attributes,
        codec,
        log_append_time,
        transactional: attributes & TRANSACTIONAL_FLAG != 0,
        control: attributes & CONTROL_FLAG != 0,
        last_offset_delta: be_i32(batch, offsets::LAST_OFFSET_DELTA),
        base_timestamp,
        max_timestamp,
        producer_id: be_i64(batch, offsets::PRODUCER_ID),
        producer_epoch: be_i16(batch, offsets::PRODUCER_EPOCH),
        base_sequence: be_i32(batch, offsets::BASE_SEQUENCE),
        record_count,
        records,
    };
    Ok((decoded, start + size))
}

fn decode_records(
    data: &[u8],
    count: usize,
    context: &RecordContext,
) -> Result<Vec<DecodedRecord>, String> {
    let mut records = Vec::with_capacity(count.min(data.len() / MIN_RECORD_SIZE));
    let mut pos = 0;
    for index in 0..count {
        let record = decode_record(data, &mut pos, context)
            .map_err(|reason| format!("record {index} of {count}: {reason}"))?;
        records.push(record);
    }
    if pos != data.len() {
        return Err(format!(
            "{} bytes left after the {count} records the header declares",
            data.len() - pos
        ));
    }
    Ok(records)
}

struct RecordContext {
    base_offset: i64,
    base_timestamp: i64,
    max_timestamp: i64,
    log_append_time: bool,
}

fn decode_record(
    data: &[u8],
    pos: &mut usize,
    ctx: &RecordContext,
) -> Result<DecodedRecord, String> {
    let length = read_varint(data, pos).ok_or("length varint is truncated or too long")?;
    let body_len = usize::try_from(length).map_err(|_| format!("negative length {length}"))?;
    let body = data
        .get(*pos..pos.saturating_add(body_len))
        .ok_or_else(|| format!("length {length} runs past the end of the records"))?;
    *pos += body_len;

    let mut cursor = 1; // attributes: unused in v2
    if body.is_empty() {
        return Err("empty record".to_owned());
    }
    let timestamp_delta = read_varlong(body, &mut cursor).ok_or("timestamp delta is truncated")?;
    let offset_delta = read_varint(body, &mut cursor).ok_or("offset delta is truncated")?;
    let key = read_bytes(body, &mut cursor, "key")?;
    let value = read_bytes(body, &mut cursor, "value")?;
    let header_count = read_varint(body, &mut cursor).ok_or("header count is truncated")?;
    let header_count = usize::try_from(header_count)
        .map_err(|_| format!("negative header count {header_count}"))?;
    let mut headers = Vec::with_capacity(header_count.min((body.len() - cursor) / MIN_HEADER_SIZE));
    for _ in 0..header_count {
        let key = read_bytes(body, &mut cursor, "header key")?.ok_or("header key is null")?;
        let key = String::from_utf8(key).map_err(|_| "header key is not valid UTF-8".to_owned())?;
        let value = read_bytes(body, &mut cursor, "header value")?;
        headers.push((key, value));
    }
    if cursor != body.len() {
        return Err(format!(
            "declared length {length} but its fields take {cursor} bytes"
        ));
    }

    let timestamp = if ctx.log_append_time {
        ctx.max_timestamp
    } else {
        ctx.base_timestamp.wrapping_add(timestamp_delta)
    };
    Ok(DecodedRecord {
        offset: ctx.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp,
        key,
        value,
        headers,
    })
}

fn read_bytes(body: &[u8], cursor: &mut usize, what: &str) -> Result<Option<Vec<u8>>, String> {
    let length = read_varint(body, cursor).ok_or_else(|| format!("{what} length is truncated"))?;
    if length == -1 {
        return Ok(None);
    }
    let len = usize::try_from(length).map_err(|_| format!("{what} length {length} is below -1"))?;
    let bytes = body
        .get(*cursor..cursor.saturating_add(len))
        .ok_or_else(|| format!("{what} length {length} runs past the end of the record"))?;
    *cursor += len;
    Ok(Some(bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::batch_header::{restamp, ProducerStamp};
    use crate::record::builder::{BatchBuilder, Header};
    use crate::record::compression::Compression;
    use proptest::prelude::*;

    fn sample_batch(codec: &str, first: u8) -> Vec<u8> {
        let mut builder = BatchBuilder::new(1_700_000_000_000, 0);
        for i in 0..20_u8 {
            let value = vec![first.wrapping_add(i); 30];
            let headers = [
                Header {
                    key: "k",
                    value: Some(b"v"),
                },
                Header {
                    key: "k",
                    value: None,
                },
            ];
            builder.append(
                1_700_000_000_000 + i64::from(i),
                Some(&[i]),
                Some(&value),
                &headers,
            );
        }
        let compression = Compression::parse(codec, None).unwrap();
        builder
            .seal(&ProducerStamp::NO_PRODUCER, &compression)
            .unwrap()
    }

    /// Sets the base offset, as the broker does on append, and fixes the CRC (which does not
    /// cover the base offset anyway).
    fn with_base_offset(mut batch: Vec<u8>, base_offset: i64) -> Vec<u8> {
        batch[..8].copy_from_slice(&base_offset.to_be_bytes());
        batch
    }

    #[test]
    fn concatenated_batches_with_absolute_offsets() {
        let data = [
            with_base_offset(sample_batch("none", 0), 100),
            with_base_offset(sample_batch("gzip", 50), 120),
            with_base_offset(sample_batch("snappy", 100), 140),
        ]
        .concat();
        let batches = decode_batches(&data).unwrap();
        assert_eq!(batches.len(), 3);
        for (batch, base) in batches.iter().zip([100, 120, 140]) {
            assert_eq!(batch.base_offset, base);
            let offsets: Vec<i64> = batch.records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, (base..base + 20).collect::<Vec<_>>());
            assert_eq!(
                batch.records[3].headers,
                [
                    ("k".to_owned(), Some(b"v".to_vec())),
                    ("k".to_owned(), None)
                ]
            );
        }
        assert_eq!(batches[2].records[1].value.as_deref(), Some(&[101; 30][..]));
    }

    #[test]
    fn log_append_time_uses_max_timestamp() {
        let mut batch = sample_batch("none", 0);
        batch[offsets::ATTRIBUTES + 1] |= TIMESTAMP_TYPE_FLAG as u8;
        batch[offsets::MAX_TIMESTAMP..offsets::MAX_TIMESTAMP + 8]
            .copy_from_slice(&42_i64.to_be_bytes());
        restamp(&mut batch, &ProducerStamp::NO_PRODUCER);
        let decoded = decode_batches(&batch).unwrap().remove(0);
        assert!(decoded.log_append_time);
        assert!(decoded.records.iter().all(|r| r.timestamp == 42));
    }

    #[test]
    fn specific_errors() {
        let batch = sample_batch("lz4", 0);
        assert!(matches!(
            decode_batches(&batch[..60]),
            Err(RecordError::Truncated { needed: 61, .. })
        ));
        assert!(matches!(
            decode_batches(&batch[..batch.len() - 1]),
            Err(RecordError::Truncated { .. })
        ));

        let mut flipped = batch.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(
            decode_batches(&flipped),
            Err(RecordError::CrcMismatch { .. })
        ));

        let mut magic = batch.clone();
        magic[offsets::MAGIC] = 1;
        assert_eq!(
            decode_batches(&magic).unwrap_err().to_string(),
            "record batch at offset 0 has magic 1: only magic 2 (record batch v2) is supported"
        );

        let mut codec = batch.clone();
        codec[offsets::ATTRIBUTES + 1] |= 7;
        restamp(&mut codec, &ProducerStamp::NO_PRODUCER);
        assert_eq!(
            decode_batches(&codec).unwrap_err(),
            RecordError::UnknownCodecId(7)
        );

        // A record count far above what the bytes can hold fails without allocating for it.
        let mut count = sample_batch("none", 0);
        count[offsets::RECORD_COUNT..offsets::RECORD_COUNT + 4]
            .copy_from_slice(&i32::MAX.to_be_bytes());
        restamp(&mut count, &ProducerStamp::NO_PRODUCER);
        let message = decode_batches(&count).unwrap_err().to_string();
        assert!(message.contains("record 20 of 2147483647"), "{message}");

        let mut fewer = sample_batch("none", 0);
        fewer[offsets::RECORD_COUNT + 3] = 19;
        restamp(&mut fewer, &ProducerStamp::NO_PRODUCER);
        let message = decode_batches(&fewer).unwrap_err().to_string();
        assert!(
            message.ends_with("bytes left after the 19 records the header declares"),
            "{message}"
        );
    }

    #[test]
    fn decompression_limit_applies_per_batch() {
        let batch = sample_batch("zstd", 0);
        assert!(matches!(
            decode_batches_with_limit(&batch, 100),
            Err(RecordError::DecompressedTooLarge { limit: 100, .. })
        ));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode_batches(&data);
        }

        /// Damage behind a valid CRC reaches the record parser itself.
        #[test]
        fn corrupted_records_never_panic(
            codec in prop::sample::select(vec!["none", "gzip", "snappy", "lz4", "zstd"]),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut batch = sample_batch(codec, 7);
            let body = batch.len() - 61;
            for (at, mask) in flips {
                batch[61 + at % body] ^= mask | 1;
            }
            let keep = 61 + cut % (body + 1);
            batch.truncate(keep);
            let length = (keep - 12) as i32;
            batch[8..12].copy_from_slice(&length.to_be_bytes());
            restamp(&mut batch, &ProducerStamp::NO_PRODUCER);
            let _ = decode_batches(&batch);
        }

        #[test]
        fn header_damage_never_panics(at in 0_usize..61, mask in 1_u8..=255) {
            let mut batch = sample_batch("none", 0);
            batch[at] ^= mask;
            if at >= offsets::ATTRIBUTES {
                restamp(&mut batch, &ProducerStamp::NO_PRODUCER);
                // restamp rewrote the stamp fields; damage them again behind the new CRC.
                batch[at] ^= mask;
                let crc = crc32c::crc32c(&batch[offsets::ATTRIBUTES..]);
                batch[offsets::CRC..offsets::CRC + 4].copy_from_slice(&crc.to_be_bytes());
            }
            let _ = decode_batches(&batch);
        }
    }
}
