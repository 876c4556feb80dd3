//! Building a block from samples, the way Prometheus's head and `BlockWriter` do.
//!
//! [`BlockWriter`] takes samples of any series in any order of series (each series' own
//! samples in time order), cuts chunks where Prometheus's head would, and writes a
//! complete block into `<ULID>.tmp-for-creation/`, fsynced and then renamed to `<ULID>/`.
//! Memory holds only the encoded chunks of the block being built.
//!
//! Samples are floats (XOR chunks) or native histograms with integer or float counts
//! (histogram and float-histogram chunks). A change of sample type always starts a new
//! chunk. Within a type, chunks are cut as the flavour's head cuts them ([`cut`]). On top
//! of that the histogram appender itself cuts on counter resets, schema or zero-threshold
//! changes, a gauge/counter switch and a real sample after a stale marker, and recodes the
//! open chunk when a sample brings new buckets (see [`crate::chunkenc::HistogramAppender`]).
//! As in Prometheus, a float stale marker appended to a series whose last sample was a
//! histogram becomes a histogram stale marker.
//!
//! Series are identified by [`Labels`], owned label sets over bytes, so a block read with
//! [`Block`](crate::Block) can be written again without converting its labels to text.
//!
//! The parts: [`cut`] (the head's chunk-cutting policy), `series` (per-series head state),
//! `histogram` (histogram sample equality for duplicates) and `emit` (writing the block's
//! files).

pub mod cut;
mod emit;
mod histogram;
pub(crate) mod series;
mod table;

use std::io;
use std::path::PathBuf;

pub use crate::chunkenc::Flavor;

use crate::chunkenc::{
    validate_histogram, FloatHistogramAppender, HistogramAppendError, HistogramAppender,
};
use crate::chunks::DEFAULT_SEGMENT_SIZE;
use crate::histogram::{FloatHistogram, Histogram, IntHistogram, STALE_NAN_BITS};
use crate::index::IndexWriteError;
use crate::labelset::Labels;
use crate::tombstones::Interval;
use crate::ulid::Ulid;
use cut::CutPolicy;
use series::{HistogramKind, LastSample};

/// Default block duration of Prometheus (2h).
pub const DEFAULT_BLOCK_DURATION: i64 = 2 * 60 * 60 * 1000;

/// Options of a [`BlockWriter`].
#[derive(Debug, Clone)]
pub struct BlockWriterOptions {
    /// Chunks never span a multiple of this (Prometheus: the head's chunk range; promtool's
    /// backfill uses twice the block duration).
    pub chunk_range: i64,
    /// Target samples per chunk (Prometheus: 120).
    pub samples_per_chunk: u16,
    /// Chunk-cutting and byte-layout flavour.
    pub flavor: Flavor,
    /// Largest chunk segment file.
    pub segment_size: u64,
    /// The block's ULID; a new one when `None`.
    pub ulid: Option<Ulid>,
}

impl Default for BlockWriterOptions {
    fn default() -> Self {
        BlockWriterOptions {
            chunk_range: 2 * DEFAULT_BLOCK_DURATION,
            samples_per_chunk: 120,
            flavor: Flavor::default(),
            segment_size: DEFAULT_SEGMENT_SIZE,
            ulid: None,
        }
    }
}

/// Why a sample was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Older than the series' last sample.
    #[error("out of order sample: {t} is before the series' last sample at {last}")]
    OutOfOrder {
        /// The sample's timestamp.
        t: i64,
        /// The series' newest timestamp.
        last: i64,
    },
    /// Same timestamp as the last sample, different value.
    #[error("duplicate sample for timestamp {0} with a different value")]
    DuplicateTimestamp(i64),
    /// A histogram the chunk format cannot hold as given.
    #[error("invalid histogram")]
    InvalidHistogram(#[from] HistogramAppendError),
}

/// Errors writing a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A file operation failed.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The index could not be written.
    #[error("{}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: IndexWriteError,
    },
}

/// Builds one block in memory (as encoded chunks) and writes it.
#[derive(Debug)]
pub struct BlockWriter {
    opts: BlockWriterOptions,
    cut: CutPolicy,
    series: table::SeriesTable,
    deletions: Vec<(Labels, Interval)>,
    min_time: i64,
    max_time: i64,
}

impl BlockWriter {
    /// An empty block.
    pub fn new(opts: BlockWriterOptions) -> Self {
        BlockWriter {
            cut: CutPolicy::new(opts.flavor, opts.chunk_range, opts.samples_per_chunk),
            opts,
            series: table::SeriesTable::default(),
            deletions: Vec::new(),
            min_time: i64::MAX,
            max_time: i64::MIN,
        }
    }

    /// Number of series so far.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Appends a sample to the series `labels`.
    ///
    /// As in Prometheus, a sample equal to the series' last one (same timestamp, same value
    /// bits) is ignored; an older one or a different value at the same timestamp is an error.
    /// A stale marker (`f64::from_bits(0x7ff0000000000002)`) after a histogram becomes a
    /// histogram stale marker of the same kind.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        let bits = v.to_bits();
        if bits == STALE_NAN_BITS {
            match self
                .series
                .find(labels)
                .and_then(|at| self.series.get(at))
                .map(|s| &s.last)
            {
                Some(LastSample::Histogram(_)) => {
                    let h = IntHistogram {
                        sum: v,
                        ..IntHistogram::default()
                    };
                    return self.append_histogram(labels, t, &h);
                }
                Some(LastSample::FloatHistogram(_)) => {
                    let h = FloatHistogram {
                        sum: v,
                        ..FloatHistogram::default()
                    };
                    return self.append_float_histogram(labels, t, &h);
                }
                _ => {}
            }
        }
        let s = self.series.get_or_insert(labels);
        if s.append_float(&self.cut, self.opts.flavor, t, v)? {
            self.min_time = self.min_time.min(t);
            self.max_time = self.max_time.max(t);
        }
        Ok(())
    }

    /// Appends a whole encoded chunk to the series `labels` without re-encoding it:
    /// `encoding`, its `data` (what follows the encoding byte, as
    /// [`Chunk::data`](crate::chunkenc::Chunk) holds it) and its time range. The series'
    /// open chunk is closed first; the chunk must start after the series' last sample.
    /// Its sample count is read from the data's header.
    pub fn append_chunk(
        &mut self,
        labels: &Labels,
        encoding: crate::chunkenc::Encoding,
        data: &[u8],
        min_time: i64,
        max_time: i64,
    ) -> Result<(), AppendError> {
        let num_samples = match data {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
        let s = self.series.get_or_insert(labels);
        s.append_chunk(series::DoneChunk {
            encoding,
            min_time,
            max_time,
            num_samples,
            data: data.to_vec(),
        })?;
        self.min_time = self.min_time.min(min_time);
        self.max_time = self.max_time.max(max_time);
        Ok(())
    }

    /// Appends a native histogram with integer counts (absolute bucket counts, as
    /// [`IntHistogram`] holds them) to the series `labels`.
    ///
    /// The sample's counter-reset hint matters as it does to Prometheus: `Gauge` makes it
    /// a gauge histogram, `CounterReset` forces a new chunk. A sample whose `sum` is the
    /// stale NaN is a stale marker (its buckets are not stored). Duplicates and order are
    /// handled as in [`append`](Self::append); on error nothing changes.
    pub fn append_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &IntHistogram,
    ) -> Result<(), AppendError> {
        self.append_hist::<HistogramAppender>(labels, t, h)
    }

    /// Appends a native histogram with float counts; see
    /// [`append_histogram`](Self::append_histogram).
    pub fn append_float_histogram(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &FloatHistogram,
    ) -> Result<(), AppendError> {
        self.append_hist::<FloatHistogramAppender>(labels, t, h)
    }

    fn append_hist<K: HistogramKind>(
        &mut self,
        labels: &Labels,
        t: i64,
        h: &Histogram<K::Count>,
    ) -> Result<(), AppendError> {
        // Checked before the series is created, so a refused first sample leaves none.
        validate_histogram(h, self.opts.flavor)?;
        let s = self.series.get_or_insert(labels);
        if s.append_histogram::<K>(&self.cut, self.opts.flavor, t, h)? {
            self.min_time = self.min_time.min(t);
            self.max_time = self.max_time.max(t);
        }
        Ok(())
    }

    /// Marks `[min, max]` of a series as deleted: written to the block's tombstones file.
    /// Returns false if the series has no samples.
    pub fn delete(&mut self, labels: &Labels, interval: Interval) -> bool {
        if self.series.find(labels).is_none() {
            return false;
        }
        self.deletions.push((labels.clone(), interval));
        true
    }
}
