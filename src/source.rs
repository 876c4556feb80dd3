//! The bytes of one file: memory-mapped or read into memory.
//!
//! This is the only module with `unsafe`.

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use crate::error::{Error, Result};

/// How files are brought into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// Read-only shared memory maps (the default): pages are loaded on demand.
    #[default]
    Mmap,
    /// `read(2)` each file into an owned buffer: safe on files that may change while open.
    Read,
}

/// The immutable bytes of one file.
#[derive(Debug)]
pub enum Source {
    /// A read-only memory map of the whole file.
    Mapped(memmap2::Mmap),
    /// The file's bytes read into memory.
    Owned(Vec<u8>),
}

impl Source {
    /// Opens `path` with the given mode.
    pub fn open(path: &Path, mode: ReadMode) -> Result<Source> {
        match mode {
            ReadMode::Read => std::fs::read(path)
                .map(Source::Owned)
                .map_err(|e| Error::io(path, e)),
            ReadMode::Mmap => {
                let file = File::open(path).map_err(|e| Error::io(path, e))?;
                let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
                if len == 0 {
                    // Zero-length maps are not portable; there is nothing to map anyway.
                    return Ok(Source::Owned(Vec::new()));
                }
                // SAFETY: memmap2 requires that the mapped file is not modified or truncated
                // by anyone while the map lives. TSDB block files are immutable once their
                // block directory has been renamed into place; Prometheus only ever replaces
                // `tombstones` and `meta.json` by renaming a new file over them, which leaves
                // an existing map of the old inode intact. What this cannot rule out: another
                // process truncating or rewriting a file in place (or an I/O error on a network
                // file system) makes a later access to the missing pages raise SIGBUS and the
                // process dies; data races on rewritten bytes are undefined behaviour. Callers
                // who cannot trust the directory use `ReadMode::Read`.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
                Ok(Source::Mapped(map))
            }
        }
    }
}

impl Deref for Source {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m,
            Source::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for Source {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}
