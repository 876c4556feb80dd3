//! What happens to one sample: appended, appended after recoding the chunk with wider
//! spans, or the start of a new chunk, with the counter-reset header Prometheus gives it.
//! Generic over the two encodings ([`Codec`]).

use super::appendable::{appendable, appendable_gauge, Appendability};
use super::spans::{adjust_for_inserts, count_spans, insert_empty, Insert};
use super::{validate_histogram, AppendOutcome, Codec, HistogramAppendError};
use crate::chunkenc::histogram::CounterResetHeader;
use crate::chunkenc::Flavor;
use crate::histogram::{Count, CounterResetHint, Histogram, Span};

/// Rewrites the chunk with new layout spans, inserting empty buckets into every sample.
pub(super) fn recode<K: Codec>(
    a: &mut K,
    positive_inserts: &[Insert],
    negative_inserts: &[Insert],
    positive_spans: &[Span],
    negative_spans: &[Span],
) -> Result<(), HistogramAppendError> {
    let core = a.core();
    for (side, spans, inserts, now) in [
        (
            "positive",
            positive_spans,
            positive_inserts,
            &core.positive_spans,
        ),
        (
            "negative",
            negative_spans,
            negative_inserts,
            &core.negative_spans,
        ),
    ] {
        let expected = count_spans(spans);
        let buckets = count_spans(now) + inserts.iter().map(|i| i.num as u64).sum::<u64>();
        if expected != buckets {
            return Err(HistogramAppendError::LayoutMismatch {
                side,
                expected,
                buckets,
            });
        }
    }
    let samples = K::decode(core.bw.bytes()).map_err(HistogramAppendError::Recode)?;
    let header = core.header();
    let mut fresh = K::empty(core.flavor());
    for (t, mut h) in samples {
        h.positive_spans = positive_spans.to_vec();
        h.negative_spans = negative_spans.to_vec();
        if !positive_inserts.is_empty() {
            h.positive_buckets = insert_empty(&h.positive_buckets, positive_inserts);
        }
        if !negative_inserts.is_empty() {
            h.negative_buckets = insert_empty(&h.negative_buckets, negative_inserts);
        }
        fresh.write_sample(t, &h);
    }
    fresh.core_mut().set_header(header);
    *a = fresh;
    Ok(())
}

/// `h` with empty buckets inserted (the sample lacks buckets the chunk has) and `spans`.
pub(super) fn widen<C: Count>(
    h: &Histogram<C>,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    ap: &Appendability,
) -> Histogram<C> {
    let mut w = h.clone();
    w.positive_spans = positive_spans;
    w.negative_spans = negative_spans;
    if !ap.backward_positive_inserts.is_empty() {
        w.positive_buckets = insert_empty(&h.positive_buckets, &ap.backward_positive_inserts);
    }
    if !ap.backward_negative_inserts.is_empty() {
        w.negative_buckets = insert_empty(&h.negative_buckets, &ap.backward_negative_inserts);
    }
    w
}

/// The first sample of an empty chunk, with the header Prometheus gives it.
pub(super) fn append_first<K: Codec>(
    a: &mut K,
    prev: Option<&K>,
    t: i64,
    h: &Histogram<K::C>,
) -> Result<(), HistogramAppendError> {
    use CounterResetHeader as H;
    validate_histogram(h, a.core().flavor())?;
    if a.core().num != 0 {
        return Err(HistogramAppendError::NotEmpty);
    }
    let header = match h.counter_reset_hint {
        CounterResetHint::Gauge => H::Gauge,
        CounterResetHint::CounterReset => H::CounterReset,
        _ => match prev {
            None => H::Unknown,
            Some(p) => {
                let ap = appendable(p, h);
                if a.core().flavor() == Flavor::Prometheus2 {
                    if ap.counter_reset {
                        H::CounterReset
                    } else if ap.ok {
                        H::NotCounterReset
                    } else {
                        H::Unknown
                    }
                } else if K::FLOAT {
                    if ap.counter_reset {
                        H::CounterReset
                    } else {
                        H::NotCounterReset
                    }
                } else {
                    ap.header
                }
            }
        },
    };
    a.write_sample(t, h);
    a.core_mut().set_header(header);
    Ok(())
}

/// A new chunk holding only `h`.
pub(super) fn cut<K: Codec>(
    flavor: Flavor,
    header: CounterResetHeader,
    t: i64,
    h: &Histogram<K::C>,
) -> K {
    let mut n = K::empty(flavor);
    n.write_sample(t, h);
    n.core_mut().set_header(header);
    n
}

/// One sample, the way Prometheus's head (2.42: `memSeries.appendHistogram`; 3.x:
/// `HistogramAppender.AppendHistogram`) handles it once its chunk-size checks kept the
/// chunk.
pub(super) fn append<K: Codec>(
    a: &mut K,
    t: i64,
    h: &Histogram<K::C>,
) -> Result<AppendOutcome<K>, HistogramAppendError> {
    use CounterResetHeader as H;
    let flavor = a.core().flavor();
    validate_histogram(h, flavor)?;
    if a.core().num == 0 {
        append_first(a, None, t, h)?;
        return Ok(AppendOutcome::Appended);
    }
    if a.core().num == u16::MAX {
        let mut n = K::empty(flavor);
        append_first(&mut n, Some(a), t, h)?;
        return Ok(AppendOutcome::Cut(n));
    }
    let gauge = h.counter_reset_hint == CounterResetHint::Gauge;
    let ap = if gauge {
        appendable_gauge(a, h)
    } else if flavor == Flavor::Prometheus2
        && h.counter_reset_hint == CounterResetHint::CounterReset
    {
        Appendability::reset()
    } else {
        appendable(a, h)
    };
    if !ap.ok {
        let header = if gauge {
            H::Gauge
        } else if flavor == Flavor::Prometheus2 || K::FLOAT {
            if ap.counter_reset {
                H::CounterReset
            } else {
                H::Unknown
            }
        } else {
            ap.header
        };
        return Ok(AppendOutcome::Cut(cut(flavor, header, t, h)));
    }
    let widened;
    let h = if !ap.has_backward() {
        h
    } else {
        let (ps, ns) = if gauge {
            (ap.positive_spans.clone(), ap.negative_spans.clone())
        } else if !ap.has_forward() {
            let core = a.core();
            (core.positive_spans.clone(), core.negative_spans.clone())
        } else {
            (
                adjust_for_inserts(&h.positive_spans, &ap.backward_positive_inserts),
                adjust_for_inserts(&h.negative_spans, &ap.backward_negative_inserts),
            )
        };
        widened = widen(h, ps, ns, &ap);
        &widened
    };
    if ap.has_forward() {
        recode(
            a,
            &ap.positive_inserts,
            &ap.negative_inserts,
            &h.positive_spans,
            &h.negative_spans,
        )?;
        a.write_sample(t, h);
        return Ok(AppendOutcome::Recoded);
    }
    a.write_sample(t, h);
    Ok(AppendOutcome::Appended)
}
