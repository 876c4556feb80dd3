//! Writing the block's files: chunk segments, index, tombstones and `meta.json`, each
//! fsynced, into a temporary directory renamed into place only when all of it is durable.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::series::MemSeries;
use super::{BlockWriter, WriteError};
use crate::chunkenc::{Encoding, Flavor};
use crate::chunks::SegmentWriter;
use crate::index::{ChunkMeta, IndexWriter};
use crate::labels::Label;
use crate::labelset::Labels;
use crate::meta::{BlockCompaction, BlockMeta, BlockStats, META_VERSION};
use crate::tombstones::Tombstones;
use crate::ulid::Ulid;

impl BlockWriter {
    /// Writes the block into `parent`: `<ULID>.tmp-for-creation/`, fsynced, renamed to
    /// `<ULID>/`. Returns its meta, or `None` (writing nothing) when no sample was
    /// appended. On error nothing is left behind.
    pub fn write(self, parent: &Path) -> Result<Option<BlockMeta>, WriteError> {
        if self.series.is_empty() {
            return Ok(None);
        }
        let ulid = self.opts.ulid.unwrap_or_default();
        let tmp = parent.join(format!("{ulid}.tmp-for-creation"));
        let dst = parent.join(ulid.to_string());
        // Not create_dir_all: the parent must exist, and an existing directory (someone
        // else's) is an error and is left alone.
        std::fs::create_dir(&tmp).map_err(|e| io_err(&tmp, e))?;
        let result = self.write_into(&tmp, ulid).and_then(|meta| {
            std::fs::rename(&tmp, &dst).map_err(|e| io_err(&dst, e))?;
            if let Err(e) = sync_dir(parent) {
                // The rename may not be durable: take the block back out.
                let _ = std::fs::remove_dir_all(&dst);
                return Err(e);
            }
            Ok(meta)
        });
        match result {
            Ok(meta) => Ok(Some(meta)),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    fn write_into(self, dir: &Path, ulid: Ulid) -> Result<BlockMeta, WriteError> {
        let chunks_dir = dir.join("chunks");
        std::fs::create_dir(&chunks_dir).map_err(|e| io_err(&chunks_dir, e))?;

        let mut series: Vec<(Labels, MemSeries)> = self.series.into_sorted();
        // Values sorted and deduplicated in a vector (a tree of a million symbols costs
        // more), the few names in a set.
        let mut names: BTreeSet<&[u8]> = BTreeSet::new();
        let mut symbols: Vec<&[u8]> = vec![b""];
        for (labels, _) in &series {
            for l in labels {
                names.insert(l.name);
                symbols.push(l.value);
            }
        }
        symbols.extend(names);
        symbols.sort_unstable();
        symbols.dedup();

        let index_path = dir.join("index");
        let index_file = File::create(&index_path).map_err(|e| io_err(&index_path, e))?;
        let ix = |e| WriteError::Index {
            path: index_path.clone(),
            source: e,
        };
        let mut index = IndexWriter::new(BufWriter::with_capacity(1 << 16, index_file))
            .map_err(|e| io_err(&index_path, e))?;
        index.add_symbols(symbols.iter().copied()).map_err(ix)?;
        // The index keeps its own copy; every label of every series becomes one postings
        // entry, known now.
        drop(symbols);
        index.reserve_postings(series.iter().map(|(l, _)| l.len()).sum());

        let mut segments = SegmentWriter::new(&chunks_dir, self.opts.segment_size);
        let mut refs = Vec::new();
        let mut metas = Vec::new();
        let mut ids: HashMap<&Labels, u64> = HashMap::new();
        let (mut num_samples, mut num_chunks) = (0u64, 0u64);
        let (mut num_float_samples, mut num_histogram_samples) = (0u64, 0u64);
        for (labels, s) in &mut series {
            if let Some(h) = s.head.take() {
                s.done.push(h.done());
            }
            let encoded: Vec<(Encoding, &[u8])> = s
                .done
                .iter()
                .map(|c| (c.encoding, c.data.as_slice()))
                .collect();
            refs.clear();
            segments
                .write_series(&encoded, &mut refs)
                .map_err(|e| io_err(&chunks_dir, e))?;
            metas.clear();
            metas.extend(s.done.iter().zip(&refs).map(|(c, r)| ChunkMeta {
                min_time: c.min_time,
                max_time: c.max_time,
                chunk_ref: *r,
            }));
            let borrowed: Vec<Label<'_>> = labels.iter().collect();
            let id = index.add_series(&borrowed, &metas).map_err(ix)?;
            // Only deletions look series up by labels.
            if !self.deletions.is_empty() {
                ids.insert(labels, id);
            }
            for c in &s.done {
                let n = u64::from(c.num_samples);
                num_samples += n;
                match c.encoding {
                    Encoding::Xor => num_float_samples += n,
                    _ => num_histogram_samples += n,
                }
            }
            num_chunks += s.done.len() as u64;
            // The encoded chunks are on disk now.
            s.done = Vec::new();
        }
        segments.finish().map_err(|e| io_err(&chunks_dir, e))?;
        let out = index.finish().map_err(ix)?;
        let file = out
            .into_inner()
            .map_err(|e| io_err(&index_path, e.into_error()))?;
        file.sync_all().map_err(|e| io_err(&index_path, e))?;

        let mut tombstones = Tombstones::default();
        for (labels, iv) in &self.deletions {
            if let Some(id) = ids.get(labels) {
                tombstones.add(*id, *iv);
            }
        }
        write_synced(&dir.join("tombstones"), &tombstones.encode())?;

        // Prometheus 2.x does not write the per-type counts (3.6+ does).
        if self.opts.flavor == Flavor::Prometheus2 {
            (num_float_samples, num_histogram_samples) = (0, 0);
        }
        let meta = BlockMeta {
            ulid: ulid.to_string(),
            min_time: self.min_time,
            max_time: self.max_time.saturating_add(1),
            stats: BlockStats {
                num_samples,
                num_float_samples,
                num_histogram_samples,
                num_series: series.len() as u64,
                num_chunks,
                num_tombstones: tombstones.num_stones(),
            },
            compaction: BlockCompaction {
                level: 1,
                sources: vec![ulid.to_string()],
                ..BlockCompaction::default()
            },
            version: META_VERSION,
        };
        write_synced(&dir.join("meta.json"), &meta.to_json())?;
        sync_dir(&chunks_dir)?;
        sync_dir(dir)?;
        Ok(meta)
    }
}

fn io_err(path: &Path, source: io::Error) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_synced(path: &Path, data: &[u8]) -> Result<(), WriteError> {
    let mut f = File::create(path).map_err(|e| io_err(path, e))?;
    f.write_all(data).map_err(|e| io_err(path, e))?;
    f.sync_all().map_err(|e| io_err(path, e))
}

fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))
}
