//! Span algebra: the bucket layouts of native histograms (`[]Span` in Go) compared,
//! merged and widened, as Prometheus's `histogram_meta.go` does it.
//!
//! Everything here is pure computation on spans and bucket counts; the appenders decide
//! what to do with the results (recode the chunk, widen the sample, or cut). Keeping it
//! apart keeps the index arithmetic, where 2.42 and 3.x differ in subtle ways, testable on
//! its own.

use crate::histogram::{Count, Span};

/// New empty buckets to put into a bucket list: `num` of them before the bucket at
/// position `pos` (or at the end when `pos` is the list's length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insert {
    /// Position in the existing bucket list before which the buckets go.
    pub pos: usize,
    /// How many buckets.
    pub num: usize,
    /// Bucket index of the first inserted bucket (3.x rules use it to adjust spans).
    pub bucket_idx: i64,
}

/// A bucket count as Prometheus compares counts in its reset checks: integer counts as
/// Go's `int64` (so the comparison matches Go even past `i64::MAX`), float counts as floats.
pub(super) trait BucketCount: Count + PartialOrd {
    /// `self > other`, the Go way.
    fn go_gt(self, other: Self) -> bool;
}

impl BucketCount for u64 {
    fn go_gt(self, other: u64) -> bool {
        (self as i64) > (other as i64)
    }
}

impl BucketCount for f64 {
    fn go_gt(self, other: f64) -> bool {
        self > other
    }
}

/// Buckets a span list covers.
pub(super) fn count_spans(spans: &[Span]) -> u64 {
    spans.iter().map(|s| u64::from(s.length)).sum()
}

/// Bucket indices of a span list, in order (Go's `bucketIterator`, zero-length spans
/// included: they only move the index).
#[derive(Debug, Clone)]
pub(super) struct BucketIndices<'a> {
    spans: &'a [Span],
    span: usize,
    bucket: i64,
    idx: i64,
}

impl<'a> BucketIndices<'a> {
    pub(super) fn new(spans: &'a [Span]) -> Self {
        BucketIndices {
            spans,
            span: 0,
            bucket: -1,
            idx: -1 + spans.first().map_or(0, |s| i64::from(s.offset)),
        }
    }
}

impl Iterator for BucketIndices<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let cur = self.spans.get(self.span)?;
        if self.bucket < i64::from(cur.length) - 1 {
            self.bucket += 1;
            self.idx += 1;
            return Some(self.idx);
        }
        while let Some(&s) = self.spans.get(self.span + 1) {
            self.span += 1;
            self.idx += i64::from(s.offset) + 1;
            self.bucket = 0;
            if s.length == 0 {
                self.idx -= 1;
                continue;
            }
            return Some(self.idx);
        }
        None
    }
}

/// 2.42's `expandSpansForward`: the inserts that turn layout `a` into `b`, or `None` when
/// `b` lacks a bucket of `a`.
pub(super) fn expand_spans_forward(a: &[Span], b: &[Span]) -> Option<Vec<Insert>> {
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let mut inserts = Vec::new();
    let mut inter = Insert::default();
    let (mut av, mut bv) = (ai.next(), bi.next());
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if inter.num > 0 {
                    inserts.push(inter);
                }
                inter.num = 0;
                av = ai.next();
                bv = bi.next();
                inter.pos += 1;
            }
            (Some(x), Some(y)) if x < y => return None,
            (Some(_), None) => return None,
            (_, Some(y)) => {
                if inter.num == 0 {
                    inter.bucket_idx = y;
                }
                inter.num += 1;
                bv = bi.next();
            }
            (None, None) => {
                if inter.num > 0 {
                    inserts.push(inter);
                }
                return Some(inserts);
            }
        }
    }
}

/// 3.x's `expandIntSpansAndBuckets` / `expandFloatSpansAndBuckets`: forward inserts (new
/// buckets of `b`) and backward inserts (buckets of `a` that `b` lacks, allowed only when
/// empty in `a`), or `None` on a counter reset (a bucket decreased, or a populated bucket
/// of `a` is missing from `b`).
pub(super) fn expand_spans_and_buckets<C: BucketCount>(
    a: &[Span],
    b: &[Span],
    a_counts: &[C],
    b_counts: &[C],
) -> Option<(Vec<Insert>, Vec<Insert>)> {
    fn add_insert(inserts: &mut Vec<Insert>, insert: &mut Insert, other_idx: i64) {
        if insert.num == 0 {
            insert.bucket_idx = other_idx;
        } else if insert.bucket_idx + insert.num as i64 != other_idx {
            inserts.push(*insert);
            insert.num = 0;
            insert.bucket_idx = other_idx;
        }
        insert.num += 1;
    }
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let (mut a_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut a_inter, mut b_inter) = (Insert::default(), Insert::default());
    let (mut a_i, mut b_i) = (0usize, 0usize);
    let (mut av, mut bv) = (ai.next(), bi.next());
    let zero = C::default();
    loop {
        let a_count = a_counts.get(a_i).copied().unwrap_or(zero);
        let b_count = b_counts.get(b_i).copied().unwrap_or(zero);
        let (advance_a, advance_b) = match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if a_count.go_gt(b_count) {
                    return None;
                }
                (true, true)
            }
            (Some(x), Some(y)) if x > y => {
                add_insert(&mut a_inserts, &mut a_inter, y);
                (false, true)
            }
            (Some(x), _) => {
                // `b` lacks bucket x: fine if it was empty in `a`.
                if !a_count.is_zero() {
                    return None;
                }
                add_insert(&mut b_inserts, &mut b_inter, x);
                (true, false)
            }
            (None, Some(y)) => {
                add_insert(&mut a_inserts, &mut a_inter, y);
                (false, true)
            }
            (None, None) => {
                if a_inter.num > 0 {
                    a_inserts.push(a_inter);
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                }
                return Some((a_inserts, b_inserts));
            }
        };
        if advance_a {
            if a_inter.num > 0 {
                a_inserts.push(a_inter);
                a_inter.num = 0;
            }
            av = ai.next();
            a_inter.pos += 1;
            a_i += 1;
        }
        if advance_b {
            if b_inter.num > 0 {
                b_inserts.push(b_inter);
                b_inter.num = 0;
            }
            bv = bi.next();
            b_inter.pos += 1;
            b_i += 1;
        }
    }
}

/// 2.42's `counterResetInAnyBucket` for layouts where `new` covers every bucket of `old`:
/// true if a bucket present in both decreased.
pub(super) fn counter_reset_in_any_bucket<C: BucketCount>(
    old_spans: &[Span],
    old: &[C],
    new_spans: &[Span],
    new: &[C],
) -> bool {
    let mut newer = BucketIndices::new(new_spans).zip(new.iter().copied());
    let mut cur = newer.next();
    for (idx, old_count) in BucketIndices::new(old_spans).zip(old.iter().copied()) {
        while let Some((n_idx, n_count)) = cur {
            if n_idx < idx {
                cur = newer.next();
                continue;
            }
            if n_idx == idx && old_count.go_gt(n_count) {
                return true;
            }
            break;
        }
    }
    false
}

/// `expandSpansBothWays` (gauges): forward inserts, backward inserts and the merged spans.
pub(super) fn expand_spans_both_ways(
    a: &[Span],
    b: &[Span],
) -> (Vec<Insert>, Vec<Insert>, Vec<Span>) {
    let mut merged: Vec<Span> = Vec::new();
    let mut last_bucket = 0i64;
    let mut add_bucket = |merged: &mut Vec<Span>, bucket: i64| {
        let mut offset = bucket - last_bucket - 1;
        match merged.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            _ => {
                if merged.is_empty() {
                    offset += 1;
                }
                merged.push(Span {
                    offset: offset as i32,
                    length: 1,
                });
            }
        }
        last_bucket = bucket;
    };
    let mut ai = BucketIndices::new(a);
    let mut bi = BucketIndices::new(b);
    let (mut f_inserts, mut b_inserts) = (Vec::new(), Vec::new());
    let (mut f_inter, mut b_inter) = (Insert::default(), Insert::default());
    let (mut av, mut bv) = (ai.next(), bi.next());
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                add_bucket(&mut merged, x);
                av = ai.next();
                bv = bi.next();
                f_inter.pos += 1;
                b_inter.pos += 1;
            }
            (Some(x), Some(y)) if x < y => {
                if b_inter.num == 0 {
                    b_inter.bucket_idx = x;
                }
                b_inter.num += 1;
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                    f_inter.num = 0;
                }
                add_bucket(&mut merged, x);
                f_inter.pos += 1;
                av = ai.next();
            }
            (Some(_), Some(y)) => {
                if f_inter.num == 0 {
                    f_inter.bucket_idx = y;
                }
                f_inter.num += 1;
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                    b_inter.num = 0;
                }
                add_bucket(&mut merged, y);
                b_inter.pos += 1;
                bv = bi.next();
            }
            (Some(x), None) => {
                if b_inter.num == 0 {
                    b_inter.bucket_idx = x;
                }
                b_inter.num += 1;
                add_bucket(&mut merged, x);
                av = ai.next();
            }
            (None, Some(y)) => {
                if f_inter.num == 0 {
                    f_inter.bucket_idx = y;
                }
                f_inter.num += 1;
                add_bucket(&mut merged, y);
                bv = bi.next();
            }
            (None, None) => {
                if f_inter.num > 0 {
                    f_inserts.push(f_inter);
                }
                if b_inter.num > 0 {
                    b_inserts.push(b_inter);
                }
                return (f_inserts, b_inserts, merged);
            }
        }
    }
}

/// 3.x's `adjustForInserts`: `spans` widened by the buckets `inserts` add.
pub(super) fn adjust_for_inserts(spans: &[Span], inserts: &[Insert]) -> Vec<Span> {
    let Some(first) = inserts.first() else {
        return spans.to_vec();
    };
    let mut merged: Vec<Span> = Vec::new();
    let mut last_bucket = 0i64;
    let mut add_bucket = |bucket: i64| {
        let mut offset = bucket - last_bucket - 1;
        match merged.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            _ => {
                if merged.is_empty() {
                    offset += 1;
                }
                merged.push(Span {
                    offset: offset as i32,
                    length: 1,
                });
            }
        }
        last_bucket = bucket;
    };
    let (mut i, mut insert_idx, mut insert_num) = (0usize, first.bucket_idx, first.num);
    let consume = |i: &mut usize, insert_idx: &mut i64, insert_num: &mut usize| {
        if *insert_num <= 1 {
            *i += 1;
            if let Some(next) = inserts.get(*i) {
                *insert_idx = next.bucket_idx;
                *insert_num = next.num;
            }
        } else {
            *insert_num -= 1;
            *insert_idx += 1;
        }
    };
    let mut it = BucketIndices::new(spans);
    let mut bucket = it.next();
    while let Some(b) = bucket {
        if i < inserts.len() && insert_idx < b {
            add_bucket(insert_idx);
            consume(&mut i, &mut insert_idx, &mut insert_num);
        } else {
            add_bucket(b);
            bucket = it.next();
        }
    }
    while i < inserts.len() {
        add_bucket(insert_idx);
        consume(&mut i, &mut insert_idx, &mut insert_num);
    }
    merged
}

/// `values` with empty buckets added where `inserts` say. (Prometheus inserts into the
/// delta-coded integer buckets; inserting zeros into absolute counts is the same.)
pub(super) fn insert_empty<C: Count>(values: &[C], inserts: &[Insert]) -> Vec<C> {
    let extra: usize = inserts.iter().map(|i| i.num).sum();
    let mut out = Vec::with_capacity(values.len() + extra);
    let mut ii = 0;
    for (i, &v) in values.iter().enumerate() {
        while let Some(ins) = inserts.get(ii).filter(|ins| ins.pos == i) {
            out.extend(std::iter::repeat_n(C::default(), ins.num));
            ii += 1;
        }
        out.push(v);
    }
    for ins in inserts.get(ii..).unwrap_or_default() {
        out.extend(std::iter::repeat_n(C::default(), ins.num));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    #[test]
    fn adjust_for_inserts_widens_spans() {
        let spans = [span(0, 1), span(2, 1)];
        let ins = [Insert {
            pos: 1,
            num: 2,
            bucket_idx: 1,
        }];
        assert_eq!(adjust_for_inserts(&spans, &ins), [span(0, 4)]);
        let ins = [Insert {
            pos: 2,
            num: 1,
            bucket_idx: 5,
        }];
        assert_eq!(
            adjust_for_inserts(&spans, &ins),
            [span(0, 1), span(2, 1), span(1, 1)]
        );
    }
}
