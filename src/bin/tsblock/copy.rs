//! `copy`: some series and some time of a data directory (blocks and head) written as
//! new blocks that Prometheus loads.
//!
//! The range is cut at multiples of the block duration, as Prometheus aligns its blocks,
//! and each piece becomes one block. A chunk that lies inside the piece, in a series held
//! by one source block, with nothing of it deleted, is copied as it is; the samples of
//! any other chunk (cut by the range or by a deletion, or of a series spread over
//! overlapping blocks or the head) are re-encoded, deleted ones left out. Blocks are
//! staged in a hidden directory inside OUTDIR and moved in only when all are written: an
//! error adds no block.

use std::path::{Path, PathBuf};

use tsblock::chunkenc::{Encoding, FloatHistogramIter, HistogramIter, XorIter};
use tsblock::labelset::Labels;
use tsblock::query::{Querier, SampleRef, Series};
use tsblock::writer::{BlockWriter, BlockWriterOptions};
use tsblock::Db;

use crate::out::Failure;

/// What was written.
#[derive(Debug, Default)]
pub(crate) struct Copied {
    pub blocks: Vec<PathBuf>,
    /// Series of each block, summed (a series in three blocks counts three times).
    pub series: u64,
    pub chunks_copied: u64,
    pub samples_reencoded: u64,
}

/// An error of the copy: appending (a source that breaks order) or writing.
fn fail(what: impl std::fmt::Display) -> Failure {
    Failure::Message(what.to_string())
}

/// Copies `sets` (any selector; all series if none) in `[min_time, max_time]` from `db`
/// into new blocks in `out_dir`, cut at multiples of `block_ms`.
pub(crate) fn copy(
    db: &Db,
    sets: &[&[tsblock::query::Matcher]],
    (min_time, max_time): (i64, i64),
    block_ms: i64,
    out_dir: &Path,
) -> Result<Copied, Failure> {
    std::fs::create_dir_all(out_dir).map_err(|e| tsblock::Error::io(out_dir, e))?;
    // The data's own range bounds the pieces (blocks' max time is exclusive).
    let data_min = db
        .blocks()
        .iter()
        .map(|b| b.meta().min_time)
        .chain(db.head().and_then(|h| h.stats().min_time))
        .min();
    let data_max = db
        .blocks()
        .iter()
        .map(|b| b.meta().max_time.saturating_sub(1))
        .chain(db.head().and_then(|h| h.stats().max_time))
        .max();
    let (Some(data_min), Some(data_max)) = (data_min, data_max) else {
        return Ok(Copied::default());
    };
    let (lo_all, hi_all) = (min_time.max(data_min), max_time.min(data_max));
    // A new name each run (a crashed run's directory is left alone).
    let staging = out_dir.join(format!(".tsblock-copy-{}", tsblock::ulid::Ulid::new()));
    std::fs::create_dir(&staging).map_err(|e| tsblock::Error::io(&staging, e))?;
    let result =
        write_pieces(db, sets, (lo_all, hi_all), block_ms, &staging).and_then(|mut copied| {
            // Move the blocks in; on a failure take back those already moved.
            let mut moved = Vec::new();
            for dir in &copied.blocks {
                let name = dir.file_name().unwrap_or_default();
                let dst = out_dir.join(name);
                if let Err(e) = std::fs::rename(dir, &dst) {
                    for m in &moved {
                        let _ = std::fs::remove_dir_all(m);
                    }
                    return Err(tsblock::Error::io(&dst, e).into());
                }
                moved.push(dst);
            }
            // The renames made durable.
            if let Err(e) = std::fs::File::open(out_dir).and_then(|d| d.sync_all()) {
                for m in &moved {
                    let _ = std::fs::remove_dir_all(m);
                }
                return Err(tsblock::Error::io(out_dir, e).into());
            }
            copied.blocks = moved;
            Ok(copied)
        });
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn write_pieces(
    db: &Db,
    sets: &[&[tsblock::query::Matcher]],
    (lo_all, hi_all): (i64, i64),
    block_ms: i64,
    staging: &Path,
) -> Result<Copied, Failure> {
    let mut copied = Copied::default();
    if lo_all > hi_all {
        return Ok(copied);
    }
    let mut start = lo_all
        .div_euclid(block_ms)
        .checked_mul(block_ms)
        .unwrap_or(i64::MIN);
    while start <= hi_all {
        let end = start.saturating_add(block_ms);
        let (lo, hi) = (lo_all.max(start), hi_all.min(end - 1));
        let mut w = BlockWriter::new(BlockWriterOptions {
            chunk_range: block_ms,
            ..BlockWriterOptions::default()
        });
        for series in db.select_any(sets, lo, hi)? {
            let series = series?;
            copy_series(&mut w, &series, (lo, hi), &mut copied)?;
            copied.series += 1;
        }
        if let Some(meta) = w.write(staging).map_err(fail)? {
            copied.blocks.push(staging.join(&meta.ulid));
        }
        if end <= start {
            break;
        }
        start = end;
    }
    Ok(copied)
}

fn copy_series(
    w: &mut BlockWriter,
    series: &Series<'_>,
    (lo, hi): (i64, i64),
    copied: &mut Copied,
) -> Result<(), Failure> {
    let labels = Labels::new(series.labels().iter().map(|l| (l.name, l.value))).map_err(fail)?;
    let Some((block, metas, deleted)) = series.single_part() else {
        // Spread over blocks (or blocks and the head): the merged samples.
        let mut samples = series.samples();
        while let Some(s) = samples.next_sample() {
            let (t, v) = s?;
            append(w, &labels, t, v)?;
            copied.samples_reencoded += 1;
        }
        return Ok(());
    };
    let reader = block.chunk_reader();
    for meta in metas {
        let chunk = reader.chunk(meta)?;
        let inside = lo <= meta.min_time && meta.max_time <= hi;
        let untouched = deleted.is_none_or(|d| !d.overlaps(meta.min_time, meta.max_time));
        let known = matches!(
            chunk.encoding,
            Encoding::Xor | Encoding::Histogram | Encoding::FloatHistogram
        );
        if inside && untouched && known {
            w.append_chunk(
                &labels,
                chunk.encoding,
                chunk.data,
                meta.min_time,
                meta.max_time,
            )
            .map_err(fail)?;
            copied.chunks_copied += 1;
            continue;
        }
        let keep = |t: i64| lo <= t && t <= hi && !deleted.is_some_and(|d| d.contains(t));
        let err = |e| reader.chunk_data_error(meta, e);
        match chunk.encoding {
            Encoding::Xor => {
                for s in XorIter::new(chunk.data).map_err(err)? {
                    let (t, v) = s.map_err(err)?;
                    if keep(t) {
                        w.append(&labels, t, v).map_err(fail)?;
                        copied.samples_reencoded += 1;
                    }
                }
            }
            Encoding::Histogram => {
                let mut it = HistogramIter::new(chunk.data).map_err(err)?;
                while let Some(t) = it.next() {
                    let t = t.map_err(err)?;
                    if keep(t) {
                        w.append_histogram(&labels, t, it.at()).map_err(fail)?;
                        copied.samples_reencoded += 1;
                    }
                }
            }
            Encoding::FloatHistogram => {
                let mut it = FloatHistogramIter::new(chunk.data).map_err(err)?;
                while let Some(t) = it.next() {
                    let t = t.map_err(err)?;
                    if keep(t) {
                        w.append_float_histogram(&labels, t, it.at())
                            .map_err(fail)?;
                        copied.samples_reencoded += 1;
                    }
                }
            }
            other => {
                return Err(fail(format!(
                    "chunk encoding {other} cannot be copied by this version"
                )))
            }
        }
    }
    Ok(())
}

fn append(w: &mut BlockWriter, labels: &Labels, t: i64, v: SampleRef<'_>) -> Result<(), Failure> {
    match v {
        SampleRef::Float(v) => w.append(labels, t, v),
        SampleRef::Histogram(h) => w.append_histogram(labels, t, h),
        SampleRef::FloatHistogram(h) => w.append_float_histogram(labels, t, h),
        _ => Ok(()),
    }
    .map_err(fail)
}
