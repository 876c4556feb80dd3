//! `ls`: promtool's table of blocks, or every block and the head as JSON rows.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use tsblock::compat::{self, promtool};
use tsblock::meta::BlockDesc;
use tsblock::Db;

use crate::out::{Failure, Out};

/// How `ls` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LsFormat {
    /// `promtool tsdb list`'s table, byte for byte; the head summed up on stderr.
    Table,
    /// A JSON array of rows, one per block (`"kind": "block"`: ULID, directory, time
    /// range, counts, size, compaction level, sources, parents, hints) and one for the head
    /// when there is one (`"kind": "head"`: time range, series, samples, chunks, chunks
    /// from chunks_head, out-of-order samples).
    Json,
}

/// A block's row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockRow<'a> {
    kind: &'static str,
    ulid: &'a str,
    dir: &'a Path,
    min_time: i64,
    max_time: i64,
    num_samples: u64,
    num_chunks: u64,
    num_series: u64,
    num_tombstones: u64,
    size: u64,
    level: i64,
    sources: &'a [String],
    parents: &'a [BlockDesc],
    hints: &'a [String],
}

/// The head's row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeadRow<'a> {
    kind: &'static str,
    dir: &'a Path,
    min_time: Option<i64>,
    max_time: Option<i64>,
    num_samples: u64,
    num_chunks: usize,
    num_series: usize,
    num_mmapped_chunks: usize,
    num_ooo_samples: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Row<'a> {
    Block(BlockRow<'a>),
    Head(HeadRow<'a>),
}

pub(crate) fn ls(out: &mut Out, db: &Db, human: bool, format: LsFormat) -> Result<(), Failure> {
    // promtool fails to list a block whose symbol or postings table is corrupt.
    for b in db.blocks() {
        b.check_tables()?;
    }
    match format {
        LsFormat::Table => {
            out.buf
                .extend_from_slice(&promtool::list_table(db.blocks(), human));
            if let Some(head) = db.head() {
                eprintln!("tsblock: {}", head_summary(head));
            }
        }
        LsFormat::Json => {
            let mut rows: Vec<Row<'_>> = db
                .blocks()
                .iter()
                .map(|b| {
                    let m = b.meta();
                    Row::Block(BlockRow {
                        kind: "block",
                        ulid: &m.ulid,
                        dir: b.dir(),
                        min_time: m.min_time,
                        max_time: m.max_time,
                        num_samples: m.stats.num_samples,
                        num_chunks: m.stats.num_chunks,
                        num_series: m.stats.num_series,
                        num_tombstones: m.stats.num_tombstones,
                        size: b.size(),
                        level: m.compaction.level,
                        sources: &m.compaction.sources,
                        parents: &m.compaction.parents,
                        hints: &m.compaction.hints,
                    })
                })
                .collect();
            if let Some(head) = db.head() {
                let s = head.stats();
                rows.push(Row::Head(HeadRow {
                    kind: "head",
                    dir: head.dir(),
                    min_time: s.min_time,
                    max_time: s.max_time,
                    num_samples: s.samples + s.ooo_samples,
                    num_chunks: s.chunks,
                    num_series: s.series,
                    num_mmapped_chunks: s.mmapped_chunks,
                    num_ooo_samples: s.ooo_samples,
                }));
            }
            serde_json::to_writer_pretty(&mut *out, &rows).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// One line on what the head holds, for `ls`.
fn head_summary(head: &tsblock::head::Head) -> String {
    let s = head.stats();
    let time = |t: i64| {
        let mut b = Vec::new();
        compat::gofmt::push_unix_millis_utc(&mut b, t);
        String::from_utf8_lossy(&b).into_owned()
    };
    let range = match (s.min_time, s.max_time) {
        (Some(a), Some(b)) => format!("{} to {} ({a} to {b})", time(a), time(b)),
        _ => "no samples".to_string(),
    };
    let mut line = format!(
        "head: {range}, {} series, {} samples in {} chunks ({} from chunks_head)",
        s.series, s.samples, s.chunks, s.mmapped_chunks
    );
    if s.ooo_samples > 0 {
        line.push_str(&format!(", {} out-of-order samples", s.ooo_samples));
    }
    line
}
