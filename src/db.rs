//! A data directory: ULID-named block directories and, on a live server's directory, the
//! head (`wal/`, `chunks_head/`, `wbl/`; see [`crate::head`]).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::block::Block;
use crate::error::{Error, Result};
use crate::head::{Head, HeadOptions, HeadWarning};
use crate::source::{FetchStats, ReadMode};

/// Something the reader tolerated and the user should hear about.
#[derive(Debug)]
#[non_exhaustive]
pub enum Warning {
    /// A block was skipped, as Prometheus skips it: its `meta.json` is missing, unreadable
    /// or of another version, or it is broken but a block that opened lists it as a
    /// compaction parent.
    SkippedBlock {
        /// The block directory.
        dir: PathBuf,
        /// Why.
        error: Error,
    },
    /// The head left something out where Prometheus would have repaired its files.
    Head(HeadWarning),
    /// A block in a bucket carries a `deletion-mark.json` (Thanos, Mimir): it is about
    /// to be deleted and was left out, as their readers leave it out.
    MarkedForDeletion {
        /// The block.
        dir: PathBuf,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::SkippedBlock { dir, error } => {
                let error = crate::error::Report(error);
                write!(f, "skipping block {}: {error}", dir.display())
            }
            Warning::Head(w) => write!(f, "head: {w}"),
            Warning::MarkedForDeletion { dir } => {
                write!(f, "skipping block {}: marked for deletion", dir.display())
            }
        }
    }
}

/// True when `name` is a valid ULID string (26 Crockford base32 characters whose value fits
/// 128 bits), as Go's `ulid.ParseStrict` demands of block directory names.
pub fn is_ulid(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 26
        && b[0] <= b'7'
        && b.iter().all(|&c| {
            matches!(c, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z'
                | b'a'..=b'h' | b'j' | b'k' | b'm' | b'n' | b'p'..=b't' | b'v'..=b'z')
        })
}

/// How to open a [`Db`].
#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    /// How files are brought into memory.
    pub mode: ReadMode,
    /// Whether to read the head of a data directory that has a `wal/` (as promtool does).
    pub head: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            mode: ReadMode::Mmap,
            head: true,
        }
    }
}

/// The blocks of a data directory (or a single block directory), sorted by `minTime`, and
/// the directory's head.
#[derive(Debug)]
pub struct Db {
    path: PathBuf,
    blocks: Vec<Block>,
    head: Option<Head>,
    warnings: Vec<Warning>,
    /// What opening fetched, for sources that fetch (a bucket).
    opened: Option<FetchStats>,
    /// A parquet-common export read back as a block (a directory of
    /// `<n>.labels.parquet` and `<n>.chunks.parquet`).
    #[cfg(feature = "parquet")]
    parquet_common: Option<crate::export::parquet_common::ParquetCommonSource>,
}

impl Db {
    /// Opens `path` with memory maps: a block directory (it has `meta.json`) or a data
    /// directory of blocks, with its head if it has a `wal/`.
    pub fn open(path: impl AsRef<Path>) -> Result<Db> {
        Db::open_options(path, DbOptions::default())
    }

    /// Opens `path`, mapping or reading files as `mode` says, with the head.
    pub fn open_with(path: impl AsRef<Path>, mode: ReadMode) -> Result<Db> {
        Db::open_options(
            path,
            DbOptions {
                mode,
                ..DbOptions::default()
            },
        )
    }

    /// Opens `path` as `opts` say.
    ///
    /// With cargo feature `parquet`, a directory holding a parquet-common export
    /// (`0.labels.parquet`, `0.chunks.parquet`, …; see
    /// [`crate::export::parquet_common`]) opens as a data directory whose one block is
    /// that export.
    ///
    /// Blocks whose `meta.json` cannot be read are skipped with a [`Warning`]; any other
    /// problem in a block (index, chunks, tombstones) is an error. The head, if read, is
    /// replayed in memory from the directory's `wal/`, `chunks_head/` and `wbl/`, keeping
    /// samples from the newest block's max time on, as Prometheus does. Nothing is locked,
    /// replayed into the directory or written.
    pub fn open_options(path: impl AsRef<Path>, opts: DbOptions) -> Result<Db> {
        let mode = opts.mode;
        let path = path.as_ref().to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if !meta.is_dir() {
            return Err(Error::NotFound {
                path,
                what: "not a directory",
            });
        }
        let mut warnings = Vec::new();
        if path.join("meta.json").exists() {
            let block = Block::open_with(&path, mode)?;
            return Ok(Db {
                path,
                blocks: vec![block],
                head: None,
                warnings,
                opened: None,
                #[cfg(feature = "parquet")]
                parquet_common: None,
            });
        }
        // A parquet-common export (cargo feature `parquet`): its shards read as one block.
        #[cfg(feature = "parquet")]
        if crate::export::parquet_common::read::is_parquet_common_dir(&path) {
            let src = crate::export::parquet_common::ParquetCommonSource::open(&path)?;
            return Ok(Db {
                path,
                blocks: Vec::new(),
                head: None,
                warnings,
                opened: None,
                parquet_common: Some(src),
            });
        }
        let mut dirs: Vec<(String, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&path).map_err(|e| Error::io(&path, e))? {
            let entry = entry.map_err(|e| Error::io(&path, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Temporary dirs (`<ULID>.tmp-for-creation`, …) fail the ULID check too; like
            // Go's DirEntry.IsDir, a symlink is not a directory.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_ulid(&name) && is_dir {
                dirs.push((name, entry.path()));
            }
        }
        dirs.sort();
        let mut blocks = Vec::with_capacity(dirs.len());
        let mut broken = Vec::new();
        for (name, dir) in dirs {
            // Like Prometheus: a block whose meta.json does not read is skipped; any other
            // problem in a block is an error, unless a block that opened lists it as a
            // compaction parent (it was compacted away and is about to be deleted).
            if let Err(error) = crate::meta::BlockMeta::read(&dir.join("meta.json")) {
                warnings.push(Warning::SkippedBlock { dir, error });
                continue;
            }
            match Block::open_with(&dir, mode) {
                Ok(b) => blocks.push(b),
                Err(error) => broken.push((name, dir, error)),
            }
        }
        for (name, dir, error) in broken {
            let replaced = blocks
                .iter()
                .any(|b| b.meta().compaction.parents.iter().any(|p| p.ulid == name));
            if !replaced {
                return Err(error);
            }
            warnings.push(Warning::SkippedBlock { dir, error });
        }
        blocks.sort_by_key(|b| b.meta().min_time);
        let mut head = None;
        if opts.head && path.join("wal").is_dir() {
            // Prometheus: the last block by minTime sets the head's minimum valid time.
            let min_valid_time = blocks.last().map_or(i64::MIN, |b| b.meta().max_time);
            let h = Head::open(
                &path,
                HeadOptions {
                    mode,
                    min_valid_time,
                    ..HeadOptions::default()
                },
            )?;
            let (h, ws) = h.take_warnings();
            warnings.extend(ws.into_iter().map(Warning::Head));
            head = Some(h);
        }
        Ok(Db {
            path,
            blocks,
            head,
            warnings,
            opened: None,
            #[cfg(feature = "parquet")]
            parquet_common: None,
        })
    }

    /// A data directory made of blocks opened elsewhere (a bucket), named `path`;
    /// `opened` is what finding and opening them fetched.
    pub(crate) fn from_blocks(
        path: PathBuf,
        blocks: Vec<Block>,
        warnings: Vec<Warning>,
        opened: FetchStats,
    ) -> Db {
        Db {
            path,
            blocks,
            head: None,
            warnings,
            opened: Some(opened),
            #[cfg(feature = "parquet")]
            parquet_common: None,
        }
    }

    /// What was fetched on demand ([`ReadMode::Ranged`], a bucket): requests and bytes of
    /// every block's ranged reads so far, plus a bucket's listing and `meta.json`
    /// requests; `None` when every file is mapped or read whole.
    pub fn fetch_stats(&self) -> Option<FetchStats> {
        self.opened
            .into_iter()
            .chain(self.blocks.iter().filter_map(Block::fetch_stats))
            .reduce(|a, b| a + b)
    }

    /// The head, if the directory has one and it was read.
    pub fn head(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    /// The parquet-common export this directory is, if it is one (cargo feature
    /// `parquet`): then there are no blocks and no head, and queries read it.
    #[cfg(feature = "parquet")]
    pub fn parquet_common(&self) -> Option<&crate::export::parquet_common::ParquetCommonSource> {
        self.parquet_common.as_ref()
    }

    /// The path opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocks sorted by `minTime`.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// What was skipped or not read.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulid_names() {
        assert!(is_ulid("01M8D13N1WHQPF0T7CZAC5B35Y"));
        assert!(is_ulid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        assert!(!is_ulid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        assert!(!is_ulid("01M8D13N1WHQPF0T7CZAC5B35Y.tmp-for-creation"));
        assert!(!is_ulid("01M8D13N1WHQPF0T7CZAC5B35I"));
        assert!(!is_ulid("wal"));
    }
}
