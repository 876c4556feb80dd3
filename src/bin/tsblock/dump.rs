//! `dump`: promtool's text on two threads, or JSON.

use tsblock::compat::promtool;
use tsblock::export::json::JsonExporter;
use tsblock::index::ChunkMeta;
use tsblock::query::SampleRef;
use tsblock::storage::BlockReader;
use tsblock::Db;

use crate::out::{Failure, Out, FLUSH_AT};
use crate::{Matching, TimeRange};

/// Formats one series' dump lines into `buf`; on an error, `buf` holds the lines before it.
struct SeriesFormatter {
    prefix: Vec<u8>,
    lines: promtool::DumpLines,
    ts: Vec<i64>,
    vs: Vec<f64>,
}

impl SeriesFormatter {
    fn new() -> Self {
        SeriesFormatter {
            prefix: Vec::with_capacity(256),
            lines: promtool::DumpLines::new(),
            ts: Vec::new(),
            vs: Vec::new(),
        }
    }

    /// Appends the series' lines to `buf`, calling `drain` after every chunk and every
    /// sample of a merged series (to write the buffer out when it is long).
    fn format(
        &mut self,
        series: &tsblock::query::Series<'_>,
        buf: &mut Vec<u8>,
        mut drain: impl FnMut(&mut Vec<u8>) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let SeriesFormatter {
            prefix,
            lines,
            ts,
            vs,
        } = self;
        prefix.clear();
        promtool::push_dump_prefix(prefix, series.labels());
        // Float series of one block: decoded a chunk at a time.
        let batched = series.float_batches(ts, vs, |ts, vs| {
            lines.push_batch(buf, prefix, ts, vs);
            drain(buf)
        })?;
        if batched {
            return Ok(());
        }
        let mut samples = series.samples();
        while let Some(sample) = samples.next_sample() {
            let (t, value) = sample?;
            match value {
                SampleRef::Float(v) => lines.push(buf, prefix, t, v),
                SampleRef::Histogram(h) => promtool::push_dump_histogram_line(buf, prefix, t, h),
                SampleRef::FloatHistogram(h) => {
                    promtool::push_dump_histogram_line(buf, prefix, t, h)
                }
                _ => {}
            }
            drain(buf)?;
        }
        Ok(())
    }
}

/// Chunks per batch of series formatted on two threads: some 30,000 lines, 1.5 MB of text
/// per half, written while still in cache. (On the 2-core test machine 200 to 400 were
/// fastest: 48 cost more in hand-overs, 4,000 in writing 20 MB buffers out of cache.) A
/// series with more chunks than that is written as it is decoded, on this thread.
const BATCH_CHUNKS: usize = 256;

/// Chunks a batch must hold before they are prefetched together.
const PREFETCH_MIN_CHUNKS: usize = 16;

/// A batch handed to the helper thread, its text buffer, and its outcome.
type Job<'a> = (
    Vec<tsblock::query::Series<'a>>,
    Vec<u8>,
    Result<(), Failure>,
);

/// Series gathered for one batch, with their chunk counts, and how the gathering ended.
#[derive(Default)]
struct Batch<'a> {
    series: Vec<(tsblock::query::Series<'a>, usize)>,
    chunks: usize,
    /// A series too long for a batch, written alone after it.
    big: Option<tsblock::query::Series<'a>>,
    failed: Option<tsblock::Error>,
    /// The set is exhausted.
    done: bool,
}

impl<'a> Batch<'a> {
    /// Takes series from `set` until the batch holds `BATCH_CHUNKS` chunks, a long series
    /// comes, the set fails or ends; with `prefetch`, then asks each block for the batch's
    /// chunks at once (a bucket fetches them as parallel ranged `GET`s).
    fn gather(set: &mut tsblock::query::SeriesSet<'a>, prefetch: bool) -> Self {
        let mut b = Batch::default();
        while b.chunks < BATCH_CHUNKS {
            match set.next() {
                Some(Ok(series)) => {
                    warn_overlaps(&series);
                    let n = series.chunks().map(|(_, c)| c.len()).sum::<usize>();
                    if n >= BATCH_CHUNKS {
                        b.big = Some(series);
                        break;
                    }
                    b.chunks += n.max(1);
                    b.series.push((series, n.max(1)));
                }
                Some(Err(e)) => {
                    b.failed = Some(e);
                    break;
                }
                None => {
                    b.done = true;
                    break;
                }
            }
        }
        // A handful of chunks gains nothing from going out together, and the prefetch's
        // guess at each chunk's end would fetch more than the reads do.
        if prefetch && b.chunks >= PREFETCH_MIN_CHUNKS {
            b.prefetch();
        }
        b
    }

    /// The batch's chunk metas by block, handed to each block's chunk reader.
    fn prefetch(&self) {
        let mut by_block: Vec<(&dyn BlockReader, Vec<ChunkMeta>)> = Vec::new();
        for (series, _) in &self.series {
            for (block, metas) in series.chunks() {
                match by_block
                    .iter_mut()
                    .find(|(b, _)| std::ptr::addr_eq(*b, block))
                {
                    Some((_, all)) => all.extend_from_slice(metas),
                    None => by_block.push((block, metas.to_vec())),
                }
            }
        }
        for (block, metas) in &by_block {
            block.chunk_reader().prefetch(metas);
        }
    }

    /// True when nothing can follow this batch.
    fn last(&self) -> bool {
        self.failed.is_some() || self.done
    }
}

pub(crate) fn dump(
    out: &mut Out,
    db: &Db,
    range: &TimeRange,
    matching: &Matching,
) -> Result<(), Failure> {
    // Series are merged in order on this thread and gathered into batches. A batch is cut
    // in two halves of about the same number of chunks: the helper thread formats the
    // second while this one formats the first and then gathers the next batch; both
    // halves are written in order. Each series' text is complete or ends at its error,
    // which stops the dump after the text before it.
    let mut set = range.select(db, matching)?;
    std::thread::scope(|scope| {
        let (to_helper, jobs) = std::sync::mpsc::sync_channel::<Job<'_>>(1);
        let (to_main, done_jobs) = std::sync::mpsc::sync_channel::<Job<'_>>(1);
        scope.spawn(move || {
            let mut f = SeriesFormatter::new();
            for (batch, mut buf, _) in jobs {
                buf.clear();
                let mut r = Ok(());
                for s in &batch {
                    if let Err(e) = f.format(s, &mut buf, |_| Ok(())) {
                        r = Err(e);
                        break;
                    }
                }
                if to_main.send((batch, buf, r)).is_err() {
                    return;
                }
            }
        });
        let mut mine = SeriesFormatter::new();
        let mut buf_a = Vec::new();
        // The helper's batch vector and buffer, passed back and forth.
        let (mut theirs, mut buf_b) = (Vec::new(), Vec::new());
        // Only sources that fetch on demand gain from a prefetch.
        let prefetch = db.fetch_stats().is_some();
        let mut next = Batch::gather(&mut set, prefetch);
        loop {
            let mut batch = std::mem::take(&mut next);
            // The first series that takes the first half past half the chunks.
            let mut seen = 0;
            let half = batch
                .series
                .iter()
                .position(|(_, n)| {
                    seen += n;
                    seen * 2 >= batch.chunks
                })
                .map_or(batch.series.len(), |i| i + 1);
            theirs.clear();
            theirs.extend(batch.series.drain(half..).map(|(s, _)| s));
            let sent = !theirs.is_empty();
            if sent {
                let job = (
                    std::mem::take(&mut theirs),
                    std::mem::take(&mut buf_b),
                    Ok(()),
                );
                // The helper ends only when this sender is dropped, so this send succeeds.
                let _ = to_helper.send(job);
            }
            buf_a.clear();
            let mut ra = Ok(());
            for (s, _) in &batch.series {
                if let Err(e) = mine.format(s, &mut buf_a, |_| Ok(())) {
                    ra = Err(e);
                    break;
                }
            }
            if ra.is_ok() && !batch.last() {
                next = Batch::gather(&mut set, prefetch);
            }
            out.write_through(&buf_a)?;
            if sent {
                let Ok((series, buf, rb)) = done_jobs.recv() else {
                    // The helper panicked; the scope re-raises its panic.
                    return Ok(());
                };
                (theirs, buf_b) = (series, buf);
                ra?;
                out.write_through(&buf_b)?;
                rb?;
            } else {
                ra?;
            }
            if let Some(series) = batch.big.take() {
                mine.format(&series, &mut out.buf, |buf| {
                    if buf.len() >= FLUSH_AT {
                        Out::flush_buf(buf)?;
                    }
                    Ok(())
                })?;
                out.maybe_flush()?;
            }
            if let Some(e) = batch.failed {
                return Err(e.into());
            }
            if batch.done {
                return Ok(());
            }
        }
    })
}

pub(crate) fn dump_json(
    out: &mut Out,
    db: &Db,
    range: &TimeRange,
    matching: &Matching,
) -> Result<(), Failure> {
    let mut exporter = JsonExporter::new();
    for series in range.select(db, matching)? {
        let series = series?;
        warn_overlaps(&series);
        exporter.write_series(out, &series)?;
    }
    Ok(())
}

/// What promtool 3.x's `tsdb dump-openmetrics` prints, except stale markers and histogram
/// samples, which OpenMetrics text cannot carry (promtool prints stale markers as `NaN`,
/// which would come back as a real NaN): they are left out and counted on stderr.
pub(crate) fn dump_openmetrics(
    out: &mut Out,
    db: &Db,
    range: &TimeRange,
    matching: &Matching,
) -> Result<(), Failure> {
    use tsblock::compat::openmetrics;
    let (mut prefix, mut lines) = (Vec::new(), openmetrics::Lines::new());
    let (mut stale, mut histograms) = (0u64, 0u64);
    for series in range.select(db, matching)? {
        let series = series?;
        warn_overlaps(&series);
        prefix.clear();
        openmetrics::push_prefix(&mut prefix, series.labels());
        let mut samples = series.samples();
        while let Some(sample) = samples.next_sample() {
            let (t, value) = sample?;
            match value {
                SampleRef::Float(v) if v.to_bits() == tsblock::histogram::STALE_NAN_BITS => {
                    stale += 1
                }
                SampleRef::Float(v) => lines.push(&mut out.buf, &prefix, t, v),
                _ => histograms += 1,
            }
            out.maybe_flush()?;
        }
    }
    out.buf.extend_from_slice(openmetrics::EOF);
    if stale + histograms > 0 {
        out.flush()?;
        eprintln!(
            "tsblock: left out {stale} stale markers and {histograms} histogram samples, which OpenMetrics text cannot carry (dump --format json keeps them)"
        );
    }
    Ok(())
}

/// A block that lists overlapping chunks for a series (which Prometheus never writes) is
/// read merged; say so on stderr, naming the series.
pub(crate) fn warn_overlaps(series: &tsblock::query::Series<'_>) {
    if series.has_overlapping_chunks() {
        let mut labels = Vec::new();
        tsblock::compat::push_labels(&mut labels, series.labels());
        eprintln!(
            "tsblock: warning: {}: a block lists overlapping chunks for this series; read merged (time order, one sample per timestamp)",
            String::from_utf8_lossy(&labels)
        );
    }
}
