//! `tsblock`: list, dump and query Prometheus TSDB blocks; `ls` and `dump` print what
//! `promtool tsdb list`/`dump` print.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tsblock::compat::{self, promtool};
use tsblock::export::json::{ExportError, JsonExporter};
use tsblock::export::wal::{print_log, PrintError, WalFormat};
use tsblock::query::{Matcher, SampleRef, Selector, SelectorError};
use tsblock::text::push_quoted;
use tsblock::{Db, DbOptions, Querier, ReadMode};

/// Read Prometheus TSDB blocks straight from memory-mapped files.
#[derive(Debug, Parser)]
#[command(name = "tsblock", version, about, long_about = None)]
struct Cli {
    /// Read files into memory instead of memory-mapping them (safe if files may change).
    #[arg(long, global = true, conflicts_with = "ranged")]
    no_mmap: bool,

    /// Read only the byte ranges a command needs, with positioned reads through a cache,
    /// instead of mapping or reading whole files (for network file systems).
    #[arg(long, global = true)]
    ranged: bool,

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

/// A closed time range in milliseconds.
#[derive(Debug, clap::Args)]
struct TimeRange {
    /// First timestamp to include (ms, inclusive).
    #[arg(long, default_value_t = i64::MIN, allow_negative_numbers = true)]
    min_time: i64,
    /// Last timestamp to include (ms, inclusive).
    #[arg(long, default_value_t = i64::MAX, allow_negative_numbers = true)]
    max_time: i64,
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
        /// A data directory or one block directory.
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
        /// A data directory or one block directory.
        path: PathBuf,
    },
    /// Print the label set of every series with samples in the range, one per line.
    Series {
        #[command(flatten)]
        range: TimeRange,
        #[command(flatten)]
        matching: Matching,
        /// A data directory or one block directory.
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
        /// A data directory or one block directory.
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
        /// A data directory or one block directory.
        path: PathBuf,
    },
}

/// Stdout behind a large buffer; a closed pipe ends the program quietly.
struct Out {
    buf: Vec<u8>,
    stdout: io::Stdout,
}

const FLUSH_AT: usize = 1 << 16;

impl Out {
    fn new() -> Self {
        Out {
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            stdout: io::stdout(),
        }
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes `data` after what is buffered, without copying it into the buffer.
    fn write_through(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() < FLUSH_AT {
            self.buf.extend_from_slice(data);
            return self.maybe_flush();
        }
        self.flush()?;
        let mut lock = self.stdout.lock();
        lock.write_all(data)?;
        lock.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::flush_buf(&mut self.buf)
    }

    /// Writes `buf` to stdout and empties it.
    fn flush_buf(buf: &mut Vec<u8>) -> io::Result<()> {
        let mut lock = io::stdout().lock();
        lock.write_all(buf)?;
        lock.flush()?;
        buf.clear();
        Ok(())
    }
}

/// For the library's streaming writers ([`JsonExporter`]): appends to the buffer, flushing
/// it to stdout when it is full.
impl Write for Out {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.maybe_flush()?;
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Out::flush(self)
    }
}

#[derive(Debug)]
enum Failure {
    Tsdb(tsblock::Error),
    Io(io::Error),
    /// Problems already printed.
    Reported,
}

impl From<tsblock::Error> for Failure {
    fn from(e: tsblock::Error) -> Self {
        Failure::Tsdb(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<ExportError> for Failure {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Read(e) => Failure::Tsdb(e),
            ExportError::Write(e) => Failure::Io(e),
        }
    }
}

fn open(path: &PathBuf, opts: DbOptions) -> Result<Db, Failure> {
    let db = Db::open_options(path, opts)?;
    for w in db.warnings() {
        eprintln!("tsblock: warning: {w}");
    }
    Ok(db)
}

fn ls(out: &mut Out, db: &Db, human: bool) -> Result<(), Failure> {
    // promtool fails to list a block whose symbol or postings table is corrupt.
    for b in db.blocks() {
        b.check_tables()?;
    }
    out.buf
        .extend_from_slice(&promtool::list_table(db.blocks(), human));
    if let Some(head) = db.head() {
        eprintln!("tsblock: {}", head_summary(head));
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
    /// comes, the set fails or ends.
    fn gather(set: &mut tsblock::query::SeriesSet<'a>) -> Self {
        let mut b = Batch::default();
        while b.chunks < BATCH_CHUNKS {
            match set.next() {
                Some(Ok(series)) => {
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
        b
    }

    /// True when nothing can follow this batch.
    fn last(&self) -> bool {
        self.failed.is_some() || self.done
    }
}

fn dump(out: &mut Out, db: &Db, range: &TimeRange, matching: &Matching) -> Result<(), Failure> {
    // Series are merged in order on this thread and gathered into batches. A batch is cut
    // in two halves of about the same number of chunks: the helper thread formats the
    // second while this one formats the first and then gathers the next batch; both
    // halves are written in order. Each series' text is complete or ends at its error,
    // which stops the dump after the text before it.
    let mut set = db.select_any(&matching.sets(), range.min_time, range.max_time)?;
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
        let mut next = Batch::gather(&mut set);
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
                next = Batch::gather(&mut set);
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

fn dump_json(
    out: &mut Out,
    db: &Db,
    range: &TimeRange,
    matching: &Matching,
) -> Result<(), Failure> {
    let mut exporter = JsonExporter::new();
    for series in db.select_any(&matching.sets(), range.min_time, range.max_time)? {
        exporter.write_series(out, &series?)?;
    }
    Ok(())
}

fn series(out: &mut Out, db: &Db, range: &TimeRange, matching: &Matching) -> Result<(), Failure> {
    for series in db.select_any(&matching.sets(), range.min_time, range.max_time)? {
        compat::push_labels(&mut out.buf, series?.labels());
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
    } else {
        ReadMode::Mmap
    };
    let mode = DbOptions {
        mode,
        head: !cli.no_head,
    };
    match cli.command {
        Command::Ls {
            human_readable,
            path,
        } => {
            let db = open(&path, mode)?;
            ls(out, &db, human_readable)?;
        }
        Command::Dump {
            range,
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            match format {
                DumpFormat::Prom => dump(out, &db, &range, &matching)?,
                DumpFormat::Json => dump_json(out, &db, &range, &matching)?,
            }
        }
        Command::Series {
            range,
            matching,
            path,
        } => {
            let db = open(&path, mode)?;
            series(out, &db, &range, &matching)?;
        }
        Command::Labels {
            matching,
            format,
            path,
        } => {
            let db = open(&path, mode)?;
            let names = union_of(&matching, |m| db.label_names(m))?;
            print_list(out, &names, &format)?;
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
        }
    }
    out.flush()?;
    Ok(())
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
        Err(Failure::Tsdb(e)) => {
            // Print what was decoded before the error, then the error.
            let _ = out.flush();
            eprintln!("tsblock: {}", tsblock::error::Report(&e));
            ExitCode::FAILURE
        }
    }
}
