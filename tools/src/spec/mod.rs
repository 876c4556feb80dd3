//! The JSON fixture spec of `tsblock-write json`: series with explicit samples or seeded
//! generators, and deletions that become tombstones.
//!
//! ```json
//! {
//!   "seed": 7,
//!   "series": [
//!     {"labels": {"__name__": "up", "job": "a"},
//!      "samples": [[1000, 1], [2000, "NaN"], [3000, "stale"], [4000, {"bits": "0x7ff8000000000001"}]]},
//!     {"labels": {"__name__": "requests_total", "instance": "host-{i}"}, "repeat": 100,
//!      "generator": {"type": "counter", "start": 0, "interval": 15000, "count": 500,
//!                    "jitter": 100, "increase": [0, 10], "reset_every": 120,
//!                    "gaps": [[1800000, 2700000]]}},
//!     {"labels": {"__name__": "latency_seconds"},
//!      "histograms": [
//!        [1000, {"schema": 0, "zero_count": 1, "count": 10, "sum": 12.5,
//!                "positive_spans": [[0, 2]], "positive_buckets": [3, 4],
//!                "negative_spans": [[-1, 1]], "negative_buckets": [2]}],
//!        [2000, {"sum": "stale"}]],
//!      "float_histograms": [
//!        [3000, {"schema": 1, "zero_threshold": 0.001, "hint": "gauge", "sum": -1.5,
//!                "positive_spans": [[0, 1], [2, 1]], "positive_buckets": [0.5, 2.25]}]]},
//!     {"labels": {"__name__": "rpc_seconds"},
//!      "histogram_generator": {"start": 0, "interval": 15000, "count": 200,
//!                              "buckets": [-2, 6], "negative_buckets": [0, 2],
//!                              "observations": [0, 20], "reset_every": 150}}
//!   ],
//!   "deletions": [{"match": {"job": "a"}, "min_time": 1500, "max_time": 2500}]
//! }
//! ```
//!
//! Native histograms, in `histograms` (integer counts, chunk encoding 2) and
//! `float_histograms` (float counts, encoding 3), are `[t, histogram]` pairs. Every field of
//! a histogram is optional:
//!
//! - `schema` (default 0): −4..=8, or −53 for custom bucket bounds (`custom_values`, upper
//!   bounds in increasing order; Prometheus 3.x only).
//! - `zero_threshold` (default 2^-128, Prometheus's default; 0 for schema −53).
//! - `zero_count`, `count`, bucket counts: **absolute** counts (not the deltas of the
//!   remote-write protobuf). Integer histograms take non-negative integers; float
//!   histograms any number, `"NaN"`, `"+Inf"` or `{"bits": …}`, but nothing negative.
//!   `count` defaults to `zero_count` plus all bucket counts and, for integer histograms,
//!   must equal that unless the sum is NaN (then it may be larger), as Prometheus requires.
//! - `sum` (default 0): a value as in `samples`; `"stale"` makes the sample a stale marker,
//!   whose buckets Prometheus does not store (`{"sum": "stale"}` is enough).
//! - `positive_spans`, `negative_spans`: `[offset, length]` pairs (or `{"offset": …,
//!   "length": …}` objects, as `tsblock dump --format json` prints them); the first offset
//!   is the first bucket's index, the others the gap after the previous span (≥ 0).
//!   `positive_buckets` / `negative_buckets` hold one count per bucket the spans cover.
//! - `hint` (or `counter_reset_hint`): `unknown` (default), `counter_reset` (forces a new
//!   chunk), `not_counter_reset` or `gauge` (a gauge histogram).
//!
//! `histogram_generator` makes seeded histograms the way a client library does: each
//! sample adds `observations` random observations (uniform count in `[lo, hi]`) to random
//! buckets of index range `buckets` (and `negative_buckets` if given, plus sometimes the
//! zero bucket), with occupied buckets turned into spans that bridge gaps of up to two
//! empty buckets. `kind` is `counter` (default: counts only grow, so new buckets make
//! Prometheus recode chunks; `reset_every` starts from zero every n samples) or `gauge`
//! (fresh counts every sample); `float: true` makes float histograms. `start`, `interval`,
//! `count`, `jitter`, `gaps`, `schema` and `zero_threshold` are as above and for
//! `generator`.
//!
//! A series may mix sample types: all its lists are merged by timestamp (each list keeps
//! its own order), and every change of type starts a new chunk, as in Prometheus.

use std::collections::BTreeMap;

use serde::Deserialize;
use tsblock::histogram::{FloatHistogram, IntHistogram};
use tsblock::labelset::Labels;
use tsblock::writer::{AppendError, BlockWriter};

mod histogram;

pub use histogram::*;

/// A series' labels as the spec spells them, before normalisation ([`Labels::new`]).
pub type LabelPairs = Vec<(String, String)>;

/// The whole spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Block ULID (else `--ulid`, else derived from the seed when one is given, else new).
    #[serde(default)]
    pub ulid: Option<String>,
    /// Seed of the generators (`--seed` overrides it).
    #[serde(default)]
    pub seed: Option<u64>,
    /// `prometheus3` (default) or `prometheus2`.
    #[serde(default)]
    pub flavor: Option<String>,
    /// Chunk range for chunk cutting, ms (default 4h, as for 2h blocks).
    #[serde(default)]
    pub chunk_range: Option<i64>,
    /// The series.
    pub series: Vec<SeriesSpec>,
    /// Deleted ranges.
    #[serde(default)]
    pub deletions: Vec<Deletion>,
}

/// One series, or `repeat` series whose label values have `{i}` replaced by 0..repeat.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Labels (name → value).
    pub labels: BTreeMap<String, String>,
    /// How many series to make from this entry.
    #[serde(default)]
    pub repeat: Option<u32>,
    /// Explicit samples `[t, value]`.
    #[serde(default)]
    pub samples: Vec<(i64, SpecValue)>,
    /// Generated samples (after the explicit ones).
    #[serde(default)]
    pub generator: Option<Generator>,
    /// Explicit integer-count native histograms `[t, histogram]`.
    #[serde(default)]
    pub histograms: Vec<(i64, HistogramSpec)>,
    /// Explicit float-count native histograms `[t, histogram]`.
    #[serde(default)]
    pub float_histograms: Vec<(i64, HistogramSpec)>,
    /// Generated native histograms.
    #[serde(default)]
    pub histogram_generator: Option<HistogramGenerator>,
}

/// One sample of a series, of any type.
#[derive(Debug, Clone)]
pub enum SpecSample {
    /// A float.
    Float(f64),
    /// An integer-count histogram.
    Histogram(IntHistogram),
    /// A float-count histogram.
    FloatHistogram(FloatHistogram),
}

impl SpecSample {
    /// Appends the sample to the block.
    pub fn append_to(
        &self,
        w: &mut BlockWriter,
        labels: &Labels,
        t: i64,
    ) -> Result<(), AppendError> {
        match self {
            SpecSample::Float(v) => w.append(labels, t, *v),
            SpecSample::Histogram(h) => w.append_histogram(labels, t, h),
            SpecSample::FloatHistogram(h) => w.append_float_histogram(labels, t, h),
        }
    }
}

impl SeriesSpec {
    /// Every sample of one of the series, in append order: floats (explicit, then
    /// generated), histograms, float histograms and generated histograms, each list in its
    /// own order, merged by timestamp (ties keep that list order).
    pub fn all_samples(&self, rng: &mut Rng) -> Result<Vec<(i64, SpecSample)>, String> {
        let mut floats = Vec::with_capacity(self.samples.len());
        for (t, v) in &self.samples {
            floats.push((*t, SpecSample::Float(v.to_f64()?)));
        }
        if let Some(g) = &self.generator {
            floats.extend(
                g.samples(rng)?
                    .into_iter()
                    .map(|(t, v)| (t, SpecSample::Float(v))),
            );
        }
        let mut ints = Vec::with_capacity(self.histograms.len());
        for (i, (t, h)) in self.histograms.iter().enumerate() {
            let h = h.to_int().map_err(|e| format!("histograms[{i}]: {e}"))?;
            ints.push((*t, SpecSample::Histogram(h)));
        }
        let mut fl = Vec::with_capacity(self.float_histograms.len());
        for (i, (t, h)) in self.float_histograms.iter().enumerate() {
            let h = h
                .to_float()
                .map_err(|e| format!("float_histograms[{i}]: {e}"))?;
            fl.push((*t, SpecSample::FloatHistogram(h)));
        }
        let generated = match &self.histogram_generator {
            Some(g) => g.samples(rng)?,
            None => Vec::new(),
        };
        Ok(merge_by_time(vec![floats, ints, fl, generated]))
    }
}

/// Merges lists by timestamp without reordering any list (an out-of-order list stays out
/// of order, for the writer to report); on equal timestamps earlier lists go first.
fn merge_by_time(lists: Vec<Vec<(i64, SpecSample)>>) -> Vec<(i64, SpecSample)> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<_> = lists
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    let mut out = Vec::with_capacity(total);
    loop {
        let next = iters
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|(t, _)| (*t, i)))
            .min();
        match next.and_then(|(_, i)| iters[i].next()) {
            Some(s) => out.push(s),
            None => return out,
        }
    }
}

/// A value: a number, `"NaN"`, `"+Inf"`, `"-Inf"`, `"stale"` (Prometheus's stale marker),
/// or exact bits `{"bits": "0x…"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SpecValue {
    /// A JSON number.
    Number(f64),
    /// A named special value.
    Name(String),
    /// Exact IEEE-754 bits.
    Bits {
        /// Hex (`0x…`) or decimal bit pattern.
        bits: String,
    },
}

/// Go's `math.NaN()` bits, which Prometheus stores for NaN.
const GO_NAN: u64 = 0x7ff8_0000_0000_0001;
/// Prometheus's stale marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

impl SpecValue {
    /// The value, or why not.
    pub fn to_f64(&self) -> Result<f64, String> {
        match self {
            SpecValue::Number(v) => Ok(*v),
            SpecValue::Name(n) => match n.as_str() {
                "NaN" | "nan" => Ok(f64::from_bits(GO_NAN)),
                "+Inf" | "Inf" | "inf" => Ok(f64::INFINITY),
                "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
                "stale" => Ok(f64::from_bits(STALE_NAN)),
                other => other
                    .parse::<f64>()
                    .map_err(|_| format!("unknown value {other:?} (use a number, NaN, +Inf, -Inf, stale or {{\"bits\": \"0x…\"}})")),
            },
            SpecValue::Bits { bits } => {
                let parsed = match bits.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => bits.parse::<u64>(),
                };
                parsed
                    .map(f64::from_bits)
                    .map_err(|_| format!("invalid bits {bits:?}"))
            }
        }
    }
}

/// A seeded sample generator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// `constant`, `counter`, `random_walk` or `random`.
    #[serde(rename = "type")]
    pub kind: GeneratorKind,
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
    /// `constant`: the value; `random_walk`: the start value (default 0).
    #[serde(default)]
    pub value: f64,
    /// `counter`: per-sample increase, uniform in `[lo, hi]` (default `[0, 10]`);
    /// `random_walk`: the step, uniform in `[lo, hi]`; `random`: the value range.
    #[serde(default)]
    pub range: Option<(f64, f64)>,
    /// `counter`: reset to 0 every this many samples.
    #[serde(default)]
    pub reset_every: Option<u32>,
    /// Round generated values to integers.
    #[serde(default)]
    pub integer: bool,
}

/// Generator kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorKind {
    /// The same value every time.
    Constant,
    /// A monotonic counter with optional resets.
    Counter,
    /// A random walk.
    RandomWalk,
    /// Independent uniform values.
    Random,
}

/// A deletion: every series whose labels include all of `match` loses `[min_time, max_time]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deletion {
    /// Equality matchers.
    #[serde(rename = "match")]
    pub matchers: BTreeMap<String, String>,
    /// First deleted timestamp (default: the beginning of time).
    #[serde(default = "min_time")]
    pub min_time: i64,
    /// Last deleted timestamp (default: the end of time).
    #[serde(default = "max_time")]
    pub max_time: i64,
}

fn min_time() -> i64 {
    i64::MIN
}

fn max_time() -> i64 {
    i64::MAX
}

/// xorshift64*: small, seeded, reproducible across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, including 0): the state is the seed's
    /// splitmix64 hash, so nearby seeds give unrelated streams.
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // xorshift needs a non-zero state.
        Rng(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi]` for integers.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        (i128::from(lo) + (u128::from(self.next_u64()) % span) as i128) as i64
    }
}

/// Label sets of a series entry (`{i}` expanded).
pub fn expand_labels(spec: &SeriesSpec) -> impl Iterator<Item = LabelPairs> + '_ {
    // One label set at a time: `repeat` may ask for millions.
    let n = spec.repeat.map_or(1, |n| n as u64);
    let repeated = spec.repeat.is_some();
    (0..n).map(move |i| {
        spec.labels
            .iter()
            .map(|(k, v)| {
                let v = if repeated {
                    v.replace("{i}", &i.to_string())
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect()
    })
}

impl Generator {
    /// The generated samples, in time order.
    pub fn samples(&self, rng: &mut Rng) -> Result<Vec<(i64, f64)>, String> {
        if self.interval <= 0 {
            return Err("generator interval must be positive".into());
        }
        if self.jitter < 0
            || self
                .jitter
                .checked_mul(2)
                .is_none_or(|j| j >= self.interval)
        {
            return Err("generator jitter must be in [0, interval/2)".into());
        }
        let (lo, hi) = self.range.unwrap_or(match self.kind {
            GeneratorKind::Counter => (0.0, 10.0),
            GeneratorKind::RandomWalk => (-1.0, 1.0),
            _ => (0.0, 1.0),
        });
        // `count` is the spec's word, not a promise of memory: grow as samples come.
        let mut out = Vec::with_capacity((self.count as usize).min(1 << 16));
        let mut v = match self.kind {
            GeneratorKind::Counter => 0.0,
            _ => self.value,
        };
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
            let step = lo + (hi - lo) * rng.unit();
            v = match self.kind {
                GeneratorKind::Constant => self.value,
                GeneratorKind::Counter => {
                    if self
                        .reset_every
                        .is_some_and(|n| n > 0 && i > 0 && i % n == 0)
                    {
                        0.0
                    } else {
                        v + step.max(0.0)
                    }
                }
                GeneratorKind::RandomWalk => v + step,
                GeneratorKind::Random => step,
            };
            if self.integer {
                v = v.round();
            }
            if self.gaps.iter().any(|&(a, b)| a <= t && t <= b) {
                continue;
            }
            out.push((t, v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsblock::histogram::{CounterResetHint, Span};

    #[test]
    fn nearby_seeds_give_different_streams() {
        let firsts: std::collections::BTreeSet<u64> =
            (0..1000).map(|s| Rng::new(s).next_u64()).collect();
        assert_eq!(firsts.len(), 1000);
        let mut r = Rng::new(5);
        for _ in 0..1000 {
            let x = r.range_i64(-3, 3);
            assert!((-3..=3).contains(&x));
            assert!((0.0..1.0).contains(&r.unit()));
        }
        // The full i64 range must not overflow.
        let _ = r.range_i64(i64::MIN, i64::MAX);
    }

    fn series(json: &str) -> Result<Vec<(i64, SpecSample)>, String> {
        let s: SeriesSpec = serde_json::from_str(json).map_err(|e| e.to_string())?;
        s.all_samples(&mut Rng::new(1))
    }

    #[test]
    fn extreme_generator_fields_are_errors_not_crashes() {
        let err = series(
            r#"{"labels": {"__name__": "h"}, "histogram_generator": {"start": 0, "interval": 1000,
                "count": 1, "buckets": [-2147483648, 2147483647], "observations": [3, 3]}}"#,
        )
        .unwrap_err();
        assert!(err.contains("bucket indexes"), "{err}");
        // A huge count sizes nothing up front (and a tiny interval ends it by overflow).
        let err = series(
            r#"{"labels": {"__name__": "h"}, "generator": {"type": "constant", "start": 9223372036854775000,
                "interval": 100, "count": 4294967295}}"#,
        )
        .unwrap_err();
        assert!(err.contains("overflow"), "{err}");
    }

    #[test]
    fn histograms_parse_with_defaults() {
        let got = series(
            r#"{"labels": {"a": "b"},
                "histograms": [[10, {"zero_count": 1, "positive_spans": [[0, 2], {"offset": 1, "length": 1}],
                                     "positive_buckets": [3, 4, 0], "negative_spans": [[-1, 1]],
                                     "negative_buckets": [2], "sum": 1.5, "hint": "gauge"}],
                               [20, {"sum": "stale"}]],
                "float_histograms": [[15, {"schema": -53, "custom_values": [0.5, 1],
                                           "positive_spans": [[0, 3]], "positive_buckets": [0.5, "NaN", 1],
                                           "counter_reset_hint": "counter_reset"}]],
                "samples": [[5, 1], [30, 2]]}"#,
        )
        .unwrap();
        let times: Vec<i64> = got.iter().map(|s| s.0).collect();
        assert_eq!(times, [5, 10, 15, 20, 30]);
        let SpecSample::Histogram(h) = &got[1].1 else {
            panic!("{got:?}")
        };
        assert_eq!(h.count, 10);
        assert_eq!(h.zero_threshold, 2f64.powi(-128));
        assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
        assert_eq!(
            h.positive_spans[1],
            Span {
                offset: 1,
                length: 1
            }
        );
        let SpecSample::FloatHistogram(f) = &got[2].1 else {
            panic!("{got:?}")
        };
        assert_eq!(f.zero_threshold, 0.0);
        assert!(f.count.is_nan());
        assert_eq!(f.counter_reset_hint, CounterResetHint::CounterReset);
        let SpecSample::Histogram(s) = &got[3].1 else {
            panic!("{got:?}")
        };
        assert!(s.is_stale());
    }

    #[test]
    fn histogram_errors_say_what_is_wrong() {
        for (json, want) in [
            (
                r#"{"positive_spans": [[0, 2]], "positive_buckets": [1]}"#,
                "histograms[0]: positive spans cover 2 buckets, but there are 1",
            ),
            (
                r#"{"positive_spans": [[0, 1]], "positive_buckets": [1.5]}"#,
                "positive_buckets[0]: integer histograms count in non-negative integers",
            ),
            (
                r#"{"positive_spans": [[0, 1]], "positive_buckets": [2], "count": 3}"#,
                "count 3 is not the 2 observations",
            ),
            (
                r#"{"positive_spans": [[0, 1], [-3, 1]], "positive_buckets": [2, 1]}"#,
                "negative offset -3",
            ),
            (r#"{"schema": 9}"#, "invalid schema 9"),
            (
                r#"{"schema": -53, "custom_values": [2, 1]}"#,
                "custom_values must increase",
            ),
            (r#"{"zero_threshold": -1}"#, "zero_threshold -1"),
        ] {
            let spec = format!(r#"{{"labels": {{"a": "b"}}, "histograms": [[1, {json}]]}}"#);
            let err = series(&spec).unwrap_err();
            assert!(err.contains(want), "{json}: {err}");
        }
        let err =
            series(r#"{"labels": {"a": "b"}, "float_histograms": [[1, {"zero_count": -2}]]}"#)
                .unwrap_err();
        assert!(
            err.contains("float_histograms[0]: zero_count: negative count"),
            "{err}"
        );
        assert!(
            series(r#"{"labels": {"a": "b"}, "histograms": [[1, {"bogus": 1}]]}"#)
                .unwrap_err()
                .contains("unknown field")
        );
    }

    #[test]
    fn generated_histograms_are_valid_and_reproducible() {
        let json = r#"{"labels": {"a": "b"},
            "histogram_generator": {"start": 0, "interval": 1000, "count": 300,
                                    "buckets": [-5, 12], "negative_buckets": [0, 3],
                                    "observations": [0, 8], "reset_every": 100}}"#;
        let a = series(json).unwrap();
        let b = series(json).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.len(), 300);
        let mut last = 0;
        for (i, (_, s)) in a.iter().enumerate() {
            let SpecSample::Histogram(h) = s else {
                panic!()
            };
            tsblock::chunkenc::validate_histogram(h, tsblock::chunkenc::Flavor::Prometheus2)
                .unwrap();
            let in_buckets: u64 = h.zero_count
                + h.positive_buckets.iter().sum::<u64>()
                + h.negative_buckets.iter().sum::<u64>();
            assert_eq!(h.count, in_buckets);
            if i % 100 != 0 {
                assert!(h.count >= last);
            }
            last = h.count;
        }
        let mut m = BTreeMap::new();
        for (idx, c) in [(0, 1u64), (2, 2), (3, 1), (7, 5), (-4, 9)] {
            m.insert(idx, c);
        }
        let (spans, counts) = to_spans(&m);
        assert_eq!(
            spans,
            [
                Span {
                    offset: -4,
                    length: 1
                },
                Span {
                    offset: 3,
                    length: 4
                },
                Span {
                    offset: 3,
                    length: 1
                }
            ]
        );
        assert_eq!(counts, [9, 1, 0, 2, 1, 5]);
    }
}
