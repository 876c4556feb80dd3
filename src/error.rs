//! Error types.
//!
//! Parsers over raw bytes return [`FormatError`], which names the section and the byte offset
//! but not the file (they do not know it). [`Block`](crate::Block) and [`Db`](crate::Db) wrap
//! it into [`Error::Format`] together with the path of the file the bytes came from.
//!
//! Every error here displays its own message only and hands its cause out through
//! [`source`](std::error::Error::source), so a printer that walks the chain prints each
//! cause once. [`Report`] is such a printer.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The part of a file a [`FormatError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Section {
    /// Index magic number and version byte.
    IndexHeader,
    /// Index table of contents (last 52 bytes).
    IndexToc,
    /// Index symbol table.
    Symbols,
    /// Index series entries.
    Series,
    /// Index postings lists.
    Postings,
    /// Index postings offset table.
    PostingsTable,
    /// Deprecated label indices and label offset table of an index.
    LabelIndices,
    /// Chunk segment file header.
    SegmentHeader,
    /// A chunk inside a segment file.
    Chunk,
    /// The encoded samples inside a chunk.
    ChunkData,
    /// Tombstones file.
    Tombstones,
    /// A fragment of a WAL, checkpoint, WBL or snapshot segment: its header, CRC and the
    /// page padding around it.
    WalFragment,
    /// A WAL record's payload (after decompression: the offset is the record's start in
    /// the segment).
    WalRecord,
    /// A `chunks_head/` file: its header or a chunk in it.
    HeadChunk,
    /// A parquet-common labels or chunks file: its columns, metadata or a row (the
    /// offset is the row number).
    ParquetCommon,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::IndexHeader => "index header",
            Section::IndexToc => "index TOC",
            Section::Symbols => "symbol table",
            Section::Series => "series",
            Section::Postings => "postings",
            Section::PostingsTable => "postings offset table",
            Section::LabelIndices => "label indices",
            Section::SegmentHeader => "chunk segment header",
            Section::Chunk => "chunk",
            Section::ChunkData => "chunk data",
            Section::Tombstones => "tombstones",
            Section::WalFragment => "WAL fragment",
            Section::WalRecord => "WAL record",
            Section::HeadChunk => "head chunk",
            Section::ParquetCommon => "parquet-common row",
        })
    }
}

/// What is wrong with the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// The data ends before a field does.
    #[error("unexpected end of data: {needed} bytes needed, {available} available")]
    Truncated {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// A magic number does not match.
    #[error("bad magic number {found:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// Magic found in the file.
        found: u32,
        /// Magic this section must start with.
        expected: u32,
    },
    /// A version byte this reader does not know.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),
    /// A stored CRC32C does not match the data.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the bytes it covers.
        computed: u32,
    },
    /// A varint longer than its type allows.
    #[error("varint overflows {0} bits")]
    VarintOverflow(u32),
    /// A chunk encoding this version cannot decode (yet).
    #[error("unsupported chunk encoding {0}")]
    UnsupportedEncoding(crate::chunkenc::Encoding),
    /// A reference to a symbol that does not exist.
    #[error("invalid symbol reference {0}")]
    BadSymbol(u64),
    /// A reference to a chunk that does not exist.
    #[error("invalid chunk reference {0:#x}")]
    BadChunkRef(u64),
    /// Any other broken invariant, described.
    #[error("{0}")]
    Invalid(&'static str),
    /// A compressed WAL record does not decompress (the codec's message).
    #[error("{codec} record does not decompress: {reason}")]
    Decompress {
        /// `snappy` or `zstd`.
        codec: &'static str,
        /// What the decoder said.
        reason: &'static str,
    },
    /// A WAL record type this version does not know.
    #[error("unknown WAL record type {0}")]
    UnknownRecordType(u8),
    /// A WAL record type that exists but is not read by this version (named).
    #[error("WAL record type {0} ({1}) is not supported")]
    UnsupportedRecordType(u8, &'static str),
    /// Fetching the bytes failed (a ranged source's I/O error, see
    /// [`ReadAt`](crate::source::ReadAt)). Only the kind is kept: a `FormatError` must
    /// stay plain data without drop glue, because decoders return it from their hot loops
    /// (holding the `io::Error` itself cost the XOR decoder a third of its speed).
    #[error("reading the bytes failed: {0}")]
    Io(io::ErrorKind),
}

/// A malformed, truncated or unsupported piece of a TSDB file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Section of the file.
    pub section: Section,
    /// Byte offset in the file (for chunk data: offset inside the chunk's data).
    pub offset: u64,
    /// What is wrong.
    pub kind: FormatErrorKind,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {}: {}",
            self.section, self.offset, self.kind
        )
    }
}

impl std::error::Error for FormatError {}

impl FormatError {
    /// Creates an error.
    pub fn new(section: Section, offset: u64, kind: FormatErrorKind) -> Self {
        FormatError {
            section,
            offset,
            kind,
        }
    }
}

/// Errors from opening and reading blocks and data directories.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or mapping a file failed.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A file's content is malformed, truncated or unsupported.
    #[error("{}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// Section, offset and cause.
        #[source]
        source: FormatError,
    },
    /// A WAL record's payload is malformed or of a type this version refuses.
    #[error("{}: record at offset {offset}", path.display())]
    Record {
        /// The segment file.
        path: PathBuf,
        /// Where the record starts in the segment.
        offset: u64,
        /// Position inside the (decompressed) record, and cause.
        #[source]
        source: FormatError,
    },
    /// `meta.json` is not valid JSON for a block meta.
    #[error("{}: invalid block meta", path.display())]
    Meta {
        /// The meta.json file.
        path: PathBuf,
        /// The JSON error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// `meta.json` carries a version other than 1.
    #[error("{}: unsupported meta.json version {version} (only 1 is readable)", path.display())]
    MetaVersion {
        /// The meta.json file.
        path: PathBuf,
        /// The version found.
        version: i64,
    },
    /// The data of a chunk held in memory (no file to name) does not decode.
    #[error("chunk data in memory")]
    Decode {
        /// Section, offset inside the chunk data, and cause.
        #[source]
        source: FormatError,
    },
    /// [`Block::verify`](crate::Block::verify) found problems (see
    /// [`Report::into_result`](crate::verify::Report::into_result)).
    #[error("{}: {} problems, the first: {}", path.display(), problems.len(), problems.first().map(|p| p.to_string()).unwrap_or_default())]
    Verify {
        /// The block directory.
        path: PathBuf,
        /// Everything wrong.
        problems: Vec<crate::verify::Problem>,
    },
    /// A Parquet file could not be written or read (the `parquet` crate's error): an
    /// export's output, or a parquet-common source.
    #[cfg(feature = "parquet")]
    #[error("{}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What the Parquet library said.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// The path is neither a block directory nor a data directory.
    #[error("{}: {what}", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
        /// What is missing.
        what: &'static str,
    },
}

impl Error {
    /// The file or directory the error is about, when it names one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Io { path, .. }
            | Error::Format { path, .. }
            | Error::Record { path, .. }
            | Error::Meta { path, .. }
            | Error::MetaVersion { path, .. }
            | Error::Verify { path, .. }
            | Error::NotFound { path, .. } => Some(path),
            #[cfg(feature = "parquet")]
            Error::Parquet { path, .. } => Some(path),
            Error::Decode { .. } => None,
        }
    }

    /// True when the error is a chunk encoding this version does not decode yet
    /// (native histograms), as opposed to corruption.
    pub fn is_unsupported_encoding(&self) -> bool {
        matches!(
            self,
            Error::Format {
                source: FormatError {
                    kind: FormatErrorKind::UnsupportedEncoding(_),
                    ..
                },
                ..
            }
        )
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error in the file `path`.
    pub fn format(path: impl Into<PathBuf>, source: FormatError) -> Self {
        Error::Format {
            path: path.into(),
            source,
        }
    }
}

/// Displays an error and all its causes, joined with `": "` (outermost first), the way
/// the command-line tools print a failure.
///
/// Errors display only their own message (see the [module docs](self)); this puts the chain
/// back together for people, e.g. `eprintln!("tsblock: {}", Report(&e))`.
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_displayed_once_by_report() {
        let e = Error::format(
            "b/index",
            FormatError::new(
                Section::Symbols,
                5,
                FormatErrorKind::Checksum {
                    stored: 1,
                    computed: 2,
                },
            ),
        );
        assert_eq!(e.to_string(), "b/index");
        assert_eq!(
            Report(&e).to_string(),
            "b/index: symbol table at offset 5: checksum mismatch: stored 0x00000001, computed 0x00000002"
        );
        let io = Error::io("b/chunks", io::Error::other("disk on fire"));
        assert_eq!(Report(&io).to_string(), "b/chunks: disk on fire");
    }
}
