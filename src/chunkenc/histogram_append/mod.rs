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
//!
//! The parts: `spans` (bucket-layout algebra), `appendable` (the fits-this-chunk verdict),
//! `append` (what the verdict does to a sample), `layout` (what both encodings write the
//! same way) and one file per encoding (`int`, `float`).

mod append;
mod appendable;
mod float;
mod int;
mod layout;
mod spans;
#[cfg(test)]
mod tests;

pub use appendable::Appendability;
pub use float::FloatHistogramAppender;
pub use int::HistogramAppender;
pub use spans::Insert;

use append::{append, append_first, recode};
use appendable::{appendable, appendable_gauge};
use layout::Core;
use spans::{count_spans, BucketCount};

use super::histogram::CounterResetHeader;
use super::Flavor;
use crate::error::FormatError;
use crate::histogram::{
    Count, FloatHistogram, Histogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA,
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
    #[error("recoding the chunk")]
    Recode(#[source] FormatError),
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

/// A chunk's samples, decoded.
type Decoded<C> = Vec<(i64, Histogram<C>)>;

/// The encoding-specific half of an appender.
trait Codec: Sized {
    type C: BucketCount;
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
    fn decode(data: &[u8]) -> Result<Decoded<Self::C>, FormatError>;
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
