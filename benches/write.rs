//! Writing speed: XOR chunk encoding per sample (Prometheus's three benchmark corpora) and
//! whole-block writing (append + index + segments + fsync) per sample.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tsblock::chunkenc::XorAppender;
use tsblock::labelset::Labels;
use tsblock::writer::{BlockWriter, BlockWriterOptions};

#[path = "../tests/common/mod.rs"]
mod common;
use common::Rng;

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("xor_encode");
    for kind in ["constant", "random-steps", "random-0-1"] {
        let samples = common::benchmark_samples(kind, &mut Rng(0x9E37_79B9_7F4A_7C15));
        g.throughput(Throughput::Elements(samples.len() as u64));
        g.bench_function(kind, |b| {
            b.iter(|| {
                let mut a = XorAppender::new();
                for &(t, v) in black_box(&samples) {
                    a.append(t, v);
                }
                a.finish()
            })
        });
    }
    g.finish();
}

fn bench_block(c: &mut Criterion) {
    const SERIES: usize = 1000;
    const SAMPLES: usize = 240;
    let labels: Vec<Labels> = (0..SERIES)
        .map(|i| {
            Labels::new([
                ("__name__", format!("metric_{}", i % 10)),
                ("instance", format!("host-{}:9100", i / 10)),
                ("job", "node".to_string()),
            ])
            .expect("labels")
        })
        .collect();
    let mut g = c.benchmark_group("block_write");
    g.sample_size(10);
    g.throughput(Throughput::Elements((SERIES * SAMPLES) as u64));
    g.bench_function("1000 series x 240 samples", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let mut w = BlockWriter::new(BlockWriterOptions::default());
                let mut rng = Rng(7);
                for i in 0..SAMPLES {
                    for l in &labels {
                        let t = 1_700_000_000_000 + i as i64 * 15_000;
                        w.append(l, t, rng.below(1000) as f64).expect("append");
                    }
                }
                w.write(dir.path()).expect("write")
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_encode, bench_block);
criterion_main!(benches);
