//! The query commands against promtool's dumps: `series`, `labels` and `label-values` with
//! and without `--match` must list exactly the series, names and values that appear in
//! `promtool tsdb dump [--match SEL]` for the same fixture (testdata/expected/), and bad
//! selectors must be usage errors that print nothing on stdout.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::testdata;

fn tsblock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .args(args)
        .output()
        .expect("run tsblock")
}

fn stdout_of(args: &[&str]) -> String {
    let out = tsblock(args);
    assert!(
        out.status.success(),
        "tsblock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Reads one Go-quoted string (`strconv.Quote` output) at the start of `s`; returns the
/// raw bytes and the rest of `s` after the closing quote.
fn unquote(s: &str) -> (Vec<u8>, &str) {
    let b = s.as_bytes();
    assert_eq!(b[0], b'"', "{s}");
    let mut out = Vec::new();
    let mut i = 1;
    let hex = |from: usize, n: usize| u32::from_str_radix(&s[from..from + n], 16).expect("hex");
    loop {
        match b[i] {
            b'"' => return (out, &s[i + 1..]),
            b'\\' => {
                let (bytes, len): (Vec<u8>, usize) = match b[i + 1] {
                    b'a' => (vec![7], 2),
                    b'b' => (vec![8], 2),
                    b'f' => (vec![12], 2),
                    b'n' => (vec![b'\n'], 2),
                    b'r' => (vec![b'\r'], 2),
                    b't' => (vec![b'\t'], 2),
                    b'v' => (vec![11], 2),
                    b'x' => (vec![hex(i + 2, 2) as u8], 4),
                    b'u' => (char_bytes(hex(i + 2, 4)), 6),
                    b'U' => (char_bytes(hex(i + 2, 8)), 10),
                    c => (vec![c], 2),
                };
                out.extend(bytes);
                i += len;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn char_bytes(c: u32) -> Vec<u8> {
    char::from_u32(c)
        .expect("valid char")
        .to_string()
        .into_bytes()
}

type Labels = Vec<(String, Vec<u8>)>;

/// The label set at the start of a dump line, `{a="1", b="2"} value ts`.
fn parse_labels(line: &str) -> Labels {
    let mut rest = line.strip_prefix('{').expect("{");
    let mut labels = Vec::new();
    while !rest.starts_with('}') {
        let eq = rest.find('=').expect("=");
        let name = rest[..eq].to_string();
        let (value, after) = unquote(&rest[eq + 1..]);
        labels.push((name, value));
        rest = after.strip_prefix(", ").unwrap_or(after);
    }
    labels
}

/// Series, label names and values per name in a promtool dump.
struct Seen {
    series: Vec<String>,
    names: BTreeSet<String>,
    values: std::collections::BTreeMap<String, BTreeSet<Vec<u8>>>,
}

fn seen_in_dump(dump: &str) -> Seen {
    let mut seen = Seen {
        series: Vec::new(),
        names: BTreeSet::new(),
        values: Default::default(),
    };
    for line in dump.lines() {
        let prefix = line.rsplitn(3, ' ').nth(2).expect("labels value ts");
        if seen.series.last().map(String::as_str) == Some(prefix) {
            continue;
        }
        seen.series.push(prefix.to_string());
        for (n, v) in parse_labels(prefix) {
            seen.names.insert(n.clone());
            seen.values.entry(n).or_default().insert(v);
        }
    }
    seen
}

/// What `labels`/`label-values` print for an item: raw unless Go would quote it.
fn listed(item: &[u8]) -> String {
    let mut q = Vec::new();
    tsblock::text::push_quoted(&mut q, item);
    if q[1..q.len() - 1] == *item {
        String::from_utf8(item.to_vec()).expect("UTF-8")
    } else {
        String::from_utf8(q).expect("UTF-8")
    }
}

fn lines<I: IntoIterator<Item = String>>(items: I) -> String {
    items.into_iter().map(|s| s + "\n").collect()
}

/// Compares `series`, `labels` and `label-values` for one selector (or none) with the
/// series in promtool's dump.
fn check_against_dump(dir: &Path, matching: &[String], dump: &str, what: &str) {
    let seen = seen_in_dump(dump);
    assert!(!seen.series.is_empty(), "{what}: empty dump");
    let path = dir.to_str().expect("path");
    let with = |cmd: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        v.extend(matching.iter().cloned());
        v.push(path.to_string());
        v
    };
    let run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        stdout_of(&a)
    };
    assert_eq!(
        run(with(&["series"])),
        lines(seen.series.iter().cloned()),
        "{what}: series"
    );
    assert_eq!(
        run(with(&["labels"])),
        lines(seen.names.iter().cloned()),
        "{what}: labels"
    );
    for (name, values) in &seen.values {
        assert_eq!(
            run(with(&["label-values", name])),
            lines(values.iter().map(|v| listed(v))),
            "{what}: label-values {name}"
        );
    }
}

/// Fixtures without tombstones: there, every series of the index has samples in the dump.
const FIXTURES: &[&str] = &[
    "labels",
    "many-series",
    "multi-block",
    "spec-overlap",
    "values",
];

#[test]
fn series_labels_and_values_agree_with_promtool_dumps() {
    let mut n = 0;
    for name in FIXTURES {
        let dir = testdata().join("blocks").join(name);
        let expected = testdata().join("expected");
        let dump = std::fs::read_to_string(expected.join(format!("{name}.dump.txt")))
            .expect("expected dump");
        check_against_dump(&dir, &[], &dump, name);
        let Ok(list) =
            std::fs::read_to_string(testdata().join("selectors").join(format!("{name}.txt")))
        else {
            continue;
        };
        for (i, sel) in list.lines().enumerate() {
            let dump =
                std::fs::read_to_string(expected.join(format!("{name}.match-{}.dump.txt", i + 1)))
                    .expect("expected match dump");
            check_against_dump(
                &dir,
                &[format!("--match={sel}")],
                &dump,
                &format!("{name} {sel}"),
            );
            n += 1;
        }
    }
    assert!(n >= 25, "only {n} selectors");
}

#[test]
fn several_matches_select_the_union() {
    let dir = testdata().join("blocks/many-series");
    let dir = dir.to_str().expect("path");
    let a = r#"--match=http_requests_total{code="500"}"#;
    let b = r#"--match={job="node", cpu=~"0|1"}"#;
    let one = |m: &str| stdout_of(&["series", m, dir]);
    let mut want: Vec<String> = one(a)
        .lines()
        .chain(one(b).lines())
        .map(String::from)
        .collect();
    want.sort();
    want.dedup();
    // Overlapping selectors: each series once.
    let both = stdout_of(&["series", a, b, a, dir]);
    let got: Vec<&str> = both.lines().collect();
    assert_eq!(got, want);
    assert!(!got.is_empty());
}

#[test]
fn bad_selectors_are_usage_errors() {
    let dir = testdata().join("blocks/values");
    let dir = dir.to_str().expect("path");
    for (sel, column) in [
        ("{", "1:2"),
        ("{}", "1:1"),
        ("up{job=}", "1:8"),
        ("up{job~\"a\"}", "1:7"),
        ("{job=\"a\" x}", "1:10"),
        ("{job=\"a\\q\"}", "1:8"),
        ("{job=~\"a(b\"}", "1:9"),
        ("{job=~\"a**\"}", "1:9"),
        ("{job=~\"(?x)a\"}", "1:8"),
        ("{job!~\"[z-a]\"}", "1:9"),
        ("up{__name__=\"x\"}", "1:4"),
        ("", "1:1"),
    ] {
        for cmd in [
            &["dump"][..],
            &["series"],
            &["labels"],
            &["label-values", "job"],
        ] {
            let m = format!("--match={sel}");
            let mut args = cmd.to_vec();
            args.extend([m.as_str(), dir]);
            let out = tsblock(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
            assert!(
                err.contains(&format!("{column}: ")),
                "{args:?}: expected column {column} in {err}"
            );
        }
    }
}

#[test]
fn label_values_with_null_separators_are_raw() {
    let dir = testdata().join("blocks/labels");
    let dir = dir.to_str().expect("path");
    let out = tsblock(&["label-values", "-z", "v", dir]);
    assert!(out.status.success());
    let items: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    assert_eq!(items.last(), Some(&&b""[..]), "NUL-terminated");
    assert!(items.contains(&&b"a\"b\\c\nd"[..]));
    let quoted = stdout_of(&["label-values", "v", dir]);
    assert!(quoted.lines().any(|l| l == r#""a\"b\\c\nd""#));
    assert_eq!(quoted.lines().count(), items.len() - 1);
}

#[test]
fn dump_is_ordered_across_batches_and_long_series() {
    // Small series around one with more chunks than a formatting batch holds (4,000): the
    // CLI's two-thread, batched dump must print what a plain sequential loop prints.
    use tsblock::compat::promtool::{push_dump_prefix, DumpLines};
    use tsblock::labelset::Labels;
    use tsblock::{Db, Querier};
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = tsblock::writer::BlockWriter::new(Default::default());
    for name in ["a", "b", "c"] {
        for i in 0..3000 {
            let l = Labels::new([("__name__", name), ("i", &format!("{i:05}"))]).expect("labels");
            let n = if name == "b" && i == 7 {
                4_100 * 120
            } else {
                3
            };
            for k in 0..n {
                w.append(&l, k as i64 * 1000, (k % 17) as f64 / 4.0)
                    .expect("append");
            }
        }
    }
    w.write(tmp.path()).expect("write");
    let db = Db::open(tmp.path()).expect("open");
    let mut want = Vec::new();
    let mut lines = DumpLines::new();
    let mut prefix = Vec::new();
    for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
        let s = s.expect("series");
        prefix.clear();
        push_dump_prefix(&mut prefix, s.labels());
        for x in s.samples() {
            let x = x.expect("sample");
            if let tsblock::query::Value::Float(v) = x.value {
                lines.push(&mut want, &prefix, x.t, v);
            }
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tsblock"))
        .arg("dump")
        .arg(tmp.path())
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(
        out.stdout == want,
        "the CLI's dump differs from the sequential one"
    );
}
