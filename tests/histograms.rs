//! Native histograms decoded from blocks a real Prometheus 2.42 server wrote
//! (`testdata/blocks/native-histograms`, made by `tools/histogram-fixtures/make.sh`) against
//! the server's own answers for the same samples (`native-histograms.api.json`: raw range
//! queries over its HTTP API) and against what was sent to it
//! (`native-histograms.sent.json`).

use std::collections::BTreeMap;

use serde_json::Value as J;
use tsblock::histogram::Count;
use tsblock::query::{Matcher, Querier, Value};
use tsblock::Db;

mod common;
use common::api::{api_float, from_api, go_string, ours};

fn load(name: &str) -> J {
    let path = common::testdata().join("expected").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("JSON")
}

fn db() -> Db {
    Db::open(common::testdata().join("blocks/native-histograms")).expect("open")
}

/// The series with exactly these labels, if the blocks have it.
fn matchers(labels: &serde_json::Map<String, J>) -> Vec<Matcher> {
    labels
        .iter()
        .map(|(k, v)| Matcher::equal(k, v.as_str().expect("label value")))
        .collect()
}

#[test]
fn decoded_histograms_equal_the_servers_answers() {
    let db = db();
    let max_t = db
        .blocks()
        .iter()
        .map(|b| b.meta().max_time)
        .max()
        .expect("blocks");
    let api = load("native-histograms.api.json");
    let (mut histograms, mut floats) = (0, 0);
    for answer in api["answers"].as_array().expect("answers") {
        let result = &answer["response"]["data"]["result"][0];
        let labels = result["metric"].as_object().expect("metric");
        // What the server returned inside the blocks' range, by timestamp.
        let mut want_h: BTreeMap<i64, &J> = BTreeMap::new();
        for h in result["histograms"].as_array().into_iter().flatten() {
            let t = (h[0].as_f64().expect("ts") * 1000.0).round() as i64;
            if t < max_t {
                want_h.insert(t, &h[1]);
            }
        }
        let mut want_f: BTreeMap<i64, f64> = BTreeMap::new();
        for v in result["values"].as_array().into_iter().flatten() {
            let t = (v[0].as_f64().expect("ts") * 1000.0).round() as i64;
            if t < max_t {
                want_f.insert(t, api_float(&v[1]));
            }
        }
        let sel = matchers(labels);
        let mut set = db.select(&sel, i64::MIN, i64::MAX).expect("select");
        let series = set.next().expect("the series").expect("series");
        assert!(set.next().is_none());
        let mut samples = series.samples();
        let (mut got_h, mut got_f) = (BTreeMap::new(), BTreeMap::new());
        while let Some(s) = samples.next() {
            let s = s.expect("sample");
            match s.value {
                Value::Float(v) => {
                    // The API leaves out stale markers.
                    if v.to_bits() != tsblock::histogram::STALE_NAN_BITS {
                        got_f.insert(s.t, v);
                    }
                }
                Value::Histogram => {
                    let h = samples.histogram().expect("histogram");
                    if !h.is_stale() {
                        assert_eq!(
                            h.to_string(),
                            go_string(&ours(h, |c| c as f64, false), true)
                        );
                        got_h.insert(s.t, ours(h, |c| c as f64, true));
                    }
                }
                Value::FloatHistogram => {
                    let h = samples.float_histogram().expect("float histogram");
                    if !h.is_stale() {
                        assert_eq!(h.to_string(), go_string(&ours(h, |c| c, false), false));
                        got_h.insert(s.t, ours(h, |c| c, true));
                    }
                }
                v => panic!("unexpected {v:?}"),
            }
        }
        assert_eq!(
            got_h.keys().collect::<Vec<_>>(),
            want_h.keys().collect::<Vec<_>>(),
            "histogram timestamps of {labels:?}"
        );
        for (t, mine) in &got_h {
            let theirs = from_api(want_h[t]);
            assert_eq!(mine, &theirs, "{labels:?} at {t}");
            histograms += 1;
        }
        assert_eq!(got_f.len(), want_f.len(), "float samples of {labels:?}");
        for (t, v) in &want_f {
            let got = got_f[t];
            // The API writes every NaN as "NaN": payloads are not comparable.
            if !(got.is_nan() && v.is_nan()) {
                assert_eq!(got.to_bits(), v.to_bits(), "{labels:?} at {t}");
            }
            floats += 1;
        }
    }
    assert!(
        histograms > 2000,
        "only {histograms} histogram samples compared"
    );
    assert!(floats > 100, "only {floats} float samples compared");
}

/// Absolute counts by bucket index, empty buckets left out (a recoded chunk holds
/// zero-count buckets that were never sent).
fn by_index(spans: &[(i64, i64)], counts: &[f64]) -> BTreeMap<i64, u64> {
    let mut out = BTreeMap::new();
    let mut idx = 0i64;
    let mut counts = counts.iter();
    for (i, &(offset, length)) in spans.iter().enumerate() {
        idx += offset;
        if i > 0 {
            // Offsets after the first are gaps after the previous span's end.
        }
        for _ in 0..length {
            if let Some(&c) = counts.next() {
                if c != 0.0 {
                    out.insert(idx, c.to_bits());
                }
            }
            idx += 1;
        }
    }
    out
}

fn spans_of(s: &J) -> Vec<(i64, i64)> {
    s.as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p[0].as_i64().expect("offset"),
                p[1].as_i64().expect("length"),
            )
        })
        .collect()
}

fn floats_of(s: &J) -> Vec<f64> {
    s.as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_f64().expect("count"))
        .collect()
}

fn decoded_by_index<C: Count>(
    spans: &[tsblock::histogram::Span],
    counts: &[C],
    f: impl Fn(C) -> f64,
) -> BTreeMap<i64, u64> {
    let s: Vec<(i64, i64)> = spans
        .iter()
        .map(|s| (i64::from(s.offset), i64::from(s.length)))
        .collect();
    let c: Vec<f64> = counts.iter().map(|&c| f(c)).collect();
    by_index(&s, &c)
}

#[test]
fn decoded_samples_equal_what_was_sent() {
    let db = db();
    let sent = load("native-histograms.sent.json");
    let mut n = 0;
    for series in sent["series"].as_array().expect("series") {
        let labels = series["labels"].as_object().expect("labels");
        let sel = matchers(labels);
        let mut set = db.select(&sel, i64::MIN, i64::MAX).expect("select");
        let got = set.next().expect("the series").expect("series");
        let mut samples = got.samples();
        for want in series["samples"].as_array().expect("samples") {
            if want["head_only"].as_bool() == Some(true) {
                continue;
            }
            let s = samples
                .next()
                .unwrap_or_else(|| panic!("{labels:?}: missing {want}"))
                .expect("sample");
            assert_eq!(Some(s.t), want["t"].as_i64(), "{labels:?}");
            let stale = want["stale"].as_bool() == Some(true);
            let sum_bits = |j: &J, key: &str, bits_key: &str| -> u64 {
                match j[bits_key].as_str() {
                    Some(b) => u64::from_str_radix(b.trim_start_matches("0x"), 16).expect("bits"),
                    None => j[key].as_f64().expect("number").to_bits(),
                }
            };
            let check = |schema: i32,
                         zt: f64,
                         count: f64,
                         zero: f64,
                         sum: f64,
                         pos: BTreeMap<i64, u64>,
                         neg: BTreeMap<i64, u64>,
                         is_stale: bool| {
                if stale {
                    assert!(is_stale, "{labels:?} at {}: not stale", s.t);
                    assert_eq!(sum.to_bits(), tsblock::histogram::STALE_NAN_BITS);
                    return;
                }
                assert_eq!(schema as i64, want["schema"].as_i64().expect("schema"));
                assert_eq!(
                    zt.to_bits(),
                    want["zero_threshold"].as_f64().expect("zt").to_bits()
                );
                assert_eq!(
                    count,
                    want["count"].as_f64().expect("count"),
                    "{labels:?} {}",
                    s.t
                );
                assert_eq!(zero, want["zero_count"].as_f64().unwrap_or(0.0));
                assert_eq!(sum.to_bits(), sum_bits(want, "sum", "sum_bits"));
                let wp = by_index(
                    &spans_of(&want["positive_spans"]),
                    &floats_of(&want["positive_buckets"]),
                );
                let wn = by_index(
                    &spans_of(&want["negative_spans"]),
                    &floats_of(&want["negative_buckets"]),
                );
                assert_eq!(pos, wp, "{labels:?} at {}", s.t);
                assert_eq!(neg, wn, "{labels:?} at {}", s.t);
            };
            match (s.value, want["type"].as_str().expect("type")) {
                (Value::Float(v), "float") => {
                    assert_eq!(v.to_bits(), sum_bits(want, "value", "value_bits"));
                }
                (Value::Histogram, "histogram") | (Value::Histogram, "float") => {
                    let h = samples.histogram().expect("histogram");
                    check(
                        h.schema,
                        h.zero_threshold,
                        h.count as f64,
                        h.zero_count as f64,
                        h.sum,
                        decoded_by_index(&h.positive_spans, &h.positive_buckets, |c| c as f64),
                        decoded_by_index(&h.negative_spans, &h.negative_buckets, |c| c as f64),
                        h.is_stale(),
                    );
                }
                (Value::FloatHistogram, "float_histogram") | (Value::FloatHistogram, "float") => {
                    let h = samples.float_histogram().expect("float histogram");
                    check(
                        h.schema,
                        h.zero_threshold,
                        h.count,
                        h.zero_count,
                        h.sum,
                        decoded_by_index(&h.positive_spans, &h.positive_buckets, |c| c),
                        decoded_by_index(&h.negative_spans, &h.negative_buckets, |c| c),
                        h.is_stale(),
                    );
                }
                (v, ty) => panic!("{labels:?} at {}: decoded {v:?}, sent {ty}", s.t),
            }
            n += 1;
        }
        assert!(samples.next().is_none(), "{labels:?}: extra samples");
    }
    assert!(n > 2500, "only {n} samples compared");
}
