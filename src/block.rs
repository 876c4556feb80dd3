//! A block directory: `meta.json`, `index`, `chunks/`, `tombstones`.

use std::path::{Path, PathBuf};

use crate::chunkenc::{Chunk, Encoding, FloatHistogramIter, HistogramIter, XorIter};
use crate::chunks;
use crate::error::{Error, FormatError, Result};
use crate::index::{ChunkMeta, Index};
use crate::labels::Label;
use crate::meta::BlockMeta;
use crate::source::{ReadMode, Source};
use crate::tombstones::Tombstones;

/// One chunk segment file.
#[derive(Debug)]
struct Segment {
    path: PathBuf,
    data: Source,
}

/// An open, immutable block. Nothing is written, locked or cached on disk.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    meta_size: u64,
    index: Index<Source>,
    segments: Vec<Segment>,
    tombstones: Tombstones,
    tombstones_size: u64,
}

impl Block {
    /// Opens the block in `dir` with read-only memory maps.
    pub fn open(dir: impl AsRef<Path>) -> Result<Block> {
        Block::open_with(dir, ReadMode::Mmap)
    }

    /// Opens the block in `dir`, mapping or reading its files as `mode` says.
    ///
    /// Checks `meta.json` (version 1), the index header and TOC, every segment header and
    /// the tombstones file. Series, postings and chunks are checked when read.
    pub fn open_with(dir: impl AsRef<Path>, mode: ReadMode) -> Result<Block> {
        let dir = dir.as_ref().to_path_buf();
        let meta_path = dir.join("meta.json");
        let meta = BlockMeta::read(&meta_path)?;
        let meta_size = std::fs::metadata(&meta_path)
            .map_err(|e| Error::io(&meta_path, e))?
            .len();

        let index_path = dir.join("index");
        let index_src = Source::open(&index_path, mode)?;
        let index = Index::new(index_src).map_err(|e| Error::format(&index_path, e))?;

        let chunks_dir = dir.join("chunks");
        let mut names: Vec<String> = std::fs::read_dir(&chunks_dir)
            .map_err(|e| Error::io(&chunks_dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            // Segment files are those whose name is a base-10 number.
            .filter(|n| {
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<u64>().is_ok()
            })
            .collect();
        names.sort();
        let mut segments = Vec::with_capacity(names.len());
        for name in names {
            let path = chunks_dir.join(name);
            let data = Source::open(&path, mode)?;
            chunks::check_segment_header(&data).map_err(|e| Error::format(&path, e))?;
            segments.push(Segment { path, data });
        }

        let tomb_path = dir.join("tombstones");
        let (tombstones, tombstones_size) = match std::fs::read(&tomb_path) {
            Ok(data) => (
                Tombstones::parse(&data).map_err(|e| Error::format(&tomb_path, e))?,
                data.len() as u64,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Tombstones::default(), 0),
            Err(e) => return Err(Error::io(&tomb_path, e)),
        };

        Ok(Block {
            dir,
            meta,
            meta_size,
            index,
            segments,
            tombstones,
            tombstones_size,
        })
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
    pub fn index(&self) -> &Index<Source> {
        &self.index
    }

    /// The tombstones (empty if the file is absent).
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    /// Size on disk as Prometheus counts it: meta.json + index + chunk segments + tombstones.
    pub fn size(&self) -> u64 {
        self.meta_size
            + self.index.bytes().len() as u64
            + self
                .segments
                .iter()
                .map(|s| s.data.len() as u64)
                .sum::<u64>()
            + self.tombstones_size
    }

    /// Number of chunk segment files.
    pub fn num_segments(&self) -> usize {
        self.segments.len()
    }

    fn index_error(&self, e: FormatError) -> Error {
        Error::format(self.dir.join("index"), e)
    }

    /// The chunk a reference points at, CRC-checked.
    pub fn chunk(&self, chunk_ref: u64) -> Result<Chunk<'_>> {
        let (seg, off) = chunks::split_ref(chunk_ref);
        let segment = self.segments.get(seg).ok_or_else(|| {
            Error::format(
                self.dir.join("chunks"),
                FormatError::new(
                    crate::error::Section::Chunk,
                    off,
                    crate::error::FormatErrorKind::BadChunkRef(chunk_ref),
                ),
            )
        })?;
        chunks::read_chunk(&segment.data, off).map_err(|e| Error::format(&segment.path, e))
    }

    /// Turns an error inside a chunk's data (offset relative to the data) into one that
    /// names the segment file and the absolute offset.
    pub(crate) fn chunk_data_error(&self, chunk_ref: u64, mut e: FormatError) -> Error {
        let (seg, off) = chunks::split_ref(chunk_ref);
        match self.segments.get(seg) {
            Some(s) => {
                e.offset += chunks::data_offset(&s.data, off);
                Error::format(&s.path, e)
            }
            None => Error::format(self.dir.join("chunks"), e),
        }
    }

    /// All series of the block in label order, with their chunk metas.
    pub fn series(&self) -> Result<BlockSeries<'_>> {
        let postings = self.index.all_postings().map_err(|e| self.index_error(e))?;
        Ok(BlockSeries {
            block: self,
            postings,
        })
    }

    /// Decodes one series by its reference.
    pub fn read_series<'a>(
        &'a self,
        id: u64,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()> {
        self.index
            .series(id, labels, chunks)
            .map_err(|e| self.index_error(e))
    }

    /// Checks what Prometheus checks when it opens a block and this reader defers: see
    /// [`Index::check_tables`].
    pub fn check_tables(&self) -> Result<()> {
        self.index.check_tables().map_err(|e| self.index_error(e))
    }

    /// Checks everything: the index ([`Index::verify`]), then every chunk of every series
    /// (bounds, CRC, and a full decode of XOR and histogram chunks).
    pub fn verify(&self) -> Result<()> {
        self.index.verify().map_err(|e| self.index_error(e))?;
        for s in self.series()? {
            let s = s?;
            for c in &s.chunks {
                let chunk = self.chunk(c.chunk_ref)?;
                let err = |e| self.chunk_data_error(c.chunk_ref, e);
                match chunk.encoding {
                    Encoding::Xor => {
                        for r in XorIter::new(chunk.data).map_err(err)? {
                            r.map_err(err)?;
                        }
                    }
                    Encoding::Histogram => {
                        for r in HistogramIter::new(chunk.data).map_err(err)? {
                            r.map_err(err)?;
                        }
                    }
                    Encoding::FloatHistogram => {
                        for r in FloatHistogramIter::new(chunk.data).map_err(err)? {
                            r.map_err(err)?;
                        }
                    }
                    // CRC-checked above; the samples of newer encodings are not decoded.
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// A series of one block: reference, labels and chunk metas.
#[derive(Debug, Clone)]
pub struct BlockSeriesEntry<'a> {
    /// Series reference (postings entry).
    pub id: u64,
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
        let id = self.postings.next()?;
        let mut labels = Vec::new();
        let mut chunks = Vec::new();
        Some(
            self.block
                .read_series(id, &mut labels, &mut chunks)
                .map(|()| BlockSeriesEntry { id, labels, chunks }),
        )
    }
}
