//! The storage seam: what a query needs from a block, a head, or anything else that holds
//! series.
//!
//! Modelled on Prometheus's `IndexReader`, `ChunkReader` and `BlockReader`
//! (`tsdb/block.go`): an index answers label and postings questions and decodes series
//! by reference; a chunk reader hands out a chunk's bytes by its meta; a block reader
//! bundles the two with the deleted ranges and the time range. The query layer
//! ([`crate::query`]) plans matchers into postings, merges series and samples, and
//! answers [`Querier`](crate::Querier) calls over `&dyn BlockReader` only, so a block on
//! disk, a block behind ranged reads and an in-memory head are queried by one
//! implementation. References are typed ([`SeriesRef`], [`ChunkRef`](crate::ChunkRef))
//! and mean something only to the reader that handed them out: no file offsets cross this
//! seam.
//!
//! A small in-memory implementation, to show the shape (tests/storage.rs has a fuller one
//! that runs the query property tests):
//!
//! ```
//! use tsblock::chunkenc::{Chunk, Encoding, XorAppender};
//! use tsblock::index::ChunkMeta;
//! use tsblock::postings::{BoxPostings, VecPostings};
//! use tsblock::query::{Matcher, Querier};
//! use tsblock::storage::{BlockReader, ChunkReader, IndexReader, LabelValueIter};
//! use tsblock::tombstones::Intervals;
//! use tsblock::{ChunkRef, Label, Result, SeriesRef};
//!
//! /// One series, `{job="api"}`, with one chunk of two samples.
//! #[derive(Debug)]
//! struct One(Vec<u8>);
//!
//! impl IndexReader for One {
//!     fn label_names(&self) -> Result<Vec<&[u8]>> {
//!         Ok(vec![b"job"])
//!     }
//!     fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>> {
//!         let hit = name == b"job" && &b"api"[..] >= from;
//!         Ok(Box::new(hit.then_some(Ok(&b"api"[..])).into_iter()))
//!     }
//!     fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>> {
//!         let hit = (name, value) == (b"job", b"api") || (name, value) == (b"", b"");
//!         Ok(Box::new(VecPostings::new(if hit { vec![SeriesRef(0)] } else { vec![] })))
//!     }
//!     fn series<'a>(
//!         &'a self,
//!         r: SeriesRef,
//!         labels: &mut Vec<Label<'a>>,
//!         chunks: &mut Vec<ChunkMeta>,
//!     ) -> Result<()> {
//!         assert_eq!(r, SeriesRef(0));
//!         *labels = vec![Label { name: b"job", value: b"api" }];
//!         *chunks = vec![ChunkMeta { min_time: 1, max_time: 2, chunk_ref: ChunkRef(0) }];
//!         Ok(())
//!     }
//! }
//!
//! impl ChunkReader for One {
//!     fn chunk(&self, _: &ChunkMeta) -> Result<Chunk<'_>> {
//!         Ok(Chunk { encoding: Encoding::Xor, data: &self.0 })
//!     }
//! }
//!
//! impl BlockReader for One {
//!     fn index_reader(&self) -> &dyn IndexReader { self }
//!     fn chunk_reader(&self) -> &dyn ChunkReader { self }
//!     fn deleted(&self, _: SeriesRef) -> Option<&Intervals> { None }
//!     fn time_range(&self) -> (i64, i64) { (1, 3) }
//! }
//!
//! impl Querier for One {
//!     fn readers(&self) -> Vec<&dyn BlockReader> { vec![self] }
//! }
//!
//! # fn main() -> Result<()> {
//! let mut app = XorAppender::new();
//! app.append(1, 10.0);
//! app.append(2, 20.0);
//! let one = One(app.finish());
//! let set = one.select(&[Matcher::equal("job", "api")], i64::MIN, i64::MAX)?;
//! for series in set {
//!     let samples: Vec<_> = series?.samples().map(|s| s.unwrap().t).collect();
//!     assert_eq!(samples, [1, 2]);
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;

use crate::chunkenc::Chunk;
use crate::error::{Error, FormatError, Result};
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::postings::{union, BoxPostings};
use crate::refs::SeriesRef;
use crate::tombstones::Intervals;

/// Label values in order, borrowed from the reader.
pub type LabelValueIter<'a> = Box<dyn Iterator<Item = Result<&'a [u8]>> + 'a>;

/// What [`IndexReader::postings_for_values`] does with one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// Include this value's series.
    Take,
    /// Leave this value out and go on.
    Skip,
    /// Leave this value out and stop: no later value is wanted.
    Stop,
}

/// Labels and postings of a block or head (Prometheus's `IndexReader`).
///
/// Series references are the reader's own; postings streams yield them in ascending
/// order, which is also the label order of the series (as in a block index).
pub trait IndexReader: fmt::Debug + Send + Sync {
    /// Label names used by any series, sorted, each once.
    fn label_names(&self) -> Result<Vec<&[u8]>>;

    /// The values of `name` from the first one `>= from` on, sorted, each once.
    fn label_values_from<'a>(&'a self, name: &[u8], from: &[u8]) -> Result<LabelValueIter<'a>>;

    /// The series with label `name="value"` (none if the pair does not occur). The pair
    /// `("", "")` stands for every series, as in the index format.
    fn postings(&self, name: &[u8], value: &[u8]) -> Result<BoxPostings<'_>>;

    /// The union of the postings of the values of `name` that `select` takes, visiting
    /// values in order from the first one `>= from` until it answers [`Select::Stop`].
    ///
    /// The default walks [`IndexReader::label_values_from`] and looks each value up with
    /// [`IndexReader::postings`]; a block overrides it to use the postings offsets the
    /// values walk already read.
    fn postings_for_values<'a>(
        &'a self,
        name: &[u8],
        from: &[u8],
        select: &mut dyn FnMut(&[u8]) -> Select,
    ) -> Result<BoxPostings<'a>> {
        let mut lists = Vec::new();
        for value in self.label_values_from(name, from)? {
            let value = value?;
            match select(value) {
                Select::Take => lists.push(self.postings(name, value)?),
                Select::Skip => {}
                Select::Stop => break,
            }
        }
        Ok(union(lists))
    }

    /// Every series, in label order.
    fn all_postings(&self) -> Result<BoxPostings<'_>> {
        self.postings(b"", b"")
    }

    /// Decodes series `r` into `labels` (sorted by name) and `chunks` (in time order),
    /// replacing their contents; reusing the vectors saves allocating per series.
    fn series<'a>(
        &'a self,
        r: SeriesRef,
        labels: &mut Vec<Label<'a>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<()>;
}

/// Chunks by their metas (Prometheus's `ChunkReader`).
pub trait ChunkReader: Send + Sync {
    /// The chunk `meta` points at, checked (bounds, CRC) as far as its store allows.
    fn chunk(&self, meta: &ChunkMeta) -> Result<Chunk<'_>>;

    /// Hints that the chunks of `metas` will be read soon, so that a store that fetches
    /// on demand (a bucket) can fetch them together. Does nothing by default; errors are
    /// left for the reads.
    fn prefetch(&self, metas: &[ChunkMeta]) {
        let _ = metas;
    }

    /// Places an error found while decoding `meta`'s chunk data (its offset relative to
    /// the data) in the store: for a block, the segment file and absolute offset.
    fn chunk_data_error(&self, meta: &ChunkMeta, e: FormatError) -> Error {
        let _ = meta;
        Error::Decode { source: e }
    }
}

/// A block, a head, or anything else that holds series (Prometheus's `BlockReader`).
pub trait BlockReader: Send + Sync {
    /// Labels and postings.
    fn index_reader(&self) -> &dyn IndexReader;

    /// Chunk bytes.
    fn chunk_reader(&self) -> &dyn ChunkReader;

    /// The deleted time ranges of series `r`, if any.
    fn deleted(&self, r: SeriesRef) -> Option<&Intervals>;

    /// `[min, max)` in milliseconds: `max` is exclusive, as in `meta.json` (a head reports
    /// its newest timestamp plus one). Queries skip readers whose range they miss.
    fn time_range(&self) -> (i64, i64);
}

/// Anything that lends itself as a `&dyn BlockReader`: every sized [`BlockReader`], and
/// `dyn BlockReader` itself, so query entry points take either.
pub trait AsBlockReader {
    /// `self` as a trait object.
    fn as_block_reader(&self) -> &dyn BlockReader;
}

impl<T: BlockReader> AsBlockReader for T {
    fn as_block_reader(&self) -> &dyn BlockReader {
        self
    }
}

impl AsBlockReader for dyn BlockReader + '_ {
    fn as_block_reader(&self) -> &dyn BlockReader {
        self
    }
}
