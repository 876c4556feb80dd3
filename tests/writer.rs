//! The block writer against real blocks: every promtool-made fixture block is rebuilt from
//! its own samples with the Prometheus 2.x flavour and must come out byte for byte the
//! same (index, chunk segments, meta.json); the 3.x flavour must read back the same samples.

use std::path::Path;

use tsblock::chunkenc::XorIter;
use tsblock::labelset::{Labels, LabelsError};
use tsblock::tombstones::Interval;
use tsblock::ulid::Ulid;
use tsblock::writer::{BlockWriter, BlockWriterOptions, Flavor};
use tsblock::{Block, Db, Querier};

mod common;

/// promtool's block duration for a fixture (from its `--max-block-duration`), in ms.
fn block_duration(name: &str) -> i64 {
    let hours = std::fs::read_to_string(
        common::testdata()
            .join("inputs")
            .join(format!("{name}.args")),
    )
    .ok()
    .and_then(|a| {
        a.trim()
            .strip_prefix("--max-block-duration=")?
            .strip_suffix('h')?
            .parse::<i64>()
            .ok()
    })
    .unwrap_or(2);
    // promtool picks the largest 2h * 3^k not above the requested duration.
    let mut d = 2;
    while d * 3 <= hours {
        d *= 3;
    }
    d * 3_600_000
}

/// Every series of a block with its raw samples (tombstones not applied).
fn raw_samples(block: &Block) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut out = Vec::new();
    for s in block.series().expect("series") {
        let s = s.expect("series");
        // Straight from the index's bytes: no detour through text.
        let labels = Labels::from(&s.labels[..]);
        let mut samples = Vec::new();
        for c in &s.chunks {
            let chunk = block.chunk(c.chunk_ref).expect("chunk");
            samples.extend(
                XorIter::new(chunk.data)
                    .expect("xor")
                    .map(|r| r.expect("sample")),
            );
        }
        out.push((labels, samples));
    }
    out
}

/// Whether a block holds native-histogram chunks (those fixtures are rebuilt and compared
/// in `tests/histogram_write.rs`; the float-only rebuilds here skip them).
fn has_histograms(block: &Block) -> bool {
    block.series().expect("series").any(|s| {
        s.expect("series").chunks.iter().any(|c| {
            block.chunk(c.chunk_ref).expect("chunk").encoding != tsblock::chunkenc::Encoding::Xor
        })
    })
}

fn rebuild(block: &Block, opts: BlockWriterOptions, out: &Path) -> std::path::PathBuf {
    let mut w = BlockWriter::new(opts);
    // Interleave series like a scrape would: the writer must not care.
    let all = raw_samples(block);
    let longest = all.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    for i in 0..longest {
        for (labels, samples) in &all {
            if let Some(&(t, v)) = samples.get(i) {
                w.append(labels, t, v).expect("append");
            }
        }
    }
    let meta = w.write(out).expect("write").expect("a block");
    out.join(meta.ulid)
}

#[test]
fn prometheus_2x_flavour_rebuilds_promtool_blocks_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for (name, fixture) in common::fixtures() {
        if name == "tombstones" || name.starts_with("spec-") {
            // Server-made tombstones (its chunks are those of tombstones-base), and blocks
            // tsblock-write made in the 3.x flavour.
            continue;
        }
        let db = Db::open(&fixture).expect("open");
        for block in db.blocks() {
            if has_histograms(block) {
                continue;
            }
            let ulid: Ulid = block.meta().ulid.parse().expect("ulid");
            let opts = BlockWriterOptions {
                chunk_range: 2 * block_duration(&name),
                flavor: Flavor::Prometheus2,
                ulid: Some(ulid),
                ..BlockWriterOptions::default()
            };
            let dir = rebuild(block, opts, tmp.path());
            for file in ["index", "chunks/000001", "meta.json", "tombstones"] {
                let ours = std::fs::read(dir.join(file)).expect("ours");
                let theirs = std::fs::read(block.dir().join(file)).expect("theirs");
                assert!(
                    ours == theirs,
                    "{name}: {file} differs ({} vs {} bytes)",
                    ours.len(),
                    theirs.len()
                );
            }
            n += 1;
        }
    }
    assert!(n >= 8, "{n}");
}

#[test]
fn prometheus_3x_flavour_reads_back_the_same_samples() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (_, fixture) in common::fixtures() {
        let db = Db::open(&fixture).expect("open");
        for block in db.blocks() {
            if has_histograms(block) {
                continue;
            }
            let dir = rebuild(block, BlockWriterOptions::default(), tmp.path());
            let ours = Block::open(&dir).expect("open ours");
            assert_eq!(raw_samples(&ours).len(), raw_samples(block).len());
            let bits = |v: Vec<(Labels, Vec<(i64, f64)>)>| -> Vec<(Labels, Vec<(i64, u64)>)> {
                v.into_iter()
                    .map(|(l, s)| (l, s.into_iter().map(|(t, v)| (t, v.to_bits())).collect()))
                    .collect()
            };
            assert_eq!(bits(raw_samples(&ours)), bits(raw_samples(block)));
            ours.verify().into_result().expect("verify");
            assert_eq!(
                ours.meta().stats.num_samples,
                block.meta().stats.num_samples
            );
            assert_eq!(
                ours.meta().stats.num_float_samples,
                block.meta().stats.num_samples
            );
        }
    }
}

#[test]
fn deletions_become_tombstones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    let a = Labels::new([("__name__", "a")]).expect("labels");
    let b = Labels::new([("__name__", "b")]).expect("labels");
    for t in 0..100 {
        w.append(&a, t * 1000, t as f64).expect("append");
        w.append(&b, t * 1000, -(t as f64)).expect("append");
    }
    assert!(w.delete(
        &a,
        Interval {
            min: 10_000,
            max: 19_999
        }
    ));
    assert!(w.delete(
        &a,
        Interval {
            min: 50_000,
            max: 50_000
        }
    ));
    let unknown = Labels::new([("x", "y")]).expect("labels");
    assert!(!w.delete(&unknown, Interval { min: 0, max: 1 }));
    let meta = w.write(tmp.path()).expect("write").expect("block");
    assert_eq!(meta.stats.num_tombstones, 2);
    let db = Db::open(tmp.path()).expect("open");
    let mut counts = Vec::new();
    for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        counts.push(s.expect("series").samples().count());
    }
    assert_eq!(counts, vec![89, 100]);
}

#[test]
fn bad_samples_are_refused_and_failures_leave_nothing() {
    use tsblock::writer::AppendError;
    assert_eq!(Labels::new([("a", "")]), Err(LabelsError::NoLabels));
    assert!(matches!(
        Labels::new([("a", "1"), ("a", "2")]),
        Err(LabelsError::DuplicateName(_))
    ));
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    let a = Labels::new([("z", "1"), ("a", "2")]).expect("labels");
    assert_eq!(a.iter().next().map(|l| l.name), Some(&b"a"[..]));
    w.append(&a, 10, 1.0).expect("append");
    assert_eq!(w.append(&a, 10, 1.0), Ok(()));
    assert_eq!(
        w.append(&a, 10, 2.0),
        Err(AppendError::DuplicateTimestamp(10))
    );
    assert_eq!(
        w.append(&a, 9, 1.0),
        Err(AppendError::OutOfOrder { t: 9, last: 10 })
    );
    // An unwritable destination: the error names it and no temporary directory remains.
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing");
    let err = w.write(&missing).expect_err("must fail");
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(!missing.exists());
    // Nothing appended: nothing written.
    let w = BlockWriter::new(BlockWriterOptions::default());
    assert!(w.write(tmp.path()).expect("ok").is_none());
    assert_eq!(std::fs::read_dir(tmp.path()).expect("dir").count(), 0);
}

mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    fn label_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_]{1,8}",
            "\\PC{1,12}",
            Just("a\"b\\c\nd".to_string()),
            Just("\u{a0}\u{200b}日本語🙂".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            any::<f64>().prop_map(f64::to_bits),
            Just(0x7ff0_0000_0000_0002u64), // stale marker
            Just(0x7ff8_0000_0000_0001u64), // Go's NaN
            Just((-0.0f64).to_bits()),
        ]
    }

    /// Labels, start time, (time step, value bits) pairs.
    type SeriesCase = (Vec<(String, String)>, i64, Vec<(i64, u64)>);

    fn series() -> impl Strategy<Value = SeriesCase> {
        (
            proptest::collection::vec((label_string(), label_string()), 1..5),
            -(1i64 << 50)..(1i64 << 50),
            proptest::collection::vec(
                (
                    prop_oneof![1i64..20_000, 1i64..(1 << 40), Just(1i64)],
                    value(),
                ),
                1..400,
            ),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn write_then_read_is_bit_identical(
            all in proptest::collection::vec(series(), 1..6),
            flavor in prop_oneof![Just(Flavor::Prometheus3), Just(Flavor::Prometheus2)],
        ) {
            let mut w = BlockWriter::new(BlockWriterOptions { flavor, ..Default::default() });
            let mut expected: std::collections::BTreeMap<Labels, Vec<(i64, u64)>> = Default::default();
            for (labels, start, steps) in all {
                let Ok(labels) = Labels::new(labels) else { continue };
                if expected.contains_key(&labels) { continue; }
                let mut t = start;
                let mut samples = Vec::new();
                for (dt, v) in steps {
                    t = t.saturating_add(dt);
                    w.append(&labels, t, f64::from_bits(v)).expect("append");
                    samples.push((t, v));
                }
                expected.insert(labels, samples);
            }
            let tmp = tempfile::tempdir().expect("tempdir");
            let written = w.write(tmp.path()).expect("write");
            prop_assert_eq!(written.is_some(), !expected.is_empty());
            let Some(meta) = written else { return Ok(()) };
            let block = Block::open(tmp.path().join(&meta.ulid)).expect("open");
            block.verify().into_result().expect("verify");
            let got: std::collections::BTreeMap<Labels, Vec<(i64, u64)>> = raw_samples(&block)
                .into_iter()
                .map(|(l, s)| (l, s.into_iter().map(|(t, v)| (t, v.to_bits())).collect()))
                .collect();
            prop_assert_eq!(got, expected);
        }
    }
}

#[test]
fn segments_roll_over_at_the_size_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions {
        segment_size: 4096,
        ..BlockWriterOptions::default()
    });
    let mut expected = Vec::new();
    for s in 0..50 {
        let labels =
            Labels::new([("__name__", "m".to_string()), ("s", format!("{s:02}"))]).expect("labels");
        for i in 0..300i64 {
            let v = (i * 7919 % 1000) as f64 / 7.0 + s as f64;
            w.append(&labels, i * 15_000, v).expect("append");
        }
        expected.push(labels);
    }
    let meta = w.write(tmp.path()).expect("write").expect("block");
    let dir = tmp.path().join(&meta.ulid);
    let segments: Vec<u64> = {
        let mut v: Vec<_> = std::fs::read_dir(dir.join("chunks"))
            .expect("chunks")
            .map(|e| e.expect("entry").metadata().expect("meta").len())
            .collect();
        v.sort();
        v
    };
    assert!(segments.len() > 5, "{segments:?}");
    assert!(segments.iter().all(|&l| l <= 4096), "{segments:?}");
    let block = Block::open(&dir).expect("open");
    block.verify().into_result().expect("verify");
    let all = raw_samples(&block);
    assert_eq!(all.len(), 50);
    assert!(all.iter().all(|(_, s)| s.len() == 300));
    assert_eq!(
        all.into_iter().map(|(l, _)| l).collect::<Vec<_>>(),
        expected
    );
}
