//! `tsblock-write` end to end, against the promtool-made fixtures in `../testdata`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tsblock::compat::promtool;
use tsblock::query::Value;
use tsblock::{Block, Db, Querier};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn write(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock-write"))
        .args(args)
        .output()
        .expect("run tsblock-write")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `promtool tsdb dump` text of a data directory, rendered by the library.
fn dump(dir: &Path) -> Vec<u8> {
    let db = Db::open(dir).expect("open");
    let (mut out, mut prefix) = (Vec::new(), Vec::new());
    for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        let s = s.expect("series");
        prefix.clear();
        promtool::push_dump_prefix(&mut prefix, s.labels());
        for x in s.samples() {
            let x = x.expect("sample");
            let Value::Float(v) = x.value else { break };
            promtool::push_dump_line(&mut out, &prefix, x.t, v);
        }
    }
    out
}

fn inputs() -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = std::fs::read_dir(testdata().join("inputs"))
        .expect("inputs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "om"))
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string();
            let args = std::fs::read_to_string(p.with_extension("args"))
                .map(|a| a.split_whitespace().map(String::from).collect())
                .unwrap_or_default();
            (name, args)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 5);
    v
}

/// Blocks of a data directory, by minTime.
fn blocks(dir: &Path) -> Vec<PathBuf> {
    Db::open(dir)
        .expect("open")
        .blocks()
        .iter()
        .map(|b| b.dir().to_path_buf())
        .collect()
}

fn om(name: &str, args: &[String], flavor: &str, out: &Path) {
    let input = testdata().join("inputs").join(format!("{name}.om"));
    let mut all = vec!["openmetrics", "--quiet", "--flavor", flavor];
    all.extend(args.iter().map(String::as_str));
    let (i, o) = (input.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    all.extend([i, o]);
    ok(write(&all));
}

#[test]
fn openmetrics_blocks_hold_what_promtool_blocks_hold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, args) in inputs() {
        let out = tmp.path().join(&name);
        om(&name, &args, "prometheus3", &out);
        let expected = std::fs::read(testdata().join("expected").join(format!("{name}.dump.txt")))
            .expect("expected");
        assert!(
            dump(&out) == expected,
            "{name}: dump differs from promtool's"
        );
        let (ours, theirs) = (blocks(&out), blocks(&testdata().join("blocks").join(&name)));
        assert_eq!(ours.len(), theirs.len(), "{name}: block count");
        for (a, b) in ours.iter().zip(&theirs) {
            let (a, b) = (
                Block::open(a).expect("ours"),
                Block::open(b).expect("theirs"),
            );
            assert_eq!(
                (a.meta().min_time, a.meta().max_time),
                (b.meta().min_time, b.meta().max_time)
            );
            assert_eq!(a.meta().stats.num_series, b.meta().stats.num_series);
            assert_eq!(a.meta().stats.num_samples, b.meta().stats.num_samples);
            a.verify().into_result().expect("verify");
        }
    }
}

#[test]
fn prometheus2_flavour_is_byte_identical_to_promtool() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, args) in inputs() {
        let out = tmp.path().join(&name);
        om(&name, &args, "prometheus2", &out);
        for (a, b) in blocks(&out)
            .iter()
            .zip(&blocks(&testdata().join("blocks").join(&name)))
        {
            for f in ["index", "chunks/000001", "tombstones"] {
                let (x, y) = (
                    std::fs::read(a.join(f)).expect("ours"),
                    std::fs::read(b.join(f)).expect("theirs"),
                );
                assert!(x == y, "{name}: {f} differs");
            }
            // meta.json differs only in the ULID.
            let (x, y) = (
                std::fs::read_to_string(a.join("meta.json")).expect("ours"),
                std::fs::read_to_string(b.join("meta.json")).expect("theirs"),
            );
            let strip = |s: &str, dir: &Path| {
                s.replace(
                    dir.file_name().and_then(|n| n.to_str()).expect("ulid"),
                    "ULID",
                )
            };
            assert_eq!(strip(&x, a), strip(&y, b), "{name}: meta.json");
        }
    }
}

/// With 3.x chunks, an index equals promtool's exactly when every chunk reference does:
/// 2.x sometimes ends a chunk with an extra zero byte, which moves the chunks after it.
#[test]
fn prometheus3_index_matches_promtool_where_chunk_refs_match() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut same, mut differ) = (0, 0);
    for (name, args) in inputs() {
        let out = tmp.path().join(&name);
        om(&name, &args, "prometheus3", &out);
        for (a, b) in blocks(&out)
            .iter()
            .zip(&blocks(&testdata().join("blocks").join(&name)))
        {
            let (ba, bb) = (
                Block::open(a).expect("ours"),
                Block::open(b).expect("theirs"),
            );
            let refs = |blk: &Block| -> Vec<u64> {
                blk.series()
                    .expect("series")
                    .flat_map(|s| s.expect("series").chunks)
                    .map(|c| c.chunk_ref.0)
                    .collect()
            };
            let equal_refs = refs(&ba) == refs(&bb);
            let equal_index =
                ba.index().bytes().expect("index") == bb.index().bytes().expect("index");
            assert_eq!(equal_refs, equal_index, "{name}: {}", a.display());
            if equal_index {
                same += 1;
            } else {
                differ += 1;
            }
        }
    }
    eprintln!("{same} indexes identical to promtool's, {differ} differ in chunk references (2.x pad bytes)");
    assert!(same > 0);
}

#[test]
fn standard_input_works_like_a_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = testdata().join("inputs/values.om");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsblock-write"))
        .args(["openmetrics", "--quiet", "-"])
        .arg(tmp.path().join("stdin"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let data = std::fs::read(&input).expect("input");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &data).expect("write");
    ok(child.wait_with_output().expect("wait"));
    om("values", &[], "prometheus3", &tmp.path().join("file"));
    assert_eq!(
        dump(&tmp.path().join("stdin")),
        dump(&tmp.path().join("file"))
    );
    // The staging directory (and the spooled input) is gone.
    assert_eq!(
        std::fs::read_dir(tmp.path().join("stdin"))
            .expect("dir")
            .count(),
        1
    );
}

#[test]
fn malformed_input_names_the_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outdir = tmp.path().join("out");
    std::fs::create_dir(&outdir).expect("mkdir");
    for (text, want) in [
        ("a 1 1\nb{x=\"1\" 2 2\n# EOF\n", "line 2"),
        ("a 1 1\na 2\n# EOF\n", "line 2: expected timestamp"),
        (
            "a 1 5\na 2 4\n# EOF\n",
            "line 2: series {__name__=\"a\"}: out of order",
        ),
        ("a 1 1\n", "EOF"),
    ] {
        let input = tmp.path().join("in.om");
        std::fs::write(&input, text).expect("write");
        let out = write(&[
            "openmetrics",
            input.to_str().expect("utf-8"),
            outdir.to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(1), "{text:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{text:?}: {err}");
        assert!(err.contains("in.om"), "{err}");
        assert_eq!(
            std::fs::read_dir(&outdir).expect("dir").count(),
            0,
            "{text:?} left files"
        );
    }
}

#[test]
fn json_specs_are_reproducible_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for spec in std::fs::read_dir(testdata().join("specs")).expect("specs") {
        let spec = spec.expect("entry").path();
        let name = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let out = tmp.path().join(&name);
        // A directory of specs makes several blocks in one data directory.
        let parts: Vec<PathBuf> = if spec.is_dir() {
            let mut p: Vec<PathBuf> = std::fs::read_dir(&spec)
                .expect("dir")
                .map(|e| e.expect("entry").path())
                .collect();
            p.sort();
            p
        } else {
            vec![spec.clone()]
        };
        for part in &parts {
            ok(write(&[
                "json",
                "--quiet",
                part.to_str().expect("utf-8"),
                out.to_str().expect("utf-8"),
            ]));
        }
        let checked_in = testdata().join("blocks").join(&name);
        let (ours, theirs) = (blocks(&out), blocks(&checked_in));
        assert_eq!(ours.len(), parts.len(), "{name}");
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.file_name(), b.file_name(), "{name}: ULID");
            for f in ["meta.json", "index", "chunks/000001", "tombstones"] {
                let (x, y) = (
                    std::fs::read(a.join(f)).expect("ours"),
                    std::fs::read(b.join(f)).expect("theirs"),
                );
                assert!(x == y, "{name}: {f} differs; run tools/regen-testdata.sh");
            }
        }
        n += 1;
    }
    assert!(n >= 4);
}

#[test]
fn json_errors_point_at_the_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outdir = tmp.path().join("out");
    for (text, want) in [
        (
            "{\"series\": [\n  {\"labels\": {\"a\": \"b\"}, \"samples\": [[1, 2],]}\n]}",
            "line 2 column",
        ),
        (
            "{\"series\": [{\"labels\": {\"a\": \"b\"}, \"samples\": [[2, 1], [1, 1]]}]}",
            "series[0]: {a=\"b\"}: sample 1: out of order",
        ),
        (
            "{\"series\": [{\"labels\": {\"a\": \"b\"}, \"samples\": [[1, \"bogus\"]]}]}",
            "unknown value",
        ),
        ("{\"series\": [{\"labels\": {\"a\": \"b\"}}]}", "no samples"),
        ("{\"series\": [], \"extra\": 1}", "unknown field"),
    ] {
        let spec = tmp.path().join("spec.json");
        std::fs::write(&spec, text).expect("write");
        let out = write(&[
            "json",
            spec.to_str().expect("utf-8"),
            outdir.to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(1), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{text}: {err}");
        assert_eq!(
            std::fs::read_dir(&outdir).map(|d| d.count()).unwrap_or(0),
            0
        );
    }
}

#[test]
fn same_millisecond_samples_keep_the_first_with_a_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in.om");
    // Both timestamps truncate to 1001 ms, as in promtool.
    std::fs::write(&input, "a 1 1.0019\na 2 1.0011\na 3 2\n# EOF\n").expect("write");
    let outdir = tmp.path().join("out");
    let out = ok(write(&[
        "openmetrics",
        "--quiet",
        input.to_str().expect("utf-8"),
        outdir.to_str().expect("utf-8"),
    ]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropped 1 sample"));
    assert_eq!(
        String::from_utf8(dump(&outdir)).expect("utf-8"),
        "{__name__=\"a\"} 1 1001\n{__name__=\"a\"} 3 2000\n"
    );
}
