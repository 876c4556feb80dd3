//! The native-histogram part of a spec: explicit histograms (`histograms`,
//! `float_histograms`) with their spans, counts and hints, and the seeded
//! `histogram_generator` (see the parent module's documentation for the JSON).

use std::collections::BTreeMap;

use serde::Deserialize;
use tsblock::histogram::{
    Count, CounterResetHint, FloatHistogram, Histogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA,
};

use super::{Rng, SpecSample, SpecValue};

/// One native histogram of the spec (see the module documentation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramSpec {
    /// Counter-reset hint.
    #[serde(default, alias = "counter_reset_hint")]
    pub hint: HintSpec,
    /// Bucket schema.
    #[serde(default)]
    pub schema: i32,
    /// Zero bucket width (default 2^-128; 0 for custom buckets).
    #[serde(default)]
    pub zero_threshold: Option<SpecValue>,
    /// Zero bucket count.
    #[serde(default)]
    pub zero_count: Option<SpecCount>,
    /// Observations (default: zero count plus all bucket counts).
    #[serde(default)]
    pub count: Option<SpecCount>,
    /// Sum of observations (default 0; `"stale"` for a stale marker).
    #[serde(default)]
    pub sum: Option<SpecValue>,
    /// Positive bucket layout.
    #[serde(default)]
    pub positive_spans: Vec<SpanSpec>,
    /// Absolute positive bucket counts.
    #[serde(default)]
    pub positive_buckets: Vec<SpecCount>,
    /// Negative bucket layout.
    #[serde(default)]
    pub negative_spans: Vec<SpanSpec>,
    /// Absolute negative bucket counts.
    #[serde(default)]
    pub negative_buckets: Vec<SpecCount>,
    /// Upper bucket bounds for schema −53.
    #[serde(default)]
    pub custom_values: Vec<f64>,
}

/// A counter-reset hint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HintSpec {
    /// No hint.
    #[default]
    Unknown,
    /// A counter reset happened: always a new chunk.
    CounterReset,
    /// No counter reset happened.
    NotCounterReset,
    /// A gauge histogram.
    Gauge,
}

impl From<HintSpec> for CounterResetHint {
    fn from(h: HintSpec) -> Self {
        match h {
            HintSpec::Unknown => CounterResetHint::Unknown,
            HintSpec::CounterReset => CounterResetHint::CounterReset,
            HintSpec::NotCounterReset => CounterResetHint::NotCounterReset,
            HintSpec::Gauge => CounterResetHint::Gauge,
        }
    }
}

/// A span: `[offset, length]` or `{"offset": …, "length": …}`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum SpanSpec {
    /// `[offset, length]`.
    Pair(i32, u32),
    /// `{"offset": …, "length": …}`.
    Object {
        /// Gap to the previous span (first span: index of its first bucket).
        offset: i32,
        /// Buckets in the span.
        length: u32,
    },
}

impl From<SpanSpec> for Span {
    fn from(s: SpanSpec) -> Span {
        match s {
            SpanSpec::Pair(offset, length) | SpanSpec::Object { offset, length } => {
                Span { offset, length }
            }
        }
    }
}

/// A count: a non-negative integer (exact for integer histograms) or, for float
/// histograms, any [`SpecValue`].
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SpecCount {
    /// A JSON integer.
    Int(u64),
    /// Anything else a value may be.
    Value(SpecValue),
}

impl SpecCount {
    pub(super) fn to_u64(&self, what: &str) -> Result<u64, String> {
        match self {
            SpecCount::Int(n) => Ok(*n),
            SpecCount::Value(v) => Err(format!(
                "{what}: integer histograms count in non-negative integers, not {v:?}"
            )),
        }
    }

    pub(super) fn to_f64(&self, what: &str) -> Result<f64, String> {
        let v = match self {
            SpecCount::Int(n) => *n as f64,
            SpecCount::Value(v) => v.to_f64().map_err(|e| format!("{what}: {e}"))?,
        };
        if v < 0.0 {
            return Err(format!("{what}: negative count {v}"));
        }
        Ok(v)
    }
}

/// Prometheus's default zero threshold, 2^-128.
pub(super) const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

impl HistogramSpec {
    pub(super) fn common<C: Count>(&self) -> Result<Histogram<C>, String> {
        let sum = match &self.sum {
            Some(v) => v.to_f64().map_err(|e| format!("sum: {e}"))?,
            None => 0.0,
        };
        let zero_threshold = match &self.zero_threshold {
            Some(v) => v.to_f64().map_err(|e| format!("zero_threshold: {e}"))?,
            None if self.schema == CUSTOM_BUCKETS_SCHEMA => 0.0,
            None => DEFAULT_ZERO_THRESHOLD,
        };
        if zero_threshold.is_nan() || zero_threshold < 0.0 {
            return Err(format!("zero_threshold {zero_threshold} must be 0 or more"));
        }
        Ok(Histogram {
            counter_reset_hint: self.hint.into(),
            schema: self.schema,
            zero_threshold,
            sum,
            positive_spans: self.positive_spans.iter().map(|&s| s.into()).collect(),
            negative_spans: self.negative_spans.iter().map(|&s| s.into()).collect(),
            custom_values: self.custom_values.clone(),
            ..Histogram::default()
        })
    }

    /// Checks what Prometheus checks (`Histogram.Validate`) beyond the counts.
    pub(super) fn check<C: Count>(h: &Histogram<C>) -> Result<(), String> {
        if h.is_stale() {
            return Ok(());
        }
        tsblock::chunkenc::validate_histogram(h, tsblock::chunkenc::Flavor::Prometheus3)
            .map_err(|e| e.to_string())?;
        if h.schema == CUSTOM_BUCKETS_SCHEMA {
            if h.zero_threshold != 0.0 || !h.zero_count.is_zero() {
                return Err("custom-bucket histograms have no zero bucket".into());
            }
            if !h.negative_spans.is_empty() {
                return Err("custom-bucket histograms have no negative buckets".into());
            }
            if h.custom_values.iter().any(|v| v.is_nan())
                || h.custom_values.windows(2).any(|w| w[0] >= w[1])
                || h.custom_values.last() == Some(&f64::INFINITY)
            {
                return Err(
                    "custom_values must increase strictly, without NaN or a final +Inf".into(),
                );
            }
            let covered: i64 = h
                .positive_spans
                .iter()
                .map(|s| i64::from(s.offset) + i64::from(s.length))
                .sum();
            if h.positive_spans.first().is_some_and(|s| s.offset < 0)
                || covered > h.custom_values.len() as i64 + 1
            {
                return Err(format!(
                    "the spans reach past the {} buckets the custom bounds define",
                    h.custom_values.len() + 1
                ));
            }
        }
        Ok(())
    }

    /// The integer-count histogram.
    pub fn to_int(&self) -> Result<IntHistogram, String> {
        let mut h = self.common::<u64>()?;
        let counts = |v: &[SpecCount], side: &str| {
            v.iter()
                .enumerate()
                .map(|(i, c)| c.to_u64(&format!("{side}_buckets[{i}]")))
                .collect::<Result<Vec<u64>, String>>()
        };
        h.positive_buckets = counts(&self.positive_buckets, "positive")?;
        h.negative_buckets = counts(&self.negative_buckets, "negative")?;
        h.zero_count = match &self.zero_count {
            Some(c) => c.to_u64("zero_count")?,
            None => 0,
        };
        let in_buckets = h
            .positive_buckets
            .iter()
            .chain(&h.negative_buckets)
            .try_fold(h.zero_count, |acc, &c| acc.checked_add(c))
            .ok_or("bucket counts overflow")?;
        h.count = match &self.count {
            Some(c) => c.to_u64("count")?,
            None => in_buckets,
        };
        if !h.is_stale() {
            if h.sum.is_nan() && h.count < in_buckets {
                return Err(format!(
                    "count {} is less than the {in_buckets} observations in the buckets",
                    h.count
                ));
            }
            if !h.sum.is_nan() && h.count != in_buckets {
                return Err(format!(
                    "count {} is not the {in_buckets} observations in the buckets (only a NaN sum allows more)",
                    h.count
                ));
            }
        }
        Self::check(&h)?;
        Ok(h)
    }

    /// The float-count histogram.
    pub fn to_float(&self) -> Result<FloatHistogram, String> {
        let mut h = self.common::<f64>()?;
        let counts = |v: &[SpecCount], side: &str| {
            v.iter()
                .enumerate()
                .map(|(i, c)| c.to_f64(&format!("{side}_buckets[{i}]")))
                .collect::<Result<Vec<f64>, String>>()
        };
        h.positive_buckets = counts(&self.positive_buckets, "positive")?;
        h.negative_buckets = counts(&self.negative_buckets, "negative")?;
        h.zero_count = match &self.zero_count {
            Some(c) => c.to_f64("zero_count")?,
            None => 0.0,
        };
        h.count = match &self.count {
            Some(c) => c.to_f64("count")?,
            None => {
                h.zero_count
                    + h.positive_buckets
                        .iter()
                        .chain(&h.negative_buckets)
                        .sum::<f64>()
            }
        };
        Self::check(&h)?;
        Ok(h)
    }
}

/// Whether generated histograms only grow or start afresh every sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistogramKindSpec {
    /// Cumulative counts (with optional resets).
    #[default]
    Counter,
    /// Fresh counts every sample, hint `gauge`.
    Gauge,
}

/// A seeded native-histogram generator (see the module documentation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramGenerator {
    /// `counter` or `gauge`.
    #[serde(default)]
    pub kind: HistogramKindSpec,
    /// Float counts (chunk encoding 3) instead of integer ones.
    #[serde(default)]
    pub float: bool,
    /// First timestamp (ms).
    pub start: i64,
    /// Scrape interval (ms).
    pub interval: i64,
    /// Number of samples (before gaps are removed).
    pub count: u32,
    /// Timestamps move by a uniform random amount in `[-jitter, jitter]` ms.
    #[serde(default)]
    pub jitter: i64,
    /// Time ranges `[from, to]` (inclusive) without samples.
    #[serde(default)]
    pub gaps: Vec<(i64, i64)>,
    /// Bucket schema (−4..=8).
    #[serde(default)]
    pub schema: i32,
    /// Zero bucket width (default 2^-128).
    #[serde(default)]
    pub zero_threshold: Option<f64>,
    /// Positive bucket indices observations fall into (default `[0, 7]`).
    #[serde(default)]
    pub buckets: Option<(i32, i32)>,
    /// Negative bucket indices observations fall into (none by default).
    #[serde(default)]
    pub negative_buckets: Option<(i32, i32)>,
    /// Observations per sample, uniform in `[lo, hi]` (default `[0, 10]`).
    #[serde(default)]
    pub observations: Option<(u32, u32)>,
    /// Counters: start from zero every this many samples.
    #[serde(default)]
    pub reset_every: Option<u32>,
}

/// Spans and counts of the occupied buckets, bridging gaps of up to two empty buckets with
/// zero buckets (as Prometheus's client library does).
/// Bucket indexes a histogram generator accepts (see its range check).
pub(super) const BUCKET_INDEX_LIMIT: i32 = 1 << 24;

pub(super) fn to_spans(buckets: &BTreeMap<i32, u64>) -> (Vec<Span>, Vec<u64>) {
    let (mut spans, mut counts): (Vec<Span>, Vec<u64>) = (Vec::new(), Vec::new());
    let mut next = 0i32;
    for (&idx, &c) in buckets {
        match spans.last_mut() {
            Some(s) if idx - next <= 2 => {
                counts.extend(std::iter::repeat_n(0, (idx - next) as usize));
                s.length += (idx - next) as u32 + 1;
            }
            Some(_) => spans.push(Span {
                offset: idx - next,
                length: 1,
            }),
            None => spans.push(Span {
                offset: idx,
                length: 1,
            }),
        }
        counts.push(c);
        next = idx + 1;
    }
    (spans, counts)
}

impl HistogramGenerator {
    /// The generated samples, in time order.
    pub fn samples(&self, rng: &mut Rng) -> Result<Vec<(i64, SpecSample)>, String> {
        if self.interval <= 0 {
            return Err("histogram_generator interval must be positive".into());
        }
        if self.jitter < 0
            || self
                .jitter
                .checked_mul(2)
                .is_none_or(|j| j >= self.interval)
        {
            return Err("histogram_generator jitter must be in [0, interval/2)".into());
        }
        if !(-4..=8).contains(&self.schema) {
            return Err(format!(
                "histogram_generator schema {} is not in -4..=8",
                self.schema
            ));
        }
        let zero_threshold = self.zero_threshold.unwrap_or(DEFAULT_ZERO_THRESHOLD);
        if zero_threshold.is_nan() || zero_threshold < 0.0 {
            return Err("histogram_generator zero_threshold must be 0 or more".into());
        }
        let (plo, phi) = self.buckets.unwrap_or((0, 7));
        let (olo, ohi) = self.observations.unwrap_or((0, 10));
        if plo > phi || olo > ohi || self.negative_buckets.is_some_and(|(lo, hi)| lo > hi) {
            return Err("histogram_generator ranges must be [low, high]".into());
        }
        // Far beyond any real bucket index (schema 8 tops out near ±2^18), and small enough
        // that span offsets between buckets fit Prometheus's int32.
        let in_range = |i: i32| (-BUCKET_INDEX_LIMIT..=BUCKET_INDEX_LIMIT).contains(&i);
        if ![plo, phi].into_iter().all(in_range)
            || self
                .negative_buckets
                .is_some_and(|(lo, hi)| !in_range(lo) || !in_range(hi))
        {
            return Err(format!(
                "histogram_generator bucket indexes must be within ±{BUCKET_INDEX_LIMIT}"
            ));
        }
        // A value inside bucket `idx`: the bucket's upper bound is 2^(idx * 2^-schema).
        let value = |idx: i32| 2f64.powf((f64::from(idx) - 0.5) * 2f64.powi(-self.schema));
        let (mut pos, mut neg) = (BTreeMap::<i32, u64>::new(), BTreeMap::<i32, u64>::new());
        let (mut zero, mut total, mut sum) = (0u64, 0u64, 0f64);
        // `count` is the spec's word, not a promise of memory: grow as samples come.
        let mut out = Vec::with_capacity((self.count as usize).min(1 << 16));
        for i in 0..self.count {
            let base = self
                .start
                .checked_add(
                    i64::from(i)
                        .checked_mul(self.interval)
                        .ok_or("generator time overflow")?,
                )
                .ok_or("generator time overflow")?;
            let t = base
                .checked_add(rng.range_i64(-self.jitter, self.jitter))
                .ok_or("generator time overflow")?;
            let reset = match self.kind {
                HistogramKindSpec::Gauge => true,
                HistogramKindSpec::Counter => self
                    .reset_every
                    .is_some_and(|n| n > 0 && i > 0 && i % n == 0),
            };
            if reset {
                pos.clear();
                neg.clear();
                (zero, total, sum) = (0, 0, 0.0);
            }
            let n = rng.range_i64(i64::from(olo), i64::from(ohi));
            for _ in 0..n {
                total += 1;
                let side = rng.range_i64(0, 15);
                if side == 0 {
                    zero += 1;
                } else if let Some((lo, hi)) = self.negative_buckets.filter(|_| side <= 5) {
                    let idx = rng.range_i64(i64::from(lo), i64::from(hi)) as i32;
                    *neg.entry(idx).or_default() += 1;
                    sum -= value(idx);
                } else {
                    let idx = rng.range_i64(i64::from(plo), i64::from(phi)) as i32;
                    *pos.entry(idx).or_default() += 1;
                    sum += value(idx);
                }
            }
            if self.gaps.iter().any(|&(a, b)| a <= t && t <= b) {
                continue;
            }
            let (positive_spans, positive_buckets) = to_spans(&pos);
            let (negative_spans, negative_buckets) = to_spans(&neg);
            let h = IntHistogram {
                counter_reset_hint: match self.kind {
                    HistogramKindSpec::Gauge => CounterResetHint::Gauge,
                    HistogramKindSpec::Counter => CounterResetHint::Unknown,
                },
                schema: self.schema,
                zero_threshold,
                zero_count: zero,
                count: total,
                sum,
                positive_spans,
                negative_spans,
                positive_buckets,
                negative_buckets,
                custom_values: Vec::new(),
            };
            out.push((
                t,
                if self.float {
                    SpecSample::FloatHistogram(to_float_histogram(&h))
                } else {
                    SpecSample::Histogram(h)
                },
            ));
        }
        Ok(out)
    }
}

pub(super) fn to_float_histogram(h: &IntHistogram) -> FloatHistogram {
    FloatHistogram {
        counter_reset_hint: h.counter_reset_hint,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: h.zero_count as f64,
        count: h.count as f64,
        sum: h.sum,
        positive_spans: h.positive_spans.clone(),
        negative_spans: h.negative_spans.clone(),
        positive_buckets: h.positive_buckets.iter().map(|&c| c as f64).collect(),
        negative_buckets: h.negative_buckets.iter().map(|&c| c as f64).collect(),
        custom_values: h.custom_values.clone(),
    }
}
