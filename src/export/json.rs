//! Series as JSON lines: what `tsblock dump --format json` prints.
//!
//! One object per series with samples, on one line:
//! `{"labels":{…},"floats":[[t,v],…],"histograms":[[t,{…}],…],"float_histograms":[…]}`,
//! arrays without samples left out. Float values are JSON numbers or `"stale"` (Prometheus's
//! stale marker), `"NaN"`, `"+Inf"`, `"-Inf"`; histograms use their `Serialize` form (full
//! structure, absolute bucket counts).
//!
//! Each series is read once. The floats come first in the object, so they stream straight
//! to the output as they are decoded; histogram and float-histogram entries, which come
//! after them, are rendered into two side buffers that are appended when the series ends.
//! Memory therefore stays flat for floats and grows only with one series' histogram
//! samples (rendered as JSON); the buffers are reused from series to series.

use std::io::{self, Write};

use crate::histogram::STALE_NAN_BITS;
use crate::query::{SampleRef, Series};

/// Why [`JsonExporter::write_series`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the series failed (corrupt or unsupported data). Everything decoded before
    /// the failure has been written; the object is left unterminated.
    #[error(transparent)]
    Read(#[from] crate::Error),
    /// Writing the output failed.
    #[error("writing output")]
    Write(#[from] io::Error),
}

/// Writes series as JSON lines, keeping its buffers between series.
///
/// Writes are many and small (one per float sample), so `out` should be buffered (a
/// `Vec<u8>`, an `io::BufWriter`, …).
#[derive(Debug, Default)]
pub struct JsonExporter {
    /// One float sample (or the object's opening) before it is written.
    line: Vec<u8>,
    /// `[t,{…}]` entries of the integer histograms of the current series, comma-separated.
    histograms: Vec<u8>,
    /// The same for float histograms.
    float_histograms: Vec<u8>,
}

impl JsonExporter {
    /// An exporter with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `series` as one JSON line; a series without samples writes nothing.
    pub fn write_series<W: Write>(
        &mut self,
        out: &mut W,
        series: &Series<'_>,
    ) -> Result<(), ExportError> {
        let JsonExporter {
            line,
            histograms,
            float_histograms,
        } = self;
        histograms.clear();
        float_histograms.clear();
        // The object is opened (`{"labels":…`) at the first float, or at the end for a
        // series of histograms only: if reading fails midway, the output then holds exactly
        // the floats decoded so far, as when each value type was read in a separate pass.
        let mut any = false;
        let mut floats_open = false;
        let mut samples = series.samples();
        while let Some(sample) = samples.next_sample() {
            let (t, value) = sample?;
            any = true;
            match value {
                SampleRef::Float(v) => {
                    line.clear();
                    if floats_open {
                        line.push(b',');
                    } else {
                        floats_open = true;
                        push_labels_key(line, series)?;
                        line.extend_from_slice(b",\"floats\":[");
                    }
                    push_entry_start(line, t);
                    push_float(line, v);
                    line.push(b']');
                    out.write_all(line)?;
                }
                SampleRef::Histogram(h) => {
                    push_separator(histograms);
                    push_entry_start(histograms, t);
                    serde_json::to_writer(&mut *histograms, h).map_err(io::Error::from)?;
                    histograms.push(b']');
                }
                SampleRef::FloatHistogram(h) => {
                    push_separator(float_histograms);
                    push_entry_start(float_histograms, t);
                    serde_json::to_writer(&mut *float_histograms, h).map_err(io::Error::from)?;
                    float_histograms.push(b']');
                }
            }
        }
        if !any {
            return Ok(());
        }
        line.clear();
        if floats_open {
            line.push(b']');
        } else {
            push_labels_key(line, series)?;
        }
        out.write_all(line)?;
        push_array(out, "histograms", histograms)?;
        push_array(out, "float_histograms", float_histograms)?;
        out.write_all(b"}\n")?;
        Ok(())
    }
}

/// `{"labels":{…}`: names and values as (lossily decoded) JSON strings, sorted by name.
fn push_labels_key(out: &mut Vec<u8>, series: &Series<'_>) -> io::Result<()> {
    let labels: serde_json::Map<String, serde_json::Value> = series
        .labels()
        .iter()
        .map(|l| {
            (
                String::from_utf8_lossy(l.name).into_owned(),
                String::from_utf8_lossy(l.value).into_owned().into(),
            )
        })
        .collect();
    out.extend_from_slice(b"{\"labels\":");
    serde_json::to_writer(&mut *out, &labels).map_err(io::Error::from)
}

/// A comma unless `entries` is still empty.
fn push_separator(entries: &mut Vec<u8>) {
    if !entries.is_empty() {
        entries.push(b',');
    }
}

/// `[t,`: the start of one sample's entry.
fn push_entry_start(out: &mut Vec<u8>, t: i64) {
    out.push(b'[');
    out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    out.push(b',');
}

/// `,"key":[entries]`, or nothing when there are no entries.
fn push_array<W: Write>(out: &mut W, key: &str, entries: &[u8]) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    out.write_all(b",\"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\":[")?;
    out.write_all(entries)?;
    out.write_all(b"]")
}

/// A float for JSON: a number, or `"stale"` (Prometheus's stale marker), `"NaN"`, `"+Inf"`,
/// `"-Inf"`.
fn push_float(out: &mut Vec<u8>, v: f64) {
    let s = if v.to_bits() == STALE_NAN_BITS {
        "\"stale\""
    } else if v.is_nan() {
        "\"NaN\""
    } else if v.is_infinite() {
        if v > 0.0 {
            "\"+Inf\""
        } else {
            "\"-Inf\""
        }
    } else {
        // Finite: serde_json's shortest round-trip number (writing to a Vec cannot fail).
        let _ = serde_json::to_writer(&mut *out, &v);
        return;
    };
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Value;
    use crate::{Db, Querier};

    /// One pass per series, regrouped by type: every sample lands in its type's array, in
    /// time order, arrays in the fixed order, across fixtures with float-only, histogram-only
    /// and mixed series.
    #[test]
    fn series_are_regrouped_by_value_type() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/blocks/");
        let mut mixed = 0;
        for name in ["values", "native-histograms", "spec-histograms"] {
            let db = Db::open(format!("{root}{name}")).expect("fixture");
            let mut exporter = JsonExporter::new();
            for series in db.select(&[], i64::MIN, i64::MAX).expect("select") {
                let series = series.expect("series");
                let mut want: [Vec<i64>; 3] = Default::default();
                for sample in series.samples() {
                    let sample = sample.expect("sample");
                    let kind = match sample.value {
                        Value::Float(_) => 0,
                        Value::Histogram => 1,
                        Value::FloatHistogram => 2,
                    };
                    want[kind].push(sample.t);
                }
                let mut out = Vec::new();
                exporter.write_series(&mut out, &series).expect("export");
                if want.iter().all(Vec::is_empty) {
                    assert!(out.is_empty());
                    continue;
                }
                assert_eq!(out.last(), Some(&b'\n'));
                mixed += usize::from(want.iter().filter(|w| !w.is_empty()).count() > 1);
                let text = std::str::from_utf8(&out).expect("UTF-8");
                let keys = ["floats", "histograms", "float_histograms"];
                let mut expect_keys = vec!["labels"];
                expect_keys.extend(
                    keys.iter()
                        .zip(&want)
                        .filter(|(_, w)| !w.is_empty())
                        .map(|(k, _)| *k),
                );
                let at: Vec<usize> = expect_keys
                    .iter()
                    .map(|k| text.find(&format!("\"{k}\":")).expect("key present"))
                    .collect();
                assert!(at.windows(2).all(|w| w[0] < w[1]), "{name}: key order");
                let json: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
                for (key, want) in keys.iter().zip(&want) {
                    let got: Vec<i64> = json
                        .get(key)
                        .and_then(|a| a.as_array())
                        .map(|a| a.iter().filter_map(|e| e.get(0)?.as_i64()).collect())
                        .unwrap_or_default();
                    assert_eq!(&got, want, "{name} {key}");
                }
            }
        }
        assert!(mixed > 0, "some fixture series mixes value types");
    }

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        push_float(&mut out, v);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn floats_spell_non_finite_values() {
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(f64::from_bits(STALE_NAN_BITS)), "\"stale\"");
        assert_eq!(float(f64::NAN), "\"NaN\"");
        assert_eq!(float(f64::INFINITY), "\"+Inf\"");
        assert_eq!(float(f64::NEG_INFINITY), "\"-Inf\"");
    }

    #[test]
    fn arrays_are_left_out_when_empty() {
        let mut out = Vec::new();
        push_array(&mut out, "histograms", b"").expect("Vec");
        assert!(out.is_empty());
        push_array(&mut out, "histograms", b"[1,{}]").expect("Vec");
        assert_eq!(out, b",\"histograms\":[[1,{}]]");
    }
}
