//! Queries through the postings against a brute-force filter over every series.
//!
//! For random blocks (one to three, overlapping in series and time) and random matcher
//! sets, `select`, `label_names` and `label_values` must return exactly what testing every
//! series' labels one by one returns: through the blocks, and through the storage traits
//! over an in-memory copy of them (`common::memhead`).

use std::collections::BTreeSet;

use proptest::prelude::*;
use tsblock::labelset::Labels;
use tsblock::query::{MatchOp, Matcher};
use tsblock::writer::{BlockWriter, BlockWriterOptions};
use tsblock::{Block, Db, Querier};

mod common;

const NAMES: &[&str] = &["__name__", "a", "b", "c"];
/// Values, including ones that differ only by a newline, case or a prefix.
const VALUES: &[&str] = &[
    "", "x", "y", "xy", "yx", "xyz", "x\ny", "X", "é", "10", "x.y", "x_1", "x_2",
];
/// Regexes exercising literal sets, prefixes, empty matches, classes, flags, anchors.
const REGEXES: &[&str] = &[
    "x", "x|y", "y|x|xyz", "x.*", "xy.*|y.*", ".*", ".+", "", "y|", "(?i)x", "x_\\d", "[xy]+",
    "é|x", "x.y", ".*y", "x(y|)", "x^", "(x|xy)z?", "x\\b.*", "\\d+", "[^x]*", ".", "x\ny|X",
];

type Series = Vec<(String, String)>;

fn label_set() -> impl Strategy<Value = Series> {
    proptest::collection::vec(0..VALUES.len(), NAMES.len()).prop_map(|vals| {
        NAMES
            .iter()
            .zip(vals)
            .map(|(n, v)| (n.to_string(), VALUES[v].to_string()))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct M {
    op: MatchOp,
    name: &'static str,
    value: &'static str,
}

fn matcher() -> impl Strategy<Value = M> {
    let names: Vec<&'static str> = NAMES.iter().copied().chain(["d"]).collect();
    (0..4usize, proptest::sample::select(names), 0..64usize).prop_map(|(op, name, v)| {
        let op = [
            MatchOp::Equal,
            MatchOp::NotEqual,
            MatchOp::Regex,
            MatchOp::NotRegex,
        ][op];
        let value = match op {
            MatchOp::Equal | MatchOp::NotEqual => VALUES[v % VALUES.len()],
            _ => REGEXES[v % REGEXES.len()],
        };
        M { op, name, value }
    })
}

fn build(ms: &[M]) -> Vec<Matcher> {
    ms.iter()
        .map(|m| Matcher::new(m.op, m.name, m.value).expect("valid matcher"))
        .collect()
}

/// The value of `name` in a label set, or "" when it is missing.
fn value_of<'a>(labels: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> &'a [u8] {
    labels
        .iter()
        .find(|(n, _)| n == name)
        .map_or(&b""[..], |(_, v)| v)
}

type Owned = Vec<(Vec<u8>, Vec<u8>)>;

fn owned(labels: &[tsblock::Label<'_>]) -> Owned {
    labels
        .iter()
        .map(|l| (l.name.to_vec(), l.value.to_vec()))
        .collect()
}

fn write_blocks(dir: &std::path::Path, blocks: &[Vec<(Series, i64)>]) {
    for series in blocks {
        let mut w = BlockWriter::new(BlockWriterOptions::default());
        let mut seen = BTreeSet::new();
        for (labels, t) in series {
            let Ok(labels) = Labels::new(labels.iter().cloned()) else {
                continue;
            };
            if !seen.insert(labels.clone()) {
                continue;
            }
            w.append(&labels, *t, 1.0).expect("append");
            w.append(&labels, *t + 1000, 2.0).expect("append");
        }
        if w.num_series() > 0 {
            w.write(dir).expect("write");
        }
    }
}

fn check<Q: Querier>(q: &Q, all: &BTreeSet<Owned>, sets: &[Vec<M>]) {
    for ms in sets {
        let matchers = build(ms);
        let want: BTreeSet<&Owned> = all
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches(value_of(s, m.name()))))
            .collect();
        let mut got = Vec::new();
        for s in q.select(&matchers, i64::MIN, i64::MAX).expect("select") {
            got.push(owned(s.expect("series").labels()));
        }
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "series not in order: {ms:?}"
        );
        let got_set: BTreeSet<&Owned> = got.iter().collect();
        assert_eq!(got_set, want, "select {ms:?}");

        let names: BTreeSet<&[u8]> = want
            .iter()
            .flat_map(|s| s.iter().map(|(n, _)| n.as_slice()))
            .collect();
        let got_names: Vec<&[u8]> = q.label_names(&matchers).expect("names");
        assert_eq!(got_names, names.into_iter().collect::<Vec<_>>(), "{ms:?}");
        for name in NAMES {
            let values: BTreeSet<&[u8]> = want
                .iter()
                .filter_map(|s| {
                    s.iter()
                        .find(|(n, _)| n == name.as_bytes())
                        .map(|(_, v)| v.as_slice())
                })
                .collect();
            let got_values = q.label_values(name.as_bytes(), &matchers).expect("values");
            assert_eq!(
                got_values,
                values.into_iter().collect::<Vec<_>>(),
                "label_values {name} {ms:?}"
            );
        }
    }
    // Two sets at once select their union.
    if let [a, b, ..] = sets {
        let (a, b) = (build(a), build(b));
        let one = |m: &[Matcher]| -> BTreeSet<Owned> {
            q.select(m, i64::MIN, i64::MAX)
                .expect("select")
                .map(|s| owned(s.expect("series").labels()))
                .collect()
        };
        let both: BTreeSet<Owned> = q
            .select_any(&[&a, &b], i64::MIN, i64::MAX)
            .expect("select")
            .map(|s| owned(s.expect("series").labels()))
            .collect();
        assert_eq!(
            both,
            one(&a).union(&one(&b)).cloned().collect::<BTreeSet<_>>()
        );
    }
}

/// Every series' labels and samples (time, value bits), merged across blocks.
fn samples<Q: Querier>(q: &Q) -> Vec<(Owned, Vec<(i64, u64)>)> {
    q.select(&[], i64::MIN, i64::MAX)
        .expect("select")
        .map(|s| {
            let s = s.expect("series");
            let values = s
                .samples()
                .map(|x| {
                    let x = x.expect("sample");
                    match x.value {
                        tsblock::query::Value::Float(v) => (x.t, v.to_bits()),
                        _ => (x.t, 0),
                    }
                })
                .collect();
            (owned(s.labels()), values)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn postings_equal_brute_force(
        blocks in proptest::collection::vec(
            proptest::collection::vec((label_set(), 0i64..3).prop_map(|(l, k)| (l, k * 7_200_000)), 1..60),
            1..4,
        ),
        sets in proptest::collection::vec(proptest::collection::vec(matcher(), 0..4), 1..40),
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        write_blocks(tmp.path(), &blocks);
        let db = Db::open(tmp.path()).expect("open");
        let mut all = BTreeSet::new();
        for b in db.blocks() {
            for s in b.series().expect("series") {
                all.insert(owned(&s.expect("series").labels));
            }
        }
        check(&db, &all, &sets);
        // The same through the storage traits over an in-memory head-like store.
        let mem = common::memhead::MemDb::copy(&db);
        check(&mem, &all, &sets);
        prop_assert_eq!(samples(&mem), samples(&db));
        if let [b] = db.blocks() {
            let block: &Block = b;
            check(block, &all, &sets);
        }
    }
}

/// Matchers on the fixture with odd label values, through the postings and by brute force.
#[test]
fn fixture_values_with_escapes() {
    let db = Db::open(common::testdata().join("blocks/labels")).expect("open");
    let mut all = BTreeSet::new();
    for s in db.blocks()[0].series().expect("series") {
        all.insert(owned(&s.expect("series").labels));
    }
    let sets: Vec<Vec<M>> = [
        (MatchOp::Regex, "v", "a.b"),
        (MatchOp::Regex, "v", ".*\\\\.*"),
        (MatchOp::Regex, "v", "日本.*|caf.*"),
        (MatchOp::NotRegex, "v", ".*[^ -~].*"),
        (MatchOp::Equal, "v", "a\"b\\c\nd"),
        (MatchOp::Regex, "le", "\\+Inf|0\\..*"),
        (MatchOp::Equal, "b", ""),
        (MatchOp::NotEqual, "case", ""),
    ]
    .into_iter()
    .map(|(op, name, value)| vec![M { op, name, value }])
    .collect();
    check(&db, &all, &sets);
}

/// A label with 1,000 values, so lookups and prefix walks cross the postings table's
/// every-32nd samples (and the first and last values of a name).
#[test]
fn many_values_cross_table_samples() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut w = BlockWriter::new(BlockWriterOptions::default());
    for i in 0..1000 {
        let labels = Labels::new([
            ("__name__", format!("m{}", i % 3)),
            ("n", format!("v{i:03}")),
            ("p", format!("{}", i % 7)),
        ])
        .expect("labels");
        w.append(&labels, 0, 1.0).expect("append");
    }
    w.write(tmp.path()).expect("write");
    let db = Db::open(tmp.path()).expect("open");
    let mut all = BTreeSet::new();
    for s in db.blocks()[0].series().expect("series") {
        all.insert(owned(&s.expect("series").labels));
    }
    let sets: Vec<Vec<M>> = [
        vec![(MatchOp::Regex, "n", "v0.*")],
        vec![(MatchOp::Regex, "n", "v03.*|v99.*")],
        vec![(
            MatchOp::Regex,
            "n",
            "v000|v031|v032|v033|v063|v064|v999|v1000",
        )],
        vec![(MatchOp::Regex, "n", "v.*7")],
        vec![(MatchOp::Regex, "n", "v9..")],
        vec![
            (MatchOp::NotRegex, "n", "v[0-8].*"),
            (MatchOp::Equal, "p", "3"),
        ],
        vec![
            (MatchOp::Regex, "n", "v1.*"),
            (MatchOp::NotEqual, "__name__", "m1"),
        ],
        vec![(MatchOp::Equal, "n", "v999")],
        vec![(MatchOp::Equal, "n", "v1000")],
        vec![(MatchOp::Regex, "n", "w.*|u.*")],
    ]
    .into_iter()
    .map(|ms| {
        ms.into_iter()
            .map(|(op, name, value)| M { op, name, value })
            .collect()
    })
    .collect();
    check(&db, &all, &sets);
}
