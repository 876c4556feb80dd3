//! Appenders for native-histogram chunks (encodings 2 and 3) that write the bytes
//! Prometheus writes (`histogram.go`, `float_histogram.go`, `histogram_meta.go`), plus the
//! rules Prometheus's head applies when a sample arrives: append it, recode the chunk
//! because the sample brings new buckets, or start a new chunk (counter reset, layout
//! change, gauge/counter switch, a real sample after a stale marker).
//!
//! Samples come in as [`Histogram`]s with absolute bucket counts; the integer chunk stores
//! spatial deltas (each bucket minus the previous one), converted here.
//!
//! Two rule sets, picked by the constructor's [`Flavor`]:
//!
//! - [`Flavor::Prometheus3`] ([`HistogramAppender::new`]): Prometheus 3.x (as of v3.14): no trailing pad byte;
//!   custom-bucket histograms (schema −53) carry their bounds in the layout.
//! - [`Flavor::Prometheus2`]: Prometheus 2.42: the 2.x bit writer's trailing
//!   zero byte (its `writeByte` bug hits histogram chunks exactly as it hits XOR chunks:
//!   the layout's zero-threshold byte and every whole-byte write go through it) and 2.42's
//!   appendability rules. Schema −53 is refused: 2.42 cannot read it.
//!
//! Where the two rule sets differ (2.42 → 3.x):
//!
//! - A bucket of the chunk missing from a counter sample: always a counter reset in 2.42;
//!   in 3.x only if that bucket was populated in the chunk's last sample, otherwise the
//!   sample gets the empty bucket inserted ("backward insert") and is appended.
//! - A `CounterReset` hint forces a new chunk in both; 3.x checks it inside `appendable`
//!   (after the gauge check), 2.42 in the head.
//! - Header of a chunk cut inside the appender (reset, layout change, ...): 2.42 writes
//!   `Gauge`, `CounterReset` or `Unknown`; 3.x integer chunks get the appendability verdict
//!   (so a counter sample after a gauge chunk starts a `NotCounterReset` chunk), 3.x float
//!   chunks `CounterReset` or `Unknown`.
//! - Header of a chunk the head cut for size, time or sample type, continuing a previous
//!   chunk of the same encoding ([`HistogramAppender::append_first`] with `prev`): 2.42
//!   writes `CounterReset` if the previous chunk saw a reset, `NotCounterReset` if it
//!   would have taken the sample, `Unknown` otherwise; 3.x integer chunks get the previous
//!   appender's verdict, 3.x float chunks `CounterReset` or `NotCounterReset`.
//! - Gauge histograms follow the same rules in both (new buckets recode the chunk, missing
//!   buckets are inserted into the sample, only schema / zero threshold / custom bounds
//!   changes and stale→real transitions cut). In both, a stale marker with a non-gauge
//!   hint (what the head makes of a float stale NaN) does not fit a gauge chunk: it starts
//!   a chunk of its own.
//!
//! One known deviation: 2.42's bucket-by-bucket reset check walks spans assuming no
//! zero-length spans; this one compares buckets by index, which is what 2.42 computes for
//! every layout without zero-length spans.

use super::bstream::BitWriter;
use super::histogram::{CounterResetHeader, FloatHistogramIter, HistogramIter};
use super::varbit::{put_varbit_int, put_varbit_uint};
use super::Flavor;
use crate::error::FormatError;
use crate::histogram::{
    Count, CounterResetHint, FloatHistogram, Histogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA,
    STALE_NAN_BITS,
};

/// Why a histogram cannot be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistogramAppendError {
    /// The spans of one side announce another number of buckets than there are counts.
    #[error("{side} spans cover {spans} buckets, but there are {buckets} {side} bucket counts")]
    SpansBucketsMismatch {
        /// `positive` or `negative`.
        side: &'static str,
        /// Buckets the spans cover.
        spans: u64,
        /// Bucket counts given.
        buckets: usize,
    },
    /// A span after the first has a negative offset (buckets must be in index order).
    #[error("{side} span {index} has negative offset {offset} (only the first span may)")]
    NegativeSpanOffset {
        /// `positive` or `negative`.
        side: &'static str,
        /// 0-based span number.
        index: usize,
        /// The offset.
        offset: i32,
    },
    /// Not a schema chunks can hold.
    #[error("invalid schema {0} (exponential schemas are -4..=8, custom buckets -53)")]
    InvalidSchema(i32),
    /// Custom bounds on an exponential schema (chunks would drop them).
    #[error("custom bucket bounds are only allowed with schema -53, not {0}")]
    UnexpectedCustomValues(i32),
    /// Prometheus 2.x has no custom-bucket histograms.
    #[error("custom-bucket histograms (schema -53) do not exist in Prometheus 2.x")]
    CustomBucketsIn2x,
    /// [`HistogramAppender::append_raw`] or a recode with buckets that do not match the
    /// chunk's layout.
    #[error("{side} buckets: the chunk's layout has {expected}, the sample has {buckets}")]
    LayoutMismatch {
        /// `positive` or `negative`.
        side: &'static str,
        /// Buckets of the chunk's layout.
        expected: u64,
        /// Buckets of the sample.
        buckets: u64,
    },
    /// [`HistogramAppender::append_first`] on a chunk that has samples.
    #[error("the chunk already holds samples")]
    NotEmpty,
    /// The chunk holds 65535 samples, all its header can count.
    #[error("the chunk holds 65535 samples")]
    Full,
    /// Decoding the chunk for a recode failed (a bug: the chunk was written here).
    #[error("recoding the chunk: {0}")]
    Recode(String),
}

/// New empty buckets to put into a bucket list: `num` of them before the bucket at
/// position `pos` (or at the end when `pos` is the list's length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insert {
    /// Position in the existing bucket list before which the buckets go.
    pub pos: usize,
    /// How many buckets.
    pub num: usize,
    /// Bucket index of the first inserted bucket (3.x rules use it to adjust spans).
    pub bucket_idx: i64,
}

/// Whether a sample fits a chunk, as Prometheus's `appendable` / `appendableGauge` decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Appendability {
    /// The sample can go into this chunk (after recoding it when there are inserts).
    pub ok: bool,
    /// It cannot, because of a counter reset.
    pub counter_reset: bool,
    /// Prometheus 3.x's verdict for integer counters: `NotCounterReset` when the sample
    /// fits (or follows a gauge chunk), `CounterReset` on a reset, `Unknown` after a
    /// schema or zero-threshold change or when a real sample follows a stale marker.
    /// `Gauge` for gauge checks.
    pub header: CounterResetHeader,
    /// New positive buckets of the sample, to insert into the chunk's samples (recode).
    pub positive_inserts: Vec<Insert>,
    /// New negative buckets of the sample, to insert into the chunk's samples (recode).
    pub negative_inserts: Vec<Insert>,
    /// Positive buckets of the chunk the sample lacks, to insert into the sample.
    pub backward_positive_inserts: Vec<Insert>,
    /// Negative buckets of the chunk the sample lacks, to insert into the sample.
    pub backward_negative_inserts: Vec<Insert>,
    /// Gauges: the union of the chunk's and the sample's positive spans.
    pub positive_spans: Vec<Span>,
    /// Gauges: the union of the chunk's and the sample's negative spans.
    pub negative_spans: Vec<Span>,
}

impl Appendability {
    fn no(header: CounterResetHeader) -> Self {
        Appendability {
            ok: false,
            counter_reset: false,
            header,
            positive_inserts: Vec::new(),
            negative_inserts: Vec::new(),
            backward_positive_inserts: Vec::new(),
            backward_negative_inserts: Vec::new(),
            positive_spans: Vec::new(),
            negative_spans: Vec::new(),
        }
    }

    fn yes(header: CounterResetHeader) -> Self {
        Appendability {
            ok: true,
            ..Self::no(header)
        }
    }

    fn reset() -> Self {
        Appendability {
            counter_reset: true,
            ..Self::no(CounterResetHeader::CounterReset)
        }
    }

    fn has_forward(&self) -> bool {
        !self.positive_inserts.is_empty() || !self.negative_inserts.is_empty()
    }

    fn has_backward(&self) -> bool {
        !self.backward_positive_inserts.is_empty() || !self.backward_negative_inserts.is_empty()
    }
}

/// What [`HistogramAppender::append`] did with a sample.
#[derive(Debug)]
pub enum AppendOutcome<A> {
    /// Appended to this chunk.
    Appended,
    /// The chunk was rewritten with the sample's new buckets added (as empty buckets of
    /// its earlier samples), then the sample was appended.
    Recoded,
    /// The sample does not fit: it starts the returned chunk, and this one is complete.
    Cut(A),
}

/// Checks what the chunk format needs of a histogram: one count per bucket the spans
/// cover, buckets in index order, a schema chunks can hold, custom bounds only with
/// schema −53 (and not at all for Prometheus 2.x). Stale markers always pass: their
/// buckets are not stored.
pub fn validate_histogram<C: Count>(
    h: &Histogram<C>,
    flavor: Flavor,
) -> Result<(), HistogramAppendError> {
    if h.is_stale() {
        return Ok(());
    }
    if h.schema == CUSTOM_BUCKETS_SCHEMA {
        if flavor == Flavor::Prometheus2 {
            return Err(HistogramAppendError::CustomBucketsIn2x);
        }
    } else if !(-4..=8).contains(&h.schema) {
        return Err(HistogramAppendError::InvalidSchema(h.schema));
    } else if !h.custom_values.is_empty() {
        return Err(HistogramAppendError::UnexpectedCustomValues(h.schema));
    }
    for (side, spans, buckets) in [
        ("positive", &h.positive_spans, h.positive_buckets.len()),
        ("negative", &h.negative_spans, h.negative_buckets.len()),
    ] {
        if let Some((index, s)) = spans.iter().enumerate().skip(1).find(|(_, s)| s.offset < 0) {
            return Err(HistogramAppendError::NegativeSpanOffset {
                side,
                index,
                offset: s.offset,
            });
        }
        let n = count_spans(spans);
        if n != buckets as u64 {
            return Err(HistogramAppendError::SpansBucketsMismatch {
                side,
                spans: n,
                buckets,
            });
        }
    }
    Ok(())
}

fn count_spans(spans: &[Span]) -> u64 {
    spans.iter().map(|s| u64::from(s.length)).sum()
}

/// Bucket indices of a span list, in order (Go's `bucketIterator`, zero-length spans
/// included: they only move the index).
#[derive(Debug, Clone)]
struct BucketIndices<'a> {
    spans: &'a [Span],
    span: usize,
    bucket: i64,
    idx: i64,
}

impl<'a> BucketIndices<'a> {
    fn new(spans: &'a [Span]) -> Self {
        BucketIndices {
            spans,
            span: 0,
            bucket: -1,
            idx: -1 + spans.first().map_or(0, |s| i64::from(s.offset)),
        }
    }
}

impl Iterator for BucketIndices<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let cur = self.spans.get(self.span)?;
        if self.bucket < i64::from(cur.length) - 1 {
            self.bucket += 1;
            self.idx += 1;
            return Some(self.idx);
        }
        while self.span + 1 < self.spans.len() {
            self.span += 1;
            let s = self.spans[self.span];
            self.idx += i64::from(s.offset) + 1;
            self.bucket = 0;
            if s.length == 0 {
                self.idx -= 1;
                continue;
            }
            return Some(self.idx);
        }
        None
    }
}

/// 2.42's `expandSpansForward`: the inserts that turn layout `a` into `b`, or `None` when
/// `b` lacks a bucket of `a`.
fn expand_spans_forward(a: &[Span], b: &[Span]) -> Option<Vec<Insert>> {
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let mut inserts = Vec::new();
    let mut inter = Insert::default();
    let (mut av, mut bv) = (ai.next(), bi.next());
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if inter.num > 0 {
                    inserts.push(inter);
                }
                inter.num = 0;
                av = ai.next();
                bv = bi.next();
                inter.pos += 1;
            }
            (Some(x), Some(y)) if x < y => return None,
            (Some(_), None) => return None,
            (_, Some(y)) => {
                if inter.num == 0 {
                    inter.bucket_idx = y;
                }
                inter.num += 1;
                bv = bi.next();
            }
            (None, None) => {
                if inter.num > 0 {
                    inserts.push(inter);
                }
                return Some(inserts);
            }
        }
    }
}

/// 3.x's `expandIntSpansAndBuckets` / `expandFloatSpansAndBuckets`: forward inserts (new
/// buckets of `b`) and backward inserts (buckets of `a` that `b` lacks, allowed only when
/// empty in `a`), or `None` on a counter reset (a bucket decreased, or a populated bucket
/// of `a` is missing from `b`).
fn expand_spans_and_buckets<K: Codec>(
    a: &[Span],
    b: &[Span],
    a_counts: &[K::C],
    b_counts: &[K::C],
) -> Option<(Vec<Insert>, Vec<Insert>)> {
    fn add_insert(inserts: &mut Vec<Insert>, insert: &mut Insert, other_idx: i64) {
        if insert.num == 0 {
            insert.bucket_idx = other_idx;
        } else if insert.bucket_idx + insert.num as i64 != other_idx {
            inserts.push(*insert);
            insert.num = 0;
            insert.bucket_idx = other_idx;
        }
        insert.num += 1;
    }
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let (mut a_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut a_inter, mut b_inter) = (Insert::default(), Insert::default());
    let (mut a_i, mut b_i) = (0usize, 0usize);
    let (mut av, mut bv) = (ai.next(), bi.next());
    let zero = K::C::default();
    loop {
        let a_count = a_counts.get(a_i).copied().unwrap_or(zero);
        let b_count = b_counts.get(b_i).copied().unwrap_or(zero);
        let (advance_a, advance_b) = match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if K::bucket_gt(a_count, b_count) {
                    return None;
                }
                (true, true)
            }
            (Some(x), Some(y)) if x > y => {
                add_insert(&mut a_inserts, &mut a_inter, y);
                (false, true)
            }
            (Some(x), _) => {
                // `b` lacks bucket x: fine if it was empty in `a`.
                if !a_count.is_zero() {
                    return None;
                }
                add_insert(&mut b_inserts, &mut b_inter, x);
                (true, false)
            }
            (None, Some(y)) => {
                add_insert(&mut a_inserts, &mut a_inter, y);
                (false, true)
            }
            (None, None) => {
                if a_inter.num > 0 {
                    a_inserts.push(a_inter);
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                }
                return Some((a_inserts, b_inserts));
            }
        };
        if advance_a {
            if a_inter.num > 0 {
                a_inserts.push(a_inter);
                a_inter.num = 0;
            }
            av = ai.next();
            a_inter.pos += 1;
            a_i += 1;
        }
        if advance_b {
            if b_inter.num > 0 {
                b_inserts.push(b_inter);
                b_inter.num = 0;
            }
            bv = bi.next();
            b_inter.pos += 1;
            b_i += 1;
        }
    }
}

/// 2.42's `counterResetInAnyBucket` for layouts where `new` covers every bucket of `old`:
/// true if a bucket present in both decreased.
fn counter_reset_in_any_bucket<K: Codec>(
    old_spans: &[Span],
    old: &[K::C],
    new_spans: &[Span],
    new: &[K::C],
) -> bool {
    let mut newer = BucketIndices::new(new_spans).zip(new.iter().copied());
    let mut cur = newer.next();
    for (idx, old_count) in BucketIndices::new(old_spans).zip(old.iter().copied()) {
        while let Some((n_idx, n_count)) = cur {
            if n_idx < idx {
                cur = newer.next();
                continue;
            }
            if n_idx == idx && K::bucket_gt(old_count, n_count) {
                return true;
            }
            break;
        }
    }
    false
}

/// `expandSpansBothWays` (gauges): forward inserts, backward inserts and the merged spans.
fn expand_spans_both_ways(a: &[Span], b: &[Span]) -> (Vec<Insert>, Vec<Insert>, Vec<Span>) {
    let mut merged: Vec<Span> = Vec::new();
    let mut last_bucket = 0i64;
    let mut add_bucket = |merged: &mut Vec<Span>, bucket: i64| {
        let mut offset = bucket - last_bucket - 1;
        match merged.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            _ => {
                if merged.is_empty() {
                    offset += 1;
                }
                merged.push(Span {
                    offset: offset as i32,
                    length: 1,
                });
            }
        }
        last_bucket = bucket;
    };
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let (mut f_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut f_inter, mut b_inter) = (Insert::default(), Insert::default());
    let (mut av, mut bv) = (ai.next(), bi.next());
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                add_bucket(&mut merged, x);
                av = ai.next();
                bv = bi.next();
                f_inter.pos += 1;
                b_inter.pos += 1;
            }
            (Some(x), Some(y)) if x < y => {
                if b_inter.num == 0 {
                    b_inter.bucket_idx = x;
                }
                b_inter.num += 1;
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                add_bucket(&mut merged, x);
                f_inter.pos += 1;
                av = ai.next();
            }
            (Some(_), Some(y)) => {
                if f_inter.num == 0 {
                    f_inter.bucket_idx = y;
                }
                f_inter.num += 1;
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                add_bucket(&mut merged, y);
                b_inter.pos += 1;
                bv = bi.next();
            }
            (Some(x), None) => {
                if b_inter.num == 0 {
                    b_inter.bucket_idx = x;
                }
                b_inter.num += 1;
                add_bucket(&mut merged, x);
                av = ai.next();
            }
            (None, Some(y)) => {
                if f_inter.num == 0 {
                    f_inter.bucket_idx = y;
                }
                f_inter.num += 1;
                add_bucket(&mut merged, y);
                bv = bi.next();
            }
            (None, None) => {
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                }
                return (f_inserts, b_inserts, merged);
            }
        }
    }
}

/// 3.x's `adjustForInserts`: `spans` widened by the buckets `inserts` add.
fn adjust_for_inserts(spans: &[Span], inserts: &[Insert]) -> Vec<Span> {
    let Some(first) = inserts.first() else {
        return spans.to_vec();
    };
    let mut merged: Vec<Span> = Vec::new();
    let mut last_bucket = 0i64;
    let mut add_bucket = |bucket: i64| {
        let mut offset = bucket - last_bucket - 1;
        match merged.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            _ => {
                if merged.is_empty() {
                    offset += 1;
                }
                merged.push(Span {
                    offset: offset as i32,
                    length: 1,
                });
            }
        }
        last_bucket = bucket;
    };
    let (mut i, mut insert_idx, mut insert_num) = (0usize, first.bucket_idx, first.num);
    let consume = |i: &mut usize, insert_idx: &mut i64, insert_num: &mut usize| {
        if *insert_num <= 1 {
            *i += 1;
            if let Some(next) = inserts.get(*i) {
                *insert_idx = next.bucket_idx;
                *insert_num = next.num;
            }
        } else {
            *insert_num -= 1;
            *insert_idx += 1;
        }
    };
    let mut it = BucketIndices::new(spans);
    let mut bucket = it.next();
    while let Some(b) = bucket {
        if i < inserts.len() && insert_idx < b {
            add_bucket(insert_idx);
            consume(&mut i, &mut insert_idx, &mut insert_num);
        } else {
            add_bucket(b);
            bucket = it.next();
        }
    }
    while i < inserts.len() {
        add_bucket(insert_idx);
        consume(&mut i, &mut insert_idx, &mut insert_num);
    }
    merged
}

/// `values` with empty buckets added where `inserts` say. (Prometheus inserts into the
/// delta-coded integer buckets; inserting zeros into absolute counts is the same.)
fn insert_empty<C: Count>(values: &[C], inserts: &[Insert]) -> Vec<C> {
    let extra: usize = inserts.iter().map(|i| i.num).sum();
    let mut out = Vec::with_capacity(values.len() + extra);
    let mut ii = 0;
    for (i, &v) in values.iter().enumerate() {
        while let Some(ins) = inserts.get(ii).filter(|ins| ins.pos == i) {
            out.extend(std::iter::repeat_n(C::default(), ins.num));
            ii += 1;
        }
        out.push(v);
    }
    for ins in inserts.get(ii..).unwrap_or_default() {
        out.extend(std::iter::repeat_n(C::default(), ins.num));
    }
    out
}

/// `putZeroThreshold`: one byte for 0 and for the powers of two 2^-243..=2^10 (the
/// exponent + 243 of Go's `Frexp`), else byte 255 and the 64 bits.
fn put_zero_threshold(bw: &mut BitWriter, zt: f64) {
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
fn put_custom_bound(bw: &mut BitWriter, f: f64) {
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

fn put_spans(bw: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(bw, spans.len() as u64);
    for s in spans {
        put_varbit_uint(bw, u64::from(s.length));
        put_varbit_int(bw, i64::from(s.offset));
    }
}

/// `xorWrite`: the value XOR-coded against the previous one, with its own window.
fn xor_write(bw: &mut BitWriter, new: u64, old: u64, leading: &mut u8, trailing: &mut u8) {
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
struct Core {
    bw: BitWriter,
    num: u16,
    schema: i32,
    zero_threshold: f64,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    custom_values: Vec<f64>,
    t: i64,
    t_delta: i64,
}

impl Core {
    fn new(flavor: Flavor) -> Core {
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
    fn flavor(&self) -> Flavor {
        self.bw.flavor()
    }

    fn header(&self) -> CounterResetHeader {
        CounterResetHeader::from_flags(self.bw.bytes().get(2).copied().unwrap_or(0))
    }

    fn set_header(&mut self, h: CounterResetHeader) {
        if let Some(b) = self.bw.bytes_mut().get_mut(2) {
            *b = (*b & 0b0011_1111) | h.flags();
        }
    }

    /// Counts one more sample in the header.
    fn bump(&mut self) {
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        if let [a, b, ..] = self.bw.bytes_mut() {
            *a = hi;
            *b = lo;
        }
    }

    /// Writes the layout of the chunk's first sample and keeps it.
    fn begin<C: Count>(&mut self, h: &Histogram<C>) {
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
    fn check_fits<C: Count>(&self, h: &Histogram<C>) -> Result<(), HistogramAppendError> {
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

/// A chunk's samples, decoded.
type Decoded<C> = Vec<(i64, Histogram<C>)>;

/// The encoding-specific half of an appender.
trait Codec: Sized {
    type C: Count + PartialOrd;
    const FLOAT: bool;
    fn core(&self) -> &Core;
    fn core_mut(&mut self) -> &mut Core;
    fn empty(flavor: Flavor) -> Self;
    /// Go's `appendHistogram` / `appendFloatHistogram`: `h` fits the layout.
    fn write_sample(&mut self, t: i64, h: &Histogram<Self::C>);
    fn last_count(&self) -> Self::C;
    fn last_zero_count(&self) -> Self::C;
    fn last_sum_bits(&self) -> u64;
    /// Absolute bucket counts of the last sample.
    fn last_buckets(&self, positive: bool) -> Vec<Self::C>;
    /// Bucket comparison as Go does it (integer counts as `int64`).
    fn bucket_gt(a: Self::C, b: Self::C) -> bool;
    fn decode(data: &[u8]) -> Result<Decoded<Self::C>, FormatError>;
}

fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Counter appendability (`Appendable` in 2.42, `appendable` in 3.x).
fn appendable<K: Codec>(a: &K, h: &Histogram<K::C>) -> Appendability {
    use CounterResetHeader as H;
    let core = a.core();
    if core.num > 0 && core.header() == H::Gauge {
        return Appendability::no(H::NotCounterReset);
    }
    if core.flavor() == Flavor::Prometheus3
        && h.counter_reset_hint == CounterResetHint::CounterReset
    {
        return Appendability::reset();
    }
    if h.is_stale() {
        return Appendability::yes(H::NotCounterReset);
    }
    if a.last_sum_bits() == STALE_NAN_BITS {
        return Appendability::no(H::Unknown);
    }
    if h.count < a.last_count() {
        return Appendability::reset();
    }
    if h.schema != core.schema || h.zero_threshold != core.zero_threshold {
        return Appendability::no(H::Unknown);
    }
    if core.flavor() == Flavor::Prometheus3
        && h.schema == CUSTOM_BUCKETS_SCHEMA
        && !bounds_match(&h.custom_values, &core.custom_values)
    {
        return Appendability::reset();
    }
    if h.zero_count < a.last_zero_count() {
        return Appendability::reset();
    }
    let (old_pos, old_neg) = (a.last_buckets(true), a.last_buckets(false));
    let mut r = Appendability::yes(H::NotCounterReset);
    if core.flavor() == Flavor::Prometheus2 {
        let (Some(p), Some(n)) = (
            expand_spans_forward(&core.positive_spans, &h.positive_spans),
            expand_spans_forward(&core.negative_spans, &h.negative_spans),
        ) else {
            return Appendability::reset();
        };
        if counter_reset_in_any_bucket::<K>(
            &core.positive_spans,
            &old_pos,
            &h.positive_spans,
            &h.positive_buckets,
        ) || counter_reset_in_any_bucket::<K>(
            &core.negative_spans,
            &old_neg,
            &h.negative_spans,
            &h.negative_buckets,
        ) {
            return Appendability::reset();
        }
        r.positive_inserts = p;
        r.negative_inserts = n;
    } else {
        let Some((pf, pb)) = expand_spans_and_buckets::<K>(
            &core.positive_spans,
            &h.positive_spans,
            &old_pos,
            &h.positive_buckets,
        ) else {
            return Appendability::reset();
        };
        let Some((nf, nb)) = expand_spans_and_buckets::<K>(
            &core.negative_spans,
            &h.negative_spans,
            &old_neg,
            &h.negative_buckets,
        ) else {
            return Appendability::reset();
        };
        r.positive_inserts = pf;
        r.negative_inserts = nf;
        r.backward_positive_inserts = pb;
        r.backward_negative_inserts = nb;
    }
    r
}

/// Gauge appendability (`AppendableGauge` / `appendableGauge`, the same in 2.42 and 3.x
/// apart from custom bounds).
fn appendable_gauge<K: Codec>(a: &K, h: &Histogram<K::C>) -> Appendability {
    use CounterResetHeader as H;
    let core = a.core();
    if core.num > 0 && core.header() != H::Gauge {
        return Appendability::no(H::Gauge);
    }
    if h.is_stale() {
        return Appendability::yes(H::Gauge);
    }
    if a.last_sum_bits() == STALE_NAN_BITS
        || h.schema != core.schema
        || h.zero_threshold != core.zero_threshold
        || (core.flavor() == Flavor::Prometheus3
            && h.schema == CUSTOM_BUCKETS_SCHEMA
            && !bounds_match(&h.custom_values, &core.custom_values))
    {
        return Appendability::no(H::Gauge);
    }
    let (pf, pb, ps) = expand_spans_both_ways(&core.positive_spans, &h.positive_spans);
    let (nf, nb, ns) = expand_spans_both_ways(&core.negative_spans, &h.negative_spans);
    Appendability {
        positive_inserts: pf,
        negative_inserts: nf,
        backward_positive_inserts: pb,
        backward_negative_inserts: nb,
        positive_spans: ps,
        negative_spans: ns,
        ..Appendability::yes(H::Gauge)
    }
}

/// Rewrites the chunk with new layout spans, inserting empty buckets into every sample.
fn recode<K: Codec>(
    a: &mut K,
    positive_inserts: &[Insert],
    negative_inserts: &[Insert],
    positive_spans: &[Span],
    negative_spans: &[Span],
) -> Result<(), HistogramAppendError> {
    let core = a.core();
    for (side, spans, inserts, now) in [
        (
            "positive",
            positive_spans,
            positive_inserts,
            &core.positive_spans,
        ),
        (
            "negative",
            negative_spans,
            negative_inserts,
            &core.negative_spans,
        ),
    ] {
        let expected = count_spans(spans);
        let buckets = count_spans(now) + inserts.iter().map(|i| i.num as u64).sum::<u64>();
        if expected != buckets {
            return Err(HistogramAppendError::LayoutMismatch {
                side,
                expected,
                buckets,
            });
        }
    }
    let samples =
        K::decode(core.bw.bytes()).map_err(|e| HistogramAppendError::Recode(e.to_string()))?;
    let header = core.header();
    let mut fresh = K::empty(core.flavor());
    for (t, mut h) in samples {
        h.positive_spans = positive_spans.to_vec();
        h.negative_spans = negative_spans.to_vec();
        if !positive_inserts.is_empty() {
            h.positive_buckets = insert_empty(&h.positive_buckets, positive_inserts);
        }
        if !negative_inserts.is_empty() {
            h.negative_buckets = insert_empty(&h.negative_buckets, negative_inserts);
        }
        fresh.write_sample(t, &h);
    }
    fresh.core_mut().set_header(header);
    *a = fresh;
    Ok(())
}

/// `h` with empty buckets inserted (the sample lacks buckets the chunk has) and `spans`.
fn widen<C: Count>(
    h: &Histogram<C>,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    ap: &Appendability,
) -> Histogram<C> {
    let mut w = h.clone();
    w.positive_spans = positive_spans;
    w.negative_spans = negative_spans;
    if !ap.backward_positive_inserts.is_empty() {
        w.positive_buckets = insert_empty(&h.positive_buckets, &ap.backward_positive_inserts);
    }
    if !ap.backward_negative_inserts.is_empty() {
        w.negative_buckets = insert_empty(&h.negative_buckets, &ap.backward_negative_inserts);
    }
    w
}

/// The first sample of an empty chunk, with the header Prometheus gives it.
fn append_first<K: Codec>(
    a: &mut K,
    prev: Option<&K>,
    t: i64,
    h: &Histogram<K::C>,
) -> Result<(), HistogramAppendError> {
    use CounterResetHeader as H;
    validate_histogram(h, a.core().flavor())?;
    if a.core().num != 0 {
        return Err(HistogramAppendError::NotEmpty);
    }
    let header = match h.counter_reset_hint {
        CounterResetHint::Gauge => H::Gauge,
        CounterResetHint::CounterReset => H::CounterReset,
        _ => match prev {
            None => H::Unknown,
            Some(p) => {
                let ap = appendable(p, h);
                if a.core().flavor() == Flavor::Prometheus2 {
                    if ap.counter_reset {
                        H::CounterReset
                    } else if ap.ok {
                        H::NotCounterReset
                    } else {
                        H::Unknown
                    }
                } else if K::FLOAT {
                    if ap.counter_reset {
                        H::CounterReset
                    } else {
                        H::NotCounterReset
                    }
                } else {
                    ap.header
                }
            }
        },
    };
    a.write_sample(t, h);
    a.core_mut().set_header(header);
    Ok(())
}

/// A new chunk holding only `h`.
fn cut<K: Codec>(flavor: Flavor, header: CounterResetHeader, t: i64, h: &Histogram<K::C>) -> K {
    let mut n = K::empty(flavor);
    n.write_sample(t, h);
    n.core_mut().set_header(header);
    n
}

/// One sample, the way Prometheus's head (2.42: `memSeries.appendHistogram`; 3.x:
/// `HistogramAppender.AppendHistogram`) handles it once its chunk-size checks kept the
/// chunk.
fn append<K: Codec>(
    a: &mut K,
    t: i64,
    h: &Histogram<K::C>,
) -> Result<AppendOutcome<K>, HistogramAppendError> {
    use CounterResetHeader as H;
    let flavor = a.core().flavor();
    validate_histogram(h, flavor)?;
    if a.core().num == 0 {
        append_first(a, None, t, h)?;
        return Ok(AppendOutcome::Appended);
    }
    if a.core().num == u16::MAX {
        let mut n = K::empty(flavor);
        append_first(&mut n, Some(a), t, h)?;
        return Ok(AppendOutcome::Cut(n));
    }
    let gauge = h.counter_reset_hint == CounterResetHint::Gauge;
    let ap = if gauge {
        appendable_gauge(a, h)
    } else if flavor == Flavor::Prometheus2
        && h.counter_reset_hint == CounterResetHint::CounterReset
    {
        Appendability::reset()
    } else {
        appendable(a, h)
    };
    if !ap.ok {
        let header = if gauge {
            H::Gauge
        } else if flavor == Flavor::Prometheus2 || K::FLOAT {
            if ap.counter_reset {
                H::CounterReset
            } else {
                H::Unknown
            }
        } else {
            ap.header
        };
        return Ok(AppendOutcome::Cut(cut(flavor, header, t, h)));
    }
    let widened;
    let h = if !ap.has_backward() {
        h
    } else {
        let (ps, ns) = if gauge {
            (ap.positive_spans.clone(), ap.negative_spans.clone())
        } else if !ap.has_forward() {
            let core = a.core();
            (core.positive_spans.clone(), core.negative_spans.clone())
        } else {
            (
                adjust_for_inserts(&h.positive_spans, &ap.backward_positive_inserts),
                adjust_for_inserts(&h.negative_spans, &ap.backward_negative_inserts),
            )
        };
        widened = widen(h, ps, ns, &ap);
        &widened
    };
    if ap.has_forward() {
        recode(
            a,
            &ap.positive_inserts,
            &ap.negative_inserts,
            &h.positive_spans,
            &h.negative_spans,
        )?;
        a.write_sample(t, h);
        return Ok(AppendOutcome::Recoded);
    }
    a.write_sample(t, h);
    Ok(AppendOutcome::Appended)
}

/// Appends integer-count histograms to a chunk of encoding 2, exactly as Prometheus does.
#[derive(Debug, Clone)]
pub struct HistogramAppender {
    core: Core,
    count: u64,
    zero_count: u64,
    count_delta: i64,
    zero_count_delta: i64,
    /// Spatial deltas of the last sample, and their change from the sample before.
    pos: Vec<i64>,
    pos_delta: Vec<i64>,
    neg: Vec<i64>,
    neg_delta: Vec<i64>,
    sum: u64,
    leading: u8,
    trailing: u8,
    scratch: Vec<i64>,
}

/// Spatial deltas (each bucket minus the previous one) of absolute counts, wrapping as
/// Go's `int64` arithmetic does.
fn spatial(abs: &[u64], out: &mut Vec<i64>) {
    out.clear();
    let mut prev = 0u64;
    out.extend(abs.iter().map(|&c| {
        let d = c.wrapping_sub(prev) as i64;
        prev = c;
        d
    }));
}

/// Writes the time/count/bucket delta-of-deltas of one side and keeps the state.
fn put_bucket_dods(bw: &mut BitWriter, deltas: &[i64], last: &mut [i64], last_delta: &mut [i64]) {
    for ((&d, l), ld) in deltas
        .iter()
        .zip(last.iter_mut())
        .zip(last_delta.iter_mut())
    {
        let delta = d.wrapping_sub(*l);
        put_varbit_int(bw, delta.wrapping_sub(*ld));
        *ld = delta;
        *l = d;
    }
}

impl Codec for HistogramAppender {
    type C = u64;
    const FLOAT: bool = false;

    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn empty(flavor: Flavor) -> Self {
        HistogramAppender {
            core: Core::new(flavor),
            count: 0,
            zero_count: 0,
            count_delta: 0,
            zero_count_delta: 0,
            pos: Vec::new(),
            pos_delta: Vec::new(),
            neg: Vec::new(),
            neg_delta: Vec::new(),
            sum: 0,
            leading: 0xff,
            trailing: 0,
            scratch: Vec::new(),
        }
    }

    fn write_sample(&mut self, t: i64, h: &IntHistogram) {
        let stale_h;
        let h = if h.is_stale() {
            // Prometheus stores a stale marker as an empty histogram with only the sum.
            stale_h = IntHistogram {
                sum: h.sum,
                ..IntHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        let (mut t_delta, mut count_delta, mut zero_count_delta) = (0i64, 0i64, 0i64);
        if self.core.num == 0 {
            self.core.begin(h);
            spatial(&h.positive_buckets, &mut self.pos);
            spatial(&h.negative_buckets, &mut self.neg);
            self.pos_delta.clear();
            self.pos_delta.resize(self.pos.len(), 0);
            self.neg_delta.clear();
            self.neg_delta.resize(self.neg.len(), 0);
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t);
            put_varbit_uint(bw, h.count);
            put_varbit_uint(bw, h.zero_count);
            bw.write_bits(h.sum.to_bits(), 64);
            for &d in self.pos.iter().chain(&self.neg) {
                put_varbit_int(bw, d);
            }
        } else {
            t_delta = t.wrapping_sub(self.core.t);
            count_delta = (h.count as i64).wrapping_sub(self.count as i64);
            zero_count_delta = (h.zero_count as i64).wrapping_sub(self.zero_count as i64);
            let (mut count_dod, mut zero_count_dod) = (
                count_delta.wrapping_sub(self.count_delta),
                zero_count_delta.wrapping_sub(self.zero_count_delta),
            );
            if h.is_stale() {
                count_dod = 0;
                zero_count_dod = 0;
            }
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t_delta.wrapping_sub(self.core.t_delta));
            put_varbit_int(bw, count_dod);
            put_varbit_int(bw, zero_count_dod);
            xor_write(
                bw,
                h.sum.to_bits(),
                self.sum,
                &mut self.leading,
                &mut self.trailing,
            );
            spatial(&h.positive_buckets, &mut self.scratch);
            put_bucket_dods(bw, &self.scratch, &mut self.pos, &mut self.pos_delta);
            spatial(&h.negative_buckets, &mut self.scratch);
            put_bucket_dods(bw, &self.scratch, &mut self.neg, &mut self.neg_delta);
        }
        self.core.t = t;
        self.core.t_delta = t_delta;
        self.count = h.count;
        self.zero_count = h.zero_count;
        self.count_delta = count_delta;
        self.zero_count_delta = zero_count_delta;
        self.sum = h.sum.to_bits();
        self.core.bump();
    }

    fn last_count(&self) -> u64 {
        self.count
    }

    fn last_zero_count(&self) -> u64 {
        self.zero_count
    }

    fn last_sum_bits(&self) -> u64 {
        self.sum
    }

    fn last_buckets(&self, positive: bool) -> Vec<u64> {
        let mut acc = 0i64;
        let deltas = if positive { &self.pos } else { &self.neg };
        deltas
            .iter()
            .map(|d| {
                acc = acc.wrapping_add(*d);
                acc as u64
            })
            .collect()
    }

    fn bucket_gt(a: u64, b: u64) -> bool {
        (a as i64) > (b as i64)
    }

    fn decode(data: &[u8]) -> Result<Decoded<u64>, FormatError> {
        let mut it = HistogramIter::new(data)?;
        let mut out = Vec::with_capacity(usize::from(it.len_hint()));
        while let Some(t) = it.next() {
            out.push((t?, it.at().clone()));
        }
        Ok(out)
    }
}

/// One XOR-coded value and its window.
#[derive(Debug, Clone, Copy)]
struct XorState {
    bits: u64,
    leading: u8,
    trailing: u8,
}

impl XorState {
    /// No window yet.
    fn new(bits: u64) -> Self {
        XorState {
            bits,
            leading: 0xff,
            trailing: 0,
        }
    }

    fn write(&mut self, bw: &mut BitWriter, v: f64) {
        xor_write(
            bw,
            v.to_bits(),
            self.bits,
            &mut self.leading,
            &mut self.trailing,
        );
        self.bits = v.to_bits();
    }
}

/// Appends float-count histograms to a chunk of encoding 3, exactly as Prometheus does.
#[derive(Debug, Clone)]
pub struct FloatHistogramAppender {
    core: Core,
    count: XorState,
    zero_count: XorState,
    sum: XorState,
    pos: Vec<XorState>,
    neg: Vec<XorState>,
}

impl Codec for FloatHistogramAppender {
    type C = f64;
    const FLOAT: bool = true;

    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn empty(flavor: Flavor) -> Self {
        FloatHistogramAppender {
            core: Core::new(flavor),
            count: XorState::new(0),
            zero_count: XorState::new(0),
            sum: XorState::new(0),
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    fn write_sample(&mut self, t: i64, h: &FloatHistogram) {
        let stale_h;
        let h = if h.is_stale() {
            stale_h = FloatHistogram {
                sum: h.sum,
                ..FloatHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        let mut t_delta = 0i64;
        if self.core.num == 0 {
            self.core.begin(h);
            self.pos.clear();
            self.pos.extend(
                h.positive_buckets
                    .iter()
                    .map(|v| XorState::new(v.to_bits())),
            );
            self.neg.clear();
            self.neg.extend(
                h.negative_buckets
                    .iter()
                    .map(|v| XorState::new(v.to_bits())),
            );
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t);
            for v in [h.count, h.zero_count, h.sum] {
                bw.write_bits(v.to_bits(), 64);
            }
            self.count.bits = h.count.to_bits();
            self.zero_count.bits = h.zero_count.to_bits();
            self.sum.bits = h.sum.to_bits();
            for v in h.positive_buckets.iter().chain(&h.negative_buckets) {
                bw.write_bits(v.to_bits(), 64);
            }
        } else {
            t_delta = t.wrapping_sub(self.core.t);
            let bw = &mut self.core.bw;
            put_varbit_int(bw, t_delta.wrapping_sub(self.core.t_delta));
            self.count.write(bw, h.count);
            self.zero_count.write(bw, h.zero_count);
            self.sum.write(bw, h.sum);
            for (s, &v) in self.pos.iter_mut().zip(&h.positive_buckets) {
                s.write(bw, v);
            }
            for (s, &v) in self.neg.iter_mut().zip(&h.negative_buckets) {
                s.write(bw, v);
            }
        }
        self.core.t = t;
        self.core.t_delta = t_delta;
        self.core.bump();
    }

    fn last_count(&self) -> f64 {
        f64::from_bits(self.count.bits)
    }

    fn last_zero_count(&self) -> f64 {
        f64::from_bits(self.zero_count.bits)
    }

    fn last_sum_bits(&self) -> u64 {
        self.sum.bits
    }

    fn last_buckets(&self, positive: bool) -> Vec<f64> {
        let states = if positive { &self.pos } else { &self.neg };
        states.iter().map(|s| f64::from_bits(s.bits)).collect()
    }

    fn bucket_gt(a: f64, b: f64) -> bool {
        a > b
    }

    fn decode(data: &[u8]) -> Result<Decoded<f64>, FormatError> {
        let mut it = FloatHistogramIter::new(data)?;
        let mut out = Vec::with_capacity(usize::from(it.len_hint()));
        while let Some(t) = it.next() {
            out.push((t?, it.at().clone()));
        }
        Ok(out)
    }
}

/// The public methods, identical for both appenders.
macro_rules! appender_api {
    ($ty:ident, $hist:ident, $enc:literal) => {
        impl Default for $ty {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $ty {
            #[doc = concat!("An empty ", $enc, " chunk with Prometheus 3.x's bytes and rules.")]
            pub fn new() -> Self {
                <Self as Codec>::empty(Flavor::Prometheus3)
            }

            #[doc = concat!("An empty ", $enc, " chunk with `flavor`'s bytes and rules; for")]
            /// [`Flavor::Prometheus2`], 2.42's (2.x's trailing zero byte, 2.42's
            /// appendability rules), to reproduce 2.x blocks byte for byte.
            pub fn with_flavor(flavor: Flavor) -> Self {
                <Self as Codec>::empty(flavor)
            }

            /// Whose bytes and rules this appender follows.
            pub fn flavor(&self) -> Flavor {
                self.core.flavor()
            }

            /// Samples in the chunk.
            pub fn num_samples(&self) -> u16 {
                self.core.num
            }

            /// Size of the chunk so far in bytes (without 2.x's trailing pad byte), what
            /// Prometheus 3.x measures against its histogram chunk size target.
            pub fn len(&self) -> usize {
                self.core.bw.bytes().len()
            }

            /// True before the first sample.
            pub fn is_empty(&self) -> bool {
                self.core.num == 0
            }

            /// The chunk's counter-reset header.
            pub fn counter_reset_header(&self) -> CounterResetHeader {
                self.core.header()
            }

            /// Overwrites the counter-reset header (Prometheus sets it as it cuts chunks).
            pub fn set_counter_reset_header(&mut self, h: CounterResetHeader) {
                self.core.set_header(h);
            }

            /// Appends a sample the way Prometheus's head does once its size and time
            /// checks kept this chunk: appended, appended after recoding the chunk with the
            /// sample's new buckets (3.x counters and gauges also fill the sample's missing
            /// buckets with empty ones), or cut into a new chunk whose header says why.
            /// The sample's hint matters: `Gauge` selects the gauge rules, `CounterReset`
            /// forces a new chunk. An empty chunk takes any sample
            /// (see [`append_first`](Self::append_first)).
            pub fn append(
                &mut self,
                t: i64,
                h: &$hist,
            ) -> Result<AppendOutcome<Self>, HistogramAppendError> {
                append(self, t, h)
            }

            /// Appends the first sample of this (empty) chunk, which the head cut for size,
            /// time or a change of sample type. `prev` is the series' previous chunk if it
            /// had this encoding: Prometheus derives the counter-reset header from whether
            /// `prev` would have taken the sample.
            pub fn append_first(
                &mut self,
                prev: Option<&Self>,
                t: i64,
                h: &$hist,
            ) -> Result<(), HistogramAppendError> {
                append_first(self, prev, t, h)
            }

            /// Appends a sample as it is (Go's `appendHistogram`): no appendability check,
            /// no header change. After the first sample, the sample must have as many
            /// buckets per side as the chunk's layout (a stale marker has none).
            pub fn append_raw(&mut self, t: i64, h: &$hist) -> Result<(), HistogramAppendError> {
                validate_histogram(h, self.core.flavor())?;
                self.core.check_fits(h)?;
                self.write_sample(t, h);
                Ok(())
            }

            /// Whether a counter sample fits this chunk (`appendable`), under this
            /// appender's rules.
            pub fn appendable(&self, h: &$hist) -> Appendability {
                appendable(self, h)
            }

            /// Whether a gauge sample fits this chunk (`appendableGauge`).
            pub fn appendable_gauge(&self, h: &$hist) -> Appendability {
                appendable_gauge(self, h)
            }

            /// Rewrites the chunk with a wider layout: every sample gets empty buckets at
            /// the inserts and the new spans, which must cover exactly the old buckets plus
            /// the inserted ones.
            pub fn recode(
                &mut self,
                positive_inserts: &[Insert],
                negative_inserts: &[Insert],
                positive_spans: &[Span],
                negative_spans: &[Span],
            ) -> Result<(), HistogramAppendError> {
                recode(
                    self,
                    positive_inserts,
                    negative_inserts,
                    positive_spans,
                    negative_spans,
                )
            }

            /// The chunk's bytes so far (after the encoding byte), without 2.x's pad byte.
            pub fn bytes(&self) -> &[u8] {
                self.core.bw.bytes()
            }

            /// The finished chunk's bytes (after the encoding byte).
            pub fn finish(self) -> Vec<u8> {
                self.core.bw.finish()
            }
        }
    };
}

appender_api!(HistogramAppender, IntHistogram, "integer-histogram");
appender_api!(FloatHistogramAppender, FloatHistogram, "float-histogram");

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    fn int_h(count: u64, zc: u64, sum: f64, spans: &[Span], buckets: &[u64]) -> IntHistogram {
        IntHistogram {
            schema: 0,
            zero_threshold: 2f64.powi(-128),
            zero_count: zc,
            count,
            sum,
            positive_spans: spans.to_vec(),
            positive_buckets: buckets.to_vec(),
            ..IntHistogram::default()
        }
    }

    fn decode_int(data: &[u8]) -> Vec<(i64, IntHistogram)> {
        <HistogramAppender as Codec>::decode(data).unwrap()
    }

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

    #[test]
    fn first_sample_layout_and_header() {
        // Appendix B: schema 0, threshold 2^-128, positive spans [(0,2)], negative [(-2,1)].
        let mut h = int_h(10, 1, 12.5, &[span(0, 2)], &[3, 4]);
        h.negative_spans = vec![span(-2, 1)];
        h.negative_buckets = vec![2];
        let mut a = HistogramAppender::new();
        assert!(matches!(a.append(1000, &h), Ok(AppendOutcome::Appended)));
        let bytes = a.bytes().to_vec();
        assert_eq!(&bytes[..4], &[0, 1, 0, 116]);
        let got = decode_int(&bytes);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 1000);
        assert_eq!(got[0].1.positive_buckets, [3, 4]);
        assert_eq!(got[0].1.negative_buckets, [2]);
        assert_eq!(got[0].1.negative_spans, [span(-2, 1)]);
    }

    #[test]
    fn recode_matches_prometheus_example() {
        // The layout change of `expandSpansForward`'s doc comment: old buckets at
        // 0 1 4 8 9 13 15, new ones at 0 1 2 4 6 7 8 9 13 14 15.
        let old = [span(0, 2), span(2, 1), span(3, 2), span(3, 1), span(1, 1)];
        let new = [span(0, 3), span(1, 1), span(1, 4), span(3, 3)];
        let ins = expand_spans_forward(&old, &new).unwrap();
        assert_eq!(
            ins.iter().map(|i| (i.pos, i.num)).collect::<Vec<_>>(),
            [(2, 1), (3, 2), (6, 1)]
        );
        let (fwd, bwd) = expand_spans_and_buckets::<HistogramAppender>(
            &old,
            &new,
            &[6, 3, 3, 2, 4, 5, 1],
            &[7, 5, 1, 3, 1, 0, 2, 5, 5, 0, 1],
        )
        .unwrap();
        assert!(bwd.is_empty());
        assert_eq!(
            insert_empty(&[6u64, 3, 3, 2, 4, 5, 1], &fwd),
            [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]
        );
        assert_eq!(
            insert_empty(&[6u64, 3, 3, 2, 4, 5, 1], &ins),
            [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]
        );
        for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
            let mut a = HistogramAppender::with_flavor(flavor);
            let mut h1 = int_h(27, 2, 18.4, &old, &[6, 3, 3, 2, 4, 5, 1]);
            h1.schema = 1;
            h1.zero_threshold = 1e-125;
            h1.negative_spans = vec![span(1, 1)];
            h1.negative_buckets = vec![1];
            a.append(1234567890, &h1).unwrap();
            let mut h2 = h1.clone();
            h2.positive_spans = new.to_vec();
            h2.positive_buckets = vec![7, 5, 1, 3, 1, 0, 2, 5, 5, 0, 1];
            h2.negative_spans = vec![span(0, 2)];
            h2.negative_buckets = vec![2, 1];
            h2.count = 35;
            h2.zero_count = 3;
            h2.sum = 30.0;
            assert!(matches!(
                a.append(1234567906, &h2),
                Ok(AppendOutcome::Recoded)
            ));
            let got = decode_int(a.bytes());
            assert_eq!(got[0].1.positive_buckets, [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]);
            assert_eq!(got[0].1.negative_buckets, [0, 1]);
            assert_eq!(got[1].1.positive_buckets, h2.positive_buckets);
            assert_eq!(got[1].1.positive_spans, new);
        }
    }

    #[test]
    fn empty_spans_do_not_change_the_layout() {
        // Zero-length spans only shift indices: the same buckets, appendable.
        let a_spans = [span(1, 0), span(2, 4), span(0, 3)];
        let b_spans = [span(3, 4), span(0, 3)];
        assert_eq!(expand_spans_forward(&a_spans, &b_spans), Some(vec![]));
        let c_spans = [span(0, 4), span(1, 0), span(3, 0), span(4, 3)];
        let d_spans = [span(0, 4), span(3, 0), span(1, 0), span(4, 3)];
        assert_eq!(expand_spans_forward(&c_spans, &d_spans), Some(vec![]));
        let mut a = HistogramAppender::new();
        a.append(0, &int_h(7, 0, 1.0, &c_spans, &[1, 2, 1, 1, 1, 1, 0]))
            .unwrap();
        let ap = a.appendable(&int_h(9, 0, 2.0, &d_spans, &[1, 3, 1, 2, 1, 1, 0]));
        assert!(ap.ok && ap.positive_inserts.is_empty() && !ap.has_backward());
    }

    #[test]
    fn counter_resets_and_layout_changes_cut() {
        use CounterResetHeader as H;
        for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
            let base = int_h(10, 2, 5.0, &[span(0, 3)], &[2, 0, 6]);
            let check = |next: IntHistogram, want: Option<H>| {
                let mut a = HistogramAppender::with_flavor(flavor);
                a.append(0, &base).unwrap();
                match (a.append(10, &next).unwrap(), want) {
                    (AppendOutcome::Cut(n), Some(h)) => {
                        assert_eq!(n.counter_reset_header(), h, "{flavor:?} {next:?}")
                    }
                    (AppendOutcome::Appended, None) => {}
                    (o, w) => panic!("{flavor:?}: {o:?}, wanted {w:?} for {next:?}"),
                }
            };
            check(
                int_h(9, 2, 5.0, &[span(0, 3)], &[2, 0, 5]),
                Some(H::CounterReset),
            );
            check(
                int_h(11, 1, 5.0, &[span(0, 3)], &[2, 0, 8]),
                Some(H::CounterReset),
            );
            check(
                int_h(10, 2, 5.0, &[span(0, 3)], &[1, 1, 6]),
                Some(H::CounterReset),
            );
            let mut schema = base.clone();
            schema.schema = 1;
            check(schema, Some(H::Unknown));
            let mut zt = base.clone();
            zt.zero_threshold = 0.001;
            check(zt, Some(H::Unknown));
            let mut hinted = base.clone();
            hinted.counter_reset_hint = CounterResetHint::CounterReset;
            check(hinted, Some(H::CounterReset));
            let mut gauge = base.clone();
            gauge.counter_reset_hint = CounterResetHint::Gauge;
            check(gauge, Some(H::Gauge));
            // Bucket 1 was empty and is gone: 3.x inserts it back, 2.42 calls it a reset.
            let gone = int_h(12, 2, 5.0, &[span(0, 1), span(1, 1)], &[3, 7]);
            if flavor == Flavor::Prometheus2 {
                check(gone, Some(H::CounterReset));
            } else {
                check(gone, None);
            }
            // A populated bucket is gone: a reset for both.
            check(
                int_h(12, 4, 5.0, &[span(1, 2)], &[0, 8]),
                Some(H::CounterReset),
            );
        }
    }

    #[test]
    fn backward_insert_in_3x_keeps_the_empty_bucket() {
        let mut a = HistogramAppender::new();
        a.append(0, &int_h(8, 0, 5.0, &[span(0, 3)], &[2, 0, 6]))
            .unwrap();
        let next = int_h(12, 0, 6.0, &[span(0, 1), span(1, 2)], &[3, 7, 2]);
        assert!(matches!(a.append(10, &next), Ok(AppendOutcome::Recoded)));
        let got = decode_int(a.bytes());
        assert_eq!(got[0].1.positive_buckets, [2, 0, 6, 0]);
        assert_eq!(got[1].1.positive_buckets, [3, 0, 7, 2]);
        assert_eq!(got[1].1.positive_spans, [span(0, 4)]);
    }

    #[test]
    fn stale_markers() {
        for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
            let mut a = HistogramAppender::with_flavor(flavor);
            let h = int_h(10, 2, 5.0, &[span(0, 2)], &[4, 4]);
            a.append(0, &h).unwrap();
            let stale = IntHistogram {
                sum: f64::from_bits(STALE_NAN_BITS),
                ..IntHistogram::default()
            };
            assert!(matches!(a.append(10, &stale), Ok(AppendOutcome::Appended)));
            assert!(matches!(a.append(20, &stale), Ok(AppendOutcome::Appended)));
            match a.append(30, &h).unwrap() {
                AppendOutcome::Cut(n) => {
                    assert_eq!(n.counter_reset_header(), CounterResetHeader::Unknown)
                }
                o => panic!("{o:?}"),
            }
            let got = decode_int(a.bytes());
            assert_eq!(got.len(), 3);
            assert!(got[1].1.is_stale() && got[2].1.is_stale());
            assert!(got[1].1.positive_buckets.is_empty());
            // A chunk starting with a stale marker has the empty layout.
            let mut s = HistogramAppender::with_flavor(flavor);
            s.append(5, &stale).unwrap();
            assert_eq!(&s.bytes()[..4], &[0, 1, 0, 0]);
        }
    }

    #[test]
    fn gauge_inserts_both_ways() {
        let mut g = FloatHistogram {
            counter_reset_hint: CounterResetHint::Gauge,
            schema: 1,
            zero_threshold: 0.001,
            count: 5.0,
            sum: 3.5,
            positive_spans: vec![span(0, 2), span(2, 1)],
            positive_buckets: vec![1.0, 2.0, 2.0],
            ..FloatHistogram::default()
        };
        for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
            let mut a = FloatHistogramAppender::with_flavor(flavor);
            a.append(0, &g).unwrap();
            assert_eq!(a.counter_reset_header(), CounterResetHeader::Gauge);
            let mut g2 = g.clone();
            g2.positive_spans = vec![span(1, 3)];
            g2.positive_buckets = vec![0.5, 4.0, 0.25];
            g2.count = 4.75;
            assert!(matches!(a.append(10, &g2), Ok(AppendOutcome::Recoded)));
            let got = <FloatHistogramAppender as Codec>::decode(a.bytes()).unwrap();
            // Buckets 0 1 4 and 1 2 3 merge into 0..=4.
            assert_eq!(got[0].1.positive_spans, [span(0, 5)]);
            assert_eq!(got[0].1.positive_buckets, [1.0, 2.0, 0.0, 0.0, 2.0]);
            assert_eq!(got[1].1.positive_buckets, [0.0, 0.5, 4.0, 0.25, 0.0]);
        }
        g.counter_reset_hint = CounterResetHint::Unknown;
        // A counter sample does not go into a gauge chunk; 3.x's float header is Unknown.
        let mut a = FloatHistogramAppender::new();
        let mut gg = g.clone();
        gg.counter_reset_hint = CounterResetHint::Gauge;
        a.append(0, &gg).unwrap();
        match a.append(10, &g).unwrap() {
            AppendOutcome::Cut(n) => {
                assert_eq!(n.counter_reset_header(), CounterResetHeader::Unknown)
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn continuation_headers() {
        use CounterResetHeader as H;
        let h = int_h(10, 2, 5.0, &[span(0, 2)], &[4, 4]);
        for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
            let mut prev = HistogramAppender::with_flavor(flavor);
            prev.append(0, &h).unwrap();
            let mut next = HistogramAppender::with_flavor(flavor);
            next.append_first(Some(&prev), 10, &h).unwrap();
            assert_eq!(next.counter_reset_header(), H::NotCounterReset);
            let mut lower = h.clone();
            lower.count = 1;
            let mut next = HistogramAppender::with_flavor(flavor);
            next.append_first(Some(&prev), 10, &lower).unwrap();
            assert_eq!(next.counter_reset_header(), H::CounterReset);
            let mut next = HistogramAppender::with_flavor(flavor);
            next.append_first(None, 10, &h).unwrap();
            assert_eq!(next.counter_reset_header(), H::Unknown);
            assert_eq!(
                next.append_first(None, 20, &h),
                Err(HistogramAppendError::NotEmpty)
            );
        }
    }

    #[test]
    fn custom_bounds_round_trip() {
        let h = FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 3.0,
            sum: 1.0,
            positive_spans: vec![span(0, 3)],
            positive_buckets: vec![1.0, 1.0, 1.0],
            custom_values: vec![0.005, 0.1, 33554.43, 33554.431, 1e300, 0.1234567],
            ..FloatHistogram::default()
        };
        let mut a = FloatHistogramAppender::new();
        a.append(0, &h).unwrap();
        let got = <FloatHistogramAppender as Codec>::decode(a.bytes()).unwrap();
        assert_eq!(got[0].1.custom_values, h.custom_values);
        assert_eq!(
            FloatHistogramAppender::with_flavor(Flavor::Prometheus2)
                .append(0, &h)
                .err(),
            Some(HistogramAppendError::CustomBucketsIn2x)
        );
    }

    #[test]
    fn invalid_histograms_are_refused() {
        let mut a = HistogramAppender::new();
        let bad = int_h(3, 0, 1.0, &[span(0, 2)], &[1]);
        assert!(matches!(
            a.append(0, &bad),
            Err(HistogramAppendError::SpansBucketsMismatch { .. })
        ));
        let neg = int_h(3, 0, 1.0, &[span(0, 1), span(-2, 1)], &[1, 2]);
        assert!(matches!(
            a.append(0, &neg),
            Err(HistogramAppendError::NegativeSpanOffset { .. })
        ));
        assert!(a.is_empty());
        a.append(0, &int_h(3, 0, 1.0, &[span(0, 2)], &[1, 2]))
            .unwrap();
        assert!(matches!(
            a.append_raw(1, &int_h(3, 0, 1.0, &[span(0, 3)], &[1, 2, 0])),
            Err(HistogramAppendError::LayoutMismatch { .. })
        ));
    }

    #[test]
    fn adjust_for_inserts_widens_spans() {
        let spans = [span(0, 1), span(2, 1)];
        let ins = [Insert {
            pos: 1,
            num: 2,
            bucket_idx: 1,
        }];
        assert_eq!(adjust_for_inserts(&spans, &ins), [span(0, 4)]);
        let ins = [Insert {
            pos: 2,
            num: 1,
            bucket_idx: 5,
        }];
        assert_eq!(
            adjust_for_inserts(&spans, &ins),
            [span(0, 1), span(2, 1), span(1, 1)]
        );
    }
}
