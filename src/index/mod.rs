//! The block index, parsed in place from its bytes.
//!
//! ```text
//! magic 0xBAAAD700 <4b> | version <1b> | symbol table | series | [label indices] |
//! postings | [label offset table] | postings offset table | TOC <52b>
//! ```
//!
//! Opening reads only the header, the TOC (CRC-checked) and the headers of the symbol table
//! and postings offset table, so open cost does not grow with the block. The symbol and
//! postings-table samples are built (and CRC-checked) on first use; series entries and
//! postings lists are decoded, and their CRCs checked, when they are read.
//! [`Index::verify`] checks everything.

mod postings;
mod symbols;
mod verify;
mod writer;

use crate::bytes::{check_crc, Cursor};
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::labels::Label;
use crate::postings::PostingsIter;
use crate::refs::ChunkRef;
use crate::source::ReadAt;

use postings::PostingsTable;
pub use postings::{LabelValue, LabelValues, Postings};
use symbols::Symbols;
pub use writer::{IndexWriteError, IndexWriter};

/// Magic number at the start of an index file.
pub const INDEX_MAGIC: u32 = 0xBAAA_D700;
/// Length of the table of contents at the end of the file.
pub const TOC_LEN: usize = 6 * 8 + 4;
const HEADER_LEN: usize = 5;

/// Index format versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexVersion {
    /// Prometheus 2.0–2.1: symbol and series references are file offsets.
    V1 = 1,
    /// Prometheus 2.2 and later.
    V2 = 2,
    /// Read like V2 by Prometheus 2.55+ and 3.x (nobody writes it yet).
    V3 = 3,
}

/// The table of contents: file offsets of the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toc {
    /// Symbol table.
    pub symbols: u64,
    /// Series (may point at padding before the first entry).
    pub series: u64,
    /// Label indices (deprecated; not read).
    pub label_indices: u64,
    /// Label offset table (deprecated; not read).
    pub label_indices_table: u64,
    /// Postings lists.
    pub postings: u64,
    /// Postings offset table.
    pub postings_table: u64,
}

impl Toc {
    /// Parses and checks the last 52 bytes of an index file.
    pub fn parse<S: ReadAt + ?Sized>(file: &S) -> Result<Toc, FormatError> {
        let start = file.size().checked_sub(TOC_LEN as u64).ok_or_else(|| {
            FormatError::new(
                Section::IndexToc,
                0,
                FormatErrorKind::Truncated {
                    needed: TOC_LEN as u64,
                    available: file.size(),
                },
            )
        })?;
        let toc = crate::bytes::read_at(file, file.size(), start, TOC_LEN, Section::IndexToc)?;
        let mut c = Cursor::new(toc, start, Section::IndexToc);
        let fields = [
            c.be_u64()?,
            c.be_u64()?,
            c.be_u64()?,
            c.be_u64()?,
            c.be_u64()?,
            c.be_u64()?,
        ];
        let stored = c.be_u32()?;
        check_crc(
            toc.get(..48).unwrap_or_default(),
            stored,
            Section::IndexToc,
            start,
        )?;
        let [symbols, series, label_indices, label_indices_table, postings, postings_table] =
            fields;
        Ok(Toc {
            symbols,
            series,
            label_indices,
            label_indices_table,
            postings,
            postings_table,
        })
    }
}

/// A chunk's place in the chunk segments and its time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkMeta {
    /// Timestamp of the chunk's first sample (inclusive).
    pub min_time: i64,
    /// Timestamp of the chunk's last sample (inclusive).
    pub max_time: i64,
    /// Where the chunk is, for the chunk reader of the same block (see [`ChunkRef`]).
    pub chunk_ref: ChunkRef,
}

/// A parsed index over a byte source `S` (a memory map, a `Vec<u8>`, a `&[u8]`, a
/// [`RangeCache`](crate::source::RangeCache), a `Box<dyn ReadAt>`…).
#[derive(Debug)]
pub struct Index<S> {
    data: S,
    /// Where the TOC starts: every section lies below.
    body_len: u64,
    version: IndexVersion,
    toc: Toc,
    symbols: Symbols,
    postings_table: PostingsTable,
}

impl<S: ReadAt> Index<S> {
    /// Opens an index: checks magic, version, TOC and section bounds. Does not scan:
    /// reads the header, the TOC and the two tables' headers.
    pub fn new(data: S) -> Result<Self, FormatError> {
        let header =
            crate::bytes::read_at(&data, data.size(), 0, HEADER_LEN, Section::IndexHeader)?;
        let mut c = Cursor::new(header, 0, Section::IndexHeader);
        c.magic(INDEX_MAGIC)?;
        let version = match c.version(|v| (1..=3).contains(&v))? {
            1 => IndexVersion::V1,
            2 => IndexVersion::V2,
            _ => IndexVersion::V3,
        };
        let toc = Toc::parse(&data)?;
        // Sections must lie between the header and the TOC.
        let body_len = data.size() - TOC_LEN as u64;
        for (off, section) in [
            (toc.symbols, Section::Symbols),
            (toc.postings_table, Section::PostingsTable),
        ] {
            if off < HEADER_LEN as u64 || off >= body_len {
                return Err(FormatError::new(
                    Section::IndexToc,
                    body_len,
                    FormatErrorKind::Invalid(match section {
                        Section::Symbols => "symbol table offset out of bounds",
                        _ => "postings offset table offset out of bounds",
                    }),
                ));
            }
        }
        let v1 = version == IndexVersion::V1;
        let symbols = Symbols::new(&data, body_len, toc.symbols, v1)?;
        let postings_table = PostingsTable::new(&data, body_len, toc.postings_table, !v1)?;
        Ok(Index {
            data,
            body_len,
            version,
            toc,
            symbols,
            postings_table,
        })
    }

    /// The byte source.
    pub fn source(&self) -> &S {
        &self.data
    }

    /// The whole file (which a ranged source fetches whole).
    pub fn bytes(&self) -> Result<&[u8], FormatError> {
        let len = usize::try_from(self.data.size()).unwrap_or(usize::MAX);
        crate::bytes::read_at(&self.data, self.data.size(), 0, len, Section::IndexHeader)
    }

    /// Length of the index file in bytes.
    pub fn len(&self) -> u64 {
        self.data.size()
    }

    /// True for an empty file (which never opens; for symmetry with `len`).
    pub fn is_empty(&self) -> bool {
        self.data.size() == 0
    }

    /// `len` bytes at `offset`, below the TOC.
    fn read(&self, offset: u64, len: usize, section: Section) -> Result<&[u8], FormatError> {
        crate::bytes::read_at(&self.data, self.body_len, offset, len, section)
    }

    /// The symbol table's bytes (fetched once by a ranged source).
    fn symbol_table(&self) -> Result<&[u8], FormatError> {
        self.read(self.symbols.offset(), self.symbols.size(), Section::Symbols)
    }

    /// The postings offset table's bytes.
    fn postings_table(&self) -> Result<&[u8], FormatError> {
        self.read(
            self.postings_table.offset(),
            self.postings_table.size(),
            Section::PostingsTable,
        )
    }

    /// Format version.
    pub fn version(&self) -> IndexVersion {
        self.version
    }

    /// Table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// Number of symbols.
    pub fn num_symbols(&self) -> u32 {
        self.symbols.len()
    }

    /// The symbol a reference points at (a position in v2, a file offset in v1).
    pub fn symbol(&self, r: u32) -> Result<&[u8], FormatError> {
        self.symbols.lookup(self.symbol_table()?, r)
    }

    /// True when `s` is in the symbol table (binary search; no full scan).
    pub fn has_symbol(&self, s: &[u8]) -> Result<bool, FormatError> {
        self.symbols.contains(self.symbol_table()?, s)
    }

    /// All symbols, in table order.
    pub fn symbols(&self) -> impl Iterator<Item = Result<&[u8], FormatError>> + '_ {
        let (table, err) = match self.symbol_table() {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(Err(e))),
        };
        table
            .into_iter()
            .flat_map(|t| self.symbols.iter(t))
            .chain(err)
    }

    /// The postings list of `name="value"`; empty if the pair does not occur.
    pub fn postings(&self, name: &[u8], value: &[u8]) -> Result<Postings<'_>, FormatError> {
        match self.postings_offset(name, value)? {
            Some(off) => self.postings_at(off),
            None => Ok(Postings::empty()),
        }
    }

    /// Every series of the block, in label order (the `("", "")` postings list).
    pub fn all_postings(&self) -> Result<Postings<'_>, FormatError> {
        self.postings(b"", b"")
    }

    /// Label names used by any series, sorted.
    pub fn label_names(&self) -> Result<Vec<&[u8]>, FormatError> {
        self.postings_table.names(self.postings_table()?)
    }

    /// Values of label `name`, sorted.
    pub fn label_values(&self, name: &[u8]) -> Result<Vec<&[u8]>, FormatError> {
        Ok(self
            .postings_table
            .values(self.postings_table()?, name)?
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// The values of `name` from the first one `>= from` on, in order, each with the offset
    /// of its postings list; read lazily from the postings offset table. With `from = b""`
    /// this walks every value; with a prefix it starts where values with that prefix do.
    pub fn label_values_from(
        &self,
        name: &[u8],
        from: &[u8],
    ) -> Result<LabelValues<'_>, FormatError> {
        self.postings_table
            .values_from(self.postings_table()?, name, from)
    }

    /// The postings list at `offset` (a [`LabelValue::postings_offset`]), CRC-checked.
    pub fn postings_at(&self, offset: u64) -> Result<Postings<'_>, FormatError> {
        Postings::parse_below(&self.data, self.body_len, offset)
    }

    /// The postings offset of `name="value"`, if the pair occurs.
    pub fn postings_offset(&self, name: &[u8], value: &[u8]) -> Result<Option<u64>, FormatError> {
        self.postings_table
            .lookup(self.postings_table()?, name, value)
    }

    /// File offset of a series entry (the reference itself if it overflows).
    pub(crate) fn series_offset_of(&self, id: u64) -> u64 {
        self.series_offset(id).unwrap_or(id)
    }

    /// File offset of a series entry.
    fn series_offset(&self, id: u64) -> Option<u64> {
        match self.version {
            IndexVersion::V1 => Some(id),
            _ => id.checked_mul(16),
        }
    }

    /// Where the series entry at file offset `off` starts (after its length) and how
    /// long it is (without its CRC), both checked against the index's body.
    pub(crate) fn series_entry(&self, off: u64) -> Result<(u64, usize), FormatError> {
        let Some(left) = self.body_len.checked_sub(off).filter(|&l| l > 0) else {
            return Err(FormatError::new(
                Section::Series,
                off,
                FormatErrorKind::Invalid("series reference out of bounds"),
            ));
        };
        // Length is a uvarint of at most 5 bytes (Go reads it as MaxVarintLen32).
        let window = left.min(5) as usize;
        let head = self.read(off, window, Section::Series)?;
        let (len, n) = match crate::bytes::decode_uvarint(head) {
            Ok((len, n)) if n <= 5 => (len, n),
            Ok(_) | Err(crate::bytes::UvarintError::Overflow) => {
                return Err(FormatError::new(
                    Section::Series,
                    off,
                    FormatErrorKind::VarintOverflow(32),
                ))
            }
            Err(crate::bytes::UvarintError::Truncated) if window == 5 => {
                return Err(FormatError::new(
                    Section::Series,
                    off,
                    FormatErrorKind::VarintOverflow(32),
                ))
            }
            Err(crate::bytes::UvarintError::Truncated) => {
                return Err(FormatError::new(
                    Section::Series,
                    off,
                    FormatErrorKind::Truncated {
                        needed: 1,
                        available: 0,
                    },
                ))
            }
        };
        let entry_at = off + n as u64;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l as u64 <= self.body_len - entry_at)
            .ok_or_else(|| {
                FormatError::new(
                    Section::Series,
                    entry_at,
                    FormatErrorKind::Truncated {
                        needed: len,
                        available: self.body_len - entry_at,
                    },
                )
            })?;
        Ok((entry_at, len))
    }

    /// Decodes series `id` (a postings entry) into `labels` and `chunks`, replacing their
    /// contents. Reusing the two vectors across calls avoids allocating per series.
    pub fn series<'s>(
        &'s self,
        id: u64,
        labels: &mut Vec<Label<'s>>,
        chunks: &mut Vec<ChunkMeta>,
    ) -> Result<(), FormatError> {
        labels.clear();
        chunks.clear();
        let off = self
            .series_offset(id)
            .filter(|&o| o >= HEADER_LEN as u64 && o < self.body_len)
            .ok_or_else(|| {
                FormatError::new(
                    Section::Series,
                    id,
                    FormatErrorKind::Invalid("series reference out of bounds"),
                )
            })?;
        let (entry_at, len) = self.series_entry(off)?;
        let whole = self.read(entry_at, len + 4, Section::Series)?;
        let entry = whole.get(..len).unwrap_or_default();
        let stored = whole
            .get(len..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_be_bytes);
        check_crc(entry, stored, Section::Series, off)?;
        let table = self.symbol_table()?;
        let mut c = Cursor::new(entry, entry_at, Section::Series);
        let n_labels = c.uvarint_len()?;
        // Each label takes at least two bytes: reject counts the entry cannot hold.
        if n_labels > c.remaining() / 2 {
            return Err(c.invalid("more labels announced than the entry holds"));
        }
        labels.reserve(n_labels);
        for _ in 0..n_labels {
            let name = self.symbols.lookup(table, c.uvarint32()?)?;
            let value = self.symbols.lookup(table, c.uvarint32()?)?;
            labels.push(Label { name, value });
        }
        let n_chunks = c.uvarint_len()?;
        if n_chunks > c.remaining() / 3 {
            return Err(c.invalid("more chunks announced than the entry holds"));
        }
        chunks.reserve(n_chunks);
        let mut prev: Option<ChunkMeta> = None;
        for _ in 0..n_chunks {
            let meta = match prev {
                None => {
                    let min_time = c.varint()?;
                    let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                    let chunk_ref = ChunkRef(c.uvarint()?);
                    ChunkMeta {
                        min_time,
                        max_time,
                        chunk_ref,
                    }
                }
                Some(p) => {
                    let min_time = p.max_time.wrapping_add(c.uvarint()? as i64);
                    let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                    let chunk_ref = ChunkRef(p.chunk_ref.0.wrapping_add(c.varint()? as u64));
                    ChunkMeta {
                        min_time,
                        max_time,
                        chunk_ref,
                    }
                }
            };
            chunks.push(meta);
            prev = Some(meta);
        }
        Ok(())
    }

    /// Checks the deprecated label offset table and label indices (written up to
    /// Prometheus 3.6, read by no one) when present: their CRCs and offsets.
    fn verify_label_indices(&self) -> Result<(), FormatError> {
        let body = (&self.data, self.body_len);
        let table = self.toc.label_indices_table;
        if table == 0 || table >= self.toc.postings_table {
            return Ok(());
        }
        let (entries, entries_off) =
            crate::bytes::checked_section_below(body.0, body.1, table, Section::LabelIndices)?;
        let mut c = Cursor::new(entries, entries_off, Section::LabelIndices);
        let n = c.be_u32()?;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..n {
            let keys = c.uvarint()?;
            if keys != 1 {
                return Err(c.invalid("label offset table entry without exactly 1 key"));
            }
            c.uvarint_bytes()?;
            let off = c.uvarint()?;
            // One label index per entry: entries sharing one would have it checked again
            // for every entry.
            if !seen.insert(off) {
                return Err(c.invalid("two label offset table entries point at one label index"));
            }
            let (index, index_off) =
                crate::bytes::checked_section_below(body.0, body.1, off, Section::LabelIndices)?;
            let mut l = Cursor::new(index, index_off, Section::LabelIndices);
            let names = l.be_u32()?;
            let count = l.be_u32()? as usize;
            let expected = (names as usize)
                .checked_mul(count)
                .and_then(|n| n.checked_mul(4));
            if expected != Some(l.remaining()) {
                return Err(l.invalid("label index length does not match its entry count"));
            }
        }
        if !c.is_empty() {
            return Err(c.invalid("trailing bytes after the label offset table"));
        }
        Ok(())
    }

    /// What Prometheus checks when it opens an index and this reader leaves to first use:
    /// the symbol table's and postings offset table's CRCs and structure, and that every
    /// label name is a symbol. Reads both tables once (their lookups are cached for later).
    pub fn check_tables(&self) -> Result<(), FormatError> {
        let symbols = self.symbol_table()?;
        let table = self.postings_table()?;
        self.symbols.verify(symbols)?;
        self.postings_table.verify(table)?;
        for name in self.postings_table.names(table)? {
            if !self.symbols.contains(symbols, name)? {
                return Err(FormatError::new(
                    Section::PostingsTable,
                    self.toc.postings_table,
                    FormatErrorKind::Invalid("label name missing from the symbol table"),
                ));
            }
        }
        Ok(())
    }

    /// Checks every checksum and structure of the index: symbol table, postings offset
    /// table, every postings list it points at, and every series those lists reference.
    pub fn verify(&self) -> Result<(), FormatError> {
        self.check_tables()?;
        let table = self.postings_table()?;
        for name in self
            .postings_table
            .names(table)?
            .into_iter()
            .chain([&b""[..]])
        {
            // Each list once, however many entries point at it.
            let mut offsets: Vec<u64> = self
                .postings_table
                .values(table, name)?
                .into_iter()
                .map(|(_, off)| off)
                .collect();
            offsets.sort_unstable();
            offsets.dedup();
            for off in offsets {
                let mut last = None;
                // The entries as written (`next` passes over repeats).
                for id in self.postings_at(off)?.into_refs() {
                    if last.is_some_and(|l| id <= l) {
                        return Err(FormatError::new(
                            Section::Postings,
                            off,
                            FormatErrorKind::Invalid("postings list not strictly ascending"),
                        ));
                    }
                    last = Some(id);
                }
            }
        }
        self.verify_label_indices()?;
        let mut labels = Vec::new();
        let mut chunks = Vec::new();
        let mut all = self.all_postings()?;
        while all.next() {
            self.series(all.at().0, &mut labels, &mut chunks)?;
        }
        Ok(())
    }
}
