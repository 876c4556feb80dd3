//! Chunk snapshots (`chunk_snapshot.N.M/`): the head as Prometheus wrote it on shutdown
//! with `--enable-feature=memory-snapshot-on-shutdown`, so that a restart replays only
//! the WAL after segment N, offset M.
//!
//! A snapshot directory is a log ([`crate::wlog`]) with its own record types: 1 a series
//! (reference, labels, an unused 8-byte field, and its open head chunk if any: min and
//! max time, encoding, the chunk's bytes, then four legacy (t, v) pairs of which only the
//! last value is used), 2 every tombstone (uvarint length, then a version byte (1) and
//! the stones as in a tombstones file, without its magic or CRC), 3 exemplars (the exemplars record layout without its type byte).

use std::path::{Path, PathBuf};

use crate::bytes::Cursor;
use crate::chunkenc::Encoding;
use crate::error::{Error, FormatError, FormatErrorKind, Result, Section};
use crate::labels::Label;
use crate::tombstones::Interval;

/// Snapshot record type of a series.
pub const SERIES: u8 = 1;
/// Snapshot record type of the tombstones.
pub const TOMBSTONES: u8 = 2;
/// Snapshot record type of exemplars.
pub const EXEMPLARS: u8 = 3;

/// The newest chunk snapshot directory of a data directory (Prometheus's
/// `LastChunkSnapshot`): `chunk_snapshot.N.M` with the greatest (N, M); names of another
/// shape are ignored.
pub fn last_snapshot(dir: &Path) -> Result<Option<(PathBuf, u32, u64)>> {
    let mut best: Option<(PathBuf, u32, u64)> = None;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(rest) = name.strip_prefix("chunk_snapshot.") else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            return Err(Error::NotFound {
                path: entry.path(),
                what: "chunk snapshot is not a directory",
            });
        }
        let mut parts = rest.split('.');
        let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            continue;
        }
        let (Ok(seg), Ok(off)) = (a.parse::<u32>(), b.parse::<u64>()) else {
            continue;
        };
        if best.as_ref().is_none_or(|(_, s, o)| (seg, off) > (*s, *o)) {
            best = Some((entry.path(), seg, off));
        }
    }
    Ok(best)
}

/// A series' open head chunk, as the snapshot kept it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotChunk<'a> {
    /// First sample's timestamp.
    pub min_time: i64,
    /// Last sample's timestamp.
    pub max_time: i64,
    /// Its encoding.
    pub encoding: Encoding,
    /// Its bytes.
    pub data: &'a [u8],
}

/// A snapshot record.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SnapshotRecord<'a> {
    /// A series and its open head chunk.
    Series {
        /// The head's series reference.
        series_ref: u64,
        /// Its labels.
        labels: Vec<Label<'a>>,
        /// Its open head chunk, if it had one.
        chunk: Option<SnapshotChunk<'a>>,
    },
    /// Every tombstone of the head: series reference and deleted interval.
    Tombstones(Vec<(u64, Interval)>),
    /// Exemplars (not decoded further).
    Exemplars(&'a [u8]),
}

fn invalid(c: &Cursor<'_>, what: &'static str) -> FormatError {
    c.invalid(what)
}

/// Decodes one snapshot record.
pub fn decode(rec: &[u8]) -> std::result::Result<SnapshotRecord<'_>, FormatError> {
    let mut c = Cursor::new(rec, 0, Section::WalRecord);
    match c.u8()? {
        SERIES => {
            let series_ref = c.be_u64()?;
            let n = c.uvarint_len()?;
            if n.saturating_mul(2) > c.remaining() {
                return Err(invalid(&c, "label count larger than the record"));
            }
            let mut labels = Vec::with_capacity(n);
            for _ in 0..n {
                let name = c.uvarint_bytes()?;
                let value = c.uvarint_bytes()?;
                labels.push(Label { name, value });
            }
            c.skip(8)?; // was the chunk range
            let chunk = match c.uvarint()? {
                0 => None,
                _ => {
                    let min_time = c.be_u64()? as i64;
                    let max_time = c.be_u64()? as i64;
                    let encoding = Encoding::from_byte(c.u8()?);
                    let data = c.uvarint_bytes()?;
                    // Four legacy (t, v) pairs.
                    c.skip(4 * 16)?;
                    Some(SnapshotChunk {
                        min_time,
                        max_time,
                        encoding,
                        data,
                    })
                }
            };
            Ok(SnapshotRecord::Series {
                series_ref,
                labels,
                chunk,
            })
        }
        TOMBSTONES => {
            let data = c.uvarint_bytes()?;
            let base = c.offset() - data.len() as u64;
            let mut t = Cursor::new(data, base, Section::WalRecord);
            if t.u8()? != 1 {
                return Err(invalid(&t, "unknown tombstones format version"));
            }
            let mut stones = Vec::new();
            while !t.is_empty() {
                let r = t.uvarint()?;
                let min = t.varint()?;
                let max = t.varint()?;
                stones.push((r, Interval { min, max }));
            }
            if !c.is_empty() {
                return Err(invalid(&c, "bytes after the tombstones"));
            }
            Ok(SnapshotRecord::Tombstones(stones))
        }
        EXEMPLARS => Ok(SnapshotRecord::Exemplars(c.rest())),
        other => Err(FormatError::new(
            Section::WalRecord,
            0,
            FormatErrorKind::UnknownRecordType(other),
        )),
    }
}

/// Encodes a series record as Prometheus does (for tests and tools).
pub fn encode_series(
    series_ref: u64,
    labels: &[Label<'_>],
    chunk: Option<&SnapshotChunk<'_>>,
) -> Vec<u8> {
    let mut out = vec![SERIES];
    out.extend_from_slice(&series_ref.to_be_bytes());
    crate::bytes::put_uvarint(&mut out, labels.len() as u64);
    for l in labels {
        crate::bytes::put_uvarint(&mut out, l.name.len() as u64);
        out.extend_from_slice(l.name);
        crate::bytes::put_uvarint(&mut out, l.value.len() as u64);
        out.extend_from_slice(l.value);
    }
    out.extend_from_slice(&[0; 8]);
    match chunk {
        None => out.push(0),
        Some(c) => {
            out.push(1);
            out.extend_from_slice(&c.min_time.to_be_bytes());
            out.extend_from_slice(&c.max_time.to_be_bytes());
            out.push(c.encoding.byte());
            crate::bytes::put_uvarint(&mut out, c.data.len() as u64);
            out.extend_from_slice(c.data);
            out.extend_from_slice(&[0; 64]);
        }
    }
    out
}

/// Encodes the tombstones record.
pub fn encode_tombstones(stones: &[(u64, Interval)]) -> Vec<u8> {
    let mut body = vec![1u8];
    for (r, iv) in stones {
        crate::bytes::put_uvarint(&mut body, *r);
        crate::bytes::put_varint(&mut body, iv.min);
        crate::bytes::put_varint(&mut body, iv.max);
    }
    let mut out = vec![TOMBSTONES];
    crate::bytes::put_uvarint(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out
}
