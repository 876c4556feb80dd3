//! XOR decoding speed, in samples per second (criterion reports time per element).
//!
//! Corpora: the three Prometheus chunk benchmark shapes (120-sample chunks; constant,
//! random ±50 integer steps, random 0–1 increments, the random ones at 15 s with up to
//! 100 ms of jitter) and every chunk of the largest fixture block.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tsblock::chunkenc::{XorAppender, XorIter};
use tsblock::Db;

#[path = "../tests/common/mod.rs"]
mod common;
use common::Rng;

const SAMPLES_PER_CHUNK: usize = 120;
const CHUNKS: usize = 100;

/// `CHUNKS` chunks of one of Prometheus's benchmark sample shapes.
fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..CHUNKS)
        .map(|_| {
            let mut app = XorAppender::new();
            for (t, v) in common::benchmark_samples(kind, &mut rng) {
                app.append(t, v);
            }
            app.finish()
        })
        .collect()
}

/// Decodes every sample; the sink is integer arithmetic so that no float-add latency chain
/// bounds the measurement.
fn decode_all(chunks: &[impl AsRef<[u8]>]) -> u64 {
    let mut acc = 0u64;
    for c in chunks {
        if let Ok(it) = XorIter::new(c.as_ref()) {
            for (t, v) in it.flatten() {
                acc = acc.wrapping_add(v.to_bits() ^ t as u64);
            }
        }
    }
    acc
}

/// The same through the batch decoder into two reused vectors.
fn decode_all_into(chunks: &[impl AsRef<[u8]>], ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> u64 {
    let mut acc = 0u64;
    for c in chunks {
        ts.clear();
        vs.clear();
        if let Ok(mut it) = XorIter::new(c.as_ref()) {
            let _ = it.decode_into(ts, vs);
        }
        for (t, v) in ts.iter().zip(vs.iter()) {
            acc = acc.wrapping_add(v.to_bits() ^ *t as u64);
        }
    }
    acc
}

fn bench_corpora(c: &mut Criterion) {
    let mut g = c.benchmark_group("xor_decode");
    for kind in ["constant", "random-steps", "random-0-1"] {
        let chunks = corpus(kind);
        let bytes: usize = chunks.iter().map(Vec::len).sum();
        println!("{kind}: {} bytes per 120-sample chunk", bytes / CHUNKS);
        g.throughput(Throughput::Elements((CHUNKS * SAMPLES_PER_CHUNK) as u64));
        g.bench_function(kind, |b| b.iter(|| decode_all(black_box(&chunks))));
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        g.bench_function(format!("{kind} decode_into"), |b| {
            b.iter(|| decode_all_into(black_box(&chunks), &mut ts, &mut vs))
        });
    }
    g.finish();
}

fn bench_fixtures(c: &mut Criterion) {
    let Ok(db) = Db::open("testdata/blocks/many-series") else {
        eprintln!("testdata/blocks/many-series missing; skipping the fixture benchmark");
        return;
    };
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut samples = 0u64;
    for block in db.blocks() {
        for s in block.series().expect("series") {
            for meta in s.expect("series entry").chunks {
                let chunk = block.chunk(meta.chunk_ref).expect("chunk");
                samples += u64::from(chunk.num_samples().unwrap_or(0));
                chunks.push(chunk.data);
            }
        }
    }
    let mut g = c.benchmark_group("xor_decode");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("fixture many-series", |b| {
        b.iter(|| decode_all(black_box(&chunks)))
    });
    g.finish();
}

criterion_group!(benches, bench_corpora, bench_fixtures);
criterion_main!(benches);
