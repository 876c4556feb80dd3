//! Rebuilding the head from its files, as Prometheus's `Head.Init` does for a read-only
//! open (promtool's `OpenDBReadOnly`), without writing anything.
//!
//! The order and rules follow `tsdb/head.go` and `tsdb/head_wal.go` of Prometheus 2.42:
//!
//! 1. m-mapped chunks from `chunks_head/` are collected per WAL series reference; in-order
//!    chunks ending before the minimum valid time (the newest block's max time) are
//!    skipped. A corrupt file makes Prometheus delete it and every later file, and a chunk
//!    overlapping the previous one of its series makes it delete them all; here those
//!    files are ignored instead, with a warning.
//! 2. The last checkpoint, then the WAL segments after it. A series record creates a
//!    series (or finds one with the same labels, mapping the new reference to it) and
//!    attaches the m-mapped chunks of its reference, dropping anything replayed into the
//!    series before (a series with other labels that held those chunks loses them).
//!    Samples before the minimum valid time, at or before the series' last m-mapped
//!    chunk, or not after its last sample are dropped, as the head drops them; the rest
//!    are cut into chunks by the head's rules (the writer's [`MemSeries`]).
//!    Tombstones apply to known series and intervals ending at or after the minimum valid
//!    time. Exemplars and metadata are counted, not kept.
//! 3. The WBL's out-of-order samples go into out-of-order head chunks of 32 samples; an
//!    m-map marker drops a series' open one (its samples are in `chunks_head/`).
//! 4. Series without data are dropped (Prometheus's garbage collection after replay).
//!
//! Prometheus does this with one goroutine per core; the result does not depend on it,
//! because every series' records are applied in log order. This replay is sequential.

mod before_wal;

use std::collections::HashMap;
use std::sync::Arc;

use std::path::Path;

use super::files::{HeadChunkFiles, MmappedChunk};
use super::snapshot;
use super::{HeadStats, HeadWarning};
use crate::error::{Error, Result};
use crate::histogram::Histogram;
use crate::labels::Label;
use crate::labelset::Labels;
use crate::record::{self, RecordCount, RecordType, RefHistogram, RefSample};
use crate::source::ReadMode;
use crate::tombstones::Interval;
use crate::wlog::{self, Segment};
use crate::writer::cut::CutPolicy;
use crate::writer::series::{DoneChunk, HistogramKind, MemSeries};
use crate::writer::Flavor;

/// Out-of-order head chunks hold this many samples (`OutOfOrderCapMax` default).
const OOO_CAP: usize = 32;

/// What the replay keeps of a series.
#[derive(Debug)]
pub(crate) struct ReplaySeries {
    pub(crate) labels: Labels,
    /// The WAL reference the series was created with.
    wal_ref: u64,
    /// In-order m-mapped chunks.
    pub(crate) disk: Arc<[MmappedChunk]>,
    /// Out-of-order m-mapped chunks.
    pub(crate) ooo_disk: Arc<[MmappedChunk]>,
    /// Out-of-order head chunks cut during the replay, and the open one.
    pub(crate) ooo_done: Vec<Vec<(i64, f64)>>,
    pub(crate) ooo_open: Option<Vec<(i64, f64)>>,
    /// The open head chunk a snapshot kept, until the m-mapped chunks are known.
    snap_chunk: Option<DoneChunk>,
}

/// Everything the replay produced.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    pub(crate) files: HeadChunkFiles,
    pub(crate) series: Vec<ReplaySeries>,
    /// Per series (same positions): the chunks built from the WAL, finished and open.
    pub(crate) mem: Vec<MemSeries>,
    pub(crate) tombstones: Vec<(usize, Interval)>,
    pub(crate) stats: HeadStats,
    pub(crate) warnings: Vec<HeadWarning>,
}

/// Which log a segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Log {
    Checkpoint,
    Wal,
    Wbl,
}

struct Replay {
    min_valid: i64,
    policy: CutPolicy,
    mode: ReadMode,
    files: HeadChunkFiles,
    mmapped: HashMap<u64, Arc<[MmappedChunk]>>,
    ooo_mmapped: HashMap<u64, Arc<[MmappedChunk]>>,
    /// The series holding a reference's m-mapped chunks: the last one a series record of
    /// that reference reset.
    mmapped_holder: HashMap<u64, usize>,
    last_mmap_ref: u64,
    series: Vec<ReplaySeries>,
    /// The series' append state, apart from the rest: a scrape touches every series, so
    /// the state it touches is kept small and together.
    hot: Vec<MemSeries>,
    by_ref: RefMap,
    by_labels: HashMap<Labels, usize>,
    multi_ref: HashMap<u64, u64>,
    tombstones: Vec<(usize, Interval)>,
    stats: HeadStats,
    warnings: Vec<HeadWarning>,
    samples: Vec<RefSample>,
    histograms: Vec<RefHistogram<u64>>,
    float_histograms: Vec<RefHistogram<f64>>,
}

/// Replays the head of the data directory `dir`. `min_valid` is the newest block's max
/// time (`i64::MIN` without blocks); `chunk_range` the head's chunk range; with
/// `use_snapshot`, the newest `chunk_snapshot.N.M/` stands in for the WAL up to segment
/// N, offset M.
pub(crate) fn replay(
    dir: &Path,
    min_valid: i64,
    chunk_range: i64,
    mode: ReadMode,
    use_snapshot: bool,
) -> Result<Replayed> {
    let mut r = Replay {
        min_valid,
        policy: CutPolicy::new(Flavor::Prometheus2, chunk_range, 120),
        mode,
        files: HeadChunkFiles::open(&dir.join("chunks_head"), mode)?,
        mmapped: HashMap::new(),
        ooo_mmapped: HashMap::new(),
        mmapped_holder: HashMap::new(),
        last_mmap_ref: 0,
        series: Vec::new(),
        hot: Vec::new(),
        by_ref: RefMap::default(),
        by_labels: HashMap::new(),
        multi_ref: HashMap::new(),
        tombstones: Vec::new(),
        stats: HeadStats::default(),
        warnings: Vec::new(),
        samples: Vec::new(),
        histograms: Vec::new(),
        float_histograms: Vec::new(),
    };
    // Prometheus's Head.Init: the snapshot (if enabled), the m-mapped chunks, the last
    // checkpoint unless the snapshot is newer, then the segments from where both leave off.
    let mut snap: Option<(u32, u64)> = None;
    if use_snapshot {
        if let Some((path, seg, off)) = snapshot::last_snapshot(dir)? {
            match r.load_snapshot(&path) {
                Ok(()) => snap = Some((seg, off)),
                Err(error) => {
                    r.warnings
                        .push(HeadWarning::SnapshotIgnored { path, error });
                    r.reset();
                }
            }
        }
    }
    if !r.load_mmapped_chunks(snap.is_some()) {
        // Corrupt head chunks: Prometheus drops the snapshot and replays the whole WAL.
        snap = None;
    }
    r.stats.snapshot = snap;
    let wal = dir.join("wal");
    let checkpoint = wlog::last_checkpoint(&wal)?;
    let mut start = 0u32;
    if let Some((cp, n)) = &checkpoint {
        if snap.is_none_or(|(seg, _)| *n >= seg) {
            let segs = wlog::segments(cp)?;
            for s in segs {
                r.replay_segment(s, Log::Checkpoint, false, 0)?;
            }
            r.stats.checkpoint = Some(*n);
            start = n.saturating_add(1);
        }
    }
    if let Some((seg, _)) = snap {
        start = start.max(seg);
    }
    let segs: Vec<_> = wlog::segments(&wal)?
        .into_iter()
        .filter(|s| s.index >= start)
        .collect();
    if let Some(first) = segs.first() {
        if first.index > start {
            return Err(Error::NotFound {
                path: wal.join(format!("{start:08}")),
                what: "missing WAL segment (replay starts there)",
            });
        }
    }
    let n = segs.len();
    for (i, s) in segs.into_iter().enumerate() {
        let from = match snap {
            Some((seg, off)) if seg == s.index => usize::try_from(off).unwrap_or(usize::MAX),
            _ => 0,
        };
        r.replay_segment(s, Log::Wal, i + 1 == n, from)?;
    }
    let wbl = dir.join("wbl");
    if wbl.is_dir() {
        let segs = wlog::segments(&wbl)?;
        let n = segs.len();
        for (i, s) in segs.into_iter().enumerate() {
            r.replay_segment(s, Log::Wbl, i + 1 == n, 0)?;
        }
    }
    if r.stats.invalid_histograms > 0 {
        r.warnings.push(HeadWarning::InvalidHistograms {
            count: r.stats.invalid_histograms,
        });
    }
    Ok(Replayed {
        files: r.files,
        series: r.series,
        mem: r.hot,
        tombstones: r.tombstones,
        stats: r.stats,
        warnings: r.warnings,
    })
}

impl Replay {
    fn replay_segment(
        &mut self,
        file: wlog::SegmentFile,
        log: Log,
        last: bool,
        from: usize,
    ) -> Result<()> {
        let seg = Segment::open(file, self.mode)?;
        let path = seg.file.path.clone();
        match log {
            Log::Wbl => self.stats.wbl_segments += 1,
            _ => self.stats.wal_segments += 1,
        }
        let mut reader = wlog::RecordReader::with_offset(&seg.data, from);
        loop {
            let rec = match reader.next_record() {
                Ok(Some(rec)) => rec,
                Ok(None) => break,
                Err(e) => return Err(Error::format(&path, e)),
            };
            self.stats.records += 1;
            let at = rec.offset;
            let wrap = |e| Error::Record {
                path: path.clone(),
                offset: at,
                source: e,
            };
            if rec.data.is_empty() {
                // Prometheus's record decoder calls an empty record unknown, and skips it.
                self.stats.unknown_records += 1;
                continue;
            }
            let typ = match RecordType::of(rec.data) {
                Ok(t) => t,
                Err(e) if matches!(e.kind, crate::error::FormatErrorKind::UnknownRecordType(_)) => {
                    // Prometheus's replay skips record types it does not know.
                    self.stats.unknown_records += 1;
                    continue;
                }
                Err(e) => return Err(wrap(e)),
            };
            if log == Log::Wbl {
                match typ {
                    RecordType::Samples => {
                        let mut samples = std::mem::take(&mut self.samples);
                        samples.clear();
                        record::samples_into(rec.data, &mut samples).map_err(wrap)?;
                        self.ooo_samples(&samples);
                        self.samples = samples;
                    }
                    RecordType::MmapMarkers => {
                        let markers = record::mmap_markers(rec.data).map_err(wrap)?;
                        self.mmap_markers(&markers);
                    }
                    _ => {}
                }
                continue;
            }
            match typ {
                RecordType::Series => {
                    for s in record::series(rec.data).map_err(wrap)? {
                        let _ = self.series_record(s.series_ref, &s.labels);
                    }
                }
                RecordType::Samples => {
                    let mut samples = std::mem::take(&mut self.samples);
                    samples.clear();
                    record::samples_into(rec.data, &mut samples).map_err(wrap)?;
                    for s in &samples {
                        self.float_sample(s);
                    }
                    self.samples = samples;
                }
                RecordType::Tombstones => {
                    for s in record::tombstones(rec.data).map_err(wrap)? {
                        if s.interval.max < self.min_valid {
                            continue;
                        }
                        match self.by_ref.get(s.series_ref) {
                            Some(i) => self.tombstones.push((i, s.interval)),
                            None => self.stats.unknown_refs += 1,
                        }
                    }
                }
                RecordType::Exemplars => {
                    self.stats.exemplars += record::exemplars(rec.data).map_err(wrap)?.len() as u64;
                }
                RecordType::Metadata => {
                    record::metadata(rec.data).map_err(wrap)?;
                }
                RecordType::MmapMarkers => {}
                RecordType::HistogramSamples | RecordType::CustomBucketsHistogramSamples => {
                    let mut hs = std::mem::take(&mut self.histograms);
                    hs.clear();
                    record::histograms_into(rec.data, &mut hs).map_err(wrap)?;
                    for h in &hs {
                        self.histogram_sample::<crate::chunkenc::HistogramAppender, u64>(h);
                    }
                    self.histograms = hs;
                }
                RecordType::FloatHistogramSamples
                | RecordType::CustomBucketsFloatHistogramSamples => {
                    let mut hs = std::mem::take(&mut self.float_histograms);
                    hs.clear();
                    record::histograms_into(rec.data, &mut hs).map_err(wrap)?;
                    for h in &hs {
                        self.histogram_sample::<crate::chunkenc::FloatHistogramAppender, f64>(h);
                    }
                    self.float_histograms = hs;
                }
            }
        }
        if let Some(torn) = reader.torn() {
            // A live log's last segment may end inside a record the server is still
            // writing; anywhere else that is corruption.
            if !last || log == Log::Checkpoint {
                return Err(Error::format(
                    &path,
                    crate::error::FormatError::new(
                        crate::error::Section::WalFragment,
                        torn.offset,
                        crate::error::FormatErrorKind::Invalid(
                            "record is torn, and this is not the last segment",
                        ),
                    ),
                ));
            }
            self.warnings.push(HeadWarning::TornRecord {
                path,
                offset: torn.offset,
                bytes: torn.bytes,
            });
        }
        Ok(())
    }

    /// A series record: finds or creates the series and resets it to the m-mapped chunks
    /// of `wal_ref`. Returns the series' index.
    fn series_record(&mut self, wal_ref: u64, labels: &[Label<'_>]) -> usize {
        let labels = if labels
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.name <= b.name))
        {
            Labels::from(labels)
        } else {
            let mut sorted = labels.to_vec();
            sorted.sort_by(|a, b| a.name.cmp(b.name));
            Labels::from(&sorted[..])
        };
        let idx = match self.by_labels.get(&labels) {
            Some(&i) => {
                if let Some(first) = self.series.get(i).map(|s| s.wal_ref) {
                    if first != wal_ref {
                        self.multi_ref.insert(wal_ref, first);
                    }
                }
                i
            }
            None => {
                let i = self.series.len();
                self.series.push(ReplaySeries {
                    labels: labels.clone(),
                    wal_ref,
                    disk: Arc::from([]),
                    ooo_disk: Arc::from([]),
                    ooo_done: Vec::new(),
                    ooo_open: None,
                    snap_chunk: None,
                });
                self.hot.push(MemSeries::new());
                self.by_labels.insert(labels, i);
                self.by_ref.insert(wal_ref, i);
                i
            }
        };
        // resetSeriesWithMMappedChunks: the chunks of this reference replace whatever the
        // series held; the open chunk is dropped.
        let disk = self
            .mmapped
            .get(&wal_ref)
            .cloned()
            .unwrap_or_else(|| Arc::from([]));
        let ooo = self
            .ooo_mmapped
            .get(&wal_ref)
            .cloned()
            .unwrap_or_else(|| Arc::from([]));
        // Prometheus gives the chunks to every series a record of `wal_ref` names, and
        // serves the reference through the last series created with it. Here series that share a
        // reference are all kept, so the chunks move to the last series reset with them:
        // otherwise tiny series records repeating a reference would each copy (and decode)
        // its whole list.
        if !disk.is_empty() || !ooo.is_empty() {
            if let Some(prev) = self.mmapped_holder.insert(wal_ref, idx) {
                if let Some(p) = self.series.get_mut(prev).filter(|_| prev != idx) {
                    if Arc::ptr_eq(&p.disk, &disk) {
                        p.disk = Arc::from([]);
                    }
                    if Arc::ptr_eq(&p.ooo_disk, &ooo) {
                        p.ooo_disk = Arc::from([]);
                    }
                }
            }
        }
        if let (Some(s), Some(hot)) = (self.series.get_mut(idx), self.hot.get_mut(idx)) {
            let mut mem = MemSeries::new();
            if let Some(last) = disk.last() {
                mem.floor = last.max_time;
            }
            *hot = mem;
            s.disk = disk;
            s.ooo_disk = ooo;
            s.ooo_done.clear();
            s.ooo_open = None;
        }
        idx
    }

    #[inline]
    fn lookup(&self, wal_ref: u64) -> Option<usize> {
        let r = if self.multi_ref.is_empty() {
            wal_ref
        } else {
            self.multi_ref.get(&wal_ref).copied().unwrap_or(wal_ref)
        };
        self.by_ref.get(r)
    }

    fn float_sample(&mut self, s: &RefSample) {
        if s.t < self.min_valid {
            self.stats.dropped_samples += 1;
            return;
        }
        let Some(i) = self.lookup(s.series_ref) else {
            self.stats.unknown_refs += 1;
            return;
        };
        let Some(mem) = self.hot.get_mut(i) else {
            return;
        };
        if s.t <= mem.floor && mem.floor != i64::MIN {
            self.stats.dropped_samples += 1;
            return;
        }
        match mem.append_float(&self.policy, Flavor::Prometheus2, s.t, s.v) {
            Ok(true) => self.stats.wal_samples += 1,
            _ => self.stats.dropped_samples += 1,
        }
    }

    fn histogram_sample<K, C>(&mut self, h: &RefHistogram<C>)
    where
        K: HistogramKind<Count = C>,
        C: RecordCount,
    {
        if h.t < self.min_valid {
            self.stats.dropped_samples += 1;
            return;
        }
        let Some(i) = self.lookup(h.series_ref) else {
            self.stats.unknown_refs += 1;
            return;
        };
        let Some(mem) = self.hot.get_mut(i) else {
            return;
        };
        if h.t <= mem.floor && mem.floor != i64::MIN {
            self.stats.dropped_samples += 1;
            return;
        }
        let hist: &Histogram<C> = &h.h;
        // Custom-bucket histograms exist from Prometheus 3.2 on, and only its chunk layout
        // holds their bounds.
        let flavor = if hist.schema == crate::histogram::CUSTOM_BUCKETS_SCHEMA {
            Flavor::Prometheus3
        } else {
            Flavor::Prometheus2
        };
        match mem.append_histogram::<K>(&self.policy, flavor, h.t, hist) {
            Ok(true) => self.stats.wal_samples += 1,
            Err(crate::writer::AppendError::InvalidHistogram(_)) => {
                self.stats.invalid_histograms += 1
            }
            _ => self.stats.dropped_samples += 1,
        }
    }

    fn ooo_samples(&mut self, samples: &[RefSample]) {
        for s in samples {
            let Some(i) = self.lookup(s.series_ref) else {
                self.stats.unknown_refs += 1;
                continue;
            };
            let Some(series) = self.series.get_mut(i) else {
                continue;
            };
            // memSeries.insert: a full (or missing) open chunk is cut first.
            if series.ooo_open.as_ref().is_none_or(|c| c.len() == OOO_CAP) {
                if let Some(full) = series.ooo_open.take() {
                    series.ooo_done.push(full);
                }
                series.ooo_open = Some(Vec::with_capacity(OOO_CAP));
            }
            if let Some(open) = series.ooo_open.as_mut() {
                match open.binary_search_by_key(&s.t, |&(t, _)| t) {
                    Ok(_) => self.stats.dropped_samples += 1,
                    Err(pos) => {
                        open.insert(pos, (s.t, s.v));
                        self.stats.wbl_samples += 1;
                    }
                }
            }
        }
    }

    fn mmap_markers(&mut self, markers: &[record::RefMmapMarker]) {
        for m in markers {
            // A marker for a chunk past the last one loaded: that chunk is not on disk.
            if m.chunk_ref > self.last_mmap_ref {
                continue;
            }
            match self.lookup(m.series_ref) {
                Some(i) => {
                    if let Some(s) = self.series.get_mut(i) {
                        s.ooo_open = None;
                    }
                }
                None => self.stats.unknown_refs += 1,
            }
        }
    }
}

/// WAL series references to series: a vector for the dense references Prometheus hands
/// out (1, 2, 3…), a map for the rest. The vector grows only with the series records
/// read, so a hostile reference cannot size it.
#[derive(Debug, Default)]
struct RefMap {
    dense: Vec<u32>,
    sparse: HashMap<u64, usize>,
    inserted: u64,
}

impl RefMap {
    const NONE: u32 = u32::MAX;

    fn insert(&mut self, r: u64, i: usize) {
        self.inserted += 1;
        // At most four slots per reference inserted (plus a start): bounded by the data.
        let limit = self.inserted.saturating_mul(4).saturating_add(1 << 16);
        match (usize::try_from(r), u32::try_from(i)) {
            (Ok(ri), Ok(iv)) if r < limit && iv != Self::NONE => {
                if ri >= self.dense.len() {
                    self.dense.resize(ri + 1, Self::NONE);
                }
                if let Some(slot) = self.dense.get_mut(ri) {
                    *slot = iv;
                }
            }
            _ => {
                self.sparse.insert(r, i);
            }
        }
    }

    #[inline]
    fn get(&self, r: u64) -> Option<usize> {
        match usize::try_from(r).ok().and_then(|ri| self.dense.get(ri)) {
            Some(&v) if v != Self::NONE => Some(v as usize),
            _ => self.sparse.get(&r).copied(),
        }
    }
}
