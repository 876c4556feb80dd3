//! Read Prometheus TSDB blocks straight from memory-mapped files, and the head of a live
//! data directory without writing to it.
//!
//! Data flows one way, each layer using only those before it:
//!
//! 1. bytes: [`source`] (the [`ReadAt`] byte sources: a memory map, memory, or ranged
//!    reads through a [`source::RangeCache`]; the only `unsafe` code), [`bytes`] (a
//!    never-panicking cursor, varints, CRC32C), [`text`] (Go's string quoting);
//! 2. model types: [`refs`] ([`SeriesRef`], [`ChunkRef`]), [`labels`] (borrowed),
//!    [`labelset`] (owned), [`histogram`], and [`postings`] (the one shape of a postings
//!    stream, and its algebra);
//! 3. codecs ([`chunkenc`]) and sections ([`index`], [`chunks`], [`tombstones`], [`meta`];
//!    for the head: [`wlog`] segments and [`record`] payloads);
//! 4. storage: the traits of [`storage`] (`IndexReader`, `ChunkReader`, `BlockReader`,
//!    after Prometheus's), implemented by [`Block`] and by the replayed [`head`]
//!    ([`head::Head`], which builds its chunks with the writer's per-series rules);
//!    [`Db`] for a data directory, blocks and head;
//! 5. queries over any `BlockReader`s ([`query`]: matchers, the planner, merges,
//!    [`Querier`], lending sample iterators);
//! 6. presentation: [`compat`] (what `promtool` prints, byte for byte, with Go's formatting
//!    rules) and [`export`] (JSON lines, WAL records);
//! 7. the `tsblock` CLI (the default `cli` feature; the only user of `clap`).
//!
//! ```
//! use tsblock::{Db, Querier, query::Value};
//!
//! # fn main() -> Result<(), tsblock::Error> {
//! let db = Db::open("testdata/blocks/values")?;
//! for series in db.select(&[], i64::MIN, i64::MAX)? {
//!     let series = series?;
//!     for sample in series.samples() {
//!         let sample = sample?;
//!         if let Value::Float(v) = sample.value {
//!             assert!(sample.t >= db.blocks()[0].meta().min_time);
//!             let _ = v;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Parsers read through [`ReadAt`] ([`index::Index`] is generic over it), so they work on
//! any bytes; [`Block`] and [`Db`] use read-only memory maps ([`ReadMode::Mmap`]), read
//! files into memory ([`ReadMode::Read`]), fetch ranges on demand ([`ReadMode::Ranged`]),
//! or take any source per file ([`Block::open_from`]) or files that are not a directory at
//! all ([`Block::from_files`]: bytes in memory, objects in a bucket).
//!
//! Writers mirror the readers: [`chunkenc::XorAppender`], [`chunks::SegmentWriter`],
//! [`index::IndexWriter`], [`tombstones::Tombstones::encode`], [`BlockMeta::to_json`], all
//! driven by [`writer::BlockWriter`], which builds a whole block the way Prometheus's head
//! does. [`compat::promtool`] renders what `promtool tsdb list`/`dump` print.
#![deny(missing_docs)]
#![deny(unsafe_code)]
// Code that parses bytes from files must not be able to panic: no unwrap, expect, slice
// indexing or panic outside tests. The layers above the parsers (queries, presentation,
// the in-memory model) opt out below, each where it is declared.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod analyze;
pub mod block;
pub mod bytes;
pub mod chunkenc;
pub mod chunks;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod compat;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod db;
pub mod error;
pub mod export;
pub mod fsinfo;
mod fxhash;
mod goheap;
pub mod head;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod histogram;
pub mod index;
pub mod labels;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod labelset;
pub mod meta;
pub mod object;
pub mod postings;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod query;
pub mod record;
pub mod refs;
pub mod source;
pub mod storage;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod text;
pub mod tombstones;
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub mod ulid;
pub mod verify;
pub mod wlog;
pub mod writer;

pub use block::Block;
pub use db::{Db, DbOptions, Warning};
pub use error::{Error, FormatError, FormatErrorKind, Result, Section};
pub use labels::Label;
pub use meta::BlockMeta;
pub use query::Querier;
pub use refs::{ChunkRef, SeriesRef};
pub use source::{ReadAt, ReadMode};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
