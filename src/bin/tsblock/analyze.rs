//! `analyze`: promtool 2.42's `tsdb analyze` text (stable ties), its 2.48+ chunk
//! statistics with `--extended`, per-series statistics, or all of it as JSON.

use std::io::Write;
use std::path::{Path, PathBuf};

use tsblock::analyze::{analyze, Analysis, AnalyzeOptions, ChunkFigure, Ranked};
use tsblock::meta::BlockMeta;
use tsblock::{Block, ReadMode};

use crate::out::{Failure, Out};

/// How `analyze` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AnalyzeFormat {
    /// promtool's layout.
    Text,
    /// One JSON document with every figure.
    Json,
}

/// What the command line asked for.
pub(crate) struct Request<'a> {
    pub path: &'a Path,
    pub block_id: Option<&'a str>,
    pub limit: usize,
    pub extended: bool,
    pub per_series: bool,
    pub selectors: Vec<Vec<tsblock::query::Matcher>>,
    pub selector_text: Vec<String>,
    pub format: AnalyzeFormat,
}

/// The block to analyse: `id` among the blocks of `path` (or `path` itself when it is a
/// block), else the one with the latest min time (as promtool 2.42 picks it). Only the
/// `meta.json` files are read to choose.
fn pick(path: &Path, id: Option<&str>) -> Result<PathBuf, Failure> {
    if path.join("meta.json").is_file() {
        return Ok(path.to_path_buf());
    }
    let mut metas: Vec<(BlockMeta, PathBuf)> = Vec::new();
    for dir in crate::verify::block_dirs(path)? {
        metas.push((BlockMeta::read(&dir.join("meta.json"))?, dir));
    }
    let found = match id {
        Some(id) => metas.into_iter().find(|(m, _)| m.ulid == id),
        None => metas
            .into_iter()
            .max_by(|(a, _), (b, _)| a.min_time.cmp(&b.min_time).then(a.ulid.cmp(&b.ulid))),
    };
    found.map(|(_, dir)| dir).ok_or_else(|| {
        tsblock::Error::NotFound {
            path: path.to_path_buf(),
            what: if id.is_some() {
                "no block with that ID"
            } else {
                "no blocks"
            },
        }
        .into()
    })
}

pub(crate) fn run(
    out: &mut Out,
    req: &Request<'_>,
    mode: ReadMode,
    stats: bool,
) -> Result<(), Failure> {
    let (db, local);
    let block: &Block = match crate::url_of(req.path) {
        Some(url) => {
            db = tsblock::object::Bucket::from_url(url)?.open_db()?;
            for w in db.warnings() {
                eprintln!("tsblock: warning: {w}");
            }
            let mut blocks = db.blocks().iter();
            let found = match req.block_id {
                Some(id) => blocks.find(|b| b.meta().ulid == id),
                None => blocks.max_by(|a, b| {
                    let (a, b) = (a.meta(), b.meta());
                    a.min_time.cmp(&b.min_time).then(a.ulid.cmp(&b.ulid))
                }),
            };
            found.ok_or_else(|| tsblock::Error::NotFound {
                path: req.path.to_path_buf(),
                what: "no block with that ID",
            })?
        }
        None => {
            local = Block::open_with(pick(req.path, req.block_id)?, mode)?;
            &local
        }
    };
    let opts = AnalyzeOptions {
        selectors: req.selectors.clone(),
        chunks: req.extended,
        per_series: req.per_series,
    };
    let mut a = analyze(block, &opts)?;
    for list in [
        &mut a.churn_label_pairs,
        &mut a.churn_label_names,
        &mut a.common_label_pairs,
        &mut a.label_value_lengths,
        &mut a.label_cardinality,
        &mut a.metric_cardinality,
        &mut a.metric_chunk_bytes,
        &mut a.metric_index_bytes,
    ] {
        list.truncate(req.limit);
    }
    match req.format {
        AnalyzeFormat::Json => {
            serde_json::to_writer(&mut *out, &a).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        AnalyzeFormat::Text => text(out, &a, req)?,
    }
    if stats {
        out.flush()?;
        crate::print_stats(block.fetch_stats());
    }
    Ok(())
}

fn text(out: &mut Out, a: &Analysis, req: &Request<'_>) -> std::io::Result<()> {
    let mut duration = Vec::new();
    tsblock::compat::gofmt::push_duration(&mut duration, a.duration);
    writeln!(out, "Block ID: {}", a.block)?;
    writeln!(out, "Duration: {}", String::from_utf8_lossy(&duration))?;
    writeln!(out, "Series: {}", a.series)?;
    for s in &req.selector_text {
        writeln!(out, "Matcher: {s}")?;
    }
    writeln!(out, "Label names: {}", a.label_names)?;
    if !req.selectors.is_empty() {
        writeln!(out, "Matched series: {}", a.matched_series)?;
    }
    writeln!(out, "Postings (unique label pairs): {}", a.postings)?;
    writeln!(
        out,
        "Postings entries (total label pairs): {}",
        a.postings_entries
    )?;
    let list = |out: &mut Out, title: &str, items: &[Ranked]| -> std::io::Result<()> {
        writeln!(out, "\n{title}:")?;
        for r in items {
            writeln!(out, "{} {}", r.count, r.name)?;
        }
        Ok(())
    };
    list(
        out,
        "Label pairs most involved in churning",
        &a.churn_label_pairs,
    )?;
    list(
        out,
        "Label names most involved in churning",
        &a.churn_label_names,
    )?;
    list(out, "Most common label pairs", &a.common_label_pairs)?;
    list(
        out,
        "Label names with highest cumulative label value length",
        &a.label_value_lengths,
    )?;
    list(out, "Highest cardinality labels", &a.label_cardinality)?;
    list(
        out,
        "Highest cardinality metric names",
        &a.metric_cardinality,
    )?;
    if req.extended {
        write!(out, "\nCompaction analysis:\n\n")?;
        for f in &a.chunk_figures {
            histogram(out, f, a.chunks, Bounds::Promtool)?;
        }
        // Beyond promtool.
        if let Some(f) = &a.series_samples {
            histogram(out, f, a.matched_series, Bounds::Exact)?;
        }
        list(
            out,
            "Metric names with the most chunk bytes",
            &a.metric_chunk_bytes,
        )?;
        list(
            out,
            "Metric names with the most index bytes (series entries)",
            &a.metric_index_bytes,
        )?;
    }
    if req.per_series {
        writeln!(out, "\nPer series:")?;
        for s in &a.per_series {
            writeln!(
                out,
                "{} samples={} chunks={} first={} last={} largest_gap={} bytes_per_sample={:.2}",
                s.labels, s.samples, s.chunks, s.first, s.last, s.largest_gap, s.bytes_per_sample
            )?;
        }
    }
    Ok(())
}

fn digits(n: i64) -> usize {
    n.to_string().len()
}

/// How bucket bounds are labelled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bounds {
    /// As promtool labels them: one above each bucket's real range (`[61, 70]` holds 60
    /// to 69).
    Promtool,
    /// The range each bucket holds.
    Exact,
}

/// promtool ≥ 2.52's `displayHistogram`: min/avg/max, then a line per bucket of a
/// power-of-ten width with `#` per percent of `total`; `N/A` without values.
fn histogram(
    out: &mut impl Write,
    f: &ChunkFigure,
    total: u64,
    bounds: Bounds,
) -> std::io::Result<()> {
    let (Some(&min), Some(&max)) = (f.values.first(), f.values.last()) else {
        return write!(out, "{}: N/A\n\n", f.name);
    };
    let (min, max) = (min as i64, max as i64);
    let sum: i64 = f.values.iter().map(|&v| v as i64).sum();
    writeln!(
        out,
        "{} (min/avg/max): {}/{}/{}",
        f.name,
        min,
        sum / f.values.len() as i64,
        max
    )?;
    let s = (max - min) / 10;
    let mut step = 10i64;
    while step < s && step <= 10_000 {
        step *= 10;
    }
    let start = min - min % step;
    let end = max - max % step + step;
    let n = ((end - start) / step + 1) as usize;
    let mut counts = vec![0i64; n];
    for &v in &f.values {
        if let Some(c) = counts.get_mut(((v as i64 - start) / step) as usize) {
            *c += 1;
        }
    }
    let count_width = digits(counts.iter().copied().max().unwrap_or(0));
    let shift = if bounds == Bounds::Promtool { 1 } else { 0 };
    for (b, &c) in counts.iter().enumerate() {
        let b = b as i64;
        let bar = "#".repeat((100 * c / total.max(1) as i64) as usize);
        writeln!(
            out,
            "[{:>lw$}, {:>uw$}]: {:>cw$} {}",
            b * step + start + shift,
            (b + 1) * step + start - 1 + shift,
            c,
            bar,
            lw = digits(end),
            uw = digits(end + step),
            cw = count_width
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_as_promtool_draws_it() {
        let f = ChunkFigure {
            name: "samples per float chunk",
            values: vec![60, 120, 120, 120],
        };
        let mut out = Vec::new();
        histogram(&mut out, &f, 4, Bounds::Promtool).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "samples per float chunk (min/avg/max): 60/105/120"
        );
        assert_eq!(lines[1], format!("[ 61,  70]: 1 {}", "#".repeat(25)));
        assert_eq!(lines[7], format!("[121, 130]: 3 {}", "#".repeat(75)));
        assert_eq!(lines[8], "[131, 140]: 0 ");
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[9], "");
        let mut out = Vec::new();
        let empty = ChunkFigure {
            name: "bytes per histogram chunk",
            values: vec![],
        };
        histogram(&mut out, &empty, 4, Bounds::Promtool).unwrap();
        assert_eq!(out, b"bytes per histogram chunk: N/A\n\n");
    }
}
