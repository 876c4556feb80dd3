//! MSB-first bit reader over a byte slice (`bstream.go`'s reading half).
//!
//! Reads load 8 bytes at a time as one big-endian `u64` and shift out the wanted bits, so a
//! read costs one unaligned load, two shifts and one bounds check. Past the last 8 bytes the
//! load is padded with zeros; reading past the end is an error, never a panic.

use super::Flavor;

/// Reading needs more bits than the stream has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndOfStream;

/// An MSB-first bit reader.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    /// `data.len() * 8`, saturated.
    len_bits: usize,
}

/// The 64 bits at bit `pos` of `data`, MSB first; bits past the end read as 0. At least
/// 57 of them are real bits of `data` when it is long enough.
#[inline(always)]
pub(crate) fn window_at(data: &[u8], pos: usize) -> u64 {
    let byte = pos >> 3;
    let word = match data.get(byte..byte + 8) {
        Some(b) => u64::from_be_bytes(<[u8; 8]>::try_from(b).unwrap_or_default()),
        None => tail_be(data, byte),
    };
    word << (pos & 7)
}

/// The bytes from `byte` to the end of `data` (fewer than 8), MSB first, zero padded: the
/// last 8 bytes of `data` shifted, one load, when it has 8 (the last sample of every chunk
/// reads here, and most chunks of a real block are a few samples long).
#[inline]
fn tail_be(data: &[u8], byte: usize) -> u64 {
    let len = data.len();
    match data.get(len.wrapping_sub(8)..) {
        Some(b) if byte < len => {
            let w = u64::from_be_bytes(<[u8; 8]>::try_from(b).unwrap_or_default());
            // 1..=7 bytes are dropped from the front.
            w << (8 * (byte + 8 - len))
        }
        _ => load_be(data.get(byte..).unwrap_or_default()),
    }
}

/// The bytes from `byte` on (fewer than 8), as the low bytes of a little-endian word, zero
/// padded; [`tail_be`]'s little-endian twin, for byte-aligned varints.
#[inline]
pub(crate) fn tail_le(data: &[u8], byte: usize) -> u64 {
    let len = data.len();
    match data.get(len.wrapping_sub(8)..) {
        Some(b) if byte < len => {
            let w = u64::from_le_bytes(<[u8; 8]>::try_from(b).unwrap_or_default());
            w >> (8 * (byte + 8 - len))
        }
        _ => {
            let mut buf = [0u8; 8];
            let rest = data.get(byte..).unwrap_or_default();
            let n = rest.len().min(8);
            if let (Some(d), Some(s)) = (buf.get_mut(..n), rest.get(..n)) {
                d.copy_from_slice(s);
            }
            u64::from_le_bytes(buf)
        }
    }
}

#[cold]
fn load_be(b: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = b.len().min(8);
    if let (Some(d), Some(s)) = (buf.get_mut(..n), b.get(..n)) {
        d.copy_from_slice(s);
    }
    u64::from_be_bytes(buf)
}

impl<'a> BitReader<'a> {
    /// A reader positioned at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            len_bits: data.len().saturating_mul(8),
        }
    }

    /// Byte offset of the byte holding the next bit.
    #[inline]
    pub fn byte_offset(&self) -> usize {
        self.pos >> 3
    }

    /// The bytes read from, the position in bits and the length in bits: for decoders
    /// that keep the position in a register for a stretch and [`seek`](Self::seek) back.
    #[inline]
    pub(crate) fn parts(&self) -> (&'a [u8], usize, usize) {
        (self.data, self.pos, self.len_bits)
    }

    /// Moves to bit `pos` (at most the length; beyond it, to the end).
    #[inline]
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.len_bits);
    }

    /// Bits not yet read.
    #[inline]
    pub fn bits_left(&self) -> usize {
        self.len_bits - self.pos
    }

    /// The next `n` bits (1..=57) without consuming them; bits past the end read as 0.
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u64 {
        debug_assert!((1..=57).contains(&n));
        let byte = self.pos >> 3;
        let word = match self.data.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes(<[u8; 8]>::try_from(b).unwrap_or_default()),
            None => load_be(self.data.get(byte..).unwrap_or_default()),
        };
        (word << (self.pos & 7)) >> (64 - n)
    }

    /// Consumes `n` bits that [`peek`](Self::peek) has shown.
    #[inline(always)]
    pub fn consume(&mut self, n: u32) -> Result<(), EndOfStream> {
        if n as usize > self.bits_left() {
            return Err(EndOfStream);
        }
        self.pos += n as usize;
        Ok(())
    }

    /// Reads `n` bits (0..=64) as the low bits of a `u64`.
    #[inline(always)]
    pub fn read(&mut self, n: u32) -> Result<u64, EndOfStream> {
        if n as usize > self.bits_left() {
            return Err(EndOfStream);
        }
        let v = match n {
            0 => 0,
            1..=57 => self.peek(n),
            _ => {
                let hi = self.peek(32);
                self.pos += 32;
                let lo = self.peek(n - 32);
                self.pos -= 32;
                (hi << (n - 32)) | lo
            }
        };
        self.pos += n as usize;
        Ok(v)
    }

    /// Reads one bit.
    #[inline(always)]
    pub fn read_bit(&mut self) -> Result<bool, EndOfStream> {
        self.read(1).map(|b| b == 1)
    }

    /// Reads 8 bits (a byte written at an unaligned position).
    #[inline(always)]
    pub fn read_byte(&mut self) -> Result<u8, EndOfStream> {
        self.read(8).map(|b| b as u8)
    }

    /// Reads a Go `binary.ReadUvarint` from the bit stream, one byte at a time.
    /// Returns `Ok(None)` on a varint that overflows 64 bits.
    pub fn read_uvarint(&mut self) -> Result<Option<u64>, EndOfStream> {
        if self.pos & 7 == 0 {
            // On a byte boundary (the start of every XOR chunk's first two samples): the
            // bytes decode as they lie.
            let rest = self.data.get(self.pos >> 3..).unwrap_or_default();
            return match crate::bytes::decode_uvarint(rest) {
                Ok((v, n)) => {
                    self.pos += 8 * n;
                    Ok(Some(v))
                }
                Err(crate::bytes::UvarintError::Overflow) => Ok(None),
                Err(crate::bytes::UvarintError::Truncated) => Err(EndOfStream),
            };
        }
        let mut x = 0u64;
        let mut shift = 0u32;
        for i in 0..10 {
            let b = self.read_byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Ok(None);
                }
                return Ok(Some(x | (u64::from(b) << shift)));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
        Ok(None)
    }

    /// Reads a Go `binary.ReadVarint` (zig-zag) from the bit stream.
    pub fn read_varint(&mut self) -> Result<Option<i64>, EndOfStream> {
        Ok(self.read_uvarint()?.map(crate::bytes::zigzag_decode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_msb_first_across_bytes_and_words() {
        let data = [
            0b1010_0000,
            0xff,
            0x00,
            0x12,
            0x34,
            0x56,
            0x78,
            0x9a,
            0xbc,
            0xde,
        ];
        let mut r = BitReader::new(&data);
        assert_eq!(r.read(1), Ok(1));
        assert_eq!(r.read(2), Ok(0b01));
        assert_eq!(r.read(5), Ok(0));
        assert_eq!(r.read_byte(), Ok(0xff));
        assert_eq!(r.read(64), Ok(0x00_12_34_56_78_9a_bc_de));
        assert_eq!(r.bits_left(), 0);
        assert_eq!(r.read(1), Err(EndOfStream));
        assert_eq!(r.read(0), Ok(0));
    }

    #[test]
    fn unaligned_64_bit_reads() {
        let data: Vec<u8> = (0..20u8).map(|i| i.wrapping_mul(37)).collect();
        for skip in 0..8u32 {
            let mut r = BitReader::new(&data);
            r.read(skip).unwrap();
            let expect = {
                let mut acc = 0u128;
                for b in &data[..16] {
                    acc = (acc << 8) | u128::from(*b);
                }
                ((acc << skip) >> 64) as u64
            };
            assert_eq!(r.read(64), Ok(expect), "skip {skip}");
        }
    }

    #[test]
    fn reading_past_the_end_fails() {
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.read(9), Err(EndOfStream));
        assert_eq!(r.read(8), Ok(0xff));
        let mut r = BitReader::new(&[]);
        assert_eq!(r.read_uvarint(), Err(EndOfStream));
    }
}

/// MSB-first bit writer (`bstream.go`'s writing half).
///
/// Prometheus 3.x and 2.x write identical bits, but 2.x's byte writer left one extra
/// zero byte at the end whenever the stream's last write was whole bytes at a byte-aligned
/// position; a writer for [`Flavor::Prometheus2`] reproduces that so 2.x chunks can be
/// rewritten byte for byte.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Free bits in the last byte (0: the next bit starts a new byte).
    free: u32,
    /// Whose trailing byte [`finish`](Self::finish) reproduces.
    flavor: Flavor,
    /// The last write was a multiple of 8 bits.
    last_was_bytes: bool,
}

impl BitWriter {
    /// An empty stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A stream that continues after `prefix` (whole bytes), finished as Prometheus 3.x
    /// does.
    pub fn with_prefix(prefix: &[u8]) -> Self {
        Self::with_flavor(Flavor::Prometheus3, prefix)
    }

    /// A stream that continues after `prefix` (whole bytes); for
    /// [`Flavor::Prometheus2`], [`finish`](Self::finish) adds the trailing zero byte
    /// Prometheus 2.x wrote.
    pub fn with_flavor(flavor: Flavor, prefix: &[u8]) -> Self {
        // Room for a typical chunk, so appends rarely reallocate.
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(prefix);
        BitWriter {
            bytes,
            flavor,
            ..Self::default()
        }
    }

    /// Whose bytes this writer produces.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Writes the low `n` bits of `v` (n <= 64), most significant first.
    #[inline]
    pub fn write_bits(&mut self, v: u64, n: u32) {
        debug_assert!(n <= 64);
        if n == 0 {
            return;
        }
        self.last_was_bytes = n % 8 == 0;
        let mut left = n;
        // Top up the partial last byte.
        if self.free > 0 {
            let take = left.min(self.free);
            let bits = ((v >> (left - take)) & ((1u64 << take) - 1)) as u8;
            if let Some(last) = self.bytes.last_mut() {
                *last |= bits << (self.free - take);
            }
            self.free -= take;
            left -= take;
        }
        // Whole bytes, then the rest at the top of a new byte.
        while left >= 8 {
            left -= 8;
            self.bytes.push((v >> left) as u8);
        }
        if left > 0 {
            self.bytes
                .push(((v & ((1u64 << left) - 1)) << (8 - left)) as u8);
            self.free = 8 - left;
        }
    }

    /// Writes one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.write_bits(u64::from(bit), 1);
    }

    /// Writes a byte at the current bit position.
    #[inline]
    pub fn write_byte(&mut self, b: u8) {
        self.write_bits(u64::from(b), 8);
    }

    /// Writes a Go `binary.PutUvarint` byte by byte.
    pub fn write_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.write_byte(v as u8 | 0x80);
            v >>= 7;
        }
        self.write_byte(v as u8);
    }

    /// Writes a Go `binary.PutVarint` (zig-zag) byte by byte.
    pub fn write_varint(&mut self, v: i64) {
        self.write_uvarint(((v << 1) ^ (v >> 63)) as u64);
    }

    /// The bytes written so far (the last byte zero-padded).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Mutable access to the bytes (for patching fixed-position headers).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The finished stream (with 2.x's trailing zero byte where that writer left one).
    pub fn finish(mut self) -> Vec<u8> {
        if self.flavor == Flavor::Prometheus2 && self.last_was_bytes && self.free == 0 {
            self.bytes.push(0);
        }
        self.bytes
    }
}
