//! Chunk metas that repeat or overlap within a series (which Prometheus never writes):
//! read merged, in time order with one sample per timestamp, each chunk decoded once,
//! with a warning naming the series; `verify` reports them.

use std::path::Path;
use std::process::Command;

use tsblock::index::IndexWriter;
use tsblock::{Block, Db};

mod common;
use common::copy_dir;

/// Copies the `values` block to `dir`, its index rewritten by `edit`, which gets each
/// series' index (0-based) and chunk metas, and the metas of every series.
fn rewrite(
    dir: &Path,
    edit: impl Fn(usize, &mut Vec<tsblock::index::ChunkMeta>, &[Vec<tsblock::index::ChunkMeta>]),
) {
    let db = Db::open("testdata/blocks/values").expect("open");
    let src = db.blocks()[0].dir().to_path_buf();
    copy_dir(&src, dir);
    let block = Block::open(&src).expect("open");
    let index = block.index();
    let mut w = IndexWriter::new(Vec::new()).expect("writer");
    let symbols: Vec<&[u8]> = index.symbols().map(|s| s.expect("symbol")).collect();
    w.add_symbols(symbols).expect("symbols");
    let all: Vec<_> = block
        .series()
        .expect("series")
        .map(|s| s.expect("series"))
        .collect();
    let metas: Vec<_> = all.iter().map(|s| s.chunks.clone()).collect();
    for (i, s) in all.iter().enumerate() {
        let mut chunks = s.chunks.clone();
        edit(i, &mut chunks, &metas);
        w.add_series(&s.labels, &chunks).expect("add series");
    }
    std::fs::write(dir.join("index"), w.finish().expect("finish")).expect("write");
}

fn tsblock(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .output()
        .expect("run")
}

/// One chunk listed 1,000 times: the dump is the original's, each sample once, with a
/// warning; `verify` reports the repeated reference.
#[test]
fn a_chunk_listed_a_thousand_times_is_read_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("01M8D5TJ8S2TA0KYB8RW19T3MZ");
    rewrite(&dir, |i, chunks, _| {
        if i == 0 {
            let first = chunks[0];
            chunks.splice(0..1, std::iter::repeat_n(first, 1000));
        }
    });
    let want = tsblock(&["dump", "testdata/blocks/values"]);
    let d = dir.to_str().expect("utf-8");
    let got = tsblock(&["dump", d]);
    assert!(got.status.success());
    assert_eq!(
        String::from_utf8_lossy(&got.stdout),
        String::from_utf8_lossy(&want.stdout)
    );
    let err = String::from_utf8_lossy(&got.stderr);
    assert_eq!(err.matches("overlapping chunks").count(), 1, "{err}");
    let json = tsblock(&["dump", "--format", "json", d]);
    assert_eq!(
        json.stdout,
        tsblock(&["dump", "--format", "json", "testdata/blocks/values"]).stdout
    );
    let report = Block::open(&dir).expect("open").verify();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("which another chunk meta refers to")),
        "{report}"
    );
}

/// A series that also lists another series' chunks, overlapping its own in time: its
/// samples come out merged, timestamps strictly increasing.
#[test]
fn overlapping_chunks_are_merged_in_time_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("01M8D5TJ8S2TA0KYB8RW19T3MZ");
    rewrite(&dir, |i, chunks, all| {
        if i == 0 {
            chunks.extend(all[1].iter().copied());
        }
    });
    let block = Block::open(&dir).expect("open");
    let db_series: Vec<_> = tsblock::query::SeriesSet::new([&block], i64::MIN, i64::MAX)
        .expect("select")
        .map(|s| s.expect("series"))
        .collect();
    let first = &db_series[0];
    assert!(first.has_overlapping_chunks());
    let ts: Vec<i64> = first.samples().map(|s| s.expect("sample").t).collect();
    assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
    let own: std::collections::BTreeSet<i64> = Block::open(Path::new(&dir))
        .expect("open")
        .series()
        .expect("series")
        .next()
        .expect("a series")
        .expect("series")
        .chunks
        .iter()
        .map(|c| c.min_time)
        .collect();
    assert!(!own.is_empty());
    assert!(!db_series[1].has_overlapping_chunks());
}
