//! Writes an index file in format version 2, laid out exactly as Prometheus 2.42 writes it:
//! symbols, 16-byte aligned series, label indices, postings, label offset table, postings
//! offset table, TOC. (Prometheus 3.7+ omits the label indices; no reader uses them, but
//! writing them keeps our index byte-identical with 2.42's.)

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Write};

use crate::fxhash::FxHasher;

use super::{ChunkMeta, Toc, INDEX_MAGIC};
use crate::bytes::{crc32c, put_uvarint, put_varint};
use crate::labels::Label;

/// Errors of the index writer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexWriteError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Symbols are not strictly ascending.
    #[error("symbols not strictly ascending at symbol {0}")]
    UnsortedSymbols(usize),
    /// A series is not strictly after the previous one in label order.
    #[error("series not in strictly ascending label order: {0}")]
    UnsortedSeries(String),
    /// A series uses a string that is not in the symbol table.
    #[error("label string not in the symbol table: {0:?}")]
    MissingSymbol(String),
    /// A series has no labels, or labels not sorted by name.
    #[error("series labels empty or not sorted by unique names: {0}")]
    BadLabels(String),
    /// The file would exceed the format's limits (4 GiB sections, 2^32 series slots).
    #[error("index too large: {0}")]
    TooLarge(&'static str),
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    put_uvarint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Streams an index to `W`.
///
/// Call [`add_symbols`](Self::add_symbols) once, then [`add_series`](Self::add_series) for
/// every series in label order, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct IndexWriter<W: Write> {
    out: W,
    pos: u64,
    toc: Toc,
    symbols: HashMap<Box<[u8]>, u32, BuildHasherDefault<FxHasher>>,
    /// (name symbol, value symbol, series ID), one per label of every series: sorted at
    /// the end, they are the postings lists in the order they are written (symbol order is
    /// byte order). A flat vector, not a map of lists: a million series with a unique
    /// label value would otherwise cost a million small allocations.
    postings: Vec<[u32; 3]>,
    all: Vec<u32>,
    last: Option<Vec<(u32, u32)>>,
    buf: Vec<u8>,
}

impl<W: Write> IndexWriter<W> {
    /// Starts an index: writes the magic number and version 2.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&INDEX_MAGIC.to_be_bytes())?;
        out.write_all(&[2])?;
        Ok(IndexWriter {
            out,
            pos: 5,
            toc: Toc {
                symbols: 0,
                series: 0,
                label_indices: 0,
                label_indices_table: 0,
                postings: 0,
                postings_table: 0,
            },
            symbols: HashMap::default(),
            postings: Vec::new(),
            all: Vec::new(),
            last: None,
            buf: Vec::new(),
        })
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self, align: u64) -> io::Result<()> {
        let n = (align - self.pos % align) % align;
        self.write(&vec![0u8; n as usize])
    }

    /// Writes `len <4b> | body | CRC32C(body)`.
    fn write_section(&mut self, body: &[u8]) -> Result<(), IndexWriteError> {
        let len = u32::try_from(body.len())
            .map_err(|_| IndexWriteError::TooLarge("section over 4 GiB"))?;
        self.write(&len.to_be_bytes())?;
        self.write(body)?;
        self.write(&crc32c(body).to_be_bytes())?;
        Ok(())
    }

    /// Writes the symbol table: every label name and value, strictly ascending bytewise.
    /// Prometheus also includes the empty string.
    pub fn add_symbols<'s>(
        &mut self,
        symbols: impl IntoIterator<Item = &'s [u8]>,
    ) -> Result<(), IndexWriteError> {
        self.toc.symbols = self.pos;
        let mut body = Vec::new();
        body.extend_from_slice(&[0; 4]);
        let mut prev: Option<&[u8]> = None;
        let mut n = 0u32;
        for (i, s) in symbols.into_iter().enumerate() {
            if prev.is_some_and(|p| p >= s) {
                return Err(IndexWriteError::UnsortedSymbols(i));
            }
            put_str(&mut body, s);
            self.symbols.insert(s.into(), n);
            n = n
                .checked_add(1)
                .ok_or(IndexWriteError::TooLarge("more than 2^32 symbols"))?;
            prev = Some(s);
        }
        for (d, s) in body.iter_mut().zip(n.to_be_bytes()) {
            *d = s;
        }
        self.write_section(&body)
    }

    fn symbol(&self, s: &[u8]) -> Result<u32, IndexWriteError> {
        self.symbols
            .get(s)
            .copied()
            .ok_or_else(|| IndexWriteError::MissingSymbol(String::from_utf8_lossy(s).into_owned()))
    }

    /// Makes room for `n` labels' postings entries (the number of labels of all series to
    /// come), so that a large index does not grow its list by doubling.
    pub fn reserve_postings(&mut self, n: usize) {
        self.postings.reserve_exact(n);
    }

    /// Writes one series and returns its reference (what postings and tombstones use).
    /// Series must come in strictly ascending label order; chunk metas in time order with
    /// inclusive bounds.
    pub fn add_series(
        &mut self,
        labels: &[Label<'_>],
        chunks: &[ChunkMeta],
    ) -> Result<u64, IndexWriteError> {
        // The labels' Debug form: `[name="value", …]`, lossy on invalid UTF-8.
        let describe = || format!("{labels:?}");
        if labels.is_empty()
            || labels
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.name >= b.name))
        {
            return Err(IndexWriteError::BadLabels(describe()));
        }
        let mut refs = Vec::with_capacity(labels.len());
        for l in labels {
            refs.push((self.symbol(l.name)?, self.symbol(l.value)?));
        }
        if self.last.as_ref().is_some_and(|last| *last >= refs) {
            return Err(IndexWriteError::UnsortedSeries(describe()));
        }
        if self.all.is_empty() {
            self.toc.series = self.pos;
        }
        self.pad(16)?;
        let id = u32::try_from(self.pos / 16)
            .map_err(|_| IndexWriteError::TooLarge("series section over 64 GiB"))?;

        let mut body = std::mem::take(&mut self.buf);
        body.clear();
        put_uvarint(&mut body, refs.len() as u64);
        for &(n, v) in &refs {
            put_uvarint(&mut body, u64::from(n));
            put_uvarint(&mut body, u64::from(v));
        }
        put_uvarint(&mut body, chunks.len() as u64);
        let mut prev: Option<&ChunkMeta> = None;
        for c in chunks {
            match prev {
                None => {
                    put_varint(&mut body, c.min_time);
                    put_uvarint(&mut body, c.max_time.wrapping_sub(c.min_time) as u64);
                    put_uvarint(&mut body, c.chunk_ref.0);
                }
                Some(p) => {
                    put_uvarint(&mut body, c.min_time.wrapping_sub(p.max_time) as u64);
                    put_uvarint(&mut body, c.max_time.wrapping_sub(c.min_time) as u64);
                    put_varint(&mut body, c.chunk_ref.0.wrapping_sub(p.chunk_ref.0) as i64);
                }
            }
            prev = Some(c);
        }
        let mut head = Vec::with_capacity(5);
        put_uvarint(&mut head, body.len() as u64);
        self.write(&head)?;
        self.write(&body)?;
        self.write(&crc32c(&body).to_be_bytes())?;
        self.buf = body;

        for &(n, v) in &refs {
            self.postings.push([n, v, id]);
        }
        self.all.push(id);
        self.last = Some(refs);
        Ok(u64::from(id))
    }

    /// Writes label indices, postings, the label offset table, the postings offset table
    /// and the TOC; returns the writer.
    pub fn finish(mut self) -> Result<W, IndexWriteError> {
        if self.all.is_empty() {
            self.toc.series = self.pos;
        }
        // Label indices: one per name (but ""), listing its value symbols.
        self.toc.label_indices = self.pos;
        let mut postings = std::mem::take(&mut self.postings);
        // Series IDs ascend as series were added, so the order within a pair is kept.
        postings.sort_unstable();
        let pairs = |p: &[[u32; 3]]| {
            let mut out: Vec<(u32, u32)> = Vec::new();
            for &[n, v, _] in p {
                if out.last() != Some(&(n, v)) {
                    out.push((n, v));
                }
            }
            out
        };
        let distinct = pairs(&postings);
        let mut label_offsets = Vec::new();
        for values in distinct.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(name, _)) = values.first() else {
                continue;
            };
            self.pad(4)?;
            label_offsets.push((name, self.pos));
            let mut body = Vec::with_capacity(8 + 4 * values.len());
            body.extend_from_slice(&1u32.to_be_bytes());
            body.extend_from_slice(&(values.len() as u32).to_be_bytes());
            for (_, v) in values {
                body.extend_from_slice(&v.to_be_bytes());
            }
            self.write_section(&body)?;
        }
        drop(distinct);
        // Postings: the all-series list under ("", "") first, then every pair in order.
        self.toc.postings = self.pos;
        let all = std::mem::take(&mut self.all);
        let mut offsets: Vec<(Option<(u32, u32)>, u64)> = Vec::new();
        self.pad(4)?;
        offsets.push((None, self.pos));
        let mut body = Vec::with_capacity(4 + 4 * all.len());
        body.extend_from_slice(&(all.len() as u32).to_be_bytes());
        for id in &all {
            body.extend_from_slice(&id.to_be_bytes());
        }
        self.write_section(&body)?;
        drop(all);
        for list in postings.chunk_by(|a, b| a[..2] == b[..2]) {
            let Some(&[n, v, _]) = list.first() else {
                continue;
            };
            self.pad(4)?;
            offsets.push((Some((n, v)), self.pos));
            body.clear();
            body.extend_from_slice(&(list.len() as u32).to_be_bytes());
            for [_, _, id] in list {
                body.extend_from_slice(&id.to_be_bytes());
            }
            self.write_section(&body)?;
        }
        drop(postings);
        let mut strings: Vec<&[u8]> = vec![&[]; self.symbols.len()];
        for (s, &i) in &self.symbols {
            if let Some(slot) = strings.get_mut(i as usize) {
                *slot = s;
            }
        }
        let string = |i: u32| strings.get(i as usize).copied().unwrap_or_default();
        // Label offset table.
        self.toc.label_indices_table = self.pos;
        let mut body = Vec::new();
        body.extend_from_slice(&(label_offsets.len() as u32).to_be_bytes());
        for (name, off) in &label_offsets {
            put_uvarint(&mut body, 1);
            put_str(&mut body, string(*name));
            put_uvarint(&mut body, *off);
        }
        // Postings offset table.
        let mut table = Vec::new();
        table.extend_from_slice(&(offsets.len() as u32).to_be_bytes());
        for (key, off) in &offsets {
            put_uvarint(&mut table, 2);
            let (n, v) = match key {
                Some((n, v)) => (string(*n), string(*v)),
                None => (&b""[..], &b""[..]),
            };
            put_str(&mut table, n);
            put_str(&mut table, v);
            put_uvarint(&mut table, *off);
        }
        self.write_section(&body)?;
        self.toc.postings_table = self.pos;
        self.write_section(&table)?;
        let mut toc = Vec::with_capacity(52);
        for v in [
            self.toc.symbols,
            self.toc.series,
            self.toc.label_indices,
            self.toc.label_indices_table,
            self.toc.postings,
            self.toc.postings_table,
        ] {
            toc.extend_from_slice(&v.to_be_bytes());
        }
        let crc = crc32c(&toc);
        toc.extend_from_slice(&crc.to_be_bytes());
        self.write(&toc)?;
        if self.pos > 64 << 30 {
            return Err(IndexWriteError::TooLarge("index over 64 GiB"));
        }
        self.out.flush()?;
        Ok(self.out)
    }
}
