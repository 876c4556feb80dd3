//! `verify`: every checksum and invariant of a block, with every problem listed (not just
//! the first), each naming its file, section and offset.
//!
//! The index is walked once ([`Index`](crate::index::Index)'s checks: CRCs, order of
//! symbols, series, postings and the postings offset table, postings equal to what the
//! series' labels imply, zero padding). The chunks are then read and decoded on every core
//! (rayon): CRC, a full decode, the sample count and time range against the chunk meta and
//! the block's range, chunks not overlapping in their segment, bytes between chunks zero.
//! Last, the totals are compared with `meta.json`'s stats.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::block::Block;
use crate::chunkenc::{Encoding, FloatHistogramIter, HistogramIter, XorIter};
use crate::error::{Error, FormatError, Section};
use crate::index::ChunkMeta;
use crate::source::ReadAt;

/// One thing wrong with a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file (or the block directory, for what concerns the whole block).
    pub path: PathBuf,
    /// The section of the file, when the problem is inside one.
    #[serde(serialize_with = "section_name")]
    pub section: Option<Section>,
    /// Byte offset in the file, when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

fn section_name<S: serde::Serializer>(s: &Option<Section>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_str(&s.to_string()),
        None => ser.serialize_none(),
    }
}

impl Problem {
    /// The problem an error describes: a format error keeps its section and offset.
    pub fn from_error(e: &Error) -> Problem {
        match e {
            Error::Format { path, source } => Problem::format(path, source),
            _ => {
                let mut message = String::new();
                let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
                while let Some(c) = cause {
                    if !message.is_empty() {
                        message.push_str(": ");
                    }
                    message.push_str(&c.to_string());
                    cause = c.source();
                }
                Problem {
                    path: e.path().map(Path::to_path_buf).unwrap_or_default(),
                    section: None,
                    offset: None,
                    message: if message.is_empty() {
                        e.to_string()
                    } else {
                        message
                    },
                }
            }
        }
    }

    fn format(path: &Path, e: &FormatError) -> Problem {
        Problem::at(path, e.section, e.offset, e.kind.to_string())
    }

    fn at(path: &Path, section: Section, offset: u64, message: String) -> Problem {
        Problem {
            path: path.to_path_buf(),
            section: Some(section),
            offset: Some(offset),
            message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        match (self.section, self.offset) {
            (Some(s), Some(o)) => write!(f, ": {s} at offset {o}")?,
            (Some(s), None) => write!(f, ": {s}")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// What [`Block::verify`] found: what it read and every problem.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The block directory.
    pub block: PathBuf,
    /// Series read from the index.
    pub series: u64,
    /// Chunks read and decoded.
    pub chunks: u64,
    /// Samples decoded.
    pub samples: u64,
    /// Everything wrong, in the order found (index, chunks, stats).
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report when clean, else an [`Error::Verify`] listing the problems.
    pub fn into_result(self) -> crate::Result<Report> {
        if self.is_clean() {
            Ok(self)
        } else {
            Err(Error::Verify {
                path: self.block,
                problems: self.problems,
            })
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        write!(
            f,
            "{}: {} series, {} chunks, {} samples: {}",
            self.block.display(),
            self.series,
            self.chunks,
            self.samples,
            match self.problems.len() {
                0 => "ok".to_string(),
                1 => "1 problem".to_string(),
                n => format!("{n} problems"),
            }
        )
    }
}

/// A chunk to check: its series (for messages) and meta.
struct ChunkJob {
    series_at: u64,
    index: usize,
    meta: ChunkMeta,
}

/// What checking some chunks found.
#[derive(Default)]
struct ChunkTally {
    chunks: u64,
    samples: u64,
    float_samples: u64,
    histogram_samples: u64,
    problems: Vec<Problem>,
    /// (segment, start, end) of every chunk that was read.
    extents: Vec<(usize, u64, u64)>,
    /// Chunks that could not be read or decoded (already reported).
    failed: u64,
}

impl ChunkTally {
    fn merge(mut self, other: ChunkTally) -> ChunkTally {
        self.chunks += other.chunks;
        self.samples += other.samples;
        self.float_samples += other.float_samples;
        self.histogram_samples += other.histogram_samples;
        self.problems.extend(other.problems);
        self.extents.extend(other.extents);
        self.failed += other.failed;
        self
    }
}

/// Checks `block`, calling `progress` with the number of chunks checked as they are.
pub(crate) fn verify_block(block: &Block, progress: &(dyn Fn(u64) + Sync)) -> Report {
    let mut report = Report {
        block: block.dir().to_path_buf(),
        ..Report::default()
    };
    let index_path = block.index_path().to_path_buf();
    let meta = block.meta();
    let (min_time, max_time) = (meta.min_time, meta.max_time);
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    {
        let mut sink = |section: Section, offset: u64, message: String| {
            problems.push(Problem::at(&index_path, section, offset, message));
        };
        let mut on_series = |id: u64, _: &[crate::labels::Label<'_>], chunks: &[ChunkMeta]| {
            report.series += 1;
            let series_at = block.index().series_offset_of(id);
            for (index, &meta) in chunks.iter().enumerate() {
                jobs.push(ChunkJob {
                    series_at,
                    index,
                    meta,
                });
            }
        };
        block.index().verify_all(&mut sink, &mut on_series);
    }
    for j in &jobs {
        if j.meta.min_time < min_time || j.meta.max_time > max_time {
            problems.push(Problem::at(
                &index_path,
                Section::Series,
                j.series_at,
                format!(
                    "chunk {} ({} to {}) outside the block's range ({min_time} to {max_time})",
                    j.index, j.meta.min_time, j.meta.max_time
                ),
            ));
        }
    }
    // A chunk reference used by more than one chunk meta (Prometheus never shares
    // chunks) is reported and decoded once: hostile metas cannot multiply the work.
    // In reference order, which is also the order of the chunks in the segments.
    jobs.sort_unstable_by_key(|j| j.meta.chunk_ref.0);
    let mut unique = Vec::with_capacity(jobs.len());
    let mut last_ref = None;
    for j in &jobs {
        if last_ref == Some(j.meta.chunk_ref.0) {
            problems.push(Problem::at(
                &index_path,
                Section::Series,
                j.series_at,
                format!(
                    "chunk {} refers to chunk {:#x}, which another chunk meta refers to",
                    j.index, j.meta.chunk_ref.0
                ),
            ));
            continue;
        }
        last_ref = Some(j.meta.chunk_ref.0);
        unique.push(j);
    }
    let tally = unique
        .par_chunks(256)
        .map(|batch| {
            let mut tally = ChunkTally::default();
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            for &job in batch {
                check_chunk(block, &index_path, job, &mut tally, &mut ts, &mut vs);
            }
            progress(batch.len() as u64);
            tally
        })
        .reduce(ChunkTally::default, ChunkTally::merge);
    problems.extend(tally.problems);
    check_segments(block, tally.extents, &mut problems);
    report.chunks = tally.chunks;
    report.samples = tally.samples;
    let stats = &meta.stats;
    let meta_path = block.dir().join("meta.json");
    // Sample counts are compared only when every chunk decoded (a chunk that did not is
    // reported already, and its samples are missing from the count).
    let all_decoded = tally.failed == 0;
    let mut compare = |what: &str, stated: u64, found: u64, always: bool| {
        let samples = what.ends_with("samples");
        if stated != found && (always || stated != 0) && (all_decoded || !samples) {
            problems.push(Problem {
                path: meta_path.clone(),
                section: None,
                offset: None,
                message: format!("stats say {stated} {what}, the block holds {found}"),
            });
        }
    };
    compare("series", stats.num_series, report.series, true);
    compare("chunks", stats.num_chunks, jobs.len() as u64, true);
    compare("samples", stats.num_samples, tally.samples, true);
    compare(
        "float samples",
        stats.num_float_samples,
        tally.float_samples,
        false,
    );
    compare(
        "histogram samples",
        stats.num_histogram_samples,
        tally.histogram_samples,
        false,
    );
    check_meta_text(block, &meta_path, &mut problems);
    report.problems = problems;
    report
}

/// `meta.json` read strictly: every key one Prometheus writes (a misspelt or unknown key
/// is reported, where reading it leniently would pass over it), the ULID that of the
/// directory, a time range that is not empty.
fn check_meta_text(block: &Block, path: &Path, problems: &mut Vec<Problem>) {
    let mut report = |message: String| {
        problems.push(Problem {
            path: path.to_path_buf(),
            section: None,
            offset: None,
            message,
        })
    };
    let value: serde_json::Value = match serde_json::from_slice(block.meta_json()) {
        Ok(v) => v,
        Err(e) => return report(e.to_string()),
    };
    // `thanos`: what Thanos, Mimir and Cortex add to the blocks they upload.
    const TOP: &[&str] = &[
        "thanos",
        "ulid",
        "minTime",
        "maxTime",
        "stats",
        "compaction",
        "version",
    ];
    const STATS: &[&str] = &[
        "numSamples",
        "numFloatSamples",
        "numHistogramSamples",
        "numSeries",
        "numChunks",
        "numTombstones",
    ];
    const COMPACTION: &[&str] = &[
        "level",
        "sources",
        "deletable",
        "parents",
        "failed",
        "hints",
    ];
    const PARENT: &[&str] = &["ulid", "minTime", "maxTime"];
    let mut keys = |v: &serde_json::Value, allowed: &[&str], at: &str| {
        if let Some(m) = v.as_object() {
            for k in m.keys().filter(|k| !allowed.contains(&k.as_str())) {
                report(format!("unknown key {k:?} in {at}"));
            }
        }
    };
    keys(&value, TOP, "the top level");
    let null = serde_json::Value::Null;
    let compaction = value.get("compaction").unwrap_or(&null);
    keys(value.get("stats").unwrap_or(&null), STATS, "stats");
    keys(compaction, COMPACTION, "compaction");
    let parents = compaction.get("parents").and_then(|p| p.as_array());
    for p in parents.into_iter().flatten() {
        keys(p, PARENT, "a parent");
    }
    let meta = block.meta();
    // A directory named like a block (a ULID) must be this block's; a copy under another
    // name is the user's business.
    let dir_name = block
        .dir()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    if let Some(name) = dir_name.filter(|n| n.parse::<crate::ulid::Ulid>().is_ok()) {
        if name != meta.ulid {
            report(format!(
                "ULID {} is not the block directory's name {name}",
                meta.ulid
            ));
        }
    }
    if meta.ulid.parse::<crate::ulid::Ulid>().is_err() {
        report(format!("ULID {:?} is not a ULID", meta.ulid));
    }
    if meta.min_time >= meta.max_time {
        report(format!(
            "minTime {} is not before maxTime {}",
            meta.min_time, meta.max_time
        ));
    }
}

/// Reads, decodes and checks one chunk against its meta.
fn check_chunk(
    block: &Block,
    index_path: &Path,
    job: &ChunkJob,
    tally: &mut ChunkTally,
    ts: &mut Vec<i64>,
    vs: &mut Vec<f64>,
) {
    let (seg, off) = crate::chunks::split_ref(job.meta.chunk_ref);
    let chunk = match block.chunk(job.meta.chunk_ref) {
        Ok(c) => c,
        Err(e) => {
            tally.problems.push(Problem::from_error(&e));
            tally.failed += 1;
            // Its bytes, as far as its length says, are its own: not reported again as
            // bytes no chunk refers to.
            if let Some(data) = block.segment(seg) {
                let head = data.read_at(off, 10).ok();
                if let Some((len, n)) = head.and_then(|h| crate::bytes::decode_uvarint(h).ok()) {
                    let end = off
                        .saturating_add(n as u64 + 1)
                        .saturating_add(len)
                        .saturating_add(4);
                    tally.extents.push((seg, off, end.min(data.size())));
                }
            }
            return;
        }
    };
    tally.chunks += 1;
    if let Some(data) = block.segment(seg) {
        let start = crate::chunks::data_offset(data, off);
        tally
            .extents
            .push((seg, off, start + chunk.data.len() as u64 + 4));
    }
    let data_error = |e: FormatError| {
        use crate::storage::BlockReader;
        Problem::from_error(&block.chunk_reader().chunk_data_error(&job.meta, e))
    };
    // (samples, first time, last time) or the decode error.
    let decoded: Result<(u64, i64, i64), FormatError> = match chunk.encoding {
        Encoding::Xor => {
            ts.clear();
            vs.clear();
            XorIter::decode_chunk_into(chunk.data, ts, vs).map(|()| {
                let n = ts.len() as u64;
                tally.float_samples += n;
                (n, *ts.first().unwrap_or(&0), *ts.last().unwrap_or(&0))
            })
        }
        Encoding::Histogram => HistogramIter::new(chunk.data).and_then(|it| {
            let r = span(it);
            if let Ok((n, ..)) = r {
                tally.histogram_samples += n;
            }
            r
        }),
        Encoding::FloatHistogram => FloatHistogramIter::new(chunk.data).and_then(|it| {
            let r = span(it);
            if let Ok((n, ..)) = r {
                tally.histogram_samples += n;
            }
            r
        }),
        other => {
            tally.problems.push(Problem::at(
                index_path,
                Section::Series,
                job.series_at,
                format!(
                    "chunk {} has encoding {other}, which this version cannot decode: its samples are unchecked",
                    job.index
                ),
            ));
            return;
        }
    };
    let (n, first, last) = match decoded {
        Ok(d) => d,
        Err(e) => {
            tally.problems.push(data_error(e));
            tally.failed += 1;
            return;
        }
    };
    tally.samples += n;
    if n == 0 {
        tally.problems.push(Problem::at(
            index_path,
            Section::Series,
            job.series_at,
            format!("chunk {} holds no samples", job.index),
        ));
    } else if (first, last) != (job.meta.min_time, job.meta.max_time) {
        tally.problems.push(Problem::at(
            index_path,
            Section::Series,
            job.series_at,
            format!(
                "chunk {}: the index says {} to {}, its samples run from {first} to {last}",
                job.index, job.meta.min_time, job.meta.max_time
            ),
        ));
    }
}

/// Count, first and last timestamp of decoded samples.
fn span(
    ts: impl Iterator<Item = Result<i64, FormatError>>,
) -> Result<(u64, i64, i64), FormatError> {
    let (mut n, mut first, mut last) = (0, 0, 0);
    for t in ts {
        let t = t?;
        if n == 0 {
            first = t;
        }
        last = t;
        n += 1;
    }
    Ok((n, first, last))
}

/// Chunks must not overlap in their segment; what lies between them and after the last
/// must be zeros (Prometheus writes them back to back); the header's padding is zero.
fn check_segments(block: &Block, mut extents: Vec<(usize, u64, u64)>, problems: &mut Vec<Problem>) {
    extents.sort_unstable();
    extents.dedup();
    for (seg, (path, data)) in block.segment_files().enumerate() {
        let size = data.size();
        // Only the header and the gaps are read (a ranged source fetches no chunk again).
        let bytes = |from: u64, to: u64| {
            usize::try_from(to.saturating_sub(from))
                .ok()
                .and_then(|n| data.read_at(from, n).ok())
                .unwrap_or_default()
        };
        if let Some(pad) = bytes(0, size.min(8)).get(5..8) {
            if pad.iter().any(|&b| b != 0) {
                problems.push(Problem::at(
                    path,
                    Section::SegmentHeader,
                    5,
                    "non-zero padding in the segment header".to_string(),
                ));
            }
        }
        let mut at = crate::chunks::SEGMENT_HEADER_LEN as u64;
        // The extents are sorted: this segment's are one run, found by two searches (a
        // filter per segment would cost segments × chunks).
        let from = extents.partition_point(|e| e.0 < seg);
        let to = extents.partition_point(|e| e.0 <= seg);
        for &(_, start, end) in extents.get(from..to).unwrap_or_default() {
            if start < at {
                problems.push(Problem::at(
                    path,
                    Section::Chunk,
                    start,
                    format!("chunk overlaps the one before (ending at {at})"),
                ));
            } else if let Some(i) = stray(bytes(at, start), at) {
                problems.push(Problem::at(
                    path,
                    Section::Chunk,
                    i,
                    "non-zero bytes no chunk refers to".to_string(),
                ));
            }
            at = at.max(end);
        }
        if let Some(i) = stray(bytes(at, size), at) {
            problems.push(Problem::at(
                path,
                Section::Chunk,
                i,
                "non-zero bytes after the last chunk".to_string(),
            ));
        }
    }
}

/// The offset of the first non-zero byte of `gap`, which starts at `from`.
fn stray(gap: &[u8], from: u64) -> Option<u64> {
    gap.iter().position(|&b| b != 0).map(|i| from + i as u64)
}
