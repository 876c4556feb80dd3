//! The appenders against Prometheus's examples and rules.

use super::float::FloatHistogramAppender;
use super::int::HistogramAppender;
use super::spans::{expand_spans_and_buckets, expand_spans_forward, insert_empty};
use super::*;
use crate::histogram::{CounterResetHint, STALE_NAN_BITS};

fn span(offset: i32, length: u32) -> Span {
    Span { offset, length }
}

fn int_h(count: u64, zc: u64, sum: f64, spans: &[Span], buckets: &[u64]) -> IntHistogram {
    IntHistogram {
        schema: 0,
        zero_threshold: 2f64.powi(-128),
        zero_count: zc,
        count,
        sum,
        positive_spans: spans.to_vec(),
        positive_buckets: buckets.to_vec(),
        ..IntHistogram::default()
    }
}

fn decode_int(data: &[u8]) -> Vec<(i64, IntHistogram)> {
    <HistogramAppender as Codec>::decode(data).unwrap()
}

#[test]
fn first_sample_layout_and_header() {
    // Appendix B: schema 0, threshold 2^-128, positive spans [(0,2)], negative [(-2,1)].
    let mut h = int_h(10, 1, 12.5, &[span(0, 2)], &[3, 4]);
    h.negative_spans = vec![span(-2, 1)];
    h.negative_buckets = vec![2];
    let mut a = HistogramAppender::new();
    assert!(matches!(a.append(1000, &h), Ok(AppendOutcome::Appended)));
    let bytes = a.bytes().to_vec();
    assert_eq!(&bytes[..4], &[0, 1, 0, 116]);
    let got = decode_int(&bytes);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 1000);
    assert_eq!(got[0].1.positive_buckets, [3, 4]);
    assert_eq!(got[0].1.negative_buckets, [2]);
    assert_eq!(got[0].1.negative_spans, [span(-2, 1)]);
}

#[test]
fn recode_matches_prometheus_example() {
    // The layout change of `expandSpansForward`'s doc comment: old buckets at
    // 0 1 4 8 9 13 15, new ones at 0 1 2 4 6 7 8 9 13 14 15.
    let old = [span(0, 2), span(2, 1), span(3, 2), span(3, 1), span(1, 1)];
    let new = [span(0, 3), span(1, 1), span(1, 4), span(3, 3)];
    let ins = expand_spans_forward(&old, &new).unwrap();
    assert_eq!(
        ins.iter().map(|i| (i.pos, i.num)).collect::<Vec<_>>(),
        [(2, 1), (3, 2), (6, 1)]
    );
    let (fwd, bwd) = expand_spans_and_buckets::<u64>(
        &old,
        &new,
        &[6, 3, 3, 2, 4, 5, 1],
        &[7, 5, 1, 3, 1, 0, 2, 5, 5, 0, 1],
    )
    .unwrap();
    assert!(bwd.is_empty());
    assert_eq!(
        insert_empty(&[6u64, 3, 3, 2, 4, 5, 1], &fwd),
        [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]
    );
    assert_eq!(
        insert_empty(&[6u64, 3, 3, 2, 4, 5, 1], &ins),
        [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]
    );
    for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
        let mut a = HistogramAppender::with_flavor(flavor);
        let mut h1 = int_h(27, 2, 18.4, &old, &[6, 3, 3, 2, 4, 5, 1]);
        h1.schema = 1;
        h1.zero_threshold = 1e-125;
        h1.negative_spans = vec![span(1, 1)];
        h1.negative_buckets = vec![1];
        a.append(1234567890, &h1).unwrap();
        let mut h2 = h1.clone();
        h2.positive_spans = new.to_vec();
        h2.positive_buckets = vec![7, 5, 1, 3, 1, 0, 2, 5, 5, 0, 1];
        h2.negative_spans = vec![span(0, 2)];
        h2.negative_buckets = vec![2, 1];
        h2.count = 35;
        h2.zero_count = 3;
        h2.sum = 30.0;
        assert!(matches!(
            a.append(1234567906, &h2),
            Ok(AppendOutcome::Recoded)
        ));
        let got = decode_int(a.bytes());
        assert_eq!(got[0].1.positive_buckets, [6, 3, 0, 3, 0, 0, 2, 4, 5, 0, 1]);
        assert_eq!(got[0].1.negative_buckets, [0, 1]);
        assert_eq!(got[1].1.positive_buckets, h2.positive_buckets);
        assert_eq!(got[1].1.positive_spans, new);
    }
}

#[test]
fn empty_spans_do_not_change_the_layout() {
    // Zero-length spans only shift indices: the same buckets, appendable.
    let a_spans = [span(1, 0), span(2, 4), span(0, 3)];
    let b_spans = [span(3, 4), span(0, 3)];
    assert_eq!(expand_spans_forward(&a_spans, &b_spans), Some(vec![]));
    let c_spans = [span(0, 4), span(1, 0), span(3, 0), span(4, 3)];
    let d_spans = [span(0, 4), span(3, 0), span(1, 0), span(4, 3)];
    assert_eq!(expand_spans_forward(&c_spans, &d_spans), Some(vec![]));
    let mut a = HistogramAppender::new();
    a.append(0, &int_h(7, 0, 1.0, &c_spans, &[1, 2, 1, 1, 1, 1, 0]))
        .unwrap();
    let ap = a.appendable(&int_h(9, 0, 2.0, &d_spans, &[1, 3, 1, 2, 1, 1, 0]));
    assert!(ap.ok && ap.positive_inserts.is_empty() && !ap.has_backward());
}

#[test]
fn counter_resets_and_layout_changes_cut() {
    use CounterResetHeader as H;
    for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
        let base = int_h(10, 2, 5.0, &[span(0, 3)], &[2, 0, 6]);
        let check = |next: IntHistogram, want: Option<H>| {
            let mut a = HistogramAppender::with_flavor(flavor);
            a.append(0, &base).unwrap();
            match (a.append(10, &next).unwrap(), want) {
                (AppendOutcome::Cut(n), Some(h)) => {
                    assert_eq!(n.counter_reset_header(), h, "{flavor:?} {next:?}")
                }
                (AppendOutcome::Appended, None) => {}
                (o, w) => panic!("{flavor:?}: {o:?}, wanted {w:?} for {next:?}"),
            }
        };
        check(
            int_h(9, 2, 5.0, &[span(0, 3)], &[2, 0, 5]),
            Some(H::CounterReset),
        );
        check(
            int_h(11, 1, 5.0, &[span(0, 3)], &[2, 0, 8]),
            Some(H::CounterReset),
        );
        check(
            int_h(10, 2, 5.0, &[span(0, 3)], &[1, 1, 6]),
            Some(H::CounterReset),
        );
        let mut schema = base.clone();
        schema.schema = 1;
        check(schema, Some(H::Unknown));
        let mut zt = base.clone();
        zt.zero_threshold = 0.001;
        check(zt, Some(H::Unknown));
        let mut hinted = base.clone();
        hinted.counter_reset_hint = CounterResetHint::CounterReset;
        check(hinted, Some(H::CounterReset));
        let mut gauge = base.clone();
        gauge.counter_reset_hint = CounterResetHint::Gauge;
        check(gauge, Some(H::Gauge));
        // Bucket 1 was empty and is gone: 3.x inserts it back, 2.42 calls it a reset.
        let gone = int_h(12, 2, 5.0, &[span(0, 1), span(1, 1)], &[3, 7]);
        if flavor == Flavor::Prometheus2 {
            check(gone, Some(H::CounterReset));
        } else {
            check(gone, None);
        }
        // A populated bucket is gone: a reset for both.
        check(
            int_h(12, 4, 5.0, &[span(1, 2)], &[0, 8]),
            Some(H::CounterReset),
        );
    }
}

#[test]
fn backward_insert_in_3x_keeps_the_empty_bucket() {
    let mut a = HistogramAppender::new();
    a.append(0, &int_h(8, 0, 5.0, &[span(0, 3)], &[2, 0, 6]))
        .unwrap();
    let next = int_h(12, 0, 6.0, &[span(0, 1), span(1, 2)], &[3, 7, 2]);
    assert!(matches!(a.append(10, &next), Ok(AppendOutcome::Recoded)));
    let got = decode_int(a.bytes());
    assert_eq!(got[0].1.positive_buckets, [2, 0, 6, 0]);
    assert_eq!(got[1].1.positive_buckets, [3, 0, 7, 2]);
    assert_eq!(got[1].1.positive_spans, [span(0, 4)]);
}

#[test]
fn stale_markers() {
    for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
        let mut a = HistogramAppender::with_flavor(flavor);
        let h = int_h(10, 2, 5.0, &[span(0, 2)], &[4, 4]);
        a.append(0, &h).unwrap();
        let stale = IntHistogram {
            sum: f64::from_bits(STALE_NAN_BITS),
            ..IntHistogram::default()
        };
        assert!(matches!(a.append(10, &stale), Ok(AppendOutcome::Appended)));
        assert!(matches!(a.append(20, &stale), Ok(AppendOutcome::Appended)));
        match a.append(30, &h).unwrap() {
            AppendOutcome::Cut(n) => {
                assert_eq!(n.counter_reset_header(), CounterResetHeader::Unknown)
            }
            o => panic!("{o:?}"),
        }
        let got = decode_int(a.bytes());
        assert_eq!(got.len(), 3);
        assert!(got[1].1.is_stale() && got[2].1.is_stale());
        assert!(got[1].1.positive_buckets.is_empty());
        // A chunk starting with a stale marker has the empty layout.
        let mut s = HistogramAppender::with_flavor(flavor);
        s.append(5, &stale).unwrap();
        assert_eq!(&s.bytes()[..4], &[0, 1, 0, 0]);
    }
}

#[test]
fn gauge_inserts_both_ways() {
    let mut g = FloatHistogram {
        counter_reset_hint: CounterResetHint::Gauge,
        schema: 1,
        zero_threshold: 0.001,
        count: 5.0,
        sum: 3.5,
        positive_spans: vec![span(0, 2), span(2, 1)],
        positive_buckets: vec![1.0, 2.0, 2.0],
        ..FloatHistogram::default()
    };
    for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
        let mut a = FloatHistogramAppender::with_flavor(flavor);
        a.append(0, &g).unwrap();
        assert_eq!(a.counter_reset_header(), CounterResetHeader::Gauge);
        let mut g2 = g.clone();
        g2.positive_spans = vec![span(1, 3)];
        g2.positive_buckets = vec![0.5, 4.0, 0.25];
        g2.count = 4.75;
        assert!(matches!(a.append(10, &g2), Ok(AppendOutcome::Recoded)));
        let got = <FloatHistogramAppender as Codec>::decode(a.bytes()).unwrap();
        // Buckets 0 1 4 and 1 2 3 merge into 0..=4.
        assert_eq!(got[0].1.positive_spans, [span(0, 5)]);
        assert_eq!(got[0].1.positive_buckets, [1.0, 2.0, 0.0, 0.0, 2.0]);
        assert_eq!(got[1].1.positive_buckets, [0.0, 0.5, 4.0, 0.25, 0.0]);
    }
    g.counter_reset_hint = CounterResetHint::Unknown;
    // A counter sample does not go into a gauge chunk; 3.x's float header is Unknown.
    let mut a = FloatHistogramAppender::new();
    let mut gg = g.clone();
    gg.counter_reset_hint = CounterResetHint::Gauge;
    a.append(0, &gg).unwrap();
    match a.append(10, &g).unwrap() {
        AppendOutcome::Cut(n) => {
            assert_eq!(n.counter_reset_header(), CounterResetHeader::Unknown)
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn continuation_headers() {
    use CounterResetHeader as H;
    let h = int_h(10, 2, 5.0, &[span(0, 2)], &[4, 4]);
    for flavor in [Flavor::Prometheus3, Flavor::Prometheus2] {
        let mut prev = HistogramAppender::with_flavor(flavor);
        prev.append(0, &h).unwrap();
        let mut next = HistogramAppender::with_flavor(flavor);
        next.append_first(Some(&prev), 10, &h).unwrap();
        assert_eq!(next.counter_reset_header(), H::NotCounterReset);
        let mut lower = h.clone();
        lower.count = 1;
        let mut next = HistogramAppender::with_flavor(flavor);
        next.append_first(Some(&prev), 10, &lower).unwrap();
        assert_eq!(next.counter_reset_header(), H::CounterReset);
        let mut next = HistogramAppender::with_flavor(flavor);
        next.append_first(None, 10, &h).unwrap();
        assert_eq!(next.counter_reset_header(), H::Unknown);
        assert_eq!(
            next.append_first(None, 20, &h),
            Err(HistogramAppendError::NotEmpty)
        );
    }
}

#[test]
fn custom_bounds_round_trip() {
    let h = FloatHistogram {
        schema: CUSTOM_BUCKETS_SCHEMA,
        count: 3.0,
        sum: 1.0,
        positive_spans: vec![span(0, 3)],
        positive_buckets: vec![1.0, 1.0, 1.0],
        custom_values: vec![0.005, 0.1, 33554.43, 33554.431, 1e300, 0.1234567],
        ..FloatHistogram::default()
    };
    let mut a = FloatHistogramAppender::new();
    a.append(0, &h).unwrap();
    let got = <FloatHistogramAppender as Codec>::decode(a.bytes()).unwrap();
    assert_eq!(got[0].1.custom_values, h.custom_values);
    assert_eq!(
        FloatHistogramAppender::with_flavor(Flavor::Prometheus2)
            .append(0, &h)
            .err(),
        Some(HistogramAppendError::CustomBucketsIn2x)
    );
}

#[test]
fn invalid_histograms_are_refused() {
    let mut a = HistogramAppender::new();
    let bad = int_h(3, 0, 1.0, &[span(0, 2)], &[1]);
    assert!(matches!(
        a.append(0, &bad),
        Err(HistogramAppendError::SpansBucketsMismatch { .. })
    ));
    let neg = int_h(3, 0, 1.0, &[span(0, 1), span(-2, 1)], &[1, 2]);
    assert!(matches!(
        a.append(0, &neg),
        Err(HistogramAppendError::NegativeSpanOffset { .. })
    ));
    assert!(a.is_empty());
    a.append(0, &int_h(3, 0, 1.0, &[span(0, 2)], &[1, 2]))
        .unwrap();
    assert!(matches!(
        a.append_raw(1, &int_h(3, 0, 1.0, &[span(0, 3)], &[1, 2, 0])),
        Err(HistogramAppendError::LayoutMismatch { .. })
    ));
}
