//! Native histograms written by tsblock: the appenders against the decoders (property
//! tests over both Prometheus flavours), chunk cutting, whole blocks read back, the
//! `spec-histograms` fixture, and — when `testdata/blocks/native-histograms/` exists —
//! byte-exactness against blocks a Prometheus 2.42 server wrote.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use tsblock::chunkenc::{
    AppendOutcome, CounterResetHeader, Encoding, FloatHistogramAppender, FloatHistogramIter,
    HistogramAppender, HistogramIter, XorIter,
};
use tsblock::histogram::{
    Count, CounterResetHint, FloatHistogram, Histogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA,
    STALE_NAN_BITS,
};
use tsblock::labelset::Labels;
use tsblock::writer::{BlockWriter, BlockWriterOptions, Flavor};
use tsblock::{Block, Db};

mod common;

const STALE: f64 = f64::from_bits(STALE_NAN_BITS);
const GO_NAN: u64 = 0x7ff8_0000_0000_0001;
const HOUR: i64 = 3_600_000;

/// A sample of any type.
#[derive(Debug, Clone)]
enum Value {
    Float(f64),
    Int(IntHistogram),
    Float2(FloatHistogram),
}

/// A chunk read back from a block.
#[derive(Debug)]
struct ReadChunk {
    encoding: Encoding,
    header: Option<CounterResetHeader>,
    min_time: i64,
    max_time: i64,
    data: Vec<u8>,
    samples: Vec<(i64, Value)>,
}

fn decode_chunk(
    encoding: Encoding,
    data: &[u8],
) -> (Option<CounterResetHeader>, Vec<(i64, Value)>) {
    let mut out = Vec::new();
    match encoding {
        Encoding::Xor => {
            for r in XorIter::new(data).expect("xor") {
                let (t, v) = r.expect("xor sample");
                out.push((t, Value::Float(v)));
            }
            (None, out)
        }
        Encoding::Histogram => {
            let mut it = HistogramIter::new(data).expect("histogram");
            let header = it.counter_reset_header();
            while let Some(t) = it.next() {
                out.push((t.expect("histogram sample"), Value::Int(it.at().clone())));
            }
            (Some(header), out)
        }
        Encoding::FloatHistogram => {
            let mut it = FloatHistogramIter::new(data).expect("float histogram");
            let header = it.counter_reset_header();
            while let Some(t) = it.next() {
                out.push((
                    t.expect("float histogram sample"),
                    Value::Float2(it.at().clone()),
                ));
            }
            (Some(header), out)
        }
        e => panic!("unexpected encoding {e}"),
    }
}

fn labels_of(l: &[tsblock::labels::Label<'_>]) -> Labels {
    Labels::from(l)
}

/// Every series of a block with its chunks, decoded.
fn read_block(block: &Block) -> Vec<(Labels, Vec<ReadChunk>)> {
    let mut out = Vec::new();
    for s in block.series().expect("series") {
        let s = s.expect("series");
        let mut chunks = Vec::new();
        for m in &s.chunks {
            let c = block.chunk(m.chunk_ref).expect("chunk");
            let (header, samples) = decode_chunk(c.encoding, c.data);
            assert_eq!(samples.first().map(|s| s.0), Some(m.min_time));
            assert_eq!(samples.last().map(|s| s.0), Some(m.max_time));
            chunks.push(ReadChunk {
                encoding: c.encoding,
                header,
                min_time: m.min_time,
                max_time: m.max_time,
                data: c.data.to_vec(),
                samples,
            });
        }
        out.push((labels_of(&s.labels), chunks));
    }
    out
}

/// Exact bits of a count, for bit-exact comparisons.
trait Bits: Count {
    fn bits(self) -> u64;
}

impl Bits for u64 {
    fn bits(self) -> u64 {
        self
    }
}

impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// A float as the chunk stores it: −0 thresholds and bounds come back as +0.
fn norm(v: f64) -> u64 {
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

fn bucket_map<C: Bits>(spans: &[Span], counts: &[C]) -> BTreeMap<i64, u64> {
    let mut out = BTreeMap::new();
    let mut next = 0i64;
    let mut counts = counts.iter();
    for (i, s) in spans.iter().enumerate() {
        let start = if i == 0 {
            i64::from(s.offset)
        } else {
            next + i64::from(s.offset)
        };
        for k in 0..i64::from(s.length) {
            out.insert(start + k, counts.next().expect("count").bits());
        }
        next = start + i64::from(s.length);
    }
    out
}

/// The decoded sample is the appended one: bit-exact values; the chunk may have more
/// (empty) buckets than the sample, inserted by a recode.
fn same<C: Bits>(want: &Histogram<C>, got: &Histogram<C>) -> Result<(), String> {
    if want.is_stale() {
        return if got.is_stale() {
            Ok(())
        } else {
            Err(format!("want a stale marker, got {got:?}"))
        };
    }
    let ok = want.schema == got.schema
        && norm(want.zero_threshold) == norm(got.zero_threshold)
        && want.zero_count.bits() == got.zero_count.bits()
        && want.count.bits() == got.count.bits()
        && want.sum.to_bits() == got.sum.to_bits()
        && want
            .custom_values
            .iter()
            .map(|v| norm(*v))
            .collect::<Vec<_>>()
            == got
                .custom_values
                .iter()
                .map(|v| norm(*v))
                .collect::<Vec<_>>()
        && (want.counter_reset_hint == CounterResetHint::Gauge)
            == (got.counter_reset_hint == CounterResetHint::Gauge);
    if !ok {
        return Err(format!("want {want:?}\n got {got:?}"));
    }
    for (spans, counts, gspans, gcounts) in [
        (
            &want.positive_spans,
            &want.positive_buckets,
            &got.positive_spans,
            &got.positive_buckets,
        ),
        (
            &want.negative_spans,
            &want.negative_buckets,
            &got.negative_spans,
            &got.negative_buckets,
        ),
    ] {
        let w = bucket_map(spans, counts);
        let g = bucket_map(gspans, gcounts);
        for (idx, bits) in &g {
            let expect = w.get(idx).copied().unwrap_or(0);
            if *bits != expect {
                return Err(format!(
                    "bucket {idx}: want {expect:x}, got {bits:x}\nwant {want:?}\n got {got:?}"
                ));
            }
        }
        if let Some(idx) = w.keys().find(|i| !g.contains_key(i)) {
            return Err(format!("bucket {idx} missing\nwant {want:?}\n got {got:?}"));
        }
    }
    Ok(())
}

fn same_value(want: &Value, got: &Value) -> Result<(), String> {
    match (want, got) {
        (Value::Float(a), Value::Float(b)) if a.to_bits() == b.to_bits() => Ok(()),
        (Value::Int(a), Value::Int(b)) => same(a, b),
        (Value::Float2(a), Value::Float2(b)) => same(a, b),
        _ => Err(format!("want {want:?}, got {got:?}")),
    }
}

/// A seeded stream of histograms that a client library might send: growing counters
/// that gain buckets, resets, schema and zero-threshold changes, empty buckets that come
/// and go, gauges, NaN sums and stale markers.
struct Gen {
    rng: u64,
    float: bool,
    v2: bool,
    schema: i32,
    zt: f64,
    custom: Vec<f64>,
    pos: BTreeMap<i32, f64>,
    neg: BTreeMap<i32, f64>,
    zero: f64,
    sum: f64,
    gauge: bool,
}

impl Gen {
    fn new(seed: u64, float: bool, v2: bool) -> Gen {
        Gen {
            rng: seed | 1,
            float,
            v2,
            schema: 0,
            zt: 2f64.powi(-128),
            custom: Vec::new(),
            pos: BTreeMap::new(),
            neg: BTreeMap::new(),
            zero: 0.0,
            sum: 0.0,
            gauge: false,
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An increment: integers for integer histograms, any non-negative float otherwise.
    fn inc(&mut self) -> f64 {
        match (self.float, self.below(6)) {
            (_, 0) => 0.0,
            (false, 1) => self.below(1 << 40) as f64,
            (false, _) => self.below(20) as f64,
            (true, 1) => f64::from_bits(self.next() >> 2).abs(),
            (true, 2) => 0.1 * self.below(100) as f64,
            (true, _) => self.below(20) as f64 * 0.25,
        }
    }

    fn new_bucket(&mut self, negative: bool) {
        let limit = if self.schema == CUSTOM_BUCKETS_SCHEMA {
            self.custom.len() as u64 + 1
        } else {
            40
        };
        let idx = if self.schema == CUSTOM_BUCKETS_SCHEMA {
            self.below(limit) as i32
        } else {
            self.below(limit) as i32 - 20
        };
        let c = self.inc();
        let side = if negative && self.schema != CUSTOM_BUCKETS_SCHEMA {
            &mut self.neg
        } else {
            &mut self.pos
        };
        *side.entry(idx).or_insert(0.0) += c;
    }

    fn step(&mut self) {
        match self.below(24) {
            // Counter growth in existing buckets.
            0..=8 => {
                let keys: Vec<_> = self.pos.keys().copied().collect();
                for k in keys {
                    let c = self.inc();
                    *self.pos.entry(k).or_default() += c;
                }
                let keys: Vec<_> = self.neg.keys().copied().collect();
                for k in keys {
                    let c = self.inc();
                    *self.neg.entry(k).or_default() += c;
                }
                if self.schema != CUSTOM_BUCKETS_SCHEMA {
                    self.zero += self.inc();
                }
                self.sum += self.inc();
            }
            // New buckets (recode).
            9..=12 => {
                for _ in 0..=self.below(3) {
                    let negative = self.below(3) == 0;
                    self.new_bucket(negative);
                }
            }
            // Counter reset.
            13 => {
                self.pos.clear();
                self.neg.clear();
                self.zero = 0.0;
                self.sum = 0.0;
                self.new_bucket(false);
            }
            // A bucket disappears (empty or not).
            14 | 15 => {
                let nth = self.below(8) as usize;
                if let Some(&k) = self.pos.keys().nth(nth) {
                    if self.below(2) == 0 {
                        self.pos.insert(k, 0.0);
                    } else {
                        self.pos.remove(&k);
                    }
                }
            }
            // Schema change (custom buckets only where Prometheus has them).
            16 => {
                if !self.v2 && self.below(3) == 0 {
                    self.schema = CUSTOM_BUCKETS_SCHEMA;
                    let n = 1 + self.below(12);
                    let mut b = 0.0;
                    self.custom = (0..n)
                        .map(|_| {
                            b += match self.below(3) {
                                0 => 0.001 * (1 + self.below(5000)) as f64,
                                1 => 1e-7 * (1 + self.below(1000)) as f64,
                                _ => (1 + self.below(100_000)) as f64,
                            };
                            b
                        })
                        .collect();
                    self.zt = 0.0;
                    self.zero = 0.0;
                    self.neg.clear();
                    let limit = self.custom.len() as i32;
                    self.pos.retain(|k, _| (0..=limit).contains(k));
                } else {
                    self.schema = self.below(13) as i32 - 4;
                    self.custom.clear();
                    if self.zt == 0.0 {
                        self.zt = 2f64.powi(-128);
                    }
                }
            }
            // Zero threshold change.
            17 => {
                if self.schema != CUSTOM_BUCKETS_SCHEMA {
                    let choices = [
                        0.0,
                        2f64.powi(-128),
                        0.001,
                        0.5,
                        1e-300,
                        2f64.powi(-243),
                        2f64.powi(10),
                        2f64.powi(11),
                        -0.0,
                    ];
                    self.zt = choices[self.below(choices.len() as u64) as usize];
                }
            }
            // Gauge on/off: a gauge moves both ways.
            18 => self.gauge = !self.gauge,
            _ => {
                if self.gauge {
                    let keys: Vec<_> = self.pos.keys().copied().collect();
                    for k in keys {
                        let c = self.inc();
                        self.pos.insert(k, c);
                    }
                }
                self.sum += self.inc();
            }
        }
    }

    /// The current state as a sample (sometimes a stale marker or a NaN sum).
    fn sample(&mut self) -> (IntHistogram, FloatHistogram) {
        let mut h = FloatHistogram {
            counter_reset_hint: if self.gauge {
                CounterResetHint::Gauge
            } else {
                match self.below(40) {
                    0 => CounterResetHint::CounterReset,
                    1 => CounterResetHint::NotCounterReset,
                    _ => CounterResetHint::Unknown,
                }
            },
            schema: self.schema,
            zero_threshold: self.zt,
            zero_count: self.zero,
            count: 0.0,
            sum: self.sum,
            custom_values: self.custom.clone(),
            ..FloatHistogram::default()
        };
        for (map, spans, counts) in [
            (&self.pos, &mut h.positive_spans, &mut h.positive_buckets),
            (&self.neg, &mut h.negative_spans, &mut h.negative_buckets),
        ] {
            let mut next = 0i32;
            for (&idx, &c) in map {
                match spans.last_mut() {
                    Some(s) if idx == next => s.length += 1,
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
        }
        h.count = h.zero_count
            + h.positive_buckets.iter().sum::<f64>()
            + h.negative_buckets.iter().sum::<f64>();
        match self.below(30) {
            0 => h.sum = STALE,
            1 => {
                h.sum = f64::from_bits(GO_NAN);
                h.count += self.below(3) as f64;
            }
            _ => {}
        }
        let int = IntHistogram {
            counter_reset_hint: h.counter_reset_hint,
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count: h.zero_count as u64,
            count: h.count as u64,
            sum: h.sum,
            positive_spans: h.positive_spans.clone(),
            negative_spans: h.negative_spans.clone(),
            positive_buckets: h.positive_buckets.iter().map(|c| *c as u64).collect(),
            negative_buckets: h.negative_buckets.iter().map(|c| *c as u64).collect(),
            custom_values: h.custom_values.clone(),
        };
        (int, h)
    }
}

/// `n` samples of one kind with increasing, irregular timestamps.
fn samples(seed: u64, n: usize, float: bool, v2: bool) -> Vec<(i64, Value)> {
    let mut g = Gen::new(seed, float, v2);
    let mut t = (g.next() % 2_000_000_000_000) as i64 - 1_000_000_000_000;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        t += match g.below(10) {
            0 => 1,
            1 => 1 + g.below(1 << 40) as i64,
            2 => 15_000 + g.below(100) as i64,
            _ => 15_000,
        };
        g.step();
        let (i, f) = g.sample();
        out.push((
            t,
            if float {
                Value::Float2(f)
            } else {
                Value::Int(i)
            },
        ));
    }
    out
}

/// Encodes samples with the appender alone (a chunk per cut) and decodes them back.
fn appender_round_trip(input: &[(i64, Value)], v2: bool) -> Result<(), String> {
    let mut chunks: Vec<(Encoding, Vec<u8>)> = Vec::new();
    let mut int = HistogramAppender::with_flavor(if v2 {
        Flavor::Prometheus2
    } else {
        Flavor::Prometheus3
    });
    let mut flt = FloatHistogramAppender::with_flavor(if v2 {
        Flavor::Prometheus2
    } else {
        Flavor::Prometheus3
    });
    for (t, v) in input {
        match v {
            Value::Int(h) => {
                if let AppendOutcome::Cut(n) = int.append(*t, h).map_err(|e| e.to_string())? {
                    chunks.push((Encoding::Histogram, std::mem::replace(&mut int, n).finish()));
                }
            }
            Value::Float2(h) => {
                if let AppendOutcome::Cut(n) = flt.append(*t, h).map_err(|e| e.to_string())? {
                    chunks.push((
                        Encoding::FloatHistogram,
                        std::mem::replace(&mut flt, n).finish(),
                    ));
                }
            }
            Value::Float(_) => unreachable!(),
        }
    }
    if !int.is_empty() {
        chunks.push((Encoding::Histogram, int.finish()));
    }
    if !flt.is_empty() {
        chunks.push((Encoding::FloatHistogram, flt.finish()));
    }
    let decoded: Vec<(i64, Value)> = chunks
        .iter()
        .flat_map(|(e, d)| decode_chunk(*e, d).1)
        .collect();
    if decoded.len() != input.len() {
        return Err(format!("{} samples in, {} out", input.len(), decoded.len()));
    }
    for (i, ((tw, w), (tg, g))) in input.iter().zip(&decoded).enumerate() {
        if tw != tg {
            return Err(format!("sample {i}: time {tw} became {tg}"));
        }
        same_value(w, g).map_err(|e| format!("sample {i} (v2={v2}): {e}"))?;
    }
    Ok(())
}

fn series_labels(name: &str) -> Labels {
    Labels::new([("__name__", name)]).expect("labels")
}

/// The samples as a block stores them: a float stale marker after a histogram is a
/// histogram stale marker.
fn as_stored(samples: &[(i64, Value)]) -> Vec<(i64, Value)> {
    let mut out: Vec<(i64, Value)> = Vec::with_capacity(samples.len());
    for (t, v) in samples {
        let v = match (v, out.last().map(|l| &l.1)) {
            (Value::Float(f), Some(Value::Int(_))) if f.to_bits() == STALE_NAN_BITS => {
                Value::Int(IntHistogram {
                    sum: STALE,
                    ..IntHistogram::default()
                })
            }
            (Value::Float(f), Some(Value::Float2(_))) if f.to_bits() == STALE_NAN_BITS => {
                Value::Float2(FloatHistogram {
                    sum: STALE,
                    ..FloatHistogram::default()
                })
            }
            _ => v.clone(),
        };
        out.push((*t, v));
    }
    out
}

/// Writes series with `BlockWriter`, reads the block back and compares every sample.
fn block_round_trip(series: &[(Labels, Vec<(i64, Value)>)], flavor: Flavor) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut w = BlockWriter::new(BlockWriterOptions {
        flavor,
        ..BlockWriterOptions::default()
    });
    for (labels, samples) in series {
        for (t, v) in samples {
            match v {
                Value::Float(f) => w.append(labels, *t, *f),
                Value::Int(h) => w.append_histogram(labels, *t, h),
                Value::Float2(h) => w.append_float_histogram(labels, *t, h),
            }
            .map_err(|e| format!("{labels:?} at {t}: {e}"))?;
        }
    }
    let meta = w
        .write(tmp.path())
        .map_err(|e| e.to_string())?
        .ok_or("empty")?;
    let block = Block::open(tmp.path().join(&meta.ulid)).map_err(|e| e.to_string())?;
    block.verify().into_result().map_err(|e| e.to_string())?;
    let read = read_block(&block);
    let expected: Vec<(Labels, Vec<(i64, Value)>)> = series
        .iter()
        .map(|(l, s)| (l.clone(), as_stored(s)))
        .collect();
    let mut want: Vec<&(Labels, Vec<(i64, Value)>)> = expected.iter().collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    if read.len() != want.len() {
        return Err(format!("{} series in, {} out", want.len(), read.len()));
    }
    let (mut total, mut hist) = (0u64, 0u64);
    for ((labels, chunks), (wl, ws)) in read.iter().zip(want) {
        if labels != wl {
            return Err(format!("{labels:?} vs {wl:?}"));
        }
        let got: Vec<&(i64, Value)> = chunks.iter().flat_map(|c| &c.samples).collect();
        if got.len() != ws.len() {
            return Err(format!(
                "{labels:?}: {} samples in, {} out",
                ws.len(),
                got.len()
            ));
        }
        for ((tw, vw), (tg, vg)) in ws.iter().zip(got) {
            if tw != tg {
                return Err(format!("{labels:?}: time {tw} became {tg}"));
            }
            same_value(vw, vg).map_err(|e| format!("{labels:?} at {tw}: {e}"))?;
        }
        for c in chunks {
            if c.samples.len() > usize::from(u16::MAX) {
                return Err("chunk too long".into());
            }
            // Chunks never span a chunk-range boundary (default range: 4h).
            // Prometheus's `rangeForTimestamp` (truncating division, also below zero).
            if c.max_time >= (c.min_time / (4 * HOUR)) * (4 * HOUR) + 4 * HOUR {
                return Err(format!(
                    "chunk {}..{} crosses a range",
                    c.min_time, c.max_time
                ));
            }
        }
        total += ws.len() as u64;
        hist += chunks
            .iter()
            .filter(|c| c.encoding != Encoding::Xor)
            .map(|c| c.samples.len() as u64)
            .sum::<u64>();
    }
    let stats = &block.meta().stats;
    if stats.num_samples != total {
        return Err(format!("numSamples {} != {total}", stats.num_samples));
    }
    let (want_f, want_h) = match flavor {
        Flavor::Prometheus3 => (total - hist, hist),
        _ => (0, 0),
    };
    if (stats.num_float_samples, stats.num_histogram_samples) != (want_f, want_h) {
        return Err(format!("per-type stats {stats:?}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn appender_round_trips(seed in any::<u64>(), n in 1usize..400, float in any::<bool>(), v2 in any::<bool>()) {
        let input = samples(seed, n, float, v2);
        prop_assert_eq!(appender_round_trip(&input, v2), Ok(()));
    }

    #[test]
    fn appender_round_trips_any_timestamps(seed in any::<u64>(), ts in proptest::collection::vec(any::<i64>(), 1..60), float in any::<bool>()) {
        let mut input = samples(seed, ts.len(), float, false);
        for (s, t) in input.iter_mut().zip(ts) {
            s.0 = t;
        }
        prop_assert_eq!(appender_round_trip(&input, false), Ok(()));
    }

    #[test]
    fn blocks_round_trip(seed in any::<u64>(), n in 1usize..300, v2 in any::<bool>()) {
        let flavor = if v2 { Flavor::Prometheus2 } else { Flavor::Prometheus3 };
        let mut series = Vec::new();
        for (k, float) in [(0u64, false), (1, true)] {
            series.push((series_labels(&format!("h{k}")), samples(seed.wrapping_add(k), n, float, v2)));
        }
        // A series that switches between floats, histograms and float histograms.
        let mut mixed = Vec::new();
        let ints = samples(seed ^ 0x55, n, false, v2);
        let floats = samples(seed ^ 0xaa, n, true, v2);
        let mut t = 0i64;
        let mut g = Gen::new(seed, false, v2);
        for i in 0..n {
            t += 1 + g.below(60_000) as i64;
            let v = match (i / (1 + g.below(40) as usize)) % 3 {
                0 => Value::Float(if g.below(20) == 0 { STALE } else { i as f64 }),
                1 => ints[i].1.clone(),
                _ => floats[i].1.clone(),
            };
            mixed.push((t, v));
        }
        series.push((series_labels("mixed"), mixed));
        prop_assert_eq!(block_round_trip(&series, flavor), Ok(()));
    }
}

/// Writes one series and returns its chunks.
fn write_series(flavor: Flavor, chunk_range: i64, samples: &[(i64, Value)]) -> Vec<ReadChunk> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions {
        flavor,
        chunk_range,
        ..BlockWriterOptions::default()
    });
    let labels = series_labels("s");
    for (t, v) in samples {
        match v {
            Value::Float(f) => w.append(&labels, *t, *f),
            Value::Int(h) => w.append_histogram(&labels, *t, h),
            Value::Float2(h) => w.append_float_histogram(&labels, *t, h),
        }
        .expect("append");
    }
    let meta = w.write(tmp.path()).expect("write").expect("block");
    let block = Block::open(tmp.path().join(meta.ulid)).expect("open");
    read_block(&block).pop().expect("series").1
}

/// A counter histogram with `buckets` buckets, all growing.
fn growing(i: u64, buckets: u32, step: u64) -> IntHistogram {
    let counts: Vec<u64> = (0..u64::from(buckets))
        .map(|b| i * step * (b % 7 + 1))
        .collect();
    IntHistogram {
        zero_threshold: 2f64.powi(-128),
        count: counts.iter().sum(),
        sum: i as f64 * 1.5,
        positive_spans: vec![Span {
            offset: -3,
            length: buckets,
        }],
        positive_buckets: counts,
        ..IntHistogram::default()
    }
}

/// `n` counter histograms with `buckets` buckets growing by pseudo-random amounts (about
/// 1.5 bytes per bucket and sample).
fn noisy(n: u64, buckets: usize) -> Vec<IntHistogram> {
    let mut rng = common::Rng(0x9E37_79B9_7F4A_7C15);
    let mut counts = vec![0u64; buckets];
    (0..n)
        .map(|_| {
            for c in counts.iter_mut() {
                *c += rng.next() % 200;
            }
            IntHistogram {
                zero_threshold: 2f64.powi(-128),
                count: counts.iter().sum(),
                sum: rng.unit() * 1e6,
                positive_spans: vec![Span {
                    offset: 0,
                    length: buckets as u32,
                }],
                positive_buckets: counts.clone(),
                ..IntHistogram::default()
            }
        })
        .collect()
}

#[test]
fn prometheus_2x_histogram_chunks_are_cut_like_float_chunks() {
    // 2.42's head cuts histogram chunks with the same sample-count rules as XOR chunks.
    for (interval, n) in [(15_000i64, 1500u64), (1000, 3000), (60_000, 400)] {
        let ts: Vec<i64> = (0..n as i64)
            .map(|i| 1_700_000_000_000 + i * interval)
            .collect();
        let floats: Vec<(i64, Value)> = ts.iter().map(|&t| (t, Value::Float(t as f64))).collect();
        let hists: Vec<(i64, Value)> = ts
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, Value::Int(growing(i as u64, 5, 3))))
            .collect();
        let a = write_series(Flavor::Prometheus2, 2 * HOUR, &floats);
        let b = write_series(Flavor::Prometheus2, 2 * HOUR, &hists);
        let ra: Vec<_> = a.iter().map(|c| (c.min_time, c.max_time)).collect();
        let rb: Vec<_> = b.iter().map(|c| (c.min_time, c.max_time)).collect();
        assert_eq!(ra, rb, "interval {interval}");
        assert!(b.iter().all(|c| c.encoding == Encoding::Histogram));
        // Only the first chunk has an unknown header; later cuts continue a chunk that
        // would have taken the sample.
        let headers: Vec<_> = b.iter().map(|c| c.header.unwrap()).collect();
        assert_eq!(headers[0], CounterResetHeader::Unknown);
        assert!(headers[1..]
            .iter()
            .all(|h| *h == CounterResetHeader::NotCounterReset));
    }
}

#[test]
fn prometheus_3x_histogram_chunks_aim_at_1024_bytes() {
    let ts = |i: u64| 1_700_000_000_000 + i as i64 * 15_000;
    // Small samples: chunks grow to about 1 KiB, never past 2 KiB plus one sample.
    let small: Vec<(i64, Value)> = noisy(3000, 12)
        .into_iter()
        .enumerate()
        .map(|(i, h)| (ts(i as u64), Value::Int(h)))
        .collect();
    let chunks = write_series(Flavor::Prometheus3, 2 * HOUR, &small);
    assert!(chunks.len() > 5);
    for c in &chunks {
        assert!(c.data.len() < 2048 + 200, "{} bytes", c.data.len());
    }
    let full: Vec<_> = chunks
        .iter()
        .filter(|c| (c.max_time + 15_000) % (2 * HOUR) != 0 && c.max_time != ts(2999))
        .collect();
    let avg = full.iter().map(|c| c.data.len()).sum::<usize>() / full.len().max(1);
    assert!((700..=2048).contains(&avg), "average {avg} bytes");
    // Huge samples: every chunk holds the minimum of 10 samples (until the range ends).
    let huge: Vec<(i64, Value)> = (0..95)
        .map(|i| (ts(i), Value::Int(growing(i, 3000, 977))))
        .collect();
    let chunks = write_series(Flavor::Prometheus3, 2 * HOUR, &huge);
    let lens: Vec<usize> = chunks.iter().map(|c| c.samples.len()).collect();
    assert_eq!(lens, [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    // 2.x has no byte target: 95 samples make one chunk.
    let chunks = write_series(Flavor::Prometheus2, 2 * HOUR, &huge);
    assert_eq!(chunks.len(), 1);
}

#[test]
fn sample_type_changes_cut_chunks() {
    let h = growing(1, 3, 1);
    let fh = FloatHistogram {
        count: 1.5,
        zero_count: 1.5,
        zero_threshold: 0.001,
        sum: 2.0,
        ..FloatHistogram::default()
    };
    let samples = vec![
        (1000, Value::Float(1.0)),
        (2000, Value::Float(2.0)),
        (3000, Value::Int(h.clone())),
        (4000, Value::Int(h.clone())),
        (5000, Value::Float2(fh.clone())),
        (6000, Value::Float(STALE)),
        (7000, Value::Float(3.0)),
        (8000, Value::Int(h)),
        (9000, Value::Float(STALE)),
    ];
    for flavor in [Flavor::Prometheus2, Flavor::Prometheus3] {
        let chunks = write_series(flavor, 2 * HOUR, &samples);
        let shape: Vec<(Encoding, usize)> = chunks
            .iter()
            .map(|c| (c.encoding, c.samples.len()))
            .collect();
        assert_eq!(
            shape,
            [
                (Encoding::Xor, 2),
                (Encoding::Histogram, 2),
                // The float stale NaN after a float histogram is a float-histogram stale marker.
                (Encoding::FloatHistogram, 2),
                (Encoding::Xor, 1),
                (Encoding::Histogram, 2),
            ]
        );
        // Every chunk after a type change starts with an unknown counter-reset header.
        for c in chunks.iter().filter(|c| c.header.is_some()) {
            assert_eq!(c.header, Some(CounterResetHeader::Unknown));
        }
    }
}

#[test]
fn counter_resets_recodes_and_headers_in_blocks() {
    use CounterResetHeader as H;
    let span = |offset, length| Span { offset, length };
    let h = |count: u64, spans: Vec<Span>, buckets: Vec<u64>| IntHistogram {
        zero_threshold: 2f64.powi(-128),
        count,
        sum: count as f64,
        positive_spans: spans,
        positive_buckets: buckets,
        ..IntHistogram::default()
    };
    let samples = vec![
        (1000, Value::Int(h(3, vec![span(0, 2)], vec![1, 2]))),
        // A new bucket: the chunk is recoded.
        (2000, Value::Int(h(6, vec![span(0, 3)], vec![2, 2, 2]))),
        (3000, Value::Int(h(9, vec![span(0, 3)], vec![2, 3, 4]))),
        // Counter reset.
        (4000, Value::Int(h(1, vec![span(0, 1)], vec![1]))),
        // Bucket 1 shows up empty, then goes away.
        (5000, Value::Int(h(3, vec![span(0, 3)], vec![2, 0, 1]))),
        (
            6000,
            Value::Int(h(5, vec![span(0, 1), span(1, 1)], vec![3, 2])),
        ),
    ];
    let v3 = write_series(Flavor::Prometheus3, 2 * HOUR, &samples);
    let shape: Vec<(usize, H)> = v3
        .iter()
        .map(|c| (c.samples.len(), c.header.unwrap()))
        .collect();
    assert_eq!(shape, [(3, H::Unknown), (3, H::CounterReset)]);
    let Value::Int(first) = &v3[0].samples[0].1 else {
        panic!()
    };
    assert_eq!(first.positive_buckets, [1, 2, 0]);
    // 2.42 calls the empty bucket's disappearance a counter reset.
    let v2 = write_series(Flavor::Prometheus2, 2 * HOUR, &samples);
    let shape: Vec<(usize, H)> = v2
        .iter()
        .map(|c| (c.samples.len(), c.header.unwrap()))
        .collect();
    assert_eq!(
        shape,
        [(3, H::Unknown), (2, H::CounterReset), (1, H::CounterReset)]
    );
}

#[test]
fn histogram_chunks_stop_at_the_chunk_range() {
    let samples: Vec<(i64, Value)> = (0..100)
        .map(|i| (i * 60_000, Value::Int(growing(i as u64, 4, 2))))
        .collect();
    for flavor in [Flavor::Prometheus2, Flavor::Prometheus3] {
        let chunks = write_series(flavor, HOUR, &samples);
        for c in &chunks {
            assert_eq!(c.min_time / HOUR, c.max_time / HOUR, "{flavor:?}");
        }
        assert!(chunks.len() >= 2);
    }
}

#[test]
fn duplicates_and_invalid_histograms() {
    let labels = series_labels("d");
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    let h = growing(2, 3, 1);
    w.append_histogram(&labels, 1000, &h).expect("first");
    // The same histogram again is ignored; another one at that time is an error.
    w.append_histogram(&labels, 1000, &h).expect("duplicate");
    let other = growing(3, 3, 1);
    assert!(w.append_histogram(&labels, 1000, &other).is_err());
    assert!(w.append(&labels, 1000, 1.0).is_err());
    assert!(w.append_histogram(&labels, 999, &other).is_err());
    let mut bad = growing(3, 3, 1);
    bad.positive_buckets.pop();
    let err = w.append_histogram(&labels, 2000, &bad).unwrap_err();
    let report = tsblock::error::Report(&err).to_string();
    assert!(report.contains("spans cover 3 buckets"), "{report}");
    let mut custom = growing(3, 3, 1);
    custom.schema = CUSTOM_BUCKETS_SCHEMA;
    custom.custom_values = vec![1.0, 2.0, 3.0];
    let mut w2 = BlockWriter::new(BlockWriterOptions {
        flavor: Flavor::Prometheus2,
        ..BlockWriterOptions::default()
    });
    assert!(w2.append_histogram(&labels, 1, &custom).is_err());
    w.append_histogram(&labels, 2000, &other)
        .expect("valid after errors");
}

/// Float histograms at one timestamp are duplicates when equal bit for bit, as Go's
/// `Equals` has it: a NaN bucket equals itself, `-0` differs from `0`.
#[test]
fn float_histogram_duplicates_compare_bits() {
    let labels = series_labels("f");
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    let h = FloatHistogram {
        zero_threshold: 0.001,
        count: 3.0,
        zero_count: 0.0,
        positive_spans: vec![Span {
            offset: 0,
            length: 2,
        }],
        positive_buckets: vec![1.0, f64::NAN],
        ..FloatHistogram::default()
    };
    w.append_float_histogram(&labels, 1000, &h).expect("first");
    w.append_float_histogram(&labels, 1000, &h)
        .expect("the same, NaN included, is a duplicate");
    let mut minus_zero = h.clone();
    minus_zero.zero_count = -0.0;
    assert!(w
        .append_float_histogram(&labels, 1000, &minus_zero)
        .is_err());
}

/// The checked-in `spec-histograms` block (3.x flavour): everything decodes and the chunk
/// headers show the cuts the spec asks for.
#[test]
fn spec_histograms_fixture() {
    use CounterResetHeader as H;
    let dir = common::testdata().join("blocks/spec-histograms");
    let db = Db::open(&dir).expect("open");
    let block = &db.blocks()[0];
    block.verify().into_result().expect("verify");
    let series = read_block(block);
    let find = |name: &str, case: &str| {
        &series
            .iter()
            .find(|(l, _)| {
                l.get(b"__name__") == Some(name.as_bytes())
                    && l.get(b"case") == Some(case.as_bytes())
            })
            .expect("series")
            .1
    };
    let shape = |chunks: &[ReadChunk]| -> Vec<(Encoding, usize, Option<H>)> {
        chunks
            .iter()
            .map(|c| (c.encoding, c.samples.len(), c.header))
            .collect()
    };
    let hist = Encoding::Histogram;
    assert_eq!(
        shape(find("spec_histogram", "counter")),
        [
            // Grows, gains buckets (recoded), then resets.
            (hist, 4, Some(H::Unknown)),
            (hist, 2, Some(H::CounterReset)),
            // Schema change, then a stale marker that stays in the chunk.
            (hist, 2, Some(H::Unknown)),
            // After the stale marker.
            (hist, 1, Some(H::Unknown)),
            // Zero threshold change (then a new bucket, recoded).
            (hist, 2, Some(H::Unknown)),
            // Forced by the counter_reset hint; an empty bucket vanishes (3.x keeps it).
            (hist, 4, Some(H::CounterReset)),
        ]
    );
    let fh = Encoding::FloatHistogram;
    assert_eq!(
        shape(find("spec_histogram", "gauge_float")),
        [
            (fh, 4, Some(H::Gauge)),
            (fh, 1, Some(H::Gauge)),
            // A stale marker without the gauge hint does not go into a gauge chunk.
            (fh, 1, Some(H::Unknown)),
            (fh, 2, Some(H::Gauge)),
        ]
    );
    assert_eq!(
        shape(find("spec_histogram", "mixed_types")),
        [
            (Encoding::Xor, 3, None),
            (hist, 4, Some(H::Unknown)),
            (fh, 3, Some(H::Unknown)),
            (Encoding::Xor, 2, None),
        ]
    );
    let generated = find("spec_histogram_generated", "counter");
    assert!(generated.iter().map(|c| c.samples.len()).sum::<usize>() > 120);
    assert!(generated.iter().any(|c| c.header == Some(H::CounterReset)));
    assert!(generated
        .iter()
        .any(|c| c.header == Some(H::NotCounterReset)));
    let stats = &block.meta().stats;
    assert_eq!(
        stats.num_samples,
        stats.num_float_samples + stats.num_histogram_samples
    );
    assert_eq!(stats.num_float_samples, 5);
}

/// Blocks of a Prometheus 2.42 server (`testdata/blocks/native-histograms/` if present, or
/// the data directory in `TSBLOCK_SERVER_HISTOGRAM_BLOCKS`): every histogram chunk,
/// re-encoded sample by sample with the 2.x appender, is the server's chunk byte for byte;
/// and every series, replayed through the 2.x `BlockWriter`, comes out as the same chunks.
#[test]
fn prometheus_2x_server_histogram_chunks_are_reproduced() {
    let dir = match std::env::var_os("TSBLOCK_SERVER_HISTOGRAM_BLOCKS") {
        Some(d) => d.into(),
        None => common::testdata().join("blocks/native-histograms"),
    };
    if !dir.is_dir() {
        eprintln!("{} not present: skipped", dir.display());
        return;
    }
    let db = Db::open(&dir).expect("open");
    // The head's chunk range is the (minimum) block duration: a whole number of hours
    // covering every block.
    let longest = db
        .blocks()
        .iter()
        .map(|b| b.meta().max_time - b.meta().min_time)
        .max()
        .unwrap_or(1);
    let chunk_range = (longest + HOUR - 1) / HOUR * HOUR;
    let (mut chunks, mut same_chunks, mut padded) = (0usize, 0usize, 0usize);
    // Series → all chunks across the blocks, in time order.
    let mut all: BTreeMap<Labels, Vec<ReadChunk>> = BTreeMap::new();
    for block in db.blocks() {
        for (labels, cs) in read_block(block) {
            for c in &cs {
                if c.encoding == Encoding::Xor {
                    continue;
                }
                chunks += 1;
                let ours = reencode(c, true);
                // With 3.x's bit writer the chunk is one byte shorter when 2.x padded it.
                let v3 = reencode(c, false);
                if v3.len() + 1 == ours.len() && ours.starts_with(&v3) {
                    padded += 1;
                }
                if ours == c.data {
                    same_chunks += 1;
                } else {
                    eprintln!(
                        "{labels:?} {}..{}: {} bytes, ours {}",
                        c.min_time,
                        c.max_time,
                        c.data.len(),
                        ours.len()
                    );
                }
            }
            all.entry(labels).or_default().extend(cs);
        }
    }
    eprintln!(
        "re-encoded {same_chunks}/{chunks} histogram chunks byte for byte \
         ({padded} with 2.x's trailing zero byte)"
    );
    assert!(chunks > 0);
    assert_eq!(same_chunks, chunks);

    // Replay: the head of 2.42 cut these chunks; so must the 2.x writer.
    let (mut series_same, mut series_total) = (0, 0);
    for (labels, server) in &all {
        series_total += 1;
        let replay = replay_series(labels, server, chunk_range);
        let theirs: Vec<(i64, i64, &[u8])> = server
            .iter()
            .map(|c| (c.min_time, c.max_time, c.data.as_slice()))
            .collect();
        let ours: Vec<(i64, i64, &[u8])> = replay
            .iter()
            .map(|c| (c.min_time, c.max_time, c.data.as_slice()))
            .collect();
        if ours == theirs {
            series_same += 1;
        } else {
            let (a, b): (Vec<_>, Vec<_>) = (
                theirs.iter().map(|c| (c.0, c.1, c.2.len())).collect(),
                ours.iter().map(|c| (c.0, c.1, c.2.len())).collect(),
            );
            eprintln!("{labels:?}: server chunks {a:?}\n  replayed {b:?}");
        }
    }
    eprintln!("replayed {series_same}/{series_total} series chunk for chunk");
    assert_eq!(series_same, series_total);
}

/// A server chunk re-encoded from its decoded samples (the layout is the chunk's, so a
/// chunk Prometheus recoded comes out as recoded).
fn reencode(c: &ReadChunk, v2: bool) -> Vec<u8> {
    let header = c.header.expect("histogram chunk");
    match c.encoding {
        Encoding::Histogram => {
            let mut a = HistogramAppender::with_flavor(if v2 {
                Flavor::Prometheus2
            } else {
                Flavor::Prometheus3
            });
            for (t, v) in &c.samples {
                let Value::Int(h) = v else { unreachable!() };
                a.append_raw(*t, h).expect("append");
            }
            a.set_counter_reset_header(header);
            a.finish()
        }
        _ => {
            let mut a = FloatHistogramAppender::with_flavor(if v2 {
                Flavor::Prometheus2
            } else {
                Flavor::Prometheus3
            });
            for (t, v) in &c.samples {
                let Value::Float2(h) = v else { unreachable!() };
                a.append_raw(*t, h).expect("append");
            }
            a.set_counter_reset_header(header);
            a.finish()
        }
    }
}

/// Feeds a series' decoded samples to the 2.x writer, with the hints 2.42's iterator
/// gives them (`CounterReset` for the first sample of a counter-reset chunk; stale
/// markers in gauge chunks keep the gauge hint the decoder drops).
fn replay_series(labels: &Labels, server: &[ReadChunk], chunk_range: i64) -> Vec<ReadChunk> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions {
        flavor: Flavor::Prometheus2,
        chunk_range,
        ..BlockWriterOptions::default()
    });
    for c in server {
        for (i, (t, v)) in c.samples.iter().enumerate() {
            let hint = match c.header {
                Some(CounterResetHeader::Gauge) => CounterResetHint::Gauge,
                Some(CounterResetHeader::CounterReset) if i == 0 => CounterResetHint::CounterReset,
                _ if i == 0 => CounterResetHint::Unknown,
                _ => CounterResetHint::NotCounterReset,
            };
            match v {
                Value::Float(f) => w.append(labels, *t, *f),
                Value::Int(h) => {
                    let mut h = h.clone();
                    h.counter_reset_hint = hint;
                    w.append_histogram(labels, *t, &h)
                }
                Value::Float2(h) => {
                    let mut h = h.clone();
                    h.counter_reset_hint = hint;
                    w.append_float_histogram(labels, *t, &h)
                }
            }
            .expect("append");
        }
    }
    let meta = w.write(tmp.path()).expect("write").expect("block");
    let block = Block::open(tmp.path().join(meta.ulid)).expect("open");
    read_block(&block).pop().expect("series").1
}

#[test]
fn writer_blocks_with_histograms_open_in_a_data_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    let labels = series_labels("x");
    for i in 0..200u64 {
        w.append_histogram(&labels, i as i64 * 15_000, &growing(i, 6, 2))
            .expect("append");
    }
    let meta = w.write(tmp.path()).expect("write").expect("block");
    let db = Db::open(tmp.path()).expect("db");
    assert_eq!(db.blocks().len(), 1);
    assert_eq!(meta.stats.num_histogram_samples, 200);
    assert_eq!(meta.stats.num_float_samples, 0);
    let _ = Path::new(&meta.ulid);
}
