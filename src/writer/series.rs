//! What the writer keeps of a series while the block is built, as Prometheus's head keeps
//! it in `memSeries`: finished chunks, the open chunk and its appender, the last sample
//! (for duplicates and stale markers) and the chunk-cutting state.

use super::cut::{CutPolicy, CutState, OpenChunk};
use super::histogram::same_histogram;
use super::AppendError;
use crate::chunkenc::{
    AppendOutcome, Encoding, Flavor, FloatHistogramAppender, HistogramAppendError,
    HistogramAppender, XorAppender,
};
use crate::histogram::{FloatHistogram, Histogram, IntHistogram};

/// An encoded chunk.
#[derive(Debug)]
pub(crate) struct DoneChunk {
    pub(crate) encoding: Encoding,
    pub(crate) min_time: i64,
    pub(crate) max_time: i64,
    pub(crate) num_samples: u16,
    pub(crate) data: Vec<u8>,
}

/// The appender of an open chunk.
#[derive(Debug)]
pub(crate) enum HeadApp {
    Xor(XorAppender),
    // Boxed: a float series (the common case) then carries a small state, which matters
    // when a head replay touches thousands of series per scrape.
    Histogram(Box<HistogramAppender>),
    FloatHistogram(Box<FloatHistogramAppender>),
}

impl HeadApp {
    pub(crate) fn num_samples(&self) -> u16 {
        match self {
            HeadApp::Xor(a) => a.num_samples(),
            HeadApp::Histogram(a) => a.num_samples(),
            HeadApp::FloatHistogram(a) => a.num_samples(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            HeadApp::Xor(a) => a.len(),
            HeadApp::Histogram(a) => a.len(),
            HeadApp::FloatHistogram(a) => a.len(),
        }
    }
}

/// The open chunk of a series.
#[derive(Debug)]
pub(crate) struct HeadChunk {
    pub(crate) app: HeadApp,
    pub(crate) min_time: i64,
    pub(crate) max_time: i64,
}

impl HeadChunk {
    /// What the cutting policy looks at.
    pub(crate) fn open(&self) -> OpenChunk {
        OpenChunk {
            min_time: self.min_time,
            max_time: self.max_time,
            num_samples: self.app.num_samples(),
            bytes: self.app.len(),
        }
    }

    pub(crate) fn done(self) -> DoneChunk {
        let num_samples = self.app.num_samples();
        let (encoding, mut data) = match self.app {
            HeadApp::Xor(a) => (Encoding::Xor, a.finish()),
            HeadApp::Histogram(a) => (Encoding::Histogram, (*a).finish()),
            HeadApp::FloatHistogram(a) => (Encoding::FloatHistogram, (*a).finish()),
        };
        // Finished chunks are kept until the block (or head) is complete: without the
        // slack of a growing buffer (up to half of it).
        data.shrink_to_fit();
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
pub(crate) enum LastSample {
    Float(u64),
    Histogram(Box<IntHistogram>),
    FloatHistogram(Box<FloatHistogram>),
}

/// One series being built: its finished chunks, its open chunk and the head's state.
#[derive(Debug)]
pub(crate) struct MemSeries {
    pub(crate) done: Vec<DoneChunk>,
    pub(crate) head: Option<HeadChunk>,
    pub(crate) last: LastSample,
    pub(crate) cut: CutState,
    /// Newest timestamp of chunks kept elsewhere (a head's m-mapped chunks), which later
    /// samples must follow; `i64::MIN` when there are none.
    pub(crate) floor: i64,
}

impl MemSeries {
    pub(crate) fn new() -> Self {
        MemSeries {
            done: Vec::new(),
            head: None,
            last: LastSample::Float(0),
            cut: CutState::new(),
            floor: i64::MIN,
        }
    }

    /// Timestamp of the newest sample.
    pub(crate) fn last_time(&self) -> Option<i64> {
        self.head
            .as_ref()
            .map(|h| h.max_time)
            .or(self.done.last().map(|c| c.max_time))
            .or((self.floor != i64::MIN).then_some(self.floor))
    }

    /// Appends a float sample as Prometheus's `memSeries.append` does: `Ok(false)` for a
    /// repeat of the last sample, an error for an older or conflicting one (nothing
    /// changes then).
    pub(crate) fn append_float(
        &mut self,
        policy: &CutPolicy,
        flavor: Flavor,
        t: i64,
        v: f64,
    ) -> Result<bool, AppendError> {
        let bits = v.to_bits();
        if !self.accepts(t, |last| matches!(last, LastSample::Float(b) if *b == bits))? {
            return Ok(false);
        }
        // Prometheus cuts a new chunk when the open one holds another sample type, or when
        // its policy says so.
        let cut = match &self.head {
            Some(head) if matches!(head.app, HeadApp::Xor(_)) => {
                policy.cut_float(&mut self.cut, head.open(), t)
            }
            _ => true,
        };
        if cut {
            if let Some(h) = self.head.take() {
                self.done.push(h.done());
            }
            self.head = Some(HeadChunk {
                app: HeadApp::Xor(XorAppender::with_flavor(flavor)),
                min_time: t,
                max_time: t,
            });
            policy.chunk_started(&mut self.cut, t);
        }
        if let Some(HeadChunk {
            app: HeadApp::Xor(app),
            max_time,
            ..
        }) = self.head.as_mut()
        {
            app.append(t, v);
            *max_time = t;
        }
        self.last = LastSample::Float(bits);
        Ok(true)
    }

    /// Appends a whole encoded chunk after the series' samples, as a compaction copies a
    /// chunk it does not re-encode: the open chunk is closed first, and the next sample
    /// starts a new one. Refused when it does not start after the last sample.
    pub(crate) fn append_chunk(&mut self, chunk: DoneChunk) -> Result<(), AppendError> {
        if let Some(last) = self.last_time() {
            if chunk.min_time <= last {
                return Err(AppendError::OutOfOrder {
                    t: chunk.min_time,
                    last,
                });
            }
        }
        if let Some(h) = self.head.take() {
            self.done.push(h.done());
        }
        // For stale markers and duplicates the last sample's type is what matters; a
        // sample at the chunk's last timestamp is refused as out of order or a duplicate
        // timestamp, never taken as a repeat (no value has these NaN bits).
        self.last = match chunk.encoding {
            Encoding::Histogram => LastSample::Histogram(Box::default()),
            Encoding::FloatHistogram => LastSample::FloatHistogram(Box::default()),
            _ => LastSample::Float(0x7ff0_dead_beef_0001),
        };
        self.cut = CutState::new();
        self.done.push(chunk);
        Ok(())
    }

    /// Appends a histogram sample as Prometheus's `memSeries.appendHistogram` does; see
    /// [`append_float`](Self::append_float). The appender refuses a histogram chunks
    /// cannot hold (see [`crate::chunkenc::validate_histogram`]).
    pub(crate) fn append_histogram<K: HistogramKind>(
        &mut self,
        policy: &CutPolicy,
        flavor: Flavor,
        t: i64,
        h: &Histogram<K::Count>,
    ) -> Result<bool, AppendError> {
        if !self.accepts(t, |last| K::is_last(last, h))? {
            return Ok(false);
        }
        // The head's own cuts (`appendPreprocessor` in 2.42, `histogramsAppendPreprocessor`
        // in 3.x): a new series, another sample type, time and size.
        let cut = match &self.head {
            Some(head) if K::of(&head.app).is_some() => {
                policy.cut_histogram(&mut self.cut, head.open(), t)
            }
            _ => true,
        };
        // The appender's own decision (2.42: `memSeries.appendHistogram`; 3.x:
        // `HistogramAppender.AppendHistogram`) when the head kept the chunk.
        let outcome = match self.head.as_mut().and_then(|head| K::of_mut(&mut head.app)) {
            Some(app) if !cut => Some(app.append(t, h)?),
            _ => None,
        };
        match outcome {
            None => {
                let mut app = K::empty(flavor);
                let prev = self.head.as_ref().and_then(|head| K::of(&head.app));
                app.append_first(prev, t, h)?;
                if let Some(old) = self.head.take() {
                    self.done.push(old.done());
                }
                self.head = Some(HeadChunk {
                    app: app.wrap(),
                    min_time: t,
                    max_time: t,
                });
                policy.chunk_started(&mut self.cut, t);
            }
            Some(AppendOutcome::Appended | AppendOutcome::Recoded) => {
                if let Some(head) = self.head.as_mut() {
                    head.max_time = t;
                }
            }
            Some(AppendOutcome::Cut(new)) => {
                // A reset, layout change...: Prometheus's head starts a new chunk range but
                // keeps its end-time state.
                if let Some(old) = self.head.take() {
                    self.done.push(old.done());
                }
                self.head = Some(HeadChunk {
                    app: new.wrap(),
                    min_time: t,
                    max_time: t,
                });
                policy.appender_cut(&mut self.cut, t);
            }
        }
        self.last = K::last(h);
        Ok(true)
    }

    /// Prometheus's ordering rules for a sample at `t`: `Ok(true)` to append it,
    /// `Ok(false)` to ignore it (`same` says it repeats the last sample at that time), or
    /// an error for an older sample or a different one at the same time.
    pub(crate) fn accepts(
        &self,
        t: i64,
        same: impl FnOnce(&LastSample) -> bool,
    ) -> Result<bool, AppendError> {
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

/// What differs between the two histogram appenders, for the writer.
pub(crate) trait HistogramKind: Sized {
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
                    HeadApp::$variant(a) => Some(&**a),
                    _ => None,
                }
            }

            fn of_mut(app: &mut HeadApp) -> Option<&mut Self> {
                match app {
                    HeadApp::$variant(a) => Some(&mut **a),
                    _ => None,
                }
            }

            fn wrap(self) -> HeadApp {
                HeadApp::$variant(Box::new(self))
            }

            fn last(h: &Histogram<$count>) -> LastSample {
                LastSample::$variant(Box::new(h.clone()))
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
