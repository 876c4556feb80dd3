//! A block directory: `meta.json`, `index`, `chunks/`, `tombstones`.

use std::path::{Path, PathBuf};

use crate::chunkenc::Chunk;
use crate::chunks;
use crate::error::{Error, FormatError, Result};
use crate::index::{ChunkMeta, Index};
use crate::labels::Label;
use crate::meta::BlockMeta;
use crate::postings::{union, BoxPostings, PostingsIter};
use crate::refs::{ChunkRef, SeriesRef};
use crate::source::{FetchStats, ReadAt, ReadMode};
use crate::storage::{BlockReader, ChunkReader, IndexReader, LabelValueIter, Select};
use crate::tombstones::{Intervals, Tombstones};

/// A block's byte source: a memory map, bytes in memory, a range cache, or anything else
/// that implements [`ReadAt`]. Held as a trait object: one virtual call per section read
/// costs nothing next to the parsing, and keeps `Block` one type whatever the source.
pub type DynSource = Box<dyn ReadAt>;

/// A block's files as byte sources, for [`Block::from_files`]: the seam for a block that
/// is not a local directory.
#[derive(Debug)]
pub struct BlockFiles {
    /// `meta.json`'s bytes.
    pub meta_json: Vec<u8>,
    /// The `index` file.
    pub index: DynSource,
    /// The chunk segment files by file name (`000001`, …), in any order: they are taken
    /// in name order, which a chunk reference's segment number counts.
    pub segments: Vec<(String, DynSource)>,
    /// The `tombstones` file; `None` when there is none (no deletions).
    pub tombstones: Option<DynSource>,
}

/// Whether `name` is a chunk segment's file name: a base-10 number (a `u64`, as Go parses
/// it). Directories and buckets list segments alike.
pub(crate) fn is_segment_name(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_digit()) && name.parse::<u64>().is_ok()
}

/// One chunk segment file.
#[derive(Debug)]
struct Segment {
    path: PathBuf,
    data: DynSource,
}

/// The index of a block, with its path for errors: the block's [`IndexReader`].
#[derive(Debug)]
pub struct BlockIndex {
    path: PathBuf,
    index: Index<DynSource>,
}

impl BlockIndex {
    fn error(&self, e: FormatError) -> Error {
        Error::format(&self.path, e)
    }
}

/// The chunk segments of a block: the block's [`ChunkReader`].
#[derive(Debug)]
pub struct BlockChunks {
    dir: PathBuf,
    segments: Vec<Segment>,
}

/// An open, immutable block. Nothing is written, locked or cached on disk.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    meta_json: Vec<u8>,
    index: BlockIndex,
    chunks: BlockChunks,
    tombstones: Tombstones,
    tombstones_size: u64,
}

impl Block {
    /// Opens the block in `dir` with read-only memory maps.
    pub fn open(dir: impl AsRef<Path>) -> Result<Block> {
        Block::open_with(dir, ReadMode::Mmap)
    }

    /// Opens the block in `dir`, mapping, reading or range-reading its files as `mode`
    /// says.
    ///
    /// Checks `meta.json` (version 1), the index header and TOC, every segment header and
    /// the tombstones file. Series, postings and chunks are checked when read.
    pub fn open_with(dir: impl AsRef<Path>, mode: ReadMode) -> Result<Block> {
        Block::open_from(dir, |path| crate::source::open(path, mode))
    }

    /// Opens the block in `dir`, getting each file's bytes (`index`, every `chunks/`
    /// segment, `tombstones`) from `open`: the seam for byte sources other than local
    /// files read whole. `meta.json` and the directory listing come from the file system.
    ///
    /// ```
    /// use tsblock::source::{RangeCache, ReadAt};
    /// use tsblock::{Block, Querier};
    ///
    /// # fn main() -> tsblock::Result<()> {
    /// let dir = std::fs::read_dir("testdata/blocks/values")
    ///     .unwrap()
    ///     .map(|e| e.unwrap().path())
    ///     .find(|p| p.join("meta.json").exists())
    ///     .unwrap();
    /// let block = Block::open_from(&dir, |path| {
    ///     let file = std::fs::File::open(path).map_err(|e| tsblock::Error::io(path, e))?;
    ///     let cache = RangeCache::new(file).map_err(|e| tsblock::Error::io(path, e))?;
    ///     Ok(Box::new(cache) as Box<dyn ReadAt>)
    /// })?;
    /// assert!(block.select(&[], i64::MIN, i64::MAX)?.count() > 0);
    /// let fetched = block.fetch_stats().expect("a range cache counts what it fetched");
    /// assert!(fetched.bytes <= block.size());
    /// # Ok(())
    /// # }
    /// ```
    pub fn open_from(
        dir: impl AsRef<Path>,
        open: impl Fn(&Path) -> Result<DynSource>,
    ) -> Result<Block> {
        let dir = dir.as_ref();
        let meta_path = dir.join("meta.json");
        let meta_json = crate::source::read_regular(&meta_path)?;
        // Parsed first: a block with a bad `meta.json` is reported as that, whatever else
        // is wrong with it.
        let meta = BlockMeta::parse(&meta_path, &meta_json)?;

        let index = open(&dir.join("index"))?;
        let chunks_dir = dir.join("chunks");
        let mut segments = Vec::new();
        for entry in std::fs::read_dir(&chunks_dir).map_err(|e| Error::io(&chunks_dir, e))? {
            let Some(name) = entry.ok().and_then(|e| e.file_name().into_string().ok()) else {
                continue;
            };
            if is_segment_name(&name) {
                let data = open(&chunks_dir.join(&name))?;
                segments.push((name, data));
            }
        }
        let tomb_path = dir.join("tombstones");
        let tombstones = match std::fs::symlink_metadata(&tomb_path) {
            Ok(_) => Some(open(&tomb_path)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&tomb_path, e)),
        };
        let files = BlockFiles {
            meta_json,
            index,
            segments,
            tombstones,
        };
        Block::assemble(dir.to_path_buf(), meta, files)
    }

    /// Opens a block from its files' bytes, however they were fetched: in memory, from a
    /// bucket, from an archive. `dir` names the block in errors and is [`Block::dir`];
    /// nothing is read from it. The checks are those of [`Block::open_with`].
    ///
    /// ```
    /// use tsblock::block::{Block, BlockFiles, DynSource};
    ///
    /// # fn main() -> tsblock::Result<()> {
    /// // A block read whole into memory, then opened from there.
    /// let dir = std::fs::read_dir("testdata/blocks/values")
    ///     .unwrap()
    ///     .map(|e| e.unwrap().path())
    ///     .find(|p| p.join("meta.json").exists())
    ///     .unwrap();
    /// let read = |p: std::path::PathBuf| -> DynSource { Box::new(std::fs::read(p).unwrap()) };
    /// let files = BlockFiles {
    ///     meta_json: std::fs::read(dir.join("meta.json")).unwrap(),
    ///     index: read(dir.join("index")),
    ///     segments: vec![("000001".to_string(), read(dir.join("chunks/000001")))],
    ///     tombstones: None,
    /// };
    /// let block = Block::from_files(&dir, files)?;
    /// assert_eq!(block.meta().stats.num_series, block.series()?.count() as u64);
    /// assert!(block.verify().is_clean());
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_files(dir: impl AsRef<Path>, files: BlockFiles) -> Result<Block> {
        let dir = dir.as_ref().to_path_buf();
        let meta = BlockMeta::parse(&dir.join("meta.json"), &files.meta_json)?;
        Block::assemble(dir, meta, files)
    }

    /// The checks and parsing of an open, after `meta.json`.
    fn assemble(dir: PathBuf, meta: BlockMeta, files: BlockFiles) -> Result<Block> {
        let index_path = dir.join("index");
        let index = Index::new(files.index).map_err(|e| Error::format(&index_path, e))?;

        let chunks_dir = dir.join("chunks");
        let mut named = files.segments;
        // References count segments in name order, as Prometheus lists them.
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let mut segments = Vec::with_capacity(named.len());
        for (name, data) in named {
            let path = chunks_dir.join(name);
            chunks::check_segment_header(&data).map_err(|e| Error::format(&path, e))?;
            segments.push(Segment { path, data });
        }

        let tomb_path = dir.join("tombstones");
        let (tombstones, tombstones_size) = match files.tombstones {
            Some(src) => {
                let len = usize::try_from(src.size()).unwrap_or(usize::MAX);
                let data = src.read_at(0, len).map_err(|e| Error::io(&tomb_path, e))?;
                (
                    Tombstones::parse(data).map_err(|e| Error::format(&tomb_path, e))?,
                    data.len() as u64,
                )
            }
            None => (Tombstones::default(), 0),
        };

        Ok(Block {
            meta,
            meta_json: files.meta_json,
            index: BlockIndex {
                path: index_path,
                index,
            },
            chunks: BlockChunks {
                dir: chunks_dir,
                segments,
            },
            tombstones,
            tombstones_size,
            dir,
        })
    }

    /// `meta.json` as read when the block was opened.
    pub(crate) fn meta_json(&self) -> &[u8] {
        &self.meta_json
    }

    /// The index file's path.
    pub(crate) fn index_path(&self) -> &Path {
        &self.index.path
    }

    /// The chunk segment files in order: path and bytes.
    pub(crate) fn segment_files(&self) -> impl Iterator<Item = (&Path, &DynSource)> {
        self.chunks
            .segments
            .iter()
            .map(|s| (s.path.as_path(), &s.data))
    }

    /// The bytes of segment `seg` (its place in name order), in constant time.
    pub(crate) fn segment(&self, seg: usize) -> Option<&DynSource> {
        self.chunks.segments.get(seg).map(|s| &s.data)
    }

    /// The block directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed `meta.json`.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The index.
    pub fn index(&self) -> &Index<DynSource> {
        &self.index.index
    }

    /// The tombstones (empty if the file is absent).
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    /// Size on disk as Prometheus counts it: meta.json + index + chunk segments + tombstones.
    pub fn size(&self) -> u64 {
        self.meta_json.len() as u64
            + self.index.index.len()
            + self
                .chunks
                .segments
                .iter()
                .map(|s| s.data.size())
                .sum::<u64>()
            + self.tombstones_size
    }

    /// Number of chunk segment files.
    pub fn num_segments(&self) -> usize {
        self.chunks.segments.len()
    }

    /// What ranged sources (see [`Block::open_from`], [`ReadMode::Ranged`]) have fetched
    /// from the index and the chunk segments; `None` when no source fetches on demand.
    pub fn fetch_stats(&self) -> Option<FetchStats> {
        std::iter::once(self.index.index.source())
            .chain(self.chunks.segments.iter().map(|s| &s.data))
            .filter_map(|s| s.stats())
            .reduce(|a, b| a + b)
    }

    /// The chunk a reference points at, CRC-checked.
    pub fn chunk(&self, chunk_ref: ChunkRef) -> Result<Chunk<'_>> {
        self.chunks.chunk_at(chunk_ref)
    }

    /// All series of the block in label order, with their chunk metas.
    pub fn series(&self) -> Result<BlockSeries<'_>> {
        let postings = self
            .index
            .index
            .all_postings()
            .map_err(|e| self.index.error(e))?;
        Ok(BlockSeries {
            block: self,
            postings,
        })
    }

    /// Decodes one series by its reference.
    pub fn read_series<'a>(
        &'a self,
        id: SeriesRef,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        self.index.series(id, labels, chunks)
    }

    /// Checks what Prometheus checks when it opens a block and this reader defers: see
    /// [`Index::check_tables`].
    pub fn check_tables(&self) -> Result<()> {
        self.index
            .index
            .check_tables()
            .map_err(|e| self.index.error(e))
    }

    /// Checks every checksum and invariant of the block and lists every problem (see
    /// [`crate::verify`]): the index (CRCs; symbols, series, postings and the postings
    /// offset table in order and consistent with each other; zero padding), every chunk
    /// (CRC, full decode, samples against its meta and the block's range, its place in
    /// the segment) and `meta.json`'s stats. Chunks are checked on every core.
    ///
    /// ```
    /// # fn main() -> tsblock::Result<()> {
    /// let db = tsblock::Db::open("testdata/blocks/values")?;
    /// let report = db.blocks()[0].verify();
    /// assert!(report.is_clean(), "{report}");
    /// assert!(report.samples > 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn verify(&self) -> crate::verify::Report {
        crate::verify::verify_block(self, &|_| {})
    }

    /// [`verify`](Self::verify), calling `progress` with the number of chunks checked as
    /// they are (from several threads): for a progress bar.
    pub fn verify_with_progress(&self, progress: &(dyn Fn(u64) + Sync)) -> crate::verify::Report {
        crate::verify::verify_block(self, progress)
    }
}

/// A series of one block: reference, labels and chunk metas.
#[derive(Debug, Clone)]
pub struct BlockSeriesEntry<'a> {
    /// Series reference (postings entry).
    pub id: SeriesRef,
    /// Labels, sorted by name.
    pub labels: Vec<Label<'a>>,
    /// Chunks in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// Iterator over all series of a block, in label order.
#[derive(Debug)]
pub struct BlockSeries<'a> {
    block: &'a Block,
    postings: crate::index::Postings<'a>,
}

impl<'a> Iterator for BlockSeries<'a> {
    type Item = Result<BlockSeriesEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.postings.next() {
            return None;
        }
        let id = self.postings.at();
        let mut labels = Vec::new();
        let mut chunks = Vec::new();
        Some(
            self.block
                .read_series(id, &mut labels, &mut chunks)
                .map(|()| BlockSeriesEntry { id, labels, chunks }),
        )
    }
}

impl BlockChunks {
    fn chunk_at(&self, chunk_ref: ChunkRef) -> Result<Chunk<'_>> {
        let (seg, off) = chunks::split_ref(chunk_ref);
        let segment = self.segments.get(seg).ok_or_else(|| {
            Error::format(
                &self.dir,
                FormatError::new(
                    crate::error::Section::Chunk,
                    off,
                    crate::error::FormatErrorKind::BadChunkRef(chunk_ref.0),
                ),
            )
        })?;
        chunks::read_chunk(&segment.data, off).map_err(|e| Error::format(&segment.path, e))
    }
}

/// Bytes assumed for a chunk whose end the prefetch cannot see (the last of a run): its
/// length prefix is read first, so the real length is unknown. Thanos's store-gateway
/// guesses the same 16,000; a longer chunk costs one more fetch when it is read.
const CHUNK_GUESS: u64 = 16_000;

impl ChunkReader for BlockChunks {
    fn chunk(&self, meta: &ChunkMeta) -> Result<Chunk<'_>> {
        self.chunk_at(meta.chunk_ref)
    }

    /// Each chunk's range runs to the next chunk asked for in the same segment, or
    /// [`CHUNK_GUESS`] bytes at most; the segment's source merges neighbours and fetches.
    fn prefetch(&self, metas: &[ChunkMeta]) {
        let mut refs: Vec<(usize, u64)> = metas
            .iter()
            .map(|m| chunks::split_ref(m.chunk_ref))
            .collect();
        refs.sort_unstable();
        refs.dedup();
        for group in refs.chunk_by(|a, b| a.0 == b.0) {
            let Some(segment) = group.first().and_then(|&(seg, _)| self.segments.get(seg)) else {
                continue;
            };
            let ranges: Vec<std::ops::Range<u64>> = group
                .iter()
                .enumerate()
                .map(|(i, &(_, off))| {
                    let next = group.get(i + 1).map_or(u64::MAX, |n| n.1);
                    off..next.min(off.saturating_add(CHUNK_GUESS))
                })
                .collect();
            // A hint: a failure here is met again, and reported, by the reads.
            let _ = segment.data.prefetch(&ranges);
        }
    }

    /// Names the segment file and the absolute offset.
    fn chunk_data_error(&self, meta: &ChunkMeta, mut e: FormatError) -> Error {
        let (seg, off) = chunks::split_ref(meta.chunk_ref);
        match self.segments.get(seg) {
            Some(s) => {
                e.offset += chunks::data_offset(&s.data, off);
                Error::format(&s.path, e)
            }
            None => Error::format(&self.dir, e),
        }
    }
}

impl IndexReader for BlockIndex {
    fn label_names(&self) -> Result<Vec<&[u8]>> {
        self.index.label_names().map_err(|e| self.error(e))
    }

    fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>> {
        let values = self
            .index
            .label_values_from(name, from)
            .map_err(|e| self.error(e))?;
        Ok(Box::new(values.map(move |v| {
            v.map(|v| v.value).map_err(|e| self.error(e))
        })))
    }

    fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>> {
        let list = self
            .index
            .postings(name, value)
            .map_err(|e| self.error(e))?;
        Ok(Box::new(list))
    }

    /// Walks the postings offset table once: each value read brings the offset of its
    /// list, so no value is looked up twice.
    fn postings_for_values<'a>(
        &'a self,
        name: &[u8],
        from: &[u8],
        select: &mut dyn FnMut(&[u8]) -> Select,
    ) -> Result<BoxPostings<'a>> {
        let mut offsets = Vec::new();
        for lv in self
            .index
            .label_values_from(name, from)
            .map_err(|e| self.error(e))?
        {
            let lv = lv.map_err(|e| self.error(e))?;
            match select(lv.value) {
                Select::Take => offsets.push(lv.postings_offset),
                Select::Skip => {}
                Select::Stop => break,
            }
        }
        // Values that share a list (damage: Prometheus writes one list per value) are
        // read once; the union is the same.
        offsets.sort_unstable();
        offsets.dedup();
        let mut lists: Vec<BoxPostings<'a>> = Vec::with_capacity(offsets.len());
        for off in offsets {
            let list = self.index.postings_at(off).map_err(|e| self.error(e))?;
            lists.push(Box::new(list));
        }
        Ok(union(lists))
    }

    fn series<'a>(
        &'a self,
        r: SeriesRef,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        self.index
            .series(r.0, labels, chunks)
            .map_err(|e| self.error(e))
    }
}

impl BlockReader for Block {
    fn index_reader(&self) -> &dyn IndexReader {
        &self.index
    }

    fn chunk_reader(&self) -> &dyn ChunkReader {
        &self.chunks
    }

    fn deleted(&self, r: SeriesRef) -> Option<&Intervals> {
        self.tombstones.get(r.0)
    }

    fn time_range(&self) -> (i64, i64) {
        (self.meta.min_time, self.meta.max_time)
    }
}
