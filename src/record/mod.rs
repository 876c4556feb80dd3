//! WAL record payloads (Prometheus's `tsdb/record`): series, samples, tombstones,
//! exemplars, m-map markers, metadata and native-histogram samples.
//!
//! The first byte of a (decompressed) record is its type. Types 1–8 are what Prometheus 2.x
//! writes; 9 and 10 (custom-bucket histograms, 3.2+) share the histogram layout and carry
//! bucket bounds; 11–13 (3.11+ "V2" records with start timestamps) are refused with
//! [`FormatErrorKind::UnsupportedRecordType`] naming them. Decoders borrow label bytes from
//! the record and check every count against the bytes left before allocating, so a hostile
//! record cannot ask for more memory than its own size. Errors carry the position inside
//! the decompressed record (section [`Section::WalRecord`]); the caller adds the segment
//! and the record's offset.

pub mod encode;

use crate::bytes::Cursor;
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::histogram::{Count, CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};
use crate::labels::Label;
use crate::tombstones::Interval;

/// A record's type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordType {
    /// 1: new series with their labels.
    Series,
    /// 2: float samples.
    Samples,
    /// 3: deletions.
    Tombstones,
    /// 4: exemplars.
    Exemplars,
    /// 5: out-of-order chunks m-mapped so far (WBL only).
    MmapMarkers,
    /// 6: metric type, unit and help.
    Metadata,
    /// 7: native histograms with integer counts.
    HistogramSamples,
    /// 8: native histograms with float counts.
    FloatHistogramSamples,
    /// 9: custom-bucket histograms with integer counts (3.2+).
    CustomBucketsHistogramSamples,
    /// 10: custom-bucket histograms with float counts (3.2+).
    CustomBucketsFloatHistogramSamples,
}

impl RecordType {
    /// The type of `rec` from its first byte.
    pub fn of(rec: &[u8]) -> Result<RecordType, FormatError> {
        let Some(&b) = rec.first() else {
            return Err(FormatError::new(
                Section::WalRecord,
                0,
                FormatErrorKind::Invalid("empty record"),
            ));
        };
        Ok(match b {
            1 => RecordType::Series,
            2 => RecordType::Samples,
            3 => RecordType::Tombstones,
            4 => RecordType::Exemplars,
            5 => RecordType::MmapMarkers,
            6 => RecordType::Metadata,
            7 => RecordType::HistogramSamples,
            8 => RecordType::FloatHistogramSamples,
            9 => RecordType::CustomBucketsHistogramSamples,
            10 => RecordType::CustomBucketsFloatHistogramSamples,
            11..=13 => {
                let name = match b {
                    11 => "samples V2",
                    12 => "histogram samples V2",
                    _ => "float histogram samples V2",
                };
                return Err(FormatError::new(
                    Section::WalRecord,
                    0,
                    FormatErrorKind::UnsupportedRecordType(b, name),
                ));
            }
            _ => {
                return Err(FormatError::new(
                    Section::WalRecord,
                    0,
                    FormatErrorKind::UnknownRecordType(b),
                ))
            }
        })
    }

    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            RecordType::Series => 1,
            RecordType::Samples => 2,
            RecordType::Tombstones => 3,
            RecordType::Exemplars => 4,
            RecordType::MmapMarkers => 5,
            RecordType::Metadata => 6,
            RecordType::HistogramSamples => 7,
            RecordType::FloatHistogramSamples => 8,
            RecordType::CustomBucketsHistogramSamples => 9,
            RecordType::CustomBucketsFloatHistogramSamples => 10,
        }
    }

    /// Prometheus's name of the type (`record.Type.String()`).
    pub fn name(self) -> &'static str {
        match self {
            RecordType::Series => "series",
            RecordType::Samples => "samples",
            RecordType::Tombstones => "tombstones",
            RecordType::Exemplars => "exemplars",
            RecordType::MmapMarkers => "mmapmarkers",
            RecordType::Metadata => "metadata",
            RecordType::HistogramSamples => "histogram_samples",
            RecordType::FloatHistogramSamples => "float_histogram_samples",
            RecordType::CustomBucketsHistogramSamples => "custom_buckets_histogram_samples",
            RecordType::CustomBucketsFloatHistogramSamples => {
                "custom_buckets_float_histogram_samples"
            }
        }
    }
}

/// A series announced in the WAL: the head's reference for it and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSeries<'a> {
    /// The head's series reference.
    pub series_ref: u64,
    /// Labels, as written (sorted by name).
    pub labels: Vec<Label<'a>>,
}

/// A float sample of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefSample {
    /// The head's series reference.
    pub series_ref: u64,
    /// Timestamp, ms.
    pub t: i64,
    /// Value (stale markers are the stale NaN bits).
    pub v: f64,
}

/// A deleted interval of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefStone {
    /// The head's series reference.
    pub series_ref: u64,
    /// The deleted range, inclusive.
    pub interval: Interval,
}

/// An exemplar of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RefExemplar<'a> {
    /// The head's series reference.
    pub series_ref: u64,
    /// Timestamp, ms.
    pub t: i64,
    /// Value.
    pub v: f64,
    /// The exemplar's own labels (trace IDs…).
    pub labels: Vec<Label<'a>>,
}

/// An out-of-order chunk of a series that was m-mapped (WBL): everything the series
/// received out of order before this marker is in `chunks_head/` up to `chunk_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefMmapMarker {
    /// The head's series reference.
    pub series_ref: u64,
    /// The head chunk reference (`file << 32 | offset`).
    pub chunk_ref: u64,
}

/// Metadata of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefMetadata<'a> {
    /// The head's series reference.
    pub series_ref: u64,
    /// Metric type: 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge histogram,
    /// 5 summary, 6 info, 7 stateset.
    pub metric_type: u8,
    /// The `UNIT` field.
    pub unit: &'a [u8],
    /// The `HELP` field.
    pub help: &'a [u8],
}

/// A native-histogram sample of a series, bucket counts absolute.
#[derive(Debug, Clone, PartialEq)]
pub struct RefHistogram<C: Count> {
    /// The head's series reference.
    pub series_ref: u64,
    /// Timestamp, ms.
    pub t: i64,
    /// The histogram.
    pub h: Histogram<C>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record<'a> {
    /// Type 1.
    Series(Vec<RefSeries<'a>>),
    /// Type 2.
    Samples(Vec<RefSample>),
    /// Type 3.
    Tombstones(Vec<RefStone>),
    /// Type 4.
    Exemplars(Vec<RefExemplar<'a>>),
    /// Type 5.
    MmapMarkers(Vec<RefMmapMarker>),
    /// Type 6.
    Metadata(Vec<RefMetadata<'a>>),
    /// Types 7 and 9.
    Histograms(Vec<RefHistogram<u64>>),
    /// Types 8 and 10.
    FloatHistograms(Vec<RefHistogram<f64>>),
}

/// Decodes any record this version reads.
pub fn decode(rec: &[u8]) -> Result<Record<'_>, FormatError> {
    Ok(match RecordType::of(rec)? {
        RecordType::Series => Record::Series(series(rec)?),
        RecordType::Samples => {
            let mut out = Vec::new();
            samples_into(rec, &mut out)?;
            Record::Samples(out)
        }
        RecordType::Tombstones => Record::Tombstones(tombstones(rec)?),
        RecordType::Exemplars => Record::Exemplars(exemplars(rec)?),
        RecordType::MmapMarkers => Record::MmapMarkers(mmap_markers(rec)?),
        RecordType::Metadata => Record::Metadata(metadata(rec)?),
        RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples => {
            let mut out = Vec::new();
            histograms_into(rec, &mut out)?;
            Record::Histograms(out)
        }
        RecordType::FloatHistogramSamples | RecordType::CustomBucketsFloatHistogramSamples => {
            let mut out = Vec::new();
            histograms_into(rec, &mut out)?;
            Record::FloatHistograms(out)
        }
    })
}

/// A cursor past the type byte.
fn body(rec: &[u8]) -> Cursor<'_> {
    let mut c = Cursor::new(rec, 0, Section::WalRecord);
    let _ = c.skip(1);
    c
}

/// Reads a count of items of at least `min_size` bytes each, refusing counts the rest of
/// the record cannot hold.
fn count(c: &mut Cursor<'_>, min_size: usize) -> Result<usize, FormatError> {
    let n = c.uvarint_len()?;
    if n.saturating_mul(min_size.max(1)) > c.remaining() {
        return Err(c.invalid("count larger than the record"));
    }
    Ok(n)
}

fn labels<'a>(c: &mut Cursor<'a>, out: &mut Vec<Label<'a>>) -> Result<(), FormatError> {
    let n = count(c, 2)?;
    out.clear();
    out.reserve(n);
    for _ in 0..n {
        let name = c.uvarint_bytes()?;
        let value = c.uvarint_bytes()?;
        out.push(Label { name, value });
    }
    Ok(())
}

/// Decodes a series record.
pub fn series(rec: &[u8]) -> Result<Vec<RefSeries<'_>>, FormatError> {
    let mut c = body(rec);
    let mut out = Vec::new();
    while !c.is_empty() {
        let series_ref = c.be_u64()?;
        let mut l = Vec::new();
        labels(&mut c, &mut l)?;
        out.push(RefSeries {
            series_ref,
            labels: l,
        });
    }
    Ok(out)
}

/// Decodes a samples record, appending to `out` (reused across records by a replay).
pub fn samples_into(rec: &[u8], out: &mut Vec<RefSample>) -> Result<(), FormatError> {
    let mut c = body(rec);
    if c.is_empty() {
        return Ok(());
    }
    let base_ref = c.be_u64()?;
    let base_t = c.be_u64()? as i64;
    // Each sample takes at least 10 bytes.
    out.reserve(c.remaining() / 10);
    while !c.is_empty() {
        let dref = c.varint()?;
        let dt = c.varint()?;
        let v = f64::from_bits(c.be_u64()?);
        out.push(RefSample {
            series_ref: base_ref.wrapping_add(dref as u64),
            t: base_t.wrapping_add(dt),
            v,
        });
    }
    Ok(())
}

/// Decodes a tombstones record.
pub fn tombstones(rec: &[u8]) -> Result<Vec<RefStone>, FormatError> {
    let mut c = body(rec);
    let mut out = Vec::new();
    while !c.is_empty() {
        let series_ref = c.be_u64()?;
        let min = c.varint()?;
        let max = c.varint()?;
        out.push(RefStone {
            series_ref,
            interval: Interval { min, max },
        });
    }
    Ok(out)
}

/// Decodes an exemplars record.
pub fn exemplars(rec: &[u8]) -> Result<Vec<RefExemplar<'_>>, FormatError> {
    let mut c = body(rec);
    let mut out = Vec::new();
    if c.is_empty() {
        return Ok(out);
    }
    let base_ref = c.be_u64()?;
    let base_t = c.be_u64()? as i64;
    while !c.is_empty() {
        let dref = c.varint()?;
        let dt = c.varint()?;
        let v = f64::from_bits(c.be_u64()?);
        let mut l = Vec::new();
        labels(&mut c, &mut l)?;
        out.push(RefExemplar {
            series_ref: base_ref.wrapping_add(dref as u64),
            t: base_t.wrapping_add(dt),
            v,
            labels: l,
        });
    }
    Ok(out)
}

/// Decodes an m-map markers record.
pub fn mmap_markers(rec: &[u8]) -> Result<Vec<RefMmapMarker>, FormatError> {
    let mut c = body(rec);
    let mut out = Vec::new();
    while !c.is_empty() {
        let series_ref = c.be_u64()?;
        let chunk_ref = c.be_u64()?;
        out.push(RefMmapMarker {
            series_ref,
            chunk_ref,
        });
    }
    Ok(out)
}

/// Decodes a metadata record; fields other than `UNIT` and `HELP` are skipped, as
/// Prometheus skips them.
pub fn metadata(rec: &[u8]) -> Result<Vec<RefMetadata<'_>>, FormatError> {
    let mut c = body(rec);
    let mut out = Vec::new();
    while !c.is_empty() {
        let series_ref = c.uvarint()?;
        let metric_type = c.u8()?;
        let n = count(&mut c, 2)?;
        let (mut unit, mut help): (&[u8], &[u8]) = (b"", b"");
        for _ in 0..n {
            let name = c.uvarint_bytes()?;
            let value = c.uvarint_bytes()?;
            match name {
                b"UNIT" => unit = value,
                b"HELP" => help = value,
                _ => {}
            }
        }
        out.push(RefMetadata {
            series_ref,
            metric_type,
            unit,
            help,
        });
    }
    Ok(out)
}

/// How a record stores the counts of one histogram kind.
pub trait RecordCount: Count {
    /// Bytes one count takes at least.
    const MIN_SIZE: usize;
    /// Reads the zero count or the count.
    fn read_scalar(c: &mut Cursor<'_>) -> Result<Self, FormatError>;
    /// Reads `n` bucket counts (deltas for integers) as absolute counts.
    fn read_buckets(c: &mut Cursor<'_>, n: usize, out: &mut Vec<Self>) -> Result<(), FormatError>;
}

impl RecordCount for u64 {
    const MIN_SIZE: usize = 1;
    fn read_scalar(c: &mut Cursor<'_>) -> Result<u64, FormatError> {
        c.uvarint()
    }
    fn read_buckets(c: &mut Cursor<'_>, n: usize, out: &mut Vec<u64>) -> Result<(), FormatError> {
        let mut abs: i64 = 0;
        for _ in 0..n {
            abs = abs.wrapping_add(c.varint()?);
            out.push(abs as u64);
        }
        Ok(())
    }
}

impl RecordCount for f64 {
    const MIN_SIZE: usize = 8;
    fn read_scalar(c: &mut Cursor<'_>) -> Result<f64, FormatError> {
        Ok(f64::from_bits(c.be_u64()?))
    }
    fn read_buckets(c: &mut Cursor<'_>, n: usize, out: &mut Vec<f64>) -> Result<(), FormatError> {
        for _ in 0..n {
            out.push(f64::from_bits(c.be_u64()?));
        }
        Ok(())
    }
}

fn spans(c: &mut Cursor<'_>) -> Result<Vec<Span>, FormatError> {
    let n = count(c, 2)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = c.varint()?;
        let offset = i32::try_from(offset).map_err(|_| c.invalid("span offset overflows"))?;
        let length = c.uvarint32()?;
        out.push(Span { offset, length });
    }
    Ok(out)
}

/// Reads one histogram (`EncodeHistogram` / `EncodeFloatHistogram`).
fn histogram<C: RecordCount>(c: &mut Cursor<'_>) -> Result<Histogram<C>, FormatError> {
    let counter_reset_hint = match c.u8()? {
        1 => CounterResetHint::CounterReset,
        2 => CounterResetHint::NotCounterReset,
        3 => CounterResetHint::Gauge,
        _ => CounterResetHint::Unknown,
    };
    let schema = c.varint()?;
    let schema = i32::try_from(schema).map_err(|_| c.invalid("schema overflows"))?;
    let zero_threshold = f64::from_bits(c.be_u64()?);
    let zero_count = C::read_scalar(c)?;
    let count_ = C::read_scalar(c)?;
    let sum = f64::from_bits(c.be_u64()?);
    let positive_spans = spans(c)?;
    let negative_spans = spans(c)?;
    let n = count(c, C::MIN_SIZE)?;
    let mut positive_buckets = Vec::with_capacity(n);
    C::read_buckets(c, n, &mut positive_buckets)?;
    let n = count(c, C::MIN_SIZE)?;
    let mut negative_buckets = Vec::with_capacity(n);
    C::read_buckets(c, n, &mut negative_buckets)?;
    let mut custom_values = Vec::new();
    if schema == CUSTOM_BUCKETS_SCHEMA {
        let n = count(c, 8)?;
        custom_values.reserve(n);
        for _ in 0..n {
            custom_values.push(f64::from_bits(c.be_u64()?));
        }
    }
    Ok(Histogram {
        counter_reset_hint,
        schema,
        zero_threshold,
        zero_count,
        count: count_,
        sum,
        positive_spans,
        negative_spans,
        positive_buckets,
        negative_buckets,
        custom_values,
    })
}

/// Decodes a histogram samples record (types 7 and 9 for `u64`, 8 and 10 for `f64`),
/// appending to `out`.
pub fn histograms_into<C: RecordCount>(
    rec: &[u8],
    out: &mut Vec<RefHistogram<C>>,
) -> Result<(), FormatError> {
    let mut c = body(rec);
    if c.is_empty() {
        return Ok(());
    }
    let base_ref = c.be_u64()?;
    let base_t = c.be_u64()? as i64;
    while !c.is_empty() {
        let dref = c.varint()?;
        let dt = c.varint()?;
        let h = histogram::<C>(&mut c)?;
        out.push(RefHistogram {
            series_ref: base_ref.wrapping_add(dref as u64),
            t: base_t.wrapping_add(dt),
            h,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::encode::*;
    use super::*;

    fn l<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<Label<'a>> {
        pairs
            .iter()
            .map(|(n, v)| Label {
                name: n.as_bytes(),
                value: v.as_bytes(),
            })
            .collect()
    }

    #[test]
    fn round_trips() {
        let s = vec![
            RefSeries {
                series_ref: 1,
                labels: l(&[("__name__", "up"), ("job", "a")]),
            },
            RefSeries {
                series_ref: 9,
                labels: vec![],
            },
        ];
        assert_eq!(decode(&encode_series(&s)).unwrap(), Record::Series(s));
        let samples = vec![
            RefSample {
                series_ref: 5,
                t: 1000,
                v: 1.5,
            },
            RefSample {
                series_ref: 3,
                t: 999,
                v: f64::from_bits(crate::histogram::STALE_NAN_BITS),
            },
        ];
        let rec = encode_samples(&samples);
        let got = decode(&rec).unwrap();
        let Record::Samples(got) = got else { panic!() };
        assert_eq!(got[0], samples[0]);
        assert_eq!(got[1].v.to_bits(), crate::histogram::STALE_NAN_BITS);
        assert_eq!(
            decode(&encode_samples(&[])).unwrap(),
            Record::Samples(vec![])
        );
        let stones = vec![RefStone {
            series_ref: 2,
            interval: Interval { min: -5, max: 7 },
        }];
        assert_eq!(
            decode(&encode_tombstones(&stones)).unwrap(),
            Record::Tombstones(stones)
        );
        let h = Histogram::<u64> {
            counter_reset_hint: CounterResetHint::NotCounterReset,
            schema: 3,
            zero_threshold: 1e-128,
            zero_count: 2,
            count: 12,
            sum: 18.4,
            positive_spans: vec![
                Span {
                    offset: -2,
                    length: 2,
                },
                Span {
                    offset: 1,
                    length: 1,
                },
            ],
            negative_spans: vec![Span {
                offset: 0,
                length: 1,
            }],
            positive_buckets: vec![1, 5, 2],
            negative_buckets: vec![2],
            custom_values: vec![],
        };
        let hs = vec![RefHistogram {
            series_ref: 7,
            t: 100,
            h: h.clone(),
        }];
        assert_eq!(
            decode(&encode_histograms(&hs)).unwrap(),
            Record::Histograms(hs)
        );
        let fh = Histogram::<f64> {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 3.0,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![1.0, 2.0],
            custom_values: vec![0.5, 1.0],
            ..Histogram::default()
        };
        let fhs = vec![RefHistogram {
            series_ref: 7,
            t: 100,
            h: fh,
        }];
        let rec = encode_histograms(&fhs);
        assert_eq!(rec[0], 10);
        assert_eq!(decode(&rec).unwrap(), Record::FloatHistograms(fhs));
    }

    #[test]
    fn hostile_counts_and_types() {
        // A series record claiming 2^40 labels.
        let mut rec = vec![1u8];
        rec.extend_from_slice(&1u64.to_be_bytes());
        crate::bytes::put_uvarint(&mut rec, 1 << 40);
        assert!(decode(&rec).is_err());
        assert!(matches!(
            decode(&[11]).unwrap_err().kind,
            FormatErrorKind::UnsupportedRecordType(11, _)
        ));
        assert!(matches!(
            decode(&[42]).unwrap_err().kind,
            FormatErrorKind::UnknownRecordType(42)
        ));
        assert!(decode(&[]).is_err());
        // Truncated sample.
        let mut s = encode_samples(&[RefSample {
            series_ref: 1,
            t: 1,
            v: 1.0,
        }]);
        s.pop();
        assert!(decode(&s).is_err());
    }
}
