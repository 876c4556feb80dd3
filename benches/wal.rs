//! Reading a head: WAL framing and decompression (MB/s), record decoding (samples/s) and a
//! whole replay into a queryable head (samples/s), on a generated ≥ 100 MB WAL.
//!
//! The WAL is what a server scraping 40 targets of 500 series every 15 s for 3 h writes:
//! 20,000 series records, then a snappy-compressed samples record per target and scrape
//! (14.4 M samples, about 125 MB in 128 MiB segments). Counters grow by integer steps,
//! gauges wander, timestamps carry ±25 ms of jitter (the same shape `tsblock-write wal`
//! writes, for `benches/compare-promtool-head.sh`).

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tsblock::head::{Head, HeadOptions};
use tsblock::labels::Label;
use tsblock::record::encode::{encode_samples, encode_series};
use tsblock::record::{self, RefSample, RefSeries};
use tsblock::wlog::{Compression, RecordReader, SegmentWriter};

const SERIES: usize = 20_000;
const PER_TARGET: usize = 500;
const SCRAPES: usize = 720;
const SEGMENT: usize = 128 << 20;

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The segments and the number of samples.
fn generate() -> (Vec<Vec<u8>>, u64) {
    let mut segs = Vec::new();
    let mut seg = SegmentWriter::new(Compression::Snappy);
    let mut log = |seg: &mut SegmentWriter, rec: &[u8]| {
        if seg.len() + rec.len() > SEGMENT {
            segs.push(std::mem::replace(seg, SegmentWriter::new(Compression::Snappy)).finish());
        }
        seg.log(rec);
    };
    let targets = SERIES / PER_TARGET;
    for t in 0..targets {
        let owned: Vec<[String; 4]> = (0..PER_TARGET)
            .map(|i| {
                [
                    format!("node_metric_{}", i % 97),
                    format!("host-{t:05}:9100"),
                    "node".to_string(),
                    i.to_string(),
                ]
            })
            .collect();
        let series: Vec<RefSeries> = owned
            .iter()
            .enumerate()
            .map(|(i, v)| RefSeries {
                series_ref: (t * PER_TARGET + i) as u64 + 1,
                labels: ["__name__", "instance", "job", "series"]
                    .iter()
                    .zip(v)
                    .map(|(n, v)| Label {
                        name: n.as_bytes(),
                        value: v.as_bytes(),
                    })
                    .collect(),
            })
            .collect();
        log(&mut seg, &encode_series(&series));
    }
    let mut rng = 1u64;
    let mut values: Vec<f64> = (0..SERIES)
        .map(|_| (next(&mut rng) % 1000) as f64)
        .collect();
    let mut batch = Vec::with_capacity(PER_TARGET);
    let mut n = 0u64;
    for s in 0..SCRAPES {
        for t in 0..targets {
            let ts = 1_700_000_000_000 + s as i64 * 15_000 + (next(&mut rng) % 51) as i64 - 25;
            batch.clear();
            for (i, v) in values
                .iter_mut()
                .enumerate()
                .skip(t * PER_TARGET)
                .take(PER_TARGET)
            {
                match i % 10 {
                    0..=4 => *v += (next(&mut rng) % 20) as f64,
                    5..=8 => *v += ((next(&mut rng) % 2001) as f64 - 1000.0) / 1000.0,
                    _ => {}
                }
                batch.push(RefSample {
                    series_ref: i as u64 + 1,
                    t: ts,
                    v: *v,
                });
            }
            n += batch.len() as u64;
            log(&mut seg, &encode_samples(&batch));
        }
    }
    segs.push(seg.finish());
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
