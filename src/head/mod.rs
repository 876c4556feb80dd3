//! The head of a live data directory: the samples not yet compacted into a block.
//!
//! Prometheus keeps them in `wal/` (records, [`crate::wlog`] and [`crate::record`]), its
//! last `checkpoint.N/`, `chunks_head/` (chunks already cut, [`files`]) and `wbl/`
//! (out-of-order samples). [`Head::open`] replays them the way a read-only Prometheus
//! head does (the rules are listed in `src/head/replay/mod.rs`) and serves the result
//! through the storage traits: the in-order head and, when there is out-of-order data, a
//! second reader for it, which queries merge like blocks. Chunks already in
//! `chunks_head/` are read from the mapping; samples only in the WAL are encoded into
//! chunks in memory.
//!
//! Where tsblock deliberately differs from a 2.42 head, on input Prometheus 2.42 does not
//! write or cannot read:
//! - record types 9 and 10 (custom-bucket histograms, Prometheus 3.2+) are replayed, and
//!   11–13 (3.11+) refused with an error naming them; 2.42 skips all of them;
//! - a histogram no chunk can hold (a schema outside −4..=8 and −53) is left out with a
//!   warning; 2.42 stored what its remote write let through;
//! - a series record's labels are sorted (2.42 keeps them as written, so the same labels
//!   in another order made another series);
//! - a series reference announced again with other labels keeps both series (2.42's
//!   garbage collection deletes by reference and loses both), and the reference's
//!   m-mapped chunks only in the last series reset with them (2.42 gives them to each,
//!   and serves the reference through the last one created with it);
//! - a chunk that does not decode is an error naming its file and offset (promtool 2.42
//!   stops printing the series silently).
//!
//! Nothing in the directory is written, locked or repaired: where Prometheus would repair
//! (a torn last record, corrupt head chunk files), the head says what it left out in
//! [`Head::warnings`]. The newest `chunk_snapshot.N.M/` ([`snapshot`]) is used when
//! present, as a Prometheus server with `memory-snapshot-on-shutdown` uses it: its series
//! and open chunks stand in for the WAL up to segment N, offset M ([`HeadOptions`] can
//! turn that off; promtool's read-only open ignores snapshots, and a current snapshot
//! gives the same samples either way).

pub mod files;
mod index;
mod replay;
pub mod snapshot;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::chunkenc::{Chunk, Encoding, XorAppender, XorIter};
use crate::error::{Error, Result};
use crate::index::ChunkMeta;
use crate::refs::{ChunkRef, SeriesRef};
use crate::source::ReadMode;
use crate::storage::{BlockReader, ChunkReader, IndexReader};
use crate::tombstones::Intervals;
use files::HeadChunkFiles;
use index::{IndexedSeries, MemIndex};

/// Chunk references with this bit name a chunk held in memory (the rest is its index);
/// others are `chunks_head/` references.
const MEM_BIT: u64 = 1 << 63;

/// How to open a head.
#[derive(Debug, Clone, Copy)]
pub struct HeadOptions {
    /// How files are brought into memory ([`ReadMode::Ranged`] reads them whole).
    pub mode: ReadMode,
    /// Samples before this are left out: the newest block's max time, as Prometheus sets
    /// it (`i64::MIN` when there are no blocks).
    pub min_valid_time: i64,
    /// The head's chunk range: chunks never cross its multiples (Prometheus: 2h).
    pub chunk_range: i64,
    /// Start from the newest `chunk_snapshot.N.M/` when there is one, as a Prometheus
    /// server with `memory-snapshot-on-shutdown` does (then only the WAL after segment N,
    /// offset M is replayed). promtool's read-only open never does; both give the same
    /// samples when the snapshot is current.
    pub use_snapshot: bool,
}

impl Default for HeadOptions {
    fn default() -> Self {
        HeadOptions {
            mode: ReadMode::Mmap,
            min_valid_time: i64::MIN,
            chunk_range: crate::writer::DEFAULT_BLOCK_DURATION,
            use_snapshot: true,
        }
    }
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeadStats {
    /// Series with data (in order or out of order).
    pub series: usize,
    /// Samples in the in-order head: in m-mapped chunks plus those from the WAL.
    pub samples: u64,
    /// Of those, from the WAL.
    pub wal_samples: u64,
    /// Out-of-order samples, after removing duplicates.
    pub ooo_samples: u64,
    /// Samples the WBL held (before removing those also in m-mapped chunks).
    pub wbl_samples: u64,
    /// Chunks in the in-order head.
    pub chunks: usize,
    /// Of those, read from `chunks_head/`.
    pub mmapped_chunks: usize,
    /// Samples dropped as the head drops them: before the minimum valid time, already in
    /// an m-mapped chunk, duplicate or out of order.
    pub dropped_samples: u64,
    /// Histogram samples whose layout no chunk can hold (a schema outside −4..=8 and −53,
    /// spans that do not match the buckets): left out, with a warning.
    pub invalid_histograms: u64,
    /// Samples, tombstones and markers for series no series record announced.
    pub unknown_refs: u64,
    /// Records of a type Prometheus does not know (skipped, as it skips them).
    pub unknown_records: u64,
    /// Exemplars seen (not kept).
    pub exemplars: u64,
    /// Records read.
    pub records: u64,
    /// WAL and checkpoint segments read.
    pub wal_segments: usize,
    /// WBL segments read.
    pub wbl_segments: usize,
    /// The checkpoint replayed, if any.
    pub checkpoint: Option<u32>,
    /// The chunk snapshot used (its WAL segment and offset), if any.
    pub snapshot: Option<(u32, u64)>,
    /// Newest sample (in order or not), if any.
    pub max_time: Option<i64>,
    /// Oldest sample kept (at least the minimum valid time), if any.
    pub min_time: Option<i64>,
}

/// Something the head left out, where Prometheus would have repaired the directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum HeadWarning {
    /// The last segment ends inside a record (a live server was writing it); the
    /// incomplete record is not read.
    TornRecord {
        /// The segment.
        path: PathBuf,
        /// Where the record starts.
        offset: u64,
        /// Bytes left out.
        bytes: u64,
    },
    /// A head chunk file is corrupt: Prometheus deletes it and every later one and
    /// replays their samples from the WAL; they are ignored here.
    CorruptHeadChunks {
        /// What is wrong.
        error: Error,
        /// The files ignored.
        dropped: Vec<PathBuf>,
    },
    /// Histogram samples were left out because no chunk can hold them (Prometheus 2.42
    /// stored some of them, e.g. schemas above 8, which later versions refuse).
    InvalidHistograms {
        /// How many.
        count: u64,
    },
    /// The chunk snapshot could not be read: Prometheus replays the whole WAL instead,
    /// and so does this reader.
    SnapshotIgnored {
        /// The snapshot directory.
        path: PathBuf,
        /// Why.
        error: Error,
    },
    /// A chunk overlaps the previous chunk of its series: Prometheus deletes every head
    /// chunk file and replays the WAL; they are ignored here.
    OutOfSequenceHeadChunk {
        /// The series' WAL reference.
        series_ref: u64,
        /// The chunk.
        chunk_ref: u64,
        /// The files ignored.
        dropped: Vec<PathBuf>,
    },
}

impl fmt::Display for HeadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadWarning::TornRecord {
                path,
                offset,
                bytes,
            } => write!(
                f,
                "{}: last record is torn at offset {offset}; its {bytes} bytes are not read",
                path.display()
            ),
            HeadWarning::CorruptHeadChunks { error, dropped } => write!(
                f,
                "{}; ignoring {} head chunk file(s) from there on (their samples come from the WAL)",
                crate::error::Report(error),
                dropped.len()
            ),
            HeadWarning::InvalidHistograms { count } => write!(
                f,
                "{count} histogram sample(s) with a layout chunks cannot hold (schema outside \
                 -4..8, or spans that do not match the buckets) left out"
            ),
            HeadWarning::SnapshotIgnored { path, error } => write!(
                f,
                "{}: {}; replaying the whole WAL instead",
                path.display(),
                crate::error::Report(error)
            ),
            HeadWarning::OutOfSequenceHeadChunk {
                series_ref,
                chunk_ref,
                dropped,
            } => write!(
                f,
                "head chunk {chunk_ref:#x} of series {series_ref} overlaps the previous one; \
                 ignoring all {} head chunk file(s) (their samples come from the WAL)",
                dropped.len()
            ),
        }
    }
}

/// An encoded chunk held in memory.
#[derive(Debug)]
struct MemChunk {
    encoding: Encoding,
    data: Vec<u8>,
}

/// The chunks of both head parts: `chunks_head/` files and chunks built in memory.
#[derive(Debug)]
struct HeadChunks {
    files: HeadChunkFiles,
    mem: Vec<MemChunk>,
}

impl HeadChunks {
    fn push(&mut self, encoding: Encoding, data: Vec<u8>) -> ChunkRef {
        self.mem.push(MemChunk { encoding, data });
        ChunkRef(MEM_BIT | (self.mem.len() as u64 - 1))
    }
}

impl ChunkReader for HeadChunks {
    fn chunk(&self, meta: &ChunkMeta) -> Result<Chunk<'_>> {
        let r = meta.chunk_ref.0;
        if r & MEM_BIT != 0 {
            let c = usize::try_from(r & !MEM_BIT)
                .ok()
                .and_then(|i| self.mem.get(i))
                .ok_or_else(|| Error::Decode {
                    source: crate::error::FormatError::new(
                        crate::error::Section::HeadChunk,
                        0,
                        crate::error::FormatErrorKind::BadChunkRef(r),
                    ),
                })?;
            return Ok(Chunk {
                encoding: c.encoding,
                data: &c.data,
            });
        }
        self.files.chunk(r)
    }

    fn chunk_data_error(&self, meta: &ChunkMeta, e: crate::error::FormatError) -> Error {
        let r = meta.chunk_ref.0;
        if r & MEM_BIT != 0 {
            // A chunk this reader encoded itself.
            return Error::Decode { source: e };
        }
        self.files.data_error(r, e)
    }
}

/// One part of the head (in order, or out of order) as a [`BlockReader`].
#[derive(Debug)]
pub struct HeadPart {
    index: MemIndex,
    chunks: Arc<HeadChunks>,
    range: (i64, i64),
}

impl BlockReader for HeadPart {
    fn index_reader(&self) -> &dyn IndexReader {
        &self.index
    }

    fn chunk_reader(&self) -> &dyn ChunkReader {
        &*self.chunks
    }

    fn deleted(&self, r: SeriesRef) -> Option<&Intervals> {
        self.index.deleted(r)
    }

    fn time_range(&self) -> (i64, i64) {
        self.range
    }
}

/// The head of a data directory, replayed.
#[derive(Debug)]
pub struct Head {
    dir: PathBuf,
    in_order: HeadPart,
    ooo: Option<HeadPart>,
    stats: HeadStats,
    warnings: Vec<HeadWarning>,
}

impl Head {
    /// Replays the head of data directory `dir` (its `wal/` must exist).
    pub fn open(dir: impl AsRef<Path>, opts: HeadOptions) -> Result<Head> {
        let dir = dir.as_ref().to_path_buf();
        let wal = dir.join("wal");
        if !wal.is_dir() {
            return Err(Error::NotFound {
                path: wal,
                what: "no WAL directory",
            });
        }
        let r = replay::replay(
            &dir,
            opts.min_valid_time,
            opts.chunk_range,
            opts.mode,
            opts.use_snapshot,
        )?;
        build(dir, r, opts.min_valid_time)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The readers to query: the in-order head, then the out-of-order head if there is
    /// out-of-order data.
    pub fn readers(&self) -> Vec<&dyn BlockReader> {
        let mut out: Vec<&dyn BlockReader> = Vec::new();
        if self.in_order.index.len() > 0 {
            out.push(&self.in_order);
        }
        if let Some(o) = &self.ooo {
            out.push(o);
        }
        out
    }

    /// What the replay found.
    pub fn stats(&self) -> &HeadStats {
        &self.stats
    }

    /// What was left out where Prometheus would have repaired files.
    pub fn warnings(&self) -> &[HeadWarning] {
        &self.warnings
    }

    /// Moves the warnings out (to whoever reports them).
    pub fn take_warnings(mut self) -> (Head, Vec<HeadWarning>) {
        let w = std::mem::take(&mut self.warnings);
        (self, w)
    }

    /// True when the head holds no samples.
    pub fn is_empty(&self) -> bool {
        self.stats.series == 0
    }
}

fn build(dir: PathBuf, r: replay::Replayed, min_valid: i64) -> Result<Head> {
    let mut stats = r.stats;
    let mut chunks = HeadChunks {
        files: r.files,
        mem: Vec::new(),
    };
    let mut in_order = Vec::new();
    let mut ooo = Vec::new();
    let mut deleted: HashMap<usize, Intervals> = HashMap::new();
    // Sorted, then merged in one pass: adding stones one by one shifts a series'
    // intervals on every insert, quadratic for many stones in descending order.
    let mut stones = r.tombstones;
    stones.sort_unstable();
    for (i, iv) in stones {
        deleted.entry(i).or_default().push_sorted(iv);
    }
    let (mut min_t, mut max_t) = (i64::MAX, i64::MIN);
    for (i, (s, mut mem)) in r.series.into_iter().zip(r.mem).enumerate() {
        let mut metas = Vec::new();
        for c in s.disk.iter() {
            metas.push(ChunkMeta {
                min_time: c.min_time,
                max_time: c.max_time,
                chunk_ref: ChunkRef(c.chunk_ref),
            });
            stats.samples += u64::from(c.num_samples);
            stats.mmapped_chunks += 1;
        }
        if let Some(open) = mem.head.take() {
            mem.done.push(open.done());
        }
        for c in mem.done {
            stats.samples += u64::from(c.num_samples);
            metas.push(ChunkMeta {
                min_time: c.min_time,
                max_time: c.max_time,
                chunk_ref: chunks.push(c.encoding, c.data),
            });
        }
        for m in &metas {
            min_t = min_t.min(m.min_time);
            max_t = max_t.max(m.max_time);
        }
        stats.chunks += metas.len();
        let ooo_metas = ooo_chunks(&mut chunks, &s.ooo_disk, s.ooo_done, s.ooo_open, &mut stats)?;
        for m in &ooo_metas {
            min_t = min_t.min(m.min_time);
            max_t = max_t.max(m.max_time);
        }
        if metas.is_empty() && ooo_metas.is_empty() {
            // No data: Prometheus's garbage collection after replay drops the series.
            continue;
        }
        stats.series += 1;
        // Prometheus's out-of-order head has no tombstones (`OOORangeHead.Tombstones`).
        match (metas.is_empty(), ooo_metas.is_empty()) {
            (false, false) => {
                in_order.push(IndexedSeries {
                    labels: s.labels.clone(),
                    chunks: metas,
                    deleted: deleted.remove(&i),
                });
                ooo.push(IndexedSeries {
                    labels: s.labels,
                    chunks: ooo_metas,
                    deleted: None,
                });
            }
            (false, true) => in_order.push(IndexedSeries {
                labels: s.labels,
                chunks: metas,
                deleted: deleted.remove(&i),
            }),
            _ => ooo.push(IndexedSeries {
                labels: s.labels,
                chunks: ooo_metas,
                deleted: None,
            }),
        }
    }
    let min_t = min_t.max(min_valid);
    let range = if max_t >= min_t {
        stats.min_time = Some(min_t);
        stats.max_time = Some(max_t);
        (min_t, max_t.saturating_add(1))
    } else {
        (i64::MAX, i64::MIN)
    };
    let chunks = Arc::new(chunks);
    let part = |series: Vec<IndexedSeries>| HeadPart {
        index: MemIndex::build(series),
        chunks: Arc::clone(&chunks),
        range,
    };
    let ooo = (!ooo.is_empty()).then(|| part(ooo));
    Ok(Head {
        dir,
        in_order: part(in_order),
        ooo,
        stats,
        warnings: r.warnings,
    })
}

/// The out-of-order samples of a series as Prometheus's out-of-order head serves them: its
/// chunks (m-mapped ones in the order they were cut, then the open one) sorted by min
/// time and then that order, merged by Go's `chainSampleIterator` (which also decides
/// which of two samples with one timestamp is kept); stored as chunks of at most 120.
/// A m-mapped chunk that does not decode is an error naming its file and offset.
fn ooo_chunks(
    chunks: &mut HeadChunks,
    disk: &[files::MmappedChunk],
    done: Vec<Vec<(i64, f64)>>,
    open: Option<Vec<(i64, f64)>>,
    stats: &mut HeadStats,
) -> Result<Vec<ChunkMeta>> {
    let mut lists: Vec<Vec<(i64, f64)>> = Vec::new();
    for c in disk {
        let chunk = chunks.files.chunk(c.chunk_ref)?;
        let it = XorIter::new(chunk.data).map_err(|e| chunks.files.data_error(c.chunk_ref, e))?;
        let samples = it
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| chunks.files.data_error(c.chunk_ref, e))?;
        lists.push(samples);
    }
    lists.extend(done.into_iter().chain(open).filter(|c| !c.is_empty()));
    // metaByMinTimeAndMinRef: min time, then the chunk's position (its head chunk id).
    let mut order: Vec<usize> = (0..lists.len()).collect();
    order.sort_by_key(|&i| {
        (
            lists
                .get(i)
                .and_then(|l| l.first())
                .map_or(i64::MAX, |s| s.0),
            i,
        )
    });
    let sorted: Vec<&[(i64, f64)]> = order
        .iter()
        .filter_map(|&i| lists.get(i).map(Vec::as_slice))
        .collect();
    let samples = chain(&sorted);
    stats.ooo_samples += samples.len() as u64;
    let mut metas = Vec::new();
    for part in samples.chunks(120) {
        let (Some(first), Some(last)) = (part.first(), part.last()) else {
            continue;
        };
        let mut app = XorAppender::new();
        for &(t, v) in part {
            app.append(t, v);
        }
        metas.push(ChunkMeta {
            min_time: first.0,
            max_time: last.0,
            chunk_ref: chunks.push(Encoding::Xor, app.finish()),
        });
    }
    Ok(metas)
}

/// Go's `chainSampleIterator` over in-memory sample lists: every timestamp once, the
/// sample kept being the one Go's heap order reaches first.
fn chain(lists: &[&[(i64, f64)]]) -> Vec<(i64, f64)> {
    use crate::goheap::{heap_pop, heap_push};
    let mut out = Vec::new();
    if lists.is_empty() {
        return out;
    }
    // pos[i]: index of list i's current sample + 1 (0 before the first).
    let mut pos = vec![0usize; lists.len()];
    let at = |pos: &[usize], i: usize| -> i64 {
        lists
            .get(i)
            .and_then(|l| l.get(pos.get(i).copied().unwrap_or(0).wrapping_sub(1)))
            .map_or(i64::MAX, |s| s.0)
    };
    let advance = |pos: &mut [usize], i: usize| -> bool {
        let len = lists.get(i).map_or(0, |l| l.len());
        match pos.get_mut(i) {
            Some(p) if *p < len => {
                *p += 1;
                true
            }
            _ => false,
        }
    };
    let mut heap: Vec<usize> = Vec::new();
    for i in 1..lists.len() {
        if advance(&mut pos, i) {
            let p = &pos;
            heap_push(&mut heap, i, |a, b| at(p, *a) < at(p, *b));
        }
    }
    let mut curr = 0usize;
    let mut last_t = i64::MIN;
    loop {
        let t = loop {
            if advance(&mut pos, curr) {
                let t = at(&pos, curr);
                if t == last_t {
                    continue;
                }
                let Some(&top) = heap.first() else {
                    break Some(t);
                };
                if t < at(&pos, top) {
                    break Some(t);
                }
                let p = &pos;
                heap_push(&mut heap, curr, |a, b| at(p, *a) < at(p, *b));
            } else if heap.is_empty() {
                break None;
            }
            let p = &pos;
            let Some(c) = heap_pop(&mut heap, |a, b| at(p, *a) < at(p, *b)) else {
                break None;
            };
            curr = c;
            // Go seeks the popped iterator to its own current time: it stays put.
            let t = at(&pos, curr);
            if t != last_t {
                break Some(t);
            }
        };
        let Some(t) = t else {
            return out;
        };
        last_t = t;
        let v = lists
            .get(curr)
            .and_then(|l| l.get(pos.get(curr).copied().unwrap_or(0).wrapping_sub(1)))
            .map_or(0.0, |s| s.1);
        out.push((t, v));
    }
}
