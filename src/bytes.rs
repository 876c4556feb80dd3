//! A cursor over `&[u8]` that never panics.
//!
//! Every TSDB section is read through [`Cursor`]: big-endian integers, Go `encoding/binary`
//! varints and uvarint-prefixed strings. Each read checks bounds and returns a
//! [`FormatError`] naming the section and the absolute file offset, so a corrupt file can
//! only ever produce an error.

use byteorder::{BigEndian, ByteOrder};

use crate::error::{FormatError, FormatErrorKind, Section};
use crate::source::ReadAt;

/// CRC-32 Castagnoli, as used by every TSDB checksum.
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Checks that `stored` is the CRC32C of `data`; errors name `section` and `offset`.
#[inline]
pub fn check_crc(
    data: &[u8],
    stored: u32,
    section: Section,
    offset: u64,
) -> Result<(), FormatError> {
    let computed = crc32c(data);
    if computed != stored {
        return Err(FormatError::new(
            section,
            offset,
            FormatErrorKind::Checksum { stored, computed },
        ));
    }
    Ok(())
}

/// A bounds-checked reader over a byte slice that knows where the slice sits in its file.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    section: Section,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, which starts at file offset `base` and belongs to `section`.
    pub fn new(data: &'a [u8], base: u64, section: Section) -> Self {
        Cursor {
            data,
            pos: 0,
            base,
            section,
        }
    }

    /// Absolute file offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Position relative to the start of the slice.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// True when nothing is left.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// An error at the current position.
    pub fn error(&self, kind: FormatErrorKind) -> FormatError {
        FormatError::new(self.section, self.offset(), kind)
    }

    /// An "invalid" error at the current position.
    pub fn invalid(&self, what: &'static str) -> FormatError {
        self.error(FormatErrorKind::Invalid(what))
    }

    fn truncated(&self, needed: usize) -> FormatError {
        self.error(FormatErrorKind::Truncated {
            needed: needed as u64,
            available: self.remaining() as u64,
        })
    }

    /// Reads `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end.and_then(|end| self.data.get(self.pos..end).map(|s| (s, end))) {
            Some((s, end)) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(self.truncated(n)),
        }
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), FormatError> {
        self.bytes(n).map(|_| ())
    }

    /// Moves to `pos` (relative to the slice start).
    pub fn seek(&mut self, pos: usize) -> Result<(), FormatError> {
        if pos > self.data.len() {
            return Err(self.truncated(pos - self.pos.min(pos)));
        }
        self.pos = pos;
        Ok(())
    }

    /// Reads a big-endian magic number and checks it.
    pub fn magic(&mut self, expected: u32) -> Result<(), FormatError> {
        let at = self.offset();
        let found = self.be_u32()?;
        if found != expected {
            return Err(FormatError::new(
                self.section,
                at,
                FormatErrorKind::BadMagic { found, expected },
            ));
        }
        Ok(())
    }

    /// Reads a version byte and checks that `supported` accepts it.
    pub fn version(&mut self, supported: impl Fn(u8) -> bool) -> Result<u8, FormatError> {
        let at = self.offset();
        let v = self.u8()?;
        if !supported(v) {
            return Err(FormatError::new(
                self.section,
                at,
                FormatErrorKind::UnsupportedVersion(v),
            ));
        }
        Ok(v)
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, FormatError> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1)),
        }
    }

    /// Reads a big-endian u32.
    #[inline]
    pub fn be_u32(&mut self) -> Result<u32, FormatError> {
        self.bytes(4).map(BigEndian::read_u32)
    }

    /// Reads a big-endian u64.
    #[inline]
    pub fn be_u64(&mut self) -> Result<u64, FormatError> {
        self.bytes(8).map(BigEndian::read_u64)
    }

    /// Reads an unsigned LEB128 varint exactly as Go's `binary.Uvarint`: at most 10 bytes,
    /// and the 10th byte may only be 0 or 1.
    #[inline]
    pub fn uvarint(&mut self) -> Result<u64, FormatError> {
        let start = self.pos;
        match decode_uvarint(self.rest()) {
            Ok((v, n)) => {
                self.pos = start + n;
                Ok(v)
            }
            Err(UvarintError::Truncated) => Err(self.truncated(self.remaining() + 1)),
            Err(UvarintError::Overflow) => Err(self.error(FormatErrorKind::VarintOverflow(64))),
        }
    }

    /// Reads a uvarint that must fit in 32 bits.
    #[inline]
    pub fn uvarint32(&mut self) -> Result<u32, FormatError> {
        let at = self.offset();
        let v = self.uvarint()?;
        u32::try_from(v)
            .map_err(|_| FormatError::new(self.section, at, FormatErrorKind::VarintOverflow(32)))
    }

    /// Reads a uvarint used as a length or count, bounded by `usize`.
    #[inline]
    pub fn uvarint_len(&mut self) -> Result<usize, FormatError> {
        let at = self.offset();
        let v = self.uvarint()?;
        usize::try_from(v).map_err(|_| {
            FormatError::new(
                self.section,
                at,
                FormatErrorKind::VarintOverflow(usize::BITS),
            )
        })
    }

    /// Reads a zig-zag signed varint (Go `binary.Varint`).
    #[inline]
    pub fn varint(&mut self) -> Result<i64, FormatError> {
        let u = self.uvarint()?;
        Ok(zigzag_decode(u))
    }

    /// Reads a uvarint length followed by that many bytes.
    #[inline]
    pub fn uvarint_bytes(&mut self) -> Result<&'a [u8], FormatError> {
        let n = self.uvarint_len()?;
        self.bytes(n)
    }
}

/// Appends `v` as Go's `binary.PutUvarint` does.
#[inline]
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` as Go's `binary.PutVarint` does (zig-zag).
#[inline]
pub fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Zig-zag decoding as in Go's `binary.Varint`.
#[inline]
pub fn zigzag_decode(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Why a uvarint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UvarintError {
    /// The input ended inside the varint.
    Truncated,
    /// More than 64 bits.
    Overflow,
}

/// Decodes a uvarint from the start of `buf`, returning the value and its length.
#[inline]
pub fn decode_uvarint(buf: &[u8]) -> Result<(u64, usize), UvarintError> {
    let mut x: u64 = 0;
    let mut shift = 0u32;
    for (i, &b) in buf.iter().enumerate() {
        if i == 10 {
            return Err(UvarintError::Overflow);
        }
        if b < 0x80 {
            if i == 9 && b > 1 {
                return Err(UvarintError::Overflow);
            }
            return Ok((x | (u64::from(b) << shift), i + 1));
        }
        x |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    if buf.len() >= 10 {
        Err(UvarintError::Overflow)
    } else {
        Err(UvarintError::Truncated)
    }
}

/// `len` bytes at `offset` of `src`, which must lie below `limit` (the end of the region the
/// section belongs to, e.g. the index without its TOC). Out of bounds is a
/// [`FormatErrorKind::Truncated`] at `offset`; a failed fetch is a [`FormatErrorKind::Io`].
#[inline]
pub fn read_at<S: ReadAt + ?Sized>(
    src: &S,
    limit: u64,
    offset: u64,
    len: usize,
    section: Section,
) -> Result<&[u8], FormatError> {
    let limit = limit.min(src.size());
    if offset.checked_add(len as u64).is_none_or(|end| end > limit) {
        return Err(FormatError::new(
            section,
            offset,
            FormatErrorKind::Truncated {
                needed: len as u64,
                available: limit.saturating_sub(offset),
            },
        ));
    }
    src.read_at(offset, len)
        .map_err(|e| FormatError::new(section, offset, FormatErrorKind::Io(e.kind())))
}

/// Reads the `len <4b> | body | CRC32C <4b>` envelope at `offset` of `file` and returns the
/// body (and its absolute offset) after checking bounds and the checksum.
pub fn checked_section<S: ReadAt + ?Sized>(
    file: &S,
    offset: u64,
    section: Section,
) -> Result<(&[u8], u64), FormatError> {
    checked_section_below(file, file.size(), offset, section)
}

/// [`checked_section`] for a section that must end at or before `limit`.
pub fn checked_section_below<S: ReadAt + ?Sized>(
    file: &S,
    limit: u64,
    offset: u64,
    section: Section,
) -> Result<(&[u8], u64), FormatError> {
    let (body, body_off, stored) = section_parts_below(file, limit, offset, section)?;
    check_crc(body, stored, section, offset)?;
    Ok((body, body_off))
}

/// Like [`checked_section`] but leaves the checksum to the caller: returns the body, its
/// offset and the stored CRC.
pub fn section_parts<S: ReadAt + ?Sized>(
    file: &S,
    offset: u64,
    section: Section,
) -> Result<(&[u8], u64, u32), FormatError> {
    section_parts_below(file, file.size(), offset, section)
}

/// Reads the 4-byte length of the envelope at `offset` and checks that the whole envelope
/// (`len`, body, CRC) ends at or before `limit`, without reading it: the body's length.
pub fn section_len<S: ReadAt + ?Sized>(
    file: &S,
    limit: u64,
    offset: u64,
    section: Section,
) -> Result<usize, FormatError> {
    let limit = limit.min(file.size());
    if offset > limit {
        return Err(FormatError::new(
            section,
            offset,
            FormatErrorKind::Invalid("offset past end of file"),
        ));
    }
    let head = read_at(file, limit, offset, 4, section)?;
    let len = <[u8; 4]>::try_from(head).map_or(0, u32::from_be_bytes);
    let available = limit - offset - 4;
    let truncated = |at: u64, needed: u64, available: u64| {
        Err(FormatError::new(
            section,
            at,
            FormatErrorKind::Truncated { needed, available },
        ))
    };
    if u64::from(len) > available {
        return truncated(offset + 4, u64::from(len), available);
    }
    if u64::from(len) + 4 > available {
        return truncated(offset + 4 + u64::from(len), 4, available - u64::from(len));
    }
    Ok(len as usize)
}

/// [`section_parts`] for a section that must end at or before `limit`: reads the length,
/// then the whole envelope in one read.
pub fn section_parts_below<S: ReadAt + ?Sized>(
    file: &S,
    limit: u64,
    offset: u64,
    section: Section,
) -> Result<(&[u8], u64, u32), FormatError> {
    let len = section_len(file, limit, offset, section)?;
    let total = len.checked_add(8).ok_or_else(|| {
        FormatError::new(
            section,
            offset,
            FormatErrorKind::Invalid("section too long"),
        )
    })?;
    let whole = read_at(file, limit, offset, total, section)?;
    let body = whole.get(4..4 + len).unwrap_or_default();
    let stored = whole
        .get(4 + len..)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    Ok((body, offset + 4, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_round_trip_and_limits() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_uvarint(&mut b, v);
            assert_eq!(decode_uvarint(&b), Ok((v, b.len())));
            assert_eq!(
                decode_uvarint(&b[..b.len() - 1]),
                Err(UvarintError::Truncated)
            );
        }
        // 10th byte > 1 overflows, as in Go.
        let mut b = vec![0xff; 9];
        b.push(0x02);
        assert_eq!(decode_uvarint(&b), Err(UvarintError::Overflow));
        assert_eq!(decode_uvarint(&[0x80; 11]), Err(UvarintError::Overflow));
    }

    #[test]
    fn zigzag() {
        assert_eq!(zigzag_decode(0), 0);
        assert_eq!(zigzag_decode(1), -1);
        assert_eq!(zigzag_decode(2), 1);
        assert_eq!(zigzag_decode(u64::MAX), i64::MIN);
        assert_eq!(zigzag_decode(u64::MAX - 1), i64::MAX);
    }

    #[test]
    fn cursor_errors_carry_offsets() {
        let data = [1u8, 2, 3];
        let mut c = Cursor::new(&data, 100, Section::Symbols);
        assert_eq!(c.u8(), Ok(1));
        let e = c.be_u32().unwrap_err();
        assert_eq!(e.offset, 101);
        assert_eq!(e.section, Section::Symbols);
        assert!(matches!(
            e.kind,
            FormatErrorKind::Truncated {
                needed: 4,
                available: 2
            }
        ));
        assert!(c.bytes(usize::MAX).is_err());
        assert_eq!(c.bytes(2), Ok(&data[1..]));
        assert!(c.is_empty());
    }

    #[test]
    fn section_envelope() {
        let body = b"hello";
        let mut f = vec![0xaa];
        f.extend_from_slice(&(body.len() as u32).to_be_bytes());
        f.extend_from_slice(body);
        f.extend_from_slice(&crc32c(body).to_be_bytes());
        assert_eq!(
            checked_section(&f, 1, Section::Postings),
            Ok((&body[..], 5))
        );
        f[3] ^= 1;
        assert!(checked_section(&f, 1, Section::Postings).is_err());
        let last = f.len() - 1;
        f[last] ^= 1;
        assert!(checked_section(&f, 1, Section::Postings).is_err());
        assert!(checked_section(&f, 1000, Section::Postings).is_err());
    }
}
