//! `tsblock`: list, dump and query Prometheus TSDB blocks; `ls` and `dump` print what
//! `promtool tsdb list`/`dump` print.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tsblock::compat;
use tsblock::export::wal::{print_log, PrintError, WalFormat};
use tsblock::query::{Matcher, Selector, SelectorError};
use tsblock::text::push_quoted;
use tsblock::{Db, DbOptions, Querier, ReadMode};

mod analyze;
mod copy;
mod dump;
mod ls;
mod out;
mod timespec;
mod verify;

use out::{Failure, Out};

/// Read Prometheus TSDB blocks straight from memory-mapped files.
#[derive(Debug, Parser)]
#[command(name = "tsblock", version, about, long_about = None)]
struct Cli {
    /// Read files into memory instead of memory-mapping them (safe if files may change).
    /// The default on network and FUSE file systems (NFS, SMB, s3fs…), where a failed
    /// read of a mapped page would kill the process.
    #[arg(long, global = true, conflicts_with_all = ["ranged", "mmap"])]
    no_mmap: bool,

    /// Memory-map files even on a network or FUSE file system.
    #[arg(long, global = true, conflicts_with = "ranged")]
    mmap: bool,

    /// Read only the byte ranges a command needs, with positioned reads through a cache,
    /// instead of mapping or reading whole files (for network file systems).
    #[arg(long, global = true)]
    ranged: bool,

    /// At the end, print on stderr the requests made and bytes fetched (a bucket, or
    /// `--ranged`).
    #[arg(long, global = true)]
    stats: bool,

    /// Leave out the head of a data directory (its wal/, chunks_head/ and wbl/): read only
    /// blocks. By default the head is replayed in memory, as promtool does.
    #[arg(long, global = true)]
    no_head: bool,

    #[command(subcommand)]
    command: Command,
}

/// `--match` selectors, parsed (and their regexes compiled) while the arguments are read, so
/// a bad one is a usage error (exit code 2) before anything is opened or printed.
#[derive(Debug, clap::Args)]
struct Matching {
    /// Only series matching this selector, e.g. 'up{job=~"api|web"}' (PromQL syntax;
    /// regexes are fully anchored). Repeat for the union.
    #[arg(long = "match", value_name = "SELECTOR", value_parser = parse_selector)]
    selectors: Vec<Selector>,
}

impl Matching {
    fn sets(&self) -> Vec<&[Matcher]> {
        self.selectors.iter().map(|s| s.matchers()).collect()
    }
}

fn parse_selector(s: &str) -> Result<Selector, SelectorError> {
    s.parse()
}

/// A closed time range: milliseconds, RFC 3339 times, or durations before now
/// (`now-2h`) or before the data's last sample (`-2h`).
#[derive(Debug, clap::Args)]
struct TimeRange {
    /// First timestamp to include (inclusive): milliseconds, an RFC 3339 time
    /// (2026-01-02T15:04:05Z), now-DURATION, or -DURATION before the data's last sample
    /// (e.g. -2h). Default: the beginning.
    #[arg(long, allow_hyphen_values = true, value_parser = timespec::parse_time)]
    min_time: Option<timespec::TimeSpec>,
    /// Last timestamp to include (inclusive), in the same forms. Default: the end.
    #[arg(long, allow_hyphen_values = true, value_parser = timespec::parse_time)]
    max_time: Option<timespec::TimeSpec>,
}

impl TimeRange {
    /// The range in milliseconds, durations taken from now or from the last sample of
    /// `db`.
    fn resolve(&self, db: &Db) -> (i64, i64) {
        let end = || data_end(db);
        let min = self.min_time.map_or(i64::MIN, |t| t.resolve(end));
        let max = self.max_time.map_or(i64::MAX, |t| t.resolve(end));
        (min, max)
    }

    /// The series of `db` that `matching` selects, with their samples in this range.
    fn select<'d>(
        &self,
        db: &'d Db,
        matching: &Matching,
    ) -> tsblock::Result<tsblock::query::SeriesSet<'d>> {
        let (min_time, max_time) = self.resolve(db);
        db.select_any(&matching.sets(), min_time, max_time)
    }
}

/// The timestamp of the last sample of `db`: the head's, or the newest sample in the
/// blocks, found from their chunk metas (a block's max time may lie well after its last
/// sample), newest blocks first, stopping at a block that cannot hold a later one.
fn data_end(db: &Db) -> i64 {
    let mut best = db
        .head()
        .and_then(|h| h.stats().max_time)
        .unwrap_or(i64::MIN);
    let mut blocks: Vec<&tsblock::Block> = db.blocks().iter().collect();
    blocks.sort_by_key(|b| std::cmp::Reverse(b.meta().max_time));
    for b in blocks {
        if b.meta().max_time.saturating_sub(1) <= best {
            break;
        }
        // An unreadable index counts by its meta; the command reports the damage.
        let newest = b.series().ok().and_then(|all| {
            all.filter_map(|s| s.ok()?.chunks.last().map(|c| c.max_time))
                .max()
        });
        best = best.max(newest.unwrap_or(b.meta().max_time.saturating_sub(1)));
    }
    if best == i64::MIN {
        0
    } else {
        best
    }
}

/// How `labels` and `label-values` print names and values.
#[derive(Debug, clap::Args)]
struct ListFormat {
    /// End each item with NUL instead of a newline, and never quote.
    #[arg(short = 'z', long = "null")]
    null: bool,
}

/// How `dump` prints samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DumpFormat {
    /// `{labels} value timestamp` lines, as `promtool tsdb dump`.
    Prom,
    /// One JSON object per series: `{"labels": {…}, "floats": [[t, v], …],
    /// "histograms": [[t, {…}], …], "float_histograms": […]}` (empty arrays left out),
    /// each histogram with its full structure (schema, zero bucket, spans, absolute bucket
    /// counts); stale markers as "stale", NaN and ±Inf as strings.
    Json,
    /// OpenMetrics text, as promtool 3.x's `tsdb dump-openmetrics` prints it
    /// (`name{a="b"} value seconds`, `# EOF` last), which `promtool tsdb create-blocks-from
    /// openmetrics` and `tsblock-write openmetrics` read back. Stale markers and histogram
    /// samples are left out (OpenMetrics text cannot carry them), with a note on stderr
    /// saying how many.
    Openmetrics,
}

/// How `series` prints label sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SeriesFormat {
    /// `{a="b", c="d"}`, as Go's `labels.Labels.String()`.
    Text,
    /// One JSON object of labels per line, as promtool ≥ 3.9's `tsdb dump --format
    /// seriesjson` prints it.
    Json,
}

/// How `wal` prints records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WalOutput {
    /// A line per record (segment, offset, type, storage), an indented line per item.
    Text,
    /// One JSON object per record, its items decoded.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the blocks of a data directory (as `promtool tsdb list`).
    ///
    /// The head, which promtool does not list, is summed up on stderr (time range, series,
    /// samples).
    #[command(alias = "list")]
    Ls {
        /// Print times as dates and sizes in KiB/MiB/….
        #[arg(short = 'r', long)]
        human_readable: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ls::LsFormat::Table)]
        format: ls::LsFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
    /// Print every sample as `{labels} value timestamp` (as `promtool tsdb dump`).
    ///
    /// Native histograms print as `{count:…, sum:…, [bounds]:count…}`, as promtool ≥ 2.48
    /// prints them. `--format json` prints one JSON object per series instead.
    Dump {
        #[command(flatten)]
        range: TimeRange,
        #[command(flatten)]
        matching: Matching,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DumpFormat::Prom)]
        format: DumpFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
    /// Write the samples of a data directory, block or bucket in another format: `export
    /// parquet` (in a build with the `parquet` feature).
    #[cfg(feature = "parquet")]
    Export {
        #[command(subcommand)]
        format: ExportCommand,
    },
    /// Print the label set of every series with samples in the range, one per line.
    Series {
        #[command(flatten)]
        range: TimeRange,
        #[command(flatten)]
        matching: Matching,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SeriesFormat::Text)]
        format: SeriesFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
    /// Print the label names used by the (matching) series, sorted.
    ///
    /// A name that Go's strconv.Quote would escape (control characters, quotes, backslashes,
    /// invalid UTF-8) is printed quoted, so every line is one name.
    Labels {
        #[command(flatten)]
        matching: Matching,
        #[command(flatten)]
        format: ListFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
    /// Print the records of a write-ahead log: a wal/ or wbl/ directory, a checkpoint, a
    /// chunk snapshot or one segment file.
    ///
    /// Each record with its segment, offset, type, compression and sizes, then what it
    /// holds (series and labels, samples, tombstones, exemplars, metadata, histograms,
    /// m-map markers). A record that does not decode is reported and skipped; damage to a
    /// segment's framing ends that segment. Problems go to stderr; the exit code is 1 if
    /// there were any. Reads only: nothing is repaired.
    Wal {
        /// Output format.
        #[arg(long, value_enum, default_value_t = WalOutput::Text)]
        format: WalOutput,
        /// The log directory or segment file.
        path: PathBuf,
    },
    /// Check every checksum and invariant of a block, or of every block and the head of a
    /// data directory, and print every problem found (not just the first).
    ///
    /// Blocks: the index (CRCs; symbols, series, postings and the postings offset table
    /// sorted and consistent: every postings list holds exactly the series with its label
    /// pair; chunk metas in order, not overlapping, inside the block's range; padding
    /// zero), every chunk (CRC, a full decode, samples against its meta; chunks not
    /// overlapping in their segment), and meta.json's stats. The head: a replay, as
    /// Prometheus does it, with every WAL, checkpoint, snapshot and chunks_head checksum.
    /// Each problem names the file, section and offset. Chunks are checked on every core,
    /// with a progress bar on stderr when it is a terminal.
    ///
    /// Exit code 0 when clean, 1 when anything is wrong. Nothing is repaired.
    Verify {
        /// Output format.
        #[arg(long, value_enum, default_value_t = verify::VerifyFormat::Text)]
        format: verify::VerifyFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
    /// Copy some series and some time of a data directory (blocks and head) or block into
    /// new blocks that Prometheus loads (drop them into another server's data directory).
    ///
    /// Floats and native histograms alike, deleted samples left out. The range is cut at
    /// multiples of the block duration, as Prometheus aligns blocks, one block per piece.
    /// Chunks wholly inside a piece are copied as they are; chunks cut by the range or a
    /// deletion, and series spread over overlapping blocks or the head, are re-encoded.
    /// The new blocks' directories are printed; an error adds no block to OUTDIR.
    Copy {
        #[command(flatten)]
        range: TimeRange,
        #[command(flatten)]
        matching: Matching,
        /// Longest block written, e.g. 2h, 1d (Prometheus's durations).
        #[arg(long, default_value = "2h", value_parser = timespec::parse_duration)]
        block_duration: i64,
        /// A data directory or one block directory to copy from.
        src: PathBuf,
        /// The directory to write the new blocks into (created if missing).
        out_dir: PathBuf,
    },
    /// Where a block's series, index and chunk bytes go: the figures of `promtool tsdb
    /// analyze` (2.42), ties in a stable order (count, then name).
    ///
    /// The block with the latest min time by default, or BLOCK_ID; only that block is
    /// read. `--extended` adds promtool ≥ 2.48's chunk statistics (samples, bytes and
    /// buckets per float and histogram chunk), bytes of chunk data and of index per
    /// metric name and samples per series; `--per-series` prints each series' samples,
    /// chunks, first and last time, largest gap and bytes per sample. `--match`
    /// restricts every figure to the matching series.
    Analyze {
        /// How many entries each list shows.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Read the chunks too: chunk statistics and bytes per metric name.
        #[arg(long)]
        extended: bool,
        /// Statistics of every (matching) series.
        #[arg(long)]
        per_series: bool,
        #[command(flatten)]
        matching: Matching,
        /// Output format.
        #[arg(long, value_enum, default_value_t = analyze::AnalyzeFormat::Text)]
        format: analyze::AnalyzeFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
        /// The block's ULID (default: the one with the latest min time).
        block_id: Option<String>,
    },
    /// Print the values of one label among the (matching) series, sorted.
    ///
    /// A value that Go's strconv.Quote would escape (newlines and other control characters,
    /// quotes, backslashes, invalid UTF-8) is printed quoted, so every line is one value.
    LabelValues {
        /// The label name.
        name: String,
        #[command(flatten)]
        matching: Matching,
        #[command(flatten)]
        format: ListFormat,
        /// A data directory or one block directory, or a bucket URL (`s3://bucket/prefix`,
        /// `gs://…`, `az://…`, `file:///…`).
        path: PathBuf,
    },
}

/// The layouts of `tsblock export parquet`.
#[cfg(feature = "parquet")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ParquetLayout {
    /// One row per sample (samples.parquet, histograms.parquet).
    Samples,
    /// One row per series, chunks per time window (parquet-common, as Cortex and Mimir).
    ParquetCommon,
}

/// The formats of `tsblock export`.
#[cfg(feature = "parquet")]
#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Samples as Parquet files, series merged as `dump` merges them, in one of two layouts.
    ///
    /// `--layout samples` (default), for DuckDB, Spark, Trino and the like:
    /// OUTDIR/samples.parquet (one row per float sample: a column per label name, then t, v
    /// and stale) and OUTDIR/histograms.parquet (native histograms as JSON), sorted by
    /// series then time.
    ///
    /// `--layout parquet-common`, what Cortex's and Mimir's parquet store-gateways read
    /// (prometheus-community/parquet-common at commit 65ebeae): OUTDIR/0.labels.parquet
    /// (one row per series, a column per label name) and OUTDIR/0.chunks.parquet (the
    /// series' samples re-encoded into chunks, a column per time window, 8 hours by
    /// default), row-aligned.
    /// `tsblock dump OUTDIR` (and every other query command) reads such a directory back.
    Parquet {
        #[command(flatten)]
        range: TimeRange,
        #[command(flatten)]
        matching: Matching,
        /// The layout written.
        #[arg(long, value_enum, default_value_t = ParquetLayout::Samples)]
        layout: ParquetLayout,
        /// Rows per row group at most (default: 1048576 samples for `samples`, 1000000
        /// series for `parquet-common`).
        #[arg(long, value_name = "ROWS", value_parser = clap::value_parser!(u64).range(1..))]
        row_group_rows: Option<u64>,
        /// `parquet-common`: the time window of one data column, in milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 28_800_000, value_parser = clap::value_parser!(i64).range(1..))]
        data_col_duration_ms: i64,
        /// A data directory or one block directory, or a bucket URL.
        path: PathBuf,
        /// The directory to write into (created if missing).
        out_dir: PathBuf,
    },
}

impl Command {
    /// The data directory, block, log or source the command reads.
    fn path(&self) -> &std::path::Path {
        match self {
            Command::Ls { path, .. }
            | Command::Dump { path, .. }
            | Command::Series { path, .. }
            | Command::Labels { path, .. }
            | Command::Wal { path, .. }
            | Command::Verify { path, .. }
            | Command::Analyze { path, .. }
            | Command::LabelValues { path, .. } => path,
            Command::Copy { src, .. } => src,
            #[cfg(feature = "parquet")]
            Command::Export {
                format: ExportCommand::Parquet { path, .. },
            } => path,
        }
    }
}

/// Whether a PATH argument is a URL (`s3://…`, `file:///…`) rather than a local path.
pub(crate) fn url_of(path: &std::path::Path) -> Option<&str> {
    path.to_str().filter(|s| s.contains("://"))
}

fn open(path: &PathBuf, opts: DbOptions) -> Result<Db, Failure> {
    let db = match url_of(path) {
        Some(url) => tsblock::object::Bucket::from_url(url)?.open_db()?,
        None => Db::open_options(path, opts)?,
    };
    for w in db.warnings() {
        eprintln!("tsblock: warning: {w}");
    }
    Ok(db)
}

fn series(
    out: &mut Out,
    db: &Db,
    range: &TimeRange,
    matching: &Matching,
    format: SeriesFormat,
) -> Result<(), Failure> {
    for series in range.select(db, matching)? {
        let series = series?;
        match format {
            SeriesFormat::Text => compat::push_labels(&mut out.buf, series.labels()),
            SeriesFormat::Json => {
                compat::openmetrics::push_labels_json(&mut out.buf, series.labels())
            }
        }
        out.buf.push(b'\n');
        out.maybe_flush()?;
    }
    Ok(())
}

/// Label names or values of the series matching any selector (of all series if none).
fn union_of<'a>(
    matching: &Matching,
    mut per_set: impl FnMut(&[Matcher]) -> tsblock::Result<Vec<&'a [u8]>>,
) -> Result<Vec<&'a [u8]>, Failure> {
    let sets = matching.sets();
    if sets.is_empty() {
        return Ok(per_set(&[])?);
    }
    let mut all = Vec::new();
    for set in sets {
        all.extend(per_set(set)?);
    }
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

/// One name or value per line, quoted when it would otherwise be ambiguous; or raw and
/// NUL-terminated with `-z`.
fn print_list(out: &mut Out, items: &[&[u8]], format: &ListFormat) -> Result<(), Failure> {
    let mut quoted = Vec::new();
    for item in items {
        if format.null {
            out.buf.extend_from_slice(item);
            out.buf.push(0);
        } else {
            quoted.clear();
            push_quoted(&mut quoted, item);
            if quoted.get(1..quoted.len() - 1) == Some(*item) {
                out.buf.extend_from_slice(item);
            } else {
                out.buf.extend_from_slice(&quoted);
            }
            out.buf.push(b'\n');
        }
        out.maybe_flush()?;
    }
    Ok(())
}

fn run(cli: Cli, out: &mut Out) -> Result<(), Failure> {
    let mode = if cli.no_mmap {
        ReadMode::Read
    } else if cli.ranged {
        ReadMode::Ranged
    } else if cli.mmap || url_of(cli.command.path()).is_some() {
        ReadMode::Mmap
    } else {
        match tsblock::fsinfo::filesystem_type(cli.command.path()) {
            Some(fs) if tsblock::fsinfo::maps_unsafely(&fs) => {
                eprintln!(
                    "tsblock: note: {} is on a {fs} file system, where a failed read of a mapped page kills the process: reading files instead (--mmap maps them anyway)",
                    cli.command.path().display()
                );
                ReadMode::Read
            }
            _ => ReadMode::Mmap,
        }
    };
    let mode = DbOptions {
        mode,
        head: !cli.no_head,
    };
    let stats = cli.stats;
    // What the command fetched, once it is done.
    let report = |db: &Db| {
        if stats {
            print_stats(db.fetch_stats());
        }
    };
    match cli.command {
        Command::Ls {
            human_readable,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            ls::ls(out, &db, human_readable, format)?;
            report(&db);
        }
        Command::Dump {
            range,
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            match format {
                DumpFormat::Prom => dump::dump(out, &db, &range, &matching)?,
                DumpFormat::Json => dump::dump_json(out, &db, &range, &matching)?,
                DumpFormat::Openmetrics => dump::dump_openmetrics(out, &db, &range, &matching)?,
            }
            report(&db);
        }
        Command::Series {
            range,
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            series(out, &db, &range, &matching, format)?;
            report(&db);
        }
        Command::Labels {
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            let names = union_of(&matching, |m| db.label_names(m))?;
            print_list(out, &names, &format)?;
            report(&db);
        }
        Command::Analyze {
            limit,
            extended,
            per_series,
            matching,
            format,
            path,
            block_id,
        } => {
            let req = analyze::Request {
                path: &path,
                block_id: block_id.as_deref(),
                limit,
                extended,
                per_series,
                selectors: matching
                    .selectors
                    .iter()
                    .map(|s| s.matchers().to_vec())
                    .collect(),
                selector_text: matching.selectors.iter().map(|s| s.to_string()).collect(),
                format,
            };
            analyze::run(out, &req, mode.mode, stats)?;
        }
        Command::Copy {
            range,
            matching,
            block_duration,
            src,
            out_dir,
        } => {
            if block_duration <= 0 {
                return Err(Failure::Message("--block-duration must be positive".into()));
            }
            let db = open(&src, mode)?;
            let span = range.resolve(&db);
            let copied = copy::copy(&db, &matching.sets(), span, block_duration, &out_dir)?;
            for b in &copied.blocks {
                writeln!(out, "{}", b.display())?;
            }
            eprintln!(
                "tsblock: {} blocks, {} series in them: {} chunks copied as they are, {} samples re-encoded",
                copied.blocks.len(),
                copied.series,
                copied.chunks_copied,
                copied.samples_reencoded
            );
            report(&db);
        }
        #[cfg(feature = "parquet")]
        Command::Export {
            format:
                ExportCommand::Parquet {
                    range,
                    matching,
                    layout,
                    row_group_rows,
                    data_col_duration_ms,
                    path,
                    out_dir,
                },
        } => {
            use tsblock::export::{parquet, parquet_common};
            let db = open(&path, mode)?;
            let (mint, maxt) = range.resolve(&db);
            let sets = matching.sets();
            let rows = |default: usize| {
                row_group_rows.map_or(default, |r| usize::try_from(r).unwrap_or(usize::MAX))
            };
            let (files, said) = match layout {
                ParquetLayout::Samples => {
                    let opts = parquet::ParquetOptions {
                        row_group_rows: rows(parquet::ParquetOptions::default().row_group_rows),
                    };
                    let s = parquet::export_samples(&db, &sets, mint, maxt, &out_dir, &opts)?;
                    let said = format!(
                        "{} series, {} float samples, {} histogram samples",
                        s.series, s.float_rows, s.histogram_rows
                    );
                    (s.files, said)
                }
                ParquetLayout::ParquetCommon => {
                    let opts = parquet_common::ParquetCommonOptions {
                        row_group_rows: rows(parquet_common::schema::DEFAULT_ROW_GROUP_ROWS),
                        data_col_duration_ms,
                    };
                    let s = parquet_common::export_parquet_common(
                        &db, &sets, mint, maxt, &out_dir, &opts,
                    )?;
                    let said = format!(
                        "{} series, {} samples in {} chunks, {} row groups, minT {} maxT {}",
                        s.series, s.samples, s.chunks, s.row_groups, s.time_range.0, s.time_range.1
                    );
                    (s.files, said)
                }
            };
            for f in &files {
                writeln!(out, "{}", f.display())?;
            }
            eprintln!("tsblock: {said}");
            report(&db);
        }
        Command::Verify { format, path } => {
            verify::verify(out, &path, mode.mode, mode.head, format, stats)?
        }
        Command::Wal { format, path } => wal(out, &path, format, mode.mode)?,
        Command::LabelValues {
            name,
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            let values = union_of(&matching, |m| db.label_values(name.as_bytes(), m))?;
            print_list(out, &values, &format)?;
            report(&db);
        }
    }
    out.flush()?;
    Ok(())
}

/// The `--stats` line.
pub(crate) fn print_stats(stats: Option<tsblock::source::FetchStats>) {
    match stats {
        Some(s) => eprintln!(
            "tsblock: stats: {} requests, {} bytes fetched",
            s.fetches, s.bytes
        ),
        None => eprintln!("tsblock: stats: no ranged reads (files mapped or read whole)"),
    }
}

fn wal(
    out: &mut Out,
    path: &std::path::Path,
    format: WalOutput,
    mode: ReadMode,
) -> Result<(), Failure> {
    let format = match format {
        WalOutput::Text => WalFormat::Text,
        WalOutput::Json => WalFormat::Json,
    };
    let report = match print_log(out, path, format, mode) {
        Ok(r) => r,
        Err(PrintError::Read(e)) => return Err(Failure::Tsdb(e)),
        Err(PrintError::Write(e)) => return Err(Failure::Io(e)),
    };
    out.flush()?;
    for p in &report.problems {
        eprintln!("tsblock: {p}");
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Out::new();
    match run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            eprintln!("tsblock: writing output: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
        Err(Failure::Message(m)) => {
            let _ = out.flush();
            eprintln!("tsblock: {m}");
            ExitCode::FAILURE
        }
        Err(Failure::Tsdb(e)) => {
            // Print what was decoded before the error, then the error.
            let _ = out.flush();
            eprintln!("tsblock: {}", tsblock::error::Report(&e));
            ExitCode::FAILURE
        }
    }
}
