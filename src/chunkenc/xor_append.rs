//! Writing XOR chunks (`xor.go`'s `Append`), bit for bit as Prometheus does.
//!
//! Not on top of the shared [`BitWriter`](super::BitWriter): a head replay appends one
//! sample to each of thousands of series in turn, and a writer that ORs bits into the
//! last byte of each series' buffer reads a cold cache line per sample (it was most of a
//! replay's time). This appender keeps the pending bits in a 64-bit accumulator inside
//! itself and stores whole 8-byte words, so an append only writes to the buffer, and
//! the sample count is written into the header once, when the chunk is finished.

use super::Flavor;

/// True when `x` fits an `n`-bit delta-of-delta bucket: −(2^(n−1)−1) ≤ x ≤ 2^(n−1).
#[inline]
fn bit_range(x: i64, n: u32) -> bool {
    -((1i64 << (n - 1)) - 1) <= x && x <= 1i64 << (n - 1)
}

/// MSB-first bits: whole words in `buf` (after the 2-byte header), the rest in `acc`.
#[derive(Debug, Clone)]
struct Bits {
    buf: Vec<u8>,
    /// The low `pending` bits are the stream's last bits.
    acc: u64,
    pending: u32,
    /// The last write was a multiple of 8 bits (Prometheus 2.x's trailing byte).
    last_bytes: bool,
}

impl Bits {
    fn new() -> Self {
        // Enough for a few dozen samples; a writer with a million open chunks (a block of
        // many short series) holds one each.
        let mut buf = Vec::with_capacity(32);
        buf.extend_from_slice(&[0, 0]);
        Bits {
            buf,
            acc: 0,
            pending: 0,
            last_bytes: false,
        }
    }

    /// Writes the low `n` bits of `v` (1 ≤ n ≤ 64).
    #[inline]
    fn put(&mut self, v: u64, n: u32) {
        debug_assert!((1..=64).contains(&n));
        self.last_bytes = n % 8 == 0;
        let v = if n >= 64 { v } else { v & ((1u64 << n) - 1) };
        let room = 64 - self.pending;
        if n < room {
            self.acc = (self.acc << n) | v;
            self.pending += n;
        } else {
            // Fill the accumulator, store it, keep what is left of `v`.
            let rest = n - room;
            let word = if room == 64 {
                v
            } else {
                (self.acc << room) | (v >> rest)
            };
            self.buf.extend_from_slice(&word.to_be_bytes());
            self.acc = if rest == 0 {
                0
            } else {
                v & ((1u64 << rest) - 1)
            };
            self.pending = rest;
        }
    }

    #[inline]
    fn bit(&mut self, b: bool) {
        self.put(u64::from(b), 1);
    }

    fn uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.put(v & 0x7f | 0x80, 8);
            v >>= 7;
        }
        self.put(v, 8);
    }

    fn varint(&mut self, v: i64) {
        self.uvarint(((v << 1) ^ (v >> 63)) as u64);
    }

    /// Bytes of the stream so far, the last one zero-padded.
    fn len(&self) -> usize {
        self.buf.len() + self.pending.div_ceil(8) as usize
    }

    fn finish(mut self, num: u16, flavor: Flavor) -> Vec<u8> {
        let aligned = self.pending % 8 == 0;
        let nbytes = self.pending.div_ceil(8);
        if nbytes > 0 {
            let bits = self.acc << (nbytes * 8 - self.pending);
            for i in (0..nbytes).rev() {
                self.buf.push((bits >> (8 * i)) as u8);
            }
        }
        if let [a, b, ..] = self.buf.as_mut_slice() {
            [*a, *b] = num.to_be_bytes();
        }
        if flavor == Flavor::Prometheus2 && self.last_bytes && aligned {
            self.buf.push(0);
        }
        self.buf
    }
}

/// Encodes samples into an XOR chunk exactly as Prometheus does (`xor.go` `Append`).
#[derive(Debug, Clone)]
pub struct XorAppender {
    bits: Bits,
    flavor: Flavor,
    num: u16,
    t: i64,
    t_delta: u64,
    v: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    /// An empty chunk, written as Prometheus 3.x does.
    pub fn new() -> Self {
        Self::with_flavor(Flavor::Prometheus3)
    }

    /// An empty chunk whose bytes follow `flavor`: for [`Flavor::Prometheus2`], an extra
    /// zero byte after a byte-aligned final write, for byte-identical copies of 2.x blocks.
    pub fn with_flavor(flavor: Flavor) -> Self {
        XorAppender {
            bits: Bits::new(),
            flavor,
            num: 0,
            t: 0,
            t_delta: 0,
            v: 0,
            // 0xff: no window yet.
            leading: 0xff,
            trailing: 0,
        }
    }

    /// Samples appended so far.
    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Appends a sample. Timestamps should increase (Prometheus never writes otherwise),
    /// but any sequence round-trips. Returns false, appending nothing, when the chunk
    /// already holds `u16::MAX` samples.
    #[inline]
    pub fn append(&mut self, t: i64, v: f64) -> bool {
        if self.num == u16::MAX {
            return false;
        }
        let bits = v.to_bits();
        match self.num {
            0 => {
                self.bits.varint(t);
                self.bits.put(bits, 64);
            }
            1 => {
                let d = t.wrapping_sub(self.t) as u64;
                self.bits.uvarint(d);
                self.write_value(bits);
                self.t_delta = d;
            }
            _ => {
                let d = t.wrapping_sub(self.t) as u64;
                let dod = d.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.bits.bit(false);
                } else if bit_range(dod, 14) {
                    self.bits.put((0b10 << 14) | (dod as u64 & 0x3fff), 16);
                } else if bit_range(dod, 17) {
                    self.bits.put((0b110 << 17) | (dod as u64 & 0x1_ffff), 20);
                } else if bit_range(dod, 20) {
                    self.bits.put((0b1110 << 20) | (dod as u64 & 0xf_ffff), 24);
                } else {
                    self.bits.put(0b1111, 4);
                    self.bits.put(dod as u64, 64);
                }
                self.write_value(bits);
                self.t_delta = d;
            }
        }
        self.t = t;
        self.v = bits;
        self.num += 1;
        true
    }

    #[inline]
    fn write_value(&mut self, bits: u64) {
        let delta = bits ^ self.v;
        if delta == 0 {
            self.bits.bit(false);
            return;
        }
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            // `10`, then the significant bits in the known window.
            self.bits.put(0b10, 2);
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            self.bits.put(delta >> self.trailing, sig);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        let sig = 64 - u32::from(leading) - u32::from(trailing);
        // `11`, 5 bits of leading zeros, 6 bits of length (64 written as 0).
        let head = (0b11 << 11) | (u64::from(leading) << 6) | u64::from(sig & 0x3f);
        self.bits.put(head, 13);
        self.bits.put(delta >> trailing, sig);
    }

    /// Size of the chunk so far in bytes (3.x layout), as Prometheus checks it against
    /// its per-chunk byte limit.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// True before the first append.
    pub fn is_empty(&self) -> bool {
        self.num == 0
    }

    /// The finished chunk bytes.
    pub fn finish(self) -> Vec<u8> {
        self.bits.finish(self.num, self.flavor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chunkenc::BitWriter;

    /// The same bits through the shared bit writer: the accumulator must agree.
    #[test]
    fn bits_match_the_shared_writer() {
        let mut state = 7u64;
        for _ in 0..2000 {
            let mut a = Bits::new();
            let mut w = BitWriter::with_flavor(Flavor::Prometheus2, &[0, 0]);
            let n_ops = (state % 40) as usize;
            for _ in 0..n_ops {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let n = ((state >> 33) % 64 + 1) as u32;
                let v = state.rotate_left(17);
                a.put(v, n);
                let masked = if n == 64 { v } else { v & ((1 << n) - 1) };
                w.write_bits(masked, n);
                assert_eq!(a.len(), w.bytes().len());
            }
            state = state.wrapping_add(1);
            assert_eq!(a.finish(0, Flavor::Prometheus2), w.finish());
        }
    }
}
