//! Histogram sample comparisons the writer needs for Prometheus's duplicate rule: two
//! histograms are the same sample when their buckets are, however their spans spell them.

use crate::histogram::{Count, Histogram, Span};

/// The bucket indices of a span list as maximal runs `(first index, count)`: empty spans
/// dropped, touching spans joined. Two span lists spell the same indices exactly when their
/// runs are equal, and the runs take no more room than the spans, whatever lengths they
/// claim (a stale marker's spans are not checked against its buckets, and a span may claim
/// 2^32 - 1 buckets in a few bytes).
fn bucket_runs(spans: &[Span]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    let mut next = 0i64;
    for (i, s) in spans.iter().enumerate() {
        let start = if i == 0 {
            i64::from(s.offset)
        } else {
            next + i64::from(s.offset)
        };
        let len = i64::from(s.length);
        next = start + len;
        if len == 0 {
            continue;
        }
        match out.last_mut() {
            Some((first, n)) if *first + *n == start => *n += len,
            _ => out.push((start, len)),
        }
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
        && bucket_runs(&a.positive_spans) == bucket_runs(&b.positive_spans)
        && bucket_runs(&a.negative_spans) == bucket_runs(&b.negative_spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    /// The indices spelled out, for spans small enough to spell.
    fn indices(spans: &[Span]) -> Vec<i64> {
        bucket_runs(spans)
            .into_iter()
            .flat_map(|(first, n)| first..first + n)
            .collect()
    }

    #[test]
    fn runs_spell_the_same_indices_however_the_spans_do() {
        let a = [span(-2, 2), span(0, 0), span(0, 3), span(4, 1)];
        let b = [span(-2, 5), span(4, 1)];
        assert_eq!(bucket_runs(&a), bucket_runs(&b));
        assert_eq!(indices(&a), vec![-2, -1, 0, 1, 2, 7]);
        assert_ne!(bucket_runs(&a), bucket_runs(&[span(-2, 5), span(3, 1)]));
        // Backwards offsets (not written by Prometheus) keep their order.
        assert_eq!(indices(&[span(5, 1), span(-3, 1)]), vec![5, 3]);
    }

    #[test]
    fn huge_claimed_lengths_cost_nothing() {
        // A stale marker's spans are not checked against its buckets: 10 spans of
        // 2^32 - 1 buckets each would be 43 G indices spelled out.
        let spans = vec![span(0, u32::MAX); 10];
        assert_eq!(bucket_runs(&spans), vec![(0, 10 * i64::from(u32::MAX))]);
        let h = Histogram::<u64> {
            positive_spans: spans.clone(),
            ..Histogram::default()
        };
        assert!(same_histogram(&h, &h.clone()));
    }
}
