//! The dump path: Go's `%g` by value shape (ns per value), and a whole block's `tsdb dump`
//! text produced through the library (ns per line: select, merge, decode, format), on one
//! thread. `benches/compare-promtool.sh` times the whole command against promtool.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tsblock::compat::gofmt::{push_float_g, FloatG};
use tsblock::compat::promtool::{push_dump_prefix, DumpLines};
use tsblock::labelset::Labels;
use tsblock::writer::{BlockWriter, BlockWriterOptions, Flavor};
use tsblock::{Db, Querier};

#[path = "../tests/common/mod.rs"]
mod common;
use common::Rng;

const N: usize = 10_000;

fn values(kind: &str) -> Vec<f64> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..N)
        .map(|i| match kind {
            // Counters.
            "integer" => (1_000 + i * 7 + rng.below(5)) as f64,
            // Gauges with a few decimals.
            "short decimal" => (rng.below(100_000) as f64) / 100.0,
            // Full-precision floats (rates, averages).
            "long float" => rng.unit() * 1000.0,
            // A gauge that rarely moves.
            _ => (i / 50) as f64 * 0.5,
        })
        .collect()
}

fn bench_format(c: &mut Criterion) {
    let mut g = c.benchmark_group("format_g");
    g.throughput(Throughput::Elements(N as u64));
    let mut out = Vec::with_capacity(N * 24);
    for kind in ["integer", "short decimal", "long float", "repeating"] {
        let vs = values(kind);
        g.bench_function(kind, |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&vs) {
                    push_float_g(&mut out, v);
                }
                out.len()
            })
        });
        g.bench_function(format!("{kind} (FloatG)"), |b| {
            let mut f = FloatG::new();
            b.iter(|| {
                out.clear();
                for &v in black_box(&vs) {
                    f.push(&mut out, v);
                }
                out.len()
            })
        });
    }
    g.finish();
}

/// A block of 1,000 series × 240 samples: counters, integer and float gauges, constants,
/// at 15 s with jitter.
fn block(dir: &std::path::Path) -> u64 {
    let mut w = BlockWriter::new(BlockWriterOptions {
        flavor: Flavor::Prometheus2,
        ..Default::default()
    });
    let mut rng = Rng(7);
    let mut n = 0;
    for s in 0..1000 {
        let labels = Labels::new([
            ("__name__", format!("metric_{}", s % 10)),
            ("instance", format!("host-{s:04}")),
            ("job", "bench".to_string()),
        ])
        .expect("labels");
        let mut v = 100.0;
        for i in 0..240i64 {
            let t = 1_700_000_000_000 + i * 15_000 + rng.below(100) as i64 - 50;
            v = match s % 4 {
                0 => v + rng.below(20) as f64,
                1 => (v + rng.unit() - 0.5).abs(),
                2 => (rng.below(1 << 20)) as f64,
                _ => 1.0,
            };
            w.append(&labels, t, v).expect("append");
            n += 1;
        }
    }
    w.write(dir).expect("write");
    n
}

fn bench_dump(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lines = block(tmp.path());
    let db = Db::open(tmp.path()).expect("open");
    let mut g = c.benchmark_group("dump");
    g.throughput(Throughput::Elements(lines));
    let mut out = Vec::with_capacity(1 << 20);
    let (mut ts, mut vs, mut prefix) = (Vec::new(), Vec::new(), Vec::new());
    g.bench_function("whole block to memory", |b| {
        b.iter(|| {
            let mut total = 0;
            let mut dl = DumpLines::new();
            for series in db.select(&[], i64::MIN, i64::MAX).expect("select") {
                let series = series.expect("series");
                prefix.clear();
                push_dump_prefix(&mut prefix, series.labels());
                series
                    .float_batches(&mut ts, &mut vs, |ts, vs| {
                        dl.push_batch(&mut out, &prefix, ts, vs);
                        if out.len() > 1 << 20 {
                            total += out.len();
                            out.clear();
                        }
                        Ok::<(), tsblock::Error>(())
                    })
                    .expect("decode");
            }
            total + out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_format, bench_dump);
criterion_main!(benches);
