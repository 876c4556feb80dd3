//! The head of a live data directory: real Prometheus 2.42 data directories
//! (`testdata/heads/`, made by `tools/head-fixtures/make.sh`) dump as promtool dumped a
//! scratch copy of them, in every read mode; no command writes to the directory; seeded
//! messy heads replay the same in every read mode (and, with promtool installed, print
//! what promtool prints for them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{copy_dir, cut_as_promtool_2_42, first_difference, testdata, walgen};

fn heads() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(testdata().join("heads"))
        .expect("testdata/heads")
        .map(|e| {
            let p = e.expect("entry").path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), p)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 4, "head fixtures missing: {v:?}");
    v
}

fn tsblock(args: &[&str], path: &Path) -> (Vec<u8>, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .arg(path)
        .output()
        .expect("run tsblock");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// promtool 2.42 prints a series only up to its first histogram; tsblock prints every
/// sample. Cut ours that way when the head has histograms.
fn as_promtool(got: &[u8]) -> String {
    cut_as_promtool_2_42(std::str::from_utf8(got).expect("utf-8")).0
}

#[test]
fn fixtures_dump_like_promtool() {
    for (name, path) in heads() {
        let want =
            std::fs::read_to_string(testdata().join(format!("expected/head-{name}.dump.txt")))
                .expect("expected dump");
        for mode in [&[][..], &["--no-mmap"][..], &["--ranged"][..]] {
            let args: Vec<&str> = ["dump"].iter().chain(mode).copied().collect();
            let (got, stderr, ok) = tsblock(&args, &path);
            assert!(ok, "{name} {args:?}: {stderr}");
            let got = as_promtool(&got);
            assert!(
                got == want,
                "{name} {args:?} {}",
                first_difference(&got, &want)
            );
        }
    }
}

#[test]
fn fixtures_dump_ranges_like_promtool() {
    for (name, path) in heads() {
        let args_file = testdata().join(format!("expected/head-{name}.dump-range.args"));
        let Ok(args) = std::fs::read_to_string(&args_file) else {
            continue;
        };
        let want = std::fs::read_to_string(
            testdata().join(format!("expected/head-{name}.dump-range.txt")),
        )
        .expect("expected range dump");
        let mut all: Vec<&str> = vec!["dump"];
        all.extend(args.split_whitespace());
        let (got, stderr, ok) = tsblock(&all, &path);
        assert!(ok, "{name} {all:?}: {stderr}");
        let got = as_promtool(&got);
        assert!(
            got == want,
            "{name} {all:?} {}",
            first_difference(&got, &want)
        );
    }
}

/// Every file's bytes and every directory entry under `dir`.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        if e.file_type().expect("type").is_dir() {
            out.insert(p.clone(), None);
            out.extend(tree(&p));
        } else {
            out.insert(p.clone(), Some(std::fs::read(&p).expect("read")));
        }
    }
    out
}

#[test]
fn no_command_writes_to_the_directory() {
    for (name, fixture) in heads() {
        // A copy, so a bug cannot damage the fixture (and mtimes/permissions are ours).
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(&name);
        copy_dir(&fixture, &dir);
        let before = tree(&dir);
        let wal = dir.join("wal");
        let mut runs: Vec<(Vec<&str>, PathBuf)> = vec![
            (vec!["ls"], dir.clone()),
            (vec!["dump"], dir.clone()),
            (vec!["dump", "--no-mmap"], dir.clone()),
            (vec!["dump", "--ranged"], dir.clone()),
            (vec!["dump", "--format", "json"], dir.clone()),
            (vec!["series"], dir.clone()),
            (vec!["labels"], dir.clone()),
            (vec!["label-values", "__name__"], dir.clone()),
            (vec!["wal"], wal.clone()),
            (vec!["wal", "--format", "json"], wal.clone()),
        ];
        for e in std::fs::read_dir(&wal).expect("wal") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                runs.push((vec!["wal"], p));
            }
        }
        for (args, path) in &runs {
            let (_, stderr, ok) = tsblock(args, path);
            assert!(ok, "{name} {args:?}: {stderr}");
            let after = tree(&dir);
            assert!(
                after == before,
                "{name}: tsblock {args:?} changed the directory: {:?}",
                after
                    .iter()
                    .filter(|(p, c)| before.get(*p) != Some(c))
                    .map(|(p, _)| p)
                    .chain(before.keys().filter(|p| !after.contains_key(*p)))
                    .collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn no_head_reads_only_blocks() {
    for (name, path) in heads() {
        let (with, _, ok) = tsblock(&["series"], &path);
        assert!(ok);
        let (without, stderr, ok) = tsblock(&["series", "--no-head"], &path);
        assert!(ok, "{stderr}");
        assert!(!stderr.contains("head"), "{name}: {stderr}");
        // The blocks alone, as the library reads them.
        let db = tsblock::Db::open_options(
            &path,
            tsblock::DbOptions {
                head: false,
                ..Default::default()
            },
        )
        .expect("open");
        assert!(db.head().is_none());
        let with_head = tsblock::Db::open(&path).expect("open");
        let head = with_head.head().expect("a head");
        assert!(!head.is_empty(), "{name}: empty head");
        assert!(with.len() >= without.len(), "{name}");
        if db.blocks().is_empty() {
            assert!(without.is_empty(), "{name}");
        }
    }
}

#[test]
fn ls_sums_up_the_head_on_stderr() {
    for (name, path) in heads() {
        let (out, stderr, ok) = tsblock(&["ls"], &path);
        assert!(ok, "{stderr}");
        let list = testdata().join(format!("expected/head-{name}.list.txt"));
        if let Ok(want) = std::fs::read(&list) {
            assert_eq!(out, want, "{name}: ls differs from promtool tsdb list");
        }
        let head = tsblock::Db::open(&path).expect("open");
        let s = head.head().expect("head").stats();
        assert!(
            stderr.contains(&format!("{} series, {} samples", s.series, s.samples)),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn wal_prints_every_record_of_every_log() {
    for (name, path) in heads() {
        let wal = path.join("wal");
        let (text, stderr, ok) = tsblock(&["wal"], &wal);
        assert!(ok, "{name}: {stderr}");
        let (json, _, ok) = tsblock(&["wal", "--format", "json"], &wal);
        assert!(ok);
        let json = String::from_utf8(json).expect("utf-8");
        let text = String::from_utf8(text).expect("utf-8");
        let headers = text.lines().filter(|l| !l.starts_with("  ")).count();
        assert_eq!(headers, json.lines().count(), "{name}");
        let mut types = std::collections::BTreeSet::new();
        for line in json.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            types.insert(v["type"].as_str().expect("type").to_string());
            assert!(v["items"].is_array(), "{name}: {line}");
        }
        assert!(
            types.contains("series") && types.contains("samples"),
            "{name}: {types:?}"
        );
    }
}

#[test]
fn messy_heads_replay_the_same_in_every_read_mode() {
    for seed in 1..=40 {
        let tmp = tempfile::tempdir().expect("tempdir");
        let what = walgen::messy_head(tmp.path(), seed, true);
        let (mapped, stderr, ok) = tsblock(&["dump"], tmp.path());
        assert!(ok, "{what}: {stderr}");
        assert!(!mapped.is_empty(), "{what}: nothing dumped");
        for mode in ["--no-mmap", "--ranged"] {
            let (got, stderr, ok) = tsblock(&["dump", mode], tmp.path());
            assert!(ok, "{what} {mode}: {stderr}");
            assert!(got == mapped, "{what}: {mode} differs");
        }
    }
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn messy_heads_dump_like_promtool() {
    let found = Command::new("promtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool is not installed: `apt-get install -y prometheus` provides promtool 2.42"
    );
    for seed in 1..=60 {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let what = walgen::messy_head(&dir, seed, false);
        let (ours, stderr, ok) = tsblock(&["dump"], &dir);
        assert!(ok, "{what}: {stderr}");
        // promtool writes into what it reads: give it a scratch copy.
        let scratch = tmp.path().join("scratch");
        copy_dir(&dir, &scratch);
        let out = Command::new("promtool")
            .args(["tsdb", "dump"])
            .arg(&scratch)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "{what}: promtool failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = String::from_utf8(out.stdout).expect("utf-8");
        let ours = as_promtool(&ours);
        assert!(
            ours == theirs,
            "{what}: {}",
            first_difference(&ours, &theirs)
        );
    }
}

#[test]
fn a_snapshot_stands_in_for_the_wal_before_it() {
    use tsblock::chunkenc::{Encoding, XorAppender};
    use tsblock::head::snapshot::{encode_series, encode_tombstones, SnapshotChunk};
    use tsblock::head::{Head, HeadOptions};
    use tsblock::record::encode::{encode_samples, encode_series as wal_series};
    use tsblock::record::{RefSample, RefSeries};
    use tsblock::wlog::{Compression, SegmentWriter};
    use tsblock::{Label, Querier};

    // The real fixture: the snapshot is used, and gives what the whole WAL gives.
    let path = testdata().join("heads/snapshot");
    let with = tsblock::Db::open(&path).expect("open");
    assert_eq!(
        with.head().expect("head").stats().snapshot,
        Some((2, 32768))
    );
    let (dumped, _, ok) = tsblock(&["dump"], &path);
    assert!(ok);
    let without = Head::open(
        &path,
        HeadOptions {
            use_snapshot: false,
            min_valid_time: with.blocks().last().map_or(i64::MIN, |b| b.meta().max_time),
            ..Default::default()
        },
    )
    .expect("open without snapshot");
    assert_eq!(without.stats().snapshot, None);
    assert_eq!(
        without.stats().samples,
        with.head().unwrap().stats().samples
    );
    assert_eq!(
        as_promtool(&dumped),
        std::fs::read_to_string(testdata().join("expected/head-snapshot.dump.txt")).unwrap()
    );

    // A made-up head whose snapshot disagrees with the WAL before it: the values show
    // which one was read.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let labels = [
        Label {
            name: b"__name__",
            value: b"m",
        },
        Label {
            name: b"job",
            value: b"a",
        },
    ];
    let samples = |from: i64, n: i64, v: f64| -> Vec<RefSample> {
        (from..from + n)
            .map(|t| RefSample {
                series_ref: 1,
                t: t * 1000,
                v,
            })
            .collect()
    };
    let mut seg0 = SegmentWriter::new(Compression::Snappy);
    seg0.log(&wal_series(&[RefSeries {
        series_ref: 1,
        labels: labels.to_vec(),
    }]));
    seg0.log(&encode_samples(&samples(0, 5, 1.0)));
    let offset = seg0.len();
    let mut seg1 = SegmentWriter::new(Compression::Snappy);
    seg1.log(&encode_samples(&samples(3, 7, 3.0))); // 3, 4 repeat the snapshot's chunk
    std::fs::create_dir_all(dir.join("wal")).unwrap();
    std::fs::write(dir.join("wal/00000000"), seg0.finish()).unwrap();
    std::fs::write(dir.join("wal/00000001"), seg1.finish()).unwrap();
    let mut app = XorAppender::new();
    for t in 0..5 {
        app.append(t * 1000, 2.0);
    }
    let data = app.finish();
    let chunk = SnapshotChunk {
        min_time: 0,
        max_time: 4000,
        encoding: Encoding::Xor,
        data: &data,
    };
    let mut snap = SegmentWriter::new(Compression::None);
    snap.log(&encode_series(1, &labels, Some(&chunk)));
    snap.log(&encode_tombstones(&[(
        1,
        tsblock::tombstones::Interval {
            min: 8000,
            max: 8000,
        },
    )]));
    let snapdir = dir.join(format!("chunk_snapshot.000000.{offset:010}"));
    std::fs::create_dir_all(&snapdir).unwrap();
    std::fs::write(snapdir.join("00000000"), snap.finish()).unwrap();

    let values = |db: &tsblock::Db| -> Vec<(i64, f64)> {
        let mut out = Vec::new();
        for s in db.select(&[], i64::MIN, i64::MAX).unwrap() {
            for x in s.unwrap().samples() {
                let x = x.unwrap();
                if let tsblock::query::Value::Float(v) = x.value {
                    out.push((x.t / 1000, v));
                }
            }
        }
        out
    };
    let db = tsblock::Db::open(dir).expect("open");
    assert!(db.warnings().is_empty(), "{:?}", db.warnings());
    assert_eq!(
        db.head().unwrap().stats().snapshot,
        Some((0, offset as u64))
    );
    let want: Vec<(i64, f64)> = (0..5)
        .map(|t| (t, 2.0))
        .chain([(5, 3.0), (6, 3.0), (7, 3.0), (9, 3.0)])
        .collect();
    assert_eq!(values(&db), want);

    // A damaged snapshot is left aside with a warning; the whole WAL is replayed.
    std::fs::write(
        snapdir.join("00000000"),
        b"\x01\x00\x05\x00\x00\x00\x00junk",
    )
    .unwrap();
    let db = tsblock::Db::open(dir).expect("open");
    assert!(
        matches!(
            db.warnings(),
            [tsblock::Warning::Head(
                tsblock::head::HeadWarning::SnapshotIgnored { .. }
            )]
        ),
        "{:?}",
        db.warnings()
    );
    let want: Vec<(i64, f64)> = (0..5)
        .map(|t| (t, 1.0))
        .chain((5..10).map(|t| (t, 3.0)))
        .collect();
    assert_eq!(values(&db), want);
}

#[test]
#[ignore = "needs promtool 2.42 (`apt-get install -y prometheus`); run by .ci/run"]
fn fixtures_select_like_promtool() {
    // The head's postings, through the same planner as blocks: promtool on a scratch copy.
    let selectors = [
        r#"{job="head-fixtures"}"#,
        r#"{__name__=~"fixture_head_float.*",case!="deleted"}"#,
        "up",
        r#"{instance=~"s.*"}"#,
        r#"{__name__!~"go_.*|scrape_.*", job=~".+"}"#,
    ];
    for (name, path) in heads() {
        for sel in selectors {
            let tmp = tempfile::tempdir().expect("tempdir");
            copy_dir(&path, tmp.path());
            let out = Command::new("promtool")
                .args(["tsdb", "dump", &format!("--match={sel}")])
                .arg(tmp.path())
                .output()
                .expect("promtool (apt-get install -y prometheus)");
            assert!(out.status.success(), "{name} {sel}");
            let want = String::from_utf8(out.stdout).expect("utf-8");
            let (got, stderr, ok) = tsblock(&["dump", "--match", sel], &path);
            assert!(ok, "{name} {sel}: {stderr}");
            let got = as_promtool(&got);
            assert!(
                got == want,
                "{name} {sel}: {}",
                first_difference(&got, &want)
            );
        }
    }
}
