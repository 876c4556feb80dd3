//! Native-histogram chunk decoding, ns per sample by bucket count, for integer (encoding
//! 2) and float (encoding 3) chunks of 120 samples; and every histogram chunk of the
//! fixture a Prometheus 2.42 server wrote. Report next to the XOR figures (`benches/xor.rs`).

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use tsblock::chunkenc::{
    Encoding, FloatHistogramAppender, FloatHistogramIter, HistogramAppender, HistogramIter,
};
use tsblock::histogram::{FloatHistogram, IntHistogram, Span};
use tsblock::Block;

const SAMPLES: usize = 120;

/// xorshift64*: deterministic counts without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A counter histogram with `buckets` positive buckets in two spans, growing by random
/// increments each scrape (15 s apart).
fn int_chunk(buckets: u32, rng: &mut Rng) -> Vec<u8> {
    let half = buckets / 2;
    let mut h = IntHistogram {
        schema: 3,
        zero_threshold: 2f64.powi(-128),
        positive_spans: vec![
            Span {
                offset: -2,
                length: half,
            },
            Span {
                offset: 3,
                length: buckets - half,
            },
        ],
        positive_buckets: vec![0; buckets as usize],
        ..IntHistogram::default()
    };
    let mut a = HistogramAppender::new();
    for i in 0..SAMPLES {
        let mut total = 0;
        for b in h.positive_buckets.iter_mut() {
            *b += rng.below(5);
            total += *b;
        }
        h.zero_count += rng.below(2);
        h.count = total + h.zero_count;
        h.sum += rng.below(1000) as f64 / 10.0;
        a.append_raw(1_700_000_000_000 + 15_000 * i as i64, &h)
            .expect("append");
    }
    a.finish()
}

/// A gauge float histogram with `buckets` positive buckets whose counts wander.
fn float_chunk(buckets: u32, rng: &mut Rng) -> Vec<u8> {
    let mut h = FloatHistogram {
        schema: 1,
        zero_threshold: 0.001,
        positive_spans: vec![Span {
            offset: 0,
            length: buckets,
        }],
        positive_buckets: vec![1.0; buckets as usize],
        ..FloatHistogram::default()
    };
    let mut a = FloatHistogramAppender::new();
    for i in 0..SAMPLES {
        let mut total = 0.0;
        for b in h.positive_buckets.iter_mut() {
            *b = (*b + rng.below(100) as f64 / 8.0 - 6.0).max(0.0);
            total += *b;
        }
        h.count = total;
        h.sum = total * 1.5;
        a.append_raw(1_700_000_000_000 + 15_000 * i as i64, &h)
            .expect("append");
    }
    a.finish()
}

fn decode_int(data: &[u8]) -> u64 {
    let mut it = HistogramIter::new(data).expect("chunk");
    let mut acc = 0;
    while let Some(t) = it.next() {
        let t = t.expect("sample");
        acc += it.at().count ^ t as u64;
    }
    acc
}

fn decode_float(data: &[u8]) -> f64 {
    let mut it = FloatHistogramIter::new(data).expect("chunk");
    let mut acc = 0.0;
    while let Some(t) = it.next() {
        t.expect("sample");
        acc += it.at().count;
    }
    acc
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut g = c.benchmark_group("histogram_decode");
    g.throughput(Throughput::Elements(SAMPLES as u64));
    for buckets in [2u32, 8, 32, 128] {
        let int = int_chunk(buckets, &mut rng);
        let float = float_chunk(buckets, &mut rng);
        assert_eq!(HistogramIter::new(&int).expect("chunk").count(), SAMPLES);
        assert_eq!(
            FloatHistogramIter::new(&float).expect("chunk").count(),
            SAMPLES
        );
        eprintln!(
            "{buckets:>3} buckets: integer chunk {} bytes, float chunk {} bytes",
            int.len(),
            float.len()
        );
        g.bench_with_input(BenchmarkId::new("integer", buckets), &int, |b, d| {
            b.iter(|| decode_int(black_box(d)))
        });
        g.bench_with_input(BenchmarkId::new("float", buckets), &float, |b, d| {
            b.iter(|| decode_float(black_box(d)))
        });
    }
    g.finish();

    // Every histogram chunk a real 2.42 server wrote.
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/blocks/native-histograms");
    let blocks: Vec<Block> = std::fs::read_dir(&dir)
        .expect("fixture")
        .map(|e| Block::open(e.expect("entry").path()).expect("open"))
        .collect();
    let mut chunks: Vec<(Encoding, Vec<u8>)> = Vec::new();
    for b in &blocks {
        for s in b.series().expect("series") {
            for m in s.expect("series").chunks {
                let ch = b.chunk(m.chunk_ref).expect("chunk");
                if ch.encoding != Encoding::Xor {
                    chunks.push((ch.encoding, ch.data.to_vec()));
                }
            }
        }
    }
    let samples: u64 = chunks
        .iter()
        .map(|(e, d)| match e {
            Encoding::Histogram => HistogramIter::new(d).expect("chunk").count() as u64,
            _ => FloatHistogramIter::new(d).expect("chunk").count() as u64,
        })
        .sum();
    let mut g = c.benchmark_group("histogram_decode_fixture");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("server_2_42_chunks", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for (e, d) in &chunks {
                match e {
                    Encoding::Histogram => acc += decode_int(d) as f64,
                    _ => acc += decode_float(d),
                }
            }
            acc
        })
    });
    g.finish();
    c.final_summary();
}
