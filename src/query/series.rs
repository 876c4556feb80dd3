//! Reading series and samples across blocks, merged the way Prometheus merges them.
//!
//! [`SeriesSet`] merges the label-sorted series of several blocks into one label-sorted
//! stream in which every label set appears once. [`Samples`] merges one series' samples
//! from every block into one time-ordered stream with one sample per timestamp, keeping
//! only samples inside the query range and outside the block's tombstones.
//!
//! Both merges follow Prometheus's (`storage/merge.go`: `genericMergeSeriesSet`,
//! `chainSampleIterator`) down to Go's `container/heap` sift order, so that when
//! overlapping blocks hold different values for the same timestamp the same one wins.

use crate::chunkenc::{Encoding, FloatHistogramIter, HistogramIter, XorIter};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Section};
use crate::histogram::{FloatHistogram, IntHistogram};
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::storage::{AsBlockReader, BlockReader};
use crate::tombstones::Intervals;

use super::matcher::Matcher;
use super::plan::postings_for_matchers;
use crate::goheap::{heap_pop, heap_push};
use crate::postings::{union, BoxPostings};

/// A sample's value.
///
/// Histogram samples are not copied out per sample: the iterator decodes them into a
/// histogram it reuses, which [`Samples::histogram`] and [`Samples::float_histogram`]
/// lend until the next sample.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A float (exact bits kept: NaN payloads, stale markers, -0).
    Float(f64),
    /// A native histogram with integer counts (chunk encoding 2): see
    /// [`Samples::histogram`].
    Histogram,
    /// A native histogram with float counts (chunk encoding 3): see
    /// [`Samples::float_histogram`].
    FloatHistogram,
}

/// A sample's value lent by [`Samples::next_sample`] and [`Samples::seek`]: a float, or
/// a histogram borrowed from the decoder until the next call.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SampleRef<'s> {
    /// A float (exact bits kept: NaN payloads, stale markers, -0).
    Float(f64),
    /// A native histogram with integer counts (chunk encoding 2).
    Histogram(&'s IntHistogram),
    /// A native histogram with float counts (chunk encoding 3).
    FloatHistogram(&'s FloatHistogram),
}

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Timestamp in milliseconds.
    pub t: i64,
    /// Value.
    pub value: Value,
}

/// The part of a series that one block holds.
#[derive(Clone)]
struct Part<'a> {
    block: &'a dyn BlockReader,
    tombstones: Option<&'a Intervals>,
    chunks: Vec<ChunkMeta>,
}

impl std::fmt::Debug for Part<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("time_range", &self.block.time_range())
            .field("tombstones", &self.tombstones)
            .field("chunks", &self.chunks)
            .finish()
    }
}

/// One series of a query result.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    labels: Vec<Label<'a>>,
    parts: Vec<Part<'a>>,
    mint: i64,
    maxt: i64,
    /// Some block listed chunks of this series that overlap in time (merged).
    overlapping: bool,
}

impl<'a> Series<'a> {
    /// Labels, sorted by name.
    pub fn labels(&self) -> &[Label<'a>] {
        &self.labels
    }

    /// True when a block lists chunks of this series that overlap in time or repeat one
    /// chunk (Prometheus never writes such a block): they are read merged, in time order
    /// with one sample per timestamp, as overlapping blocks are; worth a warning.
    pub fn has_overlapping_chunks(&self) -> bool {
        self.overlapping
    }

    /// Chunk metas of this series per block, as `(block, chunks)`, limited to the query range.
    pub fn chunks(&self) -> impl Iterator<Item = (&'a dyn BlockReader, &[ChunkMeta])> + '_ {
        self.parts.iter().map(|p| (p.block, p.chunks.as_slice()))
    }

    /// When the series lies in one block (or head): that block, the series' chunk metas
    /// in the query range and its deleted intervals there. For copying chunks as they
    /// are; a series spread over several blocks is read with [`samples`](Self::samples).
    pub fn single_part(
        &self,
    ) -> Option<(&'a dyn BlockReader, &[ChunkMeta], Option<&'a Intervals>)> {
        match self.parts.as_slice() {
            [p] => Some((p.block, p.chunks.as_slice(), p.tombstones)),
            _ => None,
        }
    }

    /// The samples, merged across blocks.
    pub fn samples(&self) -> Samples<'a> {
        Samples {
            iters: self
                .parts
                .iter()
                .map(|p| BlockSamples {
                    part: p.clone(),
                    next_chunk: 0,
                    chunk: None,
                    mint: self.mint,
                    maxt: self.maxt,
                    at: None,
                })
                .collect(),
            heap: Vec::new(),
            curr: None,
            started: false,
            last_t: i64::MIN,
            done: false,
        }
    }

    /// The batch path for exporters and dumps: when the series lies in one block, has no
    /// deleted ranges and every chunk is XOR, decodes it chunk by chunk with
    /// [`XorIter::decode_into`] into `ts`/`vs` and calls `f` with each chunk's samples in
    /// the query range; returns `Ok(false)`, having called nothing, for any other series
    /// (read those with [`Series::samples`]). What `f` sees equals what `samples()`
    /// yields: the same range filter and the same skipping of a repeated timestamp, and
    /// a chunk that fails to decode ends it with the same error after the same samples.
    ///
    /// ```
    /// use tsblock::{Db, Querier};
    ///
    /// # fn main() -> tsblock::Result<()> {
    /// let db = Db::open("testdata/blocks/many-series")?;
    /// let (mut ts, mut vs) = (Vec::new(), Vec::new());
    /// for series in db.select(&[], i64::MIN, i64::MAX)? {
    ///     let series = series?;
    ///     let mut n = 0;
    ///     if series.float_batches(&mut ts, &mut vs, |t, _| {
    ///         n += t.len();
    ///         Ok::<_, tsblock::Error>(())
    ///     })? {
    ///         assert_eq!(n, series.samples().count());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// `f`'s error type is the caller's (an output error, say), as long as a read error
    /// converts into it.
    pub fn float_batches<E: From<Error>>(
        &self,
        ts: &mut Vec<i64>,
        vs: &mut Vec<f64>,
        mut f: impl FnMut(&[i64], &[f64]) -> std::result::Result<(), E>,
    ) -> std::result::Result<bool, E> {
        let [part] = self.parts.as_slice() else {
            return Ok(false);
        };
        if part.tombstones.is_some() {
            return Ok(false);
        }
        let reader = part.block.chunk_reader();
        // Every chunk is read (and CRC-checked) once, up front, so that a series this
        // path cannot take falls back before anything was handed out.
        let mut chunks = Vec::with_capacity(part.chunks.len());
        for meta in &part.chunks {
            match reader.chunk(meta) {
                Ok(c) if c.encoding == Encoding::Xor => chunks.push((meta, c)),
                _ => return Ok(false),
            }
        }
        let mut last_t = i64::MIN;
        for (meta, chunk) in chunks {
            ts.clear();
            vs.clear();
            let decoded = XorIter::decode_chunk_into(chunk.data, ts, vs);
            // The range filter and duplicate skip of `BlockSamples` and `Samples::next`,
            // in place: keep t >= mint, stop the chunk at the first t > maxt.
            let end = ts.iter().position(|&t| t > self.maxt).unwrap_or(ts.len());
            let mut kept = 0;
            for i in 0..end {
                let t = ts[i];
                if t < self.mint || t == last_t {
                    continue;
                }
                last_t = t;
                ts[kept] = t;
                vs[kept] = vs[i];
                kept += 1;
            }
            f(&ts[..kept], &vs[..kept])?;
            if let Err(e) = decoded {
                // A decode error past maxt is never reached by `samples()` either.
                if end == ts.len() {
                    return Err(reader.chunk_data_error(meta, e).into());
                }
            }
        }
        Ok(true)
    }
}

/// The current item of a per-block stream: a sample, or an error positioned in time.
type At = (i64, std::result::Result<Value, Error>);

/// A decoder for one chunk of any supported encoding.
#[derive(Debug)]
enum ChunkIter<'a> {
    Xor(XorIter<'a>),
    Histogram(HistogramIter<'a>),
    FloatHistogram(FloatHistogramIter<'a>),
}

impl<'a> ChunkIter<'a> {
    /// A decoder for `encoding`, or the typed error for one this reader does not decode.
    fn new(encoding: Encoding, data: &'a [u8]) -> std::result::Result<Self, FormatError> {
        Ok(match encoding {
            Encoding::Xor => ChunkIter::Xor(XorIter::new(data)?),
            Encoding::Histogram => ChunkIter::Histogram(HistogramIter::new(data)?),
            Encoding::FloatHistogram => ChunkIter::FloatHistogram(FloatHistogramIter::new(data)?),
            e => {
                return Err(FormatError::new(
                    Section::ChunkData,
                    0,
                    FormatErrorKind::UnsupportedEncoding(e),
                ))
            }
        })
    }

    #[inline]
    fn next(&mut self) -> Option<std::result::Result<(i64, Value), FormatError>> {
        match self {
            ChunkIter::Xor(it) => it.next().map(|r| r.map(|(t, v)| (t, Value::Float(v)))),
            ChunkIter::Histogram(it) => it.next().map(|r| r.map(|t| (t, Value::Histogram))),
            ChunkIter::FloatHistogram(it) => {
                it.next().map(|r| r.map(|t| (t, Value::FloatHistogram)))
            }
        }
    }
}

/// One series' samples within one block: its chunks in order, range and tombstones applied.
#[derive(Debug)]
struct BlockSamples<'a> {
    part: Part<'a>,
    next_chunk: usize,
    chunk: Option<(ChunkMeta, ChunkIter<'a>)>,
    mint: i64,
    maxt: i64,
    at: Option<At>,
}

impl<'a> BlockSamples<'a> {
    fn t(&self) -> i64 {
        self.at.as_ref().map_or(i64::MAX, |a| a.0)
    }

    fn is_err(&self) -> bool {
        matches!(self.at, Some((_, Err(_))))
    }

    /// Moves to the next sample (or error); false at the end.
    fn advance(&mut self) -> bool {
        if self.is_err() {
            self.at = None;
            return false;
        }
        self.at = self.next_item();
        self.at.is_some()
    }

    /// Moves to the first sample at or after `t` (staying on the current one if it is),
    /// skipping chunks that end before `t` without decoding them; false at the end.
    fn seek(&mut self, t: i64) -> bool {
        if let Some((at, r)) = &self.at {
            if *at >= t || r.is_err() {
                return true;
            }
        }
        if self.chunk.as_ref().is_some_and(|(m, _)| m.max_time < t) {
            self.chunk = None;
        }
        if self.chunk.is_none() {
            while self
                .part
                .chunks
                .get(self.next_chunk)
                .is_some_and(|m| m.max_time < t)
            {
                self.next_chunk += 1;
            }
        }
        loop {
            if !self.advance() {
                return false;
            }
            if self.t() >= t || self.is_err() {
                return true;
            }
        }
    }

    fn next_item(&mut self) -> Option<At> {
        let p = &self.part;
        loop {
            if let Some((meta, it)) = self.chunk.as_mut() {
                let meta = *meta;
                let mut failed = None;
                while let Some(r) = it.next() {
                    match r {
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                        Ok((t, v)) => {
                            if t < self.mint || p.tombstones.is_some_and(|iv| iv.contains(t)) {
                                continue;
                            }
                            if t > self.maxt {
                                break;
                            }
                            return Some((t, Ok(v)));
                        }
                    }
                }
                self.chunk = None;
                if let Some(e) = failed {
                    let at = meta.min_time.max(self.mint);
                    let e = p.block.chunk_reader().chunk_data_error(&meta, e);
                    return Some((at, Err(e)));
                }
            }
            let meta = *p.chunks.get(self.next_chunk)?;
            self.next_chunk += 1;
            let at = meta.min_time.max(self.mint);
            let chunks = p.block.chunk_reader();
            let chunk = match chunks.chunk(&meta) {
                Ok(c) => c,
                Err(e) => return Some((at, Err(e))),
            };
            match ChunkIter::new(chunk.encoding, chunk.data) {
                Ok(it) => self.chunk = Some((meta, it)),
                Err(e) => return Some((at, Err(chunks.chunk_data_error(&meta, e)))),
            }
        }
    }
}

/// Iterator over one series' samples in time order (Prometheus's `chainSampleIterator`).
#[derive(Debug)]
pub struct Samples<'a> {
    /// One stream per block, in the order the series sets were merged.
    iters: Vec<BlockSamples<'a>>,
    /// Indices into `iters`, a Go heap ordered by current timestamp.
    heap: Vec<usize>,
    curr: Option<usize>,
    started: bool,
    last_t: i64,
    done: bool,
}

impl Samples<'_> {
    /// The integer histogram of the last sample returned, if it was one
    /// ([`Value::Histogram`]); valid until the next call to `next`.
    pub fn histogram(&self) -> Option<&IntHistogram> {
        match self.current_chunk()? {
            ChunkIter::Histogram(it) => Some(it.at()),
            _ => None,
        }
    }

    /// The float histogram of the last sample returned, if it was one
    /// ([`Value::FloatHistogram`]); valid until the next call to `next`.
    pub fn float_histogram(&self) -> Option<&FloatHistogram> {
        match self.current_chunk()? {
            ChunkIter::FloatHistogram(it) => Some(it.at()),
            _ => None,
        }
    }

    /// The next sample with its value lent: floats by value, histograms borrowed from the
    /// decoder (no copy, no allocation per sample) until the next call.
    ///
    /// ```
    /// use tsblock::query::SampleRef;
    /// use tsblock::{Db, Querier};
    ///
    /// # fn main() -> tsblock::Result<()> {
    /// let db = Db::open("testdata/blocks/spec-histograms")?;
    /// let (mut floats, mut buckets) = (0, 0);
    /// for series in db.select(&[], i64::MIN, i64::MAX)? {
    ///     let series = series?;
    ///     let mut samples = series.samples();
    ///     while let Some(sample) = samples.next_sample() {
    ///         match sample?.1 {
    ///             SampleRef::Float(_) => floats += 1,
    ///             SampleRef::Histogram(h) => buckets += h.positive_buckets_iter().count(),
    ///             SampleRef::FloatHistogram(h) => buckets += h.positive_buckets_iter().count(),
    ///             _ => {}
    ///         }
    ///     }
    /// }
    /// assert!(buckets > 0);
    /// # let _ = floats;
    /// # Ok(())
    /// # }
    /// ```
    pub fn next_sample(&mut self) -> Option<Result<(i64, SampleRef<'_>)>> {
        match self.next()? {
            Ok(s) => self.lend(s.t),
            Err(e) => Some(Err(e)),
        }
    }

    /// Moves to the first sample at or after `t` and lends it, as Prometheus's
    /// `Iterator.Seek`: a seek to a time at or before the current sample stays on it.
    /// Whole chunks that end before `t` are skipped without being decoded. After the
    /// returned sample, [`Samples::next_sample`] (or `next`) goes on from there.
    pub fn seek(&mut self, t: i64) -> Option<Result<(i64, SampleRef<'_>)>> {
        if self.done {
            return None;
        }
        if self.started {
            if let Some(c) = self.curr {
                if let Some((at, Ok(_))) = self.iters.get(c).and_then(|b| b.at.as_ref()) {
                    if *at >= t {
                        return self.lend(*at);
                    }
                }
            }
        }
        self.started = true;
        self.heap.clear();
        let iters = &mut self.iters;
        for i in 0..iters.len() {
            if iters[i].seek(t) {
                heap_push(&mut self.heap, i, |a, b| iters[*a].t() < iters[*b].t());
            }
        }
        let Some(c) = heap_pop(&mut self.heap, |a, b| iters[*a].t() < iters[*b].t()) else {
            self.curr = None;
            self.done = true;
            return None;
        };
        self.curr = Some(c);
        self.last_t = iters[c].t();
        match iters[c].at.take() {
            Some((at, Ok(v))) => {
                iters[c].at = Some((at, Ok(v)));
                self.lend(at)
            }
            Some((_, Err(e))) => {
                self.done = true;
                Some(Err(e))
            }
            None => None,
        }
    }

    /// The current sample (just returned by `next`, at time `t`) with its value lent.
    fn lend(&self, t: i64) -> Option<Result<(i64, SampleRef<'_>)>> {
        let b = self.iters.get(self.curr?)?;
        let value = match (&b.at, b.chunk.as_ref().map(|(_, it)| it)) {
            (Some((_, Ok(Value::Float(v)))), _) => SampleRef::Float(*v),
            (Some((_, Ok(Value::Histogram))), Some(ChunkIter::Histogram(it))) => {
                SampleRef::Histogram(it.at())
            }
            (Some((_, Ok(Value::FloatHistogram))), Some(ChunkIter::FloatHistogram(it))) => {
                SampleRef::FloatHistogram(it.at())
            }
            _ => return None,
        };
        Some(Ok((t, value)))
    }

    /// The chunk decoder that produced the last sample returned.
    fn current_chunk(&self) -> Option<&ChunkIter<'_>> {
        let b = self.iters.get(self.curr?)?;
        if !matches!(b.at, Some((_, Ok(_)))) {
            return None;
        }
        b.chunk.as_ref().map(|(_, it)| it)
    }
}

impl Iterator for Samples<'_> {
    type Item = Result<Sample>;

    fn next(&mut self) -> Option<Result<Sample>> {
        if self.done {
            return None;
        }
        let iters = &mut self.iters;
        if !self.started {
            self.started = true;
            self.curr = if iters.is_empty() { None } else { Some(0) };
            for i in 1..iters.len() {
                if iters[i].advance() {
                    heap_push(&mut self.heap, i, |a, b| iters[*a].t() < iters[*b].t());
                }
            }
        }
        let mut c = self.curr?;
        let t = loop {
            if iters[c].advance() {
                let t = iters[c].t();
                // A second sample at the last timestamp is a duplicate; an error never is.
                if t == self.last_t && !iters[c].is_err() {
                    continue;
                }
                let Some(&top) = self.heap.first() else {
                    break t;
                };
                if t < iters[top].t() {
                    break t;
                }
                heap_push(&mut self.heap, c, |a, b| iters[*a].t() < iters[*b].t());
            } else if self.heap.is_empty() {
                self.curr = None;
                self.done = true;
                return None;
            }
            c = heap_pop(&mut self.heap, |a, b| iters[*a].t() < iters[*b].t())?;
            let t = iters[c].t();
            if t != self.last_t || iters[c].is_err() {
                break t;
            }
        };
        self.curr = Some(c);
        self.last_t = t;
        match iters[c].at.take() {
            Some((t, Ok(value))) => {
                iters[c].at = Some((t, Ok(value)));
                Some(Ok(Sample { t, value }))
            }
            Some((_, Err(e))) => {
                self.done = true;
                Some(Err(e))
            }
            None => None,
        }
    }
}

/// One block's series stream with its current series.
struct Cursor<'a> {
    block: &'a dyn BlockReader,
    refs: BoxPostings<'a>,
    /// The current series' labels, its parts, and whether its metas overlapped.
    current: Option<(Vec<Label<'a>>, Vec<Part<'a>>, bool)>,
}

/// Chunk metas of one series that overlap in time (or repeat a chunk), split into lists
/// that do not, each read as a part of its own: the sample merge of overlapping blocks
/// then gives time order and one sample per timestamp, as Prometheus merges them. A
/// chunk listed twice is read once.
///
/// The metas are placed in start order, each after the list that ended earliest when
/// that one ends before it starts (a heap of list ends): O(n log n), and never more lists
/// than chunks, so the work stays proportional to the bytes read. The second value is
/// true when the metas were not already in order without overlaps.
fn split_overlapping(mut chunks: Vec<ChunkMeta>) -> (Vec<Vec<ChunkMeta>>, bool) {
    use std::cmp::Reverse;
    // In order means in time and in reference (as a block's writer lays a series' chunks
    // out): metas in time order that repeat a reference would read one chunk many times.
    let ordered = chunks
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.max_time < b.min_time && a.chunk_ref.0 < b.chunk_ref.0));
    if ordered {
        return (vec![chunks], false);
    }
    chunks.sort_by_key(|c| (c.chunk_ref.0, c.min_time));
    chunks.dedup_by_key(|c| c.chunk_ref.0);
    chunks.sort_by_key(|c| (c.min_time, c.max_time));
    let mut lists: Vec<Vec<ChunkMeta>> = Vec::new();
    // (end of the list's last chunk, list index), the earliest end on top.
    let mut ends: std::collections::BinaryHeap<Reverse<(i64, usize)>> = Default::default();
    for c in chunks {
        let at = match ends.peek() {
            Some(&Reverse((end, i))) if end < c.min_time => {
                ends.pop();
                i
            }
            _ => {
                lists.push(Vec::new());
                lists.len() - 1
            }
        };
        if let Some(l) = lists.get_mut(at) {
            l.push(c);
        }
        ends.push(Reverse((c.max_time, at)));
    }
    (lists, true)
}

impl<'a> Cursor<'a> {
    /// Moves to the next series that has chunks in `[mint, maxt]`; false at the end.
    fn advance(&mut self, mint: i64, maxt: i64) -> Result<bool> {
        self.current = None;
        let index = self.block.index_reader();
        while self.refs.next() {
            let id = self.refs.at();
            let mut labels = Vec::new();
            let mut chunks = Vec::new();
            index.series(id, &mut labels, &mut chunks)?;
            let tombstones = self.block.deleted(id);
            chunks.retain(|c| {
                c.max_time >= mint
                    && c.min_time <= maxt
                    && !tombstones.is_some_and(|iv| iv.covers(c.min_time, c.max_time))
            });
            if chunks.is_empty() {
                continue;
            }
            let (lists, overlapping) = split_overlapping(chunks);
            let parts = lists
                .into_iter()
                .map(|chunks| Part {
                    block: self.block,
                    tombstones,
                    chunks,
                })
                .collect();
            self.current = Some((labels, parts, overlapping));
            return Ok(true);
        }
        match self.refs.error() {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }

    fn labels(&self) -> &[Label<'a>] {
        self.current.as_ref().map_or(&[], |(l, ..)| l.as_slice())
    }
}

/// Series of several blocks merged by label set, in label order
/// (Prometheus's `genericMergeSeriesSet`).
pub struct SeriesSet<'a> {
    /// A Go heap of cursors ordered by their current labels.
    heap: Vec<Cursor<'a>>,
    /// The cursors that produced the last series, to advance before the next.
    taken: Vec<Cursor<'a>>,
    mint: i64,
    maxt: i64,
    failed: bool,
}

fn cursor_less(a: &Cursor<'_>, b: &Cursor<'_>) -> bool {
    a.labels() < b.labels()
}

impl<'a> SeriesSet<'a> {
    /// Series of `blocks` (in the order given, normally by `minTime`) that have data in the
    /// closed range `[mint, maxt]`. Blocks outside the range are not read.
    pub fn new<B: AsBlockReader + ?Sized + 'a>(
        blocks: impl IntoIterator<Item = &'a B>,
        mint: i64,
        maxt: i64,
    ) -> Result<Self> {
        Self::select(blocks, &[], mint, maxt)
    }

    /// Series of `blocks` that pass every matcher of at least one of `selectors` and have
    /// data in `[mint, maxt]`; no selectors selects every series. Each block resolves the
    /// selectors through its postings and reads only the series they name.
    pub fn select<B: AsBlockReader + ?Sized + 'a>(
        blocks: impl IntoIterator<Item = &'a B>,
        selectors: &[&[Matcher]],
        mint: i64,
        maxt: i64,
    ) -> Result<Self> {
        let mut heap = Vec::new();
        for block in blocks {
            let block = block.as_block_reader();
            let (min_time, max_time) = block.time_range();
            // Go's OverlapsClosedInterval: block maxTime is exclusive.
            if min_time > maxt || mint >= max_time {
                continue;
            }
            let mut c = Cursor {
                block,
                refs: block_postings(block, selectors)?,
                current: None,
            };
            if c.advance(mint, maxt)? {
                heap_push(&mut heap, c, cursor_less);
            }
        }
        Ok(SeriesSet {
            heap,
            taken: Vec::new(),
            mint,
            maxt,
            failed: false,
        })
    }
}

impl<'a> Iterator for SeriesSet<'a> {
    type Item = Result<Series<'a>>;

    fn next(&mut self) -> Option<Result<Series<'a>>> {
        if self.failed {
            return None;
        }
        for mut c in std::mem::take(&mut self.taken) {
            match c.advance(self.mint, self.maxt) {
                Ok(true) => heap_push(&mut self.heap, c, cursor_less),
                Ok(false) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        // The first cursor's labels move into the series; the others only compare.
        let mut first = heap_pop(&mut self.heap, cursor_less)?;
        let current = first.current.take();
        self.taken.push(first);
        let (labels, mut parts, mut overlapping) = current.unwrap_or_default();
        while self
            .heap
            .first()
            .is_some_and(|c| c.labels() == labels.as_slice())
        {
            let Some(mut c) = heap_pop(&mut self.heap, cursor_less) else {
                break;
            };
            if let Some((_, more, o)) = c.current.take() {
                overlapping |= o;
                parts.extend(more);
            }
            self.taken.push(c);
        }
        Some(Ok(Series {
            labels,
            parts,
            mint: self.mint,
            maxt: self.maxt,
            overlapping,
        }))
    }
}

/// The series of `block` that pass any of `selectors` (every series if there are none).
pub(crate) fn block_postings<'a>(
    block: &'a dyn BlockReader,
    selectors: &[&[Matcher]],
) -> Result<BoxPostings<'a>> {
    let index = block.index_reader();
    let resolve = |m: &[Matcher]| postings_for_matchers(index, m);
    if selectors.is_empty() {
        return resolve(&[]);
    }
    let mut sets = Vec::with_capacity(selectors.len());
    for m in selectors {
        sets.push(resolve(m)?);
    }
    Ok(union(sets))
}

#[cfg(test)]
mod tests {
    fn meta(min: i64, max: i64, r: u64) -> ChunkMeta {
        ChunkMeta {
            min_time: min,
            max_time: max,
            chunk_ref: crate::refs::ChunkRef(r),
        }
    }

    #[test]
    fn overlapping_metas_split_into_ordered_lists() {
        let ordered = vec![meta(0, 9, 1), meta(10, 19, 2)];
        assert_eq!(split_overlapping(ordered.clone()), (vec![ordered], false));
        // Repeats read once; overlaps in lists of their own; every list in order.
        let mut metas = vec![meta(0, 9, 1); 1000];
        metas.extend([
            meta(5, 14, 2),
            meta(10, 19, 3),
            meta(15, 24, 4),
            meta(3, 4, 5),
        ]);
        let (lists, irregular) = split_overlapping(metas);
        assert!(irregular);
        let mut refs: Vec<u64> = lists.iter().flatten().map(|c| c.chunk_ref.0).collect();
        refs.sort_unstable();
        assert_eq!(refs, vec![1, 2, 3, 4, 5]);
        for l in &lists {
            assert!(l.windows(2).all(|w| w[0].max_time < w[1].min_time), "{l:?}");
        }
        // In time order but one chunk throughout: read once, not 1,000 times.
        let repeated: Vec<ChunkMeta> = (0..1000).map(|i| meta(i, i, 7)).collect();
        let (lists, irregular) = split_overlapping(repeated);
        assert!(irregular);
        assert_eq!(lists.iter().flatten().count(), 1);
        // 50,000 chunks all overlapping: one list each, found in n log n.
        let many: Vec<ChunkMeta> = (0..50_000).map(|i| meta(i, 1_000_000, i as u64)).collect();
        assert_eq!(split_overlapping(many).0.len(), 50_000);
    }

    use super::*;

    /// Go's heap on ints with ties broken by position, as container/heap does.
    #[test]
    fn go_heap_order() {
        let mut h = Vec::new();
        let less = |a: &(i32, char), b: &(i32, char)| a.0 < b.0;
        for x in [
            (3, 'a'),
            (1, 'b'),
            (2, 'c'),
            (1, 'd'),
            (3, 'e'),
            (2, 'f'),
            (1, 'g'),
            (3, 'h'),
        ] {
            heap_push(&mut h, x, less);
        }
        let mut out = Vec::new();
        while let Some(x) = heap_pop(&mut h, less) {
            out.push(x);
        }
        // The order Go 1.19's container/heap pops the same pushes in.
        let go: Vec<(i32, char)> = vec![
            (1, 'b'),
            (1, 'd'),
            (1, 'g'),
            (2, 'f'),
            (2, 'c'),
            (3, 'a'),
            (3, 'e'),
            (3, 'h'),
        ];
        assert_eq!(out, go);
    }
}
