//! The data set that `tsblock-remote-write send` writes: every series and every sample,
//! computed from fixed seeds, so every run sends exactly the same bytes.
//!
//! Histograms are built the way a client library builds them: each series has a few
//! "observation classes" (a value and how often it was observed); a sample puts every class
//! into its bucket for the sample's schema and zero threshold, and turns the occupied bucket
//! indexes into spans (gaps of at most `fill_gap` buckets are filled with zero buckets).

use std::collections::BTreeMap;

/// First sample of every series: 2023-11-14T22:13:20Z.
pub const BASE: i64 = 1_700_000_000_000;
/// One hour in milliseconds.
pub const HOUR: i64 = 3_600_000;
/// Step of the ordinary series.
pub const STEP: i64 = 60_000;
/// Samples of the ordinary series (3 h).
pub const TICKS: usize = 180;
/// Step of the `dense` series in the first two blocks.
pub const DENSE_STEP: i64 = 15_000;
/// Time of every series' closing sample, sent after the data (tick `TICKS`).
/// It is far enough after the data that head compaction writes all earlier samples into
/// blocks, and it makes the head cut a new chunk for every series, so that no chunk in a
/// block was still open when it was compacted. (2.42 re-encodes open head chunks during
/// compaction, and fails on gauge histograms whose counts go down: "detected unexpected
/// counter reset in histogram".) The closing samples stay in the head.
pub const FLUSH_T: i64 = BASE + 5 * HOUR;
/// Evaluation time of the recorded range queries (the data ends just before it).
pub const QUERY_TIME: i64 = BASE + 3 * HOUR;
/// Range of the recorded range queries (reaches back before `BASE`).
pub const QUERY_RANGE: &str = "4h";
/// `job` label of every series.
pub const JOB: &str = "histogram-fixtures";
/// Prometheus's stale marker (`value.StaleNaN`).
pub const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;
/// Go's `math.NaN()`, what Prometheus stores for an ordinary NaN.
pub const GO_NAN: u64 = 0x7ff8_0000_0000_0001;
/// Prometheus's default zero threshold, 2^-128.
pub const DEFAULT_ZT: f64 = 2.938_735_877_055_719e-39;

/// `prompb.Histogram.ResetHint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Unknown = 0,
    Yes = 1,
    No = 2,
    Gauge = 3,
}

impl Hint {
    pub fn name(self) -> &'static str {
        match self {
            Hint::Unknown => "unknown",
            Hint::Yes => "yes",
            Hint::No => "no",
            Hint::Gauge => "gauge",
        }
    }
}

/// A histogram with absolute bucket counts (`C` = `u64` or `f64`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist<C> {
    pub hint: Hint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: C,
    pub count: C,
    pub sum: f64,
    pub positive_spans: Vec<(i32, u32)>,
    pub positive: Vec<C>,
    pub negative_spans: Vec<(i32, u32)>,
    pub negative: Vec<C>,
}

/// One sample as sent.
#[derive(Debug, Clone)]
pub enum Value {
    /// A float sample (`TimeSeries.samples`). A stale NaN sent this way into a histogram
    /// series is turned into a stale histogram by the head (`headAppender.Append`).
    Float(f64),
    /// An integer histogram (`count_int`, `zero_count_int`, `positive_deltas`, …).
    Histogram(Hist<u64>),
    /// A float histogram (`count_float`, `zero_count_float`, `positive_counts`, …).
    FloatHistogram(Hist<f64>),
}

#[derive(Debug, Clone)]
pub struct Sample {
    pub t: i64,
    pub value: Value,
    /// The closing sample (at `FLUSH_T`): it stays in the head, not in the blocks.
    pub head_only: bool,
}

#[derive(Debug, Clone)]
pub struct Series {
    /// Sorted by name.
    pub labels: Vec<(&'static str, String)>,
    pub samples: Vec<Sample>,
}

impl Series {
    fn new(name: &str, case: &str) -> Series {
        Series {
            labels: vec![
                ("__name__", name.to_string()),
                ("case", case.to_string()),
                ("job", JOB.to_string()),
            ],
            samples: Vec::new(),
        }
    }

    fn push(&mut self, t: i64, value: Value) {
        if let Some(last) = self.samples.last() {
            assert!(t > last.t, "{:?}: samples out of order", self.labels);
        }
        self.samples.push(Sample {
            t,
            value,
            head_only: t >= FLUSH_T,
        });
    }

    /// `name{case="…",job="…"}`.
    pub fn selector(&self) -> String {
        let mut s = self.labels[0].1.clone();
        s.push('{');
        for (i, (k, v)) in self.labels[1..].iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!("{k}=\"{v}\""));
        }
        s.push('}');
        s
    }
}

pub fn stale() -> f64 {
    f64::from_bits(STALE_NAN)
}

pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN
}

/// splitmix64, seeded from the case name (also used by `feed`).
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with the FNV-1a hash of `seed`.
    pub fn new(seed: &str) -> Rng {
        // FNV-1a of the seed string.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.below((hi - lo + 1) as u64) as i64)
    }
}

/// Index of the bucket that holds `|v|` (> 0) at `schema`: the smallest `i` with
/// `|v| <= 2^(i * 2^-schema)`. Values near a boundary are refused, so that no rounding in
/// `log2` can move them.
fn bucket_index(v: f64, schema: i32) -> i32 {
    let x = v.abs().log2() * 2f64.powi(schema);
    assert!(
        (x - x.round()).abs() > 1e-6,
        "observation {v} is too close to a bucket boundary at schema {schema}"
    );
    x.ceil() as i32
}

/// A value in the middle (in log scale) of bucket `index` at `schema`.
fn value_in_bucket(index: i32, schema: i32) -> f64 {
    2f64.powf((f64::from(index) - 0.5) / 2f64.powi(schema))
}

/// Bucket counts: integer or float.
trait Count: Copy + PartialEq + PartialOrd + Default + std::ops::Add<Output = Self> {
    fn is_zero(self) -> bool {
        self == Self::default()
    }
    fn as_f64(self) -> f64;
}

impl Count for u64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Count for f64 {
    fn as_f64(self) -> f64 {
        self
    }
}

/// Occupied bucket indexes and counts → (spans, counts). Gaps of at most `fill_gap`
/// buckets become zero buckets inside a span.
fn spans<C: Count>(buckets: &BTreeMap<i32, C>, fill_gap: i32) -> (Vec<(i32, u32)>, Vec<C>) {
    let mut spans: Vec<(i32, u32)> = Vec::new();
    let mut counts = Vec::new();
    let mut prev: Option<i32> = None;
    for (&idx, &c) in buckets {
        match prev {
            None => spans.push((idx, 1)),
            Some(p) => {
                let gap = idx - p - 1;
                if gap <= fill_gap {
                    for _ in 0..gap {
                        counts.push(C::default());
                    }
                    spans.last_mut().expect("a span").1 += gap as u32 + 1;
                } else {
                    spans.push((gap, 1));
                }
            }
        }
        counts.push(c);
        prev = Some(idx);
    }
    (spans, counts)
}

/// Builds a histogram from observation classes `(value, count)`; classes with count 0 are
/// absent. `count` is computed like Prometheus validates it: (Σ negative + Σ positive) +
/// zero count, so float rounding never makes it smaller than the buckets' total.
fn build<C: Count>(
    hint: Hint,
    schema: i32,
    zero_threshold: f64,
    classes: &[(f64, C)],
    fill_gap: i32,
) -> Hist<C> {
    let mut zero = C::default();
    let mut pos: BTreeMap<i32, C> = BTreeMap::new();
    let mut neg: BTreeMap<i32, C> = BTreeMap::new();
    let mut sum = 0.0;
    for &(v, c) in classes {
        if c.is_zero() {
            continue;
        }
        sum += v * c.as_f64();
        if v.abs() <= zero_threshold {
            zero = zero + c;
        } else if v > 0.0 {
            let e = pos.entry(bucket_index(v, schema)).or_default();
            *e = *e + c;
        } else {
            let e = neg.entry(bucket_index(v, schema)).or_default();
            *e = *e + c;
        }
    }
    let (positive_spans, positive) = spans(&pos, fill_gap);
    let (negative_spans, negative) = spans(&neg, fill_gap);
    let mut n = C::default();
    for &c in &negative {
        n = n + c;
    }
    let mut p = C::default();
    for &c in &positive {
        p = p + c;
    }
    Hist {
        hint,
        schema,
        zero_threshold,
        zero_count: zero,
        count: (n + p) + zero,
        sum,
        positive_spans,
        positive,
        negative_spans,
        negative,
    }
}

/// A stale marker sent as a histogram: the previous histogram with sum = stale NaN.
fn stale_copy<C: Clone>(h: &Hist<C>, hint: Hint) -> Hist<C> {
    Hist {
        hint,
        sum: stale(),
        ..h.clone()
    }
}

/// Time of tick `i`; tick `TICKS` is the closing sample.
fn t(i: usize) -> i64 {
    if i == TICKS {
        FLUSH_T
    } else {
        BASE + i as i64 * STEP
    }
}

/// Ticks of the ordinary series, closing sample included.
const ALL: std::ops::RangeInclusive<usize> = 0..=TICKS;

/// Every series, in the order they are sent within a tick and recorded.
pub fn all_series() -> Vec<Series> {
    vec![
        basic(),
        reset(),
        spans_case(),
        schema_change(),
        zero_threshold(),
        stale_case(),
        dense(),
        float_counter(),
        gauge_float(),
        gauge_int(),
        float_counter_plain(),
        float_gauge_plain(),
        mixed(),
    ]
}

/// Integer counter, schema 0, default zero threshold. New buckets appear mid-chunk (ticks
/// 20, 75, 130: the head recodes the chunk with the merged layout); no resets.
fn basic() -> Series {
    let mut s = Series::new("fixture_native_histogram", "basic");
    let mut rng = Rng::new("basic");
    // (value, first tick with observations)
    let plan: [(f64, usize); 8] = [
        (0.0, 0),
        (0.7, 0),
        (1.5, 0),
        (3.0, 0),
        (6.0, 0),
        (24.0, 20),   // bucket 5: bucket 4 becomes a zero bucket inside the span
        (0.2, 75),    // bucket -2: span grows to the left, bucket -1 filled
        (700.0, 130), // bucket 10: a second span
    ];
    let mut classes: Vec<(f64, u64)> = plan.iter().map(|&(v, _)| (v, 0)).collect();
    for i in ALL {
        for (k, &(_, start)) in plan.iter().enumerate() {
            if i == start {
                classes[k].1 += 1;
            }
            if i >= start {
                classes[k].1 += rng.below(4);
            }
        }
        s.push(
            t(i),
            Value::Histogram(build(Hint::Unknown, 0, DEFAULT_ZT, &classes, 2)),
        );
    }
    s
}

/// Integer counter with negative buckets and four kinds of counter reset.
fn reset() -> Series {
    let mut s = Series::new("fixture_native_histogram", "reset");
    let mut rng = Rng::new("reset");
    let mut classes: Vec<(f64, u64)> = vec![
        (0.0, 3),
        (0.6, 2),
        (1.2, 4),
        (2.5, 1),
        (5.0, 2),
        (-0.8, 1),
        (-3.0, 2),
    ];
    for i in ALL {
        let mut hint = Hint::Unknown;
        match i {
            // Everything starts again from small counts.
            65 => {
                for c in classes.iter_mut() {
                    c.1 = 1 + rng.below(3);
                }
            }
            // Counts keep growing but the sender says "reset".
            125 => hint = Hint::Yes,
            // Only bucket 2 (2.5) drops; the total count still grows.
            150 => {
                let old = classes[3].1;
                classes[3].1 = 1;
                classes[1].1 += old + 5;
            }
            // Only the zero bucket drops; the total count still grows.
            165 => {
                let old = classes[0].1;
                classes[0].1 = 1;
                classes[4].1 += old + 5;
            }
            _ => {
                if i > 0 {
                    for c in classes.iter_mut() {
                        c.1 += rng.below(4);
                    }
                }
            }
        }
        s.push(
            t(i),
            Value::Histogram(build(hint, 0, DEFAULT_ZT, &classes, 2)),
        );
    }
    s
}

/// Integer counter, schema 3, several spans on both sides; buckets appear (recode) and
/// disappear (a new chunk: 2.42 takes any missing bucket for a counter reset).
fn spans_case() -> Series {
    let schema = 3;
    let mut s = Series::new("fixture_native_histogram", "spans");
    let mut rng = Rng::new("spans");
    let v = |idx: i32| value_in_bucket(idx, schema);
    // (value, first tick, last tick)
    let plan: [(f64, usize, usize); 10] = [
        (0.0, 0, TICKS),
        (v(-3), 0, TICKS),
        (v(-2), 0, TICKS),
        (v(5), 0, TICKS),
        (v(6), 0, TICKS),
        (v(7), 0, 84), // disappears at 85 (the right end of a span)
        (-v(2), 0, TICKS),
        (-v(3), 0, TICKS),
        (v(1), 10, TICKS),  // appears in the gap: -1 and 0 become zero buckets
        (-v(9), 30, TICKS), // a new negative span
    ];
    let late = (v(12), 140); // a new positive span
    let mut classes: Vec<(f64, u64)> = plan.iter().map(|&(v, _, _)| (v, 0)).collect();
    classes.push((late.0, 0));
    for i in ALL {
        for (k, &(_, start, end)) in plan.iter().enumerate() {
            if i == start {
                classes[k].1 += 1;
            }
            if i > end {
                classes[k].1 = 0;
            } else if i >= start {
                classes[k].1 += rng.below(3);
            }
        }
        if i == 85 {
            // Keep the total count growing although bucket 7 is gone.
            classes[3].1 += 500;
        }
        if i >= late.1 {
            classes[10].1 += 1 + rng.below(2);
        }
        // From tick 115 on, gaps are no longer filled: zero buckets -1 and 0 disappear.
        let fill_gap = if i < 115 { 2 } else { 0 };
        s.push(
            t(i),
            Value::Histogram(build(Hint::Unknown, schema, DEFAULT_ZT, &classes, fill_gap)),
        );
    }
    s
}

/// Integer counter whose schema changes: 0, -2, 3, -4, 8 (new chunk each time).
fn schema_change() -> Series {
    let mut s = Series::new("fixture_native_histogram", "schema_change");
    let mut rng = Rng::new("schema_change");
    let mut classes: Vec<(f64, u64)> = [0.0, 0.37, 1.3, 2.9, 7.1, 23.0, -0.45, -5.3]
        .iter()
        .map(|&v| (v, 1))
        .collect();
    for i in ALL {
        let schema = match i {
            0..=29 => 0,
            30..=59 => -2,
            60..=99 => 3,
            100..=129 => -4,
            _ => 8,
        };
        if i > 0 {
            for c in classes.iter_mut() {
                c.1 += rng.below(4);
            }
        }
        s.push(
            t(i),
            Value::Histogram(build(Hint::Unknown, schema, DEFAULT_ZT, &classes, 2)),
        );
    }
    s
}

/// Integer counter, schema 1, with custom zero thresholds: 0.001 (not a power of two),
/// then 0.25 (a power of two), then 0.
fn zero_threshold() -> Series {
    let mut s = Series::new("fixture_native_histogram", "zero_threshold");
    let mut rng = Rng::new("zero_threshold");
    let mut classes: Vec<(f64, u64)> = [0.0, 0.0004, -0.0007, 0.1, -0.2, 0.8, 3.3, -1.7]
        .iter()
        .map(|&v| (v, 1))
        .collect();
    for i in ALL {
        let zt = match i {
            0..=59 => 0.001,
            60..=119 => 0.25,
            _ => 0.0,
        };
        if i > 0 {
            for c in classes.iter_mut() {
                c.1 += rng.below(4);
            }
        }
        s.push(
            t(i),
            Value::Histogram(build(Hint::Unknown, 1, zt, &classes, 2)),
        );
    }
    s
}

/// Integer counter with stale markers: sent as histograms whose sum is the stale NaN (ticks
/// 50-51, 107-108 = the first samples of the third block, and the last tick 179), and as
/// a float stale NaN sample (tick 150), each followed by a pause and more samples.
fn stale_case() -> Series {
    let mut s = Series::new("fixture_native_histogram", "stale");
    let mut rng = Rng::new("stale");
    let mut classes: Vec<(f64, u64)> = [0.0, 0.4, 0.9, 1.8, 3.5, -2.2]
        .iter()
        .map(|&v| (v, 1))
        .collect();
    let mut last: Option<Hist<u64>> = None;
    for i in ALL {
        if i > 0 {
            for c in classes.iter_mut() {
                c.1 += rng.below(4);
            }
        }
        match i {
            50 | 51 | 107 | 108 | 179 => {
                let h = stale_copy(last.as_ref().expect("a previous sample"), Hint::Unknown);
                s.push(t(i), Value::Histogram(h));
            }
            150 => s.push(t(i), Value::Float(stale())),
            52..=54 | 151..=154 => {}
            _ => {
                let h = build(Hint::Unknown, 0, DEFAULT_ZT, &classes, 2);
                last = Some(h.clone());
                s.push(t(i), Value::Histogram(h));
            }
        }
    }
    s
}

/// Integer counter scraped every 15 s in the first two blocks (the head cuts one chunk of
/// 187 samples in the first, short block and two of 120 in the second), then every 60 s
/// like the others. Reset hint NO after the first sample.
fn dense() -> Series {
    let mut s = Series::new("fixture_native_histogram", "dense");
    let mut rng = Rng::new("dense");
    let mut classes: Vec<(f64, u64)> = [0.0, 0.3, 1.1].iter().map(|&v| (v, 1)).collect();
    let third_block = (BASE / HOUR + 2) * HOUR;
    let mut times: Vec<i64> = (0..)
        .map(|i| BASE + i * DENSE_STEP)
        .take_while(|&t| t < third_block)
        .collect();
    times.extend((0..TICKS).map(t).filter(|&t| t >= third_block));
    times.push(FLUSH_T);
    for (i, &t) in times.iter().enumerate() {
        if i > 0 {
            for c in classes.iter_mut() {
                c.1 += rng.below(3);
            }
        }
        let hint = if i == 0 { Hint::Unknown } else { Hint::No };
        s.push(t, Value::Histogram(build(hint, 0, DEFAULT_ZT, &classes, 2)));
    }
    s
}

/// Float counter histogram (non-integer counts), a new bucket at tick 50 (recode), a reset
/// at tick 90, a float stale NaN at tick 125 and more samples from tick 130.
fn float_counter() -> Series {
    let mut s = Series::new("fixture_native_float_histogram", "counter");
    let mut rng = Rng::new("float_counter");
    let mut classes: Vec<(f64, f64)> = [0.0, 0.3, 0.75, 1.6, 3.1, -1.1, 12.0]
        .iter()
        .map(|&v| (v, 0.5))
        .collect();
    classes[6].1 = 0.0; // 12.0 from tick 50
    for i in ALL {
        if i == 90 {
            for (k, c) in classes.iter_mut().enumerate() {
                c.1 = if k == 2 { 1.0 / 3.0 } else { 0.5 };
            }
        } else if i > 0 {
            for (k, c) in classes.iter_mut().enumerate() {
                if k == 6 && i < 50 {
                    continue;
                }
                c.1 += if k == 2 {
                    rng.below(4) as f64 / 3.0
                } else {
                    rng.below(5) as f64 * 0.5
                };
                if k == 6 && i == 50 {
                    c.1 += 0.5;
                }
            }
        }
        match i {
            125 => s.push(t(i), Value::Float(stale())),
            126..=129 => {}
            _ => s.push(
                t(i),
                Value::FloatHistogram(build(Hint::Unknown, 0, DEFAULT_ZT, &classes, 2)),
            ),
        }
    }
    s
}

/// Float gauge histogram (reset hint GAUGE): non-integer counts going up and down, buckets
/// vanishing and coming back, schema 2 then 1 (tick 130); stale markers sent as GAUGE
/// histograms with sum = stale NaN (ticks 100-101) and as a float stale NaN (tick 150).
fn gauge_float() -> Series {
    let mut s = Series::new("fixture_native_gauge_histogram", "float");
    let mut rng = Rng::new("gauge_float");
    let values = [0.0, 0.3, 0.55, 1.2, 2.2, 4.1, 9.0, -0.7, -1.9, -6.0];
    // Counts in twelfths, so they can be quarters and thirds.
    let mut twelfths: Vec<i64> = values.iter().map(|_| rng.range(3, 60)).collect();
    let mut last: Option<Hist<f64>> = None;
    for i in ALL {
        if i > 0 {
            for (k, c) in twelfths.iter_mut().enumerate() {
                let step = if k == 4 {
                    4 * rng.range(-3, 3)
                } else {
                    3 * rng.range(-8, 8)
                };
                *c = (*c + step).max(0);
                if k > 0 && rng.below(40) == 0 {
                    *c = 0; // the bucket vanishes (and comes back later)
                }
            }
            twelfths[0] = twelfths[0].max(3); // the zero bucket is never empty
        }
        // 9.0 only exists in ticks 25..=60 and 90..=120.
        if !(25..=60).contains(&i) && !(90..=120).contains(&i) {
            twelfths[6] = 0;
        } else if twelfths[6] == 0 {
            twelfths[6] = 6;
        }
        let schema = if i < 130 { 2 } else { 1 };
        let classes: Vec<(f64, f64)> = values
            .iter()
            .zip(&twelfths)
            .map(|(&v, &c)| (v, c as f64 / 12.0))
            .collect();
        match i {
            100 | 101 => {
                let h = stale_copy(last.as_ref().expect("a previous sample"), Hint::Gauge);
                s.push(t(i), Value::FloatHistogram(h));
            }
            102..=103 => {}
            150 => s.push(t(i), Value::Float(stale())),
            _ => {
                let h = build(Hint::Gauge, schema, DEFAULT_ZT, &classes, 2);
                last = Some(h.clone());
                s.push(t(i), Value::FloatHistogram(h));
            }
        }
    }
    s
}

/// Integer gauge histogram (reset hint GAUGE), schema -1, counts going up and down, buckets
/// vanishing (the head merges the layouts instead of cutting a chunk).
fn gauge_int() -> Series {
    let mut s = Series::new("fixture_native_gauge_histogram", "int");
    let mut rng = Rng::new("gauge_int");
    let values = [0.0, 0.35, 1.4, 3.0, 9.5, 40.0, 150.0, -0.6, -2.5, -20.0];
    let mut counts: Vec<i64> = values.iter().map(|_| rng.range(0, 10)).collect();
    for i in ALL {
        if i > 0 {
            for (k, c) in counts.iter_mut().enumerate() {
                *c = (*c + rng.range(-3, 3)).max(0);
                if k > 0 && rng.below(30) == 0 {
                    *c = 0;
                }
            }
        }
        counts[0] = counts[0].max(1);
        let classes: Vec<(f64, u64)> = values
            .iter()
            .zip(&counts)
            .map(|(&v, &c)| (v, c as u64))
            .collect();
        s.push(
            t(i),
            Value::Histogram(build(Hint::Gauge, -1, DEFAULT_ZT, &classes, 2)),
        );
    }
    s
}

/// Plain float counter (XOR chunks): a stale NaN at tick 75, a pause, a reset at tick 125.
fn float_counter_plain() -> Series {
    let mut s = Series::new("fixture_float", "counter");
    let mut rng = Rng::new("float_counter_plain");
    let mut v = 0u64;
    for i in ALL {
        v += rng.below(20);
        if i == 125 {
            v = 3;
        }
        match i {
            75 => s.push(t(i), Value::Float(stale())),
            76..=79 => {}
            _ => s.push(t(i), Value::Float(v as f64)),
        }
    }
    s
}

/// Plain float gauge (XOR chunks) in tenths, with one ordinary (Go) NaN at tick 38.
fn float_gauge_plain() -> Series {
    let mut s = Series::new("fixture_float", "gauge");
    let mut rng = Rng::new("float_gauge_plain");
    let mut tenths = 500i64;
    for i in ALL {
        tenths = (tenths + rng.range(-20, 20)).clamp(-200, 1500);
        let v = if i == 38 {
            f64::from_bits(GO_NAN)
        } else {
            tenths as f64 / 10.0
        };
        s.push(t(i), Value::Float(v));
    }
    s
}

/// One series that changes kind: floats (ticks 0-49), integer histograms (50-99), float
/// histograms (100-149), floats again (150-179). Every change cuts a chunk of another encoding.
fn mixed() -> Series {
    let mut s = Series::new("fixture_mixed", "kinds");
    let mut rng = Rng::new("mixed");
    let mut classes: Vec<(f64, u64)> = [0.0, 0.5001, 2.0001, -7.0]
        .iter()
        .map(|&v| (v, 1))
        .collect();
    for i in ALL {
        for c in classes.iter_mut() {
            c.1 += rng.below(3);
        }
        let h = build(Hint::Unknown, 0, DEFAULT_ZT, &classes, 2);
        let value = match i {
            0..=49 | 150.. => Value::Float(h.count as f64),
            50..=99 => Value::Histogram(h),
            _ => {
                let fc: Vec<(f64, f64)> =
                    classes.iter().map(|&(v, c)| (v, c as f64 * 0.5)).collect();
                Value::FloatHistogram(build(Hint::Unknown, 0, DEFAULT_ZT, &fc, 2))
            }
        };
        s.push(t(i), value);
    }
    s
}

/// Last timestamp of the data that must end up in blocks.
pub fn last_block_sample(series: &[Series]) -> i64 {
    series
        .iter()
        .flat_map(|s| s.samples.iter())
        .filter(|x| !x.head_only)
        .map(|x| x.t)
        .max()
        .expect("samples")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_fill_small_gaps() {
        let m: BTreeMap<i32, u64> = [(-3, 1), (-2, 2), (1, 3), (5, 4)].into_iter().collect();
        let (sp, c) = spans(&m, 2);
        assert_eq!(sp, vec![(-3, 5), (3, 1)]);
        assert_eq!(c, vec![1, 2, 0, 0, 3, 4]);
    }

    #[test]
    fn data_is_valid() {
        for s in all_series() {
            assert!(!s.samples.is_empty());
        }
    }
}
