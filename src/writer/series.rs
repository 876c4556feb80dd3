//! What the writer keeps of a series while the block is built, as Prometheus's head keeps
//! it in `memSeries`: finished chunks, the open chunk and its appender, the last sample
//! (for duplicates and stale markers) and the chunk-cutting state.

use super::cut::{CutState, OpenChunk};
use super::histogram::same_histogram;
use super::AppendError;
use crate::chunkenc::{
    AppendOutcome, Encoding, Flavor, FloatHistogramAppender, HistogramAppendError,
    HistogramAppender, XorAppender,
};
use crate::histogram::{FloatHistogram, Histogram, IntHistogram};

/// An encoded chunk.
#[derive(Debug)]
pub(super) struct DoneChunk {
    pub(super) encoding: Encoding,
    pub(super) min_time: i64,
    pub(super) max_time: i64,
    pub(super) num_samples: u16,
    pub(super) data: Vec<u8>,
}

/// The appender of an open chunk.
#[derive(Debug)]
pub(super) enum HeadApp {
    Xor(XorAppender),
    Histogram(HistogramAppender),
    FloatHistogram(FloatHistogramAppender),
}

impl HeadApp {
    pub(super) fn num_samples(&self) -> u16 {
        match self {
            HeadApp::Xor(a) => a.num_samples(),
            HeadApp::Histogram(a) => a.num_samples(),
            HeadApp::FloatHistogram(a) => a.num_samples(),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            HeadApp::Xor(a) => a.len(),
            HeadApp::Histogram(a) => a.len(),
            HeadApp::FloatHistogram(a) => a.len(),
        }
    }
}

/// The open chunk of a series.
#[derive(Debug)]
pub(super) struct HeadChunk {
    pub(super) app: HeadApp,
    pub(super) min_time: i64,
    pub(super) max_time: i64,
}

impl HeadChunk {
    /// What the cutting policy looks at.
    pub(super) fn open(&self) -> OpenChunk {
        OpenChunk {
            min_time: self.min_time,
            max_time: self.max_time,
            num_samples: self.app.num_samples(),
            bytes: self.app.len(),
        }
    }

    pub(super) fn done(self) -> DoneChunk {
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
pub(super) enum LastSample {
    Float(u64),
    Histogram(IntHistogram),
    FloatHistogram(FloatHistogram),
}

/// One series being built: its finished chunks, its open chunk and the head's state.
#[derive(Debug)]
pub(super) struct MemSeries {
    pub(super) done: Vec<DoneChunk>,
    pub(super) head: Option<HeadChunk>,
    pub(super) last: LastSample,
    pub(super) cut: CutState,
}

impl MemSeries {
    pub(super) fn new() -> Self {
        MemSeries {
            done: Vec::new(),
            head: None,
            last: LastSample::Float(0),
            cut: CutState::new(),
        }
    }

    /// Timestamp of the newest sample.
    pub(super) fn last_time(&self) -> Option<i64> {
        self.head
            .as_ref()
            .map(|h| h.max_time)
            .or(self.done.last().map(|c| c.max_time))
    }

    /// Prometheus's ordering rules for a sample at `t`: `Ok(true)` to append it,
    /// `Ok(false)` to ignore it (`same` says it repeats the last sample at that time), or
    /// an error for an older sample or a different one at the same time.
    pub(super) fn accepts(
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
pub(super) trait HistogramKind: Sized {
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
