//! Reading a head: WAL framing and decompression (MB/s), record decoding (samples/s) and a
//! whole replay into a queryable head (samples/s), on a generated ≥ 100 MB WAL.
//!
//! The WAL is what a server scraping 40 targets of 500 series every 15 s for 3 h writes:
//! 20,000 series records, then a snappy-compressed samples record per target and scrape
//! (14.4 M samples, about 125 MB in 128 MiB segments). Counters grow by integer steps,
//! gauges wander, timestamps carry ±25 ms of jitter: `tools/src/walshape.rs`, the
//! generator `tsblock-write wal` uses for `benches/compare-promtool-head.sh`.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tsblock::head::{Head, HeadOptions};
use tsblock::record;
use tsblock::wlog::RecordReader;

#[path = "../tools/src/walshape.rs"]
#[allow(dead_code)]
mod walshape;

/// The segments and the number of samples.
fn generate() -> (Vec<Vec<u8>>, u64) {
    let shape = walshape::WalShape {
        series: 20_000,
        per_target: 500,
        scrapes: 720,
        interval: 15_000,
        start: 1_700_000_000_000,
        seed: 1,
    };
    let mut segs = Vec::new();
    let n = walshape::generate(shape, |s| {
        segs.push(s);
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|e| match e {});
    (segs, n)
}

fn write(dir: &Path, segs: &[Vec<u8>]) {
    std::fs::create_dir_all(dir.join("wal")).expect("mkdir");
    for (i, s) in segs.iter().enumerate() {
        std::fs::write(dir.join("wal").join(format!("{i:08}")), s).expect("write");
    }
}

fn bench(c: &mut Criterion) {
    let (segs, samples) = generate();
    let bytes: u64 = segs.iter().map(|s| s.len() as u64).sum();
    assert!(bytes >= 100 << 20, "WAL is only {bytes} bytes");
    let mut g = c.benchmark_group("wal");
    g.sample_size(10);

    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("read_records", |b| {
        b.iter(|| {
            let mut records = 0u64;
            for s in &segs {
                let mut r = RecordReader::new(s);
                while let Some(rec) = r.next_record().expect("record") {
                    records += black_box(rec.data.len()) as u64 & 1;
                }
            }
            records
        })
    });

    g.throughput(Throughput::Elements(samples));
    g.bench_function("decode_samples", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            for s in &segs {
                let mut r = RecordReader::new(s);
                while let Some(rec) = r.next_record().expect("record") {
                    if rec.data.first() == Some(&2) {
                        out.clear();
                        record::samples_into(rec.data, &mut out).expect("samples");
                        n += out.len();
                    }
                }
            }
            n
        })
    });

    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), &segs);
    g.bench_function("replay", |b| {
        b.iter(|| {
            let head = Head::open(tmp.path(), HeadOptions::default()).expect("replay");
            black_box(head.stats().samples)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
