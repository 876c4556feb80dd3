//! Postings lists and the postings offset table.
//!
//! A postings list is `len <4b> | #entries <4b> | series_ref <4b BE>* | CRC32C <4b>`; the
//! offset table maps each `(name, value)` pair to the file offset of its list:
//! `len <4b> | #entries <4b> | { 2 <uvarint> name value offset <uvarint> }* | CRC32C`.
//!
//! The table is sorted in format v2, so at first use one pass keeps every 32nd value of
//! each name plus its last value (as Prometheus does); a lookup binary-searches those and
//! walks at most 32 entries on disk. Format v1 tables are unsorted and kept whole.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::OnceLock;

use byteorder::{BigEndian, ByteOrder};

use crate::bytes::Cursor;
use crate::error::{FormatError, FormatErrorKind, Section};
use crate::postings::PostingsIter;
use crate::refs::SeriesRef;
use crate::source::ReadAt;

const SAMPLE_EVERY: usize = 32;

/// A postings list's series references, decoded lazily from the mapped big-endian bytes:
/// a [`PostingsIter`] whose `seek` gallops.
#[derive(Debug, Clone)]
pub struct Postings<'a> {
    entries: &'a [u8],
    /// Byte position of the next unread entry.
    pos: usize,
    /// The current entry, once `next` or `seek` found one.
    cur: Option<u64>,
    done: bool,
}

impl<'a> Postings<'a> {
    /// Parses the list at `offset` of `file`, checking its CRC and length.
    pub fn parse<S: ReadAt + ?Sized>(file: &'a S, offset: u64) -> Result<Self, FormatError> {
        Self::parse_below(file, file.size(), offset)
    }

    /// [`Postings::parse`] for a list that must end at or before `limit`.
    pub fn parse_below<S: ReadAt + ?Sized>(
        file: &'a S,
        limit: u64,
        offset: u64,
    ) -> Result<Self, FormatError> {
        let (body, body_off) =
            crate::bytes::checked_section_below(file, limit, offset, Section::Postings)?;
        let mut c = Cursor::new(body, body_off, Section::Postings);
        let n = c.be_u32()? as usize;
        if n.checked_mul(4) != Some(c.remaining()) {
            return Err(c.invalid("postings length does not match its entry count"));
        }
        Ok(Self::over(c.rest()))
    }

    fn over(entries: &'a [u8]) -> Self {
        Postings {
            entries,
            pos: 0,
            cur: None,
            done: false,
        }
    }

    /// An empty list.
    pub fn empty() -> Self {
        Self::over(&[])
    }

    /// The references not yet read, as numbers: a checked list cannot fail later, so
    /// this needs no error channel.
    pub fn into_refs(mut self) -> impl Iterator<Item = u64> + 'a {
        std::iter::from_fn(move || self.read())
    }

    /// Entries not yet read.
    pub fn remaining(&self) -> usize {
        (self.entries.len().saturating_sub(self.pos)) / 4
    }

    /// The `i`-th unread entry (`u64::MAX` past the end).
    #[inline]
    fn peek(&self, i: usize) -> u64 {
        let at = self.pos + 4 * i;
        self.entries
            .get(at..at + 4)
            .map_or(u64::MAX, |b| u64::from(BigEndian::read_u32(b)))
    }

    /// Reads the next unread entry.
    #[inline]
    fn read(&mut self) -> Option<u64> {
        let b = self.entries.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u64::from(BigEndian::read_u32(b)))
    }

    /// Skips unread entries below `target` and reads the first entry `>= target`.
    ///
    /// Gallops (1, 2, 4, … entries ahead) and then binary-searches, so a seek costs
    /// O(log distance) however long the list is. Assumes the list ascends, as Prometheus
    /// writes it; on a list that does not, it returns some later entry and still ends.
    fn read_from(&mut self, target: u64) -> Option<u64> {
        let n = self.remaining();
        if n == 0 {
            return None;
        }
        if self.peek(0) >= target {
            return self.read();
        }
        // Invariant: peek(lo) < target, and hi == n or peek(hi) >= target.
        let (mut lo, mut step) = (0usize, 1usize);
        let mut hi = loop {
            let hi = lo.saturating_add(step);
            if hi >= n {
                break n;
            }
            if self.peek(hi) >= target {
                break hi;
            }
            lo = hi;
            step = step.saturating_mul(2);
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.peek(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        self.pos += 4 * hi;
        self.read()
    }

    fn settle(&mut self, v: Option<u64>) -> bool {
        self.cur = v;
        self.done = v.is_none();
        !self.done
    }
}

impl PostingsIter for Postings<'_> {
    #[inline]
    fn next(&mut self) -> bool {
        if self.done {
            return false;
        }
        let mut v = self.read();
        // Prometheus writes lists ascending; in one that is not (`verify` reports it), an
        // entry not above the current one is passed over, so no series is handed out
        // twice however often the list repeats it. Each still costs its 4 bytes.
        if let Some(cur) = self.cur {
            while v.is_some_and(|x| x <= cur) {
                v = self.read();
            }
        }
        self.settle(v)
    }

    #[inline]
    fn seek(&mut self, target: SeriesRef) -> bool {
        if self.done {
            return false;
        }
        if self.cur.is_some_and(|v| v >= target.0) {
            return true;
        }
        let v = self.read_from(target.0);
        self.settle(v)
    }

    #[inline]
    fn at(&self) -> SeriesRef {
        SeriesRef(self.cur.unwrap_or(0))
    }

    fn cost(&self) -> usize {
        self.remaining() + usize::from(self.cur.is_some() && !self.done)
    }
}

/// One remembered table entry: where its value bytes are, and where the entry starts.
#[derive(Debug, Clone)]
struct Sample {
    /// Positions relative to the table's start.
    value: Range<usize>,
    entry: usize,
}

#[derive(Debug, Clone)]
struct NameEntry {
    name: Range<usize>,
    /// Every 32nd value plus the last (v2), or all values sorted (v1).
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct TableIndex {
    names: Vec<NameEntry>,
}

/// The postings offset table of an index.
#[derive(Debug)]
pub(crate) struct PostingsTable {
    table_off: u64,
    /// File range of the entries (after `#entries`, before the CRC).
    start: usize,
    end: usize,
    count: u32,
    sorted: bool,
    index: OnceLock<Result<TableIndex, FormatError>>,
}

/// A decoded table entry.
struct Entry<'f> {
    name: &'f [u8],
    name_range: Range<usize>,
    value: &'f [u8],
    value_range: Range<usize>,
    offset: u64,
}

/// Reads one entry; `c` must come from `PostingsTable::cursor` so positions are table positions.
fn read_entry<'f>(c: &mut Cursor<'f>) -> Result<Entry<'f>, FormatError> {
    let keys = c.uvarint()?;
    if keys != 2 {
        return Err(c.invalid("postings table entry without exactly 2 keys"));
    }
    let name_len = c.uvarint_len()?;
    let name_start = c.position();
    let name = c.bytes(name_len)?;
    let value_len = c.uvarint_len()?;
    let value_start = c.position();
    let value = c.bytes(value_len)?;
    let offset = c.uvarint()?;
    Ok(Entry {
        name,
        name_range: name_start..name_start + name_len,
        value,
        value_range: value_start..value_start + value_len,
        offset,
    })
}

impl PostingsTable {
    /// Reads the table header at `offset` of `file`, which ends at `limit`: cheap, no scan.
    pub(crate) fn new<S: ReadAt + ?Sized>(
        file: &S,
        limit: u64,
        offset: u64,
        sorted: bool,
    ) -> Result<Self, FormatError> {
        let len = crate::bytes::section_len(file, limit, offset, Section::PostingsTable)?;
        let body =
            crate::bytes::read_at(file, limit, offset + 4, len.min(4), Section::PostingsTable)?;
        let mut c = Cursor::new(body, offset + 4, Section::PostingsTable);
        let count = c.be_u32()?;
        let start = 8;
        let end = 4 + len;
        // An entry takes at least 4 bytes (2, two empty strings, an offset).
        if count as usize > (end - start) / 4 {
            return Err(c.invalid("more entries announced than fit in the table"));
        }
        Ok(PostingsTable {
            table_off: offset,
            start,
            end,
            count,
            sorted,
            index: OnceLock::new(),
        })
    }

    /// File offset of the table.
    pub(crate) fn offset(&self) -> u64 {
        self.table_off
    }

    /// Bytes of the whole table, `len` field to CRC.
    pub(crate) fn size(&self) -> usize {
        self.end + 4
    }

    fn cursor<'f>(&self, table: &'f [u8], pos: usize) -> Result<Cursor<'f>, FormatError> {
        // Positions are relative to the table; the cursor covers it up to the CRC and
        // reports absolute offsets.
        let mut c = Cursor::new(
            table.get(..self.end).unwrap_or_default(),
            self.table_off,
            Section::PostingsTable,
        );
        c.seek(pos)?;
        Ok(c)
    }

    fn build(&self, table: &[u8]) -> Result<TableIndex, FormatError> {
        crate::bytes::checked_section(table, 0, Section::PostingsTable).map_err(|mut e| {
            e.offset += self.table_off;
            e
        })?;
        let mut c = self.cursor(table, self.start)?;
        let mut names: Vec<NameEntry> = Vec::new();
        let mut count_in_name = 0usize;
        let mut last: Option<Sample> = None;
        for _ in 0..self.count {
            let entry_pos = c.position();
            let at = c.offset();
            let e = read_entry(&mut c)?;
            let sample = Sample {
                value: e.value_range.clone(),
                entry: entry_pos,
            };
            let same_name = names
                .last()
                .is_some_and(|n| table.get(n.name.clone()) == Some(e.name));
            if !self.sorted {
                if !same_name {
                    names.push(NameEntry {
                        name: e.name_range.clone(),
                        samples: Vec::new(),
                    });
                }
                if let Some(n) = names.last_mut() {
                    n.samples.push(sample);
                }
                continue;
            }
            if !same_name {
                if let (Some(n), Some(l)) = (names.last_mut(), last.take()) {
                    if n.samples.last().map(|s| s.entry) != Some(l.entry) {
                        n.samples.push(l);
                    }
                }
                if let Some(prev) = names.last() {
                    if table.get(prev.name.clone()).unwrap_or_default() > e.name {
                        return Err(FormatError::new(
                            Section::PostingsTable,
                            at,
                            FormatErrorKind::Invalid("postings table not sorted"),
                        ));
                    }
                }
                names.push(NameEntry {
                    name: e.name_range.clone(),
                    samples: Vec::new(),
                });
                count_in_name = 0;
            }
            if count_in_name % SAMPLE_EVERY == 0 {
                if let Some(n) = names.last_mut() {
                    n.samples.push(sample.clone());
                }
            }
            count_in_name += 1;
            last = Some(sample);
        }
        if let (Some(n), Some(l)) = (names.last_mut(), last) {
            if n.samples.last().map(|s| s.entry) != Some(l.entry) {
                n.samples.push(l);
            }
        }
        if !c.is_empty() {
            return Err(c.invalid("trailing bytes after the last postings table entry"));
        }
        if !self.sorted {
            // v1: merge entries of the same name that were not adjacent, then sort.
            names.sort_by(|a, b| table.get(a.name.clone()).cmp(&table.get(b.name.clone())));
            let mut merged: Vec<NameEntry> = Vec::with_capacity(names.len());
            for n in names {
                match merged.last_mut() {
                    Some(m) if table.get(m.name.clone()) == table.get(n.name.clone()) => {
                        m.samples.extend(n.samples)
                    }
                    _ => merged.push(n),
                }
            }
            for n in &mut merged {
                n.samples
                    .sort_by(|a, b| table.get(a.value.clone()).cmp(&table.get(b.value.clone())));
            }
            names = merged;
        }
        Ok(TableIndex { names })
    }

    fn index<'s>(&'s self, table: &[u8]) -> Result<&'s TableIndex, FormatError> {
        match self.index.get_or_init(|| self.build(table)) {
            Ok(i) => Ok(i),
            Err(e) => Err(e.clone()),
        }
    }

    /// Checks the whole table.
    pub(crate) fn verify(&self, table: &[u8]) -> Result<(), FormatError> {
        self.index(table).map(|_| ())
    }

    fn find_name<'s>(
        &'s self,
        table: &[u8],
        name: &[u8],
    ) -> Result<Option<&'s NameEntry>, FormatError> {
        let idx = self.index(table)?;
        Ok(idx
            .names
            .binary_search_by(|n| table.get(n.name.clone()).unwrap_or_default().cmp(name))
            .ok()
            .and_then(|i| idx.names.get(i)))
    }

    /// File offset of the postings list of `(name, value)`, if the pair exists.
    pub(crate) fn lookup(
        &self,
        table: &[u8],
        name: &[u8],
        value: &[u8],
    ) -> Result<Option<u64>, FormatError> {
        let Some(n) = self.find_name(table, name)? else {
            return Ok(None);
        };
        let val = |s: &Sample| table.get(s.value.clone()).unwrap_or_default();
        // Last sample whose value <= the wanted one.
        let i = n.samples.partition_point(|s| val(s) <= value);
        let Some(s) = i.checked_sub(1).and_then(|i| n.samples.get(i)) else {
            return Ok(None);
        };
        let mut c = self.cursor(table, s.entry)?;
        if !self.sorted {
            let e = read_entry(&mut c)?;
            return Ok((e.value == value).then_some(e.offset));
        }
        // Walk forward on disk: at most SAMPLE_EVERY entries.
        for _ in 0..=SAMPLE_EVERY {
            if c.position() >= self.end {
                break;
            }
            let e = read_entry(&mut c)?;
            if e.name != name {
                break;
            }
            match e.value.cmp(value) {
                Ordering::Less => continue,
                Ordering::Equal => return Ok(Some(e.offset)),
                Ordering::Greater => break,
            }
        }
        Ok(None)
    }

    /// All label names, sorted (the empty all-postings name excluded).
    pub(crate) fn names<'f>(&self, table: &'f [u8]) -> Result<Vec<&'f [u8]>, FormatError> {
        let idx = self.index(table)?;
        Ok(idx
            .names
            .iter()
            .filter_map(|n| table.get(n.name.clone()))
            .filter(|n| !n.is_empty())
            .collect())
    }

    /// All values of `name`, sorted, each with its postings offset.
    pub(crate) fn values<'a>(
        &'a self,
        table: &'a [u8],
        name: &[u8],
    ) -> Result<Vec<(&'a [u8], u64)>, FormatError> {
        self.values_from(table, name, b"")?
            .map(|r| r.map(|v| (v.value, v.postings_offset)))
            .collect()
    }

    /// The values of `name` from the first one `>= from` on, in order, read lazily from
    /// the table: finding the start reads at most 32 entries, each step one more.
    pub(crate) fn values_from<'a>(
        &'a self,
        table: &'a [u8],
        name: &[u8],
        from: &[u8],
    ) -> Result<LabelValues<'a>, FormatError> {
        let empty = LabelValues {
            inner: ValuesInner::Done,
        };
        let Some(n) = self.find_name(table, name)? else {
            return Ok(empty);
        };
        let val = |s: &Sample| table.get(s.value.clone()).unwrap_or_default();
        let first = n.samples.partition_point(|s| val(s) < from);
        if !self.sorted {
            return Ok(LabelValues {
                inner: ValuesInner::Listed {
                    table: self,
                    bytes: table,
                    samples: n.samples.get(first..).unwrap_or_default().iter(),
                },
            });
        }
        let Some(last) = n.samples.last() else {
            return Ok(empty);
        };
        // Values between the previous sample and `first` may be >= from too.
        let Some(start) = n.samples.get(first.saturating_sub(1)) else {
            return Ok(empty);
        };
        let mut c = self.cursor(table, start.entry)?;
        loop {
            if c.position() > last.entry {
                return Ok(empty);
            }
            let at = c.position();
            let e = read_entry(&mut c)?;
            if e.value >= from {
                c.seek(at)?;
                break;
            }
        }
        Ok(LabelValues {
            inner: ValuesInner::Walk {
                cursor: c,
                last_entry: last.entry,
            },
        })
    }
}

/// A label value and where its postings list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelValue<'a> {
    /// The value.
    pub value: &'a [u8],
    /// File offset of the postings list of this name and value (see
    /// [`super::Index::postings_at`]).
    pub postings_offset: u64,
}

/// Iterator over the values of one label name, in order (see
/// [`super::Index::label_values_from`]).
#[derive(Debug)]
pub struct LabelValues<'a> {
    inner: ValuesInner<'a>,
}

#[derive(Debug)]
enum ValuesInner<'a> {
    /// Sorted table (v2): walk entries on disk up to the name's last entry.
    Walk {
        cursor: Cursor<'a>,
        last_entry: usize,
    },
    /// Unsorted table (v1): every entry is remembered, in value order.
    Listed {
        table: &'a PostingsTable,
        bytes: &'a [u8],
        samples: std::slice::Iter<'a, Sample>,
    },
    Done,
}

impl<'a> Iterator for LabelValues<'a> {
    type Item = Result<LabelValue<'a>, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = match &mut self.inner {
            ValuesInner::Done => return None,
            ValuesInner::Walk { cursor, last_entry } => {
                if cursor.position() > *last_entry {
                    self.inner = ValuesInner::Done;
                    return None;
                }
                read_entry(cursor)
            }
            ValuesInner::Listed {
                table,
                bytes,
                samples,
            } => {
                let s = samples.next()?;
                table
                    .cursor(bytes, s.entry)
                    .and_then(|mut c| read_entry(&mut c))
            }
        };
        match r {
            Ok(e) => Some(Ok(LabelValue {
                value: e.value,
                postings_offset: e.offset,
            })),
            Err(e) => {
                self.inner = ValuesInner::Done;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A postings list section (length, count, entries, CRC) of `refs`.
    fn list_bytes(refs: &[u32]) -> Vec<u8> {
        let mut body = (refs.len() as u32).to_be_bytes().to_vec();
        for r in refs {
            body.extend_from_slice(&r.to_be_bytes());
        }
        let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&crate::bytes::crc32c(&body).to_be_bytes());
        bytes
    }

    #[test]
    fn a_list_that_repeats_or_goes_back_hands_each_series_out_once() {
        // 250k repeats of one series would read its entry 250k times.
        let mut refs = vec![7u32; 250_000];
        refs.extend([3, 9, 9, 8, 12]);
        let bytes = list_bytes(&refs);
        let mut p = Postings::parse(&bytes[..], 0).unwrap();
        let mut got = Vec::new();
        while p.next() {
            got.push(p.at().0);
        }
        assert_eq!(got, vec![7, 9, 12]);
    }

    #[test]
    fn list_postings_gallop() {
        let mut bytes = Vec::new();
        let refs: Vec<u64> = (0..1000u64).map(|i| i * 3).collect();
        let mut body = Vec::new();
        body.extend_from_slice(&(refs.len() as u32).to_be_bytes());
        for r in &refs {
            body.extend_from_slice(&(*r as u32).to_be_bytes());
        }
        bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&crate::bytes::crc32c(&body).to_be_bytes());
        let list = Postings::parse(&bytes[..], 0).unwrap();
        for target in [0u64, 1, 2, 3, 500, 2996, 2997, 2998] {
            let mut p = list.clone();
            let want = refs.iter().copied().find(|&r| r >= target);
            assert_eq!(
                p.seek(SeriesRef(target)).then(|| p.at().0),
                want,
                "target {target}"
            );
        }
        let mut p = list;
        let mut got = Vec::new();
        let mut t = 0;
        while p.seek(SeriesRef(t)) {
            got.push(p.at().0);
            t = p.at().0 + 7;
        }
        let want: Vec<u64> = {
            let mut out = Vec::new();
            let mut t = 0;
            while let Some(r) = refs.iter().copied().find(|&r| r >= t) {
                out.push(r);
                t = r + 7;
            }
            out
        };
        assert_eq!(got, want);
    }
}
