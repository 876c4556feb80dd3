//! What Prometheus's `Head.Init` loads before the WAL: the chunk snapshot's series, and
//! the m-mapped chunks of `chunks_head/` (with what it does when they are damaged).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use byteorder::{BigEndian, ByteOrder};

use super::{RefMap, Replay};
use crate::error::{Error, Result};
use crate::head::files::MmappedChunk;
use crate::head::snapshot::{self, SnapshotRecord};
use crate::head::HeadWarning;
use crate::wlog::{self, Segment};
use crate::writer::series::DoneChunk;

/// Why the m-mapped chunks could not all be used.
enum MmapProblem {
    Corrupt(u32, Error),
    OutOfSequence { series_ref: u64, chunk_ref: u64 },
}

impl Replay {
    /// Collects the m-mapped chunks (Prometheus's `loadMmappedChunks`, and what it keeps
    /// after `removeCorruptedMmappedChunks`); those of series the snapshot created are
    /// attached to them. Returns false if the files were damaged, which discards the
    /// snapshot's series too.
    pub(super) fn load_mmapped_chunks(&mut self, snapshot: bool) -> bool {
        match self.collect_mmapped() {
            Ok(()) => {
                if snapshot {
                    self.attach_snapshot_chunks();
                }
                true
            }
            Err(problem) => {
                self.reset();
                self.handle_mmap_problem(problem);
                false
            }
        }
    }

    /// Gives the snapshot's series their m-mapped chunks; a head chunk the snapshot kept
    /// that was m-mapped afterwards is dropped (its samples are in the m-mapped chunk).
    fn attach_snapshot_chunks(&mut self) {
        for s in &mut self.series {
            let r = s.wal_ref;
            if let Some(list) = self.mmapped.remove(&r) {
                if let Some(last) = list.last() {
                    if s.snap_chunk
                        .as_ref()
                        .is_some_and(|c| last.max_time >= c.min_time)
                    {
                        s.snap_chunk = None;
                    }
                }
                s.disk = list;
            }
            if let Some(list) = self.ooo_mmapped.remove(&r) {
                s.ooo_disk = list;
            }
        }
        for (s, mem) in self.series.iter_mut().zip(self.hot.iter_mut()) {
            if let Some(last) = s.disk.last() {
                mem.floor = last.max_time;
            }
            if let Some(c) = s.snap_chunk.take() {
                mem.done.push(c);
            }
        }
    }

    /// Forgets every series (Prometheus's `resetInMemoryState`).
    pub(super) fn reset(&mut self) {
        self.series.clear();
        self.hot.clear();
        self.by_ref = RefMap::default();
        self.by_labels.clear();
        self.multi_ref.clear();
        self.mmapped_holder.clear();
        self.tombstones.clear();
    }

    fn handle_mmap_problem(&mut self, problem: MmapProblem) {
        match problem {
            MmapProblem::Corrupt(seq, error) => {
                let dropped: Vec<_> = self
                    .files
                    .paths()
                    .skip_while(|p| !p.ends_with(format!("{seq:06}")))
                    .map(Path::to_path_buf)
                    .collect();
                self.warnings
                    .push(HeadWarning::CorruptHeadChunks { error, dropped });
                self.files.keep_before(seq);
                if self.collect_mmapped().is_err() {
                    self.drop_all_mmapped();
                }
            }
            MmapProblem::OutOfSequence {
                series_ref,
                chunk_ref,
            } => {
                self.warnings.push(HeadWarning::OutOfSequenceHeadChunk {
                    series_ref,
                    chunk_ref,
                    dropped: self.files.paths().map(Path::to_path_buf).collect(),
                });
                self.drop_all_mmapped();
            }
        }
    }

    /// Creates the snapshot's series with their open head chunks and tombstones.
    pub(super) fn load_snapshot(&mut self, dir: &Path) -> Result<()> {
        let mut tombs = Vec::new();
        for file in wlog::segments(dir)? {
            let seg = Segment::open(file, self.mode)?;
            let path = seg.file.path.clone();
            let mut reader = seg.records();
            while let Some(rec) = reader.next_record().map_err(|e| Error::format(&path, e))? {
                let at = rec.offset;
                let decoded = snapshot::decode(rec.data).map_err(|e| Error::Record {
                    path: path.clone(),
                    offset: at,
                    source: e,
                })?;
                match decoded {
                    SnapshotRecord::Series {
                        series_ref,
                        labels,
                        chunk,
                    } => {
                        let i = self.series_record(series_ref, &labels);
                        if let (Some(c), Some(s)) = (chunk, self.series.get_mut(i)) {
                            let num_samples = c.data.get(..2).map_or(0, BigEndian::read_u16);
                            s.snap_chunk = Some(DoneChunk {
                                encoding: c.encoding,
                                min_time: c.min_time,
                                max_time: c.max_time,
                                num_samples,
                                data: c.data.to_vec(),
                            });
                        }
                    }
                    SnapshotRecord::Tombstones(t) => tombs.extend(t),
                    _ => {}
                }
            }
            if let Some(torn) = reader.torn() {
                return Err(Error::format(
                    &path,
                    crate::error::FormatError::new(
                        crate::error::Section::WalFragment,
                        torn.offset,
                        crate::error::FormatErrorKind::Invalid("last record is torn"),
                    ),
                ));
            }
        }
        for (r, iv) in tombs {
            if let Some(i) = self.by_ref.get(r) {
                self.tombstones.push((i, iv));
            }
        }
        Ok(())
    }

    fn drop_all_mmapped(&mut self) {
        self.files.clear();
        self.mmapped.clear();
        self.ooo_mmapped.clear();
        self.last_mmap_ref = 0;
    }

    fn collect_mmapped(&mut self) -> std::result::Result<(), MmapProblem> {
        self.mmapped.clear();
        self.ooo_mmapped.clear();
        let min_valid = self.min_valid;
        let mut last = 0u64;
        let mut problem = None;
        let mut mm: HashMap<u64, Vec<MmappedChunk>> = HashMap::new();
        let mut ooo: HashMap<u64, Vec<MmappedChunk>> = HashMap::new();
        let walked = self.files.for_each(|c| {
            // Prometheus stops at the first problem.
            if problem.is_some() {
                return;
            }
            if c.ooo {
                last = c.chunk_ref;
                ooo.entry(c.series_ref).or_default().push(c);
                return;
            }
            if c.max_time < min_valid {
                last = c.chunk_ref;
                return;
            }
            let list = mm.entry(c.series_ref).or_default();
            if list.last().is_some_and(|p| p.max_time >= c.min_time) {
                problem = Some(MmapProblem::OutOfSequence {
                    series_ref: c.series_ref,
                    chunk_ref: c.chunk_ref,
                });
                return;
            }
            last = c.chunk_ref;
            list.push(c);
        });
        self.last_mmap_ref = last;
        // Shared, not copied: every series record of a reference gets its list.
        self.mmapped = mm.into_iter().map(|(k, v)| (k, Arc::from(v))).collect();
        self.ooo_mmapped = ooo.into_iter().map(|(k, v)| (k, Arc::from(v))).collect();
        if let Some(p) = problem {
            return Err(p);
        }
        walked.map_err(|c| MmapProblem::Corrupt(c.seq, c.error))
    }
}
