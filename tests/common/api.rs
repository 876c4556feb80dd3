//! Prometheus's HTTP API answers for histograms, and ours in the same shape.

use serde_json::Value as J;
use tsblock::histogram::{Bucket, Count, Histogram};

/// A float as Prometheus's API writes it.
pub fn api_float(s: &J) -> f64 {
    match s.as_str().expect("string") {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().expect("float"),
    }
}

/// A histogram as the API shows it: count, sum, and every non-empty bucket as
/// (boundary rule, lower, upper, count), negative buckets first, then zero, then positive.
#[derive(Debug, PartialEq)]
pub struct ApiHistogram {
    pub count: u64,
    pub sum: u64,
    pub buckets: Vec<(i64, u64, u64, u64)>,
}

pub fn from_api(h: &J) -> ApiHistogram {
    ApiHistogram {
        count: api_float(&h["count"]).to_bits(),
        sum: api_float(&h["sum"]).to_bits(),
        buckets: h["buckets"]
            .as_array()
            .map(|bs| {
                bs.iter()
                    .map(|b| {
                        (
                            b[0].as_i64().expect("rule"),
                            api_float(&b[1]).to_bits(),
                            api_float(&b[2]).to_bits(),
                            api_float(&b[3]).to_bits(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn rule<C: Count>(b: &Bucket<C>) -> i64 {
    match (b.lower_inclusive, b.upper_inclusive) {
        (false, true) => 0,
        (true, false) => 1,
        (false, false) => 2,
        (true, true) => 3,
    }
}

/// Our histogram in the API's shape. With `clip`, bucket bounds inside the zero bucket are
/// moved to its edge, as the API's `AllBucketIterator` does (2.42: a negative bucket's
/// upper bound above `-zero_threshold`, a positive bucket's lower bound below
/// `zero_threshold`); `String()` does not clip.
pub fn ours<C: Count>(h: &Histogram<C>, as_f64: impl Fn(C) -> f64, clip: bool) -> ApiHistogram {
    let zt = h.zero_threshold;
    let mut buckets = Vec::new();
    let mut push = |mut b: Bucket<C>| {
        if clip && b.index != i32::MIN {
            if b.upper <= 0.0 && b.upper > -zt {
                b.upper = -zt;
            }
            if b.lower >= 0.0 && b.lower < zt {
                b.lower = zt;
            }
        }
        if !b.count.is_zero() {
            buckets.push((
                rule(&b),
                b.lower.to_bits(),
                b.upper.to_bits(),
                as_f64(b.count).to_bits(),
            ));
        }
    };
    let negative: Vec<Bucket<C>> = h.negative_buckets_iter().collect();
    negative.into_iter().rev().for_each(&mut push);
    let mut zero = h.zero_bucket();
    // Marks the zero bucket, which is never clipped.
    zero.index = i32::MIN;
    push(zero);
    h.positive_buckets_iter().for_each(&mut push);
    ApiHistogram {
        count: as_f64(h.count).to_bits(),
        // The API writes every NaN as "NaN": payloads cannot be compared.
        sum: if h.sum.is_nan() {
            f64::NAN.to_bits()
        } else {
            h.sum.to_bits()
        },
        buckets,
    }
}

/// `Histogram::String()` rebuilt from the server's answer alone (Go's `%g` for floats).
pub fn go_string(api: &ApiHistogram, integer: bool) -> String {
    let g = |bits: u64| {
        let mut o = Vec::new();
        tsblock::compat::gofmt::push_float_g(&mut o, f64::from_bits(bits));
        String::from_utf8(o).expect("utf-8")
    };
    let count = |bits: u64| {
        if integer {
            (f64::from_bits(bits) as u64).to_string()
        } else {
            g(bits)
        }
    };
    let mut s = format!("{{count:{}, sum:{}", count(api.count), g(api.sum));
    for &(r, lo, hi, c) in &api.buckets {
        let (open, close) = match r {
            0 => ('(', ']'),
            1 => ('[', ')'),
            2 => ('(', ')'),
            _ => ('[', ']'),
        };
        s += &format!(", {open}{},{}{close}:{}", g(lo), g(hi), count(c));
    }
    s + "}"
}
