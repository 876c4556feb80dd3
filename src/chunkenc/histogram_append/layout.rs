//! What both histogram encodings share: the chunk header (sample count, counter-reset
//! flags), the layout written with the first sample (zero threshold, schema, spans, custom
//! bounds) and the XOR coding of float fields.

use super::spans::count_spans;
use super::HistogramAppendError;
use crate::chunkenc::bstream::BitWriter;
use crate::chunkenc::histogram::CounterResetHeader;
use crate::chunkenc::varbit::{put_varbit_int, put_varbit_uint};
use crate::chunkenc::Flavor;
use crate::histogram::{Count, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};

/// `putZeroThreshold`: one byte for 0 and for the powers of two 2^-243..=2^10 (the
/// exponent + 243 of Go's `Frexp`), else byte 255 and the 64 bits.
pub(super) fn put_zero_threshold(bw: &mut BitWriter, zt: f64) {
    if zt == 0.0 {
        bw.write_byte(0);
        return;
    }
    let bits = zt.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    // Frexp's fraction is exactly 0.5 only for positive normal powers of two (a power of
    // two below the normal range has an exponent far out of the one-byte range anyway).
    let exp = biased - 1022;
    if bits >> 63 == 0 && bits & ((1 << 52) - 1) == 0 && (-242..=11).contains(&exp) {
        bw.write_byte((exp + 243) as u8);
    } else {
        bw.write_byte(255);
        bw.write_bits(bits, 64);
    }
}

/// `putCustomBound`: multiples of 0.001 in 0..=33554.430 as varbit `x*1000 + 1`, anything
/// else as a 0 bit and the 64 bits.
pub(super) fn put_custom_bound(bw: &mut BitWriter, f: f64) {
    let tf = f * 1000.0;
    // Go: `isWholeWhenMultiplied`, only reached for 0 <= tf <= 33554430.
    let whole = || (tf.round() as u64) as f64 / 1000.0 == f;
    if !(0.0..=33_554_430.0).contains(&tf) || !whole() {
        bw.write_bit(false);
        bw.write_bits(f.to_bits(), 64);
    } else {
        put_varbit_uint(bw, tf.round() as u64 + 1);
    }
}

pub(super) fn put_spans(bw: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(bw, spans.len() as u64);
    for s in spans {
        put_varbit_uint(bw, u64::from(s.length));
        put_varbit_int(bw, i64::from(s.offset));
    }
}

/// `xorWrite`: the value XOR-coded against the previous one, with its own window.
pub(super) fn xor_write(
    bw: &mut BitWriter,
    new: u64,
    old: u64,
    leading: &mut u8,
    trailing: &mut u8,
) {
    let delta = new ^ old;
    if delta == 0 {
        bw.write_bit(false);
        return;
    }
    bw.write_bit(true);
    let new_leading = (delta.leading_zeros() as u8).min(31);
    let new_trailing = delta.trailing_zeros() as u8;
    if *leading != 0xff && new_leading >= *leading && new_trailing >= *trailing {
        bw.write_bit(false);
        let sig = 64 - u32::from(*leading) - u32::from(*trailing);
        bw.write_bits(delta >> *trailing, sig);
        return;
    }
    *leading = new_leading;
    *trailing = new_trailing;
    bw.write_bit(true);
    bw.write_bits(u64::from(new_leading), 5);
    let sig = 64 - u32::from(new_leading) - u32::from(new_trailing);
    // 64 significant bits are written as 0 in the 6-bit field.
    bw.write_bits(u64::from(sig) & 0x3f, 6);
    bw.write_bits(delta >> new_trailing, sig);
}

/// What both appenders share: the bit stream, the chunk's layout and the timestamps.
#[derive(Debug, Clone)]
pub(super) struct Core {
    pub(super) bw: BitWriter,
    pub(super) num: u16,
    pub(super) schema: i32,
    pub(super) zero_threshold: f64,
    pub(super) positive_spans: Vec<Span>,
    pub(super) negative_spans: Vec<Span>,
    pub(super) custom_values: Vec<f64>,
    pub(super) t: i64,
    pub(super) t_delta: i64,
}

impl Core {
    pub(super) fn new(flavor: Flavor) -> Core {
        Core {
            bw: BitWriter::with_flavor(flavor, &[0u8; 3]),
            num: 0,
            schema: 0,
            zero_threshold: 0.0,
            positive_spans: Vec::new(),
            negative_spans: Vec::new(),
            custom_values: Vec::new(),
            t: 0,
            t_delta: 0,
        }
    }

    /// Whose rules and bytes this chunk follows (the bit writer's, the one source of it).
    pub(super) fn flavor(&self) -> Flavor {
        self.bw.flavor()
    }

    pub(super) fn header(&self) -> CounterResetHeader {
        CounterResetHeader::from_flags(self.bw.bytes().get(2).copied().unwrap_or(0))
    }

    pub(super) fn set_header(&mut self, h: CounterResetHeader) {
        if let Some(b) = self.bw.bytes_mut().get_mut(2) {
            *b = (*b & 0b0011_1111) | h.flags();
        }
    }

    /// Counts one more sample in the header.
    pub(super) fn bump(&mut self) {
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        if let [a, b, ..] = self.bw.bytes_mut() {
            *a = hi;
            *b = lo;
        }
    }

    /// Writes the layout of the chunk's first sample and keeps it.
    pub(super) fn begin<C: Count>(&mut self, h: &Histogram<C>) {
        put_zero_threshold(&mut self.bw, h.zero_threshold);
        put_varbit_int(&mut self.bw, i64::from(h.schema));
        put_spans(&mut self.bw, &h.positive_spans);
        put_spans(&mut self.bw, &h.negative_spans);
        if h.schema == CUSTOM_BUCKETS_SCHEMA {
            put_varbit_uint(&mut self.bw, h.custom_values.len() as u64);
            for &v in &h.custom_values {
                put_custom_bound(&mut self.bw, v);
            }
        }
        self.schema = h.schema;
        self.zero_threshold = h.zero_threshold;
        self.positive_spans.clone_from(&h.positive_spans);
        self.negative_spans.clone_from(&h.negative_spans);
        self.custom_values.clone_from(&h.custom_values);
    }

    /// Checks that `h`'s buckets fit this chunk's layout (any layout for the first sample).
    pub(super) fn check_fits<C: Count>(
        &self,
        h: &Histogram<C>,
    ) -> Result<(), HistogramAppendError> {
        if self.num == u16::MAX {
            return Err(HistogramAppendError::Full);
        }
        if self.num == 0 || h.is_stale() {
            return Ok(());
        }
        for (side, spans, n) in [
            ("positive", &self.positive_spans, h.positive_buckets.len()),
            ("negative", &self.negative_spans, h.negative_buckets.len()),
        ] {
            let expected = count_spans(spans);
            if expected != n as u64 {
                return Err(HistogramAppendError::LayoutMismatch {
                    side,
                    expected,
                    buckets: n as u64,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threshold_bytes() {
        let enc = |zt: f64| {
            let mut bw = BitWriter::new();
            put_zero_threshold(&mut bw, zt);
            bw.finish()
        };
        assert_eq!(enc(0.0), [0]);
        // 2^-128, Prometheus's default, is byte 116 (format notes, Appendix B).
        assert_eq!(enc(2f64.powi(-128)), [116]);
        assert_eq!(enc(2f64.powi(-243)), [1]);
        assert_eq!(enc(2f64.powi(10)), [254]);
        for zt in [
            0.001,
            2f64.powi(11),
            2f64.powi(-244),
            -0.5,
            3.0,
            f64::INFINITY,
        ] {
            let mut want = vec![255];
            want.extend_from_slice(&zt.to_bits().to_be_bytes());
            assert_eq!(enc(zt), want, "{zt}");
        }
    }
}
