//! `tsblock`: list and dump Prometheus TSDB blocks, with output identical to `promtool tsdb`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tsblock::query::Value;
use tsblock::{promtool, Db, ReadMode};

/// Read Prometheus TSDB blocks straight from memory-mapped files.
#[derive(Debug, Parser)]
#[command(name = "tsblock", version, about, long_about = None)]
struct Cli {
    /// Read files into memory instead of memory-mapping them (safe if files may change).
    #[arg(long, global = true)]
    no_mmap: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the blocks of a data directory (as `promtool tsdb list`).
    #[command(alias = "list")]
    Ls {
        /// Print times as dates and sizes in KiB/MiB/….
        #[arg(short = 'r', long)]
        human_readable: bool,
        /// A data directory or one block directory.
        path: PathBuf,
    },
    /// Print every float sample as `{labels} value timestamp` (as `promtool tsdb dump`).
    Dump {
        /// First timestamp to print (ms, inclusive).
        #[arg(long, default_value_t = i64::MIN, allow_negative_numbers = true)]
        min_time: i64,
        /// Last timestamp to print (ms, inclusive).
        #[arg(long, default_value_t = i64::MAX, allow_negative_numbers = true)]
        max_time: i64,
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

    fn flush(&mut self) -> io::Result<()> {
        let mut lock = self.stdout.lock();
        lock.write_all(&self.buf)?;
        lock.flush()?;
        self.buf.clear();
        Ok(())
    }
}

#[derive(Debug)]
enum Failure {
    Tsdb(tsblock::Error),
    Io(io::Error),
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

fn open(path: &PathBuf, no_mmap: bool) -> Result<Db, Failure> {
    let mode = if no_mmap {
        ReadMode::Read
    } else {
        ReadMode::Mmap
    };
    let db = Db::open_with(path, mode)?;
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
    Ok(())
}

fn dump(out: &mut Out, db: &Db, mint: i64, maxt: i64) -> Result<(), Failure> {
    let mut prefix = Vec::with_capacity(256);
    for series in db.select(mint, maxt)? {
        let series = series?;
        prefix.clear();
        promtool::push_dump_prefix(&mut prefix, series.labels());
        for sample in series.samples() {
            let sample = match sample {
                Ok(s) => s,
                // promtool 2.42 stops a series at its first non-float sample.
                Err(e) if e.is_unsupported_encoding() => break,
                Err(e) => return Err(e.into()),
            };
            let Value::Float(v) = sample.value else {
                break;
            };
            promtool::push_dump_line(&mut out.buf, &prefix, sample.t, v);
            out.maybe_flush()?;
        }
    }
    Ok(())
}

fn run(cli: Cli, out: &mut Out) -> Result<(), Failure> {
    match cli.command {
        Command::Ls {
            human_readable,
            path,
        } => {
            let db = open(&path, cli.no_mmap)?;
            ls(out, &db, human_readable)?;
        }
        Command::Dump {
            min_time,
            max_time,
            path,
        } => {
            let db = open(&path, cli.no_mmap)?;
            dump(out, &db, min_time, max_time)?;
        }
    }
    out.flush()?;
    Ok(())
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
        Err(Failure::Tsdb(e)) => {
            // Print what was decoded before the error, then the error.
            let _ = out.flush();
            let mut msg = format!("tsblock: {e}");
            let mut src = std::error::Error::source(&e);
            // The Display of our errors already includes their source; only add deeper ones.
            if let Some(s) = src {
                src = s.source();
            }
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
