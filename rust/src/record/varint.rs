//! Zig-zag varints as Kafka's `ByteUtils` writes them (protobuf encoding of
//! `(n << 1) ^ (n >> 63)`). Written by hand because they sit on the per-record hot path and
//! are a few lines each.

/// Encoded size of a zig-zag varlong; a varint of the same value has the same size.
#[inline]
pub fn varlong_size(value: i64) -> usize {
    let zigzag = ((value << 1) ^ (value >> 63)) as u64;
    // Each byte holds 7 bits; `| 1` makes zero take one byte.
    let bits = 64 - (zigzag | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[inline]
pub fn write_varlong(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

/// Reads a zig-zag varint of at most `max_bytes` bytes (5 for varint, 10 for varlong) from
/// `data[*pos..]`, advancing `pos`. `None` when the input ends first or the value runs longer,
/// as Java's `ByteUtils.readVarint` rejects an over-long encoding.
#[inline]
fn read_zigzag(data: &[u8], pos: &mut usize, max_bytes: usize) -> Option<i64> {
    let mut raw: u64 = 0;
    for i in 0..max_bytes {
        let byte = *data.get(*pos + i)?;
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *pos += i + 1;
            return Some(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    None
}

#[inline]
pub fn read_varint(data: &[u8], pos: &mut usize) -> Option<i32> {
    // Five bytes carry 35 bits; the cast keeps the low 32 as Java's int arithmetic does.
    read_zigzag(data, pos, 5).map(|v| v as i32)
}

#[inline]
pub fn read_varlong(data: &[u8], pos: &mut usize) -> Option<i64> {
    read_zigzag(data, pos, 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        // Values from the protobuf zig-zag table.
        for (value, bytes) in [
            (0_i64, vec![0x00]),
            (-1, vec![0x01]),
            (1, vec![0x02]),
            (-2, vec![0x03]),
            (63, vec![0x7e]),
            (-64, vec![0x7f]),
            (64, vec![0x80, 0x01]),
            (i64::from(i32::MAX), vec![0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i64::from(i32::MIN), vec![0xff, 0xff, 0xff, 0xff, 0x0f]),
        ] {
            let mut out = Vec::new();
            write_varlong(&mut out, value);
            assert_eq!(out, bytes, "encoding of {value}");
            assert_eq!(varlong_size(value), bytes.len());
            let mut pos = 0;
            assert_eq!(read_varlong(&out, &mut pos), Some(value));
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn rejects_truncated_and_overlong() {
        let mut pos = 0;
        assert_eq!(read_varint(&[0x80, 0x80], &mut pos), None);
        assert_eq!(pos, 0);
        assert_eq!(
            read_varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], &mut pos),
            None
        );
        assert_eq!(read_varlong(&[0xff; 11], &mut pos), None);
    }

    proptest! {
        #[test]
        fn varlong_round_trip(value: i64) {
            let mut out = Vec::new();
            write_varlong(&mut out, value);
            prop_assert_eq!(out.len(), varlong_size(value));
            let mut pos = 0;
            prop_assert_eq!(read_varlong(&out, &mut pos), Some(value));
            prop_assert_eq!(pos, out.len());
        }

        #[test]
        fn varint_round_trip(value: i32) {
            let mut out = Vec::new();
            write_varlong(&mut out, i64::from(value));
            let mut pos = 0;
            prop_assert_eq!(read_varint(&out, &mut pos), Some(value));
        }
    }
}
