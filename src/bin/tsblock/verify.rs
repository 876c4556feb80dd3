//! `verify`: every checksum and invariant of a block or of every block (and the head) of a
//! data directory, every problem printed.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tsblock::head::{Head, HeadOptions, HeadWarning};
use tsblock::verify::{Problem, Report};
use tsblock::{Block, ReadMode};

use crate::out::{Failure, Out};

/// How `verify` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyFormat {
    /// A line per problem (`file: section at offset N: what`), then a line per block.
    Text,
    /// One JSON document: `{"blocks": [{"block", "series", "chunks", "samples",
    /// "problems": [{"path", "section", "offset", "message"}]}], "head": …, "problems": N}`.
    Json,
}

/// What replaying the head found: problems (corruption) and notes (what a live server
/// leaves, e.g. a record it was writing).
#[derive(Debug, Default, Serialize)]
struct HeadReport {
    path: PathBuf,
    problems: Vec<Problem>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct Document<'a> {
    blocks: &'a [Report],
    head: Option<&'a HeadReport>,
    problems: usize,
}

/// The block directories under `path`: itself if it is one, else its subdirectories
/// named by a ULID that hold a `meta.json`, by name (ULIDs sort by time). Prometheus's
/// `.tmp-for-deletion` and `.tmp-for-creation` directories are not blocks.
pub(crate) fn block_dirs(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if std::fs::symlink_metadata(path.join("meta.json")).is_ok() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| tsblock::Error::io(path, e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.parse::<tsblock::ulid::Ulid>().is_ok())
                && std::fs::symlink_metadata(p.join("meta.json")).is_ok()
        })
        .collect();
    dirs.sort();
    Ok(dirs)
}

pub(crate) fn verify(
    out: &mut Out,
    path: &Path,
    mode: ReadMode,
    with_head: bool,
    format: VerifyFormat,
    stats: bool,
) -> Result<(), Failure> {
    // Local blocks are opened, checked and closed in turn, so that reading files whole
    // (--no-mmap) or through a cache (--ranged) holds one block at a time; a bucket's are
    // opened from one listing (their files are fetched as they are checked).
    type Pending = (PathBuf, Option<tsblock::Result<Block>>);
    let (blocks, total, bucket): (Vec<Pending>, u64, _) = match crate::url_of(path) {
        Some(url) => {
            let bucket = tsblock::object::Bucket::from_url(url)?;
            let tsblock::object::OpenedBlocks {
                blocks: opened,
                warnings,
            } = bucket.open_blocks()?;
            for w in warnings {
                eprintln!("tsblock: warning: {w}");
            }
            let total = opened
                .iter()
                .filter_map(|(_, b)| b.as_ref().ok())
                .map(|b| b.meta().stats.num_chunks)
                .sum();
            let blocks = opened.into_iter().map(|(d, b)| (d, Some(b))).collect();
            (blocks, total, Some(bucket))
        }
        None => {
            let dirs = block_dirs(path)?;
            // The progress total from the meta.json files alone.
            let total = dirs
                .iter()
                .filter_map(|d| tsblock::meta::BlockMeta::read(&d.join("meta.json")).ok())
                .map(|m| m.stats.num_chunks)
                .sum();
            (dirs.into_iter().map(|d| (d, None)).collect(), total, None)
        }
    };
    let has_head = bucket.is_none() && with_head && path.join("wal").is_dir();
    if blocks.is_empty() && !has_head {
        return Err(tsblock::Error::NotFound {
            path: path.to_path_buf(),
            what: "neither a block (no meta.json) nor a data directory with blocks or a wal/",
        }
        .into());
    }
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} chunks, {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix("verify");
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut reports = Vec::new();
    let mut newest = i64::MIN;
    let mut fetched = bucket.as_ref().map(|b| b.stats());
    for (dir, opened) in blocks {
        let block = opened.unwrap_or_else(|| Block::open_with(&dir, mode));
        reports.push(match block {
            Ok(b) => {
                newest = newest.max(b.meta().max_time);
                let report = b.verify_with_progress(&|n| bar.inc(n));
                if let Some(s) = b.fetch_stats() {
                    fetched = Some(fetched.map_or(s, |f| f + s));
                }
                report
            }
            Err(e) => Report {
                block: dir.clone(),
                problems: vec![Problem::from_error(&e)],
                ..Report::default()
            },
        });
    }
    bar.finish_and_clear();
    let head = has_head.then(|| verify_head(path, mode, newest));
    let problems = reports.iter().map(|r| r.problems.len()).sum::<usize>()
        + head.as_ref().map_or(0, |h| h.problems.len());
    match format {
        VerifyFormat::Text => {
            for r in &reports {
                writeln!(out, "{r}")?;
            }
            if let Some(h) = &head {
                for p in &h.problems {
                    writeln!(out, "{p}")?;
                }
                for n in &h.notes {
                    writeln!(out, "{}: note: {n}", h.path.display())?;
                }
                writeln!(
                    out,
                    "{}: head: {}",
                    h.path.display(),
                    match h.problems.len() {
                        0 => "ok".to_string(),
                        1 => "1 problem".to_string(),
                        n => format!("{n} problems"),
                    }
                )?;
            }
        }
        VerifyFormat::Json => {
            let doc = Document {
                blocks: &reports,
                head: head.as_ref(),
                problems,
            };
            serde_json::to_writer(&mut *out, &doc).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if stats {
        crate::print_stats(fetched);
    }
    if problems == 0 {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

/// Replays the head as Prometheus would, every WAL, checkpoint, snapshot and
/// `chunks_head` checksum with it.
fn verify_head(path: &Path, mode: ReadMode, newest_block: i64) -> HeadReport {
    let mut report = HeadReport {
        path: path.to_path_buf(),
        ..HeadReport::default()
    };
    let opts = HeadOptions {
        mode,
        min_valid_time: newest_block,
        ..HeadOptions::default()
    };
    match Head::open(path, opts) {
        Ok(head) => {
            for w in head.warnings() {
                match w {
                    HeadWarning::TornRecord { .. } | HeadWarning::InvalidHistograms { .. } => {
                        report.notes.push(w.to_string())
                    }
                    _ => report.problems.push(Problem {
                        path: path.to_path_buf(),
                        section: None,
                        offset: None,
                        message: w.to_string(),
                    }),
                }
            }
        }
        Err(e) => report.problems.push(Problem::from_error(&e)),
    }
    report
}
