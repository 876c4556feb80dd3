//! The storage seam: every fixture read three ways (memory maps, ranged reads through the
//! range cache, an in-memory head-like copy behind the storage traits) must give the same
//! series and samples; `Samples::seek` must land where a linear scan does; and a
//! selective query through ranged reads must fetch only part of the files.

use tsblock::query::{Matcher, SampleRef, Samples, Selector};
use tsblock::{Db, Querier, ReadMode};

mod common;
use common::memhead::MemDb;

/// A sample as a comparable value: time and the value's exact bits, or its histogram
/// spelled out (so NaN sums of stale markers compare equal).
#[derive(Debug, Clone, PartialEq)]
enum V {
    Float(u64),
    Int(String),
    Float2(String),
}

fn own(s: (i64, SampleRef<'_>)) -> (i64, V) {
    let v = match s.1 {
        SampleRef::Float(f) => V::Float(f.to_bits()),
        SampleRef::Histogram(h) => V::Int(format!("{h:?}")),
        SampleRef::FloatHistogram(h) => V::Float2(format!("{h:?}")),
        _ => unreachable!("no other kind is decoded"),
    };
    (s.0, v)
}

fn rest(samples: &mut Samples<'_>) -> Vec<(i64, V)> {
    let mut out = Vec::new();
    while let Some(s) = samples.next_sample() {
        out.push(own(s.expect("sample")));
    }
    out
}

type Dump = Vec<(String, Vec<(i64, V)>)>;

fn dump<Q: Querier>(q: &Q, matchers: &[Matcher], mint: i64, maxt: i64) -> Dump {
    q.select(matchers, mint, maxt)
        .expect("select")
        .map(|s| {
            let s = s.expect("series");
            (format!("{:?}", s.labels()), rest(&mut s.samples()))
        })
        .collect()
}

/// Equal dumps, or a panic naming the first difference.
fn same(got: &Dump, want: &Dump, what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}: series");
        if let Some(i) = (0..g.1.len().max(w.1.len())).find(|&i| g.1.get(i) != w.1.get(i)) {
            panic!(
                "{what}: {} sample {i}: {:?} != {:?}",
                g.0,
                g.1.get(i),
                w.1.get(i)
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{what}: number of series");
}

#[test]
fn mmap_ranged_and_in_memory_agree_on_every_fixture() {
    let mut series = 0;
    for (name, path) in common::fixtures() {
        let mapped = Db::open(&path).expect("open");
        let ranged = Db::open_with(&path, ReadMode::Ranged).expect("open ranged");
        let mem = MemDb::copy(&mapped);
        let (lo, hi) = mapped
            .blocks()
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), b| {
                (lo.min(b.meta().min_time), hi.max(b.meta().max_time))
            });
        let mid = lo / 2 + hi / 2;
        let name_re: Selector = r#"{__name__=~".+"}"#.parse().expect("selector");
        for (matchers, mint, maxt) in [
            (&[][..], i64::MIN, i64::MAX),
            (&[][..], mid, hi),
            (&[][..], lo, mid),
            (name_re.matchers(), mid - 1, mid + 1),
        ] {
            let want = dump(&mapped, matchers, mint, maxt);
            same(
                &dump(&ranged, matchers, mint, maxt),
                &want,
                &format!("{name} ranged {mint}..{maxt}"),
            );
            same(
                &dump(&mem, matchers, mint, maxt),
                &want,
                &format!("{name} in memory {mint}..{maxt}"),
            );
            series += want.len();
        }
        assert_eq!(
            mem.label_names(&[]).expect("names"),
            mapped.label_names(&[]).expect("names"),
            "{name}"
        );
    }
    assert!(series > 3000, "{series}");
}

/// Where overlapping blocks hold different values at one timestamp, which one a merge
/// returns depends on how it got there (Prometheus's `chainSampleIterator.Seek` rebuilds
/// its heap from every block; `Next` starts with the first block outside the heap), so
/// across several blocks only timestamps must agree.
#[test]
fn seek_lands_where_a_scan_does() {
    let mut seeks = 0;
    for (name, path) in common::fixtures() {
        let db = Db::open(&path).expect("open");
        let one_block = db.blocks().len() == 1;
        let key = |v: Vec<(i64, V)>| -> Vec<(i64, Option<V>)> {
            v.into_iter()
                .map(|(t, v)| (t, one_block.then_some(v)))
                .collect()
        };
        let own = |s: (i64, SampleRef<'_>)| {
            let (t, v) = own(s);
            (t, one_block.then_some(v))
        };
        let rest = |s: &mut Samples<'_>| key(rest(s));
        for s in db.select(&[], i64::MIN, i64::MAX).expect("select") {
            let s = s.expect("series");
            let all = rest(&mut s.samples());
            let (Some(first), Some(last)) = (all.first(), all.last()) else {
                continue;
            };
            // Every timestamp, its neighbours, and points outside the series.
            let mut targets = vec![i64::MIN, first.0 - 1, last.0 + 1, i64::MAX];
            for x in all.iter().step_by(7) {
                targets.extend([x.0 - 1, x.0, x.0 + 1]);
            }
            for t in targets {
                let want: Vec<_> = all.iter().filter(|x| x.0 >= t).cloned().collect();
                let mut samples = s.samples();
                let got = samples.seek(t).map(|r| own(r.expect("seek")));
                assert!(
                    got.as_ref() == want.first(),
                    "{name} {:?} seek {t}: {got:?}",
                    s.labels()
                );
                if got.is_none() {
                    assert!(samples.next_sample().is_none());
                    continue;
                }
                // A seek back, or to the same time, stays.
                let again = samples
                    .seek(t.saturating_sub(1_000))
                    .map(|r| own(r.expect("seek")));
                assert_eq!(again, got, "{name} seek back");
                assert!(
                    rest(&mut samples) == want[1..],
                    "{name} {:?} after seek {t}",
                    s.labels()
                );
                seeks += 1;
            }
            // Seeks forward in steps, mixed with next.
            let mut samples = s.samples();
            let mut seen = Vec::new();
            let mut t = first.0;
            while let Some(x) = samples.seek(t) {
                let x = own(x.expect("seek"));
                t = x.0 + 2;
                seen.push(x);
                if let Some(y) = samples.next_sample() {
                    let y = own(y.expect("next"));
                    t = t.max(y.0 + 1);
                    seen.push(y);
                }
            }
            let mut want = Vec::new();
            let mut t = first.0;
            let mut it = all.iter().peekable();
            while let Some(x) = it.find(|x| x.0 >= t) {
                want.push(x.clone());
                t = x.0 + 2;
                if let Some(y) = it.next() {
                    want.push(y.clone());
                    t = t.max(y.0 + 1);
                }
            }
            assert!(seen == want, "{name} {:?} stepping", s.labels());
        }
    }
    assert!(seeks > 1000, "{seeks}");
}

/// The ranged reader fetches the TOC, the two tables and then only what the query reads.
#[test]
fn a_selective_query_fetches_part_of_the_block() {
    let path = common::testdata().join("blocks/spec-many-series");
    let db = Db::open_with(&path, ReadMode::Ranged).expect("open");
    let block = &db.blocks()[0];
    let size = block.size();
    let opened = block.fetch_stats().expect("ranged");
    let sel: Selector = r#"{pod="pod-42"}"#.parse().expect("selector");
    let got = dump(&db, sel.matchers(), i64::MIN, i64::MAX);
    assert!(!got.is_empty());
    let after = block.fetch_stats().expect("ranged");
    eprintln!(
        "spec-many-series ({size} bytes on disk): open fetched {} bytes in {} reads; \
         {} with {} series of {{pod=\"pod-42\"}}: {} bytes in {} reads ({:.1}%)",
        opened.bytes,
        opened.fetches,
        sel,
        got.len(),
        after.bytes,
        after.fetches,
        100.0 * after.bytes as f64 / size as f64
    );
    assert!(opened.bytes < 16 << 10, "{opened:?}");
    assert!(after.bytes * 2 < size, "{after:?} of {size}");
    // The same query again fetches nothing new.
    dump(&db, sel.matchers(), i64::MIN, i64::MAX);
    assert_eq!(block.fetch_stats(), Some(after));
}
