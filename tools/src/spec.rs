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
//!                    "gaps": [[1800000, 2700000]]}}
//!   ],
//!   "deletions": [{"match": {"job": "a"}, "min_time": 1500, "max_time": 2500}]
//! }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use tsblock::writer::Labels;

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
pub fn expand_labels(spec: &SeriesSpec) -> Vec<Labels> {
    let base: Labels = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match spec.repeat {
        None => vec![base],
        Some(n) => (0..n)
            .map(|i| {
                base.iter()
                    .map(|(k, v)| (k.clone(), v.replace("{i}", &i.to_string())))
                    .collect()
            })
            .collect(),
    }
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
        let mut out = Vec::with_capacity(self.count as usize);
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
}
