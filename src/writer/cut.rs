//! When Prometheus's head cuts a chunk: its size and time rules, per flavour.
//!
//! Kept apart from [`BlockWriter`](super::BlockWriter) because these rules are not the
//! writer's own: they are the head's (`memSeries.append` and its preprocessors), and
//! anything that rebuilds chunks the way the head built them (the block writer, a WAL
//! replay) must apply the very same ones to get the same chunk boundaries. The policy only
//! looks at numbers (sample count, byte size, times) so it works for any appender.
//!
//! | | Prometheus 2.x (2.42) | Prometheus 3.x |
//! |---|---|---|
//! | floats | 120-sample target: end time predicted at 30 samples, cut at 240 | same, and before a chunk passes 1024 bytes |
//! | histograms | as floats | 1024-byte target: end time predicted at 256 bytes, cut at 2048 bytes, at least 10 samples per chunk unless the chunk range ends |
//!
//! Chunks never cross a multiple of the chunk range. Cuts the histogram appender makes
//! itself (counter resets, layout changes) are not decided here; see
//! [`CutPolicy::appender_cut`] for how they affect the head's state.

use crate::chunkenc::Flavor;

/// Prometheus 3.x's byte target of a histogram chunk (`TargetBytesPerHistogramChunk`).
const TARGET_BYTES_PER_HISTOGRAM_CHUNK: usize = 1024;
/// Prometheus 3.x's sample minimum of a histogram chunk (`MinSamplesPerHistogramChunk`).
const MIN_SAMPLES_PER_HISTOGRAM_CHUNK: u16 = 10;
/// Largest XOR chunk Prometheus 3.x appends to, leaving room for a maximal sample.
const MAX_BYTES_BEFORE_APPEND: usize = 1024 - 19;

/// What the policy needs to know of a series' open chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenChunk {
    /// Timestamp of the chunk's first sample.
    pub min_time: i64,
    /// Timestamp of the chunk's last sample.
    pub max_time: i64,
    /// Samples in the chunk.
    pub num_samples: u16,
    /// Encoded size in bytes so far (without 2.x's trailing pad byte).
    pub bytes: usize,
}

/// A series' cutting state, kept across its chunks (Prometheus keeps it in `memSeries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutState {
    /// Predicted end time of the open chunk: a sample at or after it starts a new chunk.
    next_at: i64,
    /// Prometheus 3.x: the open histogram chunk's end time was predicted (reset only when
    /// the head, not the appender, cuts a chunk, as in Prometheus).
    histogram_end_time_computed: bool,
}

impl Default for CutState {
    fn default() -> Self {
        CutState {
            next_at: i64::MIN,
            histogram_end_time_computed: false,
        }
    }
}

impl CutState {
    /// A series without chunks.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The head's chunk-cutting rules for one flavour, chunk range and sample target.
///
/// Use: for each sample of a series whose open chunk has the sample's type, ask
/// [`cut_float`](Self::cut_float) or [`cut_histogram`](Self::cut_histogram); when it says
/// yes (or there is no open chunk of that type), start a chunk and call
/// [`chunk_started`](Self::chunk_started); when a histogram appender cuts on its own, call
/// [`appender_cut`](Self::appender_cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutPolicy {
    flavor: Flavor,
    chunk_range: i64,
    samples_per_chunk: u16,
}

impl CutPolicy {
    /// Rules of `flavor` with chunks that never cross a multiple of `chunk_range` (ms) and
    /// `samples_per_chunk` target samples per float chunk (Prometheus: 120).
    pub fn new(flavor: Flavor, chunk_range: i64, samples_per_chunk: u16) -> Self {
        CutPolicy {
            flavor,
            chunk_range,
            samples_per_chunk,
        }
    }

    /// Whether a float sample at `t` starts a new chunk instead of going into `open`:
    /// full by size (3.x), at the predicted end time or the chunk range's end, or at twice
    /// the sample target. Predicts the end time once the chunk is a quarter full.
    pub fn cut_float(&self, state: &mut CutState, open: OpenChunk, t: i64) -> bool {
        if self.flavor == Flavor::Prometheus3 && open.bytes > MAX_BYTES_BEFORE_APPEND {
            return true;
        }
        self.cut_by_samples(state, open, t)
    }

    /// Whether a histogram sample at `t` starts a new chunk instead of going into `open`
    /// (`appendPreprocessor` in 2.42: the float rules without the byte cap;
    /// `histogramsAppendPreprocessor` in 3.x: the byte target).
    pub fn cut_histogram(&self, state: &mut CutState, open: OpenChunk, t: i64) -> bool {
        match self.flavor {
            Flavor::Prometheus2 => self.cut_by_samples(state, open, t),
            Flavor::Prometheus3 => {
                let n = open.num_samples;
                let bytes = open.bytes;
                let range_start = if state.histogram_end_time_computed {
                    range_end(open.min_time, self.chunk_range)
                } else {
                    state.next_at
                };
                if !state.histogram_end_time_computed
                    && bytes >= TARGET_BYTES_PER_HISTOGRAM_CHUNK / 4
                {
                    let ratio = TARGET_BYTES_PER_HISTOGRAM_CHUNK as f64 / bytes as f64;
                    state.next_at =
                        chunk_end_time_ratio(open.min_time, open.max_time, state.next_at, ratio);
                    state.histogram_end_time_computed = true;
                }
                ((t >= state.next_at || bytes >= 2 * TARGET_BYTES_PER_HISTOGRAM_CHUNK)
                    && (n >= MIN_SAMPLES_PER_HISTOGRAM_CHUNK || t >= range_start))
                    || n == u16::MAX
            }
        }
    }

    /// The head started a chunk at `t` (a new series, another sample type, or a cut this
    /// policy asked for): its end is at most the end of `t`'s chunk range, and its end time
    /// is still to be predicted.
    pub fn chunk_started(&self, state: &mut CutState, t: i64) {
        state.next_at = range_end(t, self.chunk_range);
        state.histogram_end_time_computed = false;
    }

    /// A histogram appender cut a chunk at `t` itself (counter reset, layout change...):
    /// as in Prometheus, the new chunk ends at most at the end of `t`'s chunk range, but
    /// whether the end time was predicted carries over.
    pub fn appender_cut(&self, state: &mut CutState, t: i64) {
        state.next_at = range_end(t, self.chunk_range);
    }

    /// The rules shared by floats and 2.x histograms: predict the end time at a quarter of
    /// the sample target, cut at it, at twice the target, or when the header is full.
    fn cut_by_samples(&self, state: &mut CutState, open: OpenChunk, t: i64) -> bool {
        let spc = self.samples_per_chunk;
        let n = open.num_samples;
        if n == spc / 4 {
            state.next_at =
                chunk_end_time(self.flavor, open.min_time, open.max_time, state.next_at);
        }
        t >= state.next_at || n >= spc.saturating_mul(2) || n == u16::MAX
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn open(n: u16, bytes: usize, min_time: i64, max_time: i64) -> OpenChunk {
        OpenChunk {
            min_time,
            max_time,
            num_samples: n,
            bytes,
        }
    }

    #[test]
    fn chunks_end_with_their_range() {
        for flavor in [Flavor::Prometheus2, Flavor::Prometheus3] {
            let p = CutPolicy::new(flavor, 1000, 120);
            let mut s = CutState::new();
            p.chunk_started(&mut s, 10);
            assert!(!p.cut_float(&mut s, open(2, 20, 10, 20), 999));
            assert!(p.cut_float(&mut s, open(3, 30, 10, 999), 1000));
            assert!(!p.cut_histogram(&mut s, open(2, 20, 10, 20), 999));
            assert!(p.cut_histogram(&mut s, open(3, 30, 10, 999), 1000));
        }
    }

    #[test]
    fn float_chunks_cut_at_twice_the_target_and_3x_by_size() {
        let p2 = CutPolicy::new(Flavor::Prometheus2, i64::MAX / 2, 120);
        let mut s = CutState::new();
        p2.chunk_started(&mut s, 0);
        assert!(!p2.cut_float(&mut s, open(239, 5000, 0, 239), 240));
        assert!(p2.cut_float(&mut s, open(240, 5000, 0, 240), 241));
        let p3 = CutPolicy::new(Flavor::Prometheus3, i64::MAX / 2, 120);
        let mut s = CutState::new();
        p3.chunk_started(&mut s, 0);
        assert!(p3.cut_float(&mut s, open(10, MAX_BYTES_BEFORE_APPEND + 1, 0, 10), 11));
    }

    #[test]
    fn end_time_is_predicted_at_a_quarter() {
        // 30 samples 1 ms apart into a 1000 ms range: 1000 / (30 * 4) = 8 chunks (2.42's
        // integer arithmetic), the first ending at 125.
        let p = CutPolicy::new(Flavor::Prometheus2, 1000, 120);
        let mut s = CutState::new();
        p.chunk_started(&mut s, 0);
        assert!(!p.cut_float(&mut s, open(30, 100, 0, 29), 30));
        assert!(!p.cut_float(&mut s, open(31, 100, 0, 30), 124));
        assert!(p.cut_float(&mut s, open(125, 100, 0, 124), 125));
    }

    #[test]
    fn prometheus_3_histograms_keep_ten_samples_per_chunk() {
        let p = CutPolicy::new(Flavor::Prometheus3, 1_000_000, 120);
        let mut s = CutState::new();
        p.chunk_started(&mut s, 0);
        // Huge samples: over twice the byte target after 5 samples, but not 10 yet.
        assert!(!p.cut_histogram(&mut s, open(5, 4096, 0, 4), 5));
        assert!(p.cut_histogram(&mut s, open(10, 8192, 0, 9), 10));
    }
}
