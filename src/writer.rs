//! Building a block from samples, the way Prometheus's head and `BlockWriter` do.
//!
//! [`BlockWriter`] takes samples of any series in any order of series (each series' own
//! samples in time order), cuts chunks where Prometheus's head would, and writes a
//! complete block into `<ULID>.tmp-for-creation/`, fsynced and then renamed to `<ULID>/`.
//! Memory holds only the encoded chunks of the block being built.
//!
//! Samples are floats (XOR chunks) or native histograms with integer or float counts
//! (histogram and float-histogram chunks). A change of sample type always starts a new
//! chunk. Within a type, chunks are cut as the flavour's head cuts them:
//!
//! | | Prometheus 2.x (2.42) | Prometheus 3.x |
//! |---|---|---|
//! | floats | 120-sample target: end time predicted at 30 samples, cut at 240 | same, and before a chunk passes 1024 bytes |
//! | histograms | as floats | 1024-byte target: end time predicted at 256 bytes, cut at 2048 bytes, at least 10 samples per chunk unless the chunk range ends |
//!
//! Chunks never cross a multiple of the chunk range. On top of that the histogram
//! appender itself cuts on counter resets, schema or zero-threshold changes, a
//! gauge/counter switch and a real sample after a stale marker, and recodes the open
//! chunk when a sample brings new buckets (see [`crate::chunkenc::HistogramAppender`]).
//! As in Prometheus, a float stale marker appended to a series whose last sample was a
//! histogram becomes a histogram stale marker.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use crate::chunkenc::Flavor;
use crate::chunkenc::{
    validate_histogram, AppendOutcome, Encoding, FloatHistogramAppender, HistogramAppendError,
    HistogramAppender, XorAppender,
};
use crate::chunks::{SegmentWriter, DEFAULT_SEGMENT_SIZE};
use crate::histogram::{FloatHistogram, Histogram, IntHistogram, Span, STALE_NAN_BITS};
use crate::index::{ChunkMeta, IndexWriteError, IndexWriter};
use crate::labels::Label;
use crate::meta::{BlockCompaction, BlockMeta, BlockStats, META_VERSION};
use crate::tombstones::{Interval, Tombstones};
use crate::ulid::Ulid;

/// An owned label set: `(name, value)` pairs.
pub type Labels = Vec<(String, String)>;

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
    /// The label set is empty (after dropping empty values).
    #[error("series without labels")]
    NoLabels,
    /// Two labels share a name.
    #[error("duplicate label name {0:?}")]
    DuplicateLabel(String),
    /// A label name is empty.
    #[error("empty label name")]
    EmptyLabelName,
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
    #[error("invalid histogram: {0}")]
    InvalidHistogram(#[from] HistogramAppendError),
}

/// Errors writing a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The index could not be written.
    #[error("{}: {source}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: IndexWriteError,
    },
}

/// Sorts labels by name, drops empty values and rejects empty or duplicate names.
pub fn normalize_labels(mut labels: Labels) -> Result<Labels, AppendError> {
    labels.retain(|(_, v)| !v.is_empty());
    labels.sort();
    check_labels(&labels)?;
    Ok(labels)
}

/// Checks that labels are what [`normalize_labels`] returns: not empty, no empty names or
/// values, names strictly ascending.
pub fn check_labels(labels: &[(String, String)]) -> Result<(), AppendError> {
    if labels.is_empty() {
        return Err(AppendError::NoLabels);
    }
    if labels.iter().any(|(n, _)| n.is_empty()) {
        return Err(AppendError::EmptyLabelName);
    }
    if let Some(w) = labels.windows(2).find(|w| w[0].0 >= w[1].0) {
        return Err(AppendError::DuplicateLabel(w[1].0.clone()));
    }
    if labels.iter().any(|(_, v)| v.is_empty()) {
        return Err(AppendError::NoLabels);
    }
    Ok(())
}

/// An encoded chunk.
#[derive(Debug)]
struct DoneChunk {
    encoding: Encoding,
    min_time: i64,
    max_time: i64,
    num_samples: u16,
    data: Vec<u8>,
}

/// The appender of an open chunk.
#[derive(Debug)]
enum HeadApp {
    Xor(XorAppender),
    Histogram(HistogramAppender),
    FloatHistogram(FloatHistogramAppender),
}

impl HeadApp {
    fn num_samples(&self) -> u16 {
        match self {
            HeadApp::Xor(a) => a.num_samples(),
            HeadApp::Histogram(a) => a.num_samples(),
            HeadApp::FloatHistogram(a) => a.num_samples(),
        }
    }

    fn len(&self) -> usize {
        match self {
            HeadApp::Xor(a) => a.len(),
            HeadApp::Histogram(a) => a.len(),
            HeadApp::FloatHistogram(a) => a.len(),
        }
    }
}

/// The open chunk of a series.
#[derive(Debug)]
struct HeadChunk {
    app: HeadApp,
    min_time: i64,
    max_time: i64,
}

impl HeadChunk {
    fn done(self) -> DoneChunk {
        let num_samples = self.app.num_samples();
        let (encoding, data) = match self.app {
            HeadApp::Xor(a) => (Encoding::Xor, a.finish()),
            HeadApp::Histogram(a) => (Encoding::Histogram, a.finish()),
            HeadApp::FloatHistogram(a) => (Encoding::FloatHistogram, a.finish()),
        };
        DoneChunk {
            encoding,
            min_time: self.min_time,
            max_time: self.max_time,
            num_samples,
            data,
        }
    }
}

/// The series' newest sample, for duplicates and stale markers.
#[derive(Debug)]
enum LastSample {
    Float(u64),
    Histogram(IntHistogram),
    FloatHistogram(FloatHistogram),
}

#[derive(Debug)]
struct MemSeries {
    done: Vec<DoneChunk>,
    head: Option<HeadChunk>,
    next_at: i64,
    last: LastSample,
    /// Prometheus 3.x: the open histogram chunk's end time was predicted (reset only when
    /// the head, not the appender, cuts a chunk, as in Prometheus).
    histogram_end_time_computed: bool,
}

impl MemSeries {
    fn new() -> Self {
        MemSeries {
            done: Vec::new(),
            head: None,
            next_at: i64::MIN,
            last: LastSample::Float(0),
            histogram_end_time_computed: false,
        }
    }

    /// Timestamp of the newest sample.
    fn last_time(&self) -> Option<i64> {
        self.head
            .as_ref()
            .map(|h| h.max_time)
            .or(self.done.last().map(|c| c.max_time))
    }

    /// Prometheus's ordering rules for a sample at `t`: `Ok(true)` to append it,
    /// `Ok(false)` to ignore it (`same` says it repeats the last sample at that time), or
    /// an error for an older sample or a different one at the same time.
    fn accepts(&self, t: i64, same: impl FnOnce(&LastSample) -> bool) -> Result<bool, AppendError> {
        match self.last_time() {
            Some(last) if t < last => Err(AppendError::OutOfOrder { t, last }),
            Some(last) if t == last => {
                if same(&self.last) {
                    Ok(false)
                } else {
                    Err(AppendError::DuplicateTimestamp(t))
                }
            }
            _ => Ok(true),
        }
    }
}

/// Prometheus 3.x's byte target of a histogram chunk (`TargetBytesPerHistogramChunk`).
const TARGET_BYTES_PER_HISTOGRAM_CHUNK: usize = 1024;
/// Prometheus 3.x's sample minimum of a histogram chunk (`MinSamplesPerHistogramChunk`).
const MIN_SAMPLES_PER_HISTOGRAM_CHUNK: u16 = 10;

/// What differs between the two histogram appenders, for the writer.
trait HistogramKind: Sized {
    type Count: crate::histogram::Count;
    fn empty(flavor: Flavor) -> Self;
    fn of(app: &HeadApp) -> Option<&Self>;
    fn of_mut(app: &mut HeadApp) -> Option<&mut Self>;
    fn wrap(self) -> HeadApp;
    fn last(h: &Histogram<Self::Count>) -> LastSample;
    fn is_last(last: &LastSample, h: &Histogram<Self::Count>) -> bool;
    fn append(
        &mut self,
        t: i64,
        h: &Histogram<Self::Count>,
    ) -> Result<AppendOutcome<Self>, HistogramAppendError>;
    fn append_first(
        &mut self,
        prev: Option<&Self>,
        t: i64,
        h: &Histogram<Self::Count>,
    ) -> Result<(), HistogramAppendError>;
}

macro_rules! histogram_kind {
    ($app:ident, $count:ty, $variant:ident) => {
        impl HistogramKind for $app {
            type Count = $count;

            fn empty(flavor: Flavor) -> Self {
                $app::with_flavor(flavor)
            }

            fn of(app: &HeadApp) -> Option<&Self> {
                match app {
                    HeadApp::$variant(a) => Some(a),
                    _ => None,
                }
            }

            fn of_mut(app: &mut HeadApp) -> Option<&mut Self> {
                match app {
                    HeadApp::$variant(a) => Some(a),
                    _ => None,
                }
            }

            fn wrap(self) -> HeadApp {
                HeadApp::$variant(self)
            }

            fn last(h: &Histogram<$count>) -> LastSample {
                LastSample::$variant(h.clone())
            }

            fn is_last(last: &LastSample, h: &Histogram<$count>) -> bool {
                matches!(last, LastSample::$variant(l) if same_histogram(l, h))
            }

            fn append(
                &mut self,
                t: i64,
                h: &Histogram<$count>,
            ) -> Result<AppendOutcome<Self>, HistogramAppendError> {
                $app::append(self, t, h)
            }

            fn append_first(
                &mut self,
                prev: Option<&Self>,
                t: i64,
                h: &Histogram<$count>,
            ) -> Result<(), HistogramAppendError> {
                $app::append_first(self, prev, t, h)
            }
        }
    };
}

histogram_kind!(HistogramAppender, u64, Histogram);
histogram_kind!(FloatHistogramAppender, f64, FloatHistogram);

/// Bucket indices of a span list (zero-length spans only move the index).
fn bucket_indices(spans: &[Span]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next = 0i64;
    for (i, s) in spans.iter().enumerate() {
        let start = if i == 0 {
            i64::from(s.offset)
        } else {
            next + i64::from(s.offset)
        };
        out.extend((0..i64::from(s.length)).map(|k| start + k));
        next = start + i64::from(s.length);
    }
    out
}

/// Prometheus's `Histogram.Equals` (3.x): same values (the sum by its bits) and the same
/// buckets, however the spans spell them.
fn same_histogram<C: crate::histogram::Count>(a: &Histogram<C>, b: &Histogram<C>) -> bool {
    // Bit equality, as Go's `Equals`: NaN equals NaN, -0 differs from 0.
    let floats = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
    };
    a.schema == b.schema
        && a.zero_threshold.to_bits() == b.zero_threshold.to_bits()
        && a.zero_count.same_bits(b.zero_count)
        && a.count.same_bits(b.count)
        && a.sum.to_bits() == b.sum.to_bits()
        && floats(&a.custom_values, &b.custom_values)
        && a.positive_buckets.len() == b.positive_buckets.len()
        && a.positive_buckets
            .iter()
            .zip(&b.positive_buckets)
            .all(|(x, y)| x.same_bits(*y))
        && a.negative_buckets.len() == b.negative_buckets.len()
        && a.negative_buckets
            .iter()
            .zip(&b.negative_buckets)
            .all(|(x, y)| x.same_bits(*y))
        && bucket_indices(&a.positive_spans) == bucket_indices(&b.positive_spans)
        && bucket_indices(&a.negative_spans) == bucket_indices(&b.negative_spans)
}

/// Prometheus's `rangeForTimestamp`: the end of the chunk range holding `t`.
fn range_end(t: i64, width: i64) -> i64 {
    let width = width.max(1);
    (t / width).wrapping_mul(width).wrapping_add(width)
}

/// Prometheus 3.x's `computeChunkEndTime` for a chunk `1/ratio` full: spread the rest of
/// the range evenly over chunks as full as this one will be.
fn chunk_end_time_ratio(start: i64, cur: i64, max: i64, ratio: f64) -> i64 {
    let n =
        max.wrapping_sub(start) as f64 / (cur.wrapping_sub(start).wrapping_add(1) as f64 * ratio);
    if n <= 1.0 {
        max
    } else {
        (start as f64 + max.wrapping_sub(start) as f64 / n.floor()) as i64
    }
}

/// Prometheus's `computeChunkEndTime`: spread the rest of the range evenly over chunks
/// as full as the current one will be at `samples_per_chunk`.
fn chunk_end_time(flavor: Flavor, start: i64, cur: i64, max: i64) -> i64 {
    match flavor {
        Flavor::Prometheus2 => {
            let n = max.wrapping_sub(start)
                / cur
                    .wrapping_sub(start)
                    .wrapping_add(1)
                    .wrapping_mul(4)
                    .max(1);
            if n <= 1 {
                max
            } else {
                start.wrapping_add(max.wrapping_sub(start) / n)
            }
        }
        Flavor::Prometheus3 => {
            let n = max.wrapping_sub(start) as f64
                / ((cur.wrapping_sub(start).wrapping_add(1)) as f64 * 4.0);
            if n <= 1.0 {
                max
            } else {
                (start as f64 + max.wrapping_sub(start) as f64 / n.floor()) as i64
            }
        }
    }
}

/// Builds one block in memory (as encoded chunks) and writes it.
#[derive(Debug)]
pub struct BlockWriter {
    opts: BlockWriterOptions,
    series: HashMap<Labels, MemSeries>,
    deletions: Vec<(Labels, Interval)>,
    min_time: i64,
    max_time: i64,
}

/// Largest XOR chunk Prometheus 3.x appends to, leaving room for a maximal sample.
const MAX_BYTES_BEFORE_APPEND: usize = 1024 - 19;

impl BlockWriter {
    /// An empty block.
    pub fn new(opts: BlockWriterOptions) -> Self {
        BlockWriter {
            opts,
            series: HashMap::new(),
            deletions: Vec::new(),
            min_time: i64::MAX,
            max_time: i64::MIN,
        }
    }

    /// Number of series so far.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Appends a sample. `labels` must be normalised ([`normalize_labels`]).
    ///
    /// As in Prometheus, a sample equal to the series' last one (same timestamp, same value
    /// bits) is ignored; an older one or a different value at the same timestamp is an error.
    /// A stale marker (`f64::from_bits(0x7ff0000000000002)`) after a histogram becomes a
    /// histogram stale marker of the same kind.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        let bits = v.to_bits();
        if bits == STALE_NAN_BITS {
            match self.series.get(labels).map(|s| &s.last) {
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
        let opts = &self.opts;
        let s = match self.series.get_mut(labels) {
            Some(s) => s,
            None => self
                .series
                .entry(labels.clone())
                .or_insert_with(MemSeries::new),
        };
        if !s.accepts(t, |last| matches!(last, LastSample::Float(b) if *b == bits))? {
            return Ok(());
        }
        let spc = opts.samples_per_chunk;
        // Prometheus cuts a new chunk when the open one holds another sample type, is full
        // by size (3.x), when the sample reaches the predicted end time or the chunk range,
        // or at twice the target.
        let cut = match &s.head {
            None => true,
            Some(HeadChunk {
                app: HeadApp::Xor(app),
                min_time,
                max_time,
            }) => {
                let n = app.num_samples();
                if opts.flavor == Flavor::Prometheus3 && app.len() > MAX_BYTES_BEFORE_APPEND {
                    true
                } else {
                    if n == spc / 4 {
                        s.next_at = chunk_end_time(opts.flavor, *min_time, *max_time, s.next_at);
                    }
                    t >= s.next_at || n >= spc.saturating_mul(2) || n == u16::MAX
                }
            }
            Some(_) => true,
        };
        if cut {
            if let Some(h) = s.head.take() {
                s.done.push(h.done());
            }
            s.head = Some(HeadChunk {
                app: HeadApp::Xor(XorAppender::with_flavor(opts.flavor)),
                min_time: t,
                max_time: t,
            });
            s.next_at = range_end(t, opts.chunk_range);
        }
        if let Some(HeadChunk {
            app: HeadApp::Xor(app),
            max_time,
            ..
        }) = s.head.as_mut()
        {
            app.append(t, v);
            *max_time = t;
        }
        s.last = LastSample::Float(bits);
        self.min_time = self.min_time.min(t);
        self.max_time = self.max_time.max(t);
        Ok(())
    }

    /// Appends a native histogram with integer counts (absolute bucket counts, as
    /// [`IntHistogram`] holds them). `labels` must be normalised.
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
        let opts = &self.opts;
        validate_histogram(h, opts.flavor)?;
        let s = match self.series.get_mut(labels) {
            Some(s) => s,
            None => self
                .series
                .entry(labels.clone())
                .or_insert_with(MemSeries::new),
        };
        if !s.accepts(t, |last| K::is_last(last, h))? {
            return Ok(());
        }
        // The head's own cuts (`appendPreprocessor` in 2.42, `histogramsAppendPreprocessor`
        // in 3.x): a new series, another sample type, time and size.
        let cut = match &s.head {
            None => true,
            Some(head) => match K::of(&head.app) {
                None => true,
                Some(_) => {
                    let n = head.app.num_samples();
                    match opts.flavor {
                        Flavor::Prometheus2 => {
                            let spc = opts.samples_per_chunk;
                            if n == spc / 4 {
                                s.next_at = chunk_end_time(
                                    opts.flavor,
                                    head.min_time,
                                    head.max_time,
                                    s.next_at,
                                );
                            }
                            t >= s.next_at || n >= spc.saturating_mul(2) || n == u16::MAX
                        }
                        Flavor::Prometheus3 => {
                            let bytes = head.app.len();
                            let range_start = if s.histogram_end_time_computed {
                                range_end(head.min_time, opts.chunk_range)
                            } else {
                                s.next_at
                            };
                            if !s.histogram_end_time_computed
                                && bytes >= TARGET_BYTES_PER_HISTOGRAM_CHUNK / 4
                            {
                                let ratio = TARGET_BYTES_PER_HISTOGRAM_CHUNK as f64 / bytes as f64;
                                s.next_at = chunk_end_time_ratio(
                                    head.min_time,
                                    head.max_time,
                                    s.next_at,
                                    ratio,
                                );
                                s.histogram_end_time_computed = true;
                            }
                            ((t >= s.next_at || bytes >= 2 * TARGET_BYTES_PER_HISTOGRAM_CHUNK)
                                && (n >= MIN_SAMPLES_PER_HISTOGRAM_CHUNK || t >= range_start))
                                || n == u16::MAX
                        }
                    }
                }
            },
        };
        // The appender's own decision (2.42: `memSeries.appendHistogram`; 3.x:
        // `HistogramAppender.AppendHistogram`) when the head kept the chunk.
        let outcome = match s.head.as_mut().and_then(|head| K::of_mut(&mut head.app)) {
            Some(app) if !cut => Some(app.append(t, h)?),
            _ => None,
        };
        match outcome {
            None => {
                let mut app = K::empty(opts.flavor);
                let prev = s.head.as_ref().and_then(|head| K::of(&head.app));
                app.append_first(prev, t, h)?;
                if let Some(old) = s.head.take() {
                    s.done.push(old.done());
                }
                s.head = Some(HeadChunk {
                    app: app.wrap(),
                    min_time: t,
                    max_time: t,
                });
                s.next_at = range_end(t, opts.chunk_range);
                s.histogram_end_time_computed = false;
            }
            Some(AppendOutcome::Appended | AppendOutcome::Recoded) => {
                if let Some(head) = s.head.as_mut() {
                    head.max_time = t;
                }
            }
            Some(AppendOutcome::Cut(new)) => {
                // A reset, layout change...: Prometheus's head starts a new chunk range but
                // keeps its end-time state.
                if let Some(old) = s.head.take() {
                    s.done.push(old.done());
                }
                s.head = Some(HeadChunk {
                    app: new.wrap(),
                    min_time: t,
                    max_time: t,
                });
                s.next_at = range_end(t, opts.chunk_range);
            }
        }
        s.last = K::last(h);
        self.min_time = self.min_time.min(t);
        self.max_time = self.max_time.max(t);
        Ok(())
    }

    /// Marks `[min, max]` of a series as deleted: written to the block's tombstones file.
    /// Returns false if the series has no samples.
    pub fn delete(&mut self, labels: &Labels, interval: Interval) -> bool {
        if !self.series.contains_key(labels) {
            return false;
        }
        self.deletions.push((labels.clone(), interval));
        true
    }

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

        let mut series: Vec<(Labels, MemSeries)> = self.series.into_iter().collect();
        series.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut symbols: BTreeSet<&str> = BTreeSet::new();
        symbols.insert("");
        for (labels, _) in &series {
            for (n, v) in labels {
                symbols.insert(n);
                symbols.insert(v);
            }
        }

        let index_path = dir.join("index");
        let index_file = File::create(&index_path).map_err(|e| io_err(&index_path, e))?;
        let ix = |e| WriteError::Index {
            path: index_path.clone(),
            source: e,
        };
        let mut index = IndexWriter::new(BufWriter::with_capacity(1 << 16, index_file))
            .map_err(|e| io_err(&index_path, e))?;
        index
            .add_symbols(symbols.iter().map(|s| s.as_bytes()))
            .map_err(ix)?;

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
            let borrowed: Vec<Label<'_>> = labels
                .iter()
                .map(|(n, v)| Label {
                    name: n.as_bytes(),
                    value: v.as_bytes(),
                })
                .collect();
            let id = index.add_series(&borrowed, &metas).map_err(ix)?;
            ids.insert(labels, id);
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
