//! Reading series and samples across blocks.
//!
//! [`SeriesSet`] merges the label-sorted series of several blocks into one label-sorted
//! stream in which every label set appears once; [`Samples`] merges that series' chunks
//! from all blocks into one time-ordered stream with one sample per timestamp, keeping only
//! samples inside the query range and outside the block's tombstones.

use crate::block::{Block, BlockSeries};
use crate::chunkenc::{Encoding, XorIter};
use crate::error::{Error, FormatError, FormatErrorKind, Result, Section};
use crate::index::ChunkMeta;
use crate::labels::Label;
use crate::tombstones::Intervals;

/// A sample's value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A float (exact bits kept: NaN payloads, stale markers, -0).
    Float(f64),
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
#[derive(Debug, Clone)]
struct Part<'a> {
    block: &'a Block,
    tombstones: Option<&'a Intervals>,
    chunks: Vec<ChunkMeta>,
}

/// One series of a query result.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    labels: Vec<Label<'a>>,
    parts: Vec<Part<'a>>,
    mint: i64,
    maxt: i64,
}

impl<'a> Series<'a> {
    /// Labels, sorted by name.
    pub fn labels(&self) -> &[Label<'a>] {
        &self.labels
    }

    /// Chunk metas of this series per block, as `(block, chunks)`, limited to the query range.
    pub fn chunks(&self) -> impl Iterator<Item = (&'a Block, &[ChunkMeta])> + '_ {
        self.parts.iter().map(|p| (p.block, p.chunks.as_slice()))
    }

    /// The samples, merged across blocks.
    pub fn samples(&self) -> Samples<'a> {
        let mut pending: Vec<Pending<'a>> = self
            .parts
            .iter()
            .flat_map(|p| {
                p.chunks.iter().map(move |c| Pending {
                    block: p.block,
                    tombstones: p.tombstones,
                    meta: *c,
                })
            })
            .collect();
        // Latest first, so the next chunk to open is popped from the end.
        pending.sort_by_key(|p| std::cmp::Reverse(p.meta.min_time));
        Samples {
            pending,
            active: Vec::new(),
            mint: self.mint,
            maxt: self.maxt,
            failed: false,
        }
    }
}

/// A chunk not yet opened.
#[derive(Debug, Clone, Copy)]
struct Pending<'a> {
    block: &'a Block,
    tombstones: Option<&'a Intervals>,
    meta: ChunkMeta,
}

/// An opened chunk and its next sample.
#[derive(Debug)]
struct Active<'a> {
    pending: Pending<'a>,
    /// `None` once the head is an error.
    iter: Option<XorIter<'a>>,
    /// The next sample, or an error positioned at a timestamp.
    head: (i64, std::result::Result<f64, Error>),
}

/// Iterator over one series' samples in time order.
#[derive(Debug)]
pub struct Samples<'a> {
    pending: Vec<Pending<'a>>,
    active: Vec<Active<'a>>,
    mint: i64,
    maxt: i64,
    failed: bool,
}

/// Result of advancing a chunk iterator.
enum Step {
    Sample(i64, f64),
    Error(Error),
    Done,
}

impl<'a> Samples<'a> {
    /// Next in-range, not deleted sample of one chunk.
    fn advance(iter: &mut XorIter<'a>, p: &Pending<'a>, mint: i64, maxt: i64) -> Step {
        for r in iter.by_ref() {
            match r {
                Err(e) => return Step::Error(p.block.chunk_data_error(p.meta.chunk_ref, e)),
                Ok((t, v)) => {
                    if t < mint {
                        continue;
                    }
                    if t > maxt {
                        return Step::Done;
                    }
                    if p.tombstones.is_some_and(|iv| iv.contains(t)) {
                        continue;
                    }
                    return Step::Sample(t, v);
                }
            }
        }
        Step::Done
    }

    fn open(&mut self, p: Pending<'a>) {
        let at = p.meta.min_time.max(self.mint);
        let chunk = match p.block.chunk(p.meta.chunk_ref) {
            Ok(c) => c,
            Err(e) => return self.push_error(p, at, e),
        };
        if chunk.encoding != Encoding::Xor {
            let e = FormatError::new(
                Section::Chunk,
                p.meta.chunk_ref & 0xffff_ffff,
                FormatErrorKind::UnsupportedEncoding(chunk.encoding),
            );
            let e = p
                .block
                .chunk_data_error(p.meta.chunk_ref, FormatError { offset: 0, ..e });
            return self.push_error(p, at, e);
        }
        let mut iter = match XorIter::new(chunk.data) {
            Ok(i) => i,
            Err(e) => {
                let e = p.block.chunk_data_error(p.meta.chunk_ref, e);
                return self.push_error(p, at, e);
            }
        };
        match Self::advance(&mut iter, &p, self.mint, self.maxt) {
            Step::Sample(t, v) => self.active.push(Active {
                pending: p,
                iter: Some(iter),
                head: (t, Ok(v)),
            }),
            Step::Error(e) => self.push_error(p, at, e),
            Step::Done => {}
        }
    }

    fn push_error(&mut self, pending: Pending<'a>, at: i64, e: Error) {
        self.active.push(Active {
            pending,
            iter: None,
            head: (at, Err(e)),
        });
    }
}

impl Iterator for Samples<'_> {
    type Item = Result<Sample>;

    fn next(&mut self) -> Option<Result<Sample>> {
        if self.failed {
            return None;
        }
        // Open every chunk that may hold a sample at or before the earliest head.
        loop {
            let min_head = self.active.iter().map(|a| a.head.0).min();
            match self.pending.last() {
                Some(p) if min_head.is_none_or(|m| p.meta.min_time <= m) => {
                    if let Some(p) = self.pending.pop() {
                        self.open(p);
                    }
                }
                _ => break,
            }
        }
        // The earliest head wins; ties go to the chunk opened first.
        let (idx, t) = self
            .active
            .iter()
            .enumerate()
            .min_by_key(|(_, a)| a.head.0)
            .map(|(i, a)| (i, a.head.0))?;
        let value = match &self.active[idx].head.1 {
            Ok(v) => *v,
            Err(_) => {
                self.failed = true;
                let a = self.active.swap_remove(idx);
                return a.head.1.err().map(Err);
            }
        };
        // Advance every chunk positioned at `t` (dropping duplicates of this timestamp).
        let (mint, maxt) = (self.mint, self.maxt);
        let mut i = 0;
        while i < self.active.len() {
            let a = &mut self.active[i];
            let Some(iter) = a.iter.as_mut().filter(|_| a.head.0 == t) else {
                i += 1;
                continue;
            };
            match Self::advance(iter, &a.pending, mint, maxt) {
                Step::Sample(nt, nv) => {
                    a.head = (nt, Ok(nv));
                    i += 1;
                }
                Step::Error(e) => {
                    a.head = (t, Err(e));
                    a.iter = None;
                    i += 1;
                }
                Step::Done => {
                    self.active.remove(i);
                }
            }
        }
        Some(Ok(Sample {
            t,
            value: Value::Float(value),
        }))
    }
}

/// One block's series stream with its current series.
#[derive(Debug)]
struct Cursor<'a> {
    block: &'a Block,
    series: BlockSeries<'a>,
    current: Option<(Vec<Label<'a>>, Part<'a>)>,
}

impl<'a> Cursor<'a> {
    /// Moves to the next series that has chunks in `[mint, maxt]`.
    fn advance(&mut self, mint: i64, maxt: i64) -> Result<()> {
        self.current = None;
        for entry in self.series.by_ref() {
            let mut entry = entry?;
            let tombstones = self.block.tombstones().get(entry.id);
            entry.chunks.retain(|c| {
                c.max_time >= mint
                    && c.min_time <= maxt
                    && !tombstones.is_some_and(|iv| iv.covers(c.min_time, c.max_time))
            });
            if entry.chunks.is_empty() {
                continue;
            }
            self.current = Some((
                entry.labels,
                Part {
                    block: self.block,
                    tombstones,
                    chunks: entry.chunks,
                },
            ));
            return Ok(());
        }
        Ok(())
    }
}

/// Series of several blocks merged by label set, in label order.
#[derive(Debug)]
pub struct SeriesSet<'a> {
    cursors: Vec<Cursor<'a>>,
    mint: i64,
    maxt: i64,
    failed: bool,
}

impl<'a> SeriesSet<'a> {
    /// Series of `blocks` (in the order given, normally by `minTime`) that have data in the
    /// closed range `[mint, maxt]`. Blocks outside the range are not read.
    pub fn new(blocks: impl IntoIterator<Item = &'a Block>, mint: i64, maxt: i64) -> Result<Self> {
        let mut cursors = Vec::new();
        for block in blocks {
            let m = block.meta();
            // Go's OverlapsClosedInterval: block maxTime is exclusive.
            if m.min_time > maxt || mint >= m.max_time {
                continue;
            }
            let mut c = Cursor {
                block,
                series: block.series()?,
                current: None,
            };
            c.advance(mint, maxt)?;
            cursors.push(c);
        }
        Ok(SeriesSet {
            cursors,
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
        let min = self
            .cursors
            .iter()
            .filter_map(|c| c.current.as_ref().map(|(l, _)| l))
            .min()?
            .clone();
        let mut parts = Vec::new();
        for c in &mut self.cursors {
            if c.current.as_ref().is_some_and(|(l, _)| *l == min) {
                if let Some((_, part)) = c.current.take() {
                    parts.push(part);
                }
                if let Err(e) = c.advance(self.mint, self.maxt) {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        Some(Ok(Series {
            labels: min,
            parts,
            mint: self.mint,
            maxt: self.maxt,
        }))
    }
}
