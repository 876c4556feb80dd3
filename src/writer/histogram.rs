//! Histogram sample comparisons the writer needs for Prometheus's duplicate rule: two
//! histograms are the same sample when their buckets are, however their spans spell them.

use crate::histogram::{Count, Histogram, Span};

/// Bucket indices of a span list (zero-length spans only move the index).
fn bucket_indices(spans: &[Span]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next = 0i64;
    for (i, s) in spans.iter().enumerate() {
        let start = if i == 0 {
            i64::from(s.offset)
        } else {
            next + i64::from(s.offset)
        };
        out.extend((0..i64::from(s.length)).map(|k| start + k));
        next = start + i64::from(s.length);
    }
    out
}

/// Prometheus's `Histogram.Equals` (3.x): same values (the sum by its bits) and the same
/// buckets, however the spans spell them.
pub(super) fn same_histogram<C: Count>(a: &Histogram<C>, b: &Histogram<C>) -> bool {
    // Bit equality, as Go's `Equals`: NaN equals NaN, -0 differs from 0.
    let floats = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
    };
    a.schema == b.schema
        && a.zero_threshold.to_bits() == b.zero_threshold.to_bits()
        && a.zero_count.same_bits(b.zero_count)
        && a.count.same_bits(b.count)
        && a.sum.to_bits() == b.sum.to_bits()
        && floats(&a.custom_values, &b.custom_values)
        && a.positive_buckets.len() == b.positive_buckets.len()
        && a.positive_buckets
            .iter()
            .zip(&b.positive_buckets)
            .all(|(x, y)| x.same_bits(*y))
        && a.negative_buckets.len() == b.negative_buckets.len()
        && a.negative_buckets
            .iter()
            .zip(&b.negative_buckets)
            .all(|(x, y)| x.same_bits(*y))
        && bucket_indices(&a.positive_spans) == bucket_indices(&b.positive_spans)
        && bucket_indices(&a.negative_spans) == bucket_indices(&b.negative_spans)
}
