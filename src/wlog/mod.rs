//! Write-ahead logs: `wal/`, its checkpoints, `wbl/` and chunk snapshots share one format.
//!
//! A log is a directory of segments named by an 8-digit number (`00000000`, …), which must
//! be consecutive; each segment is a run of 32 KiB pages of record fragments
//! ([`reader`]). A checkpoint (`wal/checkpoint.NNNNNNNN/`) is itself such a directory,
//! holding what the segments up to `NNNNNNNN` still had to say; replay reads the last
//! checkpoint and then the segments after it. Record payloads are decoded by
//! [`crate::record`].
//!
//! Everything here only reads: segments are mapped (or read) whole and never locked,
//! padded or repaired, unlike Prometheus's `wlog.Open`, which creates a new segment in the
//! directory it opens.

pub mod reader;
pub mod writer;

use std::path::{Path, PathBuf};

pub use reader::{Compression, RawRecord, RecordReader, Torn, PAGE_SIZE};
pub use writer::SegmentWriter;

use crate::error::{Error, Result};
use crate::source::{ReadMode, Source};

/// A segment file of a log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFile {
    /// Its number.
    pub index: u32,
    /// Its path.
    pub path: PathBuf,
}

/// The segments of a log directory in order (Prometheus's `listSegments`): entries whose
/// whole name is a decimal number; the numbers must be consecutive.
pub fn segments(dir: &Path) -> Result<Vec<SegmentFile>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(index) = name.parse::<u32>() else {
            continue;
        };
        out.push(SegmentFile {
            index,
            path: entry.path(),
        });
    }
    out.sort_by_key(|s| s.index);
    for pair in out.windows(2) {
        if let [a, b] = pair {
            if a.index.checked_add(1) != Some(b.index) {
                return Err(Error::NotFound {
                    path: dir.join(format!("{:08}", a.index.saturating_add(1))),
                    what: "missing WAL segment: segments are not sequential",
                });
            }
        }
    }
    Ok(out)
}

/// The newest checkpoint of a WAL directory (`checkpoint.N` with the highest N; names
/// with another suffix, such as an unfinished `checkpoint.N.tmp`, are ignored), as
/// Prometheus's `LastCheckpoint` finds it.
pub fn last_checkpoint(wal: &Path) -> Result<Option<(PathBuf, u32)>> {
    let mut best: Option<(PathBuf, u32)> = None;
    for entry in std::fs::read_dir(wal).map_err(|e| Error::io(wal, e))? {
        let entry = entry.map_err(|e| Error::io(wal, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(num) = name.strip_prefix("checkpoint.") else {
            continue;
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(index) = num.parse::<u32>() else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            return Err(Error::NotFound {
                path: entry.path(),
                what: "checkpoint is not a directory",
            });
        }
        if best.as_ref().is_none_or(|(_, b)| index > *b) {
            best = Some((entry.path(), index));
        }
    }
    Ok(best)
}

/// A segment's bytes, mapped or read whole.
#[derive(Debug)]
pub struct Segment {
    /// Which file.
    pub file: SegmentFile,
    /// Its bytes as of opening (a live segment may grow later; that is not seen).
    pub data: Source,
}

impl Segment {
    /// Maps or reads `file` ([`ReadMode::Ranged`] reads it: segments are read whole).
    pub fn open(file: SegmentFile, mode: ReadMode) -> Result<Segment> {
        let data = Source::open(&file.path, mode)?;
        Ok(Segment { file, data })
    }

    /// A reader over the records.
    pub fn records(&self) -> RecordReader<'_> {
        RecordReader::new(&self.data)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn listing_and_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for n in [
            "00000003",
            "00000004",
            "00000005",
            "junk",
            "checkpoint.00000002.tmp",
        ] {
            std::fs::write(p.join(n), b"").unwrap();
        }
        std::fs::create_dir(p.join("checkpoint.00000001")).unwrap();
        std::fs::create_dir(p.join("checkpoint.00000002")).unwrap();
        let segs = segments(p).unwrap();
        assert_eq!(segs.iter().map(|s| s.index).collect::<Vec<_>>(), [3, 4, 5]);
        let (cp, n) = last_checkpoint(p).unwrap().unwrap();
        assert_eq!(n, 2);
        assert!(cp.ends_with("checkpoint.00000002"));
        std::fs::remove_file(p.join("00000004")).unwrap();
        let e = segments(p).unwrap_err();
        assert!(e.to_string().contains("00000004"), "{e}");
    }
}
