//! The records of a write-ahead log, for people debugging one (`tsblock wal`).
//!
//! Takes a `wal/` directory, a checkpoint, a `wbl/`, a chunk snapshot directory or one
//! segment file, and prints every record with its segment, offset, type and storage, then
//! its decoded content: one record per line in JSON, or a header line and an indented
//! line per item as text. A record that does not decode is printed as an error line and
//! the next record follows; damage to the framing ends that segment (the next one is
//! still read). A chunk snapshot's records have their own types (series with their open
//! head chunk, tombstones, exemplars), recognised by the directory's name.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::compat::gofmt::push_float_g;
use crate::compat::{push_histogram, push_labels, GoCount};
use crate::error::{Error, FormatError, Report, Result};
use crate::head::snapshot::{self, SnapshotRecord};
use crate::histogram::{json_float, Histogram};
use crate::labels::Label;
use crate::record::{self, Record, RecordCount, RecordType, RefHistogram};
use crate::source::ReadMode;
use crate::wlog::{self, Compression, RawRecord, Segment, SegmentFile};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalFormat {
    /// Header line per record, one indented line per item.
    Text,
    /// One JSON object per record.
    Json,
}

/// What printing found wrong (it goes on past each problem).
#[derive(Debug, Default)]
pub struct WalReport {
    /// Records printed.
    pub records: u64,
    /// Problems met: records that do not decode, damaged segments, torn tails.
    pub problems: Vec<String>,
}

/// The segments `path` names: a log directory's, or the one file.
pub fn segment_files(path: &Path) -> Result<Vec<SegmentFile>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return wlog::segments(path);
    }
    let index = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    Ok(vec![SegmentFile {
        index,
        path: path.to_path_buf(),
    }])
}

/// Prints every record of the log at `path` to `out`.
pub fn print_log<W: Write>(
    out: &mut W,
    path: &Path,
    format: WalFormat,
    mode: ReadMode,
) -> std::result::Result<WalReport, PrintError> {
    let snapshot = path.components().any(|c| {
        c.as_os_str()
            .to_string_lossy()
            .starts_with("chunk_snapshot.")
    });
    let mut report = WalReport::default();
    let mut line = Vec::new();
    for file in segment_files(path)? {
        let seg = Segment::open(file, mode)?;
        let mut reader = seg.records();
        loop {
            let rec = match reader.next_record() {
                Ok(Some(rec)) => rec,
                Ok(None) => break,
                Err(e) => {
                    let e = Error::format(&seg.file.path, e);
                    report.problems.push(Report(&e).to_string());
                    break;
                }
            };
            report.records += 1;
            line.clear();
            let problem = match format {
                WalFormat::Text => text(&mut line, &seg.file.path, &rec, snapshot),
                WalFormat::Json => json(&mut line, &seg.file.path, &rec, snapshot),
            };
            if let Some(e) = problem {
                let e = Error::Record {
                    path: seg.file.path.clone(),
                    offset: rec.offset,
                    source: e,
                };
                report.problems.push(Report(&e).to_string());
            }
            out.write_all(&line).map_err(PrintError::Write)?;
        }
        if let Some(torn) = reader.torn() {
            report.problems.push(format!(
                "{}: last record is torn at offset {} ({} bytes)",
                seg.file.path.display(),
                torn.offset,
                torn.bytes
            ));
        }
    }
    Ok(report)
}

/// Why printing stopped.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The log could not be listed or opened.
    #[error("reading the log")]
    Read(#[from] Error),
    /// The output could not be written.
    #[error("writing the output")]
    Write(#[source] io::Error),
}

fn compression(c: Compression) -> &'static str {
    match c {
        Compression::None => "raw",
        Compression::Snappy => "snappy",
        Compression::Zstd => "zstd",
    }
}

fn type_name(rec: &[u8]) -> String {
    match RecordType::of(rec) {
        Ok(t) => t.name().to_string(),
        Err(_) => format!("type-{}", rec.first().copied().unwrap_or(0)),
    }
}

fn push_header(out: &mut Vec<u8>, path: &Path, rec: &RawRecord<'_>, name: &str) {
    let seg = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{seg} offset={} {name} {} stored={} size={}",
        rec.offset,
        compression(rec.compression),
        rec.stored_len,
        rec.data.len()
    );
}

fn snapshot_type(rec: &[u8]) -> String {
    match rec.first().copied() {
        Some(snapshot::SERIES) => "snapshot_series".into(),
        Some(snapshot::TOMBSTONES) => "snapshot_tombstones".into(),
        Some(snapshot::EXEMPLARS) => "snapshot_exemplars".into(),
        other => format!("snapshot-type-{}", other.unwrap_or(0)),
    }
}

fn text_snapshot(out: &mut Vec<u8>, path: &Path, rec: &RawRecord<'_>) -> Option<FormatError> {
    push_header(out, path, rec, &snapshot_type(rec.data));
    match snapshot::decode(rec.data) {
        Ok(SnapshotRecord::Series {
            series_ref,
            labels,
            chunk,
        }) => {
            let _ = write!(out, "  ref={series_ref} ");
            push_labels(out, &labels);
            if let Some(c) = chunk {
                let _ = write!(
                    out,
                    " chunk mint={} maxt={} encoding={} bytes={}",
                    c.min_time,
                    c.max_time,
                    c.encoding,
                    c.data.len()
                );
            }
            out.push(b'\n');
        }
        Ok(SnapshotRecord::Tombstones(stones)) => {
            for (r, iv) in stones {
                let _ = writeln!(out, "  ref={r} mint={} maxt={}", iv.min, iv.max);
            }
        }
        Ok(SnapshotRecord::Exemplars(b)) => {
            let _ = writeln!(out, "  {} bytes of exemplars", b.len());
        }
        Err(e) => {
            let _ = writeln!(out, "  error: {e}");
            return Some(e);
        }
    }
    None
}

fn text(
    out: &mut Vec<u8>,
    path: &Path,
    rec: &RawRecord<'_>,
    snapshot: bool,
) -> Option<FormatError> {
    if snapshot {
        return text_snapshot(out, path, rec);
    }
    push_header(out, path, rec, &type_name(rec.data));
    let decoded = match record::decode(rec.data) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "  error: {e}");
            return Some(e);
        }
    };
    match decoded {
        Record::Series(list) => {
            for s in list {
                let _ = write!(out, "  ref={} ", s.series_ref);
                push_labels(out, &s.labels);
                out.push(b'\n');
            }
        }
        Record::Samples(list) => {
            for s in list {
                let _ = write!(out, "  ref={} t={} v=", s.series_ref, s.t);
                push_value(out, s.v);
                out.push(b'\n');
            }
        }
        Record::Tombstones(list) => {
            for s in list {
                let _ = writeln!(
                    out,
                    "  ref={} mint={} maxt={}",
                    s.series_ref, s.interval.min, s.interval.max
                );
            }
        }
        Record::Exemplars(list) => {
            for e in list {
                let _ = write!(out, "  ref={} t={} v=", e.series_ref, e.t);
                push_value(out, e.v);
                out.push(b' ');
                push_labels(out, &e.labels);
                out.push(b'\n');
            }
        }
        Record::MmapMarkers(list) => {
            for m in list {
                let _ = writeln!(
                    out,
                    "  ref={} chunk={:#x} (file {} offset {})",
                    m.series_ref,
                    m.chunk_ref,
                    m.chunk_ref >> 32,
                    m.chunk_ref & 0xffff_ffff
                );
            }
        }
        Record::Metadata(list) => {
            for m in list {
                let _ = write!(
                    out,
                    "  ref={} type={} unit=",
                    m.series_ref,
                    metric_type(m.metric_type)
                );
                crate::text::push_quoted(out, m.unit);
                out.extend_from_slice(b" help=");
                crate::text::push_quoted(out, m.help);
                out.push(b'\n');
            }
        }
        Record::Histograms(list) => text_histograms(out, &list),
        Record::FloatHistograms(list) => text_histograms(out, &list),
    }
    None
}

fn push_value(out: &mut Vec<u8>, v: f64) {
    if v.to_bits() == crate::histogram::STALE_NAN_BITS {
        out.extend_from_slice(b"stale");
    } else {
        push_float_g(out, v);
    }
}

fn text_histograms<C: RecordCount + GoCount>(out: &mut Vec<u8>, list: &[RefHistogram<C>]) {
    for h in list {
        let _ = write!(out, "  ref={} t={} ", h.series_ref, h.t);
        push_histogram(out, &h.h);
        out.push(b'\n');
    }
}

fn metric_type(t: u8) -> &'static str {
    match t {
        1 => "counter",
        2 => "gauge",
        3 => "histogram",
        4 => "gaugehistogram",
        5 => "summary",
        6 => "info",
        7 => "stateset",
        _ => "unknown",
    }
}

/// Labels as a JSON object (names and values UTF-8, invalid bytes replaced).
fn labels_json(labels: &[Label<'_>]) -> serde_json::Map<String, serde_json::Value> {
    labels
        .iter()
        .map(|l| {
            (
                String::from_utf8_lossy(l.name).into_owned(),
                serde_json::Value::String(String::from_utf8_lossy(l.value).into_owned()),
            )
        })
        .collect()
}

#[derive(Serialize)]
struct F(#[serde(serialize_with = "json_float")] f64);

#[derive(Serialize)]
struct JsonRecord<'a> {
    segment: &'a Path,
    offset: u64,
    #[serde(rename = "type")]
    typ: String,
    compression: &'static str,
    stored: u64,
    size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn json(
    out: &mut Vec<u8>,
    path: &Path,
    rec: &RawRecord<'_>,
    snapshot: bool,
) -> Option<FormatError> {
    let mut r = JsonRecord {
        segment: path,
        offset: rec.offset,
        typ: if snapshot {
            snapshot_type(rec.data)
        } else {
            type_name(rec.data)
        },
        compression: compression(rec.compression),
        stored: rec.stored_len,
        size: rec.data.len(),
        items: None,
        error: None,
    };
    let mut problem = None;
    let items = if snapshot {
        snapshot::decode(rec.data).map(json_snapshot_items)
    } else {
        record::decode(rec.data).map(json_items)
    };
    match items {
        Ok(items) => r.items = Some(items),
        Err(e) => {
            r.error = Some(e.to_string());
            problem = Some(e);
        }
    }
    let _ = serde_json::to_writer(&mut *out, &r);
    out.push(b'\n');
    problem
}

fn json_items(d: Record<'_>) -> Vec<serde_json::Value> {
    use serde_json::{json, to_value, Value};
    let f = |v: f64| to_value(F(v)).unwrap_or(Value::Null);
    match d {
        Record::Series(l) => l
            .iter()
            .map(|s| json!({"ref": s.series_ref, "labels": labels_json(&s.labels)}))
            .collect(),
        Record::Samples(l) => l
            .iter()
            .map(|s| json!({"ref": s.series_ref, "t": s.t, "v": f(s.v)}))
            .collect(),
        Record::Tombstones(l) => l
            .iter()
            .map(|s| json!({"ref": s.series_ref, "mint": s.interval.min, "maxt": s.interval.max}))
            .collect(),
        Record::Exemplars(l) => l
            .iter()
            .map(|e| json!({"ref": e.series_ref, "t": e.t, "v": f(e.v), "labels": labels_json(&e.labels)}))
            .collect(),
        Record::MmapMarkers(l) => l
            .iter()
            .map(|m| json!({"ref": m.series_ref, "chunk_ref": m.chunk_ref}))
            .collect(),
        Record::Metadata(l) => l
            .iter()
            .map(|m| {
                json!({"ref": m.series_ref, "type": metric_type(m.metric_type),
                    "unit": String::from_utf8_lossy(m.unit), "help": String::from_utf8_lossy(m.help)})
            })
            .collect(),
        Record::Histograms(l) => json_histograms(&l),
        Record::FloatHistograms(l) => json_histograms(&l),
    }
}

fn json_snapshot_items(d: SnapshotRecord<'_>) -> Vec<serde_json::Value> {
    use serde_json::json;
    match d {
        SnapshotRecord::Series {
            series_ref,
            labels,
            chunk,
        } => {
            let chunk = chunk.map(|c| {
                json!({"mint": c.min_time, "maxt": c.max_time,
                    "encoding": c.encoding.to_string(), "bytes": c.data.len()})
            });
            vec![json!({"ref": series_ref, "labels": labels_json(&labels), "chunk": chunk})]
        }
        SnapshotRecord::Tombstones(stones) => stones
            .iter()
            .map(|(r, iv)| json!({"ref": r, "mint": iv.min, "maxt": iv.max}))
            .collect(),
        SnapshotRecord::Exemplars(b) => vec![json!({"bytes": b.len()})],
    }
}

fn json_histograms<C: RecordCount>(l: &[RefHistogram<C>]) -> Vec<serde_json::Value> {
    l.iter()
        .map(|h| {
            let hist: &Histogram<C> = &h.h;
            serde_json::json!({"ref": h.series_ref, "t": h.t,
                "histogram": serde_json::to_value(hist).unwrap_or(serde_json::Value::Null)})
        })
        .collect()
}
