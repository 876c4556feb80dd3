//! Go's `String()` of Prometheus's model types: label sets, histogram buckets and histograms.
//!
//! The model modules ([`crate::labels`], [`crate::histogram`]) hold data and its rules; how
//! Go happens to print that data is what `promtool` output depends on, so it lives here with
//! the rest of the Go-compatible text. The `Display` of [`Histogram`] and [`Bucket`] is
//! implemented here for the same reason: it is this rendering.

use std::fmt;

use crate::histogram::{Bucket, Count, Histogram};
use crate::labels::Label;
use crate::text::push_quoted;

use super::gofmt::push_float_g;

/// Appends Prometheus 2.42's `labels.Labels.String()` of a stored label set: `{a="1", b="2"}`.
///
/// See [`push_label_pairs`]; this is the same for the [`Label`]s a query returns.
pub fn push_labels(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    push_label_pairs(out, labels.iter().map(|l| (l.name, l.value)));
}

/// Appends Prometheus 2.42's `labels.Labels.String()`: `{a="1", b="2"}`.
///
/// Names are written raw and values with [`push_quoted`], in the order given (the stored,
/// sorted order); an empty set gives `{}`. Takes plain byte pairs so that label sets not
/// read from a block (e.g. parsed from OpenMetrics text) print the same way.
pub fn push_label_pairs<'a, I>(out: &mut Vec<u8>, labels: I)
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    out.push(b'{');
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(name);
        out.push(b'=');
        push_quoted(out, value);
    }
    out.push(b'}');
}

/// A bucket count as Go's `%v` prints it. Implemented for the two [`Count`] types; it is a
/// separate trait so that the model's [`Count`] carries no presentation.
pub trait GoCount: Count {
    /// Appends Go's `%v` of the count: decimal for `u64`, `%g` for `f64` (`+Inf`, `NaN`).
    fn push_go(self, out: &mut Vec<u8>);
}

impl GoCount for u64 {
    fn push_go(self, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
    }
}

impl GoCount for f64 {
    fn push_go(self, out: &mut Vec<u8>) {
        push_float_g(out, self);
    }
}

/// Appends Go's `Bucket.String()`: `[` or `(`, the bounds as `%g,%g`, `]` or `)`, then `:`
/// and the count (`%v`), e.g. `(0.5,1]:3` or `[-0.001,0.001]:2`.
pub fn push_bucket<C: GoCount>(out: &mut Vec<u8>, bucket: &Bucket<C>) {
    out.push(if bucket.lower_inclusive { b'[' } else { b'(' });
    push_float_g(out, bucket.lower);
    out.push(b',');
    push_float_g(out, bucket.upper);
    out.push(if bucket.upper_inclusive { b']' } else { b')' });
    out.push(b':');
    bucket.count.push_go(out);
}

/// Appends Go's `Histogram.String()` / `FloatHistogram.String()`, identical from Prometheus
/// 2.48 to 3.x: `{count:%d, sum:%g` (float histograms `count:%g`), then `, ` and each bucket
/// ([`push_bucket`]) whose count is not zero (`-0` counts as zero, NaN does not): negative
/// buckets from the highest index down (so, like the rest, in ascending order of value), the
/// zero bucket, positive buckets; then `}`. A stale marker prints `{count:0, sum:NaN}`.
///
/// Known differences, all on corrupt or absurd data where Go panics or 2.48 differs: Go
/// panics where the buckets run short of the spans (2.48) or bounds are undefined (see
/// [`Histogram::positive_buckets_iter`]); 2.48 (not 2.49+) skips float-histogram buckets
/// whose upper bound underflows to 0 (indexes below about -1074 × 2^schema).
pub fn push_histogram<C: GoCount>(out: &mut Vec<u8>, h: &Histogram<C>) {
    out.extend_from_slice(b"{count:");
    h.count.push_go(out);
    out.extend_from_slice(b", sum:");
    push_float_g(out, h.sum);
    let negative: Vec<Bucket<C>> = h
        .negative_buckets_iter()
        .filter(|b| !b.count.is_zero())
        .collect();
    for b in negative.iter().rev() {
        out.extend_from_slice(b", ");
        push_bucket(out, b);
    }
    if !h.zero_count.is_zero() {
        out.extend_from_slice(b", ");
        push_bucket(out, &h.zero_bucket());
    }
    for b in h.positive_buckets_iter().filter(|b| !b.count.is_zero()) {
        out.extend_from_slice(b", ");
        push_bucket(out, &b);
    }
    out.push(b'}');
}

impl<C: GoCount> fmt::Display for Bucket<C> {
    /// Go's `String()`; see [`push_bucket`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(48);
        push_bucket(&mut out, self);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl<C: GoCount> fmt::Display for Histogram<C> {
    /// Go's `String()`; see [`push_histogram`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(64);
        push_histogram(&mut out, self);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::tests::{float_hist, int_hist};
    use crate::histogram::STALE_NAN_BITS;
    use crate::histogram::{FloatHistogram, IntHistogram, Span, CUSTOM_BUCKETS_SCHEMA};

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("test output is UTF-8")
    }

    #[test]
    fn labels() {
        let none: [(&[u8], &[u8]); 0] = [];
        assert_eq!(s(|o| push_label_pairs(o, none)), "{}");
        let ls: [(&[u8], &[u8]); 3] = [
            (b"__name__", b"up"),
            (b"instance", b"a\"b\\c\nd"),
            (b"job", b"x y"),
        ];
        assert_eq!(
            s(|o| push_label_pairs(o, ls)),
            r#"{__name__="up", instance="a\"b\\c\nd", job="x y"}"#
        );
    }

    #[test]
    fn label_set_matches_label_pairs_and_the_error_rendering() {
        let set = [
            Label {
                name: b"__name__",
                value: b"up",
            },
            Label {
                name: b"instance",
                value: b"a\"b\\c\nd\xff",
            },
        ];
        let want = r#"{__name__="up", instance="a\"b\\c\nd\xff"}"#;
        assert_eq!(s(|o| push_labels(o, &set)), want);
        assert_eq!(s(|o| push_labels(o, &[])), "{}");
    }

    /// Every expected string was printed by Go's `String()` (Prometheus 3.0's
    /// `model/histogram`, and 2.48's where it has no custom buckets: identical) in a throwaway
    /// Go program building the same histograms.
    #[test]
    fn string_matches_go() {
        assert_eq!(
            int_hist().to_string(),
            "{count:10, sum:18.4, [-16,-8):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, \
             (1,2]:2, (8,16]:3}"
        );
        // Float counts: -0 is skipped, NaN and +Inf are printed; a zero threshold of 0.
        assert_eq!(
            float_hist().to_string(),
            "{count:5.5, sum:-1e-07, [-1.0905077326652577,-1):+Inf, [-0,0]:0.5, \
             (0.7711054127039704,0.8408964152537144]:0.25, (0.9170040432046711,1]:NaN}"
        );
        let custom = IntHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 8,
            sum: 21.5,
            custom_values: vec![1.0, 2.5, 10.0],
            positive_spans: vec![
                Span {
                    offset: 0,
                    length: 2,
                },
                Span {
                    offset: 1,
                    length: 1,
                },
            ],
            positive_buckets: vec![3, 0, 5],
            ..Default::default()
        };
        assert_eq!(
            custom.to_string(),
            "{count:8, sum:21.5, [-Inf,1]:3, (10,+Inf]:5}"
        );
        let custom_float = FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 3.0,
            sum: 1e6,
            custom_values: vec![-5.0, 0.5],
            positive_spans: vec![Span {
                offset: 0,
                length: 3,
            }],
            positive_buckets: vec![1.0, 1.5, 0.5],
            ..Default::default()
        };
        assert_eq!(
            custom_float.to_string(),
            "{count:3, sum:1e+06, [-Inf,-5]:1, (-5,0.5]:1.5, (0.5,+Inf]:0.5}"
        );
        let stale = f64::from_bits(STALE_NAN_BITS);
        let int_stale = IntHistogram {
            sum: stale,
            ..Default::default()
        };
        let float_stale = FloatHistogram {
            sum: stale,
            ..Default::default()
        };
        assert!(int_stale.is_stale());
        assert_eq!(int_stale.to_string(), "{count:0, sum:NaN}");
        assert_eq!(float_stale.to_string(), "{count:0, sum:NaN}");
        // Schema -4 up to the f64::MAX bucket and the +Inf bucket; zero threshold 0.
        let wide = IntHistogram {
            schema: -4,
            count: 3,
            sum: f64::INFINITY,
            zero_count: 7,
            positive_spans: vec![Span {
                offset: 63,
                length: 3,
            }],
            positive_buckets: vec![1, 1, 1],
            negative_spans: vec![Span {
                offset: -1,
                length: 2,
            }],
            negative_buckets: vec![5, 6],
            ..Default::default()
        };
        assert_eq!(
            wide.to_string(),
            "{count:3, sum:+Inf, [-1,-1.52587890625e-05):6, \
             [-1.52587890625e-05,-2.3283064365386963e-10):5, [-0,0]:7, \
             (4.185580496821357e+298,2.7430620343968443e+303]:1, \
             (2.7430620343968443e+303,1.7976931348623157e+308]:1, (1.7976931348623157e+308,+Inf]:1}"
        );
        let fine = FloatHistogram {
            schema: 8,
            count: 1e21,
            sum: 1.5e-5,
            zero_threshold: 1e-128,
            zero_count: 1e-5,
            positive_spans: vec![Span {
                offset: 127,
                length: 2,
            }],
            positive_buckets: vec![100000.0, 1e6],
            ..Default::default()
        };
        let mut out = b"x".to_vec();
        push_histogram(&mut out, &fine);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "x{count:1e+21, sum:1.5e-05, [-1e-128,1e-128]:1e-05, \
             (1.4065759938190152,1.4103896082172704]:100000, \
             (1.4103896082172704,1.414213562373095]:1e+06}"
        );
    }
}
