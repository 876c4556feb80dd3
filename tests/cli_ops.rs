//! Operator commands: `ls --format json`, time flags as people write them.

use std::process::Command;

mod common;

use tsblock::{Db, DbOptions};

fn tsblock(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .output()
        .expect("run tsblock")
}

/// Every block a row with its meta's figures and compaction history, the head a row of
/// its own.
#[test]
fn ls_json_rows() {
    for dir in ["testdata/heads/running", "testdata/blocks/multi-block"] {
        let out = tsblock(&["ls", "--format", "json", dir]);
        assert!(out.status.success());
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let rows = rows.as_array().expect("array");
        let db = Db::open(dir).expect("open");
        let blocks: Vec<_> = rows.iter().filter(|r| r["kind"] == "block").collect();
        assert_eq!(blocks.len(), db.blocks().len());
        for (row, b) in blocks.iter().zip(db.blocks()) {
            let m = b.meta();
            assert_eq!(row["ulid"], m.ulid.as_str());
            assert_eq!(row["minTime"], m.min_time);
            assert_eq!(row["maxTime"], m.max_time);
            assert_eq!(row["numSamples"], m.stats.num_samples);
            assert_eq!(row["numSeries"], m.stats.num_series);
            assert_eq!(row["size"], b.size());
            assert_eq!(row["level"], m.compaction.level);
            assert_eq!(
                row["sources"].as_array().expect("sources").len(),
                m.compaction.sources.len()
            );
            assert_eq!(
                row["parents"].as_array().expect("parents").len(),
                m.compaction.parents.len()
            );
        }
        let heads: Vec<_> = rows.iter().filter(|r| r["kind"] == "head").collect();
        match db.head() {
            Some(h) => {
                assert_eq!(heads.len(), 1);
                assert_eq!(heads[0]["numSeries"], h.stats().series);
                assert_eq!(heads[0]["minTime"], h.stats().min_time.expect("samples"));
            }
            None => assert!(heads.is_empty()),
        }
        let no_head = Db::open_options(
            dir,
            DbOptions {
                head: false,
                ..Default::default()
            },
        )
        .expect("open");
        let out = tsblock(&["ls", "--no-head", "--format", "json", dir]);
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            rows.as_array().expect("array").len(),
            no_head.blocks().len()
        );
    }
}

/// `--min-time`/`--max-time` in every form select what the milliseconds select; a value
/// that is none of them is a usage error naming the flag.
#[test]
fn time_flags_as_people_write_them() {
    let dir = "testdata/blocks/multi-block";
    let db = Db::open(dir).expect("open");
    let end = db
        .blocks()
        .iter()
        .map(|b| b.meta().max_time - 1)
        .max()
        .expect("blocks");
    let by_ms = |min: i64, max: i64| {
        tsblock(&[
            "dump",
            "--min-time",
            &min.to_string(),
            "--max-time",
            &max.to_string(),
            dir,
        ])
        .stdout
    };
    let rel = tsblock(&["dump", "--min-time", "-1h30m", dir]);
    assert!(rel.status.success());
    assert_eq!(rel.stdout, by_ms(end - 5_400_000, i64::MAX));
    assert!(!rel.stdout.is_empty());
    // 1700006400000 is 2023-11-15T00:00:00Z.
    let rfc = tsblock(&[
        "dump",
        "--min-time=2023-11-15T01:00:00+01:00",
        "--max-time",
        "2023-11-15T00:10:00.5Z",
        dir,
    ]);
    assert!(rfc.status.success());
    assert_eq!(rfc.stdout, by_ms(1_700_006_400_000, 1_700_007_000_500));
    assert!(!rfc.stdout.is_empty());
    // Far in the past relative to now: everything.
    let now = tsblock(&["series", "--min-time", "now-100y", dir]);
    assert_eq!(now.stdout, tsblock(&["series", dir]).stdout);
    for bad in ["yesterday", "-2x", "2023-11-15", "now-"] {
        let out = tsblock(&["series", "--max-time", bad, dir]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--max-time"), "{err}");
    }
}

/// Stale markers and histogram samples are left out of OpenMetrics text and counted on
/// stderr; everything else is there, `# EOF` last; `series --format json` is one object
/// of labels per line.
#[test]
fn openmetrics_leaves_out_what_it_cannot_carry() {
    for (dir, histograms) in [
        ("testdata/blocks/native-histograms", true),
        ("testdata/blocks/values", false),
    ] {
        let out = tsblock(&["dump", "--format", "openmetrics", dir]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(text.ends_with("# EOF\n"));
        let err = String::from_utf8_lossy(&out.stderr);
        // "left out S stale markers and H histogram samples, …"
        let counts: Vec<usize> = err.split(' ').filter_map(|w| w.parse().ok()).collect();
        let left_out: usize = counts.iter().sum();
        assert_eq!(counts.len(), if left_out > 0 { 2 } else { 0 }, "{err}");
        assert_eq!(histograms, counts.get(1).is_some_and(|&h| h > 0), "{err}");
        let prom = tsblock(&["dump", dir]).stdout;
        let prom_lines = String::from_utf8(prom).expect("utf-8").lines().count();
        assert_eq!(text.lines().count() - 1 + left_out, prom_lines, "{dir}");
    }
    let dir = "testdata/blocks/values";
    let series = tsblock(&["series", "--format", "json", dir]);
    let n = String::from_utf8(series.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .filter(|v| v["__name__"].is_string())
        .count();
    let db = tsblock::Db::open(dir).expect("open");
    assert_eq!(n as u64, db.blocks()[0].meta().stats.num_series);
}

/// `analyze`: the chunk statistics count every chunk, `--per-series` every series and
/// sample, `--match` only the matching series; the JSON has the same figures.
#[test]
fn analyze_extended_per_series_and_match() {
    let dir = "testdata/blocks/native-histograms";
    let db = Db::open(dir).expect("open");
    let latest = db
        .blocks()
        .iter()
        .max_by_key(|b| b.meta().min_time)
        .expect("blocks");
    let meta = latest.meta();
    let out = tsblock(&[
        "analyze",
        "--extended",
        "--per-series",
        "--format",
        "json",
        dir,
    ]);
    assert!(out.status.success());
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["block"], meta.ulid.as_str());
    assert_eq!(a["chunks"], meta.stats.num_chunks);
    let per_series = a["per_series"].as_array().expect("per series");
    assert_eq!(per_series.len() as u64, meta.stats.num_series);
    let samples: u64 = per_series
        .iter()
        .map(|s| s["samples"].as_u64().expect("samples"))
        .sum();
    assert_eq!(samples, meta.stats.num_samples);
    let figures = a["chunk_figures"].as_array().expect("figures");
    let chunks_seen: usize = [0, 2]
        .iter()
        .map(|&i| figures[i]["values"].as_array().expect("values").len())
        .sum();
    assert_eq!(chunks_seen as u64, meta.stats.num_chunks);
    assert!(!figures[4]["values"].as_array().expect("buckets").is_empty());

    let text = String::from_utf8(tsblock(&["analyze", "--extended", dir]).stdout).expect("utf-8");
    assert!(text.contains("\nCompaction analysis:\n\nsamples per float chunk (min/avg/max): "));
    assert!(text.contains("\nbuckets per histogram chunk (min/avg/max): "));

    // --match: only the matching series count.
    let name = "fixture_float";
    let want = latest
        .series()
        .expect("series")
        .filter(|s| {
            s.as_ref()
                .expect("series")
                .labels
                .iter()
                .any(|l| l.name == b"__name__" && l.value == name.as_bytes())
        })
        .count();
    let sel = format!("{{__name__=\"{name}\"}}");
    let text =
        String::from_utf8(tsblock(&["analyze", "--match", &sel, dir]).stdout).expect("utf-8");
    assert!(
        text.contains(&format!("\nMatched series: {want}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\nHighest cardinality metric names:\n{want} {name}\n"
        )),
        "{text}"
    );
}

/// `copy` then `dump` equals `dump` of the source with the same selection and range, on
/// blocks with tombstones, histograms, overlapping blocks and heads (in-order and
/// out-of-order); the copies verify clean; chunks inside the range are copied whole.
#[test]
fn copy_equals_the_selection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[&str]); 7] = [
        ("testdata/blocks/tombstones", &[]),
        ("testdata/blocks/native-histograms", &["--min-time", "-20m"]),
        ("testdata/blocks/spec-overlap", &[]),
        (
            "testdata/blocks/multi-block",
            &["--match", "{job=\"a\"}", "--max-time", "-1h"],
        ),
        (
            "testdata/blocks/many-series",
            &["--match", "{__name__=~\"node_.*\"}"],
        ),
        ("testdata/heads/ooo", &[]),
        (
            "testdata/heads/running",
            &["--min-time", "-30s", "--block-duration", "10s"],
        ),
    ];
    let mut whole = 0;
    for (i, (src, args)) in cases.iter().enumerate() {
        let out_dir = tmp.path().join(format!("c{i}"));
        let mut copy = vec!["copy"];
        copy.extend_from_slice(args);
        let (o, s) = (out_dir.to_str().expect("utf-8"), *src);
        copy.extend_from_slice(&[s, o]);
        let out = tsblock(&copy);
        assert!(
            out.status.success(),
            "{src}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        // "tsblock: B blocks, S series: C chunks copied as they are, …"
        whole += err
            .split(" chunks copied")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        // The selection, without --block-duration (a copy option).
        let sel: Vec<&str> = args
            .chunks(2)
            .filter(|p| p[0] != "--block-duration")
            .flatten()
            .copied()
            .collect();
        let mut dump = vec!["dump"];
        dump.extend_from_slice(&sel);
        dump.push(src);
        let want = tsblock(&dump);
        assert!(want.status.success());
        let got = tsblock(&["dump", o]);
        assert!(got.status.success(), "{src}");
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{src} {args:?}"
        );
        assert!(!got.stdout.is_empty(), "{src}");
        let json_want = tsblock(&[&["dump", "--format", "json"][..], &sel, &[src]].concat());
        let json_got = tsblock(&["dump", "--format", "json", o]);
        // Histograms and stale markers too; a re-encoded chunk may start with another
        // counter-reset hint (the chunk header's), which carries no sample data.
        assert_eq!(
            without_hints(&json_got.stdout),
            without_hints(&json_want.stdout),
            "{src}: histograms and stale markers"
        );
        let v = tsblock(&["verify", o]);
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
        // The printed directories are the blocks.
        let printed = String::from_utf8(out.stdout).expect("utf-8");
        let blocks = Db::open(&out_dir).expect("open").blocks().len();
        assert_eq!(printed.lines().count(), blocks);
    }
    assert!(whole > 50, "only {whole} chunks copied whole");
}

/// JSON lines with every `counter_reset_hint` taken out.
fn without_hints(json: &[u8]) -> Vec<serde_json::Value> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("counter_reset_hint");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    String::from_utf8_lossy(json)
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json line");
            strip(&mut v);
            v
        })
        .collect()
}

/// An error part-way (a corrupt chunk in the last block) adds no block to OUTDIR and
/// leaves no staging directory.
#[test]
fn failed_copy_adds_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("src");
    common::copy_dir(std::path::Path::new("testdata/blocks/multi-block"), &src);
    let mut dirs: Vec<_> = std::fs::read_dir(&src)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("meta.json").exists())
        .collect();
    dirs.sort();
    let seg = dirs.last().expect("block").join("chunks/000001");
    let mut bytes = std::fs::read(&seg).expect("read");
    bytes[20] ^= 0x55;
    std::fs::write(&seg, bytes).expect("write");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    std::fs::write(out_dir.join("keep"), b"x").expect("write");
    let out = tsblock(&[
        "copy",
        src.to_str().expect("utf-8"),
        out_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("keep")]);
}

/// Files are read instead of mapped, with a note, exactly on a network or FUSE file
/// system; `--mmap` and `--no-mmap` together are a usage error. (Network and FUSE detection: `tsblock::fsinfo`'s tests.)
#[test]
fn mmap_flags() {
    let local = tsblock(&["ls", "testdata/blocks/values"]);
    assert!(local.status.success());
    // A note exactly when the checkout is on a network or FUSE file system.
    let risky = tsblock::fsinfo::filesystem_type(std::path::Path::new("testdata/blocks/values"))
        .is_some_and(|fs| tsblock::fsinfo::maps_unsafely(&fs));
    let note = String::from_utf8_lossy(&local.stderr).contains("reading files instead");
    assert_eq!(note, risky);
    let forced = tsblock(&["--mmap", "ls", "testdata/blocks/values"]);
    assert_eq!(forced.stdout, local.stdout);
    let both = tsblock(&["--mmap", "--no-mmap", "ls", "testdata/blocks/values"]);
    assert_eq!(both.status.code(), Some(2));
}
