//! XOR decoding speed, in samples per second (criterion reports time per element).
//!
//! Corpora: the three Prometheus chunk benchmark shapes (120-sample chunks; constant,
//! random ±50 integer steps, random 0–1 increments, the random ones at 15 s with up to
//! 100 ms of jitter), every chunk of the largest fixture block, and every XOR chunk of all
//! fixture blocks. With `TSBLOCK_XOR_BLOCK=PATH` (a block or a data directory, such as one
//! a real Prometheus server wrote) every XOR chunk under PATH is one more corpus, `real-block`.
//!
//! With `TSBLOCK_XOR_CORPUS=DIR` the corpora are also written to `DIR/<name>.chunks`
//! (each chunk as a 4-byte big-endian length and its data) with their checksums, for
//! `tools/go-xor-bench`, which times Prometheus v2.42's Go decoder on the same bytes.

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
        let _ = XorIter::decode_chunk_into(c.as_ref(), ts, vs);
        for (t, v) in ts.iter().zip(vs.iter()) {
            acc = acc.wrapping_add(v.to_bits() ^ *t as u64);
        }
    }
    acc
}

/// Writes `chunks` as `DIR/<name>.chunks` when `TSBLOCK_XOR_CORPUS` is set, and prints
/// the checksum `tools/go-xor-bench` prints for them.
fn export(name: &str, chunks: &[impl AsRef<[u8]>]) {
    let Some(dir) = std::env::var_os("TSBLOCK_XOR_CORPUS") else {
        return;
    };
    let mut out = Vec::new();
    for c in chunks {
        out.extend_from_slice(&(c.as_ref().len() as u32).to_be_bytes());
        out.extend_from_slice(c.as_ref());
    }
    let path = std::path::Path::new(&dir).join(format!("{name}.chunks"));
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(&path, out).expect("write corpus");
    println!("{}: checksum {:016x}", path.display(), decode_all(chunks));
}

fn bench_corpora(c: &mut Criterion) {
    let mut g = c.benchmark_group("xor_decode");
    for kind in ["constant", "random-steps", "random-0-1"] {
        let chunks = corpus(kind);
        export(kind, &chunks);
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
    export("many-series", &chunks);
    let mut g = c.benchmark_group("xor_decode");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("fixture many-series", |b| {
        b.iter(|| decode_all(black_box(&chunks)))
    });
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    g.bench_function("fixture many-series decode_into", |b| {
        b.iter(|| decode_all_into(black_box(&chunks), &mut ts, &mut vs))
    });
    // Every XOR chunk of every fixture block.
    let dbs: Vec<Db> = std::fs::read_dir("testdata/blocks")
        .map(|rd| rd.filter_map(|e| Db::open(e.ok()?.path()).ok()).collect())
        .unwrap_or_default();
    let (all, all_samples) = xor_chunks(&dbs);
    export("all-fixtures", &all);
    g.throughput(Throughput::Elements(all_samples));
    g.bench_function("all fixture blocks", |b| {
        b.iter(|| decode_all(black_box(&all)))
    });
    g.bench_function("all fixture blocks decode_into", |b| {
        b.iter(|| decode_all_into(black_box(&all), &mut ts, &mut vs))
    });
    g.finish();
    // Every XOR chunk of a block a real server wrote, when one is named.
    let Some(path) = std::env::var_os("TSBLOCK_XOR_BLOCK") else {
        return;
    };
    let real = [Db::open(&path).expect("TSBLOCK_XOR_BLOCK opens")];
    let (chunks, samples) = xor_chunks(&real);
    println!(
        "real-block: {} chunks, {samples} samples, {:.1} samples per chunk",
        chunks.len(),
        samples as f64 / chunks.len().max(1) as f64
    );
    export("real-block", &chunks);
    let mut g = c.benchmark_group("xor_decode");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("real block", |b| b.iter(|| decode_all(black_box(&chunks))));
    g.bench_function("real block decode_into", |b| {
        b.iter(|| decode_all_into(black_box(&chunks), &mut ts, &mut vs))
    });
    g.finish();
}

/// Every XOR chunk of every block of `dbs`, and their samples.
fn xor_chunks(dbs: &[Db]) -> (Vec<&[u8]>, u64) {
    let mut all: Vec<&[u8]> = Vec::new();
    let mut samples = 0u64;
    for db in dbs {
        for block in db.blocks() {
            for s in block.series().expect("series") {
                for meta in s.expect("series entry").chunks {
                    let chunk = block.chunk(meta.chunk_ref).expect("chunk");
                    if chunk.encoding == tsblock::chunkenc::Encoding::Xor {
                        samples += u64::from(chunk.num_samples().unwrap_or(0));
                        all.push(chunk.data);
                    }
                }
            }
        }
    }
    (all, samples)
}

criterion_group!(benches, bench_corpora, bench_fixtures);
criterion_main!(benches);
