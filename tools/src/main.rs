//! `tsblock-write`: write Prometheus TSDB blocks from OpenMetrics text (as `promtool tsdb
//! create-blocks-from openmetrics` does) or from a JSON fixture spec, or a generated WAL
//! (a head to read, for benchmarks).
//!
//! Blocks are first written into a staging directory inside OUTDIR (created if missing)
//! and moved into place only when everything succeeded, so malformed input adds no block
//! to OUTDIR.

mod backfill;
mod openmetrics;
mod spec;
mod wal;
mod walshape;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tsblock::error::Report;
use tsblock::meta::BlockMeta;
use tsblock::writer::Flavor;

/// Write Prometheus TSDB blocks that promtool and Prometheus read.
#[derive(Debug, Parser)]
#[command(name = "tsblock-write", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FlavorArg {
    /// Prometheus 3.x chunks (1024-byte cap, no trailing pad byte).
    Prometheus3,
    /// Prometheus 2.x chunks: byte-identical to what promtool 2.42 writes.
    Prometheus2,
}

impl From<FlavorArg> for Flavor {
    fn from(f: FlavorArg) -> Flavor {
        match f {
            FlavorArg::Prometheus3 => Flavor::Prometheus3,
            FlavorArg::Prometheus2 => Flavor::Prometheus2,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Blocks from OpenMetrics text, split and aligned like `promtool tsdb
    /// create-blocks-from openmetrics`.
    Openmetrics {
        /// OpenMetrics file, or `-` for standard input.
        input: PathBuf,
        /// Directory for the blocks (created if missing).
        outdir: PathBuf,
        /// Longest block: the largest 2h × 3^k not above it is used (e.g. 2h, 6h, 18h).
        #[arg(long, default_value = "2h", value_parser = parse_duration)]
        max_block_duration: i64,
        /// Whose chunk layout to reproduce.
        #[arg(long, value_enum, default_value = "prometheus3")]
        flavor: FlavorArg,
        /// Do not print the blocks written.
        #[arg(short, long)]
        quiet: bool,
    },
    /// One block from a JSON fixture spec (series, generators, deletions).
    Json {
        /// The spec file, or `-` for standard input.
        spec: PathBuf,
        /// Directory for the block (created if missing).
        outdir: PathBuf,
        /// Seed for the generators (overrides the spec's); also fixes the ULID.
        #[arg(long)]
        seed: Option<u64>,
        /// The block's ULID (overrides the spec's).
        #[arg(long)]
        ulid: Option<String>,
        /// Whose chunk layout to reproduce (overrides the spec's).
        #[arg(long, value_enum)]
        flavor: Option<FlavorArg>,
        /// Do not print the block written.
        #[arg(short, long)]
        quiet: bool,
    },
    /// A data directory whose head is a generated WAL (no blocks): series records, then
    /// a snappy-compressed samples record per target and scrape, in 128 MiB segments.
    Wal {
        /// Directory to create the `wal/` in (must not have one).
        outdir: PathBuf,
        /// Series in all.
        #[arg(long, default_value_t = 10_000)]
        series: usize,
        /// Series per scrape target (one samples record per target and scrape).
        #[arg(long, default_value_t = 500)]
        per_target: usize,
        /// Scrapes of every target.
        #[arg(long, default_value_t = 240)]
        scrapes: usize,
        /// Scrape interval.
        #[arg(long, default_value = "15s", value_parser = parse_duration)]
        interval: i64,
        /// Time of the first scrape, ms.
        #[arg(long, default_value_t = 1_700_000_000_000)]
        start: i64,
        /// Seed of the values.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// A Prometheus duration: `1h30m`, `2h`, `90s`, `500ms`, `1d`, `1w`, `1y`.
fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?} (e.g. 2h, 1h30m, 1d, 1w)");
    let mut rest = s;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u))
            .ok_or_else(bad)?;
        rest = &rest[unit.len()..];
        let ms = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            _ => 365 * 86_400_000,
        };
        total = n
            .checked_mul(ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

/// A failure, printed as `tsblock-write: …`.
#[derive(Debug)]
pub struct Failure(pub String);

/// An error becomes its message followed by its causes (`tsblock`'s errors display only
/// their own message).
impl<E: std::error::Error + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(Report(&e).to_string())
    }
}

/// A staging directory inside OUTDIR whose blocks are moved into OUTDIR on success and
/// which is removed in every case.
struct Staging {
    dir: PathBuf,
    outdir: PathBuf,
}

impl Staging {
    fn new(outdir: &Path) -> Result<Staging, Failure> {
        std::fs::create_dir_all(outdir)
            .map_err(|e| Failure(format!("{}: {e}", outdir.display())))?;
        // Not a ULID, so Prometheus and tsblock ignore it.
        let dir = outdir.join(format!(".tsblock-write-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
        Ok(Staging {
            dir,
            outdir: outdir.to_path_buf(),
        })
    }

    /// Moves the finished blocks into OUTDIR: all of them, or (after taking back those
    /// already moved) none.
    fn commit(&self, blocks: &[BlockMeta]) -> Result<(), Failure> {
        for (i, b) in blocks.iter().enumerate() {
            let from = self.dir.join(&b.ulid);
            let to = self.outdir.join(&b.ulid);
            if let Err(e) = std::fs::rename(&from, &to) {
                for done in blocks.get(..i).unwrap_or_default() {
                    let _ = std::fs::remove_dir_all(self.outdir.join(&done.ulid));
                }
                return Err(Failure(format!("{}: {e}", to.display())));
            }
        }
        std::fs::File::open(&self.outdir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Failure(format!("{}: {e}", self.outdir.display())))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Maps an input file. Standard input (`-`) is first copied into a file in the staging
/// directory, so that neither input grows this process's memory.
fn read_input(path: &Path, staging: &Staging) -> Result<tsblock::source::Source, Failure> {
    let path = if path == Path::new("-") {
        let spool = staging.dir.join("stdin");
        let mut f = std::fs::File::create(&spool)
            .map_err(|e| Failure(format!("{}: {e}", spool.display())))?;
        io::copy(&mut io::stdin().lock(), &mut f)
            .map_err(|e| Failure(format!("standard input: {e}")))?;
        spool
    } else {
        path.to_path_buf()
    };
    tsblock::source::Source::open(&path, tsblock::ReadMode::Mmap).map_err(Failure::from)
}

fn input_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

/// Prints the blocks written, as `promtool tsdb create-blocks-from` does (its `tsdb list`
/// table).
fn print_blocks(outdir: &Path, blocks: &[BlockMeta]) -> Result<(), Failure> {
    let opened = blocks
        .iter()
        .map(|m| tsblock::Block::open(outdir.join(&m.ulid)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = io::stdout().lock();
    out.write_all(&tsblock::compat::promtool::list_table(&opened, false))?;
    out.flush()?;
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Wal {
            outdir,
            series,
            per_target,
            scrapes,
            interval,
            start,
            seed,
        } => {
            let shape = walshape::WalShape {
                series,
                per_target,
                scrapes,
                interval,
                start,
                seed,
            };
            let (samples, segments) = wal::write(&outdir, shape)?;
            println!(
                "{}: {samples} samples of {series} series in {segments} WAL segment(s)",
                outdir.display()
            );
        }
        Command::Openmetrics {
            input,
            outdir,
            max_block_duration,
            flavor,
            quiet,
        } => {
            let staging = Staging::new(&outdir)?;
            let data = read_input(&input, &staging)?;
            let name = input_name(&input);
            let blocks = backfill::openmetrics(
                &data,
                &name,
                max_block_duration,
                flavor.into(),
                &staging.dir,
            )?;
            staging.commit(&blocks)?;
            if !quiet {
                print_blocks(&outdir, &blocks)?;
            }
        }
        Command::Json {
            spec,
            outdir,
            seed,
            ulid,
            flavor,
            quiet,
        } => {
            let staging = Staging::new(&outdir)?;
            let data = read_input(&spec, &staging)?;
            let name = input_name(&spec);
            let block = backfill::json(
                &data,
                &name,
                seed,
                ulid.as_deref(),
                flavor.map(Flavor::from),
                &staging.dir,
            )?;
            staging.commit(std::slice::from_ref(&block))?;
            if !quiet {
                print_blocks(&outdir, std::slice::from_ref(&block))?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("tsblock-write: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(parse_duration("1w"), Ok(604_800_000));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("2").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999y").is_err());
    }
}
