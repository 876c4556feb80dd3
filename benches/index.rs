//! Index open cost and a full series walk over the largest fixture block, plus the whole
//! dump path (series, chunks, samples) without output.
//!
//! `TSBLOCK_BENCH_BLOCK=/path/to/block` adds the open of that block and its first postings
//! lookup (which reads the postings offset table), to show open costs the same on a block
//! of any number of series.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tsblock::index::Index;
use tsblock::{Block, Db, Querier};

fn largest_block() -> Option<std::path::PathBuf> {
    let db = Db::open("testdata/blocks/many-series").ok()?;
    let block = db.blocks().iter().max_by_key(|b| b.size())?;
    Some(block.dir().to_path_buf())
}

fn bench_index(c: &mut Criterion) {
    let Some(dir) = largest_block() else {
        eprintln!("testdata/blocks/many-series missing; skipping");
        return;
    };
    let index_bytes = std::fs::read(dir.join("index")).expect("index");
    let mut g = c.benchmark_group("index");
    g.bench_function("open (in-memory bytes)", |b| {
        b.iter(|| Index::new(black_box(index_bytes.as_slice())).map(|i| i.num_symbols()))
    });
    g.bench_function("Block::open (mmap)", |b| {
        b.iter(|| Block::open(black_box(&dir)).map(|b| b.size()))
    });
    let index = Index::new(index_bytes.as_slice()).expect("index");
    g.bench_function("series walk", |b| {
        let mut labels = Vec::new();
        let mut chunks = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            for id in index.all_postings().expect("postings").into_refs() {
                index.series(id, &mut labels, &mut chunks).expect("series");
                n += labels.len() + chunks.len();
            }
            n
        })
    });
    g.finish();
    if let Some(dir) = std::env::var_os("TSBLOCK_BENCH_BLOCK") {
        let mut g = c.benchmark_group("index_given");
        g.bench_function("Block::open (mmap)", |b| {
            b.iter(|| Block::open(black_box(&dir)).map(|b| b.size()))
        });
        g.sample_size(10);
        g.bench_function("Block::open + postings of __name__", |b| {
            b.iter(|| {
                let block = Block::open(black_box(&dir)).expect("open");
                let values = block.index().label_values(b"__name__").expect("values");
                values.len()
            })
        });
        g.finish();
    }
}

fn bench_select(c: &mut Criterion) {
    let Ok(db) = Db::open("testdata/blocks/many-series") else {
        return;
    };
    c.bench_function("select all + decode every sample", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
                for x in s.expect("series").samples() {
                    n = n.wrapping_add(x.expect("sample").t as u64);
                }
            }
            n
        })
    });
}

criterion_group!(benches, bench_index, bench_select);
criterion_main!(benches);
