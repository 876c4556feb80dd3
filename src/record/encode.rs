//! Encoding records as Prometheus's `record.Encoder` does: the mirror of the decoders,
//! for tests, benchmarks and fixture tools.

use super::{RecordType, RefHistogram, RefMetadata, RefSample, RefSeries, RefStone};
use crate::bytes::{put_uvarint, put_varint};
use crate::histogram::{Count, CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};
use crate::labels::Label;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_labels(out: &mut Vec<u8>, labels: &[Label<'_>]) {
    put_uvarint(out, labels.len() as u64);
    for l in labels {
        put_bytes(out, l.name);
        put_bytes(out, l.value);
    }
}

/// A series record.
pub fn encode_series(series: &[RefSeries<'_>]) -> Vec<u8> {
    let mut out = vec![RecordType::Series.byte()];
    for s in series {
        out.extend_from_slice(&s.series_ref.to_be_bytes());
        put_labels(&mut out, &s.labels);
    }
    out
}

/// A samples record (refs and times as deltas to the first sample's).
pub fn encode_samples(samples: &[RefSample]) -> Vec<u8> {
    let mut out = vec![RecordType::Samples.byte()];
    let Some(first) = samples.first() else {
        return out;
    };
    out.extend_from_slice(&first.series_ref.to_be_bytes());
    out.extend_from_slice(&first.t.to_be_bytes());
    for s in samples {
        put_varint(&mut out, s.series_ref.wrapping_sub(first.series_ref) as i64);
        put_varint(&mut out, s.t.wrapping_sub(first.t));
        out.extend_from_slice(&s.v.to_bits().to_be_bytes());
    }
    out
}

/// A tombstones record.
pub fn encode_tombstones(stones: &[RefStone]) -> Vec<u8> {
    let mut out = vec![RecordType::Tombstones.byte()];
    for s in stones {
        out.extend_from_slice(&s.series_ref.to_be_bytes());
        put_varint(&mut out, s.interval.min);
        put_varint(&mut out, s.interval.max);
    }
    out
}

/// A metadata record (`UNIT` and `HELP` fields).
pub fn encode_metadata(meta: &[RefMetadata<'_>]) -> Vec<u8> {
    let mut out = vec![RecordType::Metadata.byte()];
    for m in meta {
        put_uvarint(&mut out, m.series_ref);
        out.push(m.metric_type);
        put_uvarint(&mut out, 2);
        put_bytes(&mut out, b"UNIT");
        put_bytes(&mut out, m.unit);
        put_bytes(&mut out, b"HELP");
        put_bytes(&mut out, m.help);
    }
    out
}

/// How a count is written (integers as deltas, floats absolute).
pub trait EncodeCount: Count {
    /// The record type for exponential (`false`) or custom-bucket (`true`) histograms.
    fn record_type(custom: bool) -> RecordType;
    /// Writes the zero count or the count.
    fn put_scalar(self, out: &mut Vec<u8>);
    /// Writes absolute bucket counts.
    fn put_buckets(buckets: &[Self], out: &mut Vec<u8>);
}

impl EncodeCount for u64 {
    fn record_type(custom: bool) -> RecordType {
        if custom {
            RecordType::CustomBucketsHistogramSamples
        } else {
            RecordType::HistogramSamples
        }
    }
    fn put_scalar(self, out: &mut Vec<u8>) {
        put_uvarint(out, self);
    }
    fn put_buckets(buckets: &[u64], out: &mut Vec<u8>) {
        let mut prev = 0i64;
        for &b in buckets {
            put_varint(out, (b as i64).wrapping_sub(prev));
            prev = b as i64;
        }
    }
}

impl EncodeCount for f64 {
    fn record_type(custom: bool) -> RecordType {
        if custom {
            RecordType::CustomBucketsFloatHistogramSamples
        } else {
            RecordType::FloatHistogramSamples
        }
    }
    fn put_scalar(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_be_bytes());
    }
    fn put_buckets(buckets: &[f64], out: &mut Vec<u8>) {
        for b in buckets {
            out.extend_from_slice(&b.to_bits().to_be_bytes());
        }
    }
}

fn put_spans(out: &mut Vec<u8>, spans: &[Span]) {
    put_uvarint(out, spans.len() as u64);
    for s in spans {
        put_varint(out, i64::from(s.offset));
        put_uvarint(out, u64::from(s.length));
    }
}

fn put_histogram<C: EncodeCount>(out: &mut Vec<u8>, h: &Histogram<C>) {
    out.push(match h.counter_reset_hint {
        CounterResetHint::Unknown => 0,
        CounterResetHint::CounterReset => 1,
        CounterResetHint::NotCounterReset => 2,
        CounterResetHint::Gauge => 3,
    });
    put_varint(out, i64::from(h.schema));
    out.extend_from_slice(&h.zero_threshold.to_bits().to_be_bytes());
    h.zero_count.put_scalar(out);
    h.count.put_scalar(out);
    out.extend_from_slice(&h.sum.to_bits().to_be_bytes());
    put_spans(out, &h.positive_spans);
    put_spans(out, &h.negative_spans);
    put_uvarint(out, h.positive_buckets.len() as u64);
    C::put_buckets(&h.positive_buckets, out);
    put_uvarint(out, h.negative_buckets.len() as u64);
    C::put_buckets(&h.negative_buckets, out);
    if h.schema == CUSTOM_BUCKETS_SCHEMA {
        put_uvarint(out, h.custom_values.len() as u64);
        for v in &h.custom_values {
            out.extend_from_slice(&v.to_bits().to_be_bytes());
        }
    }
}

/// A histogram samples record: type 7/8, or 9/10 when the first histogram has custom
/// buckets (callers keep the two kinds in separate records, as Prometheus does).
pub fn encode_histograms<C: EncodeCount>(hs: &[RefHistogram<C>]) -> Vec<u8> {
    let custom = hs
        .first()
        .is_some_and(|h| h.h.schema == CUSTOM_BUCKETS_SCHEMA);
    let mut out = vec![C::record_type(custom).byte()];
    let Some(first) = hs.first() else {
        return out;
    };
    out.extend_from_slice(&first.series_ref.to_be_bytes());
    out.extend_from_slice(&first.t.to_be_bytes());
    for h in hs {
        put_varint(&mut out, h.series_ref.wrapping_sub(first.series_ref) as i64);
        put_varint(&mut out, h.t.wrapping_sub(first.t));
        put_histogram(&mut out, &h.h);
    }
    out
}

/// An m-map markers record.
pub fn encode_mmap_markers(markers: &[super::RefMmapMarker]) -> Vec<u8> {
    let mut out = vec![RecordType::MmapMarkers.byte()];
    for m in markers {
        out.extend_from_slice(&m.series_ref.to_be_bytes());
        out.extend_from_slice(&m.chunk_ref.to_be_bytes());
    }
    out
}
