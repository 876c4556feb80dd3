//! A minimal protobuf encoder for `prompb.WriteRequest` (Prometheus 2.42's
//! `prompb/remote.proto` and `prompb/types.proto`), and the snappy block compression of a
//! request body (the `snap` crate; Go's `snappy.Decode` reads that format).
//!
//! Field numbers used:
//!
//! ```text
//! WriteRequest  1 timeseries (TimeSeries)
//! TimeSeries    1 labels (Label)  2 samples (Sample)  4 histograms (Histogram)
//! Label         1 name (string)   2 value (string)
//! Sample        1 value (double)  2 timestamp (int64)
//! Histogram     1 count_int (uint64) | 2 count_float (double)   3 sum (double)
//!               4 schema (sint32)  5 zero_threshold (double)
//!               6 zero_count_int (uint64) | 7 zero_count_float (double)
//!               8 negative_spans  9 negative_deltas (sint64, packed)  10 negative_counts (double, packed)
//!               11 positive_spans 12 positive_deltas (sint64, packed) 13 positive_counts (double, packed)
//!               14 reset_hint (enum)  15 timestamp (int64)
//! BucketSpan    1 offset (sint32)  2 length (uint32)
//! ```

use crate::data::{Hist, Sample, Series, Value};

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_tag(buf: &mut Vec<u8>, field: u32, wire: u32) {
    put_uvarint(buf, u64::from((field << 3) | wire));
}

fn put_varint_field(buf: &mut Vec<u8>, field: u32, v: u64) {
    put_tag(buf, field, VARINT);
    put_uvarint(buf, v);
}

fn zigzag32(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn put_double_field(buf: &mut Vec<u8>, field: u32, v: f64) {
    put_tag(buf, field, FIXED64);
    buf.extend_from_slice(&v.to_bits().to_le_bytes());
}

fn put_bytes_field(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(buf, field, LEN);
    put_uvarint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

fn label(name: &str, value: &str) -> Vec<u8> {
    let mut b = Vec::new();
    put_bytes_field(&mut b, 1, name.as_bytes());
    put_bytes_field(&mut b, 2, value.as_bytes());
    b
}

fn span(offset: i32, length: u32) -> Vec<u8> {
    let mut b = Vec::new();
    put_varint_field(&mut b, 1, zigzag32(offset));
    put_varint_field(&mut b, 2, u64::from(length));
    b
}

/// Absolute counts → what `positive_deltas` carries: first count, then differences.
fn deltas(counts: &[u64]) -> Vec<i64> {
    let mut prev = 0i64;
    counts
        .iter()
        .map(|&c| {
            let d = c as i64 - prev;
            prev = c as i64;
            d
        })
        .collect()
}

fn common_histogram_fields<C>(b: &mut Vec<u8>, h: &Hist<C>) {
    put_double_field(b, 3, h.sum);
    put_varint_field(b, 4, zigzag32(h.schema));
    put_double_field(b, 5, h.zero_threshold);
    for &(o, l) in &h.negative_spans {
        put_bytes_field(b, 8, &span(o, l));
    }
    for &(o, l) in &h.positive_spans {
        put_bytes_field(b, 11, &span(o, l));
    }
}

fn packed_sint64(b: &mut Vec<u8>, field: u32, vs: &[i64]) {
    if vs.is_empty() {
        return;
    }
    let mut p = Vec::new();
    for &v in vs {
        put_uvarint(&mut p, zigzag64(v));
    }
    put_bytes_field(b, field, &p);
}

fn packed_double(b: &mut Vec<u8>, field: u32, vs: &[f64]) {
    if vs.is_empty() {
        return;
    }
    let mut p = Vec::new();
    for &v in vs {
        p.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    put_bytes_field(b, field, &p);
}

fn int_histogram(t: i64, h: &Hist<u64>) -> Vec<u8> {
    let mut b = Vec::new();
    put_varint_field(&mut b, 1, h.count);
    common_histogram_fields(&mut b, h);
    put_varint_field(&mut b, 6, h.zero_count);
    packed_sint64(&mut b, 9, &deltas(&h.negative));
    packed_sint64(&mut b, 12, &deltas(&h.positive));
    put_varint_field(&mut b, 14, h.hint as u64);
    put_varint_field(&mut b, 15, t as u64);
    b
}

fn float_histogram(t: i64, h: &Hist<f64>) -> Vec<u8> {
    // 2.42's write handler takes a histogram for a float histogram only if count_float > 0
    // or zero_count_float > 0.
    assert!(h.count > 0.0, "a float histogram needs count_float > 0");
    let mut b = Vec::new();
    put_double_field(&mut b, 2, h.count);
    common_histogram_fields(&mut b, h);
    put_double_field(&mut b, 7, h.zero_count);
    packed_double(&mut b, 10, &h.negative);
    packed_double(&mut b, 13, &h.positive);
    put_varint_field(&mut b, 14, h.hint as u64);
    put_varint_field(&mut b, 15, t as u64);
    b
}

/// One `TimeSeries` message holding one sample of `series`.
fn time_series(series: &Series, sample: &Sample) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in &series.labels {
        put_bytes_field(&mut b, 1, &label(k, v));
    }
    match &sample.value {
        Value::Float(v) => {
            let mut s = Vec::new();
            put_double_field(&mut s, 1, *v);
            put_varint_field(&mut s, 2, sample.t as u64);
            put_bytes_field(&mut b, 2, &s);
        }
        Value::Histogram(h) => put_bytes_field(&mut b, 4, &int_histogram(sample.t, h)),
        Value::FloatHistogram(h) => put_bytes_field(&mut b, 4, &float_histogram(sample.t, h)),
    }
    b
}

/// A `WriteRequest` with one `TimeSeries` per (series, sample).
pub fn write_request(items: &[(&Series, &Sample)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (series, sample) in items {
        put_bytes_field(&mut b, 1, &time_series(series, sample));
    }
    b
}

/// Snappy *block* format (not the framing format): what Go's `snappy.Decode` in the
/// remote-write handler reads.
pub fn snappy_block(data: &[u8]) -> Result<Vec<u8>, String> {
    snap::raw::Encoder::new()
        .compress_vec(data)
        .map_err(|e| format!("snappy: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag() {
        let mut b = Vec::new();
        put_uvarint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        assert_eq!(zigzag32(-1), 1);
        assert_eq!(zigzag32(1), 2);
        assert_eq!(zigzag32(i32::MIN), u64::from(u32::MAX));
        assert_eq!(zigzag64(-2), 3);
        assert_eq!(deltas(&[3, 5, 0, 2]), vec![3, 2, -5, 2]);
    }

    #[test]
    fn snappy_round_trip() {
        let mut data = b"abc".to_vec();
        data.extend(std::iter::repeat_n(7u8, 100));
        data.extend((0..70_000u32).map(|i| (i % 251) as u8));
        let packed = snappy_block(&data).unwrap();
        // Block format: uvarint(uncompressed length) first; repeats compress.
        assert_eq!(&packed[..3], &[0xd7, 0xa3, 0x04]);
        assert!(packed.len() < data.len());
        let unpacked = snap::raw::Decoder::new().decompress_vec(&packed).unwrap();
        assert_eq!(unpacked, data);
    }
}
