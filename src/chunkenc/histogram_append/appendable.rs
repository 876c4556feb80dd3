//! Whether a sample fits a chunk: Prometheus's `appendable` (counters) and
//! `appendableGauge` (gauges), under 2.42's or 3.x's rules.
//!
//! The verdict ([`Appendability`]) is data, not an action, because Prometheus uses it twice:
//! to decide what to do with a sample, and to pick the counter-reset header of a chunk the
//! head cut (does the previous chunk take the sample?).

use super::spans::{
    counter_reset_in_any_bucket, expand_spans_and_buckets, expand_spans_both_ways,
    expand_spans_forward, Insert,
};
use super::Codec;
use crate::chunkenc::histogram::CounterResetHeader;
use crate::chunkenc::Flavor;
use crate::histogram::{CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA, STALE_NAN_BITS};

/// Whether a sample fits a chunk, as Prometheus's `appendable` / `appendableGauge` decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Appendability {
    /// The sample can go into this chunk (after recoding it when there are inserts).
    pub ok: bool,
    /// It cannot, because of a counter reset.
    pub counter_reset: bool,
    /// Prometheus 3.x's verdict for integer counters: `NotCounterReset` when the sample
    /// fits (or follows a gauge chunk), `CounterReset` on a reset, `Unknown` after a
    /// schema or zero-threshold change or when a real sample follows a stale marker.
    /// `Gauge` for gauge checks.
    pub header: CounterResetHeader,
    /// New positive buckets of the sample, to insert into the chunk's samples (recode).
    pub positive_inserts: Vec<Insert>,
    /// New negative buckets of the sample, to insert into the chunk's samples (recode).
    pub negative_inserts: Vec<Insert>,
    /// Positive buckets of the chunk the sample lacks, to insert into the sample.
    pub backward_positive_inserts: Vec<Insert>,
    /// Negative buckets of the chunk the sample lacks, to insert into the sample.
    pub backward_negative_inserts: Vec<Insert>,
    /// Gauges: the union of the chunk's and the sample's positive spans.
    pub positive_spans: Vec<Span>,
    /// Gauges: the union of the chunk's and the sample's negative spans.
    pub negative_spans: Vec<Span>,
}

impl Appendability {
    pub(super) fn no(header: CounterResetHeader) -> Self {
        Appendability {
            ok: false,
            counter_reset: false,
            header,
            positive_inserts: Vec::new(),
            negative_inserts: Vec::new(),
            backward_positive_inserts: Vec::new(),
            backward_negative_inserts: Vec::new(),
            positive_spans: Vec::new(),
            negative_spans: Vec::new(),
        }
    }

    pub(super) fn yes(header: CounterResetHeader) -> Self {
        Appendability {
            ok: true,
            ..Self::no(header)
        }
    }

    pub(super) fn reset() -> Self {
        Appendability {
            counter_reset: true,
            ..Self::no(CounterResetHeader::CounterReset)
        }
    }

    pub(super) fn has_forward(&self) -> bool {
        !self.positive_inserts.is_empty() || !self.negative_inserts.is_empty()
    }

    pub(super) fn has_backward(&self) -> bool {
        !self.backward_positive_inserts.is_empty() || !self.backward_negative_inserts.is_empty()
    }
}

/// Custom bucket bounds compared as Go's `==` on floats does.
fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Counter appendability (`Appendable` in 2.42, `appendable` in 3.x).
pub(super) fn appendable<K: Codec>(a: &K, h: &Histogram<K::C>) -> Appendability {
    use CounterResetHeader as H;
    let core = a.core();
    if core.num > 0 && core.header() == H::Gauge {
        return Appendability::no(H::NotCounterReset);
    }
    if core.flavor() == Flavor::Prometheus3
        && h.counter_reset_hint == CounterResetHint::CounterReset
    {
        return Appendability::reset();
    }
    if h.is_stale() {
        return Appendability::yes(H::NotCounterReset);
    }
    if a.last_sum_bits() == STALE_NAN_BITS {
        return Appendability::no(H::Unknown);
    }
    if h.count < a.last_count() {
        return Appendability::reset();
    }
    if h.schema != core.schema || h.zero_threshold != core.zero_threshold {
        return Appendability::no(H::Unknown);
    }
    if core.flavor() == Flavor::Prometheus3
        && h.schema == CUSTOM_BUCKETS_SCHEMA
        && !bounds_match(&h.custom_values, &core.custom_values)
    {
        return Appendability::reset();
    }
    if h.zero_count < a.last_zero_count() {
        return Appendability::reset();
    }
    let (old_pos, old_neg) = (a.last_buckets(true), a.last_buckets(false));
    let mut r = Appendability::yes(H::NotCounterReset);
    if core.flavor() == Flavor::Prometheus2 {
        let (Some(p), Some(n)) = (
            expand_spans_forward(&core.positive_spans, &h.positive_spans),
            expand_spans_forward(&core.negative_spans, &h.negative_spans),
        ) else {
            return Appendability::reset();
        };
        if counter_reset_in_any_bucket(
            &core.positive_spans,
            &old_pos,
            &h.positive_spans,
            &h.positive_buckets,
        ) || counter_reset_in_any_bucket(
            &core.negative_spans,
            &old_neg,
            &h.negative_spans,
            &h.negative_buckets,
        ) {
            return Appendability::reset();
        }
        r.positive_inserts = p;
        r.negative_inserts = n;
    } else {
        let Some((pf, pb)) = expand_spans_and_buckets(
            &core.positive_spans,
            &h.positive_spans,
            &old_pos,
            &h.positive_buckets,
        ) else {
            return Appendability::reset();
        };
        let Some((nf, nb)) = expand_spans_and_buckets(
            &core.negative_spans,
            &h.negative_spans,
            &old_neg,
            &h.negative_buckets,
        ) else {
            return Appendability::reset();
        };
        r.positive_inserts = pf;
        r.negative_inserts = nf;
        r.backward_positive_inserts = pb;
        r.backward_negative_inserts = nb;
    }
    r
}

/// Gauge appendability (`AppendableGauge` / `appendableGauge`, the same in 2.42 and 3.x
/// apart from custom bounds).
pub(super) fn appendable_gauge<K: Codec>(a: &K, h: &Histogram<K::C>) -> Appendability {
    use CounterResetHeader as H;
    let core = a.core();
    if core.num > 0 && core.header() != H::Gauge {
        return Appendability::no(H::Gauge);
    }
    if h.is_stale() {
        return Appendability::yes(H::Gauge);
    }
    if a.last_sum_bits() == STALE_NAN_BITS
        || h.schema != core.schema
        || h.zero_threshold != core.zero_threshold
        || (core.flavor() == Flavor::Prometheus3
            && h.schema == CUSTOM_BUCKETS_SCHEMA
            && !bounds_match(&h.custom_values, &core.custom_values))
    {
        return Appendability::no(H::Gauge);
    }
    let (pf, pb, ps) = expand_spans_both_ways(&core.positive_spans, &h.positive_spans);
    let (nf, nb, ns) = expand_spans_both_ways(&core.negative_spans, &h.negative_spans);
    Appendability {
        positive_inserts: pf,
        negative_inserts: nf,
        backward_positive_inserts: pb,
        backward_negative_inserts: nb,
        positive_spans: ps,
        negative_spans: ns,
        ..Appendability::yes(H::Gauge)
    }
}
