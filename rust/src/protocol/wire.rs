//! Bounds-checked primitives for reading Kafka responses and writing the hot Produce request.
//!
//! Responses are decoded by hand instead of with `kafka-protocol`'s `Decodable`: the crate
//! calls `Vec::with_capacity(n)` with `n` read from the wire, so four hostile bytes can ask for
//! hundreds of gigabytes and abort the process. Here every array length is checked against the
//! bytes left before anything is allocated.
//!
//! Lenient where Kafka's own clients are, strict where a lenient reader would misread:
//! - bytes after the last field a version defines, and unknown tagged fields, are skipped
//!   (Kafka's generated `*Data.read` and librdkafka's response handlers read the fields they
//!   know and never look at what is left; some Kafka-compatible brokers send more);
//! - a length or count that reaches past the end of the frame, a negative length other than
//!   null's -1, and a frame that ends inside a field are errors, because reading on would take
//!   the bytes of the next field for this one.

use std::fmt;

/// Why a response could not be decoded; wrapped with the API and version by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame ended before a field did.
    Truncated {
        field: &'static str,
        needed: usize,
        remaining: usize,
    },
    /// A length or count that no valid message can carry.
    BadLength { field: &'static str, length: i64 },
    /// A string that is not UTF-8.
    BadUtf8 { field: &'static str },
    /// An unsigned varint longer than 5 bytes.
    BadVarint { field: &'static str },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                field,
                needed,
                remaining,
            } => write!(
                f,
                "frame ends inside {field} (needs {needed} more bytes, {remaining} left)"
            ),
            Self::BadLength { field, length } => write!(f, "invalid length {length} for {field}"),
            Self::BadUtf8 { field } => write!(f, "{field} is not valid UTF-8"),
            Self::BadVarint { field } => write!(f, "{field}: varint longer than 5 bytes"),
        }
    }
}

pub type DecodeResult<T> = Result<T, DecodeError>;

/// A cursor over one response body. Never panics, never allocates more than a small constant
/// factor of the bytes it was given.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn take(&mut self, n: usize, field: &'static str) -> DecodeResult<&'a [u8]> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated {
                field,
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> DecodeResult<[u8; N]> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub fn i8(&mut self, field: &'static str) -> DecodeResult<i8> {
        Ok(i8::from_be_bytes(self.array(field)?))
    }

    pub fn bool(&mut self, field: &'static str) -> DecodeResult<bool> {
        Ok(self.i8(field)? != 0)
    }

    pub fn i16(&mut self, field: &'static str) -> DecodeResult<i16> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    pub fn i32(&mut self, field: &'static str) -> DecodeResult<i32> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    pub fn i64(&mut self, field: &'static str) -> DecodeResult<i64> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    pub fn uuid(&mut self, field: &'static str) -> DecodeResult<[u8; 16]> {
        self.array(field)
    }

    pub fn uvarint(&mut self, field: &'static str) -> DecodeResult<u32> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let byte = self.array::<1>(field)?[0];
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::BadVarint { field })
    }

    /// A length-prefixed byte string: i16/i32 length (classic) or varint length + 1 (compact).
    /// `None` is the protocol's null.
    fn nullable_len(
        &mut self,
        field: &'static str,
        flexible: bool,
        wide: bool,
    ) -> DecodeResult<Option<usize>> {
        let len: i64 = if flexible {
            i64::from(self.uvarint(field)?) - 1
        } else if wide {
            i64::from(self.i32(field)?)
        } else {
            i64::from(self.i16(field)?)
        };
        match len {
            -1 => Ok(None),
            n if n < 0 => Err(DecodeError::BadLength { field, length: n }),
            n => Ok(Some(n as usize)),
        }
    }

    pub fn nullable_string(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> DecodeResult<Option<String>> {
        match self.nullable_len(field, flexible, false)? {
            None => Ok(None),
            Some(n) => {
                let bytes = self.take(n, field)?;
                let s = std::str::from_utf8(bytes).map_err(|_| DecodeError::BadUtf8 { field })?;
                Ok(Some(s.to_owned()))
            }
        }
    }

    /// A non-nullable string; a null on the wire is read as empty, as the Java client does
    /// when a broker sends null where the schema says it may not.
    pub fn string(&mut self, field: &'static str, flexible: bool) -> DecodeResult<String> {
        Ok(self.nullable_string(field, flexible)?.unwrap_or_default())
    }

    pub fn nullable_bytes(
        &mut self,
        field: &'static str,
        flexible: bool,
    ) -> DecodeResult<Option<&'a [u8]>> {
        match self.nullable_len(field, flexible, true)? {
            None => Ok(None),
            Some(n) => Ok(Some(self.take(n, field)?)),
        }
    }

    /// An array length, checked so that `n` elements of at least `min_element_size` bytes fit
    /// in what is left: the caller may then allocate `n` slots without trusting the wire.
    pub fn array_len(
        &mut self,
        field: &'static str,
        flexible: bool,
        min_element_size: usize,
    ) -> DecodeResult<Option<usize>> {
        let len: i64 = if flexible {
            i64::from(self.uvarint(field)?) - 1
        } else {
            i64::from(self.i32(field)?)
        };
        match len {
            -1 => Ok(None),
            n if n < 0 => Err(DecodeError::BadLength { field, length: n }),
            n => {
                let n = n as usize;
                let needed = n.saturating_mul(min_element_size.max(1));
                if needed > self.buf.len() {
                    return Err(DecodeError::Truncated {
                        field,
                        needed,
                        remaining: self.buf.len(),
                    });
                }
                Ok(Some(n))
            }
        }
    }

    /// Reads an array whose null form is treated as empty.
    pub fn vec<T>(
        &mut self,
        field: &'static str,
        flexible: bool,
        min_element_size: usize,
        mut element: impl FnMut(&mut Self) -> DecodeResult<T>,
    ) -> DecodeResult<Vec<T>> {
        let n = self
            .array_len(field, flexible, min_element_size)?
            .unwrap_or(0);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(element(self)?);
        }
        Ok(out)
    }

    pub fn i32_vec(&mut self, field: &'static str, flexible: bool) -> DecodeResult<Vec<i32>> {
        self.vec(field, flexible, 4, |r| r.i32(field))
    }

    /// Walks a tagged-field section, handing each field's bytes to `on_tag` as a sub-reader.
    ///
    /// Unknown tags are skipped, as the protocol requires. A known field's value is read from
    /// its own `size` bytes: whatever the handler leaves of them is skipped too (a later
    /// version may have appended to it), and the handler cannot read into the next field.
    pub fn tagged_fields(
        &mut self,
        mut on_tag: impl FnMut(u32, &mut Reader<'a>) -> DecodeResult<()>,
    ) -> DecodeResult<()> {
        // Each field takes at least two bytes (its tag and its size): a count that cannot fit
        // is refused at once rather than after reading every field.
        let count = self.uvarint("tagged field count")? as usize;
        let needed = count.saturating_mul(2);
        if needed > self.buf.len() {
            return Err(DecodeError::Truncated {
                field: "tagged fields",
                needed,
                remaining: self.buf.len(),
            });
        }
        for _ in 0..count {
            let tag = self.uvarint("tag")?;
            let size = self.uvarint("tagged field size")? as usize;
            let mut field = Reader::new(self.take(size, "tagged field")?);
            on_tag(tag, &mut field)?;
        }
        Ok(())
    }

    pub fn skip_tagged_fields(&mut self) -> DecodeResult<()> {
        self.tagged_fields(|_, _| Ok(()))
    }
}

pub fn put_uvarint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn uvarint_len(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x001f_ffff => 3,
        0x0020_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u32::MAX,
        ] {
            let mut out = Vec::new();
            put_uvarint(&mut out, v);
            assert_eq!(out.len(), uvarint_len(v));
            let mut r = Reader::new(&out);
            assert_eq!(r.uvarint("v").unwrap(), v);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(r.uvarint("v"), Err(DecodeError::BadVarint { field: "v" }));
    }

    #[test]
    fn huge_array_length_fails_before_allocating() {
        // i32::MAX elements announced, four bytes present.
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        let err = r.vec("topics", false, 1, |r| r.i8("x")).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::Truncated {
                field: "topics",
                ..
            }
        ));
    }

    #[test]
    fn known_tagged_fields_may_be_longer_than_what_is_read() {
        // Two fields: tag 0 holds 6 bytes of which the handler reads 4, tag 1 holds one byte.
        let section = [2, 0, 6, 0, 0, 0, 7, 0xaa, 0xbb, 1, 1, 9, 0xcc];
        let mut r = Reader::new(&section);
        let mut seen = Vec::new();
        r.tagged_fields(|tag, field| {
            seen.push((tag, i64::from(field.i32("a")?)));
            Ok(())
        })
        .unwrap_err();
        // The handler of tag 1 cannot read 4 bytes from its one: it stays inside its field.
        assert_eq!(seen, [(0, 7)]);
        let mut r = Reader::new(&section);
        let mut seen = Vec::new();
        r.tagged_fields(|tag, field| {
            seen.push((tag, i64::from(field.i8("a")?)));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [(0, 0), (1, 9)]);
        // What follows the section is left to the caller.
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn tagged_field_counts_and_sizes_past_the_end_are_errors() {
        // 2^28 fields announced in 3 bytes.
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0x7f, 0, 0, 0]);
        assert!(matches!(
            r.skip_tagged_fields(),
            Err(DecodeError::Truncated {
                field: "tagged fields",
                ..
            })
        ));
        // One field of 100 bytes in 2.
        let mut r = Reader::new(&[1, 5, 100, 0, 0]);
        assert!(matches!(
            r.skip_tagged_fields(),
            Err(DecodeError::Truncated {
                field: "tagged field",
                needed: 100,
                remaining: 2
            })
        ));
    }

    #[test]
    fn strings_nulls_and_bad_utf8() {
        let mut r = Reader::new(&[0xff, 0xff, 0, 2, b'o', b'k', 0, 1, 0xff]);
        assert_eq!(r.nullable_string("a", false).unwrap(), None);
        assert_eq!(r.string("b", false).unwrap(), "ok");
        assert_eq!(
            r.string("c", false),
            Err(DecodeError::BadUtf8 { field: "c" })
        );
        let mut r = Reader::new(&[0, 3, b'x']);
        assert!(matches!(
            r.string("d", false),
            Err(DecodeError::Truncated { .. })
        ));
    }
}
