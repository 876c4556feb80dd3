//! Native-histogram chunks: encoding 2 (integer counts) and 3 (float counts), as in
//! `histogram.go`, `float_histogram.go` and `histogram_meta.go`.
//!
//! Layout: `num_samples <u16 BE>`, a flags byte whose top two bits are the counter-reset
//! header, then a bit stream. The first sample carries the chunk's bucket layout (zero
//! threshold, schema, positive and negative spans, and custom bounds for schema −53),
//! which every sample of the chunk shares.
//!
//! - Integer chunks store bucket counts as spatial deltas (each bucket minus the previous
//!   one), and from the second sample on the delta-of-delta over time of those, of the
//!   timestamp and of the counts, as varbit integers; the sum is XOR-coded.
//! - Float chunks store the first sample's values raw and XOR-code every later value
//!   against the same value of the previous sample, each with its own window.
//! - A stale marker (sum = stale NaN) stores no buckets and decodes as an empty histogram
//!   holding only the sum, as Prometheus returns it.
//!
//! The iterators decode straight from the chunk's bytes into one histogram they own and
//! reuse: after the first sample, decoding allocates nothing.
//!
//! A sample's work is bounded by the bits it takes, not by the layout: the layout goes
//! into the decoded histogram once per chunk (stale markers are served from a histogram
//! of their own, so a real sample after one copies nothing), and its zero-length spans
//! are folded into the next span's offset once per chunk, so walking the buckets of each
//! sample never steps over them again.

use super::bstream::{BitReader, EndOfStream};
use super::varbit::{read_varbit_int, read_varbit_uint};
use super::xor::{read_xor_value, XorValueError};
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::histogram::{
    CounterResetHint, FloatHistogram, Histogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA,
    STALE_NAN_BITS,
};

/// The counter-reset header of a histogram chunk (top two bits of its third byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterResetHeader {
    /// `0b00`: not known whether the chunk starts with a counter reset.
    Unknown,
    /// `0b10`: the chunk was cut because of a counter reset.
    CounterReset,
    /// `0b01`: the chunk starts without a counter reset.
    NotCounterReset,
    /// `0b11`: a gauge histogram chunk.
    Gauge,
}

impl CounterResetHeader {
    /// From the flags byte.
    pub fn from_flags(b: u8) -> Self {
        match b >> 6 {
            0b10 => CounterResetHeader::CounterReset,
            0b01 => CounterResetHeader::NotCounterReset,
            0b11 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The flags byte.
    pub fn flags(self) -> u8 {
        match self {
            CounterResetHeader::Unknown => 0,
            CounterResetHeader::CounterReset => 0b1000_0000,
            CounterResetHeader::NotCounterReset => 0b0100_0000,
            CounterResetHeader::Gauge => 0b1100_0000,
        }
    }

    /// The hint Prometheus 3.x's iterators give sample `index` (0-based) of such a chunk:
    /// gauge for every sample of a gauge chunk, otherwise unknown for the first sample and
    /// no reset for the others. (2.42 gave the first sample of a counter-reset chunk the
    /// reset hint; the chunk header keeps that information either way.)
    pub fn hint(self, index: u16) -> CounterResetHint {
        match self {
            CounterResetHeader::Gauge => CounterResetHint::Gauge,
            _ if index >= 1 => CounterResetHint::NotCounterReset,
            _ => CounterResetHint::Unknown,
        }
    }
}

/// The bucket layout every sample of a chunk shares.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layout {
    pub(crate) schema: i32,
    pub(crate) zero_threshold: f64,
    pub(crate) positive_spans: Vec<Span>,
    pub(crate) negative_spans: Vec<Span>,
    pub(crate) custom_values: Vec<f64>,
}

/// Bits left in the chunk, for error positions and to bound what a corrupt count may
/// announce: every span, bound and bucket takes at least one bit.
struct Reader<'a> {
    br: BitReader<'a>,
}

const HEADER_LEN: u64 = 3;

impl<'a> Reader<'a> {
    fn error(&self, kind: FormatErrorKind) -> FormatError {
        FormatError::new(
            Section::ChunkData,
            self.br.byte_offset() as u64 + HEADER_LEN,
            kind,
        )
    }

    fn invalid(&self, what: &'static str) -> FormatError {
        self.error(FormatErrorKind::Invalid(what))
    }

    fn eof(&self, _: EndOfStream) -> FormatError {
        self.invalid("bit stream ends before the announced samples")
    }

    fn int(&mut self) -> Result<i64, FormatError> {
        read_varbit_int(&mut self.br).map_err(|e| self.eof(e))
    }

    fn uint(&mut self) -> Result<u64, FormatError> {
        read_varbit_uint(&mut self.br).map_err(|e| self.eof(e))
    }

    fn bits(&mut self, n: u32) -> Result<u64, FormatError> {
        self.br.read(n).map_err(|e| self.eof(e))
    }

    fn xor(&mut self, v: &mut u64, leading: &mut u8, trailing: &mut u8) -> Result<(), FormatError> {
        read_xor_value(&mut self.br, v, leading, trailing).map_err(|e| match e {
            XorValueError::End(e) => self.eof(e),
            XorValueError::Window => {
                self.invalid("XOR window: leading + significant bits exceed 64")
            }
        })
    }

    /// A count read from the file, checked against the bits left (each item takes at
    /// least `min_bits`), so a corrupt count never sizes an allocation.
    fn count(&mut self, min_bits: usize, what: &'static str) -> Result<usize, FormatError> {
        let n = self.uint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.br.bits_left() / min_bits => Ok(n),
            _ => Err(self.invalid(what)),
        }
    }

    /// The spans, with each zero-length span folded into the offset of the next (dropped
    /// at the end), as Prometheus's `compactBuckets` does: they cover the same bucket
    /// indices (Go's iterators, like [`BucketIter`](crate::histogram::BucketIter), count a
    /// zero-length span only by its offset, in wrapping `int32`), but every sample of the
    /// chunk shares them, and each bucket walk would step over all of them again.
    fn spans(&mut self, out: &mut Vec<Span>) -> Result<(), FormatError> {
        out.clear();
        let n = self.count(2, "more histogram spans announced than the chunk holds")?;
        let mut carry = 0i32;
        for _ in 0..n {
            let length = self.uint()?;
            let offset = self.int()?;
            let (Ok(length), Ok(offset)) = (u32::try_from(length), i32::try_from(offset)) else {
                return Err(self.invalid("histogram span out of range"));
            };
            let offset = carry.wrapping_add(offset);
            if length == 0 {
                carry = offset;
            } else {
                carry = 0;
                out.push(Span { offset, length });
            }
        }
        Ok(())
    }

    fn zero_threshold(&mut self) -> Result<f64, FormatError> {
        Ok(match self.bits(8)? {
            0 => 0.0,
            255 => f64::from_bits(self.bits(64)?),
            // 0.5 * 2^(b - 243): exact powers of two, built from their bits.
            b => f64::from_bits(((b as i64 - 243 + 1022) as u64) << 52),
        })
    }

    fn layout(&mut self, l: &mut Layout) -> Result<(), FormatError> {
        l.zero_threshold = self.zero_threshold()?;
        let schema = self.int()?;
        l.schema = match i32::try_from(schema) {
            Ok(s) if (-4..=8).contains(&s) || s == CUSTOM_BUCKETS_SCHEMA => s,
            _ => return Err(self.invalid("unknown histogram schema")),
        };
        self.spans(&mut l.positive_spans)?;
        self.spans(&mut l.negative_spans)?;
        l.custom_values.clear();
        if l.schema == CUSTOM_BUCKETS_SCHEMA {
            let n = self.count(1, "more custom bounds announced than the chunk holds")?;
            for _ in 0..n {
                let v = match self.uint()? {
                    0 => f64::from_bits(self.bits(64)?),
                    b => (b - 1) as f64 / 1000.0,
                };
                l.custom_values.push(v);
            }
        }
        Ok(())
    }

    /// Number of positive and negative buckets the spans cover, together bounded by the
    /// bits left (a bucket takes at least one bit in the first sample).
    fn buckets(&self, l: &Layout) -> Result<(usize, usize), FormatError> {
        let count = |spans: &[Span]| {
            spans
                .iter()
                .fold(0usize, |n, s| n.saturating_add(s.length as usize))
        };
        let (np, nn) = (count(&l.positive_spans), count(&l.negative_spans));
        if np.saturating_add(nn) > self.br.bits_left() {
            return Err(self.invalid("more histogram buckets than the chunk holds"));
        }
        Ok((np, nn))
    }
}

/// Splits a chunk's data into sample count, counter-reset header and bit stream.
fn header(data: &[u8]) -> Result<(u16, CounterResetHeader, &[u8]), FormatError> {
    match data {
        [a, b, flags, rest @ ..] => Ok((
            u16::from_be_bytes([*a, *b]),
            CounterResetHeader::from_flags(*flags),
            rest,
        )),
        _ => Err(FormatError::new(
            Section::ChunkData,
            0,
            FormatErrorKind::Truncated {
                needed: HEADER_LEN,
                available: data.len() as u64,
            },
        )),
    }
}

#[cfg(test)]
thread_local! {
    /// Layouts copied into a decoded histogram on this thread, for the test that bounds them.
    static LAYOUT_COPIES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Copies the layout into `h` (reusing its vectors) and sizes its bucket vectors.
fn apply_layout<C: crate::histogram::Count>(h: &mut Histogram<C>, l: &Layout) {
    #[cfg(test)]
    LAYOUT_COPIES.with(|n| n.set(n.get() + 1));
    h.schema = l.schema;
    h.zero_threshold = l.zero_threshold;
    h.positive_spans.clone_from(&l.positive_spans);
    h.negative_spans.clone_from(&l.negative_spans);
    h.custom_values.clone_from(&l.custom_values);
}

/// A stale marker as Prometheus returns it: only the sum.
fn stale<C: crate::histogram::Count>() -> Histogram<C> {
    Histogram {
        sum: f64::from_bits(STALE_NAN_BITS),
        ..Histogram::default()
    }
}

/// Iterator over an integer-histogram chunk (encoding 2). Yields timestamps; the sample
/// itself is [`HistogramIter::at`] until the next call.
#[derive(Debug)]
pub struct HistogramIter<'a> {
    r: BitReaderState<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: Layout,
    t: i64,
    t_delta: i64,
    count: u64,
    count_delta: i64,
    zero_count: u64,
    zero_count_delta: i64,
    sum: u64,
    leading: u8,
    trailing: u8,
    /// Spatial deltas of the current sample, then their change since the previous one.
    pos: Vec<i64>,
    pos_delta: Vec<i64>,
    neg: Vec<i64>,
    neg_delta: Vec<i64>,
    current: IntHistogram,
    /// Whether `current` holds the layout (from the first sample that is not stale on).
    has_layout: bool,
    /// What [`at`](Self::at) gives for a stale marker, leaving `current` as it is.
    stale: IntHistogram,
    at_stale: bool,
}

/// The bit reader, kept apart so the iterators can borrow it and their state separately.
#[derive(Debug)]
struct BitReaderState<'a> {
    br: BitReader<'a>,
}

impl<'a> BitReaderState<'a> {
    fn reader(&mut self) -> Reader<'a> {
        Reader {
            br: self.br.clone(),
        }
    }

    fn commit(&mut self, r: Reader<'a>) {
        self.br = r.br;
    }
}

impl<'a> HistogramIter<'a> {
    /// Starts decoding `data`, the chunk's bytes after the encoding byte.
    pub fn new(data: &'a [u8]) -> Result<Self, FormatError> {
        let (total, header, stream) = header(data)?;
        Ok(HistogramIter {
            r: BitReaderState {
                br: BitReader::new(stream),
            },
            total,
            read: 0,
            header,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            count: 0,
            count_delta: 0,
            zero_count: 0,
            zero_count_delta: 0,
            sum: 0,
            leading: 0,
            trailing: 0,
            pos: Vec::new(),
            pos_delta: Vec::new(),
            neg: Vec::new(),
            neg_delta: Vec::new(),
            current: IntHistogram::default(),
            has_layout: false,
            stale: stale(),
            at_stale: false,
        })
    }

    /// Number of samples the chunk header announces.
    pub fn len_hint(&self) -> u16 {
        self.total
    }

    /// The chunk's counter-reset header.
    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// The sample the last successful [`Iterator::next`] decoded.
    pub fn at(&self) -> &IntHistogram {
        if self.at_stale {
            &self.stale
        } else {
            &self.current
        }
    }

    fn step(&mut self, r: &mut Reader<'a>) -> Result<(), FormatError> {
        if self.read == 0 {
            r.layout(&mut self.layout)?;
            let (np, nn) = r.buckets(&self.layout)?;
            self.pos.clear();
            self.pos.resize(np, 0);
            self.pos_delta.clear();
            self.pos_delta.resize(np, 0);
            self.neg.clear();
            self.neg.resize(nn, 0);
            self.neg_delta.clear();
            self.neg_delta.resize(nn, 0);
            self.t = r.int()?;
            self.count = r.uint()?;
            self.zero_count = r.uint()?;
            self.sum = r.bits(64)?;
            for b in self.pos.iter_mut().chain(self.neg.iter_mut()) {
                *b = r.int()?;
            }
        } else {
            self.t_delta = self.t_delta.wrapping_add(r.int()?);
            self.t = self.t.wrapping_add(self.t_delta);
            self.count_delta = self.count_delta.wrapping_add(r.int()?);
            self.count = self.count.wrapping_add(self.count_delta as u64);
            self.zero_count_delta = self.zero_count_delta.wrapping_add(r.int()?);
            self.zero_count = self.zero_count.wrapping_add(self.zero_count_delta as u64);
            r.xor(&mut self.sum, &mut self.leading, &mut self.trailing)?;
            if self.sum == STALE_NAN_BITS {
                return Ok(());
            }
            for (buckets, deltas) in [
                (&mut self.pos, &mut self.pos_delta),
                (&mut self.neg, &mut self.neg_delta),
            ] {
                for (b, d) in buckets.iter_mut().zip(deltas.iter_mut()) {
                    *d = d.wrapping_add(r.int()?);
                    *b = b.wrapping_add(*d);
                }
            }
        }
        Ok(())
    }

    /// Fills `current` from the decoded state: absolute counts from the spatial deltas.
    fn fill(&mut self) {
        self.at_stale = self.sum == STALE_NAN_BITS;
        if self.at_stale {
            return;
        }
        let h = &mut self.current;
        if !self.has_layout {
            apply_layout(h, &self.layout);
            self.has_layout = true;
        }
        h.counter_reset_hint = self.header.hint(self.read);
        h.count = self.count;
        h.zero_count = self.zero_count;
        h.sum = f64::from_bits(self.sum);
        absolute(&self.pos, &mut h.positive_buckets);
        absolute(&self.neg, &mut h.negative_buckets);
    }
}

/// Absolute counts from spatial deltas (wrapping as Go's int64 → uint64 conversion does).
fn absolute(deltas: &[i64], out: &mut Vec<u64>) {
    out.clear();
    let mut acc = 0i64;
    out.extend(deltas.iter().map(|d| {
        acc = acc.wrapping_add(*d);
        acc as u64
    }));
}

/// Both iterators step the same way: decode one sample from a copy of the reader, and
/// keep the new position only if it decoded; after an error, nothing more.
macro_rules! sample_iterator {
    ($iter:ident) => {
        impl Iterator for $iter<'_> {
            type Item = Result<i64, FormatError>;

            fn next(&mut self) -> Option<Self::Item> {
                if self.read >= self.total {
                    return None;
                }
                let mut r = self.r.reader();
                match self.step(&mut r) {
                    Ok(()) => {
                        self.r.commit(r);
                        self.fill();
                        self.read += 1;
                        Some(Ok(self.t))
                    }
                    Err(e) => {
                        self.read = self.total;
                        Some(Err(e))
                    }
                }
            }
        }
    };
}

sample_iterator!(HistogramIter);

/// One XOR-coded value with its own window.
#[derive(Debug, Clone, Copy, Default)]
struct XorValue {
    bits: u64,
    leading: u8,
    trailing: u8,
}

impl XorValue {
    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), FormatError> {
        r.xor(&mut self.bits, &mut self.leading, &mut self.trailing)
    }
}

/// Iterator over a float-histogram chunk (encoding 3). Yields timestamps; the sample
/// itself is [`FloatHistogramIter::at`] until the next call.
#[derive(Debug)]
pub struct FloatHistogramIter<'a> {
    r: BitReaderState<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: Layout,
    t: i64,
    t_delta: i64,
    count: XorValue,
    zero_count: XorValue,
    sum: XorValue,
    pos: Vec<XorValue>,
    neg: Vec<XorValue>,
    current: FloatHistogram,
    has_layout: bool,
    stale: FloatHistogram,
    at_stale: bool,
}

impl<'a> FloatHistogramIter<'a> {
    /// Starts decoding `data`, the chunk's bytes after the encoding byte.
    pub fn new(data: &'a [u8]) -> Result<Self, FormatError> {
        let (total, header, stream) = header(data)?;
        Ok(FloatHistogramIter {
            r: BitReaderState {
                br: BitReader::new(stream),
            },
            total,
            read: 0,
            header,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            count: XorValue::default(),
            zero_count: XorValue::default(),
            sum: XorValue::default(),
            pos: Vec::new(),
            neg: Vec::new(),
            current: FloatHistogram::default(),
            has_layout: false,
            stale: stale(),
            at_stale: false,
        })
    }

    /// Number of samples the chunk header announces.
    pub fn len_hint(&self) -> u16 {
        self.total
    }

    /// The chunk's counter-reset header.
    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// The sample the last successful [`Iterator::next`] decoded.
    pub fn at(&self) -> &FloatHistogram {
        if self.at_stale {
            &self.stale
        } else {
            &self.current
        }
    }

    fn step(&mut self, r: &mut Reader<'a>) -> Result<(), FormatError> {
        if self.read == 0 {
            r.layout(&mut self.layout)?;
            let (np, nn) = r.buckets(&self.layout)?;
            self.pos.clear();
            self.pos.resize(np, XorValue::default());
            self.neg.clear();
            self.neg.resize(nn, XorValue::default());
            self.t = r.int()?;
            self.count.bits = r.bits(64)?;
            self.zero_count.bits = r.bits(64)?;
            self.sum.bits = r.bits(64)?;
            for b in self.pos.iter_mut().chain(self.neg.iter_mut()) {
                b.bits = r.bits(64)?;
            }
        } else {
            self.t_delta = self.t_delta.wrapping_add(r.int()?);
            self.t = self.t.wrapping_add(self.t_delta);
            self.count.read(r)?;
            self.zero_count.read(r)?;
            self.sum.read(r)?;
            if self.sum.bits == STALE_NAN_BITS {
                return Ok(());
            }
            for side in [&mut self.pos, &mut self.neg] {
                for b in side.iter_mut() {
                    b.read(r)?;
                }
            }
        }
        Ok(())
    }

    fn fill(&mut self) {
        self.at_stale = self.sum.bits == STALE_NAN_BITS;
        if self.at_stale {
            return;
        }
        let h = &mut self.current;
        if !self.has_layout {
            apply_layout(h, &self.layout);
            self.has_layout = true;
        }
        h.counter_reset_hint = self.header.hint(self.read);
        h.count = f64::from_bits(self.count.bits);
        h.zero_count = f64::from_bits(self.zero_count.bits);
        h.sum = f64::from_bits(self.sum.bits);
        h.positive_buckets.clear();
        h.positive_buckets
            .extend(self.pos.iter().map(|b| f64::from_bits(b.bits)));
        h.negative_buckets.clear();
        h.negative_buckets
            .extend(self.neg.iter().map(|b| f64::from_bits(b.bits)));
    }
}

sample_iterator!(FloatHistogramIter);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::{FloatHistogramAppender, HistogramAppender};

    /// xorshift64*: deterministic cases without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    fn sample_chunks() -> (Vec<u8>, Vec<u8>) {
        let mut h = IntHistogram {
            schema: 1,
            zero_threshold: 0.001,
            positive_spans: vec![
                Span {
                    offset: -1,
                    length: 3,
                },
                Span {
                    offset: 2,
                    length: 1,
                },
            ],
            negative_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![1, 2, 3, 4],
            negative_buckets: vec![5, 6],
            zero_count: 1,
            count: 21,
            sum: 12.5,
            ..IntHistogram::default()
        };
        let mut a = HistogramAppender::new();
        let mut f = FloatHistogramAppender::new();
        for i in 0..20 {
            for b in h
                .positive_buckets
                .iter_mut()
                .chain(h.negative_buckets.iter_mut())
            {
                *b += i % 3;
            }
            h.count = h
                .positive_buckets
                .iter()
                .chain(&h.negative_buckets)
                .sum::<u64>()
                + 1;
            h.sum += 1.25;
            a.append_raw(1000 * i as i64, &h).expect("append");
            let fh = FloatHistogram {
                schema: h.schema,
                zero_threshold: h.zero_threshold,
                zero_count: 1.0,
                count: h.count as f64,
                sum: h.sum,
                positive_spans: h.positive_spans.clone(),
                negative_spans: h.negative_spans.clone(),
                positive_buckets: h.positive_buckets.iter().map(|&c| c as f64 * 0.5).collect(),
                negative_buckets: h.negative_buckets.iter().map(|&c| c as f64).collect(),
                ..FloatHistogram::default()
            };
            f.append_raw(1000 * i as i64, &fh).expect("append");
        }
        (a.finish(), f.finish())
    }

    /// Reads every sample (and renders it, as dump does); returns how many decoded.
    fn drain(data: &[u8]) -> usize {
        let mut n = 0;
        if let Ok(mut it) = HistogramIter::new(data) {
            while let Some(Ok(_)) = it.next() {
                let _ = it.at().to_string();
                n += 1;
            }
        }
        if let Ok(mut it) = FloatHistogramIter::new(data) {
            while let Some(Ok(_)) = it.next() {
                let _ = it.at().to_string();
                n += 1;
            }
        }
        n
    }

    #[test]
    fn valid_chunks_decode() {
        let (int, float) = sample_chunks();
        let it = HistogramIter::new(&int).expect("chunk");
        assert_eq!(it.count(), 20);
        let mut it = FloatHistogramIter::new(&float).expect("chunk");
        let mut last = 0.0;
        while let Some(t) = it.next() {
            t.expect("sample");
            last = it.at().sum;
        }
        assert_eq!(last, 12.5 + 20.0 * 1.25);
    }

    /// Cut, flipped and random chunks end in samples or an error: never a panic, a hang,
    /// or an allocation sized by a corrupt count.
    #[test]
    fn corrupt_chunks_never_panic() {
        let (int, float) = sample_chunks();
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for chunk in [&int, &float] {
            for cut in 0..chunk.len() {
                drain(&chunk[..cut]);
            }
            for _ in 0..3000 {
                let mut c = chunk.clone();
                for _ in 0..1 + rng.next() % 3 {
                    let i = (rng.next() as usize) % c.len();
                    c[i] ^= 1 << (rng.next() % 8);
                }
                drain(&c);
            }
        }
        for _ in 0..3000 {
            let len = (rng.next() % 64) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            drain(&data);
        }
    }

    /// A layout of many zero-length spans, then samples alternating between real and
    /// stale: the layout reaches the decoded histogram once per chunk, folded to the one
    /// span with buckets, so neither a stale→real switch nor a sample's bucket walk steps
    /// over the zero-length spans again; the buckets and their text stay the same.
    #[test]
    fn hostile_layouts_cost_once_per_chunk() {
        const EMPTY: usize = 1000;
        let mut spans = vec![
            Span {
                offset: 1,
                length: 0,
            };
            EMPTY
        ];
        spans.push(Span {
            offset: 2,
            length: 2,
        });
        let real = IntHistogram {
            count: 3,
            sum: 1.5,
            positive_spans: spans,
            positive_buckets: vec![1, 2],
            ..IntHistogram::default()
        };
        let stale_marker = IntHistogram {
            sum: f64::from_bits(STALE_NAN_BITS),
            ..IntHistogram::default()
        };
        let float = |h: &IntHistogram| FloatHistogram {
            count: h.count as f64,
            sum: h.sum,
            positive_spans: h.positive_spans.clone(),
            positive_buckets: h.positive_buckets.iter().map(|&c| c as f64).collect(),
            ..FloatHistogram::default()
        };
        let folded = vec![Span {
            offset: EMPTY as i32 + 2,
            length: 2,
        }];
        let (mut a, mut f) = (HistogramAppender::new(), FloatHistogramAppender::new());
        for i in 0..1000 {
            let h = if i % 2 == 0 { &real } else { &stale_marker };
            a.append_raw(i, h).expect("append");
            f.append_raw(i, &float(h)).expect("append");
        }
        let (int, flt) = (a.finish(), f.finish());

        LAYOUT_COPIES.with(|n| n.set(0));
        let mut it = HistogramIter::new(&int).expect("header");
        let mut n = 0;
        while let Some(t) = it.next() {
            assert_eq!(t.expect("sample"), n);
            let h = it.at();
            if n % 2 == 0 {
                assert_eq!(h.positive_spans, folded);
                assert_eq!(h.positive_buckets, real.positive_buckets);
                let unfolded = IntHistogram {
                    positive_spans: real.positive_spans.clone(),
                    ..h.clone()
                };
                assert_eq!(h.to_string(), unfolded.to_string());
            } else {
                // Debug text, as NaN sums never compare equal.
                assert_eq!(format!("{h:?}"), format!("{stale_marker:?}"));
            }
            n += 1;
        }
        assert_eq!(n, 1000);
        assert_eq!(LAYOUT_COPIES.with(|n| n.get()), 1);

        LAYOUT_COPIES.with(|n| n.set(0));
        let mut it = FloatHistogramIter::new(&flt).expect("header");
        let mut n = 0;
        while let Some(t) = it.next() {
            t.expect("sample");
            let h = it.at();
            if n % 2 == 0 {
                assert_eq!(h.positive_spans, folded);
                let unfolded = FloatHistogram {
                    positive_spans: real.positive_spans.clone(),
                    ..h.clone()
                };
                assert_eq!(h.to_string(), unfolded.to_string());
            } else {
                assert!(h.is_stale() && h.positive_buckets.is_empty());
            }
            n += 1;
        }
        assert_eq!(n, 1000);
        assert_eq!(LAYOUT_COPIES.with(|n| n.get()), 1);
    }

    #[test]
    fn announced_counts_are_bounded_by_the_chunk() {
        use crate::chunkenc::varbit::{put_varbit_int, put_varbit_uint};
        // 1 sample; zero threshold 0; schema 0; then 2^56-1 positive spans, far more than
        // the chunk holds.
        let mut w = crate::chunkenc::BitWriter::with_prefix(&[0, 1, 0]);
        w.write_byte(0);
        put_varbit_int(&mut w, 0);
        put_varbit_uint(&mut w, (1 << 56) - 1);
        let data = w.finish();
        let mut it = HistogramIter::new(&data).expect("header");
        let err = it.next().expect("an item").expect_err("refused");
        assert!(err.to_string().contains("spans"), "{err}");
    }
}
